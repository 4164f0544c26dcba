"""Binary metrics from saved scores, checked against scikit-learn's own functions."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from sklearn.base import BaseEstimator
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_curve,
    precision_score,
    recall_score,
    roc_auc_score,
    roc_curve,
)
from sklearn.model_selection import KFold, cross_val_score

from pipelib.binary_metrics import (
    Counts,
    confusion_counts,
    fold_accuracies,
    pr_curve,
    rates,
    roc_auc,
    roc_points,
    thin_indices,
    threshold_for_precision,
    unstratified_folds,
)


def random_scores(n: int, seed: int, ties: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Boolean targets (about 10% positive) and scores that separate them imperfectly."""
    rng = np.random.default_rng(seed)
    target = rng.random(n) < 0.1
    score = rng.normal(size=n) + 2.0 * target - 1.5
    if ties:
        score = np.round(score, 1)
    return target, score


CASES = [(500, 0, False), (2000, 1, True), (3000, 2, False)]


@pytest.mark.parametrize(("n", "seed", "ties"), CASES)
@pytest.mark.parametrize("threshold", [-1.0, 0.0, 0.7])
def test_counts_and_rates_match_sklearn(n: int, seed: int, ties: bool, threshold: float) -> None:
    target, score = random_scores(n, seed, ties)
    predicted = score > threshold
    counts = confusion_counts(target, predicted)
    tn, fp, fn, tp = confusion_matrix(target, predicted, labels=[False, True]).ravel()
    assert counts == {"tn": tn, "fp": fp, "fn": fn, "tp": tp}
    assert all(isinstance(value, int) for value in counts.values())
    got = rates(counts)
    assert got["accuracy"] == pytest.approx(accuracy_score(target, predicted), abs=1e-12)
    assert got["precision"] == pytest.approx(precision_score(target, predicted, zero_division=0), abs=1e-12)
    assert got["recall"] == pytest.approx(recall_score(target, predicted, zero_division=0), abs=1e-12)
    assert got["f1"] == pytest.approx(f1_score(target, predicted, zero_division=0), abs=1e-12)


def test_rates_of_never_positive_are_zero_like_sklearn() -> None:
    target, _ = random_scores(400, 3)
    never = np.zeros_like(target)
    got = rates(confusion_counts(target, never))
    assert got["precision"] == precision_score(target, never, zero_division=0) == 0
    assert got["recall"] == 0
    assert got["f1"] == 0
    assert got["accuracy"] == pytest.approx(accuracy_score(target, never))


@pytest.mark.parametrize(("n", "seed", "ties"), CASES)
def test_pr_curve_matches_sklearn(n: int, seed: int, ties: bool) -> None:
    target, score = random_scores(n, seed, ties)
    curve = pr_curve(target, score)
    precision, recall, thresholds = precision_recall_curve(target, score)
    np.testing.assert_array_equal(curve.precision, precision)
    np.testing.assert_array_equal(curve.recall, recall)
    np.testing.assert_array_equal(curve.thresholds, thresholds)
    assert len(curve.precision) == len(curve.thresholds) + 1


@pytest.mark.parametrize(("n", "seed", "ties"), CASES)
def test_roc_matches_sklearn(n: int, seed: int, ties: bool) -> None:
    target, score = random_scores(n, seed, ties)
    assert roc_auc(target, score) == pytest.approx(roc_auc_score(target, score), abs=1e-12)
    fpr, tpr = roc_points(target, score)
    expected_fpr, expected_tpr, _ = roc_curve(target, score)
    np.testing.assert_array_equal(fpr, expected_fpr)
    np.testing.assert_array_equal(tpr, expected_tpr)


@pytest.mark.parametrize(("n", "seed", "ties"), CASES)
@pytest.mark.parametrize("target_precision", [0.5, 0.8, 0.9])
def test_threshold_for_precision(n: int, seed: int, ties: bool, target_precision: float) -> None:
    """The lowest curve threshold whose predictions (score >= threshold) reach the target precision."""
    target, score = random_scores(n, seed, ties)
    found = threshold_for_precision(pr_curve(target, score), target_precision)
    assert found is not None
    predicted = score >= found["threshold"]
    assert found["precision"] == pytest.approx(precision_score(target, predicted), abs=1e-12)
    assert found["recall"] == pytest.approx(recall_score(target, predicted), abs=1e-12)
    assert found["precision"] >= target_precision
    lower = np.unique(score[score < found["threshold"]])
    for candidate in lower[-20:]:  # no lower threshold reaches the target
        assert precision_score(target, score >= candidate) < target_precision


def test_threshold_for_unreachable_precision_is_none() -> None:
    target = np.array([True, False, True, False])
    score = np.array([0.0, 1.0, 0.0, 1.0])  # the negatives score highest
    assert threshold_for_precision(pr_curve(target, score), 1.0) is None


def test_fold_accuracies_match_sklearn() -> None:
    target, score = random_scores(999, 4)
    fold = np.repeat(np.arange(3, dtype=np.uint8), 333)
    predicted = score > 0
    got = fold_accuracies(fold, target, predicted)
    expected = [accuracy_score(target[fold == k], predicted[fold == k]) for k in range(3)]
    assert got == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(("length", "max_points"), [(5, 10), (10, 10), (59_896, 2000), (12_345, 7), (3, 2)])
def test_thin_indices(length: int, max_points: int) -> None:
    keep = thin_indices(length, max_points)
    assert len(keep) <= max_points
    assert keep[0] == 0
    assert keep[-1] == length - 1
    assert np.all(np.diff(keep) > 0)
    if length <= max_points:
        np.testing.assert_array_equal(keep, np.arange(length))
    np.testing.assert_array_equal(keep, thin_indices(length, max_points))


@pytest.mark.parametrize(("n_rows", "n_folds"), [(9, 3), (10, 3), (400, 3), (1001, 10), (60000, 3), (5, 5)])
def test_unstratified_folds_match_kfold(n_rows: int, n_folds: int) -> None:
    expected = np.empty(n_rows, dtype=int)
    for number, (_, test_rows) in enumerate(KFold(n_splits=n_folds).split(np.zeros(n_rows))):
        expected[test_rows] = number
    np.testing.assert_array_equal(unstratified_folds(n_rows, n_folds), expected)


class NeverPositive(BaseEstimator):
    """The seed's ``Never5Classifier``: a bare estimator, so ``cross_val_score`` splits it with plain KFold."""

    def fit(self, features: np.ndarray, target: np.ndarray | None = None) -> NeverPositive:
        return self

    def predict(self, features: np.ndarray) -> np.ndarray:
        return np.zeros(len(features), dtype=bool)


def test_never_positive_baseline_matches_seed_cross_val_score() -> None:
    target, _ = random_scores(1500, 6)
    target[:150] = True  # positives bunched at the start, so stratified and plain folds differ
    features = np.zeros((len(target), 1))
    expected = cross_val_score(NeverPositive(), features, target, cv=3, scoring="accuracy")
    got = fold_accuracies(unstratified_folds(len(target), 3), target, np.zeros_like(target))
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


def test_calibration_of_hand_built_probabilities() -> None:
    from pipelib.binary_metrics import calibration, probability

    # Two bins: [0.05, 0.05] with one positive of two, [0.95, 0.95] with both positive; bin 3 of 3 empty.
    result = calibration(np.array([0, 1, 1, 1], dtype=bool), np.array([0.05, 0.05, 0.95, 0.95]), n_bins=3)
    assert result.mean_probability == pytest.approx([0.05, 0.95])
    assert result.fraction_positive == pytest.approx([0.5, 1.0])
    assert result.count == [2, 2]
    assert result.brier == pytest.approx((0.05**2 + 0.95**2 + 0.05**2 + 0.05**2) / 4)
    assert probability(np.array([0.0, np.log(3)])) == pytest.approx([0.5, 0.75])


# --- hand-built cases: the expected values are worked out in the comments -------------------------


def test_counts_of_hand_built_predictions() -> None:
    # row:        0      1      2      3     4     5      6     7
    target = [False, False, False, True, True, True, False, True]
    predicted = [False, True, False, True, False, True, True, False]
    # tn: rows 0, 2; fp: rows 1, 6; fn: rows 4, 7; tp: rows 3, 5
    counts = Counts.of(np.array(target), np.array(predicted))
    assert counts == Counts(tn=2, fp=2, fn=2, tp=2)
    assert counts.as_dict() == {"tn": 2, "fp": 2, "fn": 2, "tp": 2}
    assert Counts(tn=1, fp=2, fn=3, tp=4).matrix() == [[1, 2], [3, 4]]
    # 0/1 integers are read as booleans
    assert Counts.of(np.array([0, 1, 1]), np.array([1, 1, 0])) == Counts(tn=0, fp=1, fn=1, tp=1)


def test_counts_are_read_only() -> None:
    counts = Counts(tn=1, fp=2, fn=3, tp=4)
    with pytest.raises(dataclasses.FrozenInstanceError):
        counts.tp = 5  # type: ignore[misc]


def test_rates_with_ties() -> None:
    """tp = fp = fn: precision = recall = 2/4, so F1 (their harmonic mean) is 0.5 too; accuracy 6/10."""
    assert Counts(tn=4, fp=2, fn=2, tp=2).rates() == {"accuracy": 0.6, "precision": 0.5, "recall": 0.5, "f1": 0.5}


def test_rates_hand_worked() -> None:
    # precision 3/4, recall 3/6 = 1/2, F1 = 2 * 3/4 * 1/2 / (3/4 + 1/2) = 0.75 / 1.25 = 0.6, accuracy 13/17
    got = rates({"tn": 10, "fp": 1, "fn": 3, "tp": 3})
    assert got == pytest.approx({"accuracy": 13 / 17, "precision": 0.75, "recall": 0.5, "f1": 0.6}, abs=1e-15)


def test_rates_with_no_positives() -> None:
    """No positive rows and none predicted: precision, recall and F1 are undefined, reported as 0."""
    assert rates({"tn": 5, "fp": 0, "fn": 0, "tp": 0}) == {"accuracy": 1.0, "precision": 0.0, "recall": 0.0, "f1": 0.0}
    # positives predicted but none there: precision 0/2, recall undefined
    assert rates({"tn": 3, "fp": 2, "fn": 0, "tp": 0}) == {"accuracy": 0.6, "precision": 0.0, "recall": 0.0, "f1": 0.0}


def test_rates_of_no_rows_are_zero() -> None:
    assert rates({"tn": 0, "fp": 0, "fn": 0, "tp": 0}) == {"accuracy": 0.0, "precision": 0.0, "recall": 0.0, "f1": 0.0}


def test_pr_curve_of_four_hand_scored_rows() -> None:
    # scores 1 < 2 < 3 < 4 with targets T, F, F, T. Predicting score >= t:
    #   t = 1: all four, 2 right  -> precision 2/4, recall 2/2
    #   t = 2: three, 1 right     -> precision 1/3, recall 1/2
    #   t = 3: two, 1 right       -> precision 1/2, recall 1/2
    #   t = 4: one, 1 right       -> precision 1/1, recall 1/2
    # and the curve's closing point: precision 1, recall 0
    curve = pr_curve(np.array([True, False, False, True]), np.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_allclose(curve.precision, [0.5, 1 / 3, 0.5, 1.0, 1.0], rtol=0, atol=1e-15)
    np.testing.assert_array_equal(curve.recall, [1.0, 0.5, 0.5, 0.5, 0.0])
    np.testing.assert_array_equal(curve.thresholds, [1.0, 2.0, 3.0, 4.0])
    with pytest.raises(dataclasses.FrozenInstanceError):
        curve.thresholds = np.zeros(1)  # type: ignore[misc]


HAND_CURVE = (np.array([True, False, False, True]), np.array([1.0, 2.0, 3.0, 4.0]))  # the curve above


def test_target_precision_reached_exactly_at_the_lowest_threshold() -> None:
    """Precision 0.5 at t = 1 reaches a target of 0.5 exactly (>=), before the 1/2 at t = 3."""
    found = threshold_for_precision(pr_curve(*HAND_CURVE), 0.5)
    assert found == {"threshold": 1.0, "precision": 0.5, "recall": 1.0}


@pytest.mark.parametrize("target_precision", [0.51, 1.0])
def test_only_the_top_threshold_reaches_the_target(target_precision: float) -> None:
    """Only t = 4 (precision 1, recall 1/2) reaches it; the closing point (precision 1, recall 0) is no threshold."""
    found = threshold_for_precision(pr_curve(*HAND_CURVE), target_precision)
    assert found == {"threshold": 4.0, "precision": 1.0, "recall": 0.5}


def test_unstratified_folds_by_hand() -> None:
    # 10 rows in 3 contiguous folds: 10 // 3 = 3 each, the first 10 % 3 = 1 fold one more
    assert unstratified_folds(10, 3).tolist() == [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert unstratified_folds(8, 3).tolist() == [0, 0, 0, 1, 1, 1, 2, 2]
    assert unstratified_folds(6, 3).tolist() == [0, 0, 1, 1, 2, 2]


def test_fold_accuracies_by_hand() -> None:
    fold = np.array([0, 0, 1, 1, 1, 2])
    target = np.array([True, False, True, True, False, False])
    predicted = np.array([True, True, True, False, False, False])
    # fold 0: 1 of 2 right; fold 1: 2 of 3; fold 2: 1 of 1
    assert fold_accuracies(fold, target, predicted) == pytest.approx([0.5, 2 / 3, 1.0], abs=1e-15)


def test_thin_indices_by_hand() -> None:
    assert thin_indices(0, 5).tolist() == []
    assert thin_indices(3, 5).tolist() == [0, 1, 2]
    assert thin_indices(4, 4).tolist() == [0, 1, 2, 3]
    # 0, 2.25, 4.5, 6.75, 9 rounded half to even: 0, 2, 4, 7, 9
    assert thin_indices(10, 5).tolist() == [0, 2, 4, 7, 9]


def test_calibration_of_two_bins_with_a_single_row_bin() -> None:
    """Two bins split at 0.5: bin [0, 0.5) holds 0.2 alone (negative), bin [0.5, 1] holds 0.6 and 0.7 (one positive)."""
    from pipelib.binary_metrics import calibration

    result = calibration(np.array([False, True, False]), np.array([0.2, 0.6, 0.7]), n_bins=2)
    assert result.count == [1, 2]
    assert result.mean_probability == pytest.approx([0.2, 0.65], abs=1e-15)
    assert result.fraction_positive == [0.0, 0.5]
    # Brier: (0.2^2 + 0.4^2 + 0.7^2) / 3 = (0.04 + 0.16 + 0.49) / 3 = 0.23
    assert result.brier == pytest.approx(0.23, abs=1e-15)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.brier = 0.0  # type: ignore[misc]
