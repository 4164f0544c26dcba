"""The sklearn loaders: a model file back as the fitted estimator scikit-learn itself gives.

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
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from pipelib.errors import PipelineError
from pipelib.mnist.features import as_features
from pipelib.mnist.fitting import fit_logistic, save_model
from pipelib.params import BinaryParams, ImageLogisticParams, LogisticParams, TitanicModelEntry
from pipelib.predict.estimators import mnist_estimator, titanic_pipeline
from pipelib.titanic.data import TRAIN_SCHEMA, parse_passengers
from pipelib.titanic.model import build, fit_quietly, model_inputs, save

SOFTMAX = ImageLogisticParams(C=10.0, max_iter=30, random_state=0, dtype="float64", matrix="dense", n_jobs=1)
BINARY = BinaryParams(C=0.5, max_iter=30, random_state=0, dtype="float64", matrix="dense", n_jobs=1, cv_folds=3)
TITANIC = TitanicModelEntry(
    estimator="sklearn.linear_model.LogisticRegression",
    params={"C": 0.7, "max_iter": 100, "random_state": 0},
    preprocess=[],
)


def sklearn_fit(pixels: np.ndarray, target: np.ndarray, params: LogisticParams) -> LogisticRegression:
    """The estimator as the seed fits it, straight from scikit-learn (BLAS on one thread, as the stages fit)."""
    estimator = LogisticRegression(C=params.C, max_iter=params.max_iter, random_state=params.random_state)
    with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(pixels.astype(np.float64), target)


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(train pixels, train labels, test pixels, test labels): 300 + 100 learnable synthetic digits."""
    pixels, labels = helpers.synthetic_digits(400, seed=5)
    return pixels[:300], labels[:300], pixels[300:], labels[300:]


@pytest.mark.parametrize("params", [SOFTMAX, BINARY], ids=["softmax", "binary"])
def test_mnist_estimator_is_the_fitted_logistic_regression(digits, params, tmp_path: Path) -> None:
    train, labels, test, _ = digits
    target = labels if params is SOFTMAX else labels == 5
    fitted = fit_logistic(as_features(train, "float64", "dense"), target, params, "test")  # the stages' code
    save_model(tmp_path / "model.npz", fitted, params, len(target))
    reference = sklearn_fit(train, target, params)

    loaded = mnist_estimator(tmp_path / "model.npz")

    assert isinstance(loaded, LogisticRegression)
    np.testing.assert_array_equal(loaded.classes_, reference.classes_)
    assert loaded.n_features_in_ == 784
    assert loaded.get_params()["C"] == params.C and loaded.get_params()["max_iter"] == params.max_iter
    np.testing.assert_array_equal(loaded.predict(test), reference.predict(test))
    # exactly the pipeline's own model; scikit-learn's fit of the same problem agrees to rounding
    # (the pipeline owns its lbfgs objective and sums it over row blocks)
    np.testing.assert_array_equal(loaded.decision_function(test), fitted.decision_function(test.astype(np.float64)))
    np.testing.assert_allclose(loaded.decision_function(test), reference.decision_function(test), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(loaded.predict_proba(test), reference.predict_proba(test), rtol=1e-7, atol=1e-12)
    assert loaded.score(test, reference.predict(test)) == 1.0


def test_mnist_estimator_refuses_a_titanic_model(tmp_path: Path) -> None:
    passengers = parse_passengers(helpers.titanic_csv_text(helpers.titanic_rows(30, 2), True), "t.csv", TRAIN_SCHEMA)
    frame = passengers.to_pandas()
    fitted = fit_quietly(build(TITANIC), model_inputs(frame), frame["Survived"].to_numpy())
    save(fitted, tmp_path / "logistic.skops")
    wrong_kind = r"logistic\.skops: a Titanic model, expected an MNIST model \(models/binary\.npz, "
    with pytest.raises(PipelineError, match=wrong_kind):
        mnist_estimator(tmp_path / "logistic.skops")


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
    from workspaces import linear_model

    save_model(tmp_path / "softmax.npz", linear_model(10, seed=1), SOFTMAX, 10)
    wrong_kind = r"softmax\.npz: an MNIST model, expected a Titanic model \(models/titanic/<name>\.skops\)$"
    with pytest.raises(PipelineError, match=wrong_kind):
        titanic_pipeline(tmp_path / "softmax.npz")
