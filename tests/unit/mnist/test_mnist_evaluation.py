"""MNIST evaluation on hand-built scores and models: known confusion counts, ties, an empty class."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipelib.binary_metrics import Counts
from pipelib.errors import PipelineError
from pipelib.mnist.dataset import PIXELS, write_mnist
from pipelib.mnist.evaluation import MnistInputs, evaluate, evaluate_baseline, evaluate_binary, read_inputs
from pipelib.mnist.fitting import LinearModel, save_model
from pipelib.params import BinaryEvaluateParams, LogisticParams
from pipelib.scores import write_scores

SETTINGS = BinaryEvaluateParams(threshold=0.0, target_precision=0.75, curve_points=100)

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
    inputs = MnistInputs(FOLD, TARGET, SCORE, images([5, 3, 3, 1, 5]), labels, binary, softmax, softmax)
    result = evaluate(inputs, 5, SETTINGS)
    assert result.softmax.test_accuracy == pytest.approx(3 / 5)
    assert result.softmax.predicted.tolist() == [5, 3, 3, 1, 5]
    assert result.softmax.n_iter == 9
    assert result.binary.test == Counts(tn=2, fp=1, fn=1, tp=1)
    assert result.baseline.test == Counts(tn=3, fp=0, fn=2, tp=0)
    assert result.test_labels.tolist() == labels.tolist()


def test_read_inputs_refuses_swapped_models(tmp_path: Path) -> None:
    binary, softmax = one_hot_models()
    params = LogisticParams(C=1.0, max_iter=100, random_state=0)
    save_model(tmp_path / "binary.npz", binary, params, 10)
    save_model(tmp_path / "softmax.npz", softmax, params, 10)
    write_scores(tmp_path / "scores.parquet", FOLD, TARGET, SCORE)
    write_mnist(images([5, 3]), np.array([5, 3], dtype=np.uint8), tmp_path / "test.parquet")
    paths = [tmp_path / name for name in ("scores.parquet", "binary.npz", "softmax.npz", "softmax.npz", "test.parquet")]
    assert read_inputs(*paths).binary_model.n_iter == 7
    paths[1], paths[2] = paths[2], paths[1]
    with pytest.raises(PipelineError, match=r"softmax\.npz: a 10-class model, expected a binary one"):
        read_inputs(*paths)
