"""The metrics layout: headline keys only in metrics/*.json, per-fold values and counts in the details."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pipelib import metrics
from pipelib.binary_metrics import Counts
from pipelib.errors import PipelineError
from pipelib.mnist.evaluation import (
    Checks,
    MnistEvaluation,
    SoftmaxEvaluation,
    Walkthrough,
    analyse_errors,
    evaluate_baseline,
    evaluate_binary,
)
from pipelib.stats import mcnemar_exact

FOLD = np.array([0, 0, 0, 1, 1, 1], dtype=np.uint8)
TARGET = np.array([1, 1, 0, 1, 0, 0], dtype=bool)
SCORE = np.array([2.0, -1.0, 1.0, 3.0, -2.0, -3.0])


def flat_keys(data: dict[str, Any], prefix: str = "") -> set[str]:
    """Dotted keys of the leaves, as `dvc metrics show` lists them."""
    keys: set[str] = set()
    for key, value in data.items():
        keys |= flat_keys(value, f"{prefix}{key}.") if isinstance(value, dict) else {prefix + key}
    return keys


@pytest.fixture
def result() -> MnistEvaluation:
    labels = np.array([5, 3, 5, 0])
    return MnistEvaluation(
        binary=evaluate_binary(FOLD, TARGET, SCORE, Counts(tn=2, fp=0, fn=1, tp=1), 0.0, 0.9),
        baseline=evaluate_baseline(TARGET, 2, labels == 5),
        softmax=SoftmaxEvaluation(np.array([5, 3, 3, 0]), 0.75, 100, (0.5, 1.0), [5, 0]),
        softmax_augmented=SoftmaxEvaluation(np.array([5, 3, 5, 0]), 1.0, 100, (1.0, 1.0), [5, 0]),
        test_labels=labels,
        roc=(np.array([0.0, 1.0]), np.array([0.0, 1.0])),
        walkthrough=Walkthrough(1, 9, False, 0.8, True, 0.2, [(0.0, True), (0.5, False)]),
        checks=Checks((10, 784), (30, 784), [True, False, False]),
        errors=analyse_errors(labels, np.array([5, 3, 5, 0])),
        mcnemar=mcnemar_exact(np.array([1, 1, 0, 1], bool), np.array([1, 1, 1, 1], bool)),
        cv_predicted=SCORE > 0,
        binary_target=TARGET,
    )


def test_headline_holds_exactly_the_declared_keys(result: MnistEvaluation) -> None:
    headline = metrics.mnist_headline(result)
    assert flat_keys(headline) == set(metrics.MNIST_HEADLINE)
    # out-of-fold at threshold 0: fold 0 gets rows 0, 2 wrong/right... 4 of 6 right overall
    assert headline["binary"]["cv_accuracy"] == pytest.approx(4 / 6)
    assert headline["binary"]["cv_fold_accuracy_mean"] == pytest.approx((1 / 3 + 1) / 2)
    assert headline["binary"]["test_recall"] == 0.5
    assert headline["baseline"] == {"cv_accuracy": 0.5, "test_accuracy": 0.5}
    assert headline["softmax_augmented"] == {"test_accuracy": 1.0}


def test_details_hold_folds_and_counts(result: MnistEvaluation) -> None:
    details = metrics.mnist_details(result)
    assert details["binary"]["cv_fold_accuracy"] == pytest.approx({"fold_1": 1 / 3, "fold_2": 1.0})
    assert details["binary"]["cv_confusion"] == {"tn": 2, "fp": 1, "fn": 1, "tp": 2}
    assert details["baseline"]["cv_confusion"] == {"tn": 3, "fp": 0, "fn": 3, "tp": 0}
    assert details["binary"]["pr_curve"] == {"precisions": 7, "thresholds": 6}
    assert details["comparison"]["mcnemar"]["only_softmax_augmented_right"] == 1
    assert details["binary"]["walkthrough"]["decisions"] == [
        {"threshold": 0.0, "predicted": True},
        {"threshold": 0.5, "predicted": False},
    ]
    for key in metrics.MNIST_DETAIL_KEYS:
        metrics.dotted(details, key)
    assert not flat_keys(details) & set(metrics.MNIST_HEADLINE)


def test_per_fold_keys_sort() -> None:
    named = metrics.per_fold([0.1 * k for k in range(1, 11)])
    assert list(named) == sorted(named) == [f"fold_{k:02d}" for k in range(1, 11)]
    assert list(metrics.per_fold([0.5, 0.7])) == ["fold_1", "fold_2"]


def test_written_files_are_byte_identical_and_read_back(result: MnistEvaluation, tmp_path: Path) -> None:
    metrics.write_mnist(result, tmp_path / "a.json", tmp_path / "a_details.json")
    metrics.write_mnist(result, tmp_path / "b.json", tmp_path / "b_details.json")
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    assert (tmp_path / "a_details.json").read_bytes() == (tmp_path / "b_details.json").read_bytes()
    read = metrics.read_json(tmp_path / "a.json", metrics.MNIST_HEADLINE)
    assert read == json.loads(json.dumps(metrics.mnist_headline(result)))


def test_read_json_names_the_missing_key(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text('{"titanic": {"train_accuracy": 0.8}}', encoding="utf-8")
    with pytest.raises(PipelineError, match=r"m\.json: lacks the metric 'titanic\.cv_accuracy'"):
        metrics.read_json(path, metrics.TITANIC_HEADLINE)
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(PipelineError, match="not a JSON object"):
        metrics.read_json(path)
    with pytest.raises(PipelineError, match="metrics file not found"):
        metrics.read_json(tmp_path / "absent.json")


def test_review_keys_name_headline_or_detail_keys() -> None:
    for file, key in metrics.REVIEW_KEYS.values():
        declared = metrics.MNIST_HEADLINE if file == metrics.MNIST_METRICS else metrics.MNIST_DETAIL_KEYS
        assert key in declared, key
