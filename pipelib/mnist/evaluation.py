"""MNIST evaluation from saved scores and models, with no refitting: typed results for pipelib.metrics.

The binary (5-vs-rest) classifier is judged on its out-of-fold scores, as the seed's
``cross_val_score`` / ``cross_val_predict`` do, and on the test set; the always-negative
baseline beside it; the two softmax models by their test accuracy.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipelib.binary_metrics import (
    Counts,
    Curve,
    fold_accuracies,
    pr_curve,
    roc_auc,
    roc_points,
    thin_indices,
    threshold_for_precision,
    unstratified_folds,
)
from pipelib.errors import PipelineError
from pipelib.mnist.dataset import read_mnist
from pipelib.mnist.fitting import LinearModel, as_features, load_model
from pipelib.params import BinaryEvaluateParams
from pipelib.plot_csv import write_csv
from pipelib.scores import read_scores

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
    """The 5-vs-rest classifier: cross-validated at ``threshold`` and on the test set."""

    threshold: float
    fold_accuracies: list[float]  # per fold at threshold 0: the seed's cross_val_score
    cv: Counts  # out-of-fold predictions at ``threshold``: the seed's cross_val_predict
    roc_auc: float
    curve: Curve  # precision_recall_curve of the out-of-fold scores
    at_target: TargetPoint
    test: Counts


@dataclass(frozen=True)
class BaselineEvaluation:
    """The seed's ``Never5Classifier``: always "not 5", on the plain KFold folds it gets."""

    fold_accuracies: list[float]
    cv: Counts
    test: Counts


@dataclass(frozen=True)
class SoftmaxEvaluation:
    """A multinomial model's test-set predictions and accuracy."""

    predicted: np.ndarray
    test_accuracy: float
    n_iter: int


@dataclass(frozen=True)
class MnistEvaluation:
    """Everything the MNIST metrics, details and plot files are made of."""

    binary: BinaryEvaluation
    baseline: BaselineEvaluation
    softmax: SoftmaxEvaluation
    softmax_augmented: SoftmaxEvaluation
    test_labels: np.ndarray
    roc: tuple[np.ndarray, np.ndarray]  # false- and true-positive rates of the out-of-fold scores


@dataclass(frozen=True)
class MnistInputs:
    """The evaluate stage's inputs, read and checked."""

    fold: np.ndarray
    target: np.ndarray
    score: np.ndarray
    test_pixels: np.ndarray
    test_labels: np.ndarray
    binary_model: LinearModel
    softmax_model: LinearModel
    augmented_model: LinearModel


def load_softmax(source: Path_, n_features: int) -> LinearModel:
    """A multinomial model file; a binary one given in its place is an error."""
    model = load_model(source, n_features)
    if model.coef.shape[0] == 1:
        raise PipelineError(f"{source}: a binary model, expected a multiclass (softmax) one")
    return model


def load_binary(source: Path_, n_features: int) -> LinearModel:
    """A binary model file; a multiclass one given in its place is an error."""
    model = load_model(source, n_features)
    if model.coef.shape[0] != 1:
        raise PipelineError(f"{source}: a {len(model.classes)}-class model, expected a binary one")
    return model


def read_inputs(
    scores: Path_, binary_model: Path_, softmax_model: Path_, augmented_model: Path_, test: Path_
) -> MnistInputs:
    """Read and check every input before anything is computed or written."""
    fold, target, score = read_scores(scores)
    test_pixels, test_labels = read_mnist(test)
    n_features = test_pixels.shape[1]
    return MnistInputs(
        fold,
        target,
        score,
        test_pixels,
        test_labels,
        load_binary(binary_model, n_features),
        load_softmax(softmax_model, n_features),
        load_softmax(augmented_model, n_features),
    )


def evaluate_binary(
    fold: np.ndarray, target: np.ndarray, score: np.ndarray, test: Counts, threshold: float, target_precision: float
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


def evaluate_softmax(model: LinearModel, features: np.ndarray, labels: np.ndarray) -> SoftmaxEvaluation:
    """A softmax model's test predictions and accuracy (0 on an empty test set)."""
    predicted = model.predict(features).astype(np.int64)
    accuracy = float(np.mean(predicted == labels)) if len(labels) else 0.0
    return SoftmaxEvaluation(predicted, accuracy, model.n_iter)


def evaluate(inputs: MnistInputs, positive_digit: int, settings: BinaryEvaluateParams) -> MnistEvaluation:
    """Every MNIST metric from the checked inputs."""
    features = as_features(inputs.test_pixels, "float64", "dense")
    test_target = inputs.test_labels == positive_digit
    test_counts = Counts.of(test_target, inputs.binary_model.decision_function(features) > settings.threshold)
    n_folds = int(inputs.fold.max()) + 1 if len(inputs.fold) else 0
    return MnistEvaluation(
        binary=evaluate_binary(
            inputs.fold, inputs.target, inputs.score, test_counts, settings.threshold, settings.target_precision
        ),
        baseline=evaluate_baseline(inputs.target, n_folds, test_target),
        softmax=evaluate_softmax(inputs.softmax_model, features, inputs.test_labels),
        softmax_augmented=evaluate_softmax(inputs.augmented_model, features, inputs.test_labels),
        test_labels=inputs.test_labels.astype(np.int64),
        roc=roc_points(inputs.target, inputs.score),
    )


def write_plots(result: MnistEvaluation, directory: Path_, curve_points: int) -> None:
    """The DVC plot data files: precision-recall, threshold trade-off, ROC, test confusion."""
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
        plots / "test_confusion.csv", {"actual": result.test_labels, "predicted": result.softmax_augmented.predicted}
    )
