"""Logistic-regression fitting, cross-validated scores and plain-array model files against scikit-learn."""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
import zipfile
from pathlib import Path

import helpers
import numpy as np
import pytest
import scipy.sparse as sp
import threadpoolctl
from helpers import FIT_ATOL, FIT_RTOL
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_predict, cross_val_score

from pipelib.binary_metrics import fold_accuracies
from pipelib.errors import PipelineError
from pipelib.mnist.features import as_features
from pipelib.mnist.fitting import (
    LinearModel,
    OutOfFold,
    fit_logistic,
    fit_on_rows,
    fit_with_cross_validation,
    load_model,
    save_model,
)
from pipelib.modelfile import load_arrays, read_meta, save_arrays
from pipelib.params import BinaryParams, ImageLogisticParams, LogisticParams

pytestmark = pytest.mark.kernels  # make test reruns these on other SIMD kernels (docs/testing.md)

IMAGE_SETTINGS = {"dtype": "float64", "matrix": "sparse", "n_jobs": 2}
BINARY = BinaryParams(C=0.5, max_iter=200, random_state=0, cv_folds=3, **IMAGE_SETTINGS)
SOFTMAX = ImageLogisticParams(C=10.0, max_iter=200, random_state=0, **IMAGE_SETTINGS)


def sklearn_estimator(params: ImageLogisticParams) -> LogisticRegression:
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
    np.testing.assert_array_equal(model.predict(features), estimator.predict(features))


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
    params = ImageLogisticParams(C=10.0, max_iter=100, random_state=0, **IMAGE_SETTINGS)
    dense = fit_logistic(as_features(pixels, "float64", "dense"), labels, params, "dense")
    estimator = sklearn_estimator(params).fit(pixels.astype(np.float64), labels)
    np.testing.assert_allclose(dense.coef, estimator.coef_, rtol=FIT_RTOL, atol=FIT_ATOL)
    for n_jobs in (1, 2):
        params = ImageLogisticParams(C=10.0, max_iter=100, random_state=0, **{**IMAGE_SETTINGS, "n_jobs": n_jobs})
        sparse = fit_logistic(as_features(pixels, "float64", "sparse"), labels, params, "sparse")
        np.testing.assert_allclose(sparse.coef, dense.coef, rtol=1e-6, atol=1e-10)
        np.testing.assert_allclose(sparse.intercept, dense.intercept, rtol=1e-6, atol=1e-10)
        features = as_features(pixels, "float64", "sparse")
        np.testing.assert_array_equal(sparse.predict(features), dense.predict(pixels.astype(np.float64)))
        np.testing.assert_allclose(
            sparse.decision_function(features), dense.decision_function(pixels.astype(np.float64)), rtol=1e-6, atol=1e-8
        )


def test_fit_logistic_matches_sklearn(multiclass_data: tuple[np.ndarray, np.ndarray]) -> None:
    features, target = multiclass_data
    model = fit_logistic(features, target, SOFTMAX, "test")
    estimator = sklearn_estimator(SOFTMAX).fit(features, target)
    np.testing.assert_allclose(model.coef, estimator.coef_, rtol=FIT_RTOL, atol=FIT_ATOL)
    np.testing.assert_array_equal(model.predict(features), estimator.predict(features))
    np.testing.assert_allclose(
        model.decision_function(features), estimator.decision_function(features), rtol=FIT_RTOL, atol=FIT_ATOL
    )
    assert model.n_iter == int(np.max(estimator.n_iter_))


def test_fit_logistic_stops_at_max_iter_quietly(
    multiclass_data: tuple[np.ndarray, np.ndarray], recwarn: pytest.WarningsRecorder
) -> None:
    features, target = multiclass_data
    model = fit_logistic(
        features * 1000, target, ImageLogisticParams(C=10.0, max_iter=2, random_state=0, **IMAGE_SETTINGS), "short"
    )
    assert model.n_iter == 2
    assert not [warning for warning in recwarn if "converge" in str(warning.message).lower()]


@pytest.mark.parametrize("kind", ["binary", "multiclass"])
def test_model_file_round_trip(
    tmp_path: Path,
    kind: str,
    binary_data: tuple[np.ndarray, np.ndarray],
    multiclass_data: tuple[np.ndarray, np.ndarray],
) -> None:
    features, target = binary_data if kind == "binary" else multiclass_data
    params = BINARY if kind == "binary" else SOFTMAX
    model = fit_logistic(features, target, params, kind)
    path = tmp_path / "model.npz"
    save_model(path, model, params, len(target))
    loaded = load_model(path, features.shape[1])
    estimator = sklearn_estimator(params).fit(features, target)
    np.testing.assert_array_equal(loaded.predict(features), estimator.predict(features))
    np.testing.assert_array_equal(loaded.coef, model.coef)
    np.testing.assert_array_equal(loaded.intercept, model.intercept)
    np.testing.assert_array_equal(loaded.classes, model.classes)
    assert loaded.classes.dtype == model.classes.dtype
    assert loaded.n_iter == model.n_iter
    np.testing.assert_array_equal(loaded.decision_function(features), model.decision_function(features))
    expected_shape = (len(features),) if kind == "binary" else (len(features), 4)
    assert loaded.decision_function(features).shape == expected_shape


def test_float32_features_score_close_to_float64(multiclass_data: tuple[np.ndarray, np.ndarray]) -> None:
    features, target = multiclass_data
    model = fit_logistic(features, target, SOFTMAX, "f64")
    scores = model.decision_function(features.astype(np.float32))
    np.testing.assert_allclose(scores, model.decision_function(features), rtol=1e-4, atol=1e-3)


def test_saving_twice_gives_identical_bytes(tmp_path: Path, binary_data: tuple[np.ndarray, np.ndarray]) -> None:
    features, target = binary_data
    model = fit_logistic(features, target, BINARY, "binary")
    save_model(tmp_path / "a.npz", model, BINARY, len(target))
    again = fit_logistic(features, target, BINARY, "binary")
    save_model(tmp_path / "b.npz", again, BINARY, len(target))
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a.npz", "b.npz"]


def test_model_file_is_plain_npy_entries(tmp_path: Path, binary_data: tuple[np.ndarray, np.ndarray]) -> None:
    features, target = binary_data
    save_model(tmp_path / "m.npz", fit_logistic(features, target, BINARY, "b"), BINARY, len(target))
    with zipfile.ZipFile(tmp_path / "m.npz") as archive:
        assert sorted(archive.namelist()) == ["classes.npy", "coef.npy", "intercept.npy", "meta_json.npy"]
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_load_model_refuses_wrong_feature_count(tmp_path: Path, binary_data: tuple[np.ndarray, np.ndarray]) -> None:
    features, target = binary_data
    path = tmp_path / "m.npz"
    save_model(path, fit_logistic(features, target, BINARY, "b"), BINARY, len(target))
    with pytest.raises(PipelineError, match=r"m\.npz: model shape \(1, 20\).*784 features"):
        load_model(path, 784)


def test_load_model_refuses_missing_arrays(tmp_path: Path) -> None:
    path = tmp_path / "partial.npz"
    save_arrays(path, {"coef": np.zeros((1, 3))}, {"kind": "logistic_regression"})
    with pytest.raises(PipelineError, match=r"partial\.npz: model file lacks .*intercept"):
        load_model(path, 3)


def test_load_model_refuses_inconsistent_classes(tmp_path: Path) -> None:
    path = tmp_path / "odd.npz"
    save_arrays(path, {"coef": np.zeros((3, 4)), "intercept": np.zeros(3), "classes": np.arange(5)}, {})
    with pytest.raises(PipelineError, match=r"odd\.npz: 5 classes"):
        load_model(path, 4)


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 not really a zip", b"\x93NUMPY garbage"])
def test_load_model_refuses_garbage(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "garbage.npz"
    path.write_bytes(content)
    with pytest.raises(PipelineError, match=r"garbage\.npz"):
        load_model(path, 3)


def test_load_model_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match=r"absent\.npz: model file not found"):
        load_model(tmp_path / "absent.npz", 3)


def test_save_arrays_refuses_object_arrays(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="object"):
        save_arrays(tmp_path / "x.npz", {"coef": np.array([object()], dtype=object)}, {})
    assert not (tmp_path / "x.npz").exists()
    assert list(tmp_path.iterdir()) == []


class MarkerPayload:
    """Unpickling this object opens (creates) the marker file: a stand-in for arbitrary code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.marker), "w"))


def craft_pickled_model(path: Path, marker: Path) -> None:
    """A model file whose ``coef`` is a pickled object array (``np.savez`` pickles by default)."""
    np.savez(
        path,
        coef=np.array([MarkerPayload(marker)], dtype=object),
        intercept=np.zeros(1),
        classes=np.array([False, True]),
        meta_json=np.array("{}"),
    )


def test_pickled_model_file_is_refused_without_running_it(tmp_path: Path) -> None:
    # The payload is live: loading it the unsafe way does create its marker.
    live_marker = tmp_path / "live-marker"
    craft_pickled_model(tmp_path / "live.npz", live_marker)
    with np.load(tmp_path / "live.npz", allow_pickle=True) as archive:
        archive["coef"]
    assert live_marker.exists()

    marker = tmp_path / "marker"
    path = tmp_path / "evil.npz"
    craft_pickled_model(path, marker)
    with pytest.raises(PipelineError, match=r"evil\.npz: refused, .*pickled"):
        load_model(path, 1)
    assert not marker.exists()
    with pytest.raises(PipelineError, match="pickled"):
        load_arrays(path, {"coef": 1, "intercept": 1, "classes": 2})
    assert not marker.exists()


def test_linear_model_predict_binary_classes() -> None:
    model = LinearModel(np.array([[1.0, -1.0]]), np.array([0.0]), np.array([False, True]), 1)
    features = np.array([[2.0, 1.0], [1.0, 2.0], [1.0, 1.0]])
    np.testing.assert_array_equal(model.predict(features), [True, False, False])  # score 0 is negative, as sklearn


# --- what a fit logs, and where it runs ---------------------------------------------------------


TIMED = r" in \d+\.\d s"


def test_a_fit_logs_its_matrix_workers_and_iterations(
    multiclass_data: tuple[np.ndarray, np.ndarray], progress_lines: list[str]
) -> None:
    features, target = multiclass_data
    fit_logistic(sp.csr_matrix(features), target, SOFTMAX, "soft")
    assert progress_lines[0] == "soft: fitting on 240 x 15 sparse float64, 2 workers"
    assert re.fullmatch(r"soft: \d+ lbfgs iterations" + TIMED, progress_lines[1])
    progress_lines.clear()
    one_worker = ImageLogisticParams(C=10.0, max_iter=200, random_state=0, **{**IMAGE_SETTINGS, "n_jobs": 1})
    fit_logistic(features.astype(np.float32), target, one_worker, "f32")
    assert progress_lines[0] == "f32: fitting on 240 x 15 dense float32, 1 worker"


def test_stopping_at_max_iter_is_logged_at_exactly_max_iter(
    multiclass_data: tuple[np.ndarray, np.ndarray], progress_lines: list[str]
) -> None:
    features, target = multiclass_data
    params = ImageLogisticParams(C=10.0, max_iter=3, random_state=0, **IMAGE_SETTINGS)
    model = fit_logistic(features, target, params, "s")
    assert model.n_iter == 3
    assert re.fullmatch(r"s: 3 lbfgs iterations \(stopped at max_iter\)" + TIMED, progress_lines[1])


def test_params_without_n_jobs_fit_on_one_worker(
    binary_data: tuple[np.ndarray, np.ndarray], progress_lines: list[str]
) -> None:
    features, target = binary_data
    fit_logistic(features, target, LogisticParams(C=1.0, max_iter=100, random_state=0), "plain")
    assert progress_lines[0] == "plain: fitting on 300 x 20 dense float64, 1 worker"


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
    params = ImageLogisticParams(C=1.0, max_iter=5, random_state=0, **IMAGE_SETTINGS)
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
    params = ImageLogisticParams(C=1.0, max_iter=20, random_state=0, **IMAGE_SETTINGS)
    before = blas_threads()
    for fit in (
        lambda: fit_logistic(recording, target, params, "one"),
        lambda: fit_on_rows(recording, target, params, [(None, "all"), (np.arange(150), "half")], 1),
    ):
        CALLS.clear()
        fit()
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
    params = ImageLogisticParams(C=1.0, max_iter=30, random_state=0, **IMAGE_SETTINGS)
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


# --- the model file -----------------------------------------------------------------------------


def test_model_file_meta(tmp_path: Path) -> None:
    """The kind, the params that change the model (not n_jobs), the iterations and the row count."""
    model = LinearModel(np.array([[1.0, -2.0]]), np.array([0.5]), np.array([False, True]), 17)
    save_model(tmp_path / "m.npz", model, BINARY, 300)
    assert read_meta(tmp_path / "m.npz") == {
        "kind": "logistic_regression",
        "params": {"C": 0.5, "max_iter": 200, "random_state": 0, "cv_folds": 3, "dtype": "float64", "matrix": "sparse"},
        "n_iter": 17,
        "n_rows": 300,
    }
    loaded = load_model(tmp_path / "m.npz", 2)
    np.testing.assert_array_equal(loaded.coef, [[1.0, -2.0]])
    np.testing.assert_array_equal(loaded.intercept, [0.5])
    np.testing.assert_array_equal(loaded.classes, [False, True])
    assert loaded.n_iter == 17
    save_model(tmp_path / "one-job.npz", model, BINARY.model_copy(update={"n_jobs": 1}), 300)
    assert (tmp_path / "one-job.npz").read_bytes() == (tmp_path / "m.npz").read_bytes()


@pytest.mark.parametrize(("recorded", "expected"), [(7, 7), (0, 0), (True, 0), ("7", 0), (7.0, 0), (None, 0)])
def test_iterations_read_back_only_as_an_integer(tmp_path: Path, recorded: object, expected: int) -> None:
    path = tmp_path / "m.npz"
    meta = {} if recorded is None else {"n_iter": recorded}
    save_arrays(path, {"coef": np.zeros((1, 2)), "intercept": np.zeros(1), "classes": np.array([0, 1])}, meta)
    assert load_model(path, 2).n_iter == expected


def model_file(path: Path, coef: np.ndarray, intercept: np.ndarray, classes: np.ndarray) -> Path:
    save_arrays(path, {"coef": coef, "intercept": intercept, "classes": classes}, {"n_iter": 1})
    return path


def refused(path: Path, n_features: int, message: str) -> None:
    """load_model refuses the file with exactly one line, naming it."""
    with pytest.raises(PipelineError) as error:
        load_model(path, n_features)
    assert str(error.value) == f"{path}: {message}"


TYPES = "'coef' and 'intercept' must be floating-point arrays and 'classes' 1-d"


def test_load_model_refuses_integer_arrays_and_2d_classes(tmp_path: Path) -> None:
    binary = np.array([0, 1])
    refused(model_file(tmp_path / "a.npz", np.zeros((1, 2), dtype=np.int64), np.zeros(1), binary), 2, TYPES)
    refused(model_file(tmp_path / "b.npz", np.zeros((1, 2)), np.zeros(1, dtype=np.int32), binary), 2, TYPES)
    refused(model_file(tmp_path / "c.npz", np.zeros((1, 2)), np.zeros(1), binary[None, :]), 2, TYPES)
    float32 = model_file(tmp_path / "d.npz", np.zeros((1, 2), np.float32), np.zeros(1, np.float32), binary)
    assert load_model(float32, 2).coef.dtype == np.float32


def test_load_model_refuses_shapes_that_do_not_fit(tmp_path: Path) -> None:
    binary = np.array([0, 1])
    shape = "model shape {} does not fit data with 3 features"
    refused(model_file(tmp_path / "a.npz", np.zeros(3), np.zeros(1), binary), 3, shape.format("(3,)"))
    refused(model_file(tmp_path / "b.npz", np.zeros((1, 3)), np.zeros(2), binary), 3, shape.format("(1, 3)"))
    refused(model_file(tmp_path / "c.npz", np.zeros((1, 1, 3)), np.zeros(1), binary), 3, shape.format("(1, 1, 3)"))
    square = model_file(tmp_path / "d.npz", np.eye(3), np.zeros(3), np.arange(3))  # 3 classes over 3 features
    assert load_model(square, 3).coef.shape == (3, 3)


def test_load_model_refuses_class_counts_that_do_not_fit(tmp_path: Path) -> None:
    for rows, classes in [(1, 3), (2, 2), (1, 1)]:
        path = model_file(tmp_path / f"{rows}-{classes}.npz", np.zeros((rows, 2)), np.zeros(rows), np.arange(classes))
        refused(path, 2, f"{classes} classes for {rows} coefficient rows")


def test_ten_classes_load_eleven_are_refused(tmp_path: Path) -> None:
    ten = model_file(tmp_path / "ten.npz", np.zeros((10, 2)), np.zeros(10), np.arange(10))
    assert load_model(ten, 2).classes.tolist() == list(range(10))
    eleven = model_file(tmp_path / "eleven.npz", np.zeros((11, 2)), np.zeros(11), np.arange(11))
    with pytest.raises(PipelineError, match=r"^\S*eleven\.npz: array '\w+' claims shape \(11,?[ 0-9]*\)"):
        load_model(eleven, 2)


def test_an_oversized_file_is_refused_as_a_linear_model_file(tmp_path: Path) -> None:
    path = tmp_path / "big.npz"
    path.write_bytes(b"PK\x03\x04" + bytes(1_000_000))
    refused(path, 2, "1,000,004 bytes, more than a linear model file can take")
