"""MNIST model files (pipelib.mnist.models): skops round trips of fitted classifiers, what loading refuses,
and scoring pixels in blocks as scikit-learn's own predict does."""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import helpers
import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier
from threadpoolctl import threadpool_info, threadpool_limits

from pipelib.errors import PipelineError
from pipelib.mnist import models
from pipelib.mnist.fitting import LinearModel


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    """300 images of all ten digits: 200 to fit on, 100 to score."""
    return helpers.synthetic_digits(300, seed=11)


@pytest.fixture(scope="module")
def logistic(digits: tuple[np.ndarray, np.ndarray]) -> LogisticRegression:
    pixels, labels = digits
    with warnings.catch_warnings():  # stopped at max_iter: a model is all these tests need
        warnings.simplefilter("ignore", ConvergenceWarning)
        return LogisticRegression(C=10.0, max_iter=20).fit(pixels[:200].astype(np.float64), labels[:200])


def knn(digits: tuple[np.ndarray, np.ndarray], **params: Any) -> KNeighborsClassifier:
    pixels, labels = digits
    return KNeighborsClassifier(n_neighbors=3, **params).fit(pixels[:200].astype(np.float32), labels[:200])


def saved(model: Any, path: Path) -> Path:
    models.save(model, path)
    return path


def refused(path: Path, message: str) -> None:
    """load refuses the file with one line naming it."""
    with pytest.raises(PipelineError) as error:
        models.load(path)
    assert re.fullmatch(re.escape(f"{path}: {message}") + ".*", str(error.value))
    assert "\n" not in str(error.value)


def linear(coef: np.ndarray, intercept: np.ndarray, classes: np.ndarray) -> LogisticRegression:
    """A LogisticRegression holding these arrays, as the project's fit fills one."""
    return LinearModel(coef, intercept, classes, 1).fitted(LogisticRegression())


# --- round trips -----------------------------------------------------------------------------------


def test_a_logistic_regression_round_trips(
    tmp_path: Path, digits: tuple[np.ndarray, np.ndarray], logistic: LogisticRegression
) -> None:
    loaded = models.load(saved(logistic, tmp_path / "softmax.skops"))
    assert type(loaded) is LogisticRegression
    assert loaded.get_params() == logistic.get_params()
    for attribute in ("coef_", "intercept_", "classes_", "n_iter_"):
        np.testing.assert_array_equal(getattr(loaded, attribute), getattr(logistic, attribute))
        assert getattr(loaded, attribute).dtype == getattr(logistic, attribute).dtype
    test = digits[0][200:].astype(np.float64)
    np.testing.assert_array_equal(loaded.predict_proba(test), logistic.predict_proba(test))
    # the same fit saved again: the same bytes (DVC's cache is hit)
    assert saved(logistic, tmp_path / "again.skops").read_bytes() == (tmp_path / "softmax.skops").read_bytes()


@pytest.mark.parametrize("algorithm", ["auto", "kd_tree", "ball_tree"])
def test_a_tiny_knn_round_trips(tmp_path: Path, digits: tuple[np.ndarray, np.ndarray], algorithm: str) -> None:
    """Its training images come back as they were; the trees of kd_tree and ball_tree are allow-listed types."""
    model = knn(digits, weights="distance", algorithm=algorithm)
    loaded = models.load(saved(model, tmp_path / "knn.skops"))
    assert type(loaded) is KNeighborsClassifier
    assert loaded.get_params() == model.get_params()
    assert loaded._fit_X.dtype == np.float32
    np.testing.assert_array_equal(loaded._fit_X, digits[0][:200])
    test = digits[0][200:].astype(np.float32)
    np.testing.assert_array_equal(loaded.predict(test), model.predict(test))


def test_a_binary_model_and_a_tree_load(tmp_path: Path, digits: tuple[np.ndarray, np.ndarray]) -> None:
    pixels, labels = digits
    binary = linear(np.zeros((1, 784)), np.zeros(1), np.array([False, True]))
    assert models.load(saved(binary, tmp_path / "binary.skops")).classes_.tolist() == [False, True]
    tree = DecisionTreeClassifier(max_depth=3, random_state=0).fit(pixels[:200], labels[:200])
    loaded = models.load(saved(tree, tmp_path / "tree.skops"))
    np.testing.assert_array_equal(loaded.predict(pixels[200:]), tree.predict(pixels[200:]))


# --- what load refuses -------------------------------------------------------------------------------


def test_a_titanic_pipeline_is_refused(tmp_path: Path) -> None:
    rows, target = np.array([[22.0, 1.0], [38.0, 0.0], [26.0, 0.0], [35.0, 1.0]]), np.array([0, 1, 1, 0])
    pipeline = Pipeline([("scale", StandardScaler()), ("model", LogisticRegression())]).fit(rows, target)
    path = saved(pipeline, tmp_path / "logistic.skops")
    refused(path, "a Titanic model, expected an MNIST model (models/mnist/<name>.skops)")


@pytest.mark.parametrize(
    ("estimator", "path"),
    [(GaussianNB(), "sklearn.naive_bayes.GaussianNB"), (Ridge(), "sklearn.linear_model.Ridge")],
    ids=["module-not-allowed", "a-regressor"],
)
def test_an_estimator_outside_the_allow_list_is_refused(
    tmp_path: Path, digits: tuple[np.ndarray, np.ndarray], estimator: Any, path: str
) -> None:
    pixels, labels = digits
    file = saved(estimator.fit(pixels[:50].astype(np.float64), labels[:50]), tmp_path / "other.skops")
    refused(file, f"refused, {path} is not an allow-listed classifier")


@pytest.mark.parametrize(
    ("classes", "shown"),
    [
        (np.arange(11), "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]..."),
        (np.arange(1, 11), "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"),
        (np.array([0, 2, 1, 3, 4, 5, 6, 7, 8, 9]), "[0, 2, 1, 3, 4, 5, 6, 7, 8, 9]"),
        (np.arange(10, dtype=float), "[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]"),
    ],
    ids=["eleven", "ten-is-no-digit", "out-of-order", "floats"],
)
def test_classes_other_than_digits_are_refused(tmp_path: Path, classes: np.ndarray, shown: str) -> None:
    model = linear(np.zeros((len(classes), 784)), np.zeros(len(classes)), classes)
    message = f"classes {shown} are not expected digits 0-9 (or False, True), each once in increasing order"
    refused(saved(model, tmp_path / "m.skops"), message)


def test_ten_digits_load(tmp_path: Path) -> None:
    model = linear(np.zeros((10, 784)), np.zeros(10), np.arange(10, dtype=np.uint8))
    assert models.load(saved(model, tmp_path / "m.skops")).classes_.tolist() == list(range(10))


@pytest.mark.parametrize(("attribute", "value"), [("coef_", np.nan), ("intercept_", np.inf), ("coef_", -np.inf)])
def test_nan_or_infinite_arrays_are_refused(tmp_path: Path, attribute: str, value: float) -> None:
    model = linear(np.zeros((10, 784)), np.zeros(10), np.arange(10))
    getattr(model, attribute)[0] = value
    refused(saved(model, tmp_path / "m.skops"), f"array '{attribute}' holds NaN or infinite values")


def test_nan_in_a_knns_training_images_is_refused(tmp_path: Path, digits: tuple[np.ndarray, np.ndarray]) -> None:
    model = knn(digits)
    model._fit_X[3, 100] = np.nan
    refused(saved(model, tmp_path / "knn.skops"), "array '_fit_X' holds NaN or infinite values")


def test_a_model_not_over_784_pixels_or_unfitted_is_refused(tmp_path: Path) -> None:
    expected = "not a fitted MNIST model (classes_ and 784 input pixels expected)"
    small = linear(np.zeros((10, 20)), np.zeros(10), np.arange(10))
    refused(saved(small, tmp_path / "small.skops"), expected)
    refused(saved(LogisticRegression(), tmp_path / "unfitted.skops"), expected)


def test_a_missing_file_and_a_pickle_are_refused(tmp_path: Path) -> None:
    refused(tmp_path / "absent.skops", "model file not found (run the training stage: dvc repro)")
    pickled = tmp_path / "pickled.skops"
    pickled.write_bytes(b"\x80\x04K\x01.")
    refused(pickled, "refused, a pickle file (expected a skops zip archive)")


# --- scoring ----------------------------------------------------------------------------------------


def test_predict_in_blocks_is_the_estimators_predict(logistic: LogisticRegression, progress_lines: list[str]) -> None:
    """4,500 images: two full blocks of PREDICT_ROWS and a part block, the classes scikit-learn gives."""
    assert models.PREDICT_ROWS == 2000
    pixels, _ = helpers.synthetic_digits(4500, seed=12)
    predicted = models.predict(logistic, pixels, n_jobs=1, name="softmax")
    np.testing.assert_array_equal(predicted, logistic.predict(pixels.astype(np.float64)))
    assert len(progress_lines) == 1
    assert re.fullmatch(r"softmax: scored 4,500 of 4,500 images in \d+\.\d s", progress_lines[0])


def test_predict_casts_to_the_knns_float32(digits: tuple[np.ndarray, np.ndarray], progress_lines: list[str]) -> None:
    model = knn(digits, weights="distance")
    predicted = models.predict(model, digits[0][200:], n_jobs=2)
    np.testing.assert_array_equal(predicted, model.predict(digits[0][200:].astype(np.float32)))
    assert progress_lines == []  # no name, no progress lines


def test_predict_of_no_images(logistic: LogisticRegression) -> None:
    predicted = models.predict(logistic, np.zeros((0, 784), dtype=np.uint8))
    assert predicted.shape == (0,)
    assert predicted.dtype == np.int64


class ThreadsSeen:
    """A model whose predict notes the thread counts of the BLAS and OpenMP pools it runs under."""

    def __init__(self) -> None:
        self.seen: list[set[int]] = []

    def predict(self, pixels: np.ndarray) -> np.ndarray:
        self.seen.append({pool["num_threads"] for pool in threadpool_info()})
        return np.zeros(len(pixels), dtype=np.int64)


def test_predict_scores_on_one_thread_unless_told() -> None:
    """The train stage scores its first training rows with predict's default: one thread, whatever the machine."""
    assert threadpool_info(), "numpy's BLAS should be a thread pool threadpoolctl sees"
    model, pixels = ThreadsSeen(), np.zeros((3, 784), dtype=np.uint8)
    with threadpool_limits(limits=2):  # more than one before the call: predict itself brings it to one
        models.predict(model, pixels)
        assert model.seen == [{1}]
        models.predict(model, pixels, n_jobs=1)
    assert model.seen == [{1}, {1}]


def test_input_dtype(digits: tuple[np.ndarray, np.ndarray], logistic: LogisticRegression) -> None:
    """The float type of the stored arrays a model scores against; float64 where there are none."""
    pixels, labels = digits
    assert models.input_dtype(logistic) == np.float64
    assert models.input_dtype(knn(digits)) == np.float32
    float32 = linear(np.zeros((10, 784), dtype=np.float32), np.zeros(10, dtype=np.float32), np.arange(10))
    assert models.input_dtype(float32) == np.float32
    tree = DecisionTreeClassifier(max_depth=2).fit(pixels[:50], labels[:50])
    assert models.input_dtype(tree) == np.float64
    integers = KNeighborsClassifier(n_neighbors=1, algorithm="brute").fit(pixels[:50], labels[:50])
    assert integers._fit_X.dtype.kind == "u"
    assert models.input_dtype(integers) == np.float64
