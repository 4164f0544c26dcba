"""MNIST images as parquet tables: one label and one fixed-width 784-byte cell per image."""

from __future__ import annotations

import os

import numpy as np
import pyarrow as pa

from pipelib.errors import PipelineError
from pipelib.tables import column_values, read_table, write_table

SIDE = 28
PIXELS = SIDE * SIDE
# One fixed-width binary cell of 784 bytes per image: parquet stores it without list
# levels, which reads and writes about ten times faster than a list<uint8> column.
MNIST_SCHEMA = pa.schema([("label", pa.uint8()), ("pixels", pa.binary(PIXELS))])

# Most images a file may hold: the bounds a reader checks before it allocates anything.
MAX_ITEMS = 1_000_000  # per IDX file: far above MNIST's 60,000 (EMNIST's largest file has 697,932)
MAX_IMAGES = 2 * MAX_ITEMS  # a whole set (the mirror's train and test files), and so any part of it
MAX_AUGMENTED_IMAGES = 10 * MAX_IMAGES  # a training set with its shifted copies: 15.7 GB of pixels


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


def read_mnist_labels(source: str | os.PathLike[str], max_rows: int = MAX_IMAGES) -> np.ndarray:
    """Only the label column of an MNIST parquet file of at most ``max_rows`` images."""
    table = read_table(source, MNIST_SCHEMA, max_rows=max_rows, columns=["label"])
    if table.column("label").null_count:
        raise PipelineError(f"{source}: MNIST table has missing values")
    return column_values(table, "label")


def read_mnist(source: str | os.PathLike[str], max_rows: int = MAX_IMAGES) -> tuple[np.ndarray, np.ndarray]:
    """Images as a (n, 784) uint8 array and labels as (n,) uint8, checked for consistency.

    A file said (by its parquet metadata) to hold more than ``max_rows`` images is refused
    before any is read: MAX_IMAGES for a data set or a part of one, MAX_AUGMENTED_IMAGES for
    a training set with its shifted copies.
    """
    table = read_table(source, MNIST_SCHEMA, max_rows=max_rows)
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
    labels = column_values(table, "label")
    check_digit_labels(labels, source)
    return pixels, labels


def check_digit_labels(labels: np.ndarray, source: str | os.PathLike[str]) -> None:
    """MNIST labels must be digits 0-9, whichever file they come from."""
    if labels.size and labels.max() > 9:
        raise PipelineError(f"{source}: label {int(labels.max())} is not a digit 0-9")


def require_two_digits(labels: np.ndarray, source: str | os.PathLike[str], needs: str) -> tuple[np.ndarray, np.ndarray]:
    """(digits, their counts) of a training set; one digit trains no classifier, said of the data, not a param
    (``mnist.n_train: 1``, say). ``needs`` names who needs two digits, for the error line."""
    digits, counts = np.unique(labels, return_counts=True)
    if len(digits) < 2:
        held = f"only images of the digit {digits[0]}" if len(digits) else "no images"
        raise PipelineError(f"{source}: holds {held} ({len(labels):,} rows): {needs} at least two digits")
    return digits, counts
