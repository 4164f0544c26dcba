"""The scores and precision-recall curve files: their literal schemas, round trips, and every refusal."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelib.errors import PipelineError
from pipelib.scores import (
    CURVE_SCHEMA,
    SCORES_SCHEMA,
    read_curve,
    read_scores,
    require_training_rows,
    write_curve,
    write_scores,
)

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


def test_scores_must_have_one_row_per_training_image(tmp_path: Path) -> None:
    scores, train = tmp_path / "scores.parquet", tmp_path / "train.parquet"
    require_training_rows(scores, 60000, train, 60000)
    require_training_rows(scores, 0, train, 0)
    for n_scores, message in ((60001, "60001 rows"), (59999, "59999 rows")):
        with pytest.raises(PipelineError) as error:
            require_training_rows(scores, n_scores, train, 60000)
        assert str(error.value) == f"{scores}: {message}, but {train} has 60000 (rerun dvc repro)"


# --- the precision-recall curve ------------------------------------------------------------------
# scikit-learn's layout: precision and recall end at (1, 0), one point past the last threshold.
PRECISION = np.array([0.5, 2 / 3, 1.0, 1.0])
RECALL = np.array([1.0, 1.0, 0.5, 0.0])
THRESHOLDS = np.array([-1.0, 0.5, 2.0])


def test_curve_schema_is_threshold_precision_recall() -> None:
    expected = pa.schema([("threshold", pa.float64()), ("precision", pa.float64()), ("recall", pa.float64())])
    assert expected == CURVE_SCHEMA


def test_curve_round_trip_keeps_every_bit(tmp_path: Path) -> None:
    path = tmp_path / "curve.parquet"
    write_curve(path, PRECISION, RECALL, THRESHOLDS)
    precision, recall, thresholds = read_curve(path, 4)
    for read, written in ((precision, PRECISION), (recall, RECALL), (thresholds, THRESHOLDS)):
        assert read.dtype == np.float64
        np.testing.assert_array_equal(read, written)  # 2/3 as written, not rounded


def test_curve_file_holds_a_nan_last_threshold(tmp_path: Path) -> None:
    """Precision and recall have one point more than the thresholds: the file's last row has no threshold."""
    path = tmp_path / "curve.parquet"
    write_curve(path, PRECISION, RECALL, THRESHOLDS)
    table = pq.read_table(path)
    assert table.num_rows == 4
    threshold = table.column("threshold").to_numpy()
    assert threshold[:3].tolist() == [-1.0, 0.5, 2.0] and np.isnan(threshold[3])
    assert (table.column("precision")[3].as_py(), table.column("recall")[3].as_py()) == (1.0, 0.0)


def test_a_curve_of_one_point_has_no_thresholds(tmp_path: Path) -> None:
    path = tmp_path / "curve.parquet"
    write_curve(path, np.array([1.0]), np.array([0.0]), np.array([]))
    precision, recall, thresholds = read_curve(path, 1)
    assert (precision.tolist(), recall.tolist(), thresholds.tolist()) == ([1.0], [0.0], [])


def write_curve_table(path: Path, threshold: list[float], precision: list[float], recall: list[float]) -> Path:
    """A curve file with any values, bypassing write_curve's layout."""
    columns = {"threshold": threshold, "precision": precision, "recall": recall}
    pq.write_table(pa.table(columns, schema=CURVE_SCHEMA), path)
    return path


NOT_A_CURVE = ": not a precision-recall curve (finite thresholds, precision and recall in [0, 1])"


@pytest.mark.parametrize("column", CURVE_SCHEMA.names)
def test_a_curve_with_a_missing_value_is_refused(tmp_path: Path, column: str) -> None:
    values = {"threshold": [0.5, None], "precision": [0.5, 1.0], "recall": [1.0, 0.0]}
    values[column] = [None, *values[column][1:]]
    path = tmp_path / "null.parquet"
    pq.write_table(pa.table(values, schema=CURVE_SCHEMA), path)
    with pytest.raises(PipelineError) as error:
        read_curve(path, 10)
    assert str(error.value) == f"{path}: curve file has missing values"


@pytest.mark.parametrize(
    ("threshold", "precision", "recall"),
    [
        ([0.5, np.nan], [1.0 + 1e-9, 1.0], [0.5, 0.0]),  # a precision above 1
        ([0.5, np.nan], [-0.25, 1.0], [0.5, 0.0]),  # a precision below 0
        ([0.5, np.nan], [1.0, 1.0], [1.5, 0.0]),  # a recall above 1
        ([0.5, np.nan], [1.0, 1.0], [-0.5, 0.0]),  # a recall below 0
        ([np.nan, np.nan], [1.0, 1.0], [0.5, 0.0]),  # a threshold missing before the last row
        ([np.inf, np.nan], [1.0, 1.0], [0.5, 0.0]),  # an infinite threshold
        ([0.5, np.nan], [np.nan, 1.0], [0.5, 0.0]),  # a NaN precision
        ([0.5, np.nan], [1.0, 1.0], [0.5, np.nan]),  # a NaN recall
        ([], [], []),  # no point at all: sklearn's curve always has the final (1, 0)
    ],
)
def test_what_is_not_a_curve_is_refused(
    tmp_path: Path, threshold: list[float], precision: list[float], recall: list[float]
) -> None:
    path = write_curve_table(tmp_path / "bad.parquet", threshold, precision, recall)
    with pytest.raises(PipelineError) as error:
        read_curve(path, 10)
    assert str(error.value) == f"{path}{NOT_A_CURVE}"


def test_a_curve_of_scores_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "scores.parquet"
    write_scores(path, FOLD, TRUTH, SCORE)
    with pytest.raises(PipelineError, match=re.escape(str(path)) + ".*columns"):
        read_curve(path, 10)


def test_a_curve_longer_than_the_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "curve.parquet"
    write_curve(path, PRECISION, RECALL, THRESHOLDS)
    assert len(read_curve(path, 4)[0]) == 4
    with pytest.raises(PipelineError, match=re.escape(str(path))):
        read_curve(path, 3)
