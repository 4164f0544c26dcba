"""The classic IDX file format of MNIST (gzip-compressed), parsed with every header checked."""

from __future__ import annotations

import gzip
import io
import math
import struct
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np

from pipelib.errors import PipelineError
from pipelib.mnist.dataset import MAX_ITEMS, check_digit_labels

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049


def _idx_pieces(
    path: Path,
    magic: int,
    kind: str,
    dims: int,
    check_shape: Callable[[list[int]], None],
    source: bytes | BinaryIO | None,
    piece_items: int | None = None,
) -> Iterator[tuple[list[int], bytes]]:
    """(the header's dimensions, a piece of the payload) of a gzipped IDX file, read no further than the header allows.

    The header is read first and checked (magic, ``check_shape``, an item count of at most
    MAX_ITEMS), then exactly the payload it announces, ``piece_items`` items at a time (all
    at once by default), then one more byte to catch a longer file: a corrupt or crafted
    ``.gz`` cannot make the reader decompress more than the header's size, however much it
    would expand to. ``source``, when given, is the file's bytes already read (and
    checksummed) from ``path``, or the file open for reading.
    """
    header_size = 4 * (1 + dims)
    opened = path if source is None else io.BytesIO(source) if isinstance(source, bytes) else source
    shape: list[int] = []
    size = read = 0
    try:
        with gzip.open(opened, "rb") as stream:
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
            item_size = math.prod(shape[1:])
            piece_size = size if piece_items is None else max(1, piece_items * item_size)
            announced = f"header of {shape[0]} {kind}{'' if shape[0] == 1 else 's'} needs"
            while True:
                wanted = min(piece_size, size - read)
                payload = stream.read(wanted)
                read += len(payload)
                if len(payload) < wanted:
                    raise PipelineError(f"{path}: {header_size + read} bytes, {announced} {header_size + size}")
                if read == size and stream.read(1) != b"":
                    raise PipelineError(f"{path}: longer than the {header_size + size} bytes a {announced}")
                yield shape, payload
                if read == size:
                    return
    except FileNotFoundError:
        raise PipelineError(f"{path}: file not found") from None
    except (OSError, EOFError, zlib.error) as error:
        raise PipelineError(f"{path}: not a complete gzip file ({error})") from None


def _read_idx(
    path: Path, magic: int, kind: str, dims: int, check_shape: Callable[[list[int]], None], data: bytes | None
) -> tuple[list[int], bytes]:
    """The header's dimensions and the whole payload of a gzipped IDX file (:func:`_idx_pieces` in one piece)."""
    ((shape, payload),) = _idx_pieces(path, magic, kind, dims, check_shape, data)
    return shape, payload


def _image_shape_check(path: Path, side: int) -> Callable[[list[int]], None]:
    def check_shape(shape: list[int]) -> None:
        if (shape[1], shape[2]) != (side, side):
            raise PipelineError(f"{path}: images are {shape[1]}x{shape[2]}, expected {side}x{side}")

    return check_shape


def read_idx_images(path: str | Path, side: int = 28, data: bytes | None = None) -> np.ndarray:
    """An IDX3 image file (or its bytes ``data``, read from ``path``) as an (n, side*side) uint8 array."""
    path = Path(path)
    (count, rows, cols), payload = _read_idx(path, IMAGES_MAGIC, "image", 3, _image_shape_check(path, side), data)
    return np.frombuffer(payload, dtype=np.uint8).reshape(count, rows * cols)


def iter_idx_images(
    path: str | Path, stream: BinaryIO, block_rows: int, side: int = 28
) -> Iterator[tuple[int, np.ndarray]]:
    """(the header's image count, a block of at most ``block_rows`` images as (k, side*side) uint8) from an open file.

    Checked as :func:`read_idx_images` checks, but only a block is held at a time.
    """
    path = Path(path)
    for (count, rows, cols), payload in _idx_pieces(
        path, IMAGES_MAGIC, "image", 3, _image_shape_check(path, side), stream, block_rows
    ):
        yield count, np.frombuffer(payload, dtype=np.uint8).reshape(-1, rows * cols)


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
