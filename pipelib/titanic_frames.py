"""Typed Titanic parquet files read back as pandas frames."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pyarrow as pa

from pipelib.tables import read_table, write_table
from pipelib.titanic_data import TEST_SCHEMA, TRAIN_SCHEMA


def read_passengers(source: str | os.PathLike[str], labelled: bool) -> pd.DataFrame:
    """A passengers table (train with ``Survived`` when ``labelled``) with its schema checked."""
    table = read_table(source, TRAIN_SCHEMA if labelled else TEST_SCHEMA)
    return table.to_pandas()


SCORES_SCHEMA = pa.schema(
    [("PassengerId", pa.int32()), ("fold", pa.uint8()), ("target", pa.bool_()), ("score", pa.float64())]
)


def write_scores(
    target: str | os.PathLike[str], passenger_ids: np.ndarray, fold: np.ndarray, truth: np.ndarray, score: np.ndarray
) -> None:
    """Out-of-fold decision scores of each passenger, with its fold and true class."""
    columns = {"PassengerId": passenger_ids, "fold": fold, "target": truth.astype(bool), "score": score}
    write_table(pa.table(columns, schema=SCORES_SCHEMA), target)


def read_scores(source: str | os.PathLike[str]) -> pd.DataFrame:
    """A scores file written by :func:`write_scores`."""
    return read_table(source, SCORES_SCHEMA).to_pandas()
