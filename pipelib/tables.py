"""Parquet files between stages: fixed writer settings and checked schemas.

Writer settings are pinned (no timestamps, fixed compression and row-group size), so the
same data always gives the same bytes and DVC's cache is hit.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from pipelib.atomic import atomic_path
from pipelib.errors import PipelineError

PIXELS = 28 * 28
# One fixed-width binary cell of 784 bytes per image: parquet stores it without list
# levels, which reads and writes about ten times faster than a list<uint8> column.
MNIST_SCHEMA = pa.schema([("label", pa.uint8()), ("pixels", pa.binary(PIXELS))])
# One row group holds up to a million images, so a training set reads back as one chunk
# that numpy can view without a copy.
ROW_GROUP_SIZE = 1 << 20
# The system allocator returns freed buffers to the OS at once; arrow's default pool keeps
# them, which added a dead copy of the data set to every stage's peak memory.
pa.set_memory_pool(pa.system_memory_pool())


def write_table(table: pa.Table, target: str | os.PathLike[str]) -> None:
    """Write ``table`` to parquet atomically with the project's fixed writer settings."""
    with atomic_path(target) as tmp:
        pq.write_table(
            table,
            tmp,
            compression="zstd",
            compression_level=3,
            row_group_size=ROW_GROUP_SIZE,
            use_dictionary=False,
            write_statistics=True,
            write_page_checksum=True,
        )


def read_table(source: str | os.PathLike[str], schema: pa.Schema, columns: list[str] | None = None) -> pa.Table:
    """Read a parquet file and check it has ``schema``'s columns and types (extra columns are refused)."""
    source = Path(source)
    try:
        found = pq.read_schema(source)
    except FileNotFoundError:
        raise PipelineError(f"{source}: file not found (run the stage that writes it: dvc repro)") from None
    except (pa.ArrowInvalid, OSError) as error:
        raise PipelineError(f"{source}: not a readable parquet file ({error})") from None
    expected = {item.name: item.type for item in schema}
    got = {item.name: item.type for item in found}
    if list(got) != list(expected):
        raise PipelineError(f"{source}: columns {list(got)}, expected {list(expected)}")
    for name, kind in expected.items():
        if got[name] != kind:
            raise PipelineError(f"{source}: column '{name}' has type {got[name]}, expected {kind}")
    try:
        return pq.read_table(source, columns=columns, page_checksum_verification=True)
    except (pa.ArrowInvalid, OSError) as error:
        raise PipelineError(f"{source}: corrupt parquet data ({error})") from None


def mnist_table(pixels: np.ndarray, labels: np.ndarray) -> pa.Table:
    """Images (n, 784) uint8 and labels (n,) uint8 as an MNIST table."""
    if pixels.dtype != np.uint8 or labels.dtype != np.uint8:
        raise TypeError("MNIST pixels and labels must be uint8")
    if pixels.ndim != 2 or pixels.shape[1] != PIXELS or len(labels) != len(pixels):
        raise ValueError(f"MNIST pixels must be (n, {PIXELS}) with n labels, got {pixels.shape}, {labels.shape}")
    buffer = pa.py_buffer(np.ascontiguousarray(pixels))
    images = pa.FixedSizeBinaryArray.from_buffers(pa.binary(PIXELS), len(pixels), [None, buffer])
    return pa.table({"label": pa.array(labels, type=pa.uint8()), "pixels": images}, schema=MNIST_SCHEMA)


def write_mnist(pixels: np.ndarray, labels: np.ndarray, target: str | os.PathLike[str]) -> None:
    """Write MNIST images and labels to parquet."""
    write_table(mnist_table(pixels, labels), target)


def read_mnist_labels(source: str | os.PathLike[str]) -> np.ndarray:
    """Only the label column of an MNIST parquet file."""
    table = read_table(source, MNIST_SCHEMA, columns=["label"])
    return table.column("label").to_numpy()


def read_mnist(source: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    """Images as a (n, 784) uint8 array and labels as (n,) uint8, checked for consistency."""
    table = read_table(source, MNIST_SCHEMA)
    if table.column("pixels").null_count or table.column("label").null_count:
        raise PipelineError(f"{source}: MNIST table has missing values")
    chunks = table.column("pixels").chunks
    views = [
        np.frombuffer(chunk.buffers()[1], dtype=np.uint8, count=len(chunk) * PIXELS, offset=chunk.offset * PIXELS)
        for chunk in chunks
    ]
    if not views:
        return np.empty((0, PIXELS), dtype=np.uint8), np.empty(0, dtype=np.uint8)
    pixels = views[0] if len(views) == 1 else np.concatenate(views)  # one chunk: no copy
    pixels = pixels.reshape(-1, PIXELS)
    labels = table.column("label").to_numpy()
    check_digit_labels(labels, source)
    return pixels, labels


def check_digit_labels(labels: np.ndarray, source: str | os.PathLike[str]) -> None:
    """MNIST labels must be digits 0-9, whichever file they come from."""
    if labels.size and labels.max() > 9:
        raise PipelineError(f"{source}: label {int(labels.max())} is not a digit 0-9")
