"""The one owner of the metrics layout: what goes in ``metrics/*.json`` and what in the details files.

Headline metrics (``metrics/mnist.json``, ``metrics/titanic.json``; DVC ``metrics``) are the
numbers a reviewer compares, one block per model, named ``<set>_<measure>``: ``cv_`` for the
out-of-fold predictions on the training rows, ``test_`` for the test set, ``train_`` for the
model scored on its own training rows. ``cv_accuracy`` is the pooled out-of-fold accuracy at
the decision threshold (like ``cv_precision``/``cv_recall``), ``cv_fold_accuracy_mean`` the
mean of the per-fold accuracies at threshold 0 (``cross_val_score(...).mean()``).

Details (``reports/mnist_details.json``, ``reports/titanic_details.json``; git-tracked DVC
outs, not metrics, so ``dvc exp show`` stays narrow) hold per-fold values, confusion counts
and everything else the report shows. Readers take keys from here, not from string literals.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pipelib.atomic import write_json
from pipelib.errors import PipelineError

if TYPE_CHECKING:  # the report reads the layout without importing scikit-learn
    from pipelib.binary_metrics import Calibration, Counts
    from pipelib.mnist.evaluation import BaselineEvaluation, MnistEvaluation, Walkthrough
    from pipelib.mnist.sweep import Model as SweepModel
    from pipelib.mnist.sweep import ModelResult
    from pipelib.mnist.sweep import Point as SweepPoint
    from pipelib.titanic.evaluation import ModelResult as TitanicModelResult
    from pipelib.titanic.evaluation import TitanicEvaluation

Path_ = str | os.PathLike[str]

MNIST_METRICS = "metrics/mnist.json"
MNIST_DETAILS = "reports/mnist_details.json"
TITANIC_METRICS = "metrics/titanic.json"
TITANIC_DETAILS = "reports/titanic_details.json"
MNIST_OPERATING_METRICS = "metrics/mnist_operating_point.json"
MNIST_OPERATING_DETAILS = "reports/mnist_operating_point.json"
MNIST_MODELS_METRICS = "metrics/mnist_models.json"
MNIST_MODELS_DETAILS = "reports/mnist_models.json"
SWEEP_METRICS = "metrics/sweep.json"

RATES = ("accuracy", "precision", "recall", "f1")
# Every headline key, dotted as `dvc metrics diff` names them: the files hold exactly these.
MNIST_HEADLINE = (  # metrics/mnist.json: what no threshold changes
    "binary.cv_fold_accuracy_mean",
    "binary.cv_roc_auc",
    "binary.cv_brier",
    "baseline.cv_accuracy",
    "baseline.test_accuracy",
)
# metrics/mnist_operating_point.json: the out-of-fold and test predictions at mnist.evaluate.threshold
MNIST_OPERATING_HEADLINE = tuple(f"binary.{split}_{name}" for split in ("cv", "test") for name in RATES)
# Every Titanic model and baseline has these; ROC AUC and Brier only where it has scores or probabilities.
TITANIC_MODEL_HEADLINE = ("train_accuracy", *(f"cv_{name}" for name in RATES), "cv_fold_accuracy_mean")
TITANIC_OPTIONAL = ("cv_roc_auc", "cv_brier")
NOT_AVAILABLE = "not available for this model"  # what the report says of a metric a model cannot give
# The details blocks the report reads (their inner keys vary with the folds and the data).
MNIST_DETAIL_KEYS = (
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
MNIST_OPERATING_DETAIL_KEYS = (
    "binary.threshold",
    "binary.cv_confusion",
    "binary.test_confusion",
    "binary.at_target_precision",
    "binary.test_accuracy_interval",
    "binary.walkthrough.cv_predicted",
    "binary.walkthrough.decisions",
)
MNIST_MODELS_DETAIL_KEYS = ("reference", "n_test", "models", "error_analysis")
SWEEP_HEADLINE = tuple(
    f"{model}.{point}.{key}"
    for model in ("softmax", "binary")
    for point in ("best", "seed_setting")
    for key in ("C", "scaling", "validation_accuracy", "test_accuracy")
)
TITANIC_DETAIL_KEYS = ("titanic.reference", "titanic.n_rows", "titanic.n_features", "models", "data")

# What the pull-request review needs, as (file, dotted key): the operating point marked on its curves.
REVIEW_KEYS = {
    "threshold": (MNIST_OPERATING_DETAILS, "binary.threshold"),
    "precision": (MNIST_OPERATING_METRICS, "binary.cv_precision"),
    "recall": (MNIST_OPERATING_METRICS, "binary.cv_recall"),
}


def per_fold(values: list[float]) -> dict[str, float]:
    """Per-fold values as ``fold_1..fold_k`` (zero-padded past 9 so keys sort)."""
    width = len(str(len(values)))
    return {f"fold_{number:0{width}d}": float(value) for number, value in enumerate(values, start=1)}


def _mean(values: list[float]) -> float:
    return float(sum(values) / len(values)) if values else 0.0


def _prefixed(prefix: str, counts: Counts) -> dict[str, float]:
    return {f"{prefix}_{name}": value for name, value in counts.rates().items()}


def _calibration(reliability: Calibration) -> dict[str, Any]:
    return {
        "mean_probability": reliability.mean_probability,
        "fraction_positive": reliability.fraction_positive,
        "count": reliability.count,
        "brier": reliability.brier,
    }


def _baseline_details(baseline: BaselineEvaluation) -> dict[str, Any]:
    return {
        "cv_fold_accuracy": per_fold(baseline.fold_accuracies),
        "cv_confusion": baseline.cv.as_dict(),
        "test_confusion": baseline.test.as_dict(),
        # accuracy is a headline metric; these say why it misleads
        **{key: value for key, value in _prefixed("cv", baseline.cv).items() if key != "cv_accuracy"},
        **{key: value for key, value in _prefixed("test", baseline.test).items() if key != "test_accuracy"},
    }


def _walkthrough(walk: Walkthrough) -> dict[str, Any]:
    return {
        "row": walk.row,
        "label": walk.label,
        "positive": walk.positive,
        "cv_score": walk.cv_score,
        "score": walk.score,
    }


def mnist_headline(result: MnistEvaluation) -> dict[str, Any]:
    """The contents of ``metrics/mnist.json``."""
    return {
        "binary": {
            "cv_fold_accuracy_mean": _mean(result.binary.fold_accuracies),
            "cv_roc_auc": result.binary.roc_auc,
            "cv_brier": result.binary.calibration.brier,
        },
        "baseline": {
            "cv_accuracy": result.baseline.cv.rates()["accuracy"],
            "test_accuracy": result.baseline.test.rates()["accuracy"],
        },
    }


def mnist_details(result: MnistEvaluation) -> dict[str, Any]:
    """The contents of ``reports/mnist_details.json``."""
    return {
        "binary": {
            "positive_digit": result.positive_digit,
            "cv_fold_accuracy": per_fold(result.binary.fold_accuracies),
            "pr_curve": {
                "precisions": len(result.binary.curve.precision),
                "thresholds": len(result.binary.curve.thresholds),
            },
            "calibration": _calibration(result.binary.calibration),
            "walkthrough": _walkthrough(result.walkthrough),
        },
        "baseline": _baseline_details(result.baseline),
        "checks": {
            "data_shape": list(result.checks.data_shape),
            "first_binary_predictions": result.checks.first_binary_predictions,
        },
    }


def _titanic_model_headline(result: TitanicModelResult) -> dict[str, float]:
    optional = {
        "cv_roc_auc": result.roc_auc,
        "cv_brier": None if result.calibration is None else result.calibration.brier,
    }
    return {
        "train_accuracy": result.train_accuracy,
        **_prefixed("cv", result.cv),
        "cv_fold_accuracy_mean": _mean(result.fold_accuracies),
        **{key: value for key, value in optional.items() if value is not None},
    }


def _titanic_model_details(result: TitanicModelResult) -> dict[str, Any]:
    comparison = result.mcnemar
    return {
        "cv_fold_accuracy": per_fold(result.fold_accuracies),
        "cv_confusion": result.cv.as_dict(),
        **({} if result.calibration is None else {"calibration": _calibration(result.calibration)}),
        **(
            {}
            if comparison is None
            else {
                "mcnemar_vs_reference": {
                    "only_this_right": comparison.only_first_right,
                    "only_reference_right": comparison.only_second_right,
                    "p_value": comparison.p_value,
                }
            }
        ),
    }


def titanic_headline(result: TitanicEvaluation) -> dict[str, Any]:
    """The contents of ``metrics/titanic.json``: one block per model and baseline, named as in the registry."""
    return {name: _titanic_model_headline(model) for name, model in result.results.items()}


def titanic_details(result: TitanicEvaluation) -> dict[str, Any]:
    """The contents of ``reports/titanic_details.json``."""
    return {
        "titanic": {"reference": result.reference, "n_rows": result.n_rows, "n_features": result.n_features},
        "models": {name: _titanic_model_details(model) for name, model in result.results.items()},
        "data": {
            "n_rows": result.summary.n_rows,
            "n_columns": result.summary.n_columns,
            "non_null": [[name, count] for name, count in result.summary.non_null.items()],  # in the file's order
            # [value, count] pairs, most frequent first (a JSON object would be key-sorted)
            "value_counts": {
                name: [list(pair) for pair in counts] for name, counts in result.summary.value_counts.items()
            },
        },
    }


def write_mnist(result: MnistEvaluation, metrics: Path_, details: Path_) -> None:
    """Write the MNIST headline metrics and details (sorted keys: equal results, equal bytes)."""
    write_json(metrics, mnist_headline(result))
    write_json(details, mnist_details(result))


def write_titanic(result: TitanicEvaluation, metrics: Path_, details: Path_) -> None:
    """Write the Titanic headline metrics and details."""
    write_json(metrics, titanic_headline(result))
    write_json(details, titanic_details(result))


def sweep_headline(results: Mapping[SweepModel, ModelResult]) -> dict[str, Any]:
    """metrics/sweep.json: per model, the best point and the pipeline's setting, validation and test accuracy."""

    def setting(point: SweepPoint, validation: float | None, test: float) -> dict[str, Any]:
        return {"C": point.C, "scaling": point.scaling, "validation_accuracy": validation, "test_accuracy": test}

    return {
        model: {
            "best": setting(result.best, result.best_validation, result.best_test),
            "seed_setting": setting(result.seed, result.seed_validation, result.seed_test),
        }
        for model, result in results.items()
    }


def write_sweep(results: Mapping[SweepModel, ModelResult], target: Path_) -> None:
    """Write metrics/sweep.json (its only headline numbers: the sweep has no details file)."""
    write_json(target, sweep_headline(results))


def dotted(data: dict[str, Any], key: str) -> Any:
    """``data["a"]["b"]`` for ``"a.b"``; KeyError naming the dotted key when a part is missing."""
    value: Any = data
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            raise KeyError(key)
        value = value[part]
    return value


def read_json(path: Path_, required: tuple[str, ...] = ()) -> dict[str, Any]:
    """A metrics or details file written here: a JSON object with every ``required`` dotted key."""
    try:
        with open(path, encoding="utf-8") as stream:
            data = json.load(stream)
    except FileNotFoundError:
        raise PipelineError(f"{path}: metrics file not found (run dvc repro)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise PipelineError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(data, dict):
        raise PipelineError(f"{path}: not a JSON object of metrics")
    for key in required:
        try:
            dotted(data, key)
        except KeyError:
            raise PipelineError(f"{path}: lacks the metric '{key}' (rerun dvc repro)") from None
    return data
