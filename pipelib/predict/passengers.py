"""Passengers from a CSV with Kaggle's Titanic columns, scored by a Titanic model.

The CSV is validated by the same parser as the pipeline's own data (one line naming the
file, row and column of a bad value); the predictions are the fitted Pipeline's, the
computation behind the pipeline's Kaggle submission.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from pipelib.errors import PipelineError
from pipelib.regular_file import read_regular
from pipelib.titanic.data import DOWNLOAD_MAX_BYTES, TEST_SCHEMA, decode_csv, parse_passengers
from pipelib.titanic.model import model_inputs, predict


def read_passenger_csv(source: Path) -> pd.DataFrame:
    """A Kaggle-layout CSV (``Survived`` not needed, extra columns ignored) as a typed frame.

    At most 10 MB (the mirror's bound for a CSV), refused by its size before it is read.
    """
    data = read_regular(source, DOWNLOAD_MAX_BYTES, missing="no such file")
    return parse_passengers(decode_csv(data, str(source)), str(source), TEST_SCHEMA).to_pandas()


def predictions(model: Any, passengers: pd.DataFrame, threshold: float | None = None) -> pd.DataFrame:
    """PassengerId, the predicted ``Survived``, and the decision score and probability where the model has them.

    ``threshold`` (on the decision score) replaces the model's own decision, for a model with a score.
    """
    found = predict(model, model_inputs(passengers))
    survived = found.survived
    if threshold is not None:
        if found.score is None:
            raise PipelineError("--threshold needs a model with a decision score; this one has none")
        survived = found.score > threshold
    columns = {"PassengerId": passengers["PassengerId"].to_numpy(), "Survived": survived.astype(int)}
    optional = {"score": found.score, "probability": found.probability}
    return pd.DataFrame({**columns, **{name: values for name, values in optional.items() if values is not None}})
