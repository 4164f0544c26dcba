"""Titanic evaluation of every registry model and two baselines, from the saved models and out-of-fold predictions.

What needs only predictions (accuracy, confusion, McNemar against the reference) is there for
every model; ROC AUC needs a score, calibration probabilities. The reference (the seed's
logistic regression) also gives the seed's insight table, coefficients and Kaggle predictions.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from pipelib.binary_metrics import Calibration, Counts, calibration, fold_accuracies, roc_auc
from pipelib.errors import PipelineError
from pipelib.params import BASELINES, TitanicEvaluateParams, require_only_entries
from pipelib.plot_csv import write_csv
from pipelib.stats import McNemar, mcnemar_exact
from pipelib.titanic import model
from pipelib.titanic.frames import read_out_of_fold, read_passengers
from pipelib.titanic.model import Predictions

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


# The rules every model is shown beside, named as BASELINES in params.py. Nothing to fit, so each
# fold's accuracy is the rule's accuracy on that fold: 549 / 891 and (233 + 468) / 891 on the data.
BASELINE_RULES: dict[str, Callable[[pd.DataFrame], np.ndarray]] = {
    "always_died": lambda passengers: np.zeros(len(passengers), dtype=bool),
    "women_survive": lambda passengers: (passengers["Sex"] == "female").to_numpy(),
}
assert tuple(BASELINE_RULES) == BASELINES


@dataclass(frozen=True)
class FittedModel:
    """A registry entry's fitted Pipeline and its out-of-fold predictions."""

    pipeline: Pipeline
    out_of_fold: Predictions


@dataclass(frozen=True)
class TitanicInputs:
    """The evaluate stage's inputs, read and checked against each other."""

    passengers: pd.DataFrame
    fold: np.ndarray  # the shared k folds, in the passengers' order
    models: dict[str, FittedModel]  # in the registry's order
    test: pd.DataFrame


@dataclass(frozen=True)
class ModelResult:
    """One model's (or baseline's) numbers; None where the model cannot give them."""

    train_accuracy: float  # fitted on every passenger, scored on them (the seed's number)
    fold_accuracies: list[float]
    cv: Counts  # pooled out-of-fold predictions
    roc_auc: float | None  # needs decision_function or predict_proba
    calibration: Calibration | None  # needs predict_proba
    mcnemar: McNemar | None  # this model against the reference, on the out-of-fold predictions


@dataclass(frozen=True)
class TitanicEvaluation:
    """Every model's and baseline's metrics; the reference model's insight table, coefficients, predictions."""

    reference: str
    n_rows: int
    n_features: int
    results: dict[str, ModelResult]  # the registry's models, then the baselines
    extremes: pd.DataFrame
    feature_names: list[str]
    coefficients: np.ndarray
    test_ids: np.ndarray
    test_survived: np.ndarray
    summary: DataSummary


def read_inputs(train: Path_, test: Path_, names: list[str], models: Path_, out_of_fold: Path_) -> TitanicInputs:
    """Read and check every input (``<models>/<name>.skops``, ``<out_of_fold>/<name>.parquet``) before computing."""
    passengers = read_passengers(train, labelled=True)
    unlabelled = read_passengers(test, labelled=False)
    require_only_entries(models, names, ".skops", "titanic.models")
    require_only_entries(out_of_fold, names, ".parquet", "titanic.models")
    fitted: dict[str, FittedModel] = {}
    folds: np.ndarray | None = None
    for name in names:
        source = Path(out_of_fold) / f"{name}.parquet"
        table, predictions = read_out_of_fold(source)
        if not np.array_equal(table["PassengerId"].to_numpy(), passengers["PassengerId"].to_numpy()):
            raise PipelineError(
                f"{source}: its {len(table)} passengers do not match the {len(passengers)} of {train} (rerun dvc repro)"
            )
        if not np.array_equal(table["target"].to_numpy(), passengers["Survived"].to_numpy() == 1):
            raise PipelineError(f"{source}: column 'target' disagrees with 'Survived' in {train}")
        if folds is not None and not np.array_equal(table["fold"].to_numpy(), folds):
            raise PipelineError(f"{source}: its folds differ from the other models' (rerun dvc repro)")
        folds = table["fold"].to_numpy()
        fitted[name] = FittedModel(model.load(Path(models) / f"{name}.skops"), predictions)
    assert folds is not None  # the registry has at least one entry (params.py)
    return TitanicInputs(passengers, folds, fitted, unlabelled)


def extremes(pipeline: Pipeline, passengers: pd.DataFrame, score: np.ndarray, top_n: int) -> pd.DataFrame:
    """The seed's insight table: ``score``, Survived and the named features of the top and bottom ``top_n``."""
    matrix = pipeline[:-1].transform(model.model_inputs(passengers))
    table = pd.DataFrame(matrix, columns=model.feature_names(pipeline))
    table.insert(0, "Survived", passengers["Survived"].to_numpy())
    table.insert(0, "Score", score)
    table.insert(0, "PassengerId", passengers["PassengerId"].to_numpy())
    highest = table.sort_values("Score", ascending=False, kind="stable").head(top_n)
    lowest = table.sort_values("Score", ascending=True, kind="stable").head(top_n)
    highest.insert(0, "group", "highest")
    lowest.insert(0, "group", "lowest")
    return pd.concat([highest, lowest], ignore_index=True)


def score_model(
    target: np.ndarray,
    fold: np.ndarray,
    train_survived: np.ndarray,
    out_of_fold: Predictions,
    reference_right: np.ndarray | None,
    calibration_bins: int,
) -> ModelResult:
    """A model's numbers from its predictions; those needing a score or probabilities only when it has them."""
    ranking = out_of_fold.score if out_of_fold.score is not None else out_of_fold.probability
    right = out_of_fold.survived == target
    return ModelResult(
        train_accuracy=float(np.mean(train_survived == target)),
        fold_accuracies=fold_accuracies(fold, target, out_of_fold.survived),
        cv=Counts.of(target, out_of_fold.survived),
        roc_auc=None if ranking is None else roc_auc(target, ranking),
        calibration=None
        if out_of_fold.probability is None
        else calibration(target, out_of_fold.probability, calibration_bins),
        mcnemar=None if reference_right is None else mcnemar_exact(right, reference_right),
    )


def evaluate(inputs: TitanicInputs, settings: TitanicEvaluateParams) -> TitanicEvaluation:
    """Every Titanic metric and table from the checked inputs."""
    passengers = inputs.passengers
    target = passengers["Survived"].to_numpy() == 1
    reference = inputs.models[settings.reference].pipeline
    if not hasattr(reference, "decision_function") or not hasattr(reference[-1], "coef_"):
        raise PipelineError(
            f"params.yaml: 'titanic.evaluate.reference' must name a linear model (the seed's tables need its "
            f"coefficients and decision scores), got {settings.reference!r}"
        )
    reference_right = inputs.models[settings.reference].out_of_fold.survived == target
    frame = model.model_inputs(passengers)
    found = {
        name: (model.predict(fitted.pipeline, frame).survived, fitted.out_of_fold)
        for name, fitted in inputs.models.items()
    }
    found |= {
        name: (rule(passengers), Predictions(rule(passengers), None, None)) for name, rule in BASELINE_RULES.items()
    }
    results = {
        name: score_model(
            target,
            inputs.fold,
            train,
            oof,
            None if name == settings.reference else reference_right,
            settings.calibration_bins,
        )
        for name, (train, oof) in found.items()
    }
    names = model.feature_names(reference)
    # No test.csv gives an empty test table (stages/fetch_titanic.py), and scikit-learn refuses to predict
    # 0 passengers: their predictions are no predictions, an empty submission.
    test = inputs.test
    test_survived = reference.predict(model.model_inputs(test)).astype(int) if len(test) else np.zeros(0, dtype=int)
    return TitanicEvaluation(
        reference=settings.reference,
        n_rows=len(passengers),
        n_features=len(names),
        results=results,
        extremes=extremes(reference, passengers, reference.decision_function(frame), settings.top_n),
        feature_names=names,
        coefficients=reference[-1].coef_.ravel(),
        test_ids=test["PassengerId"].to_numpy(),
        test_survived=test_survived,
        summary=summarize(passengers),
    )


def write_tables(
    result: TitanicEvaluation, extremes_path: Path_, coefficients_path: Path_, predictions: Path_, plots: Path_
) -> None:
    """The insight table, the coefficients and reliability curve (DVC plots), the Kaggle-style predictions."""
    table = result.extremes
    write_csv(extremes_path, {name: table[name].to_numpy() for name in table.columns})
    write_csv(coefficients_path, {"feature": np.array(result.feature_names), "coefficient": result.coefficients})
    write_csv(predictions, {"PassengerId": result.test_ids, "Survived": result.test_survived})
    reliability = result.results[result.reference].calibration
    assert reliability is not None  # a linear model has predict_proba
    write_csv(
        plots,
        {
            "mean_probability": np.array(reliability.mean_probability),
            "fraction_positive": np.array(reliability.fraction_positive),
        },
    )
