"""The classic IDX file format of MNIST (gzip-compressed), parsed with every header checked."""

from __future__ import annotations

import gzip
import io
import math
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np

from pipelib.errors import PipelineError
from pipelib.mnist.dataset import MAX_ITEMS, check_digit_labels

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049


def _read_idx(
    path: Path, magic: int, kind: str, dims: int, check_shape: Callable[[list[int]], None], data: bytes | None
) -> tuple[list[int], bytes]:
    """The header's dimensions and the payload of a gzipped IDX file, read no further than the header allows.

    The header is read first and checked (magic, ``check_shape``, an item count of at most
    MAX_ITEMS), then exactly the payload it announces, then one more byte to catch a
    longer file: a corrupt or crafted ``.gz`` cannot make the reader decompress more than
    the header's size, however much it would expand to. ``data``, when given, is the
    file's bytes already read (and checksummed) from ``path``.
    """
    header_size = 4 * (1 + dims)
    try:
        with gzip.open(path if data is None else io.BytesIO(data), "rb") as stream:
            header = stream.read(header_size)
            if len(header) < header_size:
                raise PipelineError(f"{path}: IDX {kind} header truncated ({len(header)} bytes)")
            found, *shape = struct.unpack(f">{1 + dims}I", header)
            if found != magic:
                raise PipelineError(
                    f"{path}: IDX magic {found}, expected {magic} (a{'n' if kind[0] in 'aeiou' else ''} {kind} file)"
                )
            check_shape(shape)
            if shape[0] > MAX_ITEMS:
                raise PipelineError(f"{path}: header says {shape[0]:,} {kind}s, more than the {MAX_ITEMS:,} allowed")
            size = math.prod(shape)
            payload = stream.read(size)
            longer = stream.read(1) != b""
    except FileNotFoundError:
        raise PipelineError(f"{path}: file not found") from None
    except (OSError, EOFError, zlib.error) as error:
        raise PipelineError(f"{path}: not a complete gzip file ({error})") from None
    announced = f"header of {shape[0]} {kind}{'' if shape[0] == 1 else 's'} needs"
    if len(payload) < size:
        raise PipelineError(f"{path}: {header_size + len(payload)} bytes, {announced} {header_size + size}")
    if longer:
        raise PipelineError(f"{path}: longer than the {header_size + size} bytes a {announced}")
    return shape, payload


def read_idx_images(path: str | Path, side: int = 28, data: bytes | None = None) -> np.ndarray:
    """An IDX3 image file (or its bytes ``data``, read from ``path``) as an (n, side*side) uint8 array."""
    path = Path(path)

    def check_shape(shape: list[int]) -> None:
        if (shape[1], shape[2]) != (side, side):
            raise PipelineError(f"{path}: images are {shape[1]}x{shape[2]}, expected {side}x{side}")

    (count, rows, cols), payload = _read_idx(path, IMAGES_MAGIC, "image", 3, check_shape, data)
    return np.frombuffer(payload, dtype=np.uint8).reshape(count, rows * cols)


def read_idx_labels(path: str | Path, data: bytes | None = None) -> np.ndarray:
    """An IDX1 label file (or its bytes ``data``, read from ``path``) as an (n,) uint8 array of digits."""
    path = Path(path)
    _, payload = _read_idx(path, LABELS_MAGIC, "label", 1, lambda shape: None, data)
    labels = np.frombuffer(payload, dtype=np.uint8)
    check_digit_labels(labels, path)
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
