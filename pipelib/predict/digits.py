"""Digits from a PNG directory, a gzipped IDX image file or an MNIST parquet file, scored by an MNIST model.

The scores are the pipeline's own computation (:class:`pipelib.mnist.fitting.LinearModel`
on float64 pixels, as the evaluation stage scores the test set), so a prediction here is
the prediction the pipeline makes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pipelib.errors import PipelineError
from pipelib.mnist.dataset import read_mnist
from pipelib.mnist.features import as_features
from pipelib.mnist.fitting import LinearModel
from pipelib.mnist.idx import read_idx_images
from pipelib.predict.images import read_png_directory

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


def read_digits(source: Path, convert: bool = False, invert: bool = False, prepare: bool = False) -> Digits:
    """Read images from a directory of PNGs, a gzipped IDX3 file or an MNIST parquet file (told apart by content).

    ``convert``, ``prepare`` and ``invert`` apply to PNGs (see :mod:`pipelib.predict.images`);
    ``invert`` also to the other inputs.
    """
    if source.is_dir():
        names, pixels = read_png_directory(source, convert, invert, prepare)
        return Digits("file", names, pixels)
    try:
        with open(source, "rb") as stream:
            head = stream.read(4)
    except FileNotFoundError:
        raise PipelineError(f"{source}: no such file or directory") from None
    except OSError as error:
        raise PipelineError(f"{source}: not readable ({error.strerror or error})") from None
    if convert or prepare:
        option = "--convert" if convert else "--prepare"
        raise PipelineError(f"{source}: {option} applies to PNG directories only")
    if head == PARQUET_MAGIC:
        pixels, labels = read_mnist(source)
    elif head[:2] == GZIP_MAGIC:
        pixels, labels = read_idx_images(source), None
    elif head == IDX_IMAGES_MAGIC:
        raise PipelineError(f"{source}: an uncompressed IDX file; gzip it first (gzip {source})")
    else:
        raise PipelineError(f"{source}: not a directory of PNGs, a gzipped IDX image file or an MNIST parquet file")
    if len(pixels) == 0:
        raise PipelineError(f"{source}: no images")
    return Digits("row", np.arange(len(pixels)), 255 - pixels if invert else pixels, labels)


def decision_scores(model: LinearModel, pixels: np.ndarray) -> np.ndarray:
    """The model's decision scores, (n,) for a binary model and (n, k) for softmax, a block of rows at a time."""
    blocks = [
        model.decision_function(as_features(pixels[start : start + BLOCK_ROWS], "float64", "dense"))
        for start in range(0, len(pixels), BLOCK_ROWS)
    ]
    return np.concatenate(blocks)


def predictions(model: LinearModel, digits: Digits, threshold: float = 0.0) -> pd.DataFrame:
    """One row per image: its id, its label if known, the predicted class and the decision score(s).

    A binary model predicts its positive class when the score is above ``threshold``
    (0 is ``LogisticRegression.predict``); a softmax model predicts the class of the
    highest score and ``threshold`` does not apply.
    """
    scores = decision_scores(model, digits.pixels)
    columns: dict[str, object] = {digits.id_column: digits.ids}
    if digits.labels is not None:
        columns["label"] = digits.labels
    if scores.ndim == 1:
        columns["predicted"] = model.classes[(scores > threshold).astype(int)]
        columns["score"] = scores
    else:
        columns["predicted"] = model.classes[scores.argmax(axis=1)]
        columns.update({f"score_{label}": scores[:, index] for index, label in enumerate(model.classes)})
    return pd.DataFrame(columns)
