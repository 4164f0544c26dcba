"""The binary classifier's evaluation that no decision threshold changes, from its saved scores and model.

The binary classifier (``mnist.positive_digit`` against the rest: 5-vs-rest in the seed) is
judged on its out-of-fold scores, as the seed's ``cross_val_score`` does (at threshold 0), by
its ROC and precision-recall curves and its calibration; the always-negative baseline beside
it. What a threshold decides is :mod:`pipelib.mnist.operating_point`'s, from the scores, the
test scores and the curve written here; the registry's models are :mod:`pipelib.mnist.comparison`'s.
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
    unstratified_folds,
)
from pipelib.errors import PipelineError
from pipelib.mnist import models
from pipelib.mnist.dataset import MAX_IMAGES, PIXELS, read_mnist
from pipelib.mnist.features import as_features
from pipelib.params import BinaryEvaluateParams, require_row_below
from pipelib.plot_csv import write_csv
from pipelib.scores import read_scores, require_training_rows, write_curve, write_scores

Path_ = str | os.PathLike[str]


@dataclass(frozen=True)
class BinaryEvaluation:
    """The positive digit's one-vs-rest classifier, cross-validated, whatever the threshold."""

    fold_accuracies: list[float]  # per fold at threshold 0: the seed's cross_val_score
    roc_auc: float
    curve: Curve  # precision_recall_curve of the out-of-fold scores
    calibration: Calibration  # of the out-of-fold probabilities


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
    score: float  # decision score of the model fitted on every training row (the seed's 0.22419046)


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
    test_target: np.ndarray  # the test images' truth (is the positive digit) ...
    test_score: np.ndarray  # ... and the binary model's decision scores: the operating point's input
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


def evaluate_binary(fold: np.ndarray, target: np.ndarray, score: np.ndarray, calibration_bins: int) -> BinaryEvaluation:
    """The binary classifier's cross-validated metrics from its out-of-fold scores."""
    return BinaryEvaluation(
        fold_accuracies=fold_accuracies(fold, target, score > 0),
        roc_auc=roc_auc(target, score),
        curve=pr_curve(target, score),
        calibration=calibration(target, probability(score), calibration_bins),
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


def walk_through(inputs: MnistInputs, row: int, positive_digit: int) -> Walkthrough:
    """The seed's walk-through on training row ``row``: its two scores (the thresholds are the operating point's)."""
    features = as_features(inputs.train_pixels[row : row + 1], "float64", "dense")
    return Walkthrough(
        row=row,
        label=int(inputs.train_labels[row]),
        positive=bool(inputs.train_labels[row] == positive_digit),
        cv_score=float(inputs.score[row]),
        score=float(inputs.binary_model.decision_function(features)[0]),
    )


def evaluate(inputs: MnistInputs, positive_digit: int, settings: BinaryEvaluateParams) -> MnistEvaluation:
    """Every threshold-independent MNIST metric from the checked inputs."""
    test_target = inputs.test_labels == positive_digit
    test_score = inputs.binary_model.decision_function(as_features(inputs.test_pixels, "float64", "dense"))
    n_folds = int(inputs.fold.max()) + 1  # read_inputs: at least the walk-through's row
    first_three = as_features(inputs.train_pixels[:3], "float64", "dense")
    binary_first = inputs.binary_model.decision_function(first_three) > 0  # predict() is at threshold 0
    return MnistEvaluation(
        binary=evaluate_binary(inputs.fold, inputs.target, inputs.score, settings.calibration_bins),
        baseline=evaluate_baseline(inputs.target, n_folds, test_target),
        roc=roc_points(inputs.target, inputs.score),
        walkthrough=walk_through(inputs, settings.walkthrough_row, positive_digit),
        checks=Checks((len(inputs.train_labels) + len(inputs.test_labels), PIXELS), [bool(v) for v in binary_first]),
        test_target=test_target,
        test_score=np.asarray(test_score, dtype=np.float64),
        positive_digit=positive_digit,
    )


def write_plots(result: MnistEvaluation, directory: Path_, curve_points: int) -> None:
    """The DVC plot data files: precision-recall, threshold trade-off, ROC, calibration."""
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
    reliability = result.binary.calibration
    write_csv(
        plots / "calibration.csv",
        {
            "mean_probability": np.array(reliability.mean_probability),
            "fraction_positive": np.array(reliability.fraction_positive),
        },
    )


def write_for_operating_point(result: MnistEvaluation, test_scores: Path_, curve: Path_) -> None:
    """The test set's truth and scores, and the whole precision-recall curve: what a threshold is applied to."""
    write_scores(test_scores, np.zeros(len(result.test_target), np.uint8), result.test_target, result.test_score)
    write_curve(curve, result.binary.curve.precision, result.binary.curve.recall, result.binary.curve.thresholds)
