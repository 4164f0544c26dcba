"""The Titanic Pipeline and model file on a five-passenger frame whose medians and modes are worked by hand."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from pathlib import Path

import helpers
import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from pipelib.errors import PipelineError
from pipelib.params import TitanicModelEntry
from pipelib.titanic.model import build, feature_names, fit_quietly, load, model_inputs, predict, save

FEATURES = helpers.TITANIC_FEATURES
FRAME = pd.DataFrame(
    {
        "PassengerId": [1, 2, 3, 4, 5],
        "Pclass": [3, 1, 3, 2, 1],  # 3 and 1 twice each: the smaller, "1", is the most frequent
        "Sex": ["male", "female", "male", None, "female"],  # a tie again: "female"
        "Age": [22.0, None, 30.0, 40.0, None],  # median of 22, 30, 40: 30
        "SibSp": [0, 1, 1, 3, 0],  # 0 0 1 1 3: 1
        "Parch": [0, 0, 2, 1, 5],  # 0 0 1 2 5: 1
        "Fare": [7.25, 10.0, None, 100.0, 8.0],  # 7.25 8 10 100: 9
        "Embarked": ["S", None, "C", "S", "Q"],  # S
    }
)
TARGET = np.array([0, 1, 0, 1, 1])
#                   Age  SibSp Parch Fare   P1 P2 P3  F  M  C  Q  S
EXPECTED = np.array(
    [
        [22.0, 0.0, 0.0, 7.25, 0, 0, 1, 0, 1, 0, 0, 1],
        [30.0, 1.0, 0.0, 10.0, 1, 0, 0, 1, 0, 0, 0, 1],  # Age and Embarked imputed
        [30.0, 1.0, 2.0, 9.00, 0, 0, 1, 0, 1, 1, 0, 0],  # Fare imputed
        [40.0, 3.0, 1.0, 100.0, 0, 1, 0, 1, 0, 0, 0, 1],  # Sex imputed
        [30.0, 0.0, 5.0, 8.00, 1, 0, 0, 1, 0, 0, 1, 0],  # Age imputed
    ]
)
LOGISTIC = TitanicModelEntry(
    estimator="sklearn.linear_model.LogisticRegression",
    params={"C": 1.0, "max_iter": 100, "random_state": 0},
    preprocess=[],
)


def fitted(entry: TitanicModelEntry = LOGISTIC) -> Pipeline:
    return fit_quietly(build(entry), model_inputs(FRAME), TARGET)


def test_the_fit_takes_medians_and_the_smallest_most_frequent_value() -> None:
    columns = fitted()[0].named_transformers_
    assert columns["num"].named_steps["imputer"].statistics_.tolist() == [30.0, 1.0, 1.0, 9.0]
    assert columns["cat"].named_steps["imputer"].statistics_.tolist() == ["1", "female", "S"]
    categories = columns["cat"].named_steps["encoder"].categories_
    assert [values.tolist() for values in categories] == [["1", "2", "3"], ["female", "male"], ["C", "Q", "S"]]
    assert feature_names(fitted()) == FEATURES


def test_transform_imputes_and_one_hot_encodes_as_worked_by_hand() -> None:
    np.testing.assert_array_equal(fitted()[0].transform(model_inputs(FRAME)), EXPECTED)


def test_scale_numeric_standardizes_the_imputed_numeric_columns_only() -> None:
    entry = TitanicModelEntry(estimator="sklearn.svm.SVC", params={}, preprocess=["scale_numeric"])
    matrix = fitted(entry)[0].transform(model_inputs(FRAME))
    numeric = EXPECTED[:, :4]
    by_hand = (numeric - numeric.mean(axis=0)) / numeric.std(axis=0)  # population std, as StandardScaler
    np.testing.assert_allclose(matrix[:, :4], by_hand, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(matrix[:, 4:], EXPECTED[:, 4:])
    assert isinstance(fitted(entry)[-1], SVC) and fitted(entry)[-1].gamma == "scale"


def test_build_passes_the_entrys_hyperparameters() -> None:
    entry = TitanicModelEntry(
        estimator="sklearn.ensemble.RandomForestClassifier",
        params={"n_estimators": 7, "random_state": 42},
        preprocess=[],
    )
    model = build(entry)[-1]
    assert isinstance(model, RandomForestClassifier) and (model.n_estimators, model.random_state) == (7, 42)


def test_fit_quietly_silences_only_the_convergence_warning() -> None:
    one_step = TitanicModelEntry(estimator=LOGISTIC.estimator, params={"max_iter": 1}, preprocess=[])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit_quietly(build(one_step), model_inputs(FRAME), TARGET)
    assert [item.category for item in caught] == []
    with warnings.catch_warnings(record=True) as caught:  # control: one iteration does warn
        warnings.simplefilter("always")
        build(one_step).fit(model_inputs(FRAME), TARGET)
    assert ConvergenceWarning in [item.category for item in caught]


def test_predictions_say_what_the_model_offers() -> None:
    found = predict(fitted(), model_inputs(FRAME))
    assert found.score is not None and found.probability is not None
    # the logistic function of the score is the probability; the class is the score above 0
    np.testing.assert_allclose(found.probability, 1 / (1 + np.exp(-found.score)), rtol=1e-12)
    np.testing.assert_array_equal(found.survived, found.score > 0)


@pytest.mark.parametrize(
    ("build_object", "message"),
    [
        (lambda: LogisticRegression().fit(EXPECTED, TARGET), "an MNIST model, expected a Titanic model"),
        (lambda: Pipeline([("model", LogisticRegression())]), "not a Titanic model (expected a Pipeline"),
        (
            lambda: Pipeline([("preprocess", StandardScaler()), ("model", LogisticRegression())]),
            "not a Titanic model (its preprocessing is not a fitted ColumnTransformer)",
        ),
        (
            lambda: Pipeline([("preprocess", fitted()[0]), ("model", GaussianNB().fit(EXPECTED, TARGET))]),
            "refused, its estimator sklearn.naive_bayes.GaussianNB is not an allow-listed classifier",
        ),
    ],
)
def test_a_skops_file_that_is_not_a_titanic_model_is_refused(
    tmp_path: Path, build_object: Callable[[], object], message: str
) -> None:
    path = tmp_path / "model.skops"
    save(build_object(), path)
    with pytest.raises(PipelineError, match="^" + re.escape(f"{path}: {message}")):
        load(path)
