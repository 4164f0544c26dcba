"""The classic IDX file format of MNIST (gzip-compressed), parsed with every header checked."""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

from pipelib.errors import PipelineError

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049


def _payload(path: Path) -> bytes:
    try:
        with gzip.open(path, "rb") as stream:
            return stream.read()
    except FileNotFoundError:
        raise PipelineError(f"{path}: file not found") from None
    except (OSError, EOFError, zlib.error) as error:
        raise PipelineError(f"{path}: not a complete gzip file ({error})") from None


def read_idx_images(path: str | Path, side: int = 28) -> np.ndarray:
    """An IDX3 image file as an (n, side*side) uint8 array."""
    path = Path(path)
    data = _payload(path)
    if len(data) < 16:
        raise PipelineError(f"{path}: IDX image header truncated ({len(data)} bytes)")
    magic, count, rows, cols = struct.unpack(">IIII", data[:16])
    if magic != IMAGES_MAGIC:
        raise PipelineError(f"{path}: IDX magic {magic}, expected {IMAGES_MAGIC} (an image file)")
    if (rows, cols) != (side, side):
        raise PipelineError(f"{path}: images are {rows}x{cols}, expected {side}x{side}")
    expected = 16 + count * rows * cols
    if len(data) != expected:
        raise PipelineError(f"{path}: {len(data)} bytes, header of {count} images needs {expected}")
    return np.frombuffer(data, dtype=np.uint8, offset=16).reshape(count, rows * cols)


def read_idx_labels(path: str | Path) -> np.ndarray:
    """An IDX1 label file as an (n,) uint8 array of digits."""
    path = Path(path)
    data = _payload(path)
    if len(data) < 8:
        raise PipelineError(f"{path}: IDX label header truncated ({len(data)} bytes)")
    magic, count = struct.unpack(">II", data[:8])
    if magic != LABELS_MAGIC:
        raise PipelineError(f"{path}: IDX magic {magic}, expected {LABELS_MAGIC} (a label file)")
    if len(data) != 8 + count:
        raise PipelineError(f"{path}: {len(data)} bytes, header of {count} labels needs {8 + count}")
    labels = np.frombuffer(data, dtype=np.uint8, offset=8)
    if labels.size and labels.max() > 9:
        raise PipelineError(f"{path}: label {int(labels.max())} is not a digit 0-9")
    return labels


def write_idx_images(path: str | Path, images: np.ndarray) -> None:
    """Write (n, 28, 28) or (n, 784) uint8 images as a gzipped IDX3 file (tests, small mirrors)."""
    images = np.asarray(images, dtype=np.uint8).reshape(len(images), 28, 28)
    header = struct.pack(">IIII", IMAGES_MAGIC, len(images), 28, 28)
    with gzip.GzipFile(path, "wb", mtime=0) as stream:
        stream.write(header + images.tobytes())


def write_idx_labels(path: str | Path, labels: np.ndarray) -> None:
    """Write uint8 labels as a gzipped IDX1 file (tests, small mirrors)."""
    labels = np.asarray(labels, dtype=np.uint8)
    with gzip.GzipFile(path, "wb", mtime=0) as stream:
        stream.write(struct.pack(">II", LABELS_MAGIC, len(labels)) + labels.tobytes())
