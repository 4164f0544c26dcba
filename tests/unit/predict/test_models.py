"""Model files checked for their kind, and the LogisticRegression parameters they record."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from pipelib import skops_file
from pipelib.errors import PipelineError
from pipelib.mnist.fitting import LinearModel, save_model
from pipelib.modelfile import save_arrays
from pipelib.params import ImageLogisticParams
from pipelib.predict.estimators import mnist_estimator
from pipelib.predict.models import load_mnist_model, load_titanic_model, logistic_params

SOFTMAX = ImageLogisticParams(C=10.0, max_iter=30, random_state=7, dtype="float64", matrix="dense", n_jobs=1)


def mnist_arrays() -> dict[str, np.ndarray]:
    return {"coef": np.zeros((10, 784)), "intercept": np.zeros(10), "classes": np.arange(10)}


@pytest.mark.parametrize(
    ("meta", "found"),
    [
        ({}, "no model kind"),
        ({"kind": 3}, "no model kind"),
        ({"kind": "random_forest"}, "a model of unknown kind 'random_forest'"),
    ],
)
def test_a_model_of_another_kind_is_named(tmp_path: Path, meta: dict[str, Any], found: str) -> None:
    path = tmp_path / "model.npz"
    save_arrays(path, mnist_arrays(), meta)
    wanted = "an MNIST model (models/binary.npz, softmax.npz or softmax_augmented.npz)"
    with pytest.raises(PipelineError) as caught:
        load_mnist_model(path)
    assert str(caught.value) == f"{path}: {found}, expected {wanted}"


def test_a_titanic_model_is_wanted_by_name(tmp_path: Path) -> None:
    path = tmp_path / "model.npz"
    save_arrays(path, mnist_arrays(), {"kind": "logistic_regression"})
    with pytest.raises(PipelineError) as caught:
        load_titanic_model(path)
    assert str(caught.value) == f"{path}: an MNIST model, expected a Titanic model (models/titanic/<name>.skops)"


def test_a_titanic_model_given_for_digits_is_named(tmp_path: Path) -> None:
    path = tmp_path / "logistic.skops"
    skops_file.save(Pipeline([("model", LogisticRegression())]), path)
    with pytest.raises(PipelineError) as caught:
        load_mnist_model(path)
    wanted = "an MNIST model (models/binary.npz, softmax.npz or softmax_augmented.npz)"
    assert str(caught.value) == f"{path}: a Titanic model, expected {wanted}"


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        ({"params": {"C": 10.0, "max_iter": 100, "random_state": 0}}, {"C": 10.0, "max_iter": 100, "random_state": 0}),
        (
            {"params": {"C": 1, "max_iter": 5, "random_state": 3, "n_jobs": 2}},
            {"C": 1, "max_iter": 5, "random_state": 3},
        ),
        ({"params": {"C": "10", "max_iter": True, "random_state": 1.5}}, {}),  # wrong types and bools dropped
        ({"params": {"C": False, "max_iter": 2.0}}, {}),
        ({"params": ["C", 10]}, {}),
        ({}, {}),
    ],
)
def test_logistic_params_keeps_only_well_typed_values(meta: dict[str, Any], expected: dict[str, Any]) -> None:
    assert logistic_params(meta) == expected


def test_the_estimator_has_the_recorded_parameters_and_iterations(tmp_path: Path) -> None:
    model = LinearModel(np.zeros((10, 784)), np.zeros(10), np.arange(10), n_iter=17)
    save_model(tmp_path / "softmax.npz", model, SOFTMAX, 100)
    estimator = mnist_estimator(tmp_path / "softmax.npz")
    assert {name: estimator.get_params()[name] for name in ("C", "max_iter", "random_state")} == {
        "C": 10.0,
        "max_iter": 30,
        "random_state": 7,
    }
    assert estimator.n_iter_.tolist() == [17]


def test_without_recorded_parameters_the_estimator_has_scikit_learns_defaults(tmp_path: Path) -> None:
    save_arrays(tmp_path / "bare.npz", mnist_arrays(), {"kind": "logistic_regression"})
    params = mnist_estimator(tmp_path / "bare.npz").get_params()
    assert (params["C"], params["max_iter"], params["random_state"]) == (1.0, 100, None)
