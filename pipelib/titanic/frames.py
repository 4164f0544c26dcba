"""Typed Titanic parquet files read back as pandas frames, their values checked again."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pyarrow as pa

from pipelib import scores
from pipelib.errors import PipelineError
from pipelib.tables import read_table, write_table
from pipelib.titanic.data import (
    CLASSES,
    CONVERTERS,
    MAX_PASSENGERS,
    MAX_TEXT_CHARS,
    PORTS,
    SEXES,
    TEST_SCHEMA,
    TRAIN_SCHEMA,
)

# column -> allowed values of the categorical columns (missing only where the CSV allows it)
ALLOWED = {"Survived": (0, 1), "Pclass": CLASSES, "Sex": SEXES, "Embarked": PORTS}
OPTIONAL = {name for name, (_, may_be_empty) in CONVERTERS.items() if may_be_empty}
NON_NEGATIVE = ("Age", "SibSp", "Parch", "Fare")


def check_passengers(frame: pd.DataFrame, source: str | os.PathLike[str]) -> None:
    """The checks the CSV parser made, repeated on a parquet file another stage wrote."""
    for name in frame.columns:
        if name not in OPTIONAL and frame[name].isna().any():
            raise PipelineError(f"{source}: column '{name}' has missing values")
    for name, allowed in ALLOWED.items():
        if name in frame.columns:
            bad = sorted({value for value in frame[name].dropna() if value not in allowed}, key=str)
            if bad:
                raise PipelineError(
                    f"{source}: column '{name}' has value {bad[0]!r} (allowed: {', '.join(map(str, allowed))})"
                )
    for name in NON_NEGATIVE:
        values = frame[name].dropna().to_numpy(dtype=np.float64)
        if not (np.isfinite(values) & (values >= 0)).all():
            raise PipelineError(f"{source}: column '{name}' has a value that is not a finite number >= 0")
    if frame["PassengerId"].duplicated().any():
        raise PipelineError(f"{source}: column 'PassengerId' has duplicate values")


def read_passengers(source: str | os.PathLike[str], labelled: bool) -> pd.DataFrame:
    """A passengers table (train with ``Survived`` when ``labelled``) with its schema and values checked."""
    schema = TRAIN_SCHEMA if labelled else TEST_SCHEMA
    frame = read_table(source, schema, max_rows=MAX_PASSENGERS, max_text_bytes=4 * MAX_TEXT_CHARS).to_pandas()
    check_passengers(frame, source)
    return frame


SCORES_SCHEMA = pa.schema([pa.field("PassengerId", pa.int32()), *scores.SCORES_SCHEMA])


def write_scores(
    target: str | os.PathLike[str], passenger_ids: np.ndarray, fold: np.ndarray, truth: np.ndarray, score: np.ndarray
) -> None:
    """Out-of-fold decision scores of each passenger, with its fold and true class."""
    columns = {"PassengerId": passenger_ids, **scores.scores_columns(fold, truth, score)}
    write_table(pa.table(columns, schema=SCORES_SCHEMA), target)


def read_scores(source: str | os.PathLike[str]) -> pd.DataFrame:
    """A scores file written by :func:`write_scores`: no missing values, finite scores."""
    return scores.read_scores_table(source, SCORES_SCHEMA, MAX_PASSENGERS).to_pandas()
