"""The binary classifier at its decision threshold, on hand-built scores: ties, the target precision, the interval."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import helpers
import numpy as np
import pytest

from pipelib.binary_metrics import Curve
from pipelib.metrics import MNIST_OPERATING_DETAIL_KEYS, MNIST_OPERATING_HEADLINE, dotted
from pipelib.mnist.operating_point import operating_point
from pipelib.params import BinaryEvaluateParams

EVALUATE: dict[str, Any] = helpers.MNIST_EVALUATE

# Ten training rows. Scores: positives 3.0, 1.0, 0.0, -1.0; negatives 2.0, -0.5, -2.0, -3.0, 0.0, -4.0.
TARGET = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0], dtype=bool)
SCORE = np.array([3.0, 1.0, 0.0, -1.0, 2.0, -0.5, -2.0, -3.0, 0.0, -4.0])
# Their precision-recall curve worked by hand: at each distinct score t, the rows scoring >= t.
CURVE = Curve(
    precision=np.array([4 / 10, 4 / 9, 4 / 8, 4 / 7, 3 / 6, 3 / 5, 2 / 3, 1 / 2, 1 / 1, 1.0]),
    recall=np.array([1.0, 1.0, 1.0, 1.0, 0.75, 0.75, 0.5, 0.25, 0.25, 0.0]),
    thresholds=np.array([-4.0, -3.0, -2.0, -1.0, -0.5, 0.0, 1.0, 2.0, 3.0]),
)
# Five test images: "is the digit" T, T, F, F, F.
TEST_TARGET = np.array([True, True, False, False, False])
TEST_SCORE = np.array([254.5, -0.5, -0.5, -0.5, 254.5])
WALK = {"cv_score": 1.0, "score": 254.5}


def at(
    cv: tuple[np.ndarray, np.ndarray] = (TARGET, SCORE),
    test: tuple[np.ndarray, np.ndarray] = (TEST_TARGET, TEST_SCORE),
    curve: Curve = CURVE,
    walkthrough: dict[str, Any] | None = None,
    **settings: Any,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(headline, details)["binary"] at the given settings."""
    params = BinaryEvaluateParams(**{**EVALUATE, **settings})
    headline, details = operating_point(cv, test, curve, WALK if walkthrough is None else walkthrough, params)
    assert set(headline) == set(details) == {"binary"}
    return headline["binary"], details["binary"]


def test_ties_with_the_threshold_count_as_negative() -> None:
    headline, details = at()
    # > 0: positives 3, 1 (the one at 0.0 is a tie: negative); negative 2.0 (the one at 0.0: negative)
    assert details["cv_confusion"] == {"tn": 5, "fp": 1, "fn": 2, "tp": 2}
    assert headline["cv_accuracy"] == pytest.approx(7 / 10)
    assert headline["cv_precision"] == pytest.approx(2 / 3)
    assert headline["cv_recall"] == pytest.approx(1 / 2)
    assert headline["cv_f1"] == pytest.approx(2 * (2 / 3) * (1 / 2) / (2 / 3 + 1 / 2))
    # the test scores 254.5 are above 0, the -0.5 below: rows 0 and 4 positive
    assert details["test_confusion"] == {"tn": 2, "fp": 1, "fn": 1, "tp": 1}
    _, details = at(threshold=-0.5)  # now the test scores -0.5 are ties: still negative
    assert details["test_confusion"] == {"tn": 2, "fp": 1, "fn": 1, "tp": 1}
    # > -0.5: positives 3, 1, 0; negatives 2.0, 0.0 (the -0.5 of row 5 is a tie, not a positive)
    assert details["cv_confusion"] == {"tn": 4, "fp": 2, "fn": 1, "tp": 3}


def test_the_threshold_moves_the_counts_and_nothing_threshold_free() -> None:
    headline, details = at(threshold=-1.0)
    # > -1.0: positives 3, 1, 0 (the one at -1.0 is a tie: negative); negatives 2.0, -0.5, 0.0
    assert details["cv_confusion"] == {"tn": 3, "fp": 3, "fn": 1, "tp": 3}
    assert details["threshold"] == -1.0
    # The fold accuracies (cross_val_score, at 0), ROC AUC and Brier score are evaluate_mnist's, not here.
    assert list(headline) == [
        "cv_accuracy",
        "cv_precision",
        "cv_recall",
        "cv_f1",
        "test_accuracy",
        "test_precision",
        "test_recall",
        "test_f1",
    ]
    assert {f"binary.{key}" for key in headline} == set(MNIST_OPERATING_HEADLINE)
    for key in MNIST_OPERATING_DETAIL_KEYS:
        dotted({"binary": details}, key)


def test_a_threshold_above_every_score_predicts_no_positive() -> None:
    headline, details = at(threshold=1000.0)
    assert details["cv_confusion"] == {"tn": 6, "fp": 0, "fn": 4, "tp": 0}
    assert details["test_confusion"] == {"tn": 3, "fp": 0, "fn": 2, "tp": 0}
    # precision of no positive predictions is 0, as scikit-learn's zero_division default gives it
    assert (headline["cv_precision"], headline["cv_recall"], headline["cv_f1"]) == (0.0, 0.0, 0.0)
    assert headline["test_accuracy"] == pytest.approx(3 / 5)


def test_the_lowest_threshold_reaching_the_target_precision() -> None:
    # From 3.0 up: one positive of one row -> precision 1, recall 1/4; below, at most 2/3.
    assert at()[1]["at_target_precision"] == {"target": 0.75, "threshold": 3.0, "precision": 1.0, "recall": 0.25}
    # 0.55: reached first at -1.0 (4/7), though precision drops back to 1/2 at -0.5
    point = at(target_precision=0.55)[1]["at_target_precision"]
    assert point == {"target": 0.55, "threshold": -1.0, "precision": pytest.approx(4 / 7), "recall": 1.0}
    # the target itself reached exactly counts: 2/3 at 1.0
    point = at(target_precision=2 / 3)[1]["at_target_precision"]
    assert (point["threshold"], point["recall"]) == (1.0, 0.5)


def test_a_target_precision_never_reached_records_only_the_target() -> None:
    # The curve's last point (precision 1, recall 0) has no threshold: it does not count as reached.
    curve = Curve(np.array([0.4, 0.5, 0.8, 1.0]), np.array([1.0, 0.5, 0.25, 0.0]), np.array([-1.0, 0.0, 1.0]))
    assert at(curve=curve, target_precision=0.9)[1]["at_target_precision"] == {"target": 0.9}
    assert at(curve=curve, target_precision=1.0)[1]["at_target_precision"] == {"target": 1.0}
    assert at(curve=curve, target_precision=0.8)[1]["at_target_precision"]["threshold"] == 1.0
    # the threshold's own counts do not depend on the target
    assert at(curve=curve, target_precision=0.9)[1]["cv_confusion"] == at()[1]["cv_confusion"]


def test_the_walkthrough_decisions_at_both_thresholds() -> None:
    _, details = at(walkthrough_threshold=300.0)
    assert details["walkthrough"] == {
        "cv_predicted": True,  # the out-of-fold score 1.0 > 0
        "decisions": [{"threshold": 0.0, "predicted": True}, {"threshold": 300.0, "predicted": False}],
    }
    # a score equal to a threshold is a negative, for the out-of-fold score and the model's alike
    _, details = at(walkthrough={"cv_score": -0.5, "score": 0.5}, threshold=-0.5, walkthrough_threshold=0.5)
    assert details["walkthrough"] == {
        "cv_predicted": False,
        "decisions": [{"threshold": -0.5, "predicted": True}, {"threshold": 0.5, "predicted": False}],
    }
    _, details = at(walkthrough={"cv_score": -2.0, "score": -2.0}, threshold=-3.0, walkthrough_threshold=-1.0)
    assert details["walkthrough"]["cv_predicted"] is True
    assert [decision["predicted"] for decision in details["walkthrough"]["decisions"]] == [True, False]


def test_the_test_accuracy_interval_follows_the_threshold() -> None:
    test = (TEST_TARGET, np.array([2.0, 1.0, 0.0, -1.0, -2.0]))
    _, details = at(test=test)  # > 0: every test image right, so every resample is all right
    assert details["test_accuracy_interval"] == [1.0, 1.0]
    _, details = at(test=test, threshold=-1.5)  # 0.0 and -1.0 now false positives: 3 of 5 right
    low, high = details["test_accuracy_interval"]
    assert 0.0 <= low < 3 / 5 < high <= 1.0
    # a resample's accuracy is a count of five over five
    assert low * 5 == pytest.approx(round(low * 5)) and high * 5 == pytest.approx(round(high * 5))
    _, details = at(test=test, threshold=1000.0)  # two positives missed: 3 of 5 right again, the same draws
    assert details["test_accuracy_interval"] == [low, high]


def test_an_empty_test_set_has_zero_rates_and_a_zero_interval() -> None:
    empty = (np.zeros(0, dtype=bool), np.zeros(0))
    headline, details = at(test=empty)
    assert details["test_confusion"] == {"tn": 0, "fp": 0, "fn": 0, "tp": 0}
    assert [headline[f"test_{name}"] for name in ("accuracy", "precision", "recall", "f1")] == [0.0] * 4
    assert details["test_accuracy_interval"] == [0.0, 0.0]


def test_the_files_are_plain_json_and_the_same_for_the_same_inputs() -> None:
    first = operating_point((TARGET, SCORE), (TEST_TARGET, TEST_SCORE), CURVE, WALK, BinaryEvaluateParams(**EVALUATE))
    again = operating_point((TARGET, SCORE), (TEST_TARGET, TEST_SCORE), CURVE, WALK, BinaryEvaluateParams(**EVALUATE))
    for part, same in zip(first, again, strict=True):
        text = json.dumps(part, sort_keys=True)  # numpy booleans or arrays would not serialise
        assert json.loads(text) == part
        assert text == json.dumps(same, sort_keys=True)


def test_the_stage_imports_neither_scikit_learn_pandas_nor_scipy_stats() -> None:
    """A threshold change reruns this stage: it starts without the heavy libraries evaluate_mnist uses."""
    heavy = ("sklearn", "pandas", "scipy.stats")
    code = f"import sys, stages.operating_point; print([m for m in {heavy!r} if m in sys.modules])"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=helpers.REPO_ROOT, capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "[]"
    # ... and the check can fail: the evaluate stage, in the same way, does load scikit-learn
    code = "import sys, stages.evaluate_mnist, pipelib.mnist.evaluation as e; e.pr_curve([True, False], [1.0, 0.0]);"
    code += " print('sklearn' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=helpers.REPO_ROOT, capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "True"
