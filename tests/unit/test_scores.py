"""The out-of-fold scores file: its literal schema, round trips, and every refusal."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelib.errors import PipelineError
from pipelib.scores import SCORES_SCHEMA, read_scores, write_scores

FOLD = np.array([0, 1, 2, 0, 1], dtype=np.uint8)
TRUTH = np.array([1, 0, 0, 1, 1])
SCORE = np.array([2.5, -1.0, 0.0, -0.25, 1e300])


def test_schema_is_fold_target_score() -> None:
    expected = pa.schema([("fold", pa.uint8()), ("target", pa.bool_()), ("score", pa.float64())])
    assert expected == SCORES_SCHEMA


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "scores.parquet"
    write_scores(path, FOLD, TRUTH, SCORE)
    assert pq.read_schema(path).remove_metadata() == SCORES_SCHEMA
    fold, target, score = read_scores(path, 100)
    np.testing.assert_array_equal(fold, FOLD)
    assert target.dtype == np.bool_
    np.testing.assert_array_equal(target, [True, False, False, True, True])
    np.testing.assert_array_equal(score, SCORE)


def test_a_table_with_a_column_of_its_own_is_refused(tmp_path: Path) -> None:
    schema = pa.schema([("passenger", pa.int64()), *SCORES_SCHEMA])
    path = tmp_path / "with-ids.parquet"
    columns = {"passenger": np.arange(5), "fold": FOLD, "target": TRUTH.astype(bool), "score": SCORE}
    pq.write_table(pa.table(columns, schema=schema), path)
    with pytest.raises(PipelineError, match="columns"):
        read_scores(path, 100)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_scores_refused(tmp_path: Path, bad: float) -> None:
    path = tmp_path / "bad.parquet"
    write_scores(path, FOLD, TRUTH, np.array([0.0, 1.0, bad, 2.0, 3.0]))
    with pytest.raises(PipelineError, match=re.escape(str(path)) + ": scores file has non-finite scores"):
        read_scores(path, 100)


@pytest.mark.parametrize("column", ["fold", "target", "score"])
def test_missing_values_refused(tmp_path: Path, column: str) -> None:
    table = pa.table({"fold": FOLD, "target": TRUTH.astype(bool), "score": SCORE}, schema=SCORES_SCHEMA)
    index = table.column_names.index(column)
    values = [None, *table.column(column).to_pylist()[1:]]
    path = tmp_path / "null.parquet"
    pq.write_table(table.set_column(index, column, pa.array(values, type=SCORES_SCHEMA.field(column).type)), path)
    with pytest.raises(PipelineError, match=re.escape(str(path)) + ": scores file has missing values"):
        read_scores(path, 100)


def test_empty_scores_file_reads_as_empty_arrays(tmp_path: Path) -> None:
    path = tmp_path / "empty.parquet"
    write_scores(path, FOLD[:0], TRUTH[:0], SCORE[:0])
    assert [len(array) for array in read_scores(path, 100)] == [0, 0, 0]
