"""Digits from a PNG directory, a gzipped IDX image file or an MNIST parquet file, scored by an MNIST model.

The model file is the fitted estimator and pixels are cast as the pipeline casts them
(:func:`pipelib.mnist.models.input_dtype`), so a prediction here is the one the pipeline makes.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa

from pipelib.errors import PipelineError
from pipelib.mnist import models
from pipelib.mnist.dataset import MAX_IMAGES, MNIST_SCHEMA, PIXELS, check_digit_labels
from pipelib.mnist.idx import iter_idx_images
from pipelib.predict.images import png_files, read_digit_png
from pipelib.regular_file import open_regular
from pipelib.tables import iter_batches

PARQUET_MAGIC = b"PAR1"
GZIP_MAGIC = b"\x1f\x8b"
IDX_IMAGES_MAGIC = b"\x00\x00\x08\x03"
BLOCK_ROWS = 8192  # rows scored at a time: a float64 block is 51 MB


@dataclass(frozen=True)
class Digits:
    """Images to score: ``ids`` name them (file names, or row numbers), ``labels`` when the input has them."""

    id_column: str
    ids: list[str] | np.ndarray
    pixels: np.ndarray  # (n, 784) uint8
    labels: np.ndarray | None = None


def digit_blocks(
    source: Path, convert: bool = False, invert: bool = False, prepare: bool = False
) -> tuple[int, Iterator[Digits]]:
    """(how many images, the images a block of at most BLOCK_ROWS at a time) from a PNG directory, IDX or parquet file.

    The inputs are told apart by content. Only a block's pixels are held at a time, so
    memory does not grow with the input. ``convert``, ``prepare`` and ``invert`` apply to PNGs
    (see :mod:`pipelib.predict.images`); ``invert`` also to the other inputs. The input is
    checked before this returns; a block can still be refused (a bad label, a truncated
    file) while the blocks are read.
    """
    if source.is_dir():
        files = png_files(source)
        return len(files), _png_blocks(files, convert, invert, prepare)
    stream = open_regular(source)
    head = stream.read(4)
    stream.seek(0)
    if convert or prepare:
        stream.close()
        option = "--convert" if convert else "--prepare"
        raise PipelineError(f"{source}: {option} applies to PNG directories only")
    if head == PARQUET_MAGIC:
        stream.close()
        batches = iter_batches(source, MNIST_SCHEMA, max_rows=MAX_IMAGES, batch_rows=BLOCK_ROWS)
        blocks: Iterator[tuple[int, np.ndarray, np.ndarray | None]] = (
            (rows, *_parquet_block(batch, source)) for rows, batch in batches
        )
    elif head[:2] == GZIP_MAGIC:
        blocks = ((count, pixels, None) for count, pixels in iter_idx_images(source, stream, BLOCK_ROWS))
    else:
        stream.close()
        if head == IDX_IMAGES_MAGIC:
            raise PipelineError(f"{source}: an uncompressed IDX file; gzip it first (gzip {source})")
        raise PipelineError(f"{source}: not a directory of PNGs, a gzipped IDX image file or an MNIST parquet file")
    first = next(blocks, None)
    if first is None or first[0] == 0:
        stream.close()
        raise PipelineError(f"{source}: no images")
    return first[0], _numbered_blocks(first, blocks, invert, None if stream.closed else stream)


def _png_blocks(files: list[Path], convert: bool, invert: bool, prepare: bool) -> Iterator[Digits]:
    for start in range(0, len(files), BLOCK_ROWS):
        block = files[start : start + BLOCK_ROWS]
        pixels = np.stack([read_digit_png(path, convert, invert, prepare) for path in block])
        yield Digits("file", [path.name for path in block], pixels)


def _parquet_block(batch: pa.RecordBatch, source: Path) -> tuple[np.ndarray, np.ndarray]:
    """(pixels, labels) of a batch of an MNIST parquet file."""
    pixels, labels = batch.column("pixels"), batch.column("label")
    if pixels.null_count or labels.null_count:
        raise PipelineError(f"{source}: MNIST table has missing values")
    values = np.frombuffer(
        pixels.buffers()[1], dtype=np.uint8, count=len(pixels) * PIXELS, offset=pixels.offset * PIXELS
    )
    labels = labels.to_numpy()
    check_digit_labels(labels, source)
    return values.reshape(-1, PIXELS), labels


def _numbered_blocks(
    first: tuple[int, np.ndarray, np.ndarray | None],
    rest: Iterator[tuple[int, np.ndarray, np.ndarray | None]],
    invert: bool,
    stream: BinaryIO | None,
) -> Iterator[Digits]:
    """Blocks of an IDX or parquet file with their 0-based row numbers, inverted if asked; then ``stream`` closed."""
    start = 0
    try:
        for _, pixels, labels in itertools.chain([first], rest):
            yield Digits("row", np.arange(start, start + len(pixels)), 255 - pixels if invert else pixels, labels)
            start += len(pixels)
    finally:
        if stream is not None:
            stream.close()


def prediction_columns(model: Any, digits: Digits, threshold: float | None = None) -> dict[str, Any]:
    """One row per image: its id, its label if known, the predicted class and what scores the model gives.

    A binary model (classes False, True) with a ``decision_function`` predicts True when the score
    is above ``threshold`` (0, or None, is ``predict``); a multiclass model predicts as its
    ``predict`` does, with one ``score_<digit>`` column per class from ``decision_function``, or
    ``probability_<digit>`` from ``predict_proba``, or none when it offers neither.
    """
    features = digits.pixels.astype(models.input_dtype(model))
    columns: dict[str, Any] = {digits.id_column: np.asarray(digits.ids)}
    if digits.labels is not None:
        columns["label"] = digits.labels
    classes = model.classes_
    if classes.dtype.kind == "b" and hasattr(model, "decision_function"):
        scores = model.decision_function(features)
        columns["predicted"] = classes[(scores > (threshold or 0.0)).astype(int)]
        columns["score"] = scores
        return columns
    columns["predicted"] = model.predict(features)
    for method, prefix in (("decision_function", "score"), ("predict_proba", "probability")):
        if hasattr(model, method):
            values = getattr(model, method)(features)
            columns.update({f"{prefix}_{label}": values[:, index] for index, label in enumerate(classes)})
            break
    return columns
