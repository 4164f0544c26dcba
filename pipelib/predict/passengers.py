"""Passengers from a CSV with Kaggle's Titanic columns, scored by the Titanic model.

The CSV is validated by the same parser as the pipeline's own data (one line naming the
file, row and column of a bad value); the scores are :meth:`TitanicModel.decision_function`,
the computation behind the pipeline's Kaggle submission.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipelib.errors import PipelineError
from pipelib.regular_file import read_regular
from pipelib.titanic.data import DOWNLOAD_MAX_BYTES, TEST_SCHEMA, parse_passengers
from pipelib.titanic.model import TitanicModel


def read_passenger_csv(source: Path) -> pd.DataFrame:
    """A Kaggle-layout CSV (``Survived`` not needed, extra columns ignored) as a typed frame.

    At most 10 MB (the mirror's bound for a CSV), refused by its size before it is read.
    """
    data = read_regular(source, DOWNLOAD_MAX_BYTES, missing="no such file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise PipelineError(f"{source}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    return parse_passengers(text, str(source), TEST_SCHEMA).to_pandas()


def predictions(model: TitanicModel, passengers: pd.DataFrame, threshold: float = 0.0) -> pd.DataFrame:
    """PassengerId, the predicted ``Survived`` (score above ``threshold``) and the decision score."""
    score = model.decision_function(passengers)
    return pd.DataFrame(
        {
            "PassengerId": passengers["PassengerId"].to_numpy(),
            "Survived": (score > threshold).astype(int),
            "score": score,
        }
    )
