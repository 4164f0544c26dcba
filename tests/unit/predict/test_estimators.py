"""The loaders: a model file back as the fitted estimator scikit-learn itself gives.

The reference is scikit-learn's own fit on the same small data: the loaded estimators'
predictions, decision scores and probabilities must equal the fitted ones exactly.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import helpers
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline

from pipelib.errors import PipelineError
from pipelib.mnist import models as mnist_models
from pipelib.params import TitanicModelEntry
from pipelib.predict.estimators import titanic_pipeline
from pipelib.titanic.data import TRAIN_SCHEMA, parse_passengers
from pipelib.titanic.model import build, fit_quietly, model_inputs, save

TITANIC = TitanicModelEntry(
    estimator="sklearn.linear_model.LogisticRegression",
    params={"C": 0.7, "max_iter": 100, "random_state": 0},
    preprocess=[],
)


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(train pixels, train labels, test pixels): 300 + 100 learnable synthetic digits."""
    pixels, labels = helpers.synthetic_digits(400, seed=5)
    return pixels[:300], labels[:300], pixels[300:]


@pytest.mark.parametrize("kind", ["softmax", "binary", "knn"])
def test_an_mnist_model_file_is_the_fitted_estimator(digits, kind: str, tmp_path: Path) -> None:
    train, labels, test = digits
    if kind == "knn":
        fitted = KNeighborsClassifier(n_neighbors=4, weights="distance").fit(train.astype(np.float32), labels)
    else:
        target = labels if kind == "softmax" else labels == 5
        fitted = LogisticRegression(C=0.01, max_iter=500).fit(train.astype(np.float64), target)
    mnist_models.save(fitted, tmp_path / "model.skops")

    loaded = mnist_models.load(tmp_path / "model.skops")

    assert type(loaded) is type(fitted) and loaded.get_params() == fitted.get_params()
    np.testing.assert_array_equal(loaded.classes_, fitted.classes_)
    assert loaded.n_features_in_ == 784
    features = test.astype(mnist_models.input_dtype(loaded))
    assert features.dtype == (np.float32 if kind == "knn" else np.float64)  # the dtype it was fitted on
    np.testing.assert_array_equal(mnist_models.predict(loaded, test), fitted.predict(features))
    np.testing.assert_array_equal(loaded.predict_proba(features), fitted.predict_proba(features))
    if kind != "knn":
        np.testing.assert_array_equal(loaded.decision_function(features), fitted.decision_function(features))


# --- Titanic ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def titanic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Pipeline, Path, pd.DataFrame, str]:
    """(the stage's fitted pipeline, its model file, the training frame, new passengers as CSV text)."""
    train = parse_passengers(helpers.titanic_csv_text(helpers.titanic_rows(60, 7), True), "t.csv", TRAIN_SCHEMA)
    frame = train.to_pandas()
    fitted = fit_quietly(build(TITANIC), model_inputs(frame), frame["Survived"].to_numpy().astype(np.int64))
    path = tmp_path_factory.mktemp("titanic") / "logistic.skops"
    save(fitted, path)
    new = helpers.titanic_rows(25, seed=8, first_id=1000)
    new[0].update(Age="", Fare="", Embarked="")  # every imputer at work
    return fitted, path, frame, helpers.titanic_csv_text(new, labelled=False)


def test_titanic_pipeline_is_the_fitted_pipeline(titanic) -> None:
    fitted, path, _, new_csv = titanic
    loaded = titanic_pipeline(path)
    raw = pd.read_csv(io.StringIO(new_csv))  # Kaggle's layout as pandas reads it: Pclass int, NaN for empty

    assert [name for name, _ in loaded.steps] == ["inputs", "preprocess", "model"]
    expected_inputs = model_inputs(raw)
    np.testing.assert_array_equal(loaded.predict(raw), fitted.predict(expected_inputs))
    np.testing.assert_array_equal(loaded.decision_function(raw), fitted.decision_function(expected_inputs))
    np.testing.assert_array_equal(loaded.predict_proba(raw), fitted.predict_proba(expected_inputs))
    np.testing.assert_array_equal(loaded[1:].predict(expected_inputs), fitted.predict(expected_inputs))
    np.testing.assert_array_equal(
        loaded.named_steps["preprocess"].get_feature_names_out(),
        fitted.named_steps["preprocess"].get_feature_names_out(),
    )


def test_titanic_pipeline_refits_to_the_same_model(titanic) -> None:
    """Its parameters are the fit's: cloned and refitted on the training data, it gives the file's model again."""
    fitted, path, frame, _ = titanic
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        refitted = clone(titanic_pipeline(path)).fit(frame, frame["Survived"].to_numpy().astype(np.int64))
    assert TITANIC.params["C"] == refitted.named_steps["model"].C
    np.testing.assert_array_equal(refitted.named_steps["model"].coef_, fitted.named_steps["model"].coef_)


def test_titanic_pipeline_refuses_an_mnist_model(tmp_path: Path) -> None:
    model = helpers.hand_digit_model(np.zeros((10, 784)), np.zeros(10), np.arange(10))
    mnist_models.save(model, tmp_path / "softmax.skops")
    wrong_kind = r"softmax\.skops: an MNIST model, expected a Titanic model \(models/titanic/<name>\.skops\)$"
    with pytest.raises(PipelineError, match=wrong_kind):
        titanic_pipeline(tmp_path / "softmax.skops")
