"""The report's inputs: the metrics and details files (pipelib.metrics) and the evaluate stages' CSVs."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from typing import Any

from pipelib import metrics
from pipelib.errors import PipelineError

EXTREMES_COLUMNS = ["group", "PassengerId", "Score", "Survived"]  # the named features follow
COEFFICIENT_COLUMNS = ["feature", "coefficient"]

Path_ = str | os.PathLike[str]


@dataclass(frozen=True)
class ReportInputs:
    """Everything the report shows, read and checked before it is written."""

    mnist: dict[str, Any]  # headline metrics
    mnist_details: dict[str, Any]
    mnist_models: dict[str, Any]  # {"headline": metrics/mnist_models.json, "details": reports/mnist_models.json}
    titanic: dict[str, Any]
    titanic_details: dict[str, Any]
    extremes: list[dict[str, str]]
    coefficients: list[dict[str, str]]
    sweep: dict[str, Any]  # metrics/sweep.json: the models mnist.sweep.models names


def read_csv(path: Path_, leading: list[str]) -> list[dict[str, str]]:
    """Rows of a CSV written by an evaluate stage; its header must start with ``leading``, every row complete."""
    try:
        with open(path, encoding="utf-8", newline="") as stream:
            reader = csv.DictReader(stream)
            header = list(reader.fieldnames or [])
            rows = list(reader)
    except FileNotFoundError:
        raise PipelineError(f"{path}: file not found (run dvc repro)") from None
    except (UnicodeDecodeError, csv.Error) as error:
        raise PipelineError(f"{path}: not a readable CSV file ({error})") from None
    if header[: len(leading)] != leading:
        raise PipelineError(f"{path}: columns {header}, expected them to start with {leading}")
    if not rows:
        raise PipelineError(f"{path}: no data rows")
    for number, row in enumerate(rows, start=1):
        if None in row or None in row.values():
            raise PipelineError(f"{path}: row {number} does not have the header's {len(header)} fields")
    return rows


def read_sweep(path: Path_) -> dict[str, Any]:
    """metrics/sweep.json with every headline key of each model it holds: ``mnist.sweep.models`` may name one.

    A file of neither model is reported as lacking the first model's first key.
    """
    models = {key.split(".")[0] for key in metrics.SWEEP_HEADLINE}
    held = models & set(metrics.read_json(path))
    return metrics.read_json(
        path, tuple(key for key in metrics.SWEEP_HEADLINE if key.split(".")[0] in (held or models))
    )


def merged(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """``first`` with ``second``'s keys added, nested mappings merged (a key in both that is no mapping: second's)."""
    out = dict(first)
    for key, value in second.items():
        both = isinstance(out.get(key), dict) and isinstance(value, dict)
        out[key] = merged(out[key], value) if both else value
    return out


def read_inputs(
    mnist: Path_,
    mnist_details: Path_,
    titanic: Path_,
    titanic_details: Path_,
    extremes: Path_,
    coefficients: Path_,
    sweep: Path_,
    mnist_models: Path_,
    mnist_models_details: Path_,
    mnist_operating: Path_,
    mnist_operating_details: Path_,
) -> ReportInputs:
    """Read every input file, each checked for the keys or columns the report uses."""
    # The binary classifier's two halves (evaluate_mnist's, the operating point's) as one headline and details.
    details = merged(
        metrics.read_json(mnist_details, metrics.MNIST_DETAIL_KEYS),
        metrics.read_json(mnist_operating_details, metrics.MNIST_OPERATING_DETAIL_KEYS),
    )
    digit = details["binary"]["positive_digit"]
    if not isinstance(digit, int) or isinstance(digit, bool) or not 0 <= digit <= 9:
        raise PipelineError(f"{mnist_details}: 'binary.positive_digit' must be a digit 0-9, got {digit!r}")
    titanic_blocks = metrics.read_json(titanic_details, metrics.TITANIC_DETAIL_KEYS)
    models = titanic_blocks["models"]
    reference = titanic_blocks["titanic"]["reference"]
    if not isinstance(models, dict) or reference not in models or "calibration" not in models[reference]:
        raise PipelineError(f"{titanic_details}: 'models' lacks the reference model {reference!r} or its calibration")
    titanic_keys = tuple(f"{name}.{key}" for name in models for key in metrics.TITANIC_MODEL_HEADLINE)
    registry = metrics.read_json(mnist_models_details, metrics.MNIST_MODELS_DETAIL_KEYS)
    names = registry["models"] if isinstance(registry["models"], dict) else {}
    if registry["reference"] not in names:
        raise PipelineError(f"{mnist_models_details}: 'models' lacks the reference model {registry['reference']!r}")
    model_keys = tuple(f"{name}.test_accuracy" for name in names)
    return ReportInputs(
        merged(
            metrics.read_json(mnist, metrics.MNIST_HEADLINE),
            metrics.read_json(mnist_operating, metrics.MNIST_OPERATING_HEADLINE),
        ),
        details,
        {"headline": metrics.read_json(mnist_models, model_keys), "details": registry},
        metrics.read_json(titanic, titanic_keys),
        titanic_blocks,
        read_csv(extremes, EXTREMES_COLUMNS),
        read_csv(coefficients, COEFFICIENT_COLUMNS),
        read_sweep(sweep),
    )
