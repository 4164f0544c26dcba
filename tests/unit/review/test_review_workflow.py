"""The pull-request workflow cannot run here: check it runs the commands the tests exercise.

The review job must call ``python -m pipelib.review`` with the flags tests/integration/test_review.py
uses (and that the command's own parser accepts), keep the command's exit status with the files
it writes, and fail exactly when the review exits 1. The comment job must post that file, and
only after a review that passed or found a regression. Its shell script is run here for real,
against a stand-in for the ``gh`` command (there is no GitHub offline) that answers from canned
comments through the real ``jq``, as ``gh api --jq`` would.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import helpers
import pytest
import yaml

from pipelib.review.__main__ import parser

REVIEW_FLAGS = helpers.REVIEW_FLAGS
WORKFLOW = helpers.REPO_ROOT / ".github" / "workflows" / "pull-request.yml"
MARKER = "<!-- pipelib-review -->"
BOT = "github-actions[bot]"


@pytest.fixture(scope="module")
def workflow() -> dict[Any, Any]:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def steps(workflow: dict[Any, Any]) -> list[dict[str, Any]]:
    return workflow["jobs"]["review"]["steps"]


@pytest.fixture(scope="module")
def comment_steps(workflow: dict[Any, Any]) -> list[dict[str, Any]]:
    return workflow["jobs"]["comment"]["steps"]


def step(steps: list[dict[str, Any]], predicate: str) -> dict[str, Any]:
    """The one step whose ``uses`` or ``run`` contains ``predicate``."""
    found = [s for s in steps if predicate in s.get("uses", "") or predicate in s.get("run", "")]
    assert len(found) == 1, f"{len(found)} steps with {predicate!r}"
    return found[0]


def review_command(review_step: dict[str, Any]) -> list[str]:
    """The review step's ``python -m pipelib.review ...`` line, split as the shell would."""
    [line] = [line for line in review_step["run"].splitlines() if "pipelib.review" in line]
    return shlex.split(line)


def test_runs_on_pull_requests_with_least_privilege(workflow: dict[Any, Any]) -> None:
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as True
    assert list(triggers) == ["pull_request"]  # never pull_request_target: no secrets for forks' code
    assert workflow["permissions"] == {}
    jobs = workflow["jobs"]
    assert jobs["review"]["permissions"] == {"contents": "read"}
    assert jobs["comment"]["permissions"] == {"pull-requests": "write"}
    assert jobs["comment"]["needs"] == "review"


def test_checks_out_full_history_without_keeping_the_token(steps: list[dict[str, Any]]) -> None:
    checkout = step(steps, "actions/checkout@")
    assert checkout["with"]["fetch-depth"] == 0  # the base branch's files are read with git show
    assert checkout["with"]["persist-credentials"] is False
    python = step(steps, "actions/setup-python@")
    assert python["with"]["python-version"] == "3.11"
    assert step(steps, "make install")["run"].strip() == "make install"


def test_the_comment_job_runs_no_code_of_the_pull_request(comment_steps: list[dict[str, Any]]) -> None:
    assert not [s for s in comment_steps if "actions/checkout@" in s.get("uses", "")]
    runs = "\n".join(s.get("run", "") for s in comment_steps)
    assert not re.search(r"\b(make|python|pip|dvc|\.venv|bash|source)\b", runs)
    assert [s["uses"].split("@")[0] for s in comment_steps if "uses" in s] == ["actions/download-artifact"]


def test_reproduces_with_the_makefile_target_or_pulls_from_the_remote(steps: list[dict[str, Any]]) -> None:
    reproduce = step(steps, "make repro")
    lines = [line.strip() for line in reproduce["run"].splitlines()]
    assert "make repro" in lines and ".venv/bin/dvc repro --pull" in lines
    assert reproduce["env"]["REMOTE"] == "${{ steps.remote.outputs.configured }}"
    makefile = (helpers.REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^repro:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert recipe and recipe.group(1).strip() == "dvc repro"  # what test_pipeline_dvc runs on small data


def test_remote_config_goes_to_config_local_and_the_cache_otherwise(steps: list[dict[str, Any]]) -> None:
    remote = step(steps, "config.local")
    assert remote["env"]["DVC_REMOTE_CONFIG"] == "${{ secrets.DVC_PULL_CONFIG }}"
    assert "> .dvc/config.local" in remote["run"] and "${{" not in remote["run"]
    [cache] = [s for s in steps if s.get("with", {}).get("path") == ".dvc/cache"]
    assert cache["if"] == "steps.remote.outputs.configured != 'true'"
    key = cache["with"]["key"]
    for decides in ("dvc.lock", "dvc.yaml", "params.yaml", "pipelib/**", "stages/**", "requirements-lock.txt"):
        assert f"'{decides}'" in key
    assert cache["with"]["restore-keys"] == "dvc-cache-"
    assert key.startswith("dvc-cache-")


def test_review_command_is_the_tested_one(steps: list[dict[str, Any]]) -> None:
    review = step(steps, "pipelib.review")
    command = review_command(review)
    assert command[:3] == ["python", "-m", "pipelib.review"]
    assert ". .venv/bin/activate" in review["run"]  # `make install` installed there
    args = command[3:]
    flags = dict(zip(args[::2], args[1::2], strict=True))
    tested = dict(zip(REVIEW_FLAGS[::2], REVIEW_FLAGS[1::2], strict=True))  # what the review tests pass
    assert flags == {**tested, "--base": "origin/$BASE_REF", "--plots-link": "$RUN_URL"}
    assert review["env"]["BASE_REF"] == "${{ github.base_ref }}"
    parsed = parser().parse_args(args)  # the command line the stage accepts
    assert (parsed.out, parsed.html, parsed.tolerances) == (tested["--out"], tested["--html"], tested["--tolerances"])
    assert (helpers.REPO_ROOT / parsed.tolerances).is_file()


def test_review_status_is_kept_for_later_steps_and_the_artifact(steps: list[dict[str, Any]]) -> None:
    review = step(steps, "pipelib.review")
    assert review["id"] == "review"
    run = review["run"]
    assert "set +e" in run and 'echo "status=$status" >> "$GITHUB_OUTPUT"' in run
    assert 'echo "$status" > reports/review.status' in run
    assert run.strip().endswith('test "$status" -le 1')  # an error (2, or a bug) fails the step
    upload = step(steps, "actions/upload-artifact@")
    assert upload["with"]["name"] == "review"
    paths = upload["with"]["path"].split()
    assert {"reports/review.status", REVIEW_FLAGS[1], REVIEW_FLAGS[3], "reports/review/"} <= set(paths)
    assert upload["if"] == "always() && steps.review.outputs.status != ''"


def test_fails_the_job_on_a_regression_after_keeping_the_review(steps: list[dict[str, Any]]) -> None:
    gate = step(steps, "exit 1")
    assert gate["if"] == "always() && steps.review.outputs.status == '1'"
    assert steps.index(gate) > steps.index(step(steps, "actions/upload-artifact@"))
    assert steps[-1] is gate


def test_the_comment_job_downloads_what_the_review_job_uploaded(
    workflow: dict[Any, Any], steps: list[dict[str, Any]], comment_steps: list[dict[str, Any]]
) -> None:
    download = step(comment_steps, "actions/download-artifact@")
    assert download["with"]["name"] == step(steps, "actions/upload-artifact@")["with"]["name"]
    post = step(comment_steps, "gh api")
    assert post["env"]["REVIEW"] == download["with"]["path"]
    assert post["env"]["MARKER"] == MARKER
    assert post["env"]["GH_TOKEN"] == "${{ github.token }}"
    assert "--edit-last" not in post["run"] and "gh pr comment" not in post["run"]
    assert "${{" not in post["run"]  # every value comes through the environment, none spliced in
    condition = workflow["jobs"]["comment"]["if"]
    assert "!cancelled()" in condition and "head.repo.full_name == github.repository" in condition


# --- the comment step's script, run for real against a stand-in for gh ---

FAKE_GH = """\
#!/usr/bin/env python3
# Stands in for `gh api`: answers GET from comments.json (through jq, as --jq does) and records
# each write in calls.jsonl with the body it would send.
import json, os, subprocess, sys
args = sys.argv[1:]
state = os.environ["FAKE_GH_STATE"]
assert args[0] == "api", args
method = args[args.index("--method") + 1] if "--method" in args else "GET"
path = [a for a in args[1:] if a.startswith("repos/")][0]
if method == "GET":
    comments = open(os.path.join(state, "comments.json")).read()
    query = args[args.index("--jq") + 1]
    sys.stdout.write(subprocess.run(["jq", "-r", query], input=comments, text=True, check=True,
                                    capture_output=True).stdout)
    sys.exit(0)
field = args[args.index("-F") + 1]
assert field.startswith("body=@"), field
body = open(field[len("body=@"):]).read()
with open(os.path.join(state, "calls.jsonl"), "a") as calls:
    calls.write(json.dumps({"method": method, "path": path, "body": body}) + "\\n")
"""


@pytest.fixture
def comment_script(comment_steps: list[dict[str, Any]]) -> str:
    return step(comment_steps, "gh api")["run"]


def run_comment(
    tmp_path: Path, script: str, status: str, comments: list[dict[str, Any]], review: str = "## Review\n"
) -> tuple[subprocess.CompletedProcess[str], list[dict[str, str]]]:
    """Run the comment step's script as the runner would (bash -e), with the artifact laid out."""
    if shutil.which("jq") is None:
        pytest.skip("needs jq (gh api --jq is jq)")
    artifact, state, bin_dir, temp = (tmp_path / d for d in ("artifact", "state", "bin", "runner-temp"))
    for folder in (artifact, state, bin_dir, temp):
        folder.mkdir()
    (artifact / "review.status").write_text(f"{status}\n", encoding="utf-8")
    (artifact / "review.md").write_text(review, encoding="utf-8")
    (state / "comments.json").write_text(json.dumps(comments), encoding="utf-8")
    gh = bin_dir / "gh"
    gh.write_text(FAKE_GH, encoding="utf-8")
    gh.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "FAKE_GH_STATE": str(state),
        "GH_TOKEN": "unused",
        "GH_REPO": "team/pipeline",
        "PR_NUMBER": "7",
        "REVIEW": str(artifact),
        "MARKER": MARKER,
        "RUN_URL": "https://github.com/team/pipeline/actions/runs/1",
        "RUNNER_TEMP": str(temp),
    }
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    calls_file = state / "calls.jsonl"
    calls = [json.loads(line) for line in calls_file.read_text().splitlines()] if calls_file.exists() else []
    return result, calls


def comment(id_: int, login: str, body: str) -> dict[str, Any]:
    return {"id": id_, "user": {"login": login}, "body": body}


@pytest.mark.parametrize("status", ["0", "1"])
def test_creates_the_comment_with_the_marker_when_there_is_none(
    tmp_path: Path, comment_script: str, status: str
) -> None:
    others = [comment(1, "alice", "looks good"), comment(2, BOT, "<!-- other-workflow -->\nlast bot comment")]
    result, calls = run_comment(tmp_path, comment_script, status, others, review="## Review\n| a | b |\n")
    assert result.returncode == 0, result.stderr
    assert calls == [
        {"method": "POST", "path": "repos/team/pipeline/issues/7/comments", "body": f"{MARKER}\n## Review\n| a | b |\n"}
    ]


def test_updates_the_bots_marked_comment_and_nothing_else(tmp_path: Path, comment_script: str) -> None:
    existing = [
        comment(10, "mallory", f"{MARKER}\nfake review written by a person"),
        comment(11, BOT, f"{MARKER}\nthe old review"),
        comment(12, BOT, "<!-- other-workflow -->\nthe last bot comment, which --edit-last would overwrite"),
    ]
    result, calls = run_comment(tmp_path, comment_script, "1", existing, review="new review\n")
    assert result.returncode == 0, result.stderr
    assert calls == [
        {"method": "PATCH", "path": "repos/team/pipeline/issues/comments/11", "body": f"{MARKER}\nnew review\n"}
    ]


@pytest.mark.parametrize("status", ["2", "3", "137", "", "0; rm -rf /"])
def test_posts_nothing_after_bad_input_or_a_crash(tmp_path: Path, comment_script: str, status: str) -> None:
    result, calls = run_comment(tmp_path, comment_script, status, [comment(11, BOT, f"{MARKER}\nold")])
    assert result.returncode != 0
    assert calls == []
    assert "no review to post" in result.stdout


def test_a_review_too_long_for_a_comment_points_to_the_run(tmp_path: Path, comment_script: str) -> None:
    result, calls = run_comment(tmp_path, comment_script, "0", [], review="x" * 70_000)
    assert result.returncode == 0, result.stderr
    [call] = calls
    assert call["body"].startswith(f"{MARKER}\n") and len(call["body"]) < 1000
    assert "https://github.com/team/pipeline/actions/runs/1" in call["body"]
