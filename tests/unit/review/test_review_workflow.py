"""The pull-request workflow cannot run here: check it parses and runs the commands the tests exercise.

The review step must call ``python -m pipelib.review`` with the flags tests/test_review.py uses
(and that the command's own parser accepts), post the file that command writes, and fail the
job exactly when the review exits 1.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

import helpers
import pytest
import yaml

from pipelib.review.__main__ import parser

REVIEW_FLAGS = helpers.REVIEW_FLAGS
WORKFLOW = helpers.REPO_ROOT / ".github" / "workflows" / "pull-request.yml"


@pytest.fixture(scope="module")
def workflow() -> dict[Any, Any]:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def steps(workflow: dict[Any, Any]) -> list[dict[str, Any]]:
    [job] = workflow["jobs"].values()
    return job["steps"]


def step(steps: list[dict[str, Any]], predicate: str) -> dict[str, Any]:
    """The one step whose ``uses`` or ``run`` contains ``predicate``."""
    found = [s for s in steps if predicate in s.get("uses", "") or predicate in s.get("run", "")]
    assert len(found) == 1, f"{len(found)} steps with {predicate!r}"
    return found[0]


def review_command(review_step: dict[str, Any]) -> list[str]:
    """The review step's ``python -m pipelib.review ...`` line, split as the shell would."""
    [line] = [line for line in review_step["run"].splitlines() if "pipelib.review" in line]
    return shlex.split(line)


def test_runs_on_pull_requests(workflow: dict[Any, Any]) -> None:
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as True
    assert "pull_request" in triggers
    assert workflow["permissions"]["pull-requests"] == "write"


def test_checks_out_full_history_and_sets_up_python(steps: list[dict[str, Any]]) -> None:
    checkout = step(steps, "actions/checkout@")
    assert checkout["with"]["fetch-depth"] == 0  # the base branch's files are read with git show
    python = step(steps, "actions/setup-python@")
    assert python["with"]["python-version"] == "3.11"


def test_reproduces_with_the_makefile_target(steps: list[dict[str, Any]]) -> None:
    assert step(steps, "make repro")["run"].strip() == "make repro"
    makefile = (helpers.REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^repro:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert recipe and recipe.group(1).strip() == "dvc repro"  # what test_pipeline_dvc runs on small data


def test_review_command_is_the_tested_one(steps: list[dict[str, Any]]) -> None:
    review = step(steps, "pipelib.review")
    command = review_command(review)
    assert command[:3] == ["python", "-m", "pipelib.review"]
    assert ". .venv/bin/activate" in review["run"]  # `make repro` installed there
    args = command[3:]
    flags = dict(zip(args[::2], args[1::2], strict=True))
    tested = dict(zip(REVIEW_FLAGS[::2], REVIEW_FLAGS[1::2], strict=True))  # what tests/test_review.py passes
    assert flags == {**tested, "--base": "origin/$BASE_REF", "--plots-link": "$RUN_URL"}
    assert review["env"]["BASE_REF"] == "${{ github.base_ref }}"
    parsed = parser().parse_args(args)  # the command line the stage accepts
    assert (parsed.out, parsed.html, parsed.tolerances) == (tested["--out"], tested["--html"], tested["--tolerances"])
    assert (helpers.REPO_ROOT / parsed.tolerances).is_file()


def test_review_status_is_kept_for_later_steps(steps: list[dict[str, Any]]) -> None:
    review = step(steps, "pipelib.review")
    assert review["id"] == "review"
    run = review["run"]
    assert "set +e" in run and 'echo "status=$status" >> "$GITHUB_OUTPUT"' in run
    assert run.strip().endswith('test "$status" -le 1')  # an error (2) fails the step: nothing to post


def test_posts_the_review_as_a_comment_even_on_regression(steps: list[dict[str, Any]]) -> None:
    comment = step(steps, "gh pr comment")
    command = shlex.split(comment["run"])
    assert command[command.index("--body-file") + 1] == REVIEW_FLAGS[1]
    assert comment["if"].startswith("always()")
    assert comment["env"]["GH_TOKEN"] == "${{ github.token }}"
    upload = step(steps, "actions/upload-artifact@")
    paths = upload["with"]["path"].split()
    assert {REVIEW_FLAGS[1], REVIEW_FLAGS[3], "reports/review/"} <= set(paths)


def test_fails_the_job_on_a_regression_after_posting(steps: list[dict[str, Any]]) -> None:
    names = [s.get("uses") or s.get("run") for s in steps]
    gate = step(steps, "exit 1")
    assert "steps.review.outputs.status == '1'" in gate["if"]
    assert names.index(gate["run"]) > names.index(step(steps, "gh pr comment")["run"])
    assert steps[-1] is gate
