"""Each registry model's test-set predictions file (pipelib.mnist.predictions): a real parquet round trip
with the fit's facts as metadata, and what reading refuses."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelib.errors import PipelineError
from pipelib.mnist import predictions

LABELS = np.array([7, 2, 1, 0, 4, 1, 4, 9, 5, 9], dtype=np.uint8)  # the first ten MNIST test digits
PREDICTED = np.array([7, 2, 1, 0, 4, 1, 4, 9, 6, 9], dtype=np.int64)
FACTS = {"train_rows": 60_000, "first_train_predictions": [5, 0, 4, 1, 9, 2, 1, 3, 1, 4], "n_iter": 100}


def refused(path: Path, message: str) -> None:
    with pytest.raises(PipelineError) as error:
        predictions.read(path)
    assert str(error.value).startswith(f"{path}: {message}")
    assert "\n" not in str(error.value)


def written(path: Path, columns: dict[str, pa.Array], metadata: dict[bytes, bytes] | None = None) -> Path:
    """A parquet file of these columns and schema metadata, written by pyarrow itself."""
    pq.write_table(pa.table(columns).replace_schema_metadata(metadata), path)
    return path


def test_round_trip_with_facts(tmp_path: Path) -> None:
    path = tmp_path / "softmax.parquet"
    predictions.write(path, LABELS, PREDICTED, FACTS)
    labels, predicted, facts = predictions.read(path)
    assert labels.tolist() == LABELS.tolist()
    assert predicted.tolist() == PREDICTED.tolist()
    assert labels.dtype == predicted.dtype == np.int64
    assert facts == FACTS
    schema = pq.read_schema(path)
    assert [(field.name, field.type) for field in schema] == [("label", pa.uint8()), ("predicted", pa.uint8())]


def test_the_same_facts_in_another_order_give_the_same_bytes(tmp_path: Path) -> None:
    predictions.write(tmp_path / "a.parquet", LABELS, PREDICTED, FACTS)
    predictions.write(tmp_path / "b.parquet", LABELS, PREDICTED, dict(reversed(FACTS.items())))
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()


def test_a_knn_without_iterations_and_an_empty_test_set(tmp_path: Path) -> None:
    path = tmp_path / "knn.parquet"
    predictions.write(path, LABELS[:0], PREDICTED[:0], {"train_rows": 0})
    labels, predicted, facts = predictions.read(path)
    assert labels.shape == predicted.shape == (0,)
    assert facts == {"train_rows": 0}


def test_a_file_without_facts_reads_as_no_facts(tmp_path: Path) -> None:
    path = written(tmp_path / "p.parquet", {"label": pa.array(LABELS), "predicted": pa.array(LABELS)})
    assert predictions.read(path)[2] == {}


@pytest.mark.parametrize("text", [b"not json", b"[1, 2]", b'"text"', b"null", b"7"])
def test_metadata_that_is_not_a_json_object_is_refused(tmp_path: Path, text: bytes) -> None:
    path = written(
        tmp_path / "p.parquet", {"label": pa.array(LABELS), "predicted": pa.array(LABELS)}, {b"pipelib.fit": text}
    )
    refused(path, "its 'pipelib.fit' metadata is not a JSON object")


@pytest.mark.parametrize("column", ["label", "predicted"])
def test_a_10_is_refused(tmp_path: Path, column: str) -> None:
    values = LABELS.copy()
    values[3] = 10
    columns = {"label": pa.array(LABELS), "predicted": pa.array(LABELS), column: pa.array(values)}
    path = written(tmp_path / "p.parquet", columns, {b"pipelib.fit": json.dumps(FACTS).encode()})
    refused(path, "predictions must be digits 0-9 with nothing missing")


def test_a_9_everywhere_is_read(tmp_path: Path) -> None:
    nines = np.full(4, 9, dtype=np.uint8)
    predictions.write(tmp_path / "p.parquet", nines, nines, {})
    assert predictions.read(tmp_path / "p.parquet")[1].tolist() == [9, 9, 9, 9]


def test_a_missing_prediction_is_refused(tmp_path: Path) -> None:
    predicted = pa.array([7, None, 1], type=pa.uint8())
    path = written(tmp_path / "p.parquet", {"label": pa.array(LABELS[:3]), "predicted": predicted})
    refused(path, "predictions must be digits 0-9 with nothing missing")


def test_another_schema_or_no_file_is_refused(tmp_path: Path) -> None:
    wide = written(
        tmp_path / "wide.parquet", {"label": pa.array(LABELS.astype(np.int64)), "predicted": pa.array(LABELS)}
    )
    with pytest.raises(PipelineError, match=f"^{tmp_path}/wide.parquet: "):
        predictions.read(wide)
    with pytest.raises(PipelineError, match=f"^{tmp_path}/absent.parquet: "):
        predictions.read(tmp_path / "absent.parquet")
