"""A Titanic mirror without test.csv (docs/data.md: it is optional) through the fetch and evaluate stages."""

from __future__ import annotations

import shutil
from pathlib import Path

import helpers
import pyarrow.parquet as pq
import workspaces

from pipelib.titanic.data import TEST_SCHEMA

SUBMISSION = "data/titanic/submission.csv"
OTHER_OUTPUTS = [
    "metrics/titanic.json",
    "reports/titanic_details.json",
    "reports/titanic_extremes.csv",
    "plots/titanic/coefficients.csv",
    "plots/titanic/calibration.csv",
]


def test_no_test_csv_gives_an_empty_submission_and_every_other_output_as_before(
    stage_workspace: tuple[Path, Path], tmp_path: Path
) -> None:
    """The workspace's evaluate_titanic outputs are those of its 10 test passengers; only the submission differs."""
    project = shutil.copytree(stage_workspace[0], tmp_path / "project")
    mirror = shutil.copytree(stage_workspace[1], tmp_path / "mirror")
    (mirror / "titanic" / "test.csv").unlink()
    helpers.write_sha256sums(mirror / "titanic", ["train.csv"])
    commands = workspaces.stage_commands(project / "dvc.yaml")
    before = workspaces.snapshot(project)

    fetched = workspaces.run_stage_in_process(project, mirror, commands["fetch_titanic"])
    assert fetched.returncode == 0, fetched.stderr
    assert "no test.csv; writing an empty test table" in fetched.stderr
    test = pq.read_table(project / "data" / "titanic" / "test.parquet")
    assert test.schema == TEST_SCHEMA and test.num_rows == 0

    evaluated = workspaces.run_stage_in_process(project, mirror, commands["evaluate_titanic"])
    assert evaluated.returncode == 0, evaluated.stderr
    after = workspaces.snapshot(project)
    assert after[SUBMISSION] == b"PassengerId,Survived\n"
    assert len(before[SUBMISSION].splitlines()) == 1 + workspaces.TEST_PASSENGERS
    assert after["data/titanic/train.parquet"] == before["data/titanic/train.parquet"]
    assert sorted(commands["evaluate_titanic"].outs) == sorted([SUBMISSION, *OTHER_OUTPUTS])
    for out in OTHER_OUTPUTS:
        assert after[out] == before[out], out
