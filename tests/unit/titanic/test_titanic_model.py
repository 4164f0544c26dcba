"""The Titanic preprocessing and model file on a five-passenger frame whose medians and modes are worked by hand."""

from __future__ import annotations

import dataclasses
import re
import warnings
from pathlib import Path

import helpers
import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import ConvergenceWarning

from pipelib.errors import PipelineError
from pipelib.modelfile import save_arrays
from pipelib.params import LogisticParams
from pipelib.titanic.model import TitanicModel, classifier, fit_quietly, model_inputs

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
PARAMS = LogisticParams(C=1.0, max_iter=100, random_state=0)
ARRAYS = {
    "medians": np.array([30.0, 1.0, 1.0, 9.0]),
    "most_frequent": np.array(["1", "female", "S"]),
    "coef": np.zeros(12),
    "intercept": np.zeros(1),
    "categories_Pclass": np.array(["1", "2", "3"]),
    "categories_Sex": np.array(["female", "male"]),
    "categories_Embarked": np.array(["C", "Q", "S"]),
}


def fitted_model() -> TitanicModel:
    return TitanicModel.from_pipeline(fit_quietly(classifier(PARAMS), model_inputs(FRAME), TARGET))


def test_the_fit_takes_medians_and_the_smallest_most_frequent_value() -> None:
    model = fitted_model()
    assert model.medians.tolist() == [30.0, 1.0, 1.0, 9.0]
    assert model.most_frequent.tolist() == ["1", "female", "S"]
    assert [values.tolist() for values in model.categories] == [["1", "2", "3"], ["female", "male"], ["C", "Q", "S"]]
    assert model.feature_names == FEATURES


def test_transform_imputes_and_one_hot_encodes_as_worked_by_hand() -> None:
    model = fitted_model()
    np.testing.assert_array_equal(model.transform(FRAME), EXPECTED)
    pipeline = fit_quietly(classifier(PARAMS), model_inputs(FRAME), TARGET)
    np.testing.assert_array_equal(pipeline.named_steps["preprocess"].transform(model_inputs(FRAME)), EXPECTED)


def test_decision_function_is_the_linear_score() -> None:
    coef = np.zeros(12)
    coef[FEATURES.index("Female")] = 2.0
    coef[FEATURES.index("Age")] = 0.1
    model = dataclasses.replace(fitted_model(), coef=coef, intercept=-1.5)
    # 0.1 * age + 2 * female - 1.5
    np.testing.assert_allclose(model.decision_function(FRAME), [0.7, 3.5, 1.5, 4.5, 3.5], rtol=0, atol=1e-12)


def test_fit_quietly_silences_only_the_convergence_warning() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit_quietly(classifier(LogisticParams(C=1.0, max_iter=1, random_state=0)), model_inputs(FRAME), TARGET)
    assert [item.category for item in caught] == []
    with warnings.catch_warnings(record=True) as caught:  # control: one iteration does warn
        warnings.simplefilter("always")
        classifier(LogisticParams(C=1.0, max_iter=1, random_state=0)).fit(model_inputs(FRAME), TARGET)
    assert ConvergenceWarning in [item.category for item in caught]


def test_a_model_is_immutable_and_needs_all_three_category_lists(tmp_path: Path) -> None:
    model = fitted_model()
    with pytest.raises(dataclasses.FrozenInstanceError):
        model.intercept = 0.0  # type: ignore[misc]
    short = dataclasses.replace(model, categories=model.categories[:2])
    with pytest.raises(ValueError, match="zip"):
        _ = short.feature_names
    with pytest.raises(ValueError, match="zip"):
        short.transform(FRAME)
    with pytest.raises(ValueError, match="zip"):
        short.save(tmp_path / "short.npz", PARAMS)


def test_a_saved_model_loads_with_the_same_arrays(tmp_path: Path) -> None:
    model = dataclasses.replace(fitted_model(), intercept=-0.25)
    model.save(tmp_path / "titanic.npz", PARAMS)
    loaded = TitanicModel.load(tmp_path / "titanic.npz")
    assert loaded.intercept == -0.25
    assert loaded.medians.tolist() == [30.0, 1.0, 1.0, 9.0] and loaded.most_frequent.tolist() == ["1", "female", "S"]
    np.testing.assert_array_equal(loaded.coef, model.coef)
    np.testing.assert_array_equal(loaded.transform(FRAME), EXPECTED)


def test_fewer_categories_give_fewer_columns(tmp_path: Path) -> None:
    arrays = {**ARRAYS, "categories_Pclass": np.array(["1", "3"]), "coef": np.arange(11.0)}
    save_arrays(tmp_path / "titanic.npz", arrays, {"kind": "titanic_logistic_regression"})
    model = TitanicModel.load(tmp_path / "titanic.npz")
    assert model.feature_names == [name for name in FEATURES if name != "Pclass_2"]
    assert model.transform(FRAME).shape == (5, 11)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"medians": np.zeros((1, 4))}, "array 'medians' is not a 1-d floating-point array"),
        ({"coef": np.zeros(12, dtype=np.int64)}, "array 'coef' is not a 1-d floating-point array"),
        ({"intercept": np.array(["0"])}, "array 'intercept' is not a 1-d floating-point array"),
        ({"most_frequent": np.zeros(3)}, "array 'most_frequent' is not a 1-d text array"),
        ({"categories_Sex": np.array([0.0, 1.0])}, "array 'categories_Sex' is not a 1-d text array"),
        ({"categories_Embarked": np.array([["C", "Q", "S"]])}, "array 'categories_Embarked' is not a 1-d text array"),
        ({"medians": np.zeros(3)}, "model arrays have inconsistent shapes"),
        ({"most_frequent": np.array(["1", "female"])}, "model arrays have inconsistent shapes"),
        ({"coef": np.zeros(11)}, "model arrays have inconsistent shapes"),
        ({"intercept": np.zeros(0)}, "model arrays have inconsistent shapes"),
        ({"categories_Sex": np.array(["female"])}, "model arrays have inconsistent shapes"),  # 11 columns, 12 coefs
    ],
)
def test_a_malformed_model_file_is_refused(tmp_path: Path, changes: dict[str, np.ndarray], message: str) -> None:
    path = tmp_path / "titanic.npz"
    save_arrays(path, {**ARRAYS, **changes}, {"kind": "titanic_logistic_regression"})
    with pytest.raises(PipelineError, match="^" + re.escape(f"{path}: {message}") + "$"):
        TitanicModel.load(path)


def test_more_values_than_a_titanic_model_has_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "titanic.npz"
    save_arrays(path, {**ARRAYS, "intercept": np.zeros(2)}, {"kind": "titanic_logistic_regression"})
    with pytest.raises(PipelineError, match=re.escape(f"{path}: array 'intercept' claims shape (2,) of <f8")):
        TitanicModel.load(path)
    save_arrays(path, {**ARRAYS, "medians": np.zeros(5)}, {"kind": "titanic_logistic_regression"})
    with pytest.raises(PipelineError, match=re.escape(f"{path}: array 'medians' claims shape (5,) of <f8")):
        TitanicModel.load(path)
    path.write_bytes(b"PK\x03\x04" + bytes(999_996))  # a zip's first bytes, then far more than 28 values take
    with pytest.raises(PipelineError, match=re.escape(f"{path}: 1,000,000 bytes, more than a Titanic model file")):
        TitanicModel.load(path)
