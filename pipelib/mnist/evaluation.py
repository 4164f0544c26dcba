"""The binary classifier's evaluation from its saved scores and model, with no refitting.

The binary classifier (``mnist.positive_digit`` against the rest: 5-vs-rest in the seed) is
judged on its out-of-fold scores, as the seed's ``cross_val_score`` / ``cross_val_predict`` do,
and on the test set; the always-negative baseline beside it. The registry's models are
compared in :mod:`pipelib.mnist.comparison`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pipelib.binary_metrics import (
    Calibration,
    Counts,
    Curve,
    calibration,
    fold_accuracies,
    pr_curve,
    probability,
    roc_auc,
    roc_points,
    thin_indices,
    threshold_for_precision,
    unstratified_folds,
)
from pipelib.errors import PipelineError
from pipelib.mnist import models
from pipelib.mnist.dataset import MAX_IMAGES, PIXELS, read_mnist
from pipelib.mnist.features import as_features
from pipelib.params import BinaryEvaluateParams, require_row_below
from pipelib.plot_csv import write_csv
from pipelib.scores import read_scores
from pipelib.stats import bootstrap_interval

Path_ = str | os.PathLike[str]


@dataclass(frozen=True)
class TargetPoint:
    """The lowest threshold whose cross-validated precision reaches ``target``, and the recall there."""

    target: float
    threshold: float | None  # None: no threshold reaches the target
    precision: float | None
    recall: float | None


@dataclass(frozen=True)
class BinaryEvaluation:
    """The positive digit's one-vs-rest classifier: cross-validated at ``threshold`` and on the test set."""

    threshold: float
    fold_accuracies: list[float]  # per fold at threshold 0: the seed's cross_val_score
    cv: Counts  # out-of-fold predictions at ``threshold``: the seed's cross_val_predict
    roc_auc: float
    curve: Curve  # precision_recall_curve of the out-of-fold scores
    at_target: TargetPoint
    test: Counts
    calibration: Calibration  # of the out-of-fold probabilities
    test_interval: tuple[float, float]  # bootstrap 95% interval of the test accuracy


@dataclass(frozen=True)
class BaselineEvaluation:
    """The seed's ``Never5Classifier``: always "not the positive digit", on the plain KFold folds it gets."""

    fold_accuracies: list[float]
    cv: Counts
    test: Counts


@dataclass(frozen=True)
class Walkthrough:
    """The seed's threshold walk-through on one training image (``X_train[48]``)."""

    row: int
    label: int
    positive: bool  # is the image's label the positive digit
    cv_score: float  # out-of-fold decision score
    cv_predicted: bool  # cross_val_predict's answer (at the decision threshold)
    score: float  # decision score of the model fitted on every training row (the seed's 0.22419046)
    decisions: list[tuple[float, bool]]  # (threshold, score > threshold)


@dataclass(frozen=True)
class Checks:
    """The shapes and predictions the seed prints along the way."""

    data_shape: tuple[int, int]  # all images: training + test
    first_binary_predictions: list[bool]  # the binary model's predict(X[:3])


@dataclass(frozen=True)
class MnistEvaluation:
    """Everything the MNIST metrics, details and plot files are made of."""

    binary: BinaryEvaluation
    baseline: BaselineEvaluation
    roc: tuple[np.ndarray, np.ndarray]  # false- and true-positive rates of the out-of-fold scores
    walkthrough: Walkthrough
    checks: Checks
    cv_predicted: np.ndarray  # out-of-fold predictions at the decision threshold
    binary_target: np.ndarray  # the training rows' truth (is the positive digit)
    positive_digit: int  # the binary classifier's positive digit (mnist.positive_digit)


@dataclass(frozen=True)
class MnistInputs:
    """The evaluate stage's inputs, read and checked."""

    fold: np.ndarray
    target: np.ndarray
    score: np.ndarray
    test_pixels: np.ndarray
    test_labels: np.ndarray
    binary_model: Any  # a fitted LogisticRegression
    train_pixels: np.ndarray
    train_labels: np.ndarray


def require_training_rows(scores: Path_, n_scores: int, train: Path_, n_train: int) -> None:
    """A scores file must hold one row per training image: else it is from another run's training set."""
    if n_scores != n_train:
        raise PipelineError(f"{scores}: {n_scores} rows, but {train} has {n_train} (rerun dvc repro)")


def load_binary(source: Path_) -> Any:
    """A binary model file (classes False, True); a multiclass one given in its place is an error."""
    model = models.load(source)
    if model.classes_.dtype.kind != "b":
        raise PipelineError(f"{source}: a {len(model.classes_)}-class model, expected a binary one")
    return model


def read_inputs(scores: Path_, binary_model: Path_, test: Path_, train: Path_, walkthrough_row: int) -> MnistInputs:
    """Read and check every input before anything is computed or written."""
    fold, target, score = read_scores(scores, MAX_IMAGES)
    test_pixels, test_labels = read_mnist(test)
    train_pixels, train_labels = read_mnist(train)
    require_training_rows(scores, len(target), train, len(train_labels))
    require_row_below("mnist.evaluate.walkthrough_row", walkthrough_row, len(train_labels))
    return MnistInputs(
        fold, target, score, test_pixels, test_labels, load_binary(binary_model), train_pixels, train_labels
    )


def evaluate_binary(
    fold: np.ndarray,
    target: np.ndarray,
    score: np.ndarray,
    test: Counts,
    threshold: float,
    target_precision: float,
    calibration_bins: int = 10,
    test_interval: tuple[float, float] = (0.0, 0.0),
) -> BinaryEvaluation:
    """The binary classifier's cross-validated metrics from its out-of-fold scores."""
    curve = pr_curve(target, score)
    point = threshold_for_precision(curve, target_precision) or {}
    return BinaryEvaluation(
        threshold=threshold,
        fold_accuracies=fold_accuracies(fold, target, score > 0),
        cv=Counts.of(target, score > threshold),
        roc_auc=roc_auc(target, score),
        curve=curve,
        at_target=TargetPoint(target_precision, point.get("threshold"), point.get("precision"), point.get("recall")),
        test=test,
        calibration=calibration(target, probability(score), calibration_bins),
        test_interval=test_interval,
    )


def evaluate_baseline(target: np.ndarray, n_folds: int, test_target: np.ndarray) -> BaselineEvaluation:
    """The always-negative baseline on the training rows (cross-validated) and the test set."""
    never = np.zeros(len(target), dtype=bool)
    folds = unstratified_folds(len(target), n_folds)
    return BaselineEvaluation(
        fold_accuracies(folds, target, never),
        Counts.of(target, never),
        Counts.of(test_target, np.zeros(len(test_target), dtype=bool)),
    )


def walk_through(inputs: MnistInputs, row: int, positive_digit: int, settings: BinaryEvaluateParams) -> Walkthrough:
    """The seed's threshold walk-through on training row ``row``."""
    features = as_features(inputs.train_pixels[row : row + 1], "float64", "dense")
    score = float(inputs.binary_model.decision_function(features)[0])
    thresholds = [settings.threshold, settings.walkthrough_threshold]
    return Walkthrough(
        row=row,
        label=int(inputs.train_labels[row]),
        positive=bool(inputs.train_labels[row] == positive_digit),
        cv_score=float(inputs.score[row]),
        cv_predicted=bool(inputs.score[row] > settings.threshold),
        score=score,
        decisions=[(threshold, score > threshold) for threshold in thresholds],
    )


def evaluate(inputs: MnistInputs, positive_digit: int, settings: BinaryEvaluateParams) -> MnistEvaluation:
    """Every MNIST metric from the checked inputs."""
    features = as_features(inputs.test_pixels, "float64", "dense")
    test_target = inputs.test_labels == positive_digit
    test_predicted = inputs.binary_model.decision_function(features) > settings.threshold
    n_folds = int(inputs.fold.max()) + 1  # read_inputs: at least the walk-through's row
    first_three = as_features(inputs.train_pixels[:3], "float64", "dense")
    binary_first = inputs.binary_model.decision_function(first_three) > 0  # predict() is at threshold 0
    return MnistEvaluation(
        binary=evaluate_binary(
            inputs.fold,
            inputs.target,
            inputs.score,
            Counts.of(test_target, test_predicted),
            settings.threshold,
            settings.target_precision,
            settings.calibration_bins,
            bootstrap_interval(test_predicted == test_target, settings.bootstrap_samples, settings.bootstrap_seed),
        ),
        baseline=evaluate_baseline(inputs.target, n_folds, test_target),
        roc=roc_points(inputs.target, inputs.score),
        walkthrough=walk_through(inputs, settings.walkthrough_row, positive_digit, settings),
        checks=Checks((len(inputs.train_labels) + len(inputs.test_labels), PIXELS), [bool(v) for v in binary_first]),
        cv_predicted=inputs.score > settings.threshold,
        binary_target=inputs.target,
        positive_digit=positive_digit,
    )


def write_plots(result: MnistEvaluation, directory: Path_, curve_points: int) -> None:
    """The DVC plot data files: precision-recall, threshold trade-off, ROC, confusion, calibration."""
    plots = Path(directory)
    curve = result.binary.curve
    keep = thin_indices(len(curve.thresholds), curve_points)
    write_csv(plots / "precision_recall.csv", {"recall": curve.recall[keep], "precision": curve.precision[keep]})
    write_csv(
        plots / "threshold.csv",
        {"threshold": curve.thresholds[keep], "precision": curve.precision[keep], "recall": curve.recall[keep]},
    )
    fpr, tpr = result.roc
    keep = thin_indices(len(fpr), curve_points)
    write_csv(plots / "roc.csv", {"fpr": fpr[keep], "tpr": tpr[keep]})
    write_csv(
        plots / "binary_cv_confusion.csv",
        {"actual": result.binary_target.astype(int), "predicted": result.cv_predicted.astype(int)},
    )
    reliability = result.binary.calibration
    write_csv(
        plots / "calibration.csv",
        {
            "mean_probability": np.array(reliability.mean_probability),
            "fraction_positive": np.array(reliability.fraction_positive),
        },
    )
