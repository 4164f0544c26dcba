"""The review's git and DVC calls, as subprocesses whose every failure is one PipelineError line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from pipelib.errors import PipelineError
from pipelib.review.gate import Change


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DVC_NO_ANALYTICS": "1"}
    try:
        return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, errors="replace", check=False)
    except FileNotFoundError:
        raise PipelineError(f"{command[0]}: command not found") from None


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no message"


def resolve_revision(revision: str, cwd: Path) -> str:
    """The base revision's short commit id; a revision git does not know is an error that says what to do."""
    if not revision or revision.startswith("-"):
        raise PipelineError(f"base revision {revision!r} is not a revision name")
    result = _run(["git", "rev-parse", "--verify", "--quiet", "--short", f"{revision}^{{commit}}"], cwd)
    if result.returncode != 0:
        if "not a git repository" in result.stderr:
            raise PipelineError(f"{cwd}: not in a git repository (the review compares git revisions)")
        raise PipelineError(f"base revision {revision!r} not found in git (fetch it first, e.g. git fetch origin)")
    return result.stdout.strip()


def head_revision(cwd: Path) -> str:
    """The workspace's HEAD as a short commit id ('no commit' in a fresh repository)."""
    result = _run(["git", "rev-parse", "--verify", "--quiet", "--short", "HEAD"], cwd)
    return result.stdout.strip() if result.returncode == 0 else "no commit"


def git_show(revision: str, path: str, cwd: Path) -> str | None:
    """A git-tracked file's text at a revision (``path`` relative to ``cwd``); None when it has no such file."""
    result = _run(["git", "show", f"{revision}:./{path}"], cwd)
    return result.stdout if result.returncode == 0 else None


def dvc_json(args: list[str], cwd: Path) -> tuple[Any, list[str]]:
    """Run ``dvc ARGS --json`` (this interpreter's DVC) and parse its output; also DVC's warnings."""
    command = [sys.executable, "-m", "dvc", *args, "--json"]
    result = _run(command, cwd)
    if result.returncode != 0:
        raise PipelineError(f"dvc {' '.join(args)}: {_last_line(result.stderr + result.stdout)}")
    try:
        parsed = json.loads(result.stdout or "{}")
    except json.JSONDecodeError:
        raise PipelineError(f"dvc {' '.join(args)}: output is not JSON: {_last_line(result.stdout)}") from None
    warnings = [line.strip() for line in result.stderr.splitlines() if line.strip()]
    return parsed, warnings


def changes(diff: Any) -> list[Change]:
    """``dvc params|metrics diff --json`` output as Changes, sorted by file and key (DVC's order varies)."""
    if not isinstance(diff, dict):
        raise PipelineError("dvc diff output is not a mapping of files")
    found = []
    for file, keys in diff.items():
        if not isinstance(keys, dict):
            continue
        for key, values in keys.items():
            values = values if isinstance(values, dict) else {}
            found.append(Change(str(file), str(key), values.get("old"), values.get("new")))
    return sorted(found, key=lambda change: (change.file, change.key))


def params_diff(base: str, cwd: Path) -> list[Change]:
    """Parameters that differ between the base revision and the workspace."""
    return changes(dvc_json(["params", "diff", base], cwd)[0])


def metrics_diff(base: str, cwd: Path) -> tuple[list[Change], list[str]]:
    """Every metric of either revision (changed or not) and DVC's warnings, e.g. a metrics file it could not read."""
    diff, warnings = dvc_json(["metrics", "diff", base, "--all"], cwd)
    return changes(diff), warnings


def pipeline_status(cwd: Path) -> list[str]:
    """Stages ``dvc status`` says are out of date: then the workspace metrics are not this change's."""
    status, _ = dvc_json(["status"], cwd)
    return sorted(str(name) for name in status) if isinstance(status, dict) else []
