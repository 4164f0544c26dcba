"""Titanic evaluation on a small fitted model: metrics against scikit-learn, the tables, input checks."""

from __future__ import annotations

from pathlib import Path

import helpers
import numpy as np
import pytest
from sklearn.metrics import accuracy_score, confusion_matrix, roc_auc_score

from pipelib.errors import PipelineError
from pipelib.params import LogisticParams, TitanicEvaluateParams
from pipelib.tables import write_table
from pipelib.titanic.data import TEST_SCHEMA, TRAIN_SCHEMA, parse_passengers
from pipelib.titanic.evaluation import TitanicInputs, evaluate, read_inputs, write_tables
from pipelib.titanic.frames import write_scores
from pipelib.titanic.model import TitanicModel, classifier, fit_quietly, model_inputs, out_of_fold_scores

PARAMS = LogisticParams(C=1.0, max_iter=100, random_state=0)


@pytest.fixture(scope="module")
def inputs() -> TitanicInputs:
    """48 small passengers (conftest's titanic_text), a model fitted on them and its 3-fold scores."""
    text = helpers.titanic_csv_text(helpers.titanic_rows(48, seed=3), labelled=True)
    passengers = parse_passengers(text, "small.csv", TRAIN_SCHEMA).to_pandas()
    target = passengers["Survived"].to_numpy().astype(np.int64)
    fitted = fit_quietly(classifier(PARAMS), model_inputs(passengers), target)
    fold, score = out_of_fold_scores(model_inputs(passengers), target, PARAMS, 3)
    test = passengers.drop(columns="Survived").head(5)
    return TitanicInputs(passengers, TitanicModel.from_pipeline(fitted), fold, score, test)


def test_metrics_agree_with_sklearn(inputs: TitanicInputs) -> None:
    result = evaluate(inputs, TitanicEvaluateParams(threshold=0.0, top_n=3, calibration_bins=10))
    target = inputs.passengers["Survived"].to_numpy() == 1
    tn, fp, fn, tp = confusion_matrix(target, inputs.score > 0).ravel()
    assert (result.cv.tn, result.cv.fp, result.cv.fn, result.cv.tp) == (tn, fp, fn, tp)
    assert result.roc_auc == pytest.approx(roc_auc_score(target, inputs.score))
    expected_folds = [accuracy_score(target[inputs.fold == k], inputs.score[inputs.fold == k] > 0) for k in range(3)]
    assert result.fold_accuracies == pytest.approx(expected_folds)
    train = inputs.model.decision_function(inputs.passengers) > 0
    assert result.train_accuracy == pytest.approx(accuracy_score(target, train))
    assert (result.n_rows, result.n_features) == (len(inputs.passengers), 12)


def test_threshold_above_every_score_predicts_nobody_survives(inputs: TitanicInputs) -> None:
    result = evaluate(inputs, TitanicEvaluateParams(threshold=1e6, top_n=3, calibration_bins=10))
    survivors = int(inputs.passengers["Survived"].sum())
    assert (result.cv.tp, result.cv.fp, result.cv.fn) == (0, 0, survivors)
    assert result.cv.rates()["precision"] == 0.0  # no positive predictions: 0, as scikit-learn
    assert result.test_survived.tolist() == [0] * 5


def test_extremes_and_written_tables(inputs: TitanicInputs, tmp_path: Path) -> None:
    result = evaluate(inputs, TitanicEvaluateParams(threshold=0.0, top_n=3, calibration_bins=10))
    table = result.extremes
    assert table["group"].tolist() == ["highest"] * 3 + ["lowest"] * 3
    scores = table["Score"].to_numpy()
    assert list(scores[:3]) == sorted(scores[:3], reverse=True) and list(scores[3:]) == sorted(scores[3:])
    write_tables(result, tmp_path / "x.csv", tmp_path / "c.csv", tmp_path / "p.csv", tmp_path / "r.csv")
    reliability = (tmp_path / "r.csv").read_text(encoding="utf-8").splitlines()
    assert reliability[0] == "mean_probability,fraction_positive"
    assert len(reliability) - 1 == len(result.calibration.count) <= 10
    assert (tmp_path / "p.csv").read_text(encoding="utf-8").splitlines()[0] == "PassengerId,Survived"
    assert len((tmp_path / "c.csv").read_text(encoding="utf-8").splitlines()) == 13


def test_read_inputs_refuses_scores_of_other_passengers(inputs: TitanicInputs, tmp_path: Path) -> None:
    import pyarrow as pa

    write_table(
        pa.Table.from_pandas(inputs.passengers, schema=TRAIN_SCHEMA, preserve_index=False), tmp_path / "t.parquet"
    )
    write_table(pa.Table.from_pandas(inputs.test, schema=TEST_SCHEMA, preserve_index=False), tmp_path / "u.parquet")
    inputs.model.save(tmp_path / "m.npz", PARAMS)
    target = inputs.passengers["Survived"].to_numpy() == 1
    ids = inputs.passengers["PassengerId"].to_numpy()
    write_scores(tmp_path / "s.parquet", ids, inputs.fold, target, inputs.score)
    paths = [tmp_path / name for name in ("t.parquet", "u.parquet", "m.npz", "s.parquet")]
    assert len(read_inputs(*paths).score) == len(ids)
    write_scores(tmp_path / "s.parquet", ids, inputs.fold, ~target, inputs.score)
    with pytest.raises(PipelineError, match="column 'target' disagrees with 'Survived'"):
        read_inputs(*paths)
    write_scores(tmp_path / "s.parquet", ids[:-1], inputs.fold[:-1], target[:-1], inputs.score[:-1])
    with pytest.raises(PipelineError, match="passengers do not match"):
        read_inputs(*paths)
