"""Logistic-regression fitting, cross-validated scores and plain-array model files against scikit-learn."""

from __future__ import annotations

import zipfile
from pathlib import Path

import helpers
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_predict, cross_val_score

from pipelib.binary_metrics import fold_accuracies
from pipelib.errors import PipelineError
from pipelib.mnist.features import as_features
from pipelib.mnist.fitting import (
    LinearModel,
    fit_logistic,
    fit_with_cross_validation,
    load_model,
    save_model,
)
from pipelib.modelfile import load_arrays, save_arrays
from pipelib.params import BinaryParams, ImageLogisticParams

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
    np.testing.assert_allclose(out.score, expected_scores, rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(out.score > 0, cross_val_predict(sklearn_estimator(BINARY), features, target, cv=3))
    assert sorted(np.unique(out.fold).tolist()) == [0, 1, 2]
    assert len(out.n_iter) == 3
    estimator = sklearn_estimator(BINARY).fit(features, target)
    np.testing.assert_allclose(model.coef, estimator.coef_, rtol=1e-9, atol=1e-12)
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
    np.testing.assert_allclose(dense.coef, estimator.coef_, rtol=1e-10, atol=1e-14)
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
    np.testing.assert_allclose(model.coef, estimator.coef_, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(model.predict(features), estimator.predict(features))
    np.testing.assert_allclose(
        model.decision_function(features), estimator.decision_function(features), rtol=1e-10, atol=1e-10
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
