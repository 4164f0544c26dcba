"""The Titanic evaluation on six passengers, a model written by hand and the two baselines: every number on paper.

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
from scipy.special import expit
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from pipelib.errors import PipelineError
from pipelib.params import TitanicEvaluateParams
from pipelib.stats import McNemar
from pipelib.titanic.evaluation import (
    FittedModel,
    TitanicEvaluation,
    TitanicInputs,
    evaluate,
    summarize,
    write_tables,
)
from pipelib.titanic.model import Predictions, fit_quietly, model_inputs, preprocessing

FEATURES = helpers.TITANIC_FEATURES
COEF = np.array([0, 0, 0, 0, 1, 0, 0, 2, 0, 0, 0, 0], dtype=np.float64)
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
OUT_OF_FOLD = np.array([1.0, 0.0, -1.0, 0.0, 2.0, -3.0])  # above 0: 1 0 0 0 1 0
SETTINGS = TitanicEvaluateParams(reference="logistic", top_n=2, calibration_bins=10)


def hand_model() -> Pipeline:
    """The seed's preprocessing fitted on the six passengers, then a logistic regression with the hand coefficients."""
    linear = LogisticRegression()
    linear.coef_, linear.intercept_, linear.classes_ = COEF[None, :], np.array([-1.0]), np.array([0, 1])
    linear.n_features_in_ = 12
    return Pipeline([("preprocess", preprocessing().fit(model_inputs(PASSENGERS))), ("model", linear)])


def inputs() -> TitanicInputs:
    logistic = Predictions(OUT_OF_FOLD > 0, OUT_OF_FOLD, expit(OUT_OF_FOLD))
    # the same model again, as one that offers predictions only (no decision function, no probabilities)
    bare = Predictions(OUT_OF_FOLD > 0, None, None)
    models = {"logistic": FittedModel(hand_model(), logistic), "bare": FittedModel(hand_model(), bare)}
    return TitanicInputs(PASSENGERS, FOLD, models, TEST)


@pytest.fixture
def result() -> TitanicEvaluation:
    return evaluate(inputs(), SETTINGS)


def test_training_accuracy_counts_a_score_of_zero_as_not_survived(result: TitanicEvaluation) -> None:
    # scores 2 1 0 -1 1 0 above 0 -> 1 1 0 0 1 0, the Survived column exactly
    assert result.results["logistic"].train_accuracy == 1.0
    assert (result.n_rows, result.n_features, result.reference) == (6, 12, "logistic")


def test_fold_accuracies_counts_and_auc(result: TitanicEvaluation) -> None:
    logistic = result.results["logistic"]
    # fold 0: 1 0 0 against 1 1 0; fold 1: 0 1 0 against 0 1 0
    assert logistic.fold_accuracies == [pytest.approx(2 / 3), 1.0]
    assert (logistic.cv.tp, logistic.cv.fp, logistic.cv.fn, logistic.cv.tn) == (2, 0, 1, 3)
    # survivors 1 0 2 against others -1 0 -3: eight pairs ordered, one tie
    assert logistic.roc_auc == pytest.approx(8.5 / 9)
    assert logistic.calibration is not None and logistic.mcnemar is None  # the reference is not compared to itself


def test_a_model_with_predictions_only_gets_everything_that_needs_only_them(result: TitanicEvaluation) -> None:
    bare, logistic = result.results["bare"], result.results["logistic"]
    assert (bare.train_accuracy, bare.fold_accuracies, bare.cv) == (1.0, logistic.fold_accuracies, logistic.cv)
    assert bare.roc_auc is None and bare.calibration is None
    assert bare.mcnemar == McNemar(0, 0, 1.0)  # the same predictions: no discordant passenger


def test_the_baselines_as_counted_by_hand(result: TitanicEvaluation) -> None:
    died, women = result.results["always_died"], result.results["women_survive"]
    assert list(result.results) == ["logistic", "bare", "always_died", "women_survive"]
    # nobody survives: 3 of 6 right; fold 0 has one death of three, fold 1 two of three
    assert died.train_accuracy == 0.5 and died.fold_accuracies == [pytest.approx(1 / 3), pytest.approx(2 / 3)]
    assert (died.cv.tp, died.cv.fp, died.cv.fn, died.cv.tn) == (0, 0, 3, 3)
    # the three women survived, the three men did not: every passenger right
    assert women.train_accuracy == 1.0 and women.fold_accuracies == [1.0, 1.0]
    assert died.roc_auc is None and women.calibration is None
    # against the logistic model's out-of-fold 1 0 0 0 1 0: the rule alone gets 12 right, the model alone none;
    # always-died misses 11 and 15, which the model gets: p = 2 * (1/2)**2
    assert women.mcnemar == McNemar(1, 0, 1.0)
    assert died.mcnemar == McNemar(0, 2, 0.5)


def test_test_predictions_are_the_reference_models(result: TitanicEvaluation) -> None:
    assert result.test_ids.tolist() == [901, 902, 903]
    assert result.test_survived.tolist() == [1, 1, 0]  # scores 2, 1, -1
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
    assert paths[2].read_text(encoding="utf-8") == "PassengerId,Survived\n901,1\n902,1\n903,0\n"
    assert paths[3].read_text(encoding="utf-8").splitlines()[0] == "mean_probability,fraction_positive"


def test_a_reference_without_coefficients_is_refused_in_one_line() -> None:
    given = inputs()
    forest = fit_quietly(
        Pipeline([("preprocess", preprocessing()), ("model", RandomForestClassifier(n_estimators=2, random_state=0))]),
        model_inputs(PASSENGERS),
        PASSENGERS["Survived"].to_numpy(),
    )
    models = {**given.models, "logistic": FittedModel(forest, given.models["logistic"].out_of_fold)}
    with pytest.raises(PipelineError, match=r"^params.yaml: 'titanic.evaluate.reference' must name a linear model"):
        evaluate(dataclasses.replace(given, models=models), SETTINGS)


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
    for value, field in [(result, "reference"), (result.results["logistic"], "roc_auc"), (inputs(), "fold")]:
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(value, field, None)
