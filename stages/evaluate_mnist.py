"""evaluate (MNIST): metrics and plot data from saved scores and models, with no refitting.

Only the decision threshold and the target precision are read here, so changing either
reruns this stage and the report and nothing else.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from pipelib.atomic import write_json
from pipelib.binary_metrics import (
    confusion_counts,
    fold_accuracies,
    per_fold,
    pr_curve,
    rates,
    roc_auc,
    roc_points,
    thin_indices,
    threshold_for_precision,
    unstratified_folds,
)
from pipelib.errors import PipelineError, run_stage
from pipelib.mnist.dataset import MAX_IMAGES, read_mnist
from pipelib.mnist.features import as_features
from pipelib.mnist.fitting import LinearModel, load_model
from pipelib.params import load_params
from pipelib.plot_csv import write_csv
from pipelib.scores import read_scores
from pipelib.tables import use_system_allocator


def binary_metrics(fold: np.ndarray, target: np.ndarray, score: np.ndarray, threshold: float, target_precision: float):
    """The binary classifier's and the always-negative baseline's cross-validated metrics."""
    predicted = score > threshold
    counts = confusion_counts(target, predicted)
    curve = pr_curve(target, score)
    at_target = threshold_for_precision(curve, target_precision)
    never = np.zeros_like(target)
    metrics = {
        "cv_accuracy": per_fold(fold_accuracies(fold, target, score > 0)),
        "threshold": threshold,
        **counts,
        **rates(counts),
        "roc_auc": roc_auc(target, score),
        "pr_curve_thresholds": len(curve.thresholds),
        "at_target_precision": {"target": target_precision, **(at_target or {})},
    }
    baseline_counts = confusion_counts(target, never)
    baseline = {
        "cv_accuracy": per_fold(fold_accuracies(unstratified_folds(len(target), int(fold.max()) + 1), target, never)),
        **baseline_counts,
        **rates(baseline_counts),
    }
    return metrics, baseline, curve


def test_metrics(model: LinearModel, features: np.ndarray, labels: np.ndarray) -> tuple[dict, np.ndarray]:
    """A softmax model's test accuracy and its predictions."""
    predicted = model.predict(features)
    return {"test_accuracy": float(np.mean(predicted == labels)), "n_iter": model.n_iter}, predicted


def load_softmax(source: str, n_features: int) -> LinearModel:
    """A multinomial model file; a binary one given in its place is an error."""
    model = load_model(source, n_features)
    if model.coef.shape[0] == 1:
        raise PipelineError(f"{source}: a binary model, expected a multiclass (softmax) one")
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scores", required=True)
    parser.add_argument("--binary-model", required=True)
    parser.add_argument("--softmax-model", required=True)
    parser.add_argument("--softmax-augmented-model", required=True)
    parser.add_argument("--test", required=True)
    parser.add_argument("--metrics", required=True)
    parser.add_argument("--plots", required=True, help="directory for the plot data files")
    args = parser.parse_args()
    use_system_allocator()
    params = load_params().mnist
    settings = params.evaluate

    fold, target, score = read_scores(args.scores, MAX_IMAGES)
    binary, baseline, curve = binary_metrics(fold, target, score, settings.threshold, settings.target_precision)

    test_pixels, test_labels = read_mnist(args.test)
    features = as_features(test_pixels, "float64", "dense")
    binary_model = load_model(args.binary_model, features.shape[1])
    if binary_model.coef.shape[0] != 1:
        raise PipelineError(f"{args.binary_model}: a {len(binary_model.classes)}-class model, expected a binary one")
    softmax_model = load_softmax(args.softmax_model, features.shape[1])
    augmented_model = load_softmax(args.softmax_augmented_model, features.shape[1])
    test_target = test_labels == params.positive_digit
    test_counts = confusion_counts(test_target, binary_model.decision_function(features) > settings.threshold)
    binary["test"] = {**test_counts, **rates(test_counts)}

    softmax, _ = test_metrics(softmax_model, features, test_labels)
    augmented, augmented_predicted = test_metrics(augmented_model, features, test_labels)

    write_json(
        args.metrics,
        {"binary": binary, "baseline_never_positive": baseline, "softmax": softmax, "softmax_augmented": augmented},
    )
    plots = Path(args.plots)
    keep = thin_indices(len(curve.thresholds), settings.curve_points)
    write_csv(plots / "precision_recall.csv", {"recall": curve.recall[keep], "precision": curve.precision[keep]})
    write_csv(
        plots / "threshold.csv",
        {"threshold": curve.thresholds[keep], "precision": curve.precision[keep], "recall": curve.recall[keep]},
    )
    fpr, tpr = roc_points(target, score)
    keep = thin_indices(len(fpr), settings.curve_points)
    write_csv(plots / "roc.csv", {"fpr": fpr[keep], "tpr": tpr[keep]})
    write_csv(plots / "test_confusion.csv", {"actual": test_labels, "predicted": augmented_predicted})


if __name__ == "__main__":
    run_stage(main)
