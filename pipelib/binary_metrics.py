"""Metrics of a binary classifier computed from saved out-of-fold scores, with no refitting.

scikit-learn and scipy are imported by the functions that use them: the operating point at a
threshold (counts, rates, the target precision's point) needs neither, and its stage starts faster.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def fold_accuracies(fold: np.ndarray, target: np.ndarray, predicted: np.ndarray) -> list[float]:
    """Accuracy on each fold's held-out rows, in fold order (``cross_val_score``'s array)."""
    return [float(np.mean(predicted[fold == number] == target[fold == number])) for number in np.unique(fold)]


def unstratified_folds(n_rows: int, n_folds: int) -> np.ndarray:
    """Fold id of each row under ``KFold(n_folds)`` without shuffling: contiguous blocks.

    The seed's ``Never5Classifier`` is a bare ``BaseEstimator``, not a classifier, so
    ``cross_val_score(cv=3)`` splits it with plain ``KFold`` rather than the stratified folds
    of the logistic regression; its per-fold accuracies differ for that reason alone.
    """
    sizes = np.full(n_folds, n_rows // n_folds)
    sizes[: n_rows % n_folds] += 1
    return np.repeat(np.arange(n_folds), sizes)


def confusion_counts(target: np.ndarray, predicted: np.ndarray) -> dict[str, int]:
    """tn, fp, fn, tp of boolean predictions."""
    return {
        "tn": int(np.sum(~target & ~predicted)),
        "fp": int(np.sum(~target & predicted)),
        "fn": int(np.sum(target & ~predicted)),
        "tp": int(np.sum(target & predicted)),
    }


@dataclass(frozen=True)
class Counts:
    """A binary confusion matrix: true negatives, false positives, false negatives, true positives."""

    tn: int
    fp: int
    fn: int
    tp: int

    @classmethod
    def of(cls, target: np.ndarray, predicted: np.ndarray) -> Counts:
        """The counts of boolean predictions against boolean targets."""
        return cls(**confusion_counts(np.asarray(target, dtype=bool), np.asarray(predicted, dtype=bool)))

    def as_dict(self) -> dict[str, int]:
        """``{"tn": ..., "fp": ..., "fn": ..., "tp": ...}``."""
        return {"tn": self.tn, "fp": self.fp, "fn": self.fn, "tp": self.tp}

    def matrix(self) -> list[list[int]]:
        """``[[tn, fp], [fn, tp]]``: scikit-learn's ``confusion_matrix`` layout, as the seed prints it."""
        return [[self.tn, self.fp], [self.fn, self.tp]]

    def rates(self) -> dict[str, float]:
        """Accuracy, precision, recall and F1 (see :func:`rates`)."""
        return rates(self.as_dict())


def rates(counts: dict[str, int]) -> dict[str, float]:
    """Accuracy, precision, recall and F1 from confusion counts (0 where undefined, as scikit-learn)."""
    tp, fp, fn, tn = counts["tp"], counts["fp"], counts["fn"], counts["tn"]
    total = tp + fp + fn + tn
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"accuracy": (tp + tn) / total if total else 0.0, "precision": precision, "recall": recall, "f1": f1}


@dataclass(frozen=True)
class Curve:
    """The precision-recall curve of scikit-learn: ``precision``/``recall`` have one more point."""

    precision: np.ndarray
    recall: np.ndarray
    thresholds: np.ndarray


def pr_curve(target: np.ndarray, score: np.ndarray) -> Curve:
    """``precision_recall_curve`` of the scores."""
    from sklearn.metrics import precision_recall_curve

    precision, recall, thresholds = precision_recall_curve(target, score)
    return Curve(precision, recall, thresholds)


def threshold_for_precision(curve: Curve, target_precision: float) -> dict[str, float] | None:
    """The lowest threshold whose precision reaches the target, and the recall there.

    As the seed's book does: ``thresholds[np.argmax(precisions >= target)]``. None when no
    threshold reaches the target.
    """
    reached = curve.precision[:-1] >= target_precision
    if not reached.any():
        return None
    index = int(np.argmax(reached))
    return {
        "threshold": float(curve.thresholds[index]),
        "precision": float(curve.precision[index]),
        "recall": float(curve.recall[index]),
    }


def roc_auc(target: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve."""
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(target, score))


def roc_points(target: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """False- and true-positive rates of the ROC curve."""
    from sklearn.metrics import roc_curve

    fpr, tpr, _ = roc_curve(target, score)
    return fpr, tpr


def thin_indices(length: int, max_points: int) -> np.ndarray:
    """At most ``max_points`` evenly spread indices of a curve, ends included, deterministic."""
    if length <= max_points:
        return np.arange(length)
    return np.unique(np.linspace(0, length - 1, max_points).round().astype(int))


@dataclass(frozen=True)
class Calibration:
    """A reliability curve (equal-width probability bins, empty bins left out) and the Brier score.

    ``mean_probability[i]`` is the mean predicted probability of the ``count[i]`` rows of bin i,
    ``fraction_positive[i]`` the share of them that are positive: a calibrated classifier has the two equal.
    """

    mean_probability: list[float]
    fraction_positive: list[float]
    count: list[int]
    brier: float


def probability(score: np.ndarray) -> np.ndarray:
    """A logistic regression's probability of the positive class from its decision score (``predict_proba``)."""
    from scipy.special import expit

    return expit(np.asarray(score, dtype=np.float64))


def calibration(target: np.ndarray, prob: np.ndarray, n_bins: int) -> Calibration:
    """Reliability curve of ``n_bins`` equal-width bins (scikit-learn's ``calibration_curve``) and Brier score."""
    from sklearn.calibration import calibration_curve
    from sklearn.metrics import brier_score_loss

    target = np.asarray(target, dtype=bool)
    fraction, mean = calibration_curve(target, prob, n_bins=n_bins, strategy="uniform")
    # The same binning as calibration_curve, to count the rows of each non-empty bin.
    bin_ids = np.searchsorted(np.linspace(0.0, 1.0, n_bins + 1)[1:-1], prob)
    counts = np.bincount(bin_ids, minlength=n_bins)
    return Calibration(
        [float(value) for value in mean],
        [float(value) for value in fraction],
        [int(value) for value in counts[counts > 0]],
        float(brier_score_loss(target, prob)),
    )
