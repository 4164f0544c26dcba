"""Each registry model's test-set predictions, written by its training stage and read by the comparison."""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np
import pyarrow as pa

from pipelib.errors import PipelineError
from pipelib.mnist.dataset import MAX_IMAGES
from pipelib.tables import column_values, read_table, write_table

FACTS_KEY = b"pipelib.fit"  # the file's metadata: what the fit saw and did (training rows, iterations)
PREDICTIONS_SCHEMA = pa.schema([("label", pa.uint8()), ("predicted", pa.uint8())])


def write(target: str | os.PathLike[str], labels: np.ndarray, predicted: np.ndarray, facts: dict[str, Any]) -> None:
    """Each test image's digit and the model's prediction; ``facts`` (training rows, iterations) as metadata."""
    table = pa.table({"label": labels.astype(np.uint8), "predicted": predicted.astype(np.uint8)})
    write_table(table.replace_schema_metadata({FACTS_KEY: json.dumps(facts, sort_keys=True)}), target)


def read(source: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """(labels, predicted, facts) of a file of :func:`write`: digits 0-9, nothing missing."""
    table = read_table(source, PREDICTIONS_SCHEMA, max_rows=MAX_IMAGES)
    if any(table.column(name).null_count for name in table.column_names):
        raise PipelineError(f"{source}: predictions must be digits 0-9 with nothing missing")
    labels, predicted = (column_values(table, name) for name in ("label", "predicted"))
    if max(labels.max(initial=0), predicted.max(initial=0)) > 9:
        raise PipelineError(f"{source}: predictions must be digits 0-9 with nothing missing")
    try:
        facts = json.loads((table.schema.metadata or {}).get(FACTS_KEY, b"{}"))
    except ValueError:
        facts = None
    if not isinstance(facts, dict):
        raise PipelineError(f"{source}: its '{FACTS_KEY.decode()}' metadata is not a JSON object")
    return labels.astype(np.int64), predicted.astype(np.int64), facts
