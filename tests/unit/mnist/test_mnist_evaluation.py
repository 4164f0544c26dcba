"""MNIST evaluation on hand-built scores and models: known confusion counts, ties, an empty class."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipelib.binary_metrics import Counts
from pipelib.errors import PipelineError
from pipelib.mnist.dataset import PIXELS, write_mnist
from pipelib.mnist.evaluation import (
    MnistInputs,
    analyse_errors,
    evaluate,
    evaluate_baseline,
    evaluate_binary,
    read_inputs,
    read_test_predictions,
    write_test_predictions,
)
from pipelib.mnist.fitting import LinearModel, save_model
from pipelib.params import BinaryEvaluateParams, LogisticParams
from pipelib.scores import write_scores

EVALUATE = {
    "threshold": 0.0,
    "target_precision": 0.75,
    "curve_points": 100,
    "walkthrough_row": 1,
    "walkthrough_threshold": 0.5,
    "calibration_bins": 10,
    "bootstrap_samples": 1000,
    "bootstrap_seed": 0,
}
SETTINGS = BinaryEvaluateParams(**EVALUATE)

# Ten rows in two folds. Scores: positives 3.0, 1.0, 0.0 (a tie with the threshold: negative), -1.0;
# negatives 2.0, -0.5, -2.0, -3.0, 0.0 (a tie: negative), -4.0.
FOLD = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1], dtype=np.uint8)
TARGET = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0], dtype=bool)
SCORE = np.array([3.0, 1.0, 0.0, -1.0, 2.0, -0.5, -2.0, -3.0, 0.0, -4.0])


def test_binary_counts_at_threshold_zero_count_ties_as_negative() -> None:
    result = evaluate_binary(FOLD, TARGET, SCORE, Counts(0, 0, 0, 0), 0.0, 0.75)
    assert result.cv == Counts(tn=5, fp=1, fn=2, tp=2)
    assert result.cv.rates()["precision"] == pytest.approx(2 / 3)
    assert result.cv.rates()["recall"] == pytest.approx(2 / 4)
    # fold 0: rows 0-4 -> right: 0, 1 (pos), wrong: 2, 3 (pos at <= 0), 4 (neg at 2.0): 2/5; fold 1: all negatives right
    assert result.fold_accuracies == pytest.approx([2 / 5, 5 / 5])


def test_binary_threshold_moves_counts_not_fold_accuracies() -> None:
    result = evaluate_binary(FOLD, TARGET, SCORE, Counts(0, 0, 0, 0), -1.0, 0.75)
    # > -1.0: positives 3, 1, 0 (the one at -1.0 is a tie: negative); negatives 2.0, -0.5, 0.0
    assert result.cv == Counts(tn=3, fp=3, fn=1, tp=3)
    assert result.fold_accuracies == pytest.approx([2 / 5, 1.0])  # cross_val_score is at threshold 0


def test_binary_target_precision_point() -> None:
    result = evaluate_binary(FOLD, TARGET, SCORE, Counts(0, 0, 0, 0), 0.0, 0.75)
    # Thresholds from 1.0 up: {3, 2, 1} -> precision 2/3; from 3.0: 1/1. The lowest reaching 0.75 is 3.0.
    assert result.at_target.threshold == 3.0
    assert result.at_target.precision == 1.0
    assert result.at_target.recall == 0.25
    unreachable = evaluate_binary(FOLD, TARGET, -SCORE, Counts(0, 0, 0, 0), 0.0, 1.0)
    assert unreachable.at_target.threshold is None


def test_baseline_has_no_positives_and_kfold_blocks() -> None:
    result = evaluate_baseline(TARGET, 2, np.array([False, False, True]))
    assert result.cv == Counts(tn=6, fp=0, fn=4, tp=0)
    assert result.fold_accuracies == pytest.approx([1 / 5, 5 / 5])  # plain KFold: rows 0-4, 5-9
    assert result.test == Counts(tn=2, fp=0, fn=1, tp=0)
    assert result.test.rates() == {"accuracy": 2 / 3, "precision": 0.0, "recall": 0.0, "f1": 0.0}


def one_hot_models() -> tuple[LinearModel, LinearModel]:
    """A binary model "pixel 5 is lit" and a softmax model "the brightest of pixels 0-9 is the digit"."""
    binary_coef = np.zeros((1, PIXELS))
    binary_coef[0, 5] = 1.0
    binary = LinearModel(binary_coef, np.array([-0.5]), np.array([False, True]), 7)
    softmax_coef = np.zeros((10, PIXELS))
    softmax_coef[np.arange(10), np.arange(10)] = 1.0
    softmax = LinearModel(softmax_coef, np.zeros(10), np.arange(10, dtype=np.uint8), 9)
    return binary, softmax


def images(lit: list[int]) -> np.ndarray:
    """One image per entry with only that pixel lit."""
    pixels = np.zeros((len(lit), PIXELS), dtype=np.uint8)
    pixels[np.arange(len(lit)), lit] = 255
    return pixels


def test_evaluate_softmax_and_binary_on_the_test_set() -> None:
    binary, softmax = one_hot_models()
    # Labels 5, 5, 3, 1, 0 (digit 2 and 4.. absent: empty classes); lit pixels 5, 3, 3, 1, 5:
    # softmax predicts 5, 3, 3, 1, 5 -> 3 of 5 right; binary says "5" for rows 0 and 4.
    labels = np.array([5, 5, 3, 1, 0], dtype=np.uint8)
    train = images([5, 0, 1, 2, 3, 4, 6, 7, 8, 9])  # ten training images: the seed's first-ten check
    train_labels = np.array([5, 0, 1, 2, 3, 4, 6, 7, 8, 8], dtype=np.uint8)
    inputs = MnistInputs(
        FOLD, TARGET, SCORE, images([5, 3, 3, 1, 5]), labels, binary, softmax, softmax, train, train_labels, 50
    )
    result = evaluate(inputs, 5, SETTINGS)
    assert result.softmax.test_accuracy == pytest.approx(3 / 5)
    assert result.softmax.predicted.tolist() == [5, 3, 3, 1, 5]
    assert result.softmax.n_iter == 9
    assert result.binary.test == Counts(tn=2, fp=1, fn=1, tp=1)
    assert result.baseline.test == Counts(tn=3, fp=0, fn=2, tp=0)
    assert result.test_labels.tolist() == labels.tolist()
    assert result.softmax.first_train_predictions == [5, 0, 1, 2, 3, 4, 6, 7, 8, 9]
    assert result.checks.data_shape == (15, PIXELS)
    assert result.checks.augmented_shape == (50, PIXELS)
    assert result.checks.first_binary_predictions == [True, False, False]
    # Paired: rows 2 and 3 right for both, rows 1 and 4 wrong for both: no discordant pair.
    assert (result.mcnemar.only_first_right, result.mcnemar.only_second_right, result.mcnemar.p_value) == (0, 0, 1.0)


def test_walkthrough_of_a_false_positive() -> None:
    binary, softmax = one_hot_models()
    train = images([5] * 10)  # every image lit at pixel 5: the binary model scores 255 - 0.5
    train_labels = np.full(10, 9, dtype=np.uint8)  # ... but they are 9s: false positives
    inputs = MnistInputs(
        FOLD, TARGET, SCORE, images([5]), np.array([5], np.uint8), binary, softmax, softmax, train, train_labels, 10
    )
    settings = BinaryEvaluateParams(**{**EVALUATE, "walkthrough_threshold": 300.0})
    walk = evaluate(inputs, 5, settings).walkthrough
    assert (walk.row, walk.label, walk.positive) == (1, 9, False)
    assert walk.cv_score == 1.0 and walk.cv_predicted  # SCORE[1] = 1.0 > 0
    assert walk.score == pytest.approx(254.5)
    assert walk.decisions == [(0.0, True), (300.0, False)]


def test_error_analysis_counts_ties_and_an_empty_class() -> None:
    # Digit 9 is absent and never predicted; 2 -> 3 and 4 -> 1 both take half of their row: a tie in share.
    labels = np.array([0, 0, 0, 0, 2, 2, 4, 4, 1, 3])
    predicted = np.array([0, 0, 0, 1, 2, 3, 4, 1, 1, 3])
    errors = analyse_errors(labels, predicted)
    assert errors.confusion.shape == (10, 10)
    assert errors.confusion[2, 3] == 1 and errors.confusion[0, 1] == 1 and errors.confusion.trace() == 7
    assert errors.normalized[0, 1] == pytest.approx(0.25)
    assert np.diag(errors.normalized).tolist() == [0.0] * 10
    assert errors.normalized[9].tolist() == [0.0] * 10  # empty class: a zero row, not NaN
    assert errors.largest == [(2, 3, 1, 0.5), (4, 1, 1, 0.5), (0, 1, 1, 0.25)]  # ties in digit order
    assert errors.recall[9] == 0.0 and errors.precision[9] == 0.0 and errors.support[9] == 0
    assert errors.precision[1] == pytest.approx(1 / 3)  # predicted 1 three times, right once
    assert errors.recall[0] == pytest.approx(3 / 4)


def test_test_predictions_round_trip(tmp_path: Path) -> None:
    binary, softmax = one_hot_models()
    labels = np.array([5, 3], dtype=np.uint8)
    train = images(list(range(10)))
    inputs = MnistInputs(
        FOLD, TARGET, SCORE, images([5, 3]), labels, binary, softmax, softmax, train, labels.repeat(5), 10
    )
    result = evaluate(inputs, 5, SETTINGS)
    write_test_predictions(result, tmp_path / "p.csv")
    assert (tmp_path / "p.csv").read_text(encoding="utf-8") == "label,softmax,softmax_augmented\n5,5,5\n3,3,3\n"
    assert read_test_predictions(tmp_path / "p.csv")["softmax"].tolist() == [5, 3]
    (tmp_path / "p.csv").write_text("label,softmax\n5,5\n", encoding="utf-8")
    with pytest.raises(PipelineError, match="columns"):
        read_test_predictions(tmp_path / "p.csv")
    (tmp_path / "p.csv").write_text("label,softmax,softmax_augmented\n5,5,12\n", encoding="utf-8")
    with pytest.raises(PipelineError, match="digits 0-9"):
        read_test_predictions(tmp_path / "p.csv")


def test_read_inputs_refuses_swapped_models(tmp_path: Path) -> None:
    binary, softmax = one_hot_models()
    params = LogisticParams(C=1.0, max_iter=100, random_state=0)
    save_model(tmp_path / "binary.npz", binary, params, 10)
    save_model(tmp_path / "softmax.npz", softmax, params, 50)  # as if fitted on 5x the 10 training images
    write_scores(tmp_path / "scores.parquet", FOLD, TARGET, SCORE)
    write_mnist(images([5, 3]), np.array([5, 3], dtype=np.uint8), tmp_path / "test.parquet")
    write_mnist(images(list(range(10))), np.arange(10, dtype=np.uint8), tmp_path / "train.parquet")
    names = ("scores.parquet", "binary.npz", "softmax.npz", "softmax.npz", "test.parquet", "train.parquet")
    paths = [tmp_path / name for name in names]
    assert read_inputs(*paths, 9).augmented_rows == 50  # the rows the augmented model file records
    with pytest.raises(PipelineError, match=r"'mnist\.evaluate\.walkthrough_row' must be below 10, got 10"):
        read_inputs(*paths, 10)
    paths[1], paths[2] = paths[2], paths[1]
    with pytest.raises(PipelineError, match=r"softmax\.npz: a 10-class model, expected a binary one"):
        read_inputs(*paths, 0)
