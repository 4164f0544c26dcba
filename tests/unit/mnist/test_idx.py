"""IDX parsing and the MNIST mirror: round trips, every header check, checksums."""

from __future__ import annotations

import gzip
import hashlib
import re
import struct
import tracemalloc
from pathlib import Path

import helpers
import numpy as np
import pytest

from pipelib.errors import PipelineError
from pipelib.mnist.idx import (
    IMAGES_MAGIC,
    LABELS_MAGIC,
    MAX_ITEMS,
    read_idx_images,
    read_idx_labels,
    write_idx_images,
    write_idx_labels,
)
from pipelib.mnist.source import load_mirror


def write_gzip(path: Path, payload: bytes) -> Path:
    """Gzip raw bytes into ``path``."""
    with gzip.GzipFile(path, "wb", mtime=0) as stream:
        stream.write(payload)
    return path


def raises_naming(path: Path, pattern: str = "") -> pytest.RaisesExc:
    """``pytest.raises(PipelineError)`` whose message contains the file name (and ``pattern``)."""
    return pytest.raises(PipelineError, match=re.escape(path.name) + ".*" + pattern)


def test_images_round_trip(tmp_path: Path) -> None:
    images = helpers.blob_images(25, seed=0)
    path = tmp_path / "images.gz"
    write_idx_images(path, images)
    read = read_idx_images(path)
    assert read.dtype == np.uint8
    assert read.shape == (25, 784)
    np.testing.assert_array_equal(read, images.reshape(25, 784))


def test_images_round_trip_flat_input(tmp_path: Path) -> None:
    images = helpers.blob_images(3, seed=1).reshape(3, 784)
    path = tmp_path / "images.gz"
    write_idx_images(path, images)
    np.testing.assert_array_equal(read_idx_images(path), images)


def test_labels_round_trip(tmp_path: Path) -> None:
    labels = np.random.default_rng(0).integers(0, 10, size=101).astype(np.uint8)
    path = tmp_path / "labels.gz"
    write_idx_labels(path, labels)
    read = read_idx_labels(path)
    assert read.dtype == np.uint8
    np.testing.assert_array_equal(read, labels)


def test_written_header_is_the_idx_format(tmp_path: Path) -> None:
    path = tmp_path / "images.gz"
    write_idx_images(path, np.zeros((4, 28, 28), dtype=np.uint8))
    payload = gzip.decompress(path.read_bytes())
    assert struct.unpack(">IIII", payload[:16]) == (IMAGES_MAGIC, 4, 28, 28)
    assert len(payload) == 16 + 4 * 784


def test_empty_files_round_trip(tmp_path: Path) -> None:
    write_idx_images(tmp_path / "i.gz", np.zeros((0, 784), dtype=np.uint8))
    write_idx_labels(tmp_path / "l.gz", np.zeros(0, dtype=np.uint8))
    assert read_idx_images(tmp_path / "i.gz").shape == (0, 784)
    assert read_idx_labels(tmp_path / "l.gz").shape == (0,)


def test_wrong_magic_images(tmp_path: Path) -> None:
    path = tmp_path / "labels-as-images.gz"
    write_idx_labels(path, np.arange(10, dtype=np.uint8))
    with raises_naming(path, "magic"):
        read_idx_images(path)


def test_wrong_magic_labels(tmp_path: Path) -> None:
    path = tmp_path / "images-as-labels.gz"
    write_idx_images(path, np.zeros((2, 784), dtype=np.uint8))
    with raises_naming(path, "magic"):
        read_idx_labels(path)


@pytest.mark.parametrize(("rows", "cols"), [(27, 28), (28, 29), (784, 1)])
def test_wrong_dims(tmp_path: Path, rows: int, cols: int) -> None:
    path = write_gzip(tmp_path / "odd-shape.gz", struct.pack(">IIII", IMAGES_MAGIC, 2, rows, cols) + bytes(2 * 784))
    with raises_naming(path, f"{rows}x{cols}"):
        read_idx_images(path)


def test_truncated_image_payload(tmp_path: Path) -> None:
    path = write_gzip(tmp_path / "short.gz", struct.pack(">IIII", IMAGES_MAGIC, 3, 28, 28) + bytes(2 * 784 + 5))
    with raises_naming(path, "3 images"):
        read_idx_images(path)


def test_image_payload_too_long(tmp_path: Path) -> None:
    path = write_gzip(tmp_path / "long.gz", struct.pack(">IIII", IMAGES_MAGIC, 1, 28, 28) + bytes(2 * 784))
    with raises_naming(path):
        read_idx_images(path)


def test_truncated_label_payload(tmp_path: Path) -> None:
    path = write_gzip(tmp_path / "short-labels.gz", struct.pack(">II", LABELS_MAGIC, 10) + bytes(9))
    with raises_naming(path, "10 labels"):
        read_idx_labels(path)


@pytest.mark.parametrize("size", [0, 7, 15])
def test_truncated_header(tmp_path: Path, size: int) -> None:
    path = write_gzip(tmp_path / "header.gz", struct.pack(">IIII", IMAGES_MAGIC, 1, 28, 28)[:size])
    with raises_naming(path, "header"):
        read_idx_images(path)
    if size < 8:
        with raises_naming(path, "header"):
            read_idx_labels(path)


def test_label_above_nine(tmp_path: Path) -> None:
    path = tmp_path / "labels.gz"
    write_idx_labels(path, np.array([1, 2, 10], dtype=np.uint8))
    with raises_naming(path, "10"):
        read_idx_labels(path)


@pytest.mark.parametrize("cut", [1, 8, 100])
def test_truncated_gzip(tmp_path: Path, cut: int) -> None:
    path = tmp_path / "cut.gz"
    write_idx_images(path, helpers.blob_images(20, seed=2))
    data = path.read_bytes()
    path.write_bytes(data[:-cut])
    with raises_naming(path, "gzip"):
        read_idx_images(path)


def test_not_gzip(tmp_path: Path) -> None:
    path = tmp_path / "plain.gz"
    path.write_bytes(struct.pack(">IIII", IMAGES_MAGIC, 0, 28, 28))
    with raises_naming(path, "gzip"):
        read_idx_images(path)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.gz"
    with raises_naming(path, "not found"):
        read_idx_labels(path)


# --- the mirror ----------------------------------------------------------------------------------


def test_load_mirror(mnist_mirror: Path) -> None:
    pixels, labels = load_mirror(mnist_mirror / "mnist")
    expected_pixels, expected_labels = helpers.synthetic_digits(80, seed=1)
    assert pixels.shape == (80, 784)
    assert pixels.dtype == np.uint8
    assert labels.dtype == np.uint8
    np.testing.assert_array_equal(pixels, expected_pixels)  # train rows then test rows
    np.testing.assert_array_equal(labels, expected_labels)


def test_label_count_differs_from_image_count(mnist_mirror: Path) -> None:
    directory = mnist_mirror / "mnist"
    labels = read_idx_labels(directory / "t10k-labels-idx1-ubyte.gz")
    write_idx_labels(directory / "t10k-labels-idx1-ubyte.gz", labels[:-1])
    helpers.write_sha256sums(directory, helpers.MNIST_FILES)
    with raises_naming(directory / "t10k-labels-idx1-ubyte.gz", f"{len(labels) - 1} labels for {len(labels)} images"):
        load_mirror(directory)


def test_sha256_mismatch(mnist_mirror: Path) -> None:
    directory = mnist_mirror / "mnist"
    path = directory / "train-labels-idx1-ubyte.gz"
    labels = read_idx_labels(path).copy()
    labels[0] = (labels[0] + 1) % 10
    write_idx_labels(path, labels)  # SHA256SUMS still lists the old file
    with raises_naming(path, "sha256"):
        load_mirror(directory)


def test_file_missing_from_sha256sums(mnist_mirror: Path) -> None:
    directory = mnist_mirror / "mnist"
    helpers.write_sha256sums(directory, helpers.MNIST_FILES[:3])
    with raises_naming(directory / helpers.MNIST_FILES[3], "no recorded sha256"):
        load_mirror(directory)


def test_malformed_sha256sums(mnist_mirror: Path) -> None:
    directory = mnist_mirror / "mnist"
    (directory / "SHA256SUMS").write_text("not a checksum line\n", encoding="utf-8")
    with pytest.raises(PipelineError, match=r"SHA256SUMS: line 1"):
        load_mirror(directory)


def test_md5_mismatch_without_sha256sums(tmp_path: Path) -> None:
    """Without its own SHA256SUMS a mirror is checked against the published md5s, which small files fail."""
    directory = helpers.write_mnist_mirror(tmp_path, n_train=10, n_test=5, seed=4, checksums=False)
    with pytest.raises(PipelineError, match=r"train-images-idx3-ubyte\.gz: md5 [0-9a-f]{32} does not match"):
        load_mirror(directory)


def test_missing_mirror_file(mnist_mirror: Path) -> None:
    directory = mnist_mirror / "mnist"
    (directory / "t10k-images-idx3-ubyte.gz").unlink()
    with raises_naming(directory / "t10k-images-idx3-ubyte.gz", "not found"):
        load_mirror(directory)


def test_uppercase_and_binary_mode_sha256sums_lines(mnist_mirror: Path) -> None:
    """``sha256sum -b`` writes ``<hash> *<name>``; both forms and upper-case hex are accepted."""
    directory = mnist_mirror / "mnist"
    lines = [
        f"{hashlib.sha256((directory / name).read_bytes()).hexdigest().upper()} *{name}" for name in helpers.MNIST_FILES
    ]
    (directory / "SHA256SUMS").write_text("\n".join(lines) + "\n\n", encoding="utf-8")
    pixels, _ = load_mirror(directory)
    assert pixels.shape == (80, 784)


def test_a_count_above_the_cap_is_refused_before_reading(tmp_path: Path) -> None:
    path = write_gzip(tmp_path / "huge.gz", struct.pack(">IIII", IMAGES_MAGIC, MAX_ITEMS + 1, 28, 28))
    with raises_naming(path, f"{MAX_ITEMS + 1:,} images, more than the {MAX_ITEMS:,} allowed"):
        read_idx_images(path)
    labels = write_gzip(tmp_path / "huge-labels.gz", struct.pack(">II", LABELS_MAGIC, 2**32 - 1))
    with raises_naming(labels, "more than"):
        read_idx_labels(labels)


def test_a_file_that_expands_far_beyond_its_header_is_not_decompressed(tmp_path: Path) -> None:
    """A gzip bomb: 200 MB of zeros behind a header of one image; reading stops a byte past the image."""
    path = tmp_path / "bomb.gz"
    with gzip.GzipFile(path, "wb", mtime=0) as stream:
        stream.write(struct.pack(">IIII", IMAGES_MAGIC, 1, 28, 28))
        block = bytes(1 << 20)
        for _ in range(200):
            stream.write(block)
    assert path.stat().st_size < 1 << 20
    tracemalloc.start()
    try:
        with raises_naming(path, "longer than the 800 bytes a header of 1 image needs"):
            read_idx_images(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20, f"reading allocated {peak:,} bytes"


# --- the published format's constants, written out here (not taken from the module) ---------------


def test_headers_carry_the_published_magic_numbers(tmp_path: Path) -> None:
    """LeCun's IDX files: images start 0x00000803 (2051), labels 0x00000801 (2049), big-endian."""
    write_idx_images(tmp_path / "i.gz", np.zeros((2, 784), dtype=np.uint8))
    write_idx_labels(tmp_path / "l.gz", np.array([3, 9], dtype=np.uint8))
    images = gzip.decompress((tmp_path / "i.gz").read_bytes())
    labels = gzip.decompress((tmp_path / "l.gz").read_bytes())
    assert images[:16] == bytes.fromhex("00000803 00000002 0000001c 0000001c")
    assert labels == bytes.fromhex("00000801 00000002 03 09")


def test_hand_written_files_are_read(tmp_path: Path) -> None:
    """Files built byte by byte with the literal magic numbers read back as written."""
    pixels = bytes(range(256)) * 3 + bytes(16)
    images = write_gzip(tmp_path / "i.gz", struct.pack(">IIII", 2051, 1, 28, 28) + pixels)
    labels = write_gzip(tmp_path / "l.gz", struct.pack(">II", 2049, 8) + bytes([0, 9, 5, 1, 2, 3, 4, 6]))
    np.testing.assert_array_equal(read_idx_images(images), np.frombuffer(pixels, dtype=np.uint8).reshape(1, 784))
    np.testing.assert_array_equal(read_idx_labels(labels), [0, 9, 5, 1, 2, 3, 4, 6])
    with raises_naming(labels, "magic 2049, expected 2051"):
        read_idx_images(labels)
    with raises_naming(images, "magic 2051, expected 2049"):
        read_idx_labels(images)


def test_written_files_carry_no_timestamp(tmp_path: Path) -> None:
    """The gzip MTIME field (bytes 4-7) is zero, so equal data gives equal files."""
    write_idx_images(tmp_path / "i.gz", np.zeros((1, 784), dtype=np.uint8))
    write_idx_labels(tmp_path / "l.gz", np.zeros(1, dtype=np.uint8))
    for name in ("i.gz", "l.gz"):
        assert (tmp_path / name).read_bytes()[4:8] == bytes(4), name


def test_the_item_cap_is_one_million_inclusive(tmp_path: Path) -> None:
    """Exactly 1,000,000 items passes the cap (and then fails as truncated); 1,000,001 does not."""
    at_cap = write_gzip(tmp_path / "at-cap.gz", struct.pack(">II", 2049, 1_000_000))
    with raises_naming(at_cap, "8 bytes, header of 1000000 labels needs 1000008"):
        read_idx_labels(at_cap)
    above = write_gzip(tmp_path / "above.gz", struct.pack(">II", 2049, 1_000_001))
    with raises_naming(above, "1,000,001 labels, more than the 1,000,000 allowed"):
        read_idx_labels(above)


def test_labels_zero_and_nine_are_digits_ten_is_not(tmp_path: Path) -> None:
    path = write_gzip(tmp_path / "bounds.gz", struct.pack(">II", 2049, 2) + bytes([0, 9]))
    np.testing.assert_array_equal(read_idx_labels(path), [0, 9])
    ten = write_gzip(tmp_path / "ten.gz", struct.pack(">II", 2049, 1) + bytes([10]))
    with raises_naming(ten, "label 10 is not a digit"):
        read_idx_labels(ten)


def test_one_byte_too_many_is_refused(tmp_path: Path) -> None:
    path = write_gzip(tmp_path / "one-more.gz", struct.pack(">II", 2049, 2) + bytes(3))
    with raises_naming(path, "longer than the 10 bytes a header of 2 labels needs"):
        read_idx_labels(path)
    exact = write_gzip(tmp_path / "exact.gz", struct.pack(">II", 2049, 2) + bytes(2))
    assert read_idx_labels(exact).shape == (2,)


def test_other_image_sides_are_read_when_asked(tmp_path: Path) -> None:
    path = write_gzip(tmp_path / "small.gz", struct.pack(">IIII", 2051, 2, 5, 5) + bytes(range(50)))
    np.testing.assert_array_equal(read_idx_images(path, side=5), np.arange(50, dtype=np.uint8).reshape(2, 25))
    with raises_naming(path, "images are 5x5, expected 28x28"):
        read_idx_images(path)
