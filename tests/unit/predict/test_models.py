"""MNIST model files checked for their kind: a Titanic model, another estimator or an unfitted one is named."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import helpers
import numpy as np
import pytest
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.linear_model import LinearRegression, LogisticRegression

from pipelib import skops_file
from pipelib.errors import PipelineError
from pipelib.mnist import models as mnist_models
from pipelib.titanic import model as titanic_model


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    pixels, labels = helpers.synthetic_digits(60, seed=9)
    return pixels.astype(np.float64), labels


def refused(path: Path, message: str) -> None:
    with pytest.raises(PipelineError, match="^" + re.escape(f"{path}: {message}") + "$"):
        mnist_models.load(path)


def saved(model: Any, path: Path) -> Path:
    skops_file.save(model, path)
    return path


def test_a_titanic_model_given_for_digits_is_named(tmp_path: Path) -> None:
    path = saved(helpers.hand_titanic_model([0.0] * 12), tmp_path / "logistic.skops")
    refused(path, "a Titanic model, expected an MNIST model (models/mnist/<name>.skops)")


def test_an_mnist_model_given_for_passengers_is_named(tmp_path: Path) -> None:
    model = helpers.hand_digit_model(np.zeros((10, 784)), np.zeros(10), np.arange(10))
    path = saved(model, tmp_path / "softmax.skops")
    with pytest.raises(PipelineError) as caught:
        titanic_model.load(path)
    assert str(caught.value) == f"{path}: an MNIST model, expected a Titanic model (models/titanic/<name>.skops)"


def test_an_estimator_that_is_not_an_allow_listed_classifier_is_refused(tmp_path: Path, digits) -> None:
    pixels, labels = digits
    outside = saved(LinearDiscriminantAnalysis().fit(pixels, labels), tmp_path / "lda.skops")
    refused(
        outside, "refused, sklearn.discriminant_analysis.LinearDiscriminantAnalysis is not an allow-listed classifier"
    )
    regressor = saved(LinearRegression().fit(pixels, labels), tmp_path / "regression.skops")
    refused(regressor, "refused, sklearn.linear_model.LinearRegression is not an allow-listed classifier")
    refused(
        saved({"classes_": np.arange(10)}, tmp_path / "dict.skops"),
        "refused, builtins.dict is not an allow-listed classifier",
    )


def test_an_unfitted_model_or_another_input_size_is_refused(tmp_path: Path) -> None:
    wanted = "not a fitted MNIST model (classes_ and 784 input pixels expected)"
    refused(saved(LogisticRegression(), tmp_path / "unfitted.skops"), wanted)
    narrow = helpers.hand_digit_model(np.ones((10, 100)), np.zeros(10), np.arange(10))
    refused(saved(narrow, tmp_path / "narrow.skops"), wanted)
    control = helpers.hand_digit_model(np.ones((10, 784)), np.zeros(10), np.arange(10))  # 784 pixels: it loads
    np.testing.assert_array_equal(mnist_models.load(saved(control, tmp_path / "ok.skops")).coef_, control.coef_)
