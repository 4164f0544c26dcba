"""The binary classifier's scores and precision-recall curve, kept on disk so nothing downstream refits."""

from __future__ import annotations

import os

import numpy as np
import pyarrow as pa

from pipelib.errors import PipelineError
from pipelib.tables import column_values, read_table, write_table

SCORES_SCHEMA = pa.schema([("fold", pa.uint8()), ("target", pa.bool_()), ("score", pa.float64())])


def write_scores(target: str | os.PathLike[str], fold: np.ndarray, truth: np.ndarray, score: np.ndarray) -> None:
    """Fold id, true class and out-of-fold decision score of every training row."""
    columns = {"fold": fold, "target": truth.astype(bool), "score": score}
    write_table(pa.table(columns, schema=SCORES_SCHEMA), target)


def read_scores(source: str | os.PathLike[str], max_rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(fold, target, score) arrays of a scores file of at most ``max_rows`` rows, no missing values, finite scores."""
    table = read_table(source, SCORES_SCHEMA, max_rows=max_rows)
    if any(table.column(name).null_count for name in table.column_names):
        raise PipelineError(f"{source}: scores file has missing values")
    fold, target, score = (column_values(table, name) for name in table.column_names)
    if not np.isfinite(score).all():
        raise PipelineError(f"{source}: scores file has non-finite scores")
    return fold, target, score


def require_training_rows(
    scores: str | os.PathLike[str], n_scores: int, train: str | os.PathLike[str], n_train: int
) -> None:
    """A scores file must hold one row per training image: else it is from another run's training set."""
    if n_scores != n_train:
        raise PipelineError(f"{scores}: {n_scores} rows, but {train} has {n_train} (rerun dvc repro)")


# precision and recall have one point more than the thresholds: the last row's threshold is NaN.
CURVE_SCHEMA = pa.schema([("threshold", pa.float64()), ("precision", pa.float64()), ("recall", pa.float64())])


def write_curve(
    target: str | os.PathLike[str], precision: np.ndarray, recall: np.ndarray, thresholds: np.ndarray
) -> None:
    """The whole precision-recall curve, so the threshold for a target precision needs no scores re-sorted."""
    columns = {"threshold": np.append(thresholds, np.nan), "precision": precision, "recall": recall}
    write_table(pa.table(columns, schema=CURVE_SCHEMA), target)


def read_curve(source: str | os.PathLike[str], max_rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A curve of :func:`write_curve`: finite values but the last threshold, precision and recall in [0, 1]."""
    table = read_table(source, CURVE_SCHEMA, max_rows=max_rows)
    if any(table.column(name).null_count for name in table.column_names):
        raise PipelineError(f"{source}: curve file has missing values")
    threshold, precision, recall = (column_values(table, name) for name in CURVE_SCHEMA.names)
    if (
        len(threshold) == 0
        or not np.isfinite(threshold[:-1]).all()
        or not (np.isfinite(precision) & np.isfinite(recall)).all()
        or ((precision < 0) | (precision > 1) | (recall < 0) | (recall > 1)).any()
    ):
        raise PipelineError(
            f"{source}: not a precision-recall curve (finite thresholds, precision and recall in [0, 1])"
        )
    return precision, recall, threshold[:-1]
