"""Digit inputs told apart by content, and the predictions table of binary, softmax and other models.

The linear models are hand-built, their scores worked out by hand; the others are fitted here
on synthetic digits, and their table must be what their own ``predict`` and ``predict_proba`` give.
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path
from typing import Any

import helpers
import numpy as np
import pytest
from helpers import predictions, read_digits
from PIL import Image
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier, NearestCentroid

from pipelib.errors import PipelineError
from pipelib.mnist.dataset import write_mnist
from pipelib.mnist.idx import write_idx_images
from pipelib.predict.digits import Digits


def images(first_pixels: list[list[int]]) -> np.ndarray:
    """Images whose first pixels are given, the rest 0."""
    pixels = np.zeros((len(first_pixels), 784), dtype=np.uint8)
    for row, values in enumerate(first_pixels):
        pixels[row, : len(values)] = values
    return pixels


def binary_model() -> Any:
    """score = pixel 0 - 100: positive for a first pixel above 100."""
    coef = np.zeros((1, 784))
    coef[0, 0] = 1.0
    return helpers.hand_digit_model(coef, np.array([-100.0]), np.array([False, True]))


def softmax_model() -> Any:
    """score of digit k = pixel k, plus 0.5 for digit 3: the predicted digit is the brightest of pixels 0-9."""
    coef = np.zeros((10, 784))
    coef[np.arange(10), np.arange(10)] = 1.0
    intercept = np.zeros(10)
    intercept[3] = 0.5
    return helpers.hand_digit_model(coef, intercept, np.arange(10, dtype=np.uint8))


def test_parquet_input_keeps_rows_and_labels(tmp_path: Path) -> None:
    pixels = images([[150], [50], [100]])
    write_mnist(pixels, np.array([5, 1, 7], dtype=np.uint8), tmp_path / "digits.parquet")
    digits = read_digits(tmp_path / "digits.parquet")
    assert digits.id_column == "row"
    np.testing.assert_array_equal(digits.ids, [0, 1, 2])
    np.testing.assert_array_equal(digits.labels, [5, 1, 7])
    np.testing.assert_array_equal(digits.pixels, pixels)


def test_binary_predictions_follow_the_threshold(tmp_path: Path) -> None:
    digits = Digits("row", np.arange(3), images([[150], [50], [100]]), np.array([5, 1, 7], dtype=np.uint8))
    table = predictions(binary_model(), digits)
    assert list(table.columns) == ["row", "label", "predicted", "score"]
    assert table["predicted"].tolist() == [True, False, False]  # 100 - 100 = 0 is not above 0
    assert table["score"].tolist() == [50.0, -50.0, 0.0]
    assert predictions(binary_model(), digits, threshold=-1.0)["predicted"].tolist() == [True, False, True]
    assert predictions(binary_model(), digits, threshold=60.0)["predicted"].tolist() == [False, False, False]


def test_softmax_predictions_take_the_top_score() -> None:
    pixels = images([[0, 9, 1], [5, 5, 5, 5], [0, 0, 0, 0, 0, 0, 0, 0, 0, 7]])
    digits = Digits("file", ["a.png", "b.png", "c.png"], pixels)
    table = predictions(softmax_model(), digits)
    assert list(table.columns) == ["file", "predicted", *[f"score_{digit}" for digit in range(10)]]
    assert table["file"].tolist() == ["a.png", "b.png", "c.png"]
    assert table["predicted"].tolist() == [1, 3, 9]  # b: four ties at 5, digit 3's intercept breaks it
    assert table.loc[1, "score_3"] == 5.5 and table.loc[2, "score_9"] == 7.0


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray, Digits]:
    """(train pixels, train labels, 60 other images to score): learnable synthetic digits."""
    pixels, labels = helpers.synthetic_digits(260, seed=11)
    return pixels[:200], labels[:200], Digits("row", np.arange(60), pixels[200:])


def test_a_fitted_binary_logistic_regression_scores_as_its_decision_function(digits) -> None:
    train, labels, new = digits
    model = LogisticRegression(C=0.01, max_iter=200).fit(train.astype(np.float64), labels == 5)
    table = predictions(model, new)
    assert list(table.columns) == ["row", "predicted", "score"]
    np.testing.assert_array_equal(table["score"], model.decision_function(new.pixels.astype(np.float64)))
    np.testing.assert_array_equal(table["predicted"], model.predict(new.pixels.astype(np.float64)))
    assert 0 < table["predicted"].sum() < len(table)  # both classes predicted: the threshold is at work


def test_a_knn_gives_its_class_probabilities(digits) -> None:
    """No decision_function: one ``probability_<d>`` column per class, as its predict_proba on the cast pixels."""
    train, labels, new = digits
    model = KNeighborsClassifier(n_neighbors=3).fit(train.astype(np.float32), labels)
    table = predictions(model, new)
    assert list(table.columns) == ["row", "predicted", *[f"probability_{digit}" for digit in range(10)]]
    features = new.pixels.astype(np.float32)  # the dtype it was fitted on
    np.testing.assert_array_equal(table["predicted"], model.predict(features))
    np.testing.assert_array_equal(table.filter(like="probability_"), model.predict_proba(features))
    np.testing.assert_allclose(table.filter(like="probability_").sum(axis=1), 1.0)


def test_a_model_without_scores_gives_only_the_predicted_class(digits) -> None:
    """NearestCentroid with the manhattan metric has neither decision_function nor predict_proba."""
    train, labels, new = digits
    model = NearestCentroid(metric="manhattan").fit(train.astype(np.float64), labels)
    assert not hasattr(model, "decision_function") and not hasattr(model, "predict_proba")
    table = predictions(model, new)
    assert list(table.columns) == ["row", "predicted"]
    np.testing.assert_array_equal(table["predicted"], model.predict(new.pixels.astype(np.float64)))


def test_gzipped_idx_input(tmp_path: Path) -> None:
    pixels = images([[1], [2]])
    write_idx_images(tmp_path / "images.gz", pixels)
    digits = read_digits(tmp_path / "images.gz", invert=True)
    assert digits.labels is None and digits.id_column == "row"
    np.testing.assert_array_equal(digits.pixels, 255 - pixels)


def test_a_png_directory_input(tmp_path: Path) -> None:
    Image.new("L", (28, 28), 9).save(tmp_path / "nine.png")
    digits = read_digits(tmp_path)
    assert (digits.id_column, digits.ids, digits.labels) == ("file", ["nine.png"], None)
    assert set(digits.pixels.ravel()) == {9}


def test_an_uncompressed_idx_file_is_refused_with_the_fix(tmp_path: Path) -> None:
    raw = tmp_path / "t10k-images-idx3-ubyte"
    raw.write_bytes(struct.pack(">IIII", 2051, 1, 28, 28) + bytes(784))
    with pytest.raises(PipelineError, match=r"t10k-images-idx3-ubyte: an uncompressed IDX file; gzip it first"):
        read_digits(raw)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"hello, world", "not a directory of PNGs, a gzipped IDX image file or an MNIST parquet file"),
        (gzip.compress(struct.pack(">II", 2049, 10) + bytes(10)), "IDX magic 2049, expected 2051"),
    ],
    ids=["junk", "idx-labels"],
)
def test_other_files_are_refused(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "input.bin"
    path.write_bytes(content)
    with pytest.raises(PipelineError, match=rf"input\.bin: {message}"):
        read_digits(path)


def test_missing_input_and_convert_on_a_file_are_refused(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match=r"nowhere: no such file or directory"):
        read_digits(tmp_path / "nowhere")
    write_idx_images(tmp_path / "images.gz", images([[1]]))
    with pytest.raises(PipelineError, match=r"images\.gz: --convert applies to PNG directories only"):
        read_digits(tmp_path / "images.gz", convert=True)
