"""Every mnist.models entry on the test set, from the predictions its training stage wrote.

Each model gets its test accuracy with a bootstrap interval, its confusion matrix and McNemar's
exact test against the reference model (``mnist.evaluate.reference``: the seed's augmented
softmax) on the same images; the reference also gets the chapter's error analysis. Only
predictions are needed, so any classifier gets all of it. This module owns the layout of
``metrics/mnist_models.json`` and ``reports/mnist_models.json``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from pipelib.errors import PipelineError
from pipelib.mnist import predictions
from pipelib.params import BinaryEvaluateParams, MnistModelEntry, require_only_entries
from pipelib.plot_csv import write_csv
from pipelib.stats import bootstrap_interval, mcnemar_exact

DIGITS = 10
LARGEST_CONFUSIONS = 5

Path_ = str | os.PathLike[str]
Predictions = dict[str, tuple[np.ndarray, dict[str, Any]]]  # name -> (predicted digits, facts of the fit)


def read_all(directory: Path_, names: list[str]) -> tuple[np.ndarray, Predictions]:
    """(the test labels, each model's predictions) from ``<directory>/<name>.parquet``, on the same images."""
    require_only_entries(directory, names, ".parquet", "mnist.models")
    labels: np.ndarray | None = None
    found: Predictions = {}
    for name in names:
        source = Path(directory) / f"{name}.parquet"
        these, predicted, facts = predictions.read(source)
        if labels is not None and not np.array_equal(these, labels):
            raise PipelineError(f"{source}: scored other test images than {names[0]} (rerun dvc repro)")
        labels, found[name] = these, (predicted, facts)
    assert labels is not None  # params.py: a registry has at least one entry
    return labels, found


def confusion(labels: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """(10, 10) counts, rows actual, columns predicted."""
    return np.bincount(labels * DIGITS + predicted, minlength=DIGITS * DIGITS).reshape(DIGITS, DIGITS)


def normalized_errors(counts: np.ndarray) -> np.ndarray:
    """Each row divided by its digit's count (empty rows stay 0), the diagonal zeroed: where the errors go."""
    rows = counts.sum(axis=1, keepdims=True)
    normalized = np.divide(counts, rows, out=np.zeros(counts.shape), where=rows > 0)
    np.fill_diagonal(normalized, 0.0)
    return normalized


def error_analysis(counts: np.ndarray) -> dict[str, Any]:
    """The chapter's error analysis: where the errors go, per-digit precision and recall (0 where a digit is
    never predicted or absent), and the largest confusions by share of the digit."""
    rows, columns = counts.sum(axis=1), counts.sum(axis=0)
    normalized = normalized_errors(counts)
    right = np.diag(counts)
    cells = [(a, p) for a in range(DIGITS) for p in range(DIGITS) if a != p and counts[a, p] > 0]
    cells.sort(key=lambda cell: (-normalized[cell], cell))  # ties: in digit order
    return {
        "confusion": counts.tolist(),
        "normalized": [[round(float(value), 6) for value in row] for row in normalized],
        "precision": [float(v) for v in np.divide(right, columns, out=np.zeros(DIGITS), where=columns > 0)],
        "recall": [float(v) for v in np.divide(right, rows, out=np.zeros(DIGITS), where=rows > 0)],
        "support": [int(value) for value in rows],
        "largest": [
            {"actual": a, "predicted": p, "count": int(counts[a, p]), "share": float(normalized[a, p])}
            for a, p in cells[:LARGEST_CONFUSIONS]
        ],
    }


def compare(
    labels: np.ndarray,
    found: Predictions,
    entries: dict[str, MnistModelEntry],
    settings: BinaryEvaluateParams,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(headline metrics, details) of every model, in the registry's order."""
    reference_right = found[settings.reference][0] == labels
    headline: dict[str, Any] = {}
    models: dict[str, Any] = {}
    for name, (predicted, facts) in found.items():
        right = predicted == labels
        headline[name] = {"test_accuracy": float(np.mean(right)) if len(right) else 0.0}
        test = mcnemar_exact(right, reference_right)
        interval = bootstrap_interval(right, settings.bootstrap_samples, settings.bootstrap_seed)
        models[name] = {
            "estimator": entries[name].estimator,
            "train": entries[name].train,
            **facts,
            "test_accuracy_interval": list(interval),
            "confusion": confusion(labels, predicted).tolist(),
            "mcnemar_vs_reference": {
                "only_this_right": test.only_first_right,
                "only_reference_right": test.only_second_right,
                "p_value": test.p_value,
            },
        }
    details = {
        "reference": settings.reference,
        "n_test": len(labels),
        "models": models,
        "error_analysis": error_analysis(np.array(models[settings.reference]["confusion"])),
    }
    return headline, details


def write_plots(labels: np.ndarray, predicted: np.ndarray, confusion_csv: Path_, errors_csv: Path_) -> None:
    """The reference model's test predictions and its misclassified images, as DVC confusion plot data."""
    wrong = labels != predicted
    write_csv(confusion_csv, {"actual": labels, "predicted": predicted})
    write_csv(errors_csv, {"actual": labels[wrong], "predicted": predicted[wrong]})


def write_test_predictions(target: Path_, labels: np.ndarray, found: Predictions) -> None:
    """Each test image's digit and every model's prediction, in test-set order (git-tracked: the review's McNemar)."""
    write_csv(target, {"label": labels, **{name: predicted for name, (predicted, _) in found.items()}})
