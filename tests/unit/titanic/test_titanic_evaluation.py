"""Titanic evaluation of small fitted models: metrics against scikit-learn, the tables, input checks."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import helpers
import numpy as np
import pyarrow as pa
import pytest
from sklearn.metrics import accuracy_score, confusion_matrix, roc_auc_score

from pipelib.errors import PipelineError
from pipelib.params import TitanicEvaluateParams, TitanicModelEntry
from pipelib.tables import write_table
from pipelib.titanic.data import TEST_SCHEMA, TRAIN_SCHEMA, parse_passengers
from pipelib.titanic.evaluation import FittedModel, TitanicInputs, evaluate, read_inputs, write_tables
from pipelib.titanic.frames import write_out_of_fold
from pipelib.titanic.model import build, fit_quietly, model_inputs, out_of_fold, save

ENTRIES = {
    "logistic": TitanicModelEntry(
        estimator="sklearn.linear_model.LogisticRegression", params={"random_state": 0}, preprocess=[]
    ),
    "tree": TitanicModelEntry(
        estimator="sklearn.tree.DecisionTreeClassifier", params={"max_depth": 2, "random_state": 0}, preprocess=[]
    ),
}
SETTINGS = TitanicEvaluateParams(reference="logistic", top_n=3, calibration_bins=10)


@pytest.fixture(scope="module")
def inputs() -> TitanicInputs:
    """48 small passengers (conftest's titanic_text), two models fitted on them and their 3-fold predictions."""
    text = helpers.titanic_csv_text(helpers.titanic_rows(48, seed=3), labelled=True)
    passengers = parse_passengers(text, "small.csv", TRAIN_SCHEMA).to_pandas()
    target = passengers["Survived"].to_numpy().astype(np.int64)
    models = {}
    for name, entry in ENTRIES.items():
        fold, found = out_of_fold(build(entry), model_inputs(passengers), target, 3, f"titanic.models.{name}.params")
        models[name] = FittedModel(fit_quietly(build(entry), model_inputs(passengers), target), found)
    test = passengers.drop(columns="Survived").head(5)
    return TitanicInputs(passengers, fold, models, test)


def test_metrics_agree_with_sklearn(inputs: TitanicInputs) -> None:
    result = evaluate(inputs, SETTINGS)
    target = inputs.passengers["Survived"].to_numpy() == 1
    for name, fitted in inputs.models.items():
        found, got = fitted.out_of_fold, result.results[name]
        tn, fp, fn, tp = confusion_matrix(target, found.survived).ravel()
        assert (got.cv.tn, got.cv.fp, got.cv.fn, got.cv.tp) == (tn, fp, fn, tp)
        ranking = found.score if found.score is not None else found.probability
        assert got.roc_auc == pytest.approx(roc_auc_score(target, ranking))
        expected = [accuracy_score(target[inputs.fold == k], found.survived[inputs.fold == k]) for k in range(3)]
        assert got.fold_accuracies == pytest.approx(expected)
        train = fitted.pipeline.predict(model_inputs(inputs.passengers)) == 1
        assert got.train_accuracy == pytest.approx(accuracy_score(target, train))
    assert (result.n_rows, result.n_features) == (len(inputs.passengers), 12)


def test_extremes_and_written_tables(inputs: TitanicInputs, tmp_path: Path) -> None:
    result = evaluate(inputs, SETTINGS)
    table = result.extremes
    assert table["group"].tolist() == ["highest"] * 3 + ["lowest"] * 3
    scores = table["Score"].to_numpy()
    assert list(scores[:3]) == sorted(scores[:3], reverse=True) and list(scores[3:]) == sorted(scores[3:])
    write_tables(result, tmp_path / "x.csv", tmp_path / "c.csv", tmp_path / "p.csv", tmp_path / "r.csv")
    reliability = (tmp_path / "r.csv").read_text(encoding="utf-8").splitlines()
    assert reliability[0] == "mean_probability,fraction_positive"
    calibration = result.results["logistic"].calibration
    assert calibration is not None and len(reliability) - 1 == len(calibration.count) <= 10
    assert (tmp_path / "p.csv").read_text(encoding="utf-8").splitlines()[0] == "PassengerId,Survived"
    assert len((tmp_path / "c.csv").read_text(encoding="utf-8").splitlines()) == 13


def test_an_empty_test_table_gives_an_empty_submission_and_changes_nothing_else(
    inputs: TitanicInputs, tmp_path: Path
) -> None:
    """What fetch_titanic writes without a test.csv: every other table as with the five test passengers."""
    with_test = evaluate(inputs, SETTINGS)
    without = evaluate(dataclasses.replace(inputs, test=TEST_SCHEMA.empty_table().to_pandas()), SETTINGS)
    assert (without.test_ids.tolist(), without.test_survived.tolist()) == ([], [])
    assert without.results == with_test.results and without.summary == with_test.summary
    written = {}
    for name, result in (("with", with_test), ("without", without)):
        paths = [
            tmp_path / name / f"{table}.csv" for table in ("extremes", "coefficients", "submission", "reliability")
        ]
        paths[0].parent.mkdir()
        write_tables(result, *paths)
        written[name] = {path.stem: path.read_text(encoding="utf-8") for path in paths}
    assert written["without"]["submission"] == "PassengerId,Survived\n"
    assert len(written["with"]["submission"].splitlines()) == 6
    for table in ("extremes", "coefficients", "reliability"):
        assert written["without"][table] == written["with"][table]


def write_inputs(inputs: TitanicInputs, root: Path) -> list[Path]:
    """The stage's input files; returns the paths read_inputs takes after the names."""
    write_table(pa.Table.from_pandas(inputs.passengers, schema=TRAIN_SCHEMA, preserve_index=False), root / "t.parquet")
    write_table(pa.Table.from_pandas(inputs.test, schema=TEST_SCHEMA, preserve_index=False), root / "u.parquet")
    target = inputs.passengers["Survived"].to_numpy() == 1
    ids = inputs.passengers["PassengerId"].to_numpy()
    for name, fitted in inputs.models.items():
        save(fitted.pipeline, root / "models" / f"{name}.skops")
        write_out_of_fold(root / "oof" / f"{name}.parquet", ids, inputs.fold, target, fitted.out_of_fold)
    return [root / "t.parquet", root / "u.parquet"]


def test_read_inputs_round_trip_and_refusals(inputs: TitanicInputs, tmp_path: Path) -> None:
    train, test = write_inputs(inputs, tmp_path)
    names = list(inputs.models)
    read = read_inputs(train, test, names, tmp_path / "models", tmp_path / "oof")
    assert list(read.models) == names and np.array_equal(read.fold, inputs.fold)
    assert read.models["tree"].out_of_fold.score is None  # a tree has probabilities, no decision function
    assert evaluate(read, SETTINGS).results == evaluate(inputs, SETTINGS).results
    target = inputs.passengers["Survived"].to_numpy() == 1
    ids = inputs.passengers["PassengerId"].to_numpy()
    found = inputs.models["tree"].out_of_fold
    oof = tmp_path / "oof" / "tree.parquet"
    write_out_of_fold(oof, ids, (inputs.fold + 1) % 3, target, found)
    with pytest.raises(PipelineError, match="its folds differ from the other models'"):
        read_inputs(train, test, names, tmp_path / "models", tmp_path / "oof")
    write_out_of_fold(oof, ids, inputs.fold, ~target, found)
    with pytest.raises(PipelineError, match="column 'target' disagrees with 'Survived'"):
        read_inputs(train, test, names, tmp_path / "models", tmp_path / "oof")
    short = dataclasses.replace(found, survived=found.survived[:-1], probability=found.probability[:-1])  # type: ignore[index]
    write_out_of_fold(oof, ids[:-1], inputs.fold[:-1], target[:-1], short)
    with pytest.raises(PipelineError, match="passengers do not match"):
        read_inputs(train, test, names, tmp_path / "models", tmp_path / "oof")
    with pytest.raises(PipelineError, match=r"missing\.parquet: .*not found"):
        read_inputs(train, test, ["missing", *names], tmp_path / "models", tmp_path / "oof")
