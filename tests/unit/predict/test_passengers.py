"""Passengers: Kaggle-layout CSVs validated as the pipeline's own, scored as scikit-learn's fitted pipeline does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import helpers
import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline

from pipelib.errors import PipelineError
from pipelib.params import TitanicModelEntry
from pipelib.predict.passengers import predictions, read_passenger_csv
from pipelib.titanic.data import TRAIN_SCHEMA, parse_passengers
from pipelib.titanic.model import build, fit_quietly, model_inputs


def fitted_on(frame: pd.DataFrame, estimator: str, params: dict[str, Any]) -> Pipeline:
    entry = TitanicModelEntry(estimator=estimator, params=params, preprocess=[])
    return fit_quietly(build(entry), model_inputs(frame), frame["Survived"].to_numpy())


def test_predictions_are_the_fitted_pipelines(tmp_path: Path) -> None:
    train = parse_passengers(helpers.titanic_csv_text(helpers.titanic_rows(50, 4), True), "t.csv", TRAIN_SCHEMA)
    fitted = fitted_on(train.to_pandas(), "sklearn.linear_model.LogisticRegression", {"random_state": 0})
    csv = tmp_path / "new.csv"
    csv.write_text(helpers.titanic_csv_text(helpers.titanic_rows(20, 5, first_id=900), labelled=False), "utf-8")

    passengers = read_passenger_csv(csv)
    table = predictions(fitted, passengers)

    assert list(table.columns) == ["PassengerId", "Survived", "score", "probability"]
    assert table["PassengerId"].tolist() == list(range(900, 920))
    expected = fitted.decision_function(model_inputs(passengers))
    np.testing.assert_array_equal(table["score"], expected)
    np.testing.assert_array_equal(table["probability"], fitted.predict_proba(model_inputs(passengers))[:, 1])
    np.testing.assert_array_equal(table["Survived"], fitted.predict(model_inputs(passengers)))
    high = predictions(fitted, passengers, threshold=float(np.median(expected)))
    assert high["Survived"].sum() == 10  # 20 distinct scores, half above their median


def test_a_model_without_a_decision_function_gives_what_it_has(tmp_path: Path) -> None:
    train = parse_passengers(helpers.titanic_csv_text(helpers.titanic_rows(50, 4), True), "t.csv", TRAIN_SCHEMA)
    fitted = fitted_on(train.to_pandas(), "sklearn.tree.DecisionTreeClassifier", {"random_state": 0})
    passengers = train.to_pandas().drop(columns="Survived")
    table = predictions(fitted, passengers)
    assert list(table.columns) == ["PassengerId", "Survived", "probability"]
    with pytest.raises(PipelineError, match=r"^--threshold needs a model with a decision score; this one has none$"):
        predictions(fitted, passengers, threshold=0.5)


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    csv = tmp_path / "new.csv"
    csv.write_text(helpers.titanic_csv_text(helpers.titanic_rows(3, 5), labelled=False, drop=["Fare"]), "utf-8")
    with pytest.raises(PipelineError, match=r"new\.csv: missing required column\(s\) Fare$"):
        read_passenger_csv(csv)


def test_a_bad_value_and_a_non_text_file_are_named(tmp_path: Path) -> None:
    csv = tmp_path / "new.csv"
    rows = helpers.titanic_rows(3, 5)
    rows[1]["Sex"] = "unknown"
    csv.write_text(helpers.titanic_csv_text(rows, labelled=False), "utf-8")
    with pytest.raises(PipelineError, match=r"new\.csv: row 2, column 'Sex': 'unknown' is not one of female, male"):
        read_passenger_csv(csv)
    csv.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(PipelineError, match=r"new\.csv: not UTF-8 text"):
        read_passenger_csv(csv)
