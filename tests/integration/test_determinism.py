"""Two runs of every stage in separate project copies give the same dvc.lock and the same bytes.

The first is the session's ``tiny_run`` (a clean ``dvc repro`` in time zone UTC0); the second
reruns every stage (``dvc repro --force``) in a copy of it in another directory and in time
zone IST-5:30, each stage writing its outputs afresh (DVC removes them before it runs). A
timestamp, a path or an unseeded random number in any output would show up here as a
differing hash. Equal hashes are what lets DVC's run cache and remote cache hit on another
machine.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import helpers
import pytest
import workspaces


@pytest.fixture(scope="module")
def rerun(tiny_run: Path, tiny_mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the tiny run after every stage ran again in it, in another directory and time zone."""
    project = helpers.clone_project(tiny_run, tmp_path_factory.mktemp("rerun") / "project")
    output = workspaces.finish(workspaces.start_dvc(project, tiny_mirror, "repro", "--force", env={"TZ": "IST-5:30"}))
    assert helpers.stages_run(output) == helpers.pipeline_stage_names(project / "dvc.yaml"), output
    return project


def output_files(project: Path) -> dict[str, bytes]:
    """Every file of every stage output (directories expanded), DVC's own .gitignore files aside."""
    found: dict[str, bytes] = {}
    for command in workspaces.stage_commands(project / "dvc.yaml").values():
        for relative in command.outs:
            path = project / relative
            files = sorted(path.rglob("*")) if path.is_dir() else [path]
            found |= {item.relative_to(project).as_posix(): item.read_bytes() for item in files if item.is_file()}
    return found


def test_rerun_is_up_to_date(rerun: Path, tiny_mirror: Path) -> None:
    status = helpers.run_dvc(rerun, tiny_mirror, "status", "--json").stdout
    assert json.loads(status) == {}, status


def test_dvc_lock_is_identical(tiny_run: Path, rerun: Path) -> None:
    assert set(workspaces.lock_outs(tiny_run)) == helpers.pipeline_stage_names(tiny_run / "dvc.yaml")
    assert workspaces.lock_outs(tiny_run) == workspaces.lock_outs(rerun)
    assert (tiny_run / "dvc.lock").read_bytes() == (rerun / "dvc.lock").read_bytes()


def test_every_output_is_byte_identical(tiny_run: Path, rerun: Path) -> None:
    first, second = output_files(tiny_run), output_files(rerun)
    assert sorted(first) == sorted(second)
    for name in (
        "reports/report.md",
        "metrics/mnist.json",
        "metrics/mnist_operating_point.json",
        "plots/operating_point/binary_errors.png",
        "metrics/titanic.json",
        "plots/mnist/roc.csv",
    ):
        assert name in first
    assert [name for name in first if first[name] != second[name]] == []


def test_text_outputs_hold_no_path_or_date(rerun: Path) -> None:
    for name, data in output_files(rerun).items():
        if name.endswith((".json", ".csv", ".md")):
            text = data.decode("utf-8")
            assert str(rerun.parent.parent) not in text, name
            assert not re.search(r"\b20\d\d-[01]\d-[0-3]\d\b|\b\d\d:\d\d:\d\d\b", text), name
