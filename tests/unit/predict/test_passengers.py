"""Passengers: Kaggle-layout CSVs validated as the pipeline's own, scored as scikit-learn's fitted pipeline does."""

from __future__ import annotations

from pathlib import Path

import helpers
import numpy as np
import pytest

from pipelib.errors import PipelineError
from pipelib.params import TitanicModelParams
from pipelib.predict.passengers import predictions, read_passenger_csv
from pipelib.titanic.data import TRAIN_SCHEMA, parse_passengers
from pipelib.titanic.model import TitanicModel, classifier, fit_quietly, model_inputs


def test_predictions_are_the_fitted_pipelines(tmp_path: Path) -> None:
    train = parse_passengers(helpers.titanic_csv_text(helpers.titanic_rows(50, 4), True), "t.csv", TRAIN_SCHEMA)
    frame = train.to_pandas()
    fitted = fit_quietly(
        classifier(TitanicModelParams(C=1.0, max_iter=100, random_state=0, cv_folds=10)),
        model_inputs(frame),
        frame["Survived"].to_numpy(),
    )
    model = TitanicModel.from_pipeline(fitted)
    csv = tmp_path / "new.csv"
    csv.write_text(helpers.titanic_csv_text(helpers.titanic_rows(20, 5, first_id=900), labelled=False), "utf-8")

    passengers = read_passenger_csv(csv)
    table = predictions(model, passengers)

    assert list(table.columns) == ["PassengerId", "Survived", "score"]
    assert table["PassengerId"].tolist() == list(range(900, 920))
    expected = fitted.decision_function(model_inputs(passengers))
    np.testing.assert_allclose(table["score"], expected, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(table["Survived"], fitted.predict(model_inputs(passengers)))
    high = predictions(model, passengers, threshold=float(np.median(expected)))
    assert high["Survived"].sum() == 10  # 20 distinct scores, half above their median


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
