"""Logistic regression models: fitting, cross-validated scores, and linear model files.

A fitted model is kept as its coefficients, intercepts and classes; scoring new data is a
matrix product, the same computation as ``LogisticRegression.decision_function``.
"""

from __future__ import annotations

import multiprocessing
import os
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from pipelib.errors import PipelineError
from pipelib.log import progress
from pipelib.mnist.parallel_sparse import RowParallelCSR
from pipelib.modelfile import load_arrays, save_arrays
from pipelib.params import LogisticParams

SPARSE_BLOCK_ROWS = 8192


@dataclass(frozen=True)
class LinearModel:
    """A fitted linear classifier: ``coef`` (k, d), ``intercept`` (k,), ``classes`` (k or 2,)."""

    coef: np.ndarray
    intercept: np.ndarray
    classes: np.ndarray
    n_iter: int

    def decision_function(self, features: np.ndarray | sp.csr_matrix) -> np.ndarray:
        """Scores as scikit-learn gives them: (n,) for two classes, (n, k) otherwise."""
        scores = np.asarray(features @ self.coef.T.astype(features.dtype, copy=False)) + self.intercept
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict(self, features: np.ndarray | sp.csr_matrix) -> np.ndarray:
        """Predicted classes, as ``LogisticRegression.predict``."""
        scores = self.decision_function(features)
        if scores.ndim == 1:
            return self.classes[(scores > 0).astype(int)]
        return self.classes[scores.argmax(axis=1)]


def sparse_from_pixels(pixels: np.ndarray, dtype: str) -> sp.csr_matrix:
    """uint8 images (n, d) as a CSR matrix of ``dtype``, filled in place a block of rows at a time.

    The matrix's arrays are allocated once at their final size, so the peak is the pixels
    plus the sparse matrix, with no dense float copy and no second copy from stacking blocks.
    """
    counts = np.count_nonzero(pixels, axis=1)
    indptr = np.zeros(len(pixels) + 1, dtype=np.int64 if counts.sum() >= 2**31 else np.int32)
    np.cumsum(counts, out=indptr[1:])
    data = np.empty(int(indptr[-1]), dtype=np.dtype(dtype))
    indices = np.empty(int(indptr[-1]), dtype=indptr.dtype)
    for start in range(0, len(pixels), SPARSE_BLOCK_ROWS):
        block = pixels[start : start + SPARSE_BLOCK_ROWS]
        nonzero = block != 0
        first, last = indptr[start], indptr[start + len(block)]
        indices[first:last] = np.nonzero(nonzero)[1]  # row-major order: the CSR order
        data[first:last] = block[nonzero]
    return sp.csr_matrix((data, indices, indptr), shape=pixels.shape, copy=False)


def as_features(pixels: np.ndarray, dtype: str, matrix: str, n_threads: int = 1) -> np.ndarray | sp.csr_matrix:
    """uint8 pixels converted once to what the model is fitted on.

    ``matrix="sparse"`` gives a CSR matrix: four in five MNIST pixels are 0, so the
    products inside lbfgs touch a fifth of the values, and a float64 copy of the
    augmented set takes about a third of the dense one's memory. With ``n_threads > 1``
    its products with dense matrices run in that many threads (:class:`RowParallelCSR`).
    """
    if matrix == "dense":
        return np.asarray(pixels, dtype=np.dtype(dtype))
    features = sparse_from_pixels(pixels, dtype)
    return RowParallelCSR.from_csr(features, n_threads) if n_threads > 1 else features


def fit_logistic(
    features: np.ndarray | sp.csr_matrix, target: np.ndarray, params: LogisticParams, label: str
) -> LinearModel:
    """Fit ``LogisticRegression(solver="lbfgs")`` as the seed does, keeping only its arrays.

    The seed stops lbfgs at ``max_iter`` (100) before convergence; that is reproduced,
    and the ConvergenceWarning is replaced by one line saying how many iterations ran.
    BLAS is held to one thread: on these 2-core machines two OpenBLAS threads made the
    softmax fit 2.8x slower, and independent fits run in parallel processes instead.
    """
    estimator = LogisticRegression(
        C=params.C, max_iter=params.max_iter, random_state=params.random_state, solver="lbfgs"
    )
    started = time.perf_counter()
    kind = "sparse" if sp.issparse(features) else "dense"
    progress(f"{label}: fitting on {features.shape[0]:,} x {features.shape[1]} {kind} {features.dtype}")
    with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(features, target)
    n_iter = int(np.max(estimator.n_iter_))
    stopped = " (stopped at max_iter)" if n_iter >= params.max_iter else ""
    progress(f"{label}: {n_iter} lbfgs iterations{stopped} in {time.perf_counter() - started:.1f} s")
    return LinearModel(estimator.coef_.copy(), estimator.intercept_.copy(), estimator.classes_.copy(), n_iter)


# Data shared with forked worker processes: set before the pool forks, read by _fit_rows.
_SHARED: dict[str, object] = {}


def _fit_rows(job: tuple[np.ndarray, str]) -> LinearModel:
    rows, label = job
    features, target, params = _SHARED["features"], _SHARED["target"], _SHARED["params"]
    return fit_logistic(features[rows], target[rows], params, label)  # type: ignore[index, arg-type]


def fit_on_rows(
    features: np.ndarray | sp.csr_matrix,
    target: np.ndarray,
    params: LogisticParams,
    jobs: list[tuple[np.ndarray, str]],
    n_jobs: int,
) -> list[LinearModel]:
    """Fit one model per (rows, label) job, ``n_jobs`` at a time in forked processes.

    Forked workers see the features without copying them through a pipe; each fit is
    deterministic, so the models do not depend on ``n_jobs``.
    """
    if n_jobs == 1 or len(jobs) == 1:
        return [fit_logistic(features[rows], target[rows], params, label) for rows, label in jobs]
    _SHARED.update(features=features, target=target, params=params)
    try:
        with ProcessPoolExecutor(min(n_jobs, len(jobs)), mp_context=multiprocessing.get_context("fork")) as pool:
            return list(pool.map(_fit_rows, jobs))
    finally:
        _SHARED.clear()


@dataclass(frozen=True)
class OutOfFold:
    """Cross-validation of a binary classifier, each fold fitted once."""

    fold: np.ndarray  # (n,) fold id of each row
    score: np.ndarray  # (n,) decision score from the model that did not see the row
    n_iter: list[int]


def fit_with_cross_validation(
    features: np.ndarray | sp.csr_matrix, target: np.ndarray, params: LogisticParams, n_folds: int, n_jobs: int
) -> tuple[LinearModel, OutOfFold]:
    """The model on all rows, and out-of-fold scores with the folds of ``cross_val_score(cv=n_folds)``.

    scikit-learn's ``cross_val_score``, ``cross_val_predict`` and the decision-function
    variant each refit the same unshuffled stratified folds; fitting each fold once gives
    all three: accuracy and predictions follow from the scores at threshold 0.
    """
    folds = list(StratifiedKFold(n_splits=n_folds).split(np.zeros(len(target)), target))
    jobs = [(train_rows, f"fold {number}/{n_folds}") for number, (train_rows, _) in enumerate(folds, start=1)]
    jobs.append((np.arange(len(target)), "all rows"))
    *fold_models, full_model = fit_on_rows(features, target, params, jobs, n_jobs)
    fold = np.empty(len(target), dtype=np.uint8)
    score = np.empty(len(target), dtype=np.float64)
    for number, ((_, test_rows), model) in enumerate(zip(folds, fold_models, strict=True)):
        fold[test_rows] = number
        score[test_rows] = model.decision_function(features[test_rows])
    return full_model, OutOfFold(fold, score, [model.n_iter for model in fold_models])


MAX_CLASSES = 10  # the ten digits


def model_limits(n_features: int) -> dict[str, int]:
    """The most elements each array of a linear model over ``n_features`` columns can hold."""
    return {"coef": MAX_CLASSES * n_features, "intercept": MAX_CLASSES, "classes": MAX_CLASSES}


def save_model(target: str | os.PathLike[str], model: LinearModel, params: LogisticParams, n_rows: int) -> None:
    """Write a fitted linear model as a plain-array model file."""
    meta = {"kind": "logistic_regression", "params": params.__dict__, "n_iter": model.n_iter, "n_rows": n_rows}
    save_arrays(target, {"coef": model.coef, "intercept": model.intercept, "classes": model.classes}, meta)


def _as_int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def load_model(source: str | os.PathLike[str], n_features: int) -> LinearModel:
    """Read a model file written by :func:`save_model` for data with ``n_features`` columns."""
    arrays, meta = load_arrays(source, model_limits(n_features), "linear model")
    coef, intercept, classes = arrays["coef"], arrays["intercept"], arrays["classes"]
    if coef.dtype.kind != "f" or intercept.dtype.kind != "f" or classes.ndim != 1:
        raise PipelineError(f"{source}: 'coef' and 'intercept' must be floating-point arrays and 'classes' 1-d")
    if coef.ndim != 2 or coef.shape[1] != n_features or intercept.shape != (coef.shape[0],):
        raise PipelineError(f"{source}: model shape {coef.shape} does not fit data with {n_features} features")
    if len(classes) != max(coef.shape[0], 2) or coef.shape[0] == 2:
        raise PipelineError(f"{source}: {len(classes)} classes for {coef.shape[0]} coefficient rows")
    return LinearModel(arrays["coef"], arrays["intercept"], arrays["classes"], _as_int(meta.get("n_iter", 0)))
