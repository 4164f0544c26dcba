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
    table = pa.table({"fold": fold, "target": truth.astype(bool), "score": score}, schema=SCORES_SCHEMA)
    write_table(table, target)


def read_scores(source: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(fold, target, score) arrays of a scores file, with no missing values."""
    table = read_table(source, SCORES_SCHEMA)
    if any(table.column(name).null_count for name in table.column_names):
        raise PipelineError(f"{source}: scores file has missing values")
    fold, target, score = (table.column(name).to_numpy(zero_copy_only=False) for name in table.column_names)
    if not np.isfinite(score).all():
        raise PipelineError(f"{source}: scores file has non-finite scores")
    return fold, target, score
