"""The binary classifier's out-of-fold scores, kept on disk so nothing downstream refits."""

from __future__ import annotations

import os

import numpy as np
import pyarrow as pa

from pipelib.errors import PipelineError
from pipelib.tables import read_table, write_table

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
    if not np.isfinite(table.column("score").to_numpy()).all():
        raise PipelineError(f"{source}: scores file has non-finite scores")
    fold, target, score = (table.column(name).to_numpy(zero_copy_only=False) for name in table.column_names)
    return fold, target, score
