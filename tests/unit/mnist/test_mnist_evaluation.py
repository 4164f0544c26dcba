"""The binary classifier's evaluation that no threshold changes, on hand-built scores and models."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import helpers
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from pipelib.binary_metrics import Calibration, Counts, Curve
from pipelib.errors import PipelineError
from pipelib.mnist import models
from pipelib.mnist.dataset import PIXELS, write_mnist
from pipelib.mnist.evaluation import (
    Checks,
    MnistEvaluation,
    MnistInputs,
    Walkthrough,
    evaluate,
    evaluate_baseline,
    evaluate_binary,
    load_binary,
    read_inputs,
    write_for_operating_point,
    write_plots,
)
from pipelib.mnist.fitting import LinearModel
from pipelib.params import BinaryEvaluateParams
from pipelib.scores import read_curve, read_scores, write_scores

EVALUATE = helpers.MNIST_EVALUATE
SETTINGS = BinaryEvaluateParams(**EVALUATE)

# Ten rows in two folds. Scores: positives 3.0, 1.0, 0.0 (a tie with the threshold: negative), -1.0;
# negatives 2.0, -0.5, -2.0, -3.0, 0.0 (a tie: negative), -4.0.
FOLD = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1], dtype=np.uint8)
TARGET = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0], dtype=bool)
SCORE = np.array([3.0, 1.0, 0.0, -1.0, 2.0, -0.5, -2.0, -3.0, 0.0, -4.0])


def test_fold_accuracies_are_at_threshold_zero_with_ties_negative() -> None:
    result = evaluate_binary(FOLD, TARGET, SCORE, 10)
    # fold 0: rows 0-4 -> right: 0, 1 (pos), wrong: 2, 3 (pos at <= 0), 4 (neg at 2.0): 2/5; fold 1: all negatives right
    assert result.fold_accuracies == pytest.approx([2 / 5, 5 / 5])


def test_binary_curve_is_the_whole_precision_recall_curve() -> None:
    result = evaluate_binary(FOLD, TARGET, SCORE, 10)
    # One threshold per distinct score (nine: the two 0.0 are one), precision and recall one point more.
    np.testing.assert_array_equal(result.curve.thresholds, [-4.0, -3.0, -2.0, -1.0, -0.5, 0.0, 1.0, 2.0, 3.0])
    # From 0.0 up: positives 3, 1, 0 and negatives 2, 0 -> precision 3/5, recall 3/4; from 3.0: 1/1 and 1/4.
    assert result.curve.precision[5] == pytest.approx(3 / 5) and result.curve.recall[5] == 0.75
    assert (result.curve.precision[-2:].tolist(), result.curve.recall[-2:].tolist()) == ([1.0, 1.0], [0.25, 0.0])
    # Of the 4 x 6 (positive, negative) pairs the positive outranks 6 + 5 + 4 + 3, and ties one (0.0): 18.5 / 24
    assert result.roc_auc == pytest.approx(18.5 / 24)


def test_baseline_has_no_positives_and_kfold_blocks() -> None:
    result = evaluate_baseline(TARGET, 2, np.array([False, False, True]))
    assert result.cv == Counts(tn=6, fp=0, fn=4, tp=0)
    assert result.fold_accuracies == pytest.approx([1 / 5, 5 / 5])  # plain KFold: rows 0-4, 5-9
    assert result.test == Counts(tn=2, fp=0, fn=1, tp=0)
    assert result.test.rates() == {"accuracy": 2 / 3, "precision": 0.0, "recall": 0.0, "f1": 0.0}


def one_hot_binary() -> Any:
    """A binary LogisticRegression "pixel 5 is lit" (score: pixel 5 - 0.5), as the project's fit fills one."""
    coef = np.zeros((1, PIXELS))
    coef[0, 5] = 1.0
    return LinearModel(coef, np.array([-0.5]), np.array([False, True]), 7).fitted(LogisticRegression())


def one_hot_softmax() -> Any:
    """A ten-digit LogisticRegression "the brightest of pixels 0-9 is the digit"."""
    coef = np.zeros((10, PIXELS))
    coef[np.arange(10), np.arange(10)] = 1.0
    return LinearModel(coef, np.zeros(10), np.arange(10, dtype=np.uint8), 9).fitted(LogisticRegression())


def images(lit: list[int]) -> np.ndarray:
    """One image per entry with only that pixel lit."""
    pixels = np.zeros((len(lit), PIXELS), dtype=np.uint8)
    pixels[np.arange(len(lit)), lit] = 255
    return pixels


def test_evaluate_binary_and_baseline_on_the_test_set() -> None:
    binary = one_hot_binary()
    # Labels 5, 5, 3, 1, 0; lit pixels 5, 3, 3, 1, 5: binary says "5" for rows 0 and 4.
    labels = np.array([5, 5, 3, 1, 0], dtype=np.uint8)
    train = images([5, 0, 1, 2, 3, 4, 6, 7, 8, 9])
    train_labels = np.array([5, 0, 1, 2, 3, 4, 6, 7, 8, 8], dtype=np.uint8)
    inputs = MnistInputs(FOLD, TARGET, SCORE, images([5, 3, 3, 1, 5]), labels, binary, train, train_labels)
    result = evaluate(inputs, 5, SETTINGS)
    # The test set's truth and scores, for the operating point: 255 - 0.5 where pixel 5 is lit, else -0.5.
    assert result.test_target.tolist() == [True, True, False, False, False]
    assert result.test_score.tolist() == [254.5, -0.5, -0.5, -0.5, 254.5]
    assert result.baseline.test == Counts(tn=3, fp=0, fn=2, tp=0)
    assert result.checks.data_shape == (15, PIXELS)
    assert result.checks.first_binary_predictions == [True, False, False]


@pytest.mark.parametrize("digit", [0, 3, 5, 9])
def test_evaluate_records_the_positive_digit(digit: int) -> None:
    labels = np.array([0, 3, 5, 9], dtype=np.uint8)
    inputs = MnistInputs(
        FOLD, TARGET, SCORE, images([5, 5, 5, 5]), labels, one_hot_binary(), images([5] * 10), labels.repeat(3)[:10]
    )
    result = evaluate(inputs, digit, SETTINGS)
    assert result.positive_digit == digit
    # the test truth is "is the digit": one of the four test images
    assert result.test_target.tolist() == [label == digit for label in (0, 3, 5, 9)]
    assert result.test_score.tolist() == [254.5] * 4


def test_walkthrough_of_a_false_positive() -> None:
    train = images([5] * 10)  # every image lit at pixel 5: the binary model scores 255 - 0.5
    train_labels = np.full(10, 9, dtype=np.uint8)  # ... but they are 9s: false positives
    inputs = MnistInputs(
        FOLD, TARGET, SCORE, images([5]), np.array([5], np.uint8), one_hot_binary(), train, train_labels
    )
    walk = evaluate(inputs, 5, SETTINGS).walkthrough
    assert (walk.row, walk.label, walk.positive) == (1, 9, False)
    assert walk.cv_score == 1.0  # SCORE[1]: out of fold, not the model's
    assert walk.score == pytest.approx(254.5)


def test_read_inputs_reads_the_binary_model_file_and_refuses_a_softmax_one(tmp_path: Path) -> None:
    paths = model_files(tmp_path)
    inputs = read_inputs(*paths, 9)
    assert inputs.binary_model.classes_.tolist() == [False, True]
    np.testing.assert_array_equal(inputs.binary_model.coef_, one_hot_binary().coef_)
    assert inputs.test_labels.tolist() == [5, 3] and inputs.train_labels.tolist() == list(range(10))
    with pytest.raises(PipelineError, match=r"'mnist\.evaluate\.walkthrough_row' must be below 10, got 10"):
        read_inputs(*paths, 10)
    models.save(one_hot_softmax(), tmp_path / "softmax.skops")
    paths[1] = tmp_path / "softmax.skops"
    with pytest.raises(PipelineError) as error:
        read_inputs(*paths, 0)
    assert str(error.value) == f"{paths[1]}: a 10-class model, expected a binary one"


def test_load_binary_checks_the_model_file_first(tmp_path: Path) -> None:
    """A binary model file is an MNIST model file: its checks apply before the class count."""
    model = one_hot_binary()
    model.coef_[0, 3] = np.nan
    models.save(model, tmp_path / "binary.skops")
    with pytest.raises(PipelineError, match=r"binary\.skops: array 'coef_' holds NaN or infinite values$"):
        load_binary(tmp_path / "binary.skops")
    with pytest.raises(PipelineError, match=r"absent\.skops: model file not found"):
        load_binary(tmp_path / "absent.skops")


# --- edges worked by hand -------------------------------------------------------------------------


def test_calibration_bins_are_the_setting() -> None:
    # Probabilities 0.52 and 0.58 share the bin [0.5, 0.6) of ten; of eleven, [5/11, 6/11) and [6/11, 7/11).
    score = np.log(np.array([0.52, 0.58]) / np.array([0.48, 0.42]))
    result = evaluate_binary(np.array([0, 1], np.uint8), np.array([True, False]), score, 10)
    assert result.calibration.count == [2]
    assert result.calibration.mean_probability == pytest.approx([0.55])
    assert result.calibration.fraction_positive == [0.5]
    eleven = evaluate_binary(np.array([0, 1], np.uint8), np.array([True, False]), score, 11)
    assert eleven.calibration.count == [1, 1]
    assert eleven.calibration.fraction_positive == [1.0, 0.0]


def test_no_setting_of_the_threshold_changes_the_evaluation() -> None:
    binary = one_hot_binary()
    labels = np.array([5, 5, 3, 1, 0], dtype=np.uint8)
    train, train_labels = images([5, 0, 1, 2, 3, 4, 6, 7, 8, 9]), np.array([5, 0, 1, 2, 3, 4, 6, 7, 8, 9], np.uint8)
    inputs = MnistInputs(FOLD, TARGET, SCORE, images([5, 3, 3, 1, 5]), labels, binary, train, train_labels)
    moved = {"threshold": -0.5, "target_precision": 0.5, "walkthrough_threshold": -3.0, "bootstrap_seed": 7}
    first, second = evaluate(inputs, 5, SETTINGS), evaluate(inputs, 5, BinaryEvaluateParams(**{**EVALUATE, **moved}))
    assert first.binary.fold_accuracies == second.binary.fold_accuracies == pytest.approx([2 / 5, 1.0])
    assert first.walkthrough == second.walkthrough
    assert first.test_score.tolist() == second.test_score.tolist()


def test_evaluate_on_eleven_training_images() -> None:
    # An eleventh training row (fold 1, not a 5).
    fold, target, score = np.append(FOLD, 1), np.append(TARGET, False), np.append(SCORE, -5.0)
    train = images([5, 0, 1, 2, 3, 4, 6, 7, 8, 9, 5])
    labels = np.array([5, 3, 1], dtype=np.uint8)
    inputs = MnistInputs(
        fold, target, score, images([5, 3, 1]), labels, one_hot_binary(), train, np.zeros(11, np.uint8)
    )
    result = evaluate(inputs, 5, SETTINGS)
    # plain KFold of 11 rows into the 2 folds of the scores: rows 0-5 (two right of six), 6-10 (all right)
    assert result.baseline.fold_accuracies == pytest.approx([2 / 6, 1.0])
    assert result.checks.data_shape == (14, PIXELS)
    assert result.test_target.tolist() == [True, False, False]
    assert result.test_score.tolist() == [254.5, -0.5, -0.5]


def test_first_binary_predictions_are_at_threshold_zero_with_ties_negative() -> None:
    coef = np.zeros((1, PIXELS))
    coef[0, [5, 6]] = 1.0
    linear = LinearModel(coef, np.array([-255.0]), np.array([False, True]), 3)  # scores: pixel 5 + pixel 6 - 255
    binary = linear.fitted(LogisticRegression())
    train = np.zeros((10, PIXELS), np.uint8)
    train[0, 5] = 255  # score 0: a tie, "not 5"
    train[1, [5, 6]] = [255, 1]  # score 1: "5" (and not only above 1)
    settings = BinaryEvaluateParams(**{**EVALUATE, "threshold": 100.0})  # the decision threshold does not apply
    labels = np.zeros(10, np.uint8)
    inputs = MnistInputs(FOLD, TARGET, SCORE, images([5]), np.array([5], np.uint8), binary, train, labels)
    assert evaluate(inputs, 5, settings).checks.first_binary_predictions == [False, True, False]


def test_write_plots_files_written_out(tmp_path: Path) -> None:
    binary = evaluate_binary(FOLD, TARGET, SCORE, 10)
    curve = Curve(np.array([0.5, 2 / 3, 1.0, 1.0]), np.array([1.0, 1.0, 0.5, 0.0]), np.array([-1.0, 0.5, 2.0]))
    calibration = Calibration([0.25, 0.75], [0.0, 1.0], [2, 2], 0.125)
    labels = np.array([5, 3, 0])
    result = MnistEvaluation(
        binary=dataclasses.replace(binary, curve=curve, calibration=calibration),
        baseline=evaluate_baseline(TARGET, 2, labels == 5),
        roc=(np.array([0.0, 0.0, 0.5, 1.0]), np.array([0.0, 0.5, 1.0, 1.0])),
        walkthrough=Walkthrough(1, 9, False, 0.5, 0.5),
        checks=Checks((13, PIXELS), []),
        test_target=np.array([True, False, True]),
        test_score=np.array([1.0, 1.0, -1.0]),
        positive_digit=5,
    )
    write_plots(result, tmp_path, 100)
    expected = {
        "precision_recall.csv": "recall,precision\n1,0.5\n1,0.666667\n0.5,1\n",
        "threshold.csv": "threshold,precision,recall\n-1,0.5,1\n0.5,0.666667,1\n2,1,0.5\n",
        "roc.csv": "fpr,tpr\n0,0\n0,0.5\n0.5,1\n1,1\n",
        "calibration.csv": "mean_probability,fraction_positive\n0.25,0\n0.75,1\n",
    }
    assert {path.name: path.read_text(encoding="utf-8") for path in tmp_path.iterdir()} == expected
    write_plots(result, tmp_path, 2)  # two points per curve: its ends, for each curve on its own
    assert (tmp_path / "precision_recall.csv").read_text(encoding="utf-8") == "recall,precision\n1,0.5\n0.5,1\n"
    assert (tmp_path / "roc.csv").read_text(encoding="utf-8") == "fpr,tpr\n0,0\n1,1\n"


def model_files(tmp_path: Path) -> list[Path]:
    """The evaluate stage's four input files, from the one-hot binary model, ten training and two test images."""
    models.save(one_hot_binary(), tmp_path / "binary.skops")
    write_scores(tmp_path / "scores.parquet", FOLD, TARGET, SCORE)
    write_mnist(images([5, 3]), np.array([5, 3], dtype=np.uint8), tmp_path / "test.parquet")
    write_mnist(images(list(range(10))), np.arange(10, dtype=np.uint8), tmp_path / "train.parquet")
    return [tmp_path / name for name in ("scores.parquet", "binary.skops", "test.parquet", "train.parquet")]


def test_read_inputs_refuses_scores_of_another_training_set(tmp_path: Path) -> None:
    paths = model_files(tmp_path)
    write_mnist(images(list(range(9))), np.arange(9, dtype=np.uint8), tmp_path / "train.parquet")
    with pytest.raises(
        PipelineError, match=r"scores\.parquet: 10 rows, but .*train\.parquet has 9 \(rerun dvc repro\)"
    ):
        read_inputs(*paths, 0)


def test_results_are_frozen() -> None:
    inputs = MnistInputs(
        FOLD,
        TARGET,
        SCORE,
        images([5, 3]),
        np.array([5, 3], np.uint8),
        one_hot_binary(),
        images([5] * 10),
        np.full(10, 9, np.uint8),
    )
    result = evaluate(inputs, 5, SETTINGS)
    for frozen in (
        inputs,
        result,
        result.binary,
        result.baseline,
        result.walkthrough,
        result.checks,
    ):
        with pytest.raises(dataclasses.FrozenInstanceError):
            frozen.__setattr__(dataclasses.fields(frozen)[0].name, None)


def test_write_for_operating_point_saves_the_test_scores_and_the_whole_curve(tmp_path: Path) -> None:
    inputs = MnistInputs(
        FOLD,
        TARGET,
        SCORE,
        images([5, 3, 5]),
        np.array([5, 3, 0], np.uint8),
        one_hot_binary(),
        images([5] * 10),
        np.full(10, 9, np.uint8),
    )
    result = evaluate(inputs, 5, SETTINGS)
    write_for_operating_point(result, tmp_path / "test_scores.parquet", tmp_path / "curve.parquet")
    fold, target, score = read_scores(tmp_path / "test_scores.parquet", 3)
    assert (fold.tolist(), target.tolist(), score.tolist()) == ([0, 0, 0], [True, False, False], [254.5, -0.5, 254.5])
    precision, recall, thresholds = read_curve(tmp_path / "curve.parquet", 10)
    # every point of the curve, not the plots' thinned ones: nine thresholds, ten precisions and recalls
    assert (len(thresholds), len(precision), len(recall)) == (9, 10, 10)
    np.testing.assert_array_equal(thresholds, result.binary.curve.thresholds)
    np.testing.assert_array_equal(precision, result.binary.curve.precision)
    np.testing.assert_array_equal(recall, result.binary.curve.recall)
