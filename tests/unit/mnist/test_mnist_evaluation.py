"""MNIST evaluation on hand-built scores and models: known confusion counts, ties, an empty class."""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

import numpy as np
import pytest

from pipelib.binary_metrics import Calibration, Counts, Curve
from pipelib.errors import PipelineError
from pipelib.mnist.dataset import PIXELS, write_mnist
from pipelib.mnist.evaluation import (
    Checks,
    MnistEvaluation,
    MnistInputs,
    SoftmaxEvaluation,
    Walkthrough,
    analyse_errors,
    evaluate,
    evaluate_baseline,
    evaluate_binary,
    evaluate_softmax,
    interval,
    read_inputs,
    read_test_predictions,
    require_training_rows,
    training_rows,
    write_plots,
    write_test_predictions,
)
from pipelib.mnist.fitting import LinearModel, save_model
from pipelib.params import BinaryEvaluateParams, LogisticParams
from pipelib.scores import write_scores
from pipelib.stats import McNemar

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


@pytest.mark.parametrize("digit", [0, 3, 5, 9])
def test_evaluate_records_the_positive_digit(digit: int) -> None:
    binary, softmax = one_hot_models()
    labels = np.array([0, 3, 5, 9], dtype=np.uint8)
    inputs = MnistInputs(
        FOLD,
        TARGET,
        SCORE,
        images([5, 5, 5, 5]),
        labels,
        binary,
        softmax,
        softmax,
        images([5] * 10),
        labels.repeat(3)[:10],
        10,
    )
    result = evaluate(inputs, digit, SETTINGS)
    assert result.positive_digit == digit
    # the binary model says "positive" on every test image: one true positive, the digit's image
    assert result.binary.test == Counts(tn=0, fp=3, fn=0, tp=1)


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


# --- edges worked by hand -------------------------------------------------------------------------


def test_error_analysis_keeps_the_five_largest_shares() -> None:
    # Six wrong cells: 7 -> 1 (the only 7: share 1), 8 -> 3 (1 of 2), 6 -> 0 (1 of 3), 2 -> 5 (1 of 4),
    # 4 -> 9 (1 of 5), 0 -> 6 (1 of 8): the sixth, smallest, is left out.
    pairs = [(7, 1), (8, 8), (8, 3), *[(6, 6)] * 2, (6, 0), *[(2, 2)] * 3, (2, 5), *[(4, 4)] * 4, (4, 9)]
    pairs += [*[(0, 0)] * 7, (0, 6)]
    labels, predicted = (np.array(column) for column in zip(*pairs, strict=True))
    errors = analyse_errors(labels, predicted)
    assert errors.largest == [
        (7, 1, 1, 1.0),
        (8, 3, 1, 0.5),
        (6, 0, 1, pytest.approx(1 / 3)),
        (2, 5, 1, 0.25),
        (4, 9, 1, 0.2),
    ]
    assert errors.normalized[7].tolist() == [0.0, 1.0] + [0.0] * 8  # a digit seen once, and wrong
    assert errors.normalized[0, 6] == 0.125
    assert errors.support == [8, 0, 4, 0, 5, 0, 3, 1, 2, 0]
    assert errors.precision[1] == 0.0 and errors.precision[8] == 1.0  # 1 predicted once, wrongly; 8 once, rightly


def test_interval_of_fewer_than_two_items_is_the_accuracy_itself() -> None:
    assert interval(np.array([], dtype=bool), SETTINGS) == (0.0, 0.0)
    assert interval(np.array([True]), SETTINGS) == (1.0, 1.0)
    assert interval(np.array([False]), SETTINGS) == (0.0, 0.0)
    # Two items, one right: resampled accuracies 0, 1/2, 1 with chances 1/4, 1/2, 1/4, so the 2.5th
    # and 97.5th percentiles of 1000 resamples are 0 and 1 (not the point 1/2 of fewer items).
    assert interval(np.array([True, False]), SETTINGS) == (0.0, 1.0)


def test_evaluate_softmax_on_an_empty_test_set() -> None:
    _, softmax = one_hot_models()
    first_train = images([3, 4]).astype(np.float64)
    result = evaluate_softmax(softmax, np.zeros((0, PIXELS)), np.zeros(0, np.int64), first_train, SETTINGS)
    assert (result.test_accuracy, result.test_interval) == (0.0, (0.0, 0.0))
    assert result.predicted.tolist() == [] and result.first_train_predictions == [3, 4]


def test_binary_defaults_ten_calibration_bins_and_no_interval() -> None:
    # Probabilities 0.52 and 0.58 share the bin [0.5, 0.6) of ten; with eleven they would not.
    score = np.log(np.array([0.52, 0.58]) / np.array([0.48, 0.42]))
    result = evaluate_binary(np.array([0, 1], np.uint8), np.array([True, False]), score, Counts(0, 0, 0, 0), 0.0, 0.5)
    assert result.calibration.count == [2]
    assert result.calibration.mean_probability == pytest.approx([0.55])
    assert result.calibration.fraction_positive == [0.5]
    assert result.test_interval == (0.0, 0.0)


def test_evaluate_counts_ties_with_the_threshold_as_negative() -> None:
    binary, softmax = one_hot_models()  # the binary model scores -0.5 where pixel 5 is dark
    labels = np.array([5, 5, 3, 1, 0], dtype=np.uint8)
    train, train_labels = images([5, 0, 1, 2, 3, 4, 6, 7, 8, 9]), np.array([5, 0, 1, 2, 3, 4, 6, 7, 8, 9], np.uint8)
    test = images([5, 3, 3, 1, 5])
    inputs = MnistInputs(FOLD, TARGET, SCORE, test, labels, binary, softmax, softmax, train, train_labels, 50)
    settings = BinaryEvaluateParams(**{**EVALUATE, "threshold": -0.5, "walkthrough_row": 5})
    result = evaluate(inputs, 5, settings)
    # test scores 254.5, -0.5, -0.5, -0.5, 254.5 against "is a 5" T, T, F, F, F
    assert result.binary.test == Counts(tn=2, fp=1, fn=1, tp=1)
    # SCORE > -0.5: the -0.5 of row 5 is a tie, not a positive
    assert result.cv_predicted.tolist() == [True, True, True, False, True, False, False, False, True, False]
    assert result.binary.cv == Counts(tn=4, fp=2, fn=1, tp=3)
    walk = result.walkthrough  # row 5: out-of-fold score -0.5, and the image lit at pixel 4 scores -0.5 too
    assert (walk.row, walk.label, walk.cv_score, walk.cv_predicted) == (5, 4, -0.5, False)
    assert walk.decisions == [(-0.5, False), (0.5, False)]


def test_evaluate_on_eleven_training_images() -> None:
    binary, softmax = one_hot_models()
    # An eleventh training row (fold 1, not a 5): the seed prints the first ten predictions only.
    fold, target, score = np.append(FOLD, 1), np.append(TARGET, False), np.append(SCORE, -5.0)
    train = images([5, 0, 1, 2, 3, 4, 6, 7, 8, 9, 5])
    labels = np.array([5, 3, 1], dtype=np.uint8)
    inputs = MnistInputs(
        fold, target, score, images([5, 3, 1]), labels, binary, softmax, softmax, train, np.zeros(11, np.uint8), 55
    )
    result = evaluate(inputs, 5, SETTINGS)
    assert result.softmax.first_train_predictions == [5, 0, 1, 2, 3, 4, 6, 7, 8, 9]
    # plain KFold of 11 rows into the 2 folds of the scores: rows 0-5 (two right of six), 6-10 (all right)
    assert result.baseline.fold_accuracies == pytest.approx([2 / 6, 1.0])
    assert result.checks.data_shape == (14, PIXELS)
    # every test image right, for both models: the interval is the point 1 (no resampling needed)
    assert result.binary.test == Counts(tn=2, fp=0, fn=0, tp=1)
    assert result.binary.test_interval == (1.0, 1.0)
    assert result.softmax.test_interval == (1.0, 1.0)


def test_first_binary_predictions_are_at_threshold_zero_with_ties_negative() -> None:
    _, softmax = one_hot_models()
    coef = np.zeros((1, PIXELS))
    coef[0, [5, 6]] = 1.0
    binary = LinearModel(coef, np.array([-255.0]), np.array([False, True]), 3)  # scores: pixel 5 + pixel 6 - 255
    train = np.zeros((10, PIXELS), np.uint8)
    train[0, 5] = 255  # score 0: a tie, "not 5"
    train[1, [5, 6]] = [255, 1]  # score 1: "5" (and not only above 1)
    settings = BinaryEvaluateParams(**{**EVALUATE, "threshold": 100.0})  # the decision threshold does not apply
    labels = np.zeros(10, np.uint8)
    inputs = MnistInputs(
        FOLD, TARGET, SCORE, images([5]), np.array([5], np.uint8), binary, softmax, softmax, train, labels, 10
    )
    assert evaluate(inputs, 5, settings).checks.first_binary_predictions == [False, True, False]


def test_write_plots_files_written_out(tmp_path: Path) -> None:
    binary = evaluate_binary(FOLD, TARGET, SCORE, Counts(0, 0, 0, 0), 0.0, 0.75)
    curve = Curve(np.array([0.5, 2 / 3, 1.0, 1.0]), np.array([1.0, 1.0, 0.5, 0.0]), np.array([-1.0, 0.5, 2.0]))
    calibration = Calibration([0.25, 0.75], [0.0, 1.0], [2, 2], 0.125)
    labels = np.array([5, 3, 0])
    result = MnistEvaluation(
        binary=dataclasses.replace(binary, curve=curve, calibration=calibration),
        baseline=evaluate_baseline(TARGET, 2, labels == 5),
        softmax=SoftmaxEvaluation(np.array([5, 3, 3]), 2 / 3, 9, (0.0, 1.0), []),
        softmax_augmented=SoftmaxEvaluation(np.array([5, 5, 0]), 2 / 3, 9, (0.0, 1.0), []),
        test_labels=labels,
        roc=(np.array([0.0, 0.0, 0.5, 1.0]), np.array([0.0, 0.5, 1.0, 1.0])),
        walkthrough=Walkthrough(1, 9, False, 0.5, True, 0.5, []),
        checks=Checks((13, PIXELS), (50, PIXELS), []),
        errors=analyse_errors(labels, np.array([5, 5, 0])),
        mcnemar=McNemar(0, 1, 1.0),
        cv_predicted=np.array([True, True, False]),
        binary_target=np.array([True, False, True]),
        positive_digit=5,
    )
    write_plots(result, tmp_path, 100)
    expected = {
        "precision_recall.csv": "recall,precision\n1,0.5\n1,0.666667\n0.5,1\n",
        "threshold.csv": "threshold,precision,recall\n-1,0.5,1\n0.5,0.666667,1\n2,1,0.5\n",
        "roc.csv": "fpr,tpr\n0,0\n0,0.5\n0.5,1\n1,1\n",
        "test_confusion.csv": "actual,predicted\n5,5\n3,5\n0,0\n",
        "test_errors.csv": "actual,predicted\n3,5\n",
        "binary_cv_confusion.csv": "actual,predicted\n1,1\n0,1\n1,0\n",
        "calibration.csv": "mean_probability,fraction_positive\n0.25,0\n0.75,1\n",
    }
    assert {path.name: path.read_text(encoding="utf-8") for path in tmp_path.iterdir()} == expected
    write_plots(result, tmp_path, 2)  # two points per curve: its ends, for each curve on its own
    assert (tmp_path / "precision_recall.csv").read_text(encoding="utf-8") == "recall,precision\n1,0.5\n0.5,1\n"
    assert (tmp_path / "roc.csv").read_text(encoding="utf-8") == "fpr,tpr\n0,0\n1,1\n"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("5,5,x\n", r"p\.csv: not a CSV of integers \("),
        ("5\n", r"p\.csv: every row must hold 3 digits 0-9"),
        ("5,5\n", r"p\.csv: every row must hold 3 digits 0-9"),
        ("5,5,-1\n", r"p\.csv: every row must hold 3 digits 0-9"),
        ("5,10,5\n", r"p\.csv: every row must hold 3 digits 0-9"),
    ],
)
def test_test_predictions_refused(tmp_path: Path, body: str, message: str) -> None:
    (tmp_path / "p.csv").write_text("label,softmax,softmax_augmented\n" + body, encoding="utf-8")
    with pytest.raises(PipelineError, match=message):
        read_test_predictions(tmp_path / "p.csv")


def test_test_predictions_bounds_and_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("label,softmax,softmax_augmented\n0,9,0\n9,0,9\n", encoding="utf-8")
    assert {name: column.tolist() for name, column in read_test_predictions(path).items()} == {
        "label": [0, 9],
        "softmax": [9, 0],
        "softmax_augmented": [0, 9],
    }
    path.write_text("label,softmax,softmax_augmented\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # numpy: "input contained no data"
        empty = read_test_predictions(path)
    assert [(name, column.shape) for name, column in empty.items()] == [
        ("label", (0,)),
        ("softmax", (0,)),
        ("softmax_augmented", (0,)),
    ]
    with pytest.raises(PipelineError, match=r"absent\.csv: file not found \(run dvc repro\)"):
        read_test_predictions(tmp_path / "absent.csv")


def model_files(tmp_path: Path) -> list[Path]:
    """The evaluate stage's six input files, from the one-hot models, ten training and two test images."""
    binary, softmax = one_hot_models()
    params = LogisticParams(C=1.0, max_iter=100, random_state=0)
    save_model(tmp_path / "binary.npz", binary, params, 10)
    save_model(tmp_path / "softmax.npz", softmax, params, 50)
    write_scores(tmp_path / "scores.parquet", FOLD, TARGET, SCORE)
    write_mnist(images([5, 3]), np.array([5, 3], dtype=np.uint8), tmp_path / "test.parquet")
    write_mnist(images(list(range(10))), np.arange(10, dtype=np.uint8), tmp_path / "train.parquet")
    names = ("scores.parquet", "binary.npz", "softmax.npz", "softmax.npz", "test.parquet", "train.parquet")
    return [tmp_path / name for name in names]


@pytest.mark.parametrize("position", [2, 3])
def test_read_inputs_refuses_a_binary_model_for_a_softmax_one(tmp_path: Path, position: int) -> None:
    paths = model_files(tmp_path)
    paths[position] = paths[1]
    with pytest.raises(PipelineError, match=r"binary\.npz: a binary model, expected a multiclass \(softmax\) one"):
        read_inputs(*paths, 0)


def test_read_inputs_refuses_scores_of_another_training_set(tmp_path: Path) -> None:
    paths = model_files(tmp_path)
    write_mnist(images(list(range(9))), np.arange(9, dtype=np.uint8), tmp_path / "train.parquet")
    with pytest.raises(
        PipelineError, match=r"scores\.parquet: 10 rows, but .*train\.parquet has 9 \(rerun dvc repro\)"
    ):
        read_inputs(*paths, 0)


@pytest.mark.parametrize("rows", [0, -1, True, 1.5, None])
def test_training_rows_must_be_a_positive_count(tmp_path: Path, rows: object) -> None:
    _, softmax = one_hot_models()
    save_model(tmp_path / "m.npz", softmax, LogisticParams(C=1.0, max_iter=100, random_state=0), rows)  # type: ignore[arg-type]
    with pytest.raises(PipelineError, match=r"m\.npz: the model file does not record how many rows it was fitted on"):
        training_rows(tmp_path / "m.npz")


def test_training_rows_of_one(tmp_path: Path) -> None:
    _, softmax = one_hot_models()
    save_model(tmp_path / "m.npz", softmax, LogisticParams(C=1.0, max_iter=100, random_state=0), 1)
    assert training_rows(tmp_path / "m.npz") == 1


def test_results_are_frozen() -> None:
    binary, softmax = one_hot_models()
    inputs = MnistInputs(
        FOLD,
        TARGET,
        SCORE,
        images([5, 3]),
        np.array([5, 3], np.uint8),
        binary,
        softmax,
        softmax,
        images([5] * 10),
        np.full(10, 9, np.uint8),
        10,
    )
    result = evaluate(inputs, 5, SETTINGS)
    for frozen in (
        inputs,
        result,
        result.binary,
        result.binary.at_target,
        result.baseline,
        result.softmax,
        result.walkthrough,
        result.checks,
        result.errors,
    ):
        with pytest.raises(dataclasses.FrozenInstanceError):
            frozen.__setattr__(dataclasses.fields(frozen)[0].name, None)


def test_scores_must_have_one_row_per_training_image(tmp_path: Path) -> None:
    scores, train = tmp_path / "scores.parquet", tmp_path / "train.parquet"
    require_training_rows(scores, 60000, train, 60000)
    require_training_rows(scores, 0, train, 0)
    for n_scores, message in ((60001, "60001 rows"), (59999, "59999 rows")):
        with pytest.raises(PipelineError) as error:
            require_training_rows(scores, n_scores, train, 60000)
        assert str(error.value) == f"{scores}: {message}, but {train} has 60000 (rerun dvc repro)"
