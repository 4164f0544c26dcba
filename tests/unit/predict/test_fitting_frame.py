"""The frame on which the Titanic preprocessing refits to a saved model's medians, fill values and categories."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from pipelib.predict.estimators import fitting_frame
from pipelib.titanic.model import TitanicModel

MODEL = TitanicModel(
    medians=np.array([28.0, 0.0, 0.0, 14.4542]),
    most_frequent=np.array(["3", "male", "S"]),
    categories=[np.array(["1", "2", "3"]), np.array(["female", "male"]), np.array(["C", "Q", "S"])],
    coef=np.zeros(12),
    intercept=0.0,
)


def test_every_category_once_and_the_fill_value_in_the_extra_rows() -> None:
    frame = fitting_frame(MODEL)
    assert frame.to_dict("list") == {
        "Age": [28.0] * 4,
        "SibSp": [0.0] * 4,
        "Parch": [0.0] * 4,
        "Fare": [14.4542] * 4,
        "Pclass": ["1", "2", "3", "3"],
        "Sex": ["female", "male", "male", "male"],
        "Embarked": ["C", "Q", "S", "S"],
    }


def test_one_row_more_than_the_longest_category_list() -> None:
    two = TitanicModel(
        medians=MODEL.medians,
        most_frequent=np.array(["1", "female", "C"]),
        categories=[np.array(["1"]), np.array(["female", "male"]), np.array(["C"])],
        coef=np.zeros(8),
        intercept=0.0,
    )
    frame = fitting_frame(two)
    assert frame["Pclass"].tolist() == ["1", "1", "1"]
    assert frame["Sex"].tolist() == ["female", "male", "female"]
    assert frame["Embarked"].tolist() == ["C", "C", "C"]


@pytest.mark.parametrize(
    "changes",
    [{"medians": np.array([28.0, 0.0, 0.0])}, {"most_frequent": np.array(["3", "male"])}],
    ids=["three-medians", "two-fill-values"],
)
def test_a_model_short_of_a_column_has_no_fitting_frame(changes: dict[str, np.ndarray]) -> None:
    with pytest.raises(ValueError, match="zip"):
        fitting_frame(dataclasses.replace(MODEL, **changes))
