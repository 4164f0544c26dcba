"""Typed Titanic parquet files read back as pandas frames, their values checked again."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pyarrow as pa

from pipelib.errors import PipelineError
from pipelib.tables import read_table, write_table
from pipelib.titanic.data import (
    CLASSES,
    CONVERTERS,
    IMPUTED_OPTIONAL,
    MAX_AGE,
    MAX_FARE,
    MAX_PASSENGERS,
    MAX_TEXT_CHARS,
    PORTS,
    SEXES,
    TEST_SCHEMA,
    TRAIN_SCHEMA,
    check_training_values,
)
from pipelib.titanic.model import Predictions

# column -> allowed values of the categorical columns (missing only where the CSV allows it)
ALLOWED = {"Survived": (0, 1), "Pclass": CLASSES, "Sex": SEXES, "Embarked": PORTS}
OPTIONAL = {name for name, (_, may_be_empty) in CONVERTERS.items() if may_be_empty}
# column -> the largest value the CSV parser accepts (from 0)
UPPER_BOUNDS = {"Age": float(MAX_AGE), "SibSp": np.inf, "Parch": np.inf, "Fare": float(MAX_FARE)}


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
    for name, upper in UPPER_BOUNDS.items():
        values = frame[name].dropna().to_numpy(dtype=np.float64)
        if not (np.isfinite(values) & (values >= 0) & (values <= upper)).all():
            accepted = ">= 0" if upper == np.inf else f"from 0 to {upper:,.0f}"
            raise PipelineError(f"{source}: column '{name}' has a value that is not a finite number {accepted}")
    if frame["PassengerId"].duplicated().any():
        raise PipelineError(f"{source}: column 'PassengerId' has duplicate values")
    if "Survived" in frame.columns:
        check_training_values({name: int(frame[name].notna().sum()) for name in IMPUTED_OPTIONAL}, str(source))


def read_passengers(source: str | os.PathLike[str], labelled: bool) -> pd.DataFrame:
    """A passengers table (train with ``Survived`` when ``labelled``) with its schema and values checked."""
    schema = TRAIN_SCHEMA if labelled else TEST_SCHEMA
    frame = read_table(source, schema, max_rows=MAX_PASSENGERS, max_text_bytes=4 * MAX_TEXT_CHARS).to_pandas()
    check_passengers(frame, source)
    return frame


OUT_OF_FOLD_SCHEMA = pa.schema(
    [
        pa.field("PassengerId", pa.int32()),
        pa.field("fold", pa.uint8()),
        pa.field("target", pa.bool_()),
        pa.field("survived", pa.bool_()),
        pa.field("score", pa.float64()),  # decision_function; missing for a model without one
        pa.field("probability", pa.float64()),  # predict_proba of survival; missing for a model without one
    ]
)
OPTIONAL_OUTPUTS = ("score", "probability")


def write_out_of_fold(
    target: str | os.PathLike[str], passenger_ids: np.ndarray, fold: np.ndarray, truth: np.ndarray, found: Predictions
) -> None:
    """Each passenger's fold, true class and out-of-fold predictions (what the model offers of them)."""
    n_rows = len(passenger_ids)
    columns = {
        "PassengerId": passenger_ids,
        "fold": fold,
        "target": truth.astype(bool),
        "survived": found.survived,
        **{
            name: pa.nulls(n_rows, pa.float64()) if getattr(found, name) is None else getattr(found, name)
            for name in OPTIONAL_OUTPUTS
        },
    }
    write_table(pa.table(columns, schema=OUT_OF_FOLD_SCHEMA), target)


def read_out_of_fold(source: str | os.PathLike[str]) -> tuple[pd.DataFrame, Predictions]:
    """A file of :func:`write_out_of_fold`: (PassengerId, fold, target frame, predictions), values checked."""
    table = read_table(source, OUT_OF_FOLD_SCHEMA, max_rows=MAX_PASSENGERS)
    if any(table.column(name).null_count for name in table.column_names if name not in OPTIONAL_OUTPUTS):
        raise PipelineError(f"{source}: out-of-fold file has missing values")
    optional: dict[str, np.ndarray | None] = {}
    for name in OPTIONAL_OUTPUTS:
        column = table.column(name)
        if column.null_count == len(column):
            optional[name] = None
            continue
        values = column.to_numpy(zero_copy_only=False)
        if column.null_count or not np.isfinite(values).all():
            raise PipelineError(f"{source}: column '{name}' is neither complete and finite nor absent")
        optional[name] = values
    frame = table.select(["PassengerId", "fold", "target"]).to_pandas()
    survived = table.column("survived").to_numpy(zero_copy_only=False)
    return frame, Predictions(survived, optional["score"], optional["probability"])
