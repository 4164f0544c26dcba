"""Logistic-regression fitting, cross-validated scores and registry-entry fits against scikit-learn."""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
from typing import Any

import helpers
import numpy as np
import pytest
import scipy.sparse as sp
import threadpoolctl
from helpers import FIT_ATOL, FIT_RTOL
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_predict, cross_val_score
from sklearn.neighbors import KNeighborsClassifier

from pipelib.binary_metrics import fold_accuracies
from pipelib.errors import PipelineError
from pipelib.mnist.features import as_features
from pipelib.mnist.fitting import (
    LinearModel,
    OutOfFold,
    fit,
    fit_logistic,
    fit_on_rows,
    fit_with_cross_validation,
    uses_project_fit,
)
from pipelib.params import BinaryParams, LogisticParams, MnistModelEntry

pytestmark = pytest.mark.kernels  # make test reruns these on other SIMD kernels (docs/testing.md)

IMAGE_SETTINGS = {"dtype": "float64", "matrix": "sparse", "n_jobs": 2}
BINARY = BinaryParams(C=0.5, max_iter=200, random_state=0, cv_folds=3, **IMAGE_SETTINGS)
SOFTMAX = LogisticParams(C=10.0, max_iter=200, random_state=0)


def sklearn_estimator(params: LogisticParams) -> LogisticRegression:
    """The estimator the pipeline is meant to reproduce."""
    return LogisticRegression(C=params.C, max_iter=params.max_iter, random_state=params.random_state)


@pytest.fixture(scope="module")
def binary_data() -> tuple[np.ndarray, np.ndarray]:
    """300 x 20 features with an unbalanced boolean target (like 5-vs-rest)."""
    features, target = make_classification(
        n_samples=300, n_features=20, n_informative=6, weights=[0.8], flip_y=0.05, random_state=0
    )
    return features, target.astype(bool)


@pytest.fixture(scope="module")
def multiclass_data() -> tuple[np.ndarray, np.ndarray]:
    """240 x 15 features, four classes as uint8 labels (like digits)."""
    features, target = make_classification(
        n_samples=240, n_features=15, n_informative=8, n_classes=4, n_clusters_per_class=1, random_state=1
    )
    return features, target.astype(np.uint8)


@pytest.mark.parametrize("matrix", ["dense", "sparse"])
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_cross_validation_matches_sklearn(binary_data: tuple[np.ndarray, np.ndarray], matrix: str, n_jobs: int) -> None:
    """Per-fold accuracy is ``cross_val_score``'s, scores are ``cross_val_predict``'s, the model is the all-rows fit."""
    pixels, target = binary_data
    features = as_features(pixels, "float64", matrix)
    model, out = fit_with_cross_validation(features, target, BINARY, 3, n_jobs)
    expected_accuracy = cross_val_score(sklearn_estimator(BINARY), features, target, cv=3)
    got_accuracy = fold_accuracies(out.fold, target, out.score > 0)
    np.testing.assert_allclose(got_accuracy, expected_accuracy, rtol=0, atol=1e-12)
    expected_scores = cross_val_predict(sklearn_estimator(BINARY), features, target, cv=3, method="decision_function")
    np.testing.assert_allclose(out.score, expected_scores, rtol=FIT_RTOL, atol=FIT_ATOL)
    np.testing.assert_array_equal(out.score > 0, cross_val_predict(sklearn_estimator(BINARY), features, target, cv=3))
    assert sorted(np.unique(out.fold).tolist()) == [0, 1, 2]
    assert len(out.n_iter) == 3
    estimator = sklearn_estimator(BINARY).fit(features, target)
    np.testing.assert_allclose(model.coef, estimator.coef_, rtol=FIT_RTOL, atol=FIT_ATOL)
    np.testing.assert_array_equal(model.fitted(LogisticRegression()).predict(features), estimator.predict(features))


def test_cross_validation_five_folds(binary_data: tuple[np.ndarray, np.ndarray]) -> None:
    pixels, target = binary_data
    _, out = fit_with_cross_validation(as_features(pixels, "float64", "dense"), target, BINARY, 5, 1)
    expected = cross_val_score(sklearn_estimator(BINARY), pixels, target, cv=5)
    np.testing.assert_allclose(fold_accuracies(out.fold, target, out.score > 0), expected, rtol=0, atol=1e-12)


def test_parallel_fits_do_not_change_results() -> None:
    """Folds fitted on several threads give bit-identical models and scores to one-thread fits."""
    pixels, labels = helpers.synthetic_digits(450, seed=3)
    features = as_features(pixels, "float64", "sparse")
    serial_model, serial = fit_with_cross_validation(features, labels == 5, BINARY, 3, 1)
    parallel_model, parallel = fit_with_cross_validation(features, labels == 5, BINARY, 3, 3)
    np.testing.assert_array_equal(serial.score, parallel.score)
    np.testing.assert_array_equal(serial.fold, parallel.fold)
    np.testing.assert_array_equal(serial_model.coef, parallel_model.coef)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_as_features(dtype: str) -> None:
    pixels, _ = helpers.synthetic_digits(50, seed=2)
    dense = as_features(pixels, dtype, "dense")
    assert isinstance(dense, np.ndarray)
    assert dense.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(dense, pixels)
    sparse = as_features(pixels, dtype, "sparse")
    assert sp.issparse(sparse)
    assert sparse.format == "csr"
    assert sparse.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(sparse.toarray(), pixels)
    assert sparse.nnz == np.count_nonzero(pixels)
    empty = as_features(pixels[:0], dtype, "sparse")
    assert empty.shape == (0, 784)


def test_sparse_blocks_span_many_rows() -> None:
    """Built a block of rows at a time: more rows than one block still give the same matrix."""
    rows = np.random.default_rng(0).integers(0, 256, size=(3, 784), dtype=np.uint8)
    pixels = np.tile(rows, (6000, 1))  # 18,000 rows, past the 8,192-row block
    sparse = as_features(pixels, "float32", "sparse")
    assert sparse.shape == pixels.shape
    np.testing.assert_array_equal(sparse[[0, 8191, 8192, 17999]].toarray(), pixels[[0, 8191, 8192, 17999]])


def test_sparse_and_threaded_fits_match_dense() -> None:
    """The same lbfgs fit on dense and CSR features, on one or two threads, gives the same model (to rounding)."""
    pixels, labels = helpers.synthetic_digits(500, seed=5)
    params = LogisticParams(C=10.0, max_iter=100, random_state=0)
    dense = fit_logistic(as_features(pixels, "float64", "dense"), labels, params, "dense", 2)
    estimator = sklearn_estimator(params).fit(pixels.astype(np.float64), labels)
    np.testing.assert_allclose(dense.coef, estimator.coef_, rtol=FIT_RTOL, atol=FIT_ATOL)
    for n_jobs in (1, 2):
        sparse = fit_logistic(as_features(pixels, "float64", "sparse"), labels, params, "sparse", n_jobs)
        np.testing.assert_allclose(sparse.coef, dense.coef, rtol=1e-6, atol=1e-10)
        np.testing.assert_allclose(sparse.intercept, dense.intercept, rtol=1e-6, atol=1e-10)
        features = as_features(pixels, "float64", "sparse")
        sparse_predicted = sparse.fitted(LogisticRegression()).predict(features)
        np.testing.assert_array_equal(
            sparse_predicted, dense.fitted(LogisticRegression()).predict(pixels.astype(float))
        )
        np.testing.assert_allclose(
            sparse.decision_function(features), dense.decision_function(pixels.astype(np.float64)), rtol=1e-6, atol=1e-8
        )


def test_fit_logistic_matches_sklearn(multiclass_data: tuple[np.ndarray, np.ndarray]) -> None:
    features, target = multiclass_data
    model = fit_logistic(features, target, SOFTMAX, "test", 2)
    estimator = sklearn_estimator(SOFTMAX).fit(features, target)
    np.testing.assert_allclose(model.coef, estimator.coef_, rtol=FIT_RTOL, atol=FIT_ATOL)
    np.testing.assert_array_equal(model.fitted(LogisticRegression()).predict(features), estimator.predict(features))
    np.testing.assert_allclose(
        model.decision_function(features), estimator.decision_function(features), rtol=FIT_RTOL, atol=FIT_ATOL
    )
    assert model.n_iter == int(np.max(estimator.n_iter_))


def test_fit_logistic_stops_at_max_iter_quietly(
    multiclass_data: tuple[np.ndarray, np.ndarray], recwarn: pytest.WarningsRecorder
) -> None:
    features, target = multiclass_data
    model = fit_logistic(features * 1000, target, LogisticParams(C=10.0, max_iter=2, random_state=0), "short", 2)
    assert model.n_iter == 2
    assert not [warning for warning in recwarn if "converge" in str(warning.message).lower()]


def test_float32_features_score_close_to_float64(multiclass_data: tuple[np.ndarray, np.ndarray]) -> None:
    features, target = multiclass_data
    model = fit_logistic(features, target, SOFTMAX, "f64", 1)
    scores = model.decision_function(features.astype(np.float32))
    np.testing.assert_allclose(scores, model.decision_function(features), rtol=1e-4, atol=1e-3)


# --- what a fit logs, and where it runs ---------------------------------------------------------


TIMED = r" in \d+\.\d s"


def test_a_fit_logs_its_matrix_workers_and_iterations(
    multiclass_data: tuple[np.ndarray, np.ndarray], progress_lines: list[str]
) -> None:
    features, target = multiclass_data
    fit_logistic(sp.csr_matrix(features), target, SOFTMAX, "soft", 2)
    assert progress_lines[0] == "soft: fitting on 240 x 15 sparse float64, 2 workers"
    assert re.fullmatch(r"soft: \d+ lbfgs iterations" + TIMED, progress_lines[1])
    progress_lines.clear()
    fit_logistic(features.astype(np.float32), target, SOFTMAX, "f32", 1)
    assert progress_lines[0] == "f32: fitting on 240 x 15 dense float32, 1 worker"


def test_stopping_at_max_iter_is_logged_at_exactly_max_iter(
    multiclass_data: tuple[np.ndarray, np.ndarray], progress_lines: list[str]
) -> None:
    features, target = multiclass_data
    params = LogisticParams(C=10.0, max_iter=3, random_state=0)
    model = fit_logistic(features, target, params, "s", 2)
    assert model.n_iter == 3
    assert re.fullmatch(r"s: 3 lbfgs iterations \(stopped at max_iter\)" + TIMED, progress_lines[1])


def test_cross_validation_fits_are_labelled(
    binary_data: tuple[np.ndarray, np.ndarray], progress_lines: list[str]
) -> None:
    features, target = binary_data
    fit_with_cross_validation(features, target, BINARY, 3, 1)
    labels = [line.split(":")[0] for line in progress_lines if "fitting on" in line]
    assert labels == ["all rows", "fold 1/3", "fold 2/3", "fold 3/3"]
    assert "all rows: fitting on 300 x 20 dense float64, 1 worker" in progress_lines
    assert "fold 1/3: fitting on 200 x 20 dense float64, 1 worker" in progress_lines


CALLS: list[tuple[int, list[int]]] = []


def blas_threads() -> list[int]:
    return [pool["num_threads"] for pool in threadpoolctl.threadpool_info() if pool["user_api"] == "blas"]


class RecordingArray(np.ndarray):
    """Dense features that note, for every product they are the left operand of, the thread and the BLAS threads."""

    def __matmul__(self, other: object) -> np.ndarray:
        CALLS.append((threading.get_ident(), blas_threads()))
        return super().__matmul__(other)


def test_fits_run_in_the_calling_thread_or_on_the_block_workers(binary_data: tuple[np.ndarray, np.ndarray]) -> None:
    features, target = binary_data
    recording = features.view(RecordingArray)
    params = LogisticParams(C=1.0, max_iter=5, random_state=0)
    jobs: list[tuple[np.ndarray | None, str]] = [(None, "all"), (np.arange(100, 300), "part")]
    CALLS.clear()
    serial = fit_on_rows(recording, target, params, jobs, 1)
    assert CALLS and {thread for thread, _ in CALLS} == {threading.get_ident()}
    CALLS.clear()
    parallel = fit_on_rows(recording, target, params, jobs, 2)
    assert CALLS and threading.get_ident() not in {thread for thread, _ in CALLS}
    for one, other in zip(serial, parallel, strict=True):
        assert one.coef.tobytes() == other.coef.tobytes()
        assert one.intercept.tobytes() == other.intercept.tobytes()


def test_a_fit_has_one_blas_thread_and_gives_the_callers_back(binary_data: tuple[np.ndarray, np.ndarray]) -> None:
    features, target = binary_data
    recording = features.view(RecordingArray)
    params = LogisticParams(C=1.0, max_iter=20, random_state=0)
    before = blas_threads()
    for run in (
        lambda: fit_logistic(recording, target, params, "one", 2),
        lambda: fit_on_rows(recording, target, params, [(None, "all"), (np.arange(150), "half")], 1),
    ):
        CALLS.clear()
        run()
        assert CALLS and all(blas == [1] * len(before) for _, blas in CALLS)
        assert blas_threads() == before


SHORT_DONE = threading.Event()
LONG_STARTED = threading.Event()


class GatedArray(np.ndarray):
    """Features of two fits run at once (the 30-row one and the 300-row one), made to overlap at known points:
    the short fit's first product waits for the long fit's first, and the long fit's later products wait
    until the short fit has ended. Each product notes the BLAS threads it ran with."""

    def __matmul__(self, other: object) -> np.ndarray:
        if 30 in self.shape:
            if not LONG_STARTED.is_set():
                assert LONG_STARTED.wait(60)
        elif not LONG_STARTED.is_set():
            LONG_STARTED.set()
        else:
            assert SHORT_DONE.wait(60)
            CALLS.append((threading.get_ident(), blas_threads()))
        return super().__matmul__(other)


def test_a_fit_ending_first_leaves_the_others_one_blas_thread(
    binary_data: tuple[np.ndarray, np.ndarray], progress_lines: list[str]
) -> None:
    """The BLAS limit is process-wide: a fit that set and restored it itself would, ending first, give the
    fits still running the caller's threads back; once all end, the caller has its own setting back."""
    features, target = binary_data
    params = LogisticParams(C=1.0, max_iter=30, random_state=0)
    before = blas_threads()

    class ShortFitEnded(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.getMessage().startswith("short: ") and "iterations" in record.getMessage():
                SHORT_DONE.set()

    watcher = ShortFitEnded()
    logging.getLogger("pipelib").addHandler(watcher)
    SHORT_DONE.clear()
    LONG_STARTED.clear()
    CALLS.clear()
    try:
        fit_on_rows(features.view(GatedArray), target, params, [(np.arange(0, 300, 10), "short"), (None, "long")], 2)
    finally:
        logging.getLogger("pipelib").removeHandler(watcher)
    assert SHORT_DONE.is_set()
    # the long fit's products after the short fit ended
    assert CALLS and all(blas == [1] * len(before) for _, blas in CALLS)
    assert blas_threads() == before


def test_results_are_frozen() -> None:
    model = LinearModel(np.zeros((1, 2)), np.zeros(1), np.array([False, True]), 0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        model.n_iter = 1  # type: ignore[misc]
    out = OutOfFold(np.zeros(2, dtype=np.uint8), np.zeros(2), [1])
    with pytest.raises(dataclasses.FrozenInstanceError):
        out.n_iter = []  # type: ignore[misc]


# --- registry entries -----------------------------------------------------------------------------

LOGISTIC = "sklearn.linear_model.LogisticRegression"
KNN = "sklearn.neighbors.KNeighborsClassifier"
SEED_SOFTMAX = {"C": 10.0, "max_iter": 100, "random_state": 0}


def registry_entry(estimator: str, params: dict[str, Any], **settings: Any) -> MnistModelEntry:
    fields = {"train": "train", "dtype": "float64", "matrix": "sparse", "n_jobs": 2, **settings}
    return MnistModelEntry(estimator=estimator, params=params, **fields)


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    """400 training images and 100 test images, all ten digits."""
    return helpers.synthetic_digits(500, seed=7)


@pytest.mark.parametrize("matrix", ["sparse", "dense"])
def test_a_logistic_entry_is_fitted_by_the_project_as_sklearn_would(
    digits: tuple[np.ndarray, np.ndarray], matrix: str, progress_lines: list[str]
) -> None:
    """The seed's entry gives the LogisticRegression scikit-learn's fit gives, by the project's L-BFGS."""
    pixels, labels = digits
    train, test = pixels[:400], pixels[400:].astype(np.float64)
    model = fit(registry_entry(LOGISTIC, SEED_SOFTMAX, matrix=matrix), train, labels[:400], "softmax")
    assert progress_lines[0] == f"softmax: fitting on 400 x 784 {matrix} float64, 2 workers"  # the project's fit
    expected = LogisticRegression(**SEED_SOFTMAX).fit(train.astype(np.float64), labels[:400])
    assert type(model) is LogisticRegression
    assert model.get_params() == expected.get_params()
    np.testing.assert_array_equal(model.classes_, expected.classes_)
    assert model.n_features_in_ == expected.n_features_in_ == 784
    np.testing.assert_allclose(model.coef_, expected.coef_, rtol=FIT_RTOL, atol=FIT_ATOL)
    np.testing.assert_allclose(model.intercept_, expected.intercept_, rtol=FIT_RTOL, atol=FIT_ATOL)
    assert model.n_iter_.tolist() == expected.n_iter_.tolist()
    assert model.n_iter_.dtype == expected.n_iter_.dtype
    np.testing.assert_array_equal(model.predict(test), expected.predict(test))
    np.testing.assert_allclose(model.predict_proba(test), expected.predict_proba(test), rtol=FIT_RTOL, atol=FIT_ATOL)


def test_any_other_entry_is_sklearns_own_fit(digits: tuple[np.ndarray, np.ndarray], progress_lines: list[str]) -> None:
    pixels, labels = digits
    params = {"n_neighbors": 3, "weights": "distance"}
    entry = registry_entry(KNN, params, dtype="float32", matrix="dense", n_jobs=1)
    model = fit(entry, pixels[:400], labels[:400], "knn")
    expected = KNeighborsClassifier(**params).fit(pixels[:400].astype(np.float32), labels[:400])
    assert type(model) is KNeighborsClassifier
    assert model.get_params() == expected.get_params()
    assert model._fit_X.dtype == np.float32  # the entry's dtype: 0-255 pixels exactly
    np.testing.assert_array_equal(model._fit_X, pixels[:400])
    test = pixels[400:].astype(np.float32)
    np.testing.assert_array_equal(model.predict(test), expected.predict(test))
    assert progress_lines[0] == "knn: fitting KNeighborsClassifier on 400 x 784 float32"
    assert re.fullmatch(r"knn: fitted" + TIMED, progress_lines[1])


def test_a_logistic_entry_asking_for_more_than_the_project_fit_honours_is_sklearns(
    digits: tuple[np.ndarray, np.ndarray], progress_lines: list[str]
) -> None:
    pixels, labels = digits
    params = {"C": 1.0, "max_iter": 30, "tol": 1e-2}
    entry = registry_entry(LOGISTIC, params, matrix="sparse", n_jobs=1)
    assert not uses_project_fit(entry)
    model = fit(entry, pixels[:400], labels[:400], "tolerant")
    assert progress_lines[0] == "tolerant: fitting LogisticRegression on 400 x 784 float64"
    expected = LogisticRegression(**params).fit(as_features(pixels[:400], "float64", "sparse"), labels[:400])
    assert model.get_params() == expected.get_params()
    np.testing.assert_allclose(model.coef_, expected.coef_, rtol=FIT_RTOL, atol=FIT_ATOL)


@pytest.mark.parametrize(
    ("estimator", "params", "expected"),
    [
        (LOGISTIC, SEED_SOFTMAX, True),
        (LOGISTIC, {}, True),  # scikit-learn's defaults: C 1, max_iter 100
        (LOGISTIC, {"C": 3}, True),
        (LOGISTIC, {"C": 1.0, "solver": "lbfgs"}, False),
        (LOGISTIC, {"class_weight": "balanced"}, False),
        (LOGISTIC, {"fit_intercept": False}, False),
        (KNN, {}, False),
        ("sklearn.linear_model.RidgeClassifier", {}, False),
    ],
)
def test_which_entries_the_project_fits(estimator: str, params: dict[str, Any], expected: bool) -> None:
    assert uses_project_fit(registry_entry(estimator, params)) is expected


@pytest.mark.parametrize("params", [{"max_iter": 0}, {"C": float("inf")}])
def test_a_logistic_entry_the_project_fit_cannot_take_is_sklearns(
    digits: tuple[np.ndarray, np.ndarray], params: dict[str, Any], recwarn: pytest.WarningsRecorder
) -> None:
    """scikit-learn takes max_iter 0 and C = inf (no penalty), params.yaml lets them through: such an entry
    is fitted by scikit-learn, not refused halfway by the project's own checks."""
    pixels, labels = digits
    entry = registry_entry(LOGISTIC, params, matrix="dense", n_jobs=1)
    assert not uses_project_fit(entry)
    model = fit(entry, pixels[:100], labels[:100], "odd")
    expected = LogisticRegression(**params).fit(pixels[:100].astype(np.float64), labels[:100])
    np.testing.assert_allclose(model.coef_, expected.coef_, rtol=FIT_RTOL, atol=FIT_ATOL)


def test_a_fitted_linear_model_is_the_logistic_regression_of_its_arrays() -> None:
    """Small integer coefficients: scikit-learn's scores are exactly the model's matrix products."""
    features = np.array([[2.0, 1.0], [1.0, 2.0], [0.0, 0.0], [-1.0, 3.0]])
    multi = LinearModel(
        np.array([[1.0, -1.0], [0.0, 2.0], [-1.0, 0.0]]), np.array([0.0, -2.0, 0.5]), np.arange(3, dtype=np.uint8), 7
    )
    estimator = multi.fitted(LogisticRegression(C=3.0))
    assert estimator.C == 3.0
    assert estimator.n_features_in_ == 2
    assert estimator.n_iter_.tolist() == [7]
    np.testing.assert_array_equal(estimator.decision_function(features), multi.decision_function(features))
    np.testing.assert_array_equal(estimator.predict(features), [0, 1, 2, 1])  # argmax rows: 1, 0, 0.5, 4
    binary = LinearModel(np.array([[1.0, -1.0]]), np.array([0.0]), np.array([False, True]), 1)
    fitted = binary.fitted(LogisticRegression())
    np.testing.assert_array_equal(fitted.decision_function(features), [1.0, -1.0, 0.0, -4.0])
    np.testing.assert_array_equal(fitted.predict(features), [True, False, False, False])  # score 0: the first class


@pytest.mark.parametrize(
    ("params", "refusal"),
    [
        ({"penalty": "l1"}, "Solver lbfgs supports only 'l2' or None penalties, got l1 penalty."),
        ({"solver": "liblinear", "penalty": "elasticnet"}, "Only 'saga' solver supports elasticnet penalty, got"),
    ],
    ids=["l1-with-lbfgs", "elasticnet-with-liblinear"],
)
def test_scikit_learn_refusing_an_entry_at_fit_is_one_line_naming_its_params(
    digits: tuple[np.ndarray, np.ndarray], params: dict[str, Any], refusal: str, recwarn: pytest.WarningsRecorder
) -> None:
    """A solver and penalty that do not go together pass params.yaml's checks and fail only in fit."""
    pixels, labels = digits
    entry = registry_entry(LOGISTIC, params, matrix="dense", n_jobs=1)
    with pytest.raises(PipelineError) as caught:
        fit(entry, pixels[:100], labels[:100], "lasso")
    assert str(caught.value).startswith(
        f"params.yaml: 'mnist.models.lasso.params' refused by scikit-learn when fitting: {refusal}"
    )
    assert "\n" not in str(caught.value)
