"""The GitHub workflows hold up to zizmor and keep to the rules docs/ci.md states.

zizmor (pinned in requirements-dev.txt) runs offline over .github/, in its default and its
pedantic persona, and must report nothing; a workflow with the faults the old one had shows it
would. The other tests read the workflows as data: every action pinned to a commit, each job's
permissions, what runs on which event.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import helpers
import pytest
import yaml

GITHUB = helpers.REPO_ROOT / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.yml"))
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"#\s*v\d+(\.\d+){0,2}\s*$")


def zizmor() -> str:
    """The zizmor binary of this venv (or PATH); skip when it is not installed."""
    beside = Path(sys.executable).parent / "zizmor"
    found = str(beside) if beside.exists() else shutil.which("zizmor")
    if found is None:
        pytest.skip("zizmor is not installed (make install puts it in .venv)")
    return found


def run_zizmor(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [zizmor(), "--offline", "--no-progress", *args], capture_output=True, text=True, check=False, timeout=120
    )


def load(path: Path) -> dict[Any, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    on = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as True
    return {name: None for name in on} if isinstance(on, list) else dict(on)


def all_steps() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path.name, job_name, step)
        for path in WORKFLOWS
        for job_name, job in load(path)["jobs"].items()
        for step in job.get("steps", [])
    ]


def test_the_workflows_are_there() -> None:
    assert [p.name for p in WORKFLOWS] == ["ci.yml", "main.yml", "pull-request.yml"]


@pytest.mark.parametrize("persona", ["regular", "pedantic"])
def test_zizmor_finds_nothing(persona: str) -> None:
    result = run_zizmor("--persona", persona, str(GITHUB))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout


def test_zizmor_flags_the_faults_the_old_workflow_had(tmp_path: Path) -> None:
    """The same zizmor run on a workflow with a tag-pinned action, a kept token and a broad grant."""
    bad = tmp_path / ".github" / "workflows" / "review.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "name: review\n"
        "on:\n  pull_request:\n"
        "permissions:\n  contents: read\n  pull-requests: write\n"
        "jobs:\n  review:\n    name: review\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n"
        "      - run: make repro\n"
        "      - uses: actions/upload-artifact@v4\n        with:\n          name: review\n          path: .\n",
        encoding="utf-8",
    )
    result = run_zizmor("--persona", "pedantic", str(tmp_path / ".github"))
    assert result.returncode != 0
    for audit in ("unpinned-uses", "artipacked", "excessive-permissions"):
        assert audit in result.stdout, result.stdout


def test_every_action_is_pinned_to_a_commit_with_its_version_beside_it() -> None:
    seen: dict[str, set[str]] = {}
    for path in WORKFLOWS:
        for line in path.read_text(encoding="utf-8").splitlines():
            match = re.match(r"^\s*(?:-\s*)?uses:\s*(\S+)(.*)$", line)
            if not match:
                continue
            action, comment = match.groups()
            assert PINNED.match(action), f"{path.name}: {action} is not pinned to a full commit SHA"
            assert VERSION_COMMENT.search(comment), f"{path.name}: {action} has no `# vX.Y.Z` comment"
            name, sha = action.split("@")
            seen.setdefault(name, set()).add(f"{sha} {comment.strip()}")
    assert {"actions/checkout", "actions/setup-python", "actions/cache"} <= set(seen)
    assert {name: pins for name, pins in seen.items() if len(pins) > 1} == {}  # one version per action


def test_no_default_permissions_and_only_the_comment_job_writes() -> None:
    writers = []
    for path in WORKFLOWS:
        workflow = load(path)
        assert workflow["permissions"] == {}, f"{path.name}: top-level permissions must be {{}}"
        for job_name, job in workflow["jobs"].items():
            assert "permissions" in job, f"{path.name}: job {job_name} does not state its permissions"
            writers += [(path.name, job_name, scope) for scope, grant in job["permissions"].items() if grant == "write"]
    assert writers == [("pull-request.yml", "comment", "pull-requests")]


def test_no_checkout_keeps_its_token() -> None:
    checkouts = [s for _, _, s in all_steps() if s.get("uses", "").startswith("actions/checkout@")]
    assert len(checkouts) == 3
    assert all(s["with"]["persist-credentials"] is False for s in checkouts)


def test_nothing_is_installed_past_the_lock() -> None:
    runs = [(f, j, s["run"]) for f, j, s in all_steps() if "run" in s]
    assert runs and not [r for r in runs if re.search(r"\bpip install\b|--upgrade pip", r[2])]
    installs = [r for r in runs if "make install" in r[2]]
    assert [(f, j) for f, j, _ in installs] == [
        ("ci.yml", "test"),
        ("main.yml", "reproduce"),
        ("pull-request.yml", "review"),
    ]


def test_ci_runs_make_test_and_make_lint_on_every_push_and_pull_request() -> None:
    ci = load(GITHUB / "workflows" / "ci.yml")
    assert triggers(ci) == {"push": None, "pull_request": None}  # every branch
    [job] = ci["jobs"].values()
    runs = [s["run"].strip() for s in job["steps"] if "run" in s]
    assert runs == ["make install", "make lint", "make test"]


def test_pushes_to_main_share_the_outputs_and_the_run_cache() -> None:
    main = load(GITHUB / "workflows" / "main.yml")
    assert triggers(main) == {"push": {"branches": ["main"]}}
    [job] = main["jobs"].values()
    assert job["environment"] == "dvc-push"  # the write credentials live there, branch-protected
    steps = job["steps"]
    [push] = [s for s in steps if "pipelib.remote push" in s.get("run", "")]
    assert push["run"].strip() == ".venv/bin/python -m pipelib.remote push"  # adds --run-cache (pipelib/remote.py)
    assert push["if"] == "steps.remote.outputs.configured == 'true'"
    [remote] = [s for s in steps if s.get("id") == "remote"]
    assert remote["env"]["DVC_REMOTE_CONFIG"] == "${{ secrets.DVC_PUSH_CONFIG }}"
    [cache] = [s for s in steps if s.get("with", {}).get("path") == ".dvc/cache"]
    review = load(GITHUB / "workflows" / "pull-request.yml")["jobs"]["review"]["steps"]
    [pr_cache] = [s for s in review if s.get("with", {}).get("path") == ".dvc/cache"]
    assert cache["with"] == pr_cache["with"]  # what main saves is what a pull request restores
    assert steps.index(push) > steps.index(next(s for s in steps if "make repro" in s.get("run", "")))


def test_dependabot_updates_the_actions_and_the_python_pins() -> None:
    config = load(GITHUB / "dependabot.yml")
    assert config["version"] == 2
    ecosystems = {u["package-ecosystem"]: u for u in config["updates"]}
    assert set(ecosystems) == {"github-actions", "pip"}
    assert all(u["directory"] == "/" and u["schedule"]["interval"] for u in ecosystems.values())
