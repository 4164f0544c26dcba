"""Is a change of a test accuracy beyond noise? McNemar's exact test on base and head predictions.

The models are the prediction file's columns besides the label, so a new model needs no change here.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np

from pipelib.errors import PipelineError
from pipelib.review.keys import LABEL_COLUMN
from pipelib.stats import McNemar, mcnemar_exact

# Below this p-value a change is called beyond noise (the usual 5% two-sided level).
ALPHA = 0.05
MAX_ROWS = 1_000_000


@dataclass(frozen=True)
class Predictions:
    """The true labels and each model's predicted labels, one entry per test image."""

    labels: np.ndarray
    models: dict[str, np.ndarray]


def parse_predictions(text: str, source: str) -> Predictions:
    """A predictions CSV (``label`` and one column per model, integers); one error line naming the file."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header or LABEL_COLUMN not in header or len(set(header)) != len(header):
        raise PipelineError(f"{source}: expected a header with {LABEL_COLUMN!r} and one column per model")
    rows = []
    for line, row in enumerate(reader, start=2):
        if len(row) != len(header):
            raise PipelineError(f"{source}: line {line} has {len(row)} cells, expected {len(header)}")
        rows.append(row)
        if len(rows) > MAX_ROWS:
            raise PipelineError(f"{source}: more than {MAX_ROWS:,} rows")
    try:
        table = np.array([[int(cell) for cell in row] for row in rows], dtype=np.int64).reshape(len(rows), len(header))
    except ValueError:
        raise PipelineError(f"{source}: every cell must be an integer label") from None
    columns = {name: table[:, index] for index, name in enumerate(header)}
    labels = columns.pop(LABEL_COLUMN)
    return Predictions(labels, columns)


@dataclass(frozen=True)
class Comparison:
    """One model's test accuracy in base and head, and McNemar's test on their paired predictions."""

    model: str
    base_accuracy: float
    head_accuracy: float
    test: McNemar

    @property
    def beyond_noise(self) -> bool:
        return self.test.p_value < ALPHA


def compare(base: Predictions, head: Predictions) -> tuple[list[Comparison], list[str]]:
    """A Comparison for each model in both revisions whose test accuracy changed; notes on what was skipped."""
    if base.labels.shape != head.labels.shape or not np.array_equal(base.labels, head.labels):
        return [], ["the base and head test labels differ (another test set): McNemar skipped"]
    if head.labels.size == 0:
        return [], ["the test predictions are empty: McNemar skipped"]
    found, notes = [], []
    for model, predicted in head.models.items():
        if model not in base.models:
            notes.append(f"model {model} is new: no base predictions to compare")
            continue
        base_right = base.models[model] == base.labels
        head_right = predicted == head.labels
        before, after = float(base_right.mean()), float(head_right.mean())
        if before != after:
            found.append(Comparison(model, before, after, mcnemar_exact(base_right, head_right)))
    return found, notes
