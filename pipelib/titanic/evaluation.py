"""Titanic evaluation from the saved model and out-of-fold scores: typed results for pipelib.metrics.

Besides the metrics: the seed's insight table (the passengers the model is surest about),
the coefficients, and the survival predictions for the unlabelled test passengers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelib.binary_metrics import Calibration, Counts, calibration, fold_accuracies, probability, roc_auc
from pipelib.errors import PipelineError
from pipelib.params import TitanicEvaluateParams
from pipelib.plot_csv import write_csv
from pipelib.titanic.frames import read_passengers, read_scores
from pipelib.titanic.model import TitanicModel

Path_ = str | os.PathLike[str]

COUNTED = ("Survived", "Pclass", "Sex", "Embarked")  # the columns whose value_counts() the seed prints


@dataclass(frozen=True)
class DataSummary:
    """What the seed prints about the training CSV: ``info()`` and four ``value_counts()``."""

    n_rows: int
    n_columns: int
    non_null: dict[str, int]  # per column, in the file's order
    value_counts: dict[str, list[tuple[str, int]]]  # per counted column, most frequent first


def summarize(passengers: pd.DataFrame) -> DataSummary:
    """The training data's shape, non-null counts and value counts (missing values not counted)."""
    counts = {}
    for name in COUNTED:
        series = passengers[name].dropna().astype(str).value_counts()
        ordered = sorted(series.items(), key=lambda item: (-item[1], item[0]))  # ties: by value
        counts[name] = [(value, int(count)) for value, count in ordered]
    return DataSummary(
        len(passengers),
        len(passengers.columns),
        {name: int(passengers[name].notna().sum()) for name in passengers.columns},
        counts,
    )


@dataclass(frozen=True)
class TitanicInputs:
    """The evaluate stage's inputs, read and checked against each other."""

    passengers: pd.DataFrame
    model: TitanicModel
    fold: np.ndarray
    score: np.ndarray  # out-of-fold decision scores, in the passengers' order
    test: pd.DataFrame


@dataclass(frozen=True)
class TitanicEvaluation:
    """The classifier's metrics, its insight table, coefficients and test predictions."""

    n_rows: int
    n_features: int
    threshold: float
    train_accuracy: float  # the model fitted on every passenger, scored on them (the seed's number)
    fold_accuracies: list[float]  # per fold at threshold 0: cross_val_score
    cv: Counts  # out-of-fold predictions at ``threshold``
    roc_auc: float
    extremes: pd.DataFrame
    feature_names: list[str]
    coefficients: np.ndarray
    test_ids: np.ndarray
    test_survived: np.ndarray
    calibration: Calibration  # of the out-of-fold probabilities
    summary: DataSummary


def read_inputs(train: Path_, test: Path_, model: Path_, scores: Path_) -> TitanicInputs:
    """Read and check every input before anything is computed or written."""
    passengers = read_passengers(train, labelled=True)
    fitted = TitanicModel.load(model)
    table = read_scores(scores)
    unlabelled = read_passengers(test, labelled=False)
    if not np.array_equal(table["PassengerId"].to_numpy(), passengers["PassengerId"].to_numpy()):
        raise PipelineError(
            f"{scores}: its {len(table)} passengers do not match the {len(passengers)} of {train} (rerun dvc repro)"
        )
    if not np.array_equal(table["target"].to_numpy(), passengers["Survived"].to_numpy() == 1):
        raise PipelineError(f"{scores}: column 'target' disagrees with 'Survived' in {train}")
    return TitanicInputs(passengers, fitted, table["fold"].to_numpy(), table["score"].to_numpy(), unlabelled)


def extremes(model: TitanicModel, passengers: pd.DataFrame, score: np.ndarray, top_n: int) -> pd.DataFrame:
    """The seed's insight table: ``score``, Survived and the named features of the top and bottom ``top_n``."""
    table = pd.DataFrame(model.transform(passengers), columns=model.feature_names)
    table.insert(0, "Survived", passengers["Survived"].to_numpy())
    table.insert(0, "Score", score)
    table.insert(0, "PassengerId", passengers["PassengerId"].to_numpy())
    highest = table.sort_values("Score", ascending=False, kind="stable").head(top_n)
    lowest = table.sort_values("Score", ascending=True, kind="stable").head(top_n)
    highest.insert(0, "group", "highest")
    lowest.insert(0, "group", "lowest")
    return pd.concat([highest, lowest], ignore_index=True)


def evaluate(inputs: TitanicInputs, settings: TitanicEvaluateParams) -> TitanicEvaluation:
    """Every Titanic metric and table from the checked inputs."""
    target = inputs.passengers["Survived"].to_numpy() == 1
    train_score = inputs.model.decision_function(inputs.passengers)
    return TitanicEvaluation(
        n_rows=len(inputs.passengers),
        n_features=len(inputs.model.feature_names),
        threshold=settings.threshold,
        train_accuracy=float(np.mean((train_score > 0) == target)),
        fold_accuracies=fold_accuracies(inputs.fold, target, inputs.score > 0),
        cv=Counts.of(target, inputs.score > settings.threshold),
        roc_auc=roc_auc(target, inputs.score),
        extremes=extremes(inputs.model, inputs.passengers, train_score, settings.top_n),
        feature_names=list(inputs.model.feature_names),
        coefficients=inputs.model.coef,
        test_ids=inputs.test["PassengerId"].to_numpy(),
        test_survived=(inputs.model.decision_function(inputs.test) > settings.threshold).astype(int),
        calibration=calibration(target, probability(inputs.score), settings.calibration_bins),
        summary=summarize(inputs.passengers),
    )


def write_tables(
    result: TitanicEvaluation, extremes_path: Path_, coefficients_path: Path_, predictions: Path_, plots: Path_
) -> None:
    """The insight table, the coefficients and reliability curve (DVC plots), the Kaggle-style predictions."""
    table = result.extremes
    write_csv(extremes_path, {name: table[name].to_numpy() for name in table.columns})
    write_csv(coefficients_path, {"feature": np.array(result.feature_names), "coefficient": result.coefficients})
    write_csv(predictions, {"PassengerId": result.test_ids, "Survived": result.test_survived})
    reliability = result.calibration
    write_csv(
        plots,
        {
            "mean_probability": np.array(reliability.mean_probability),
            "fraction_positive": np.array(reliability.fraction_positive),
        },
    )
