"""Two clean ``dvc repro`` runs in separate project copies give the same dvc.lock and the same bytes.

The runs (the session's ``clean_runs``) overlap, start two seconds apart, run in different
directories and time zones: a timestamp, a path or an unseeded random number in any output
would show up here as a differing hash. Equal hashes are what lets DVC's run cache and
remote cache hit on another machine.
"""

from __future__ import annotations

import re
from pathlib import Path

import helpers
import workspaces


def output_files(project: Path) -> dict[str, bytes]:
    """Every file of every stage output (directories expanded), DVC's own .gitignore files aside."""
    found: dict[str, bytes] = {}
    for command in workspaces.stage_commands(project / "dvc.yaml").values():
        for relative in command.outs:
            path = project / relative
            files = sorted(path.rglob("*")) if path.is_dir() else [path]
            found |= {item.relative_to(project).as_posix(): item.read_bytes() for item in files if item.is_file()}
    return found


def test_dvc_lock_is_identical(clean_runs: tuple[Path, Path]) -> None:
    first, second = clean_runs
    assert set(workspaces.lock_outs(first)) == helpers.pipeline_stage_names(first / "dvc.yaml")
    assert workspaces.lock_outs(first) == workspaces.lock_outs(second)
    assert (first / "dvc.lock").read_bytes() == (second / "dvc.lock").read_bytes()


def test_every_output_is_byte_identical(clean_runs: tuple[Path, Path]) -> None:
    first, second = map(output_files, clean_runs)
    assert sorted(first) == sorted(second)
    for name in ("reports/report.md", "metrics/mnist.json", "metrics/titanic.json", "plots/mnist/roc.csv"):
        assert name in first
    assert [name for name in first if first[name] != second[name]] == []


def test_text_outputs_hold_no_path_or_date(clean_runs: tuple[Path, Path]) -> None:
    first = clean_runs[0]
    for name, data in output_files(first).items():
        if name.endswith((".json", ".csv", ".md")):
            text = data.decode("utf-8")
            assert str(first.parent.parent) not in text, name
            assert not re.search(r"\b20\d\d-[01]\d-[0-3]\d\b|\b\d\d:\d\d:\d\d\b", text), name
