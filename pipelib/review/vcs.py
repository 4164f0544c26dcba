"""The review's git calls (subprocesses) and DVC questions (DVC's Python API); a failure is one PipelineError line."""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipelib.errors import PipelineError
from pipelib.review.gate import Change


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(command, cwd=cwd, capture_output=True, text=True, errors="replace", check=False)
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


DVC_LOGGERS = ("dvc", "dvc_data", "dvc_objects")  # importing dvc gives each its own terminal handlers


class _Warnings(logging.Handler):
    """DVC's warning log records, kept for the review's warning list instead of printed."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def dvc_call(what: str, cwd: Path, call: Callable[[Any], Any]) -> tuple[Any, list[str]]:
    """``call(repo)`` on the DVC project holding ``cwd``, in this process; its result and DVC's warnings.

    DVC's Python API (what its commands call) rather than a ``dvc`` process per question: each
    process would import DVC again, 0.5 s of a review's three. While it runs, DVC's log records
    go to the warning list only (nothing is printed). Any failure is one PipelineError line
    starting with ``what``, as DVC's command line turns any exception into one error line.
    """
    from dvc.repo import Repo

    caught = _Warnings()
    loggers = [logging.getLogger(name) for name in DVC_LOGGERS]
    saved = [(logger.handlers[:], logger.propagate) for logger in loggers]
    for logger in loggers:
        logger.handlers[:], logger.propagate = [caught], False
    try:  # in cwd: DVC names stages and files relative to the working directory, as its commands print them
        with contextlib.chdir(cwd), Repo() as repo:
            return call(repo), caught.lines
    except Exception as error:  # noqa: BLE001  (an unknown revision, a broken dvc.yaml, an unreadable file)
        raise PipelineError(f"{what}: {_last_line(str(error))}") from None
    finally:
        for logger, (handlers, propagate) in zip(loggers, saved, strict=True):
            logger.handlers[:], logger.propagate = handlers, propagate


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


def _diff(what: str, cwd: Path, diff_of: Callable[[Any], dict[str, Any]]) -> tuple[list[Change], list[str]]:
    """A ``dvc params|metrics diff`` as Changes, its files relative to ``cwd`` as ``--json`` prints them; warnings."""

    def relative(repo: Any) -> tuple[dict[str, Any], list[str]]:
        result = diff_of(repo)
        start = os.path.relpath(os.getcwd(), repo.root_dir)
        failed = [revision for revision, error in result.get("errors", {}).items() if error]
        return {os.path.relpath(path, start): keys for path, keys in result.get("diff", {}).items()}, failed

    (diff, failed), logged = dvc_call(what, cwd, relative)
    # the words `dvc metrics diff` prints for a revision it could not read
    unread = [f"DVC failed to load some metrics for following revisions: '{', '.join(failed)}'."] if failed else []
    return changes(diff), [*unread, *logged]


def params_diff(base: str, cwd: Path) -> list[Change]:
    """Parameters that differ between the base revision and the workspace."""
    return _diff(f"dvc params diff {base}", cwd, lambda repo: repo.params.diff(a_rev=base))[0]


def metrics_diff(base: str, cwd: Path) -> tuple[list[Change], list[str]]:
    """Every metric of either revision (changed or not) and DVC's warnings, e.g. a metrics file it could not read."""
    return _diff(f"dvc metrics diff {base}", cwd, lambda repo: repo.metrics.diff(a_rev=base, all=True))


def pipeline_status(cwd: Path) -> list[str]:
    """Stages ``dvc status`` says are out of date: then the workspace metrics are not this change's."""
    status, _ = dvc_call("dvc status", cwd, lambda repo: repo.status())
    return sorted(str(name) for name in status) if isinstance(status, dict) else []
