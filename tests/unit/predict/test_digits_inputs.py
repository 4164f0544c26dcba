"""Digit inputs at their edges: empty and one-image files, unreadable paths, the default threshold."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import helpers
import numpy as np
import pytest
from helpers import predictions, read_digits
from PIL import Image

from pipelib.errors import PipelineError
from pipelib.mnist.dataset import write_mnist
from pipelib.mnist.idx import write_idx_images
from pipelib.predict.digits import Digits


def test_empty_inputs_have_no_images(tmp_path: Path) -> None:
    write_mnist(np.zeros((0, 784), dtype=np.uint8), np.zeros(0, dtype=np.uint8), tmp_path / "empty.parquet")
    with pytest.raises(PipelineError, match=r"empty\.parquet: no images$"):
        read_digits(tmp_path / "empty.parquet")
    write_idx_images(tmp_path / "empty.gz", np.zeros((0, 784), dtype=np.uint8))
    with pytest.raises(PipelineError, match=r"empty\.gz: no images$"):
        read_digits(tmp_path / "empty.gz")


def test_one_image_is_enough(tmp_path: Path) -> None:
    pixels = np.zeros((1, 784), dtype=np.uint8)
    pixels[0, 100] = 7
    write_idx_images(tmp_path / "one.gz", pixels)
    digits = read_digits(tmp_path / "one.gz")
    assert digits.ids.tolist() == [0] and digits.labels is None
    np.testing.assert_array_equal(digits.pixels, pixels)
    write_mnist(pixels, np.array([9], dtype=np.uint8), tmp_path / "one.parquet")
    digits = read_digits(tmp_path / "one.parquet", invert=True)
    assert digits.labels.tolist() == [9]
    np.testing.assert_array_equal(digits.pixels, 255 - pixels)


def test_a_path_through_a_file_is_not_readable(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("a file, not a directory", encoding="utf-8")
    with pytest.raises(PipelineError, match=r"notes\.txt/digits\.gz: not readable \(Not a directory\)$"):
        read_digits(tmp_path / "notes.txt" / "digits.gz")


def test_a_png_directory_is_not_converted_by_default(tmp_path: Path) -> None:
    Image.new("RGB", (28, 28)).save(tmp_path / "colour.png")
    with pytest.raises(PipelineError, match=r"colour\.png: mode RGB \(colour\)"):
        read_digits(tmp_path)
    assert read_digits(tmp_path, convert=True).ids == ["colour.png"]


def test_the_binary_default_threshold_is_zero() -> None:
    """score = pixel 0 - 100: 101 scores 1, above 0 (as LogisticRegression.predict); 100 scores 0, not above."""
    coef = np.zeros((1, 784))
    coef[0, 0] = 1.0
    model = helpers.hand_digit_model(coef, np.array([-100.0]), np.array([False, True]))
    pixels = np.zeros((3, 784), dtype=np.uint8)
    pixels[:, 0] = [101, 100, 99]
    table = predictions(model, Digits("row", np.arange(3), pixels))
    assert table["predicted"].tolist() == [True, False, False]
    assert table["score"].tolist() == [1.0, 0.0, -1.0]


def test_digits_are_immutable() -> None:
    digits = Digits("row", np.arange(1), np.zeros((1, 784), dtype=np.uint8))
    with pytest.raises(dataclasses.FrozenInstanceError):
        digits.id_column = "file"  # type: ignore[misc]
