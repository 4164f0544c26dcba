"""The metrics layout: headline keys only in metrics/*.json, per-fold values and counts in the details."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from pipelib import metrics
from pipelib.binary_metrics import Calibration, Counts, Curve
from pipelib.errors import PipelineError
from pipelib.mnist.evaluation import (
    BaselineEvaluation,
    BinaryEvaluation,
    Checks,
    MnistEvaluation,
    Walkthrough,
    evaluate_baseline,
    evaluate_binary,
)
from pipelib.mnist.sweep import ModelResult, Point
from pipelib.stats import McNemar
from pipelib.titanic.evaluation import DataSummary, TitanicEvaluation
from pipelib.titanic.evaluation import ModelResult as TitanicModelResult

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
        binary=evaluate_binary(FOLD, TARGET, SCORE, 10),
        baseline=evaluate_baseline(TARGET, 2, labels == 5),
        roc=(np.array([0.0, 1.0]), np.array([0.0, 1.0])),
        walkthrough=Walkthrough(1, 9, False, 0.8, 0.2),
        checks=Checks((10, 784), [True, False, False]),
        test_target=labels == 5,
        test_score=np.array([1.0, -1.0, -1.0, -1.0]),
        positive_digit=5,
    )


def test_headline_holds_exactly_the_declared_keys(result: MnistEvaluation) -> None:
    headline = metrics.mnist_headline(result)
    assert flat_keys(headline) == set(metrics.MNIST_HEADLINE)
    # at threshold 0: fold 0 gets row 0 right, rows 1 (a positive at -1) and 2 (a negative at 1) wrong
    assert headline["binary"]["cv_fold_accuracy_mean"] == pytest.approx((1 / 3 + 1) / 2)
    # 3 positives of 6, the pairs ranked right: 3 -> 3, 2 -> 3, -1 -> 2 of 9
    assert headline["binary"]["cv_roc_auc"] == pytest.approx(8 / 9)
    assert headline["baseline"] == {"cv_accuracy": 0.5, "test_accuracy": 0.5}
    assert set(headline) == {"binary", "baseline"}  # the registry's models: metrics/mnist_models.json


def test_details_hold_folds_and_counts(result: MnistEvaluation) -> None:
    details = metrics.mnist_details(result)
    assert details["binary"]["cv_fold_accuracy"] == pytest.approx({"fold_1": 1 / 3, "fold_2": 1.0})
    assert details["baseline"]["cv_confusion"] == {"tn": 3, "fp": 0, "fn": 3, "tp": 0}
    assert details["binary"]["pr_curve"] == {"precisions": 7, "thresholds": 6}
    for key in metrics.MNIST_DETAIL_KEYS:
        metrics.dotted(details, key)
    assert not flat_keys(details) & set(metrics.MNIST_HEADLINE)
    # what a threshold decides is the operating point's file: none of it here
    for key in metrics.MNIST_OPERATING_DETAIL_KEYS:
        with pytest.raises(KeyError):
            metrics.dotted(details, key)
    assert set(details["binary"]["walkthrough"]) == {"row", "label", "positive", "cv_score", "score"}


def test_per_fold_keys_sort() -> None:
    named = metrics.per_fold([0.1 * k for k in range(1, 11)])
    assert list(named) == sorted(named) == [f"fold_{k:02d}" for k in range(1, 11)]
    assert list(metrics.per_fold([0.5, 0.7])) == ["fold_1", "fold_2"]


def test_written_files_are_byte_identical_and_read_back(result: MnistEvaluation, tmp_path: Path) -> None:
    metrics.write_mnist(result, tmp_path / "a.json", tmp_path / "a_details.json")
    metrics.write_mnist(result, tmp_path / "b.json", tmp_path / "b_details.json")
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    assert (tmp_path / "a_details.json").read_bytes() == (tmp_path / "b_details.json").read_bytes()
    assert json.loads((tmp_path / "a_details.json").read_text(encoding="utf-8"))["binary"]["positive_digit"] == 5
    read = metrics.read_json(tmp_path / "a.json", metrics.MNIST_HEADLINE)
    assert read == json.loads(json.dumps(metrics.mnist_headline(result)))


def test_read_json_names_the_missing_key(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text('{"svc": {"train_accuracy": 0.8}}', encoding="utf-8")
    with pytest.raises(PipelineError, match=r"m\.json: lacks the metric 'svc\.cv_accuracy'"):
        metrics.read_json(path, ("svc.train_accuracy", "svc.cv_accuracy"))
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(PipelineError, match="not a JSON object"):
        metrics.read_json(path)
    with pytest.raises(PipelineError, match="metrics file not found"):
        metrics.read_json(tmp_path / "absent.json")


def test_review_keys_name_operating_point_headline_or_detail_keys() -> None:
    declared = {
        metrics.MNIST_OPERATING_METRICS: metrics.MNIST_OPERATING_HEADLINE,
        metrics.MNIST_OPERATING_DETAILS: metrics.MNIST_OPERATING_DETAIL_KEYS,
    }
    for file, key in metrics.REVIEW_KEYS.values():
        assert key in declared[file], key


# --- the layout written out by hand ------------------------------------------------------------
# Every number below is a binary fraction (0.5, 0.25, 0.0625, ...), so the expected files compare
# exactly; the rates follow from the counts on paper (tp=1, fp=1, fn=1, tn=1: every rate 0.5).


def test_file_names_are_those_dvc_yaml_declares() -> None:
    assert (metrics.MNIST_METRICS, metrics.MNIST_DETAILS) == ("metrics/mnist.json", "reports/mnist_details.json")
    assert (metrics.TITANIC_METRICS, metrics.TITANIC_DETAILS) == (
        "metrics/titanic.json",
        "reports/titanic_details.json",
    )
    assert (metrics.MNIST_MODELS_METRICS, metrics.MNIST_MODELS_DETAILS) == (
        "metrics/mnist_models.json",
        "reports/mnist_models.json",
    )
    assert (metrics.MNIST_OPERATING_METRICS, metrics.MNIST_OPERATING_DETAILS) == (
        "metrics/mnist_operating_point.json",
        "reports/mnist_operating_point.json",
    )
    assert metrics.SWEEP_METRICS == "metrics/sweep.json"
    assert metrics.RATES == ("accuracy", "precision", "recall", "f1")


def test_declared_keys_written_out() -> None:
    assert metrics.MNIST_HEADLINE == (
        "binary.cv_fold_accuracy_mean",
        "binary.cv_roc_auc",
        "binary.cv_brier",
        "baseline.cv_accuracy",
        "baseline.test_accuracy",
    )
    assert metrics.MNIST_OPERATING_HEADLINE == (
        "binary.cv_accuracy",
        "binary.cv_precision",
        "binary.cv_recall",
        "binary.cv_f1",
        "binary.test_accuracy",
        "binary.test_precision",
        "binary.test_recall",
        "binary.test_f1",
    )
    assert metrics.TITANIC_MODEL_HEADLINE == (
        "train_accuracy",
        "cv_accuracy",
        "cv_precision",
        "cv_recall",
        "cv_f1",
        "cv_fold_accuracy_mean",
    )
    assert metrics.TITANIC_OPTIONAL == ("cv_roc_auc", "cv_brier")
    assert metrics.MNIST_DETAIL_KEYS == (
        "binary.positive_digit",
        "binary.cv_fold_accuracy",
        "binary.pr_curve",
        "baseline.cv_fold_accuracy",
        "baseline.cv_confusion",
        "baseline.test_confusion",
        "binary.calibration",
        "binary.walkthrough",
        "checks",
    )
    assert metrics.MNIST_OPERATING_DETAIL_KEYS == (
        "binary.threshold",
        "binary.cv_confusion",
        "binary.test_confusion",
        "binary.at_target_precision",
        "binary.test_accuracy_interval",
        "binary.walkthrough.cv_predicted",
        "binary.walkthrough.decisions",
    )
    assert metrics.MNIST_MODELS_DETAIL_KEYS == ("reference", "n_test", "models", "error_analysis")
    assert metrics.TITANIC_DETAIL_KEYS == (
        "titanic.reference",
        "titanic.n_rows",
        "titanic.n_features",
        "models",
        "data",
    )
    assert metrics.SWEEP_HEADLINE[:4] == (
        "softmax.best.C",
        "softmax.best.scaling",
        "softmax.best.validation_accuracy",
        "softmax.best.test_accuracy",
    )
    assert metrics.SWEEP_HEADLINE[4:8] == (
        "softmax.seed_setting.C",
        "softmax.seed_setting.scaling",
        "softmax.seed_setting.validation_accuracy",
        "softmax.seed_setting.test_accuracy",
    )
    assert metrics.SWEEP_HEADLINE[8:] == tuple(
        f"binary.{point}.{key}"
        for point in ("best", "seed_setting")
        for key in ("C", "scaling", "validation_accuracy", "test_accuracy")
    )
    assert metrics.REVIEW_KEYS == {
        "threshold": ("reports/mnist_operating_point.json", "binary.threshold"),
        "precision": ("metrics/mnist_operating_point.json", "binary.cv_precision"),
        "recall": ("metrics/mnist_operating_point.json", "binary.cv_recall"),
    }


def hand_made(fold_accuracies: list[float]) -> MnistEvaluation:
    """An evaluation typed in field by field."""
    binary = BinaryEvaluation(
        fold_accuracies=fold_accuracies,
        roc_auc=0.8125,
        curve=Curve(np.array([0.5, 0.5, 1.0, 1.0]), np.array([1.0, 0.5, 0.5, 0.0]), np.array([-1.0, 1.0, 3.0])),
        calibration=Calibration([0.25, 0.75], [0.0, 1.0], [3, 1], 0.0625),
    )
    return MnistEvaluation(
        binary=binary,
        baseline=BaselineEvaluation([0.5, 1.0], Counts(tn=6, fp=0, fn=2, tp=0), Counts(tn=7, fp=0, fn=1, tp=0)),
        roc=(np.array([0.0, 1.0]), np.array([0.0, 1.0])),
        walkthrough=Walkthrough(48, 9, False, 1.5, 0.25),
        checks=Checks((70, 784), [True, False, False]),
        test_target=np.array([True, False]),
        test_score=np.array([0.5, -0.5]),
        positive_digit=7,
    )


def test_mnist_headline_written_out() -> None:
    assert metrics.mnist_headline(hand_made([0.5, 0.75])) == {
        "binary": {"cv_fold_accuracy_mean": 0.625, "cv_roc_auc": 0.8125, "cv_brier": 0.0625},
        "baseline": {"cv_accuracy": 0.75, "test_accuracy": 0.875},
    }


def test_fold_accuracy_mean_of_no_folds_is_zero() -> None:
    headline = metrics.mnist_headline(hand_made([]))
    assert headline["binary"]["cv_fold_accuracy_mean"] == 0.0
    assert metrics.mnist_details(hand_made([]))["binary"]["cv_fold_accuracy"] == {}


def test_mnist_details_written_out() -> None:
    assert metrics.mnist_details(hand_made([0.5, 0.75])) == {
        "binary": {
            "positive_digit": 7,
            "cv_fold_accuracy": {"fold_1": 0.5, "fold_2": 0.75},
            "pr_curve": {"precisions": 4, "thresholds": 3},
            "calibration": {
                "mean_probability": [0.25, 0.75],
                "fraction_positive": [0.0, 1.0],
                "count": [3, 1],
                "brier": 0.0625,
            },
            "walkthrough": {"row": 48, "label": 9, "positive": False, "cv_score": 1.5, "score": 0.25},
        },
        "baseline": {
            "cv_fold_accuracy": {"fold_1": 0.5, "fold_2": 1.0},
            "cv_confusion": {"tn": 6, "fp": 0, "fn": 2, "tp": 0},
            "test_confusion": {"tn": 7, "fp": 0, "fn": 1, "tp": 0},
            "cv_precision": 0.0,
            "cv_recall": 0.0,
            "cv_f1": 0.0,
            "test_precision": 0.0,
            "test_recall": 0.0,
            "test_f1": 0.0,
        },
        "checks": {"data_shape": [70, 784], "first_binary_predictions": [True, False, False]},
    }


def titanic_result() -> TitanicEvaluation:
    """The seed's Titanic shape and counts (891 rows, 577 men, 314 women); a model with scores and
    probabilities, one with predictions only, and a baseline; other numbers made up."""
    empty = np.array([])
    full = TitanicModelResult(
        train_accuracy=0.8125,
        fold_accuracies=[0.75, 0.875, 0.625],
        cv=Counts(tn=1, fp=1, fn=1, tp=1),
        roc_auc=0.875,
        calibration=Calibration([0.125, 0.875], [0.0, 1.0], [2, 2], 0.25),
        mcnemar=None,
    )
    bare = dataclasses.replace(full, roc_auc=None, calibration=None, mcnemar=McNemar(3, 1, 0.625))
    return TitanicEvaluation(
        reference="logistic",
        n_rows=891,
        n_features=12,
        results={"logistic": full, "knn": bare, "women_survive": dataclasses.replace(bare, train_accuracy=0.75)},
        extremes=pd.DataFrame(),
        feature_names=[],
        coefficients=empty,
        test_ids=empty,
        test_survived=empty,
        summary=DataSummary(
            n_rows=891,
            n_columns=12,
            non_null={"PassengerId": 891, "Age": 714},
            value_counts={"Sex": [("male", 577), ("female", 314)], "Embarked": [("S", 644), ("C", 168), ("Q", 77)]},
        ),
    )


def test_titanic_files_written_out(tmp_path: Path) -> None:
    rates = {"cv_accuracy": 0.5, "cv_precision": 0.5, "cv_recall": 0.5, "cv_f1": 0.5, "cv_fold_accuracy_mean": 0.75}
    headline = {
        "logistic": {"train_accuracy": 0.8125, **rates, "cv_roc_auc": 0.875, "cv_brier": 0.25},
        "knn": {"train_accuracy": 0.8125, **rates},  # no ROC AUC, no Brier score: not in the file at all
        "women_survive": {"train_accuracy": 0.75, **rates},
    }
    per_model = {
        "cv_fold_accuracy": {"fold_1": 0.75, "fold_2": 0.875, "fold_3": 0.625},
        "cv_confusion": {"tn": 1, "fp": 1, "fn": 1, "tp": 1},
    }
    mcnemar = {"mcnemar_vs_reference": {"only_this_right": 3, "only_reference_right": 1, "p_value": 0.625}}
    details = {
        "titanic": {"reference": "logistic", "n_rows": 891, "n_features": 12},
        "models": {
            "logistic": {
                **per_model,
                "calibration": {
                    "mean_probability": [0.125, 0.875],
                    "fraction_positive": [0.0, 1.0],
                    "count": [2, 2],
                    "brier": 0.25,
                },
            },
            "knn": {**per_model, **mcnemar},
            "women_survive": {**per_model, **mcnemar},
        },
        "data": {
            "n_rows": 891,
            "n_columns": 12,
            "non_null": [["PassengerId", 891], ["Age", 714]],
            "value_counts": {"Sex": [["male", 577], ["female", 314]], "Embarked": [["S", 644], ["C", 168], ["Q", 77]]},
        },
    }
    metrics.write_titanic(titanic_result(), tmp_path / "titanic.json", tmp_path / "titanic_details.json")
    assert metrics.read_json(tmp_path / "titanic.json") == headline
    assert metrics.read_json(tmp_path / "titanic_details.json", metrics.TITANIC_DETAIL_KEYS) == details


def test_sweep_headline_written_out(tmp_path: Path) -> None:
    results = {
        "softmax": ModelResult(
            [], Point("softmax", 0.1, "unit"), 0.875, 0.9375, Point("softmax", 10.0, "raw"), 0.75, 0.5
        ),
        "binary": ModelResult([], Point("binary", 100.0, "raw"), 0.96875, 0.5, Point("binary", 1.0, "raw"), None, 0.25),
    }
    metrics.write_sweep(results, tmp_path / "sweep.json")  # type: ignore[arg-type]
    assert metrics.read_json(tmp_path / "sweep.json", metrics.SWEEP_HEADLINE) == {
        "softmax": {
            "best": {"C": 0.1, "scaling": "unit", "validation_accuracy": 0.875, "test_accuracy": 0.9375},
            "seed_setting": {"C": 10.0, "scaling": "raw", "validation_accuracy": 0.75, "test_accuracy": 0.5},
        },
        "binary": {
            "best": {"C": 100.0, "scaling": "raw", "validation_accuracy": 0.96875, "test_accuracy": 0.5},
            "seed_setting": {"C": 1.0, "scaling": "raw", "validation_accuracy": None, "test_accuracy": 0.25},
        },
    }


def test_dotted_walks_nested_objects_only() -> None:
    data = {"a": {"b": {"c": 1}}, "n": 2}
    assert metrics.dotted(data, "a.b.c") == 1
    assert metrics.dotted(data, "a.b") == {"c": 1}
    assert metrics.dotted(data, "n") == 2
    for missing in ("a.x", "x", "n.c", "a.b.c.d"):  # an absent part, or a number taken for an object
        with pytest.raises(KeyError) as raised:
            metrics.dotted(data, missing)
        assert raised.value.args == (missing,)


def test_read_json_refuses_what_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text('{"a": ', encoding="utf-8")
    with pytest.raises(PipelineError, match=r"m\.json: not valid JSON \("):
        metrics.read_json(path)
    path.write_bytes(b'{"a": "\xff"}')
    with pytest.raises(PipelineError, match=r"m\.json: not valid JSON \("):
        metrics.read_json(path)
    path.write_text('{"name": "\u00e9t\u00e9"}', encoding="utf-8")  # UTF-8, not the locale's encoding
    assert metrics.read_json(path) == {"name": "\u00e9t\u00e9"}
