"""The Titanic evaluation on six passengers and a model written by hand: every number worked on paper.

The model scores ``1 * first class + 2 * female - 1``: a first-class woman 2, any other
woman 1, a first-class man 0 (exactly the decision boundary), any other man -1. Ties are
everywhere, at the boundary and at the cut of the highest / lowest table.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import helpers
import numpy as np
import pandas as pd
import pytest

from pipelib.params import TitanicEvaluateParams
from pipelib.titanic.evaluation import TitanicEvaluation, TitanicInputs, evaluate, summarize, write_tables
from pipelib.titanic.model import TitanicModel

FEATURES = helpers.TITANIC_FEATURES
COEF = np.array([0, 0, 0, 0, 1, 0, 0, 2, 0, 0, 0, 0], dtype=np.float64)
MODEL = TitanicModel(
    medians=np.array([30.0, 0.0, 0.0, 10.0]),
    most_frequent=np.array(["3", "male", "S"]),
    categories=[np.array(["1", "2", "3"]), np.array(["female", "male"]), np.array(["C", "Q", "S"])],
    coef=COEF,
    intercept=-1.0,
)
PASSENGERS = pd.DataFrame(
    {
        "PassengerId": [11, 12, 13, 14, 15, 16],
        "Survived": [1, 1, 0, 0, 1, 0],
        "Pclass": [1, 3, 1, 2, 3, 1],
        "Sex": ["female", "female", "male", "male", "female", "male"],
        "Age": [38.0, None, 54.0, 30.0, 4.0, 19.0],
        "SibSp": [1, 0, 0, 0, 1, 0],
        "Parch": [0, 0, 0, 0, 1, 0],
        "Fare": [71.25, 7.5, 51.75, 13.0, 16.5, 263.0],
        "Embarked": ["C", "S", None, "S", "Q", "S"],
    }
)
# training scores, by the formula: 2, 1, 0, -1, 1, 0
TEST = PASSENGERS.drop(columns="Survived").iloc[[0, 1, 3]].assign(PassengerId=[901, 902, 903])  # scores 2, 1, -1
FOLD = np.array([0, 0, 0, 1, 1, 1], dtype=np.uint8)
OUT_OF_FOLD = np.array([1.0, 0.0, -1.0, 0.0, 2.0, -3.0])
SETTINGS = TitanicEvaluateParams(threshold=1.0, top_n=2, calibration_bins=10)


@pytest.fixture
def result() -> TitanicEvaluation:
    return evaluate(TitanicInputs(PASSENGERS, MODEL, FOLD, OUT_OF_FOLD, TEST), SETTINGS)


def test_training_accuracy_counts_a_score_of_zero_as_not_survived(result: TitanicEvaluation) -> None:
    # scores 2 1 0 -1 1 0 above 0 -> 1 1 0 0 1 0, the Survived column exactly
    assert result.train_accuracy == 1.0
    assert (result.n_rows, result.n_features, result.threshold) == (6, 12, 1.0)


def test_fold_accuracies_at_zero_and_counts_at_the_threshold(result: TitanicEvaluation) -> None:
    # fold 0: scores 1 0 -1 -> 1 0 0 against 1 1 0; fold 1: 0 2 -3 -> 0 1 0 against 0 1 0
    assert result.fold_accuracies == [pytest.approx(2 / 3), 1.0]
    # above 1.0 only the 2: one survivor found, two missed, three others right
    assert (result.cv.tp, result.cv.fp, result.cv.fn, result.cv.tn) == (1, 0, 2, 3)
    # survivors 1 0 2 against others -1 0 -3: eight pairs ordered, one tie
    assert result.roc_auc == pytest.approx(8.5 / 9)


def test_test_predictions_are_scores_strictly_above_the_threshold(result: TitanicEvaluation) -> None:
    assert result.test_ids.tolist() == [901, 902, 903]
    assert result.test_survived.tolist() == [1, 0, 0]  # 902 scores exactly 1.0
    assert result.feature_names == FEATURES
    assert result.coefficients.tolist() == COEF.tolist()


def test_the_highest_and_lowest_table_takes_the_first_passenger_of_a_tie(result: TitanicEvaluation) -> None:
    table = result.extremes
    assert list(table.columns) == ["group", "PassengerId", "Score", "Survived", *FEATURES]
    assert table.index.tolist() == [0, 1, 2, 3]
    assert table.values.tolist() == [
        # group     id  score surv age  sib par fare    P1 P2 P3 F  M  C  Q  S
        ["highest", 11, 2.0, 1, 38.0, 1, 0, 71.25, 1, 0, 0, 1, 0, 1, 0, 0],
        ["highest", 12, 1.0, 1, 30.0, 0, 0, 7.5, 0, 0, 1, 1, 0, 0, 0, 1],  # 12 before 15, both 1; Age imputed
        ["lowest", 14, -1.0, 0, 30.0, 0, 0, 13.0, 0, 1, 0, 0, 1, 0, 0, 1],
        ["lowest", 13, 0.0, 0, 54.0, 0, 0, 51.75, 1, 0, 0, 0, 1, 0, 0, 1],  # 13 before 16, both 0; Embarked imputed
    ]


def test_written_tables(result: TitanicEvaluation, tmp_path: Path) -> None:
    paths = [tmp_path / name for name in ("extremes.csv", "coefficients.csv", "submission.csv", "reliability.csv")]
    write_tables(result, *paths)
    assert paths[0].read_text(encoding="utf-8") == (
        "group,PassengerId,Score,Survived,Age,SibSp,Parch,Fare,Pclass_1,Pclass_2,Pclass_3,"
        "Female,Male,Embarked_C,Embarked_Q,Embarked_S\n"
        "highest,11,2,1,38,1,0,71.25,1,0,0,1,0,1,0,0\n"
        "highest,12,1,1,30,0,0,7.5,0,0,1,1,0,0,0,1\n"
        "lowest,14,-1,0,30,0,0,13,0,1,0,0,1,0,0,1\n"
        "lowest,13,0,0,54,0,0,51.75,1,0,0,0,1,0,0,1\n"
    )
    assert paths[1].read_text(encoding="utf-8") == "feature,coefficient\n" + "".join(
        f"{name},{value:g}\n" for name, value in zip(FEATURES, [0, 0, 0, 0, 1, 0, 0, 2, 0, 0, 0, 0], strict=True)
    )
    assert paths[2].read_text(encoding="utf-8") == "PassengerId,Survived\n901,1\n902,0\n903,0\n"
    assert paths[3].read_text(encoding="utf-8").splitlines()[0] == "mean_probability,fraction_positive"


def test_value_counts_break_ties_by_value_not_by_first_appearance() -> None:
    frame = pd.DataFrame(
        {
            "Survived": [1, 0, 1, 0],
            "Pclass": [3, 2, 2, 3],
            "Sex": ["male", "female", "female", "male"],
            "Embarked": ["S", "C", "S", "C"],
        }
    )
    counts = summarize(frame).value_counts
    assert counts == {
        "Survived": [("0", 2), ("1", 2)],
        "Pclass": [("2", 2), ("3", 2)],
        "Sex": [("female", 2), ("male", 2)],
        "Embarked": [("C", 2), ("S", 2)],
    }


def test_results_are_immutable(result: TitanicEvaluation) -> None:
    inputs = TitanicInputs(PASSENGERS, MODEL, FOLD, OUT_OF_FOLD, TEST)
    for value, field in [(result, "roc_auc"), (result.summary, "n_rows"), (inputs, "score")]:
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(value, field, None)
