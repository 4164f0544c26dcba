"""Fits of registry entries and of the binary classifier with its cross-validated scores.

A ``LogisticRegression`` entry whose params the project's L-BFGS honours (C, max_iter,
random_state) is fitted by it, its row blocks on ``n_jobs`` threads, and the arrays are put
into the ``LogisticRegression`` that ``fit`` gives (the same model, faster); any other entry
is scikit-learn's own ``fit``. Scoring out-of-fold rows is a matrix product, the same
computation as ``LogisticRegression.decision_function``.
"""

from __future__ import annotations

import time
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from pipelib.log import progress
from pipelib.mnist.features import as_features
from pipelib.mnist.logistic_lbfgs import fit_lbfgs
from pipelib.params import LogisticParams, MnistModelEntry, estimator_class, refused_by_scikit_learn


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

    def fitted(self, estimator: Any) -> Any:
        """``estimator`` (the unfitted ``LogisticRegression`` this model is the fit of) with fit's attributes set."""
        estimator.coef_, estimator.intercept_, estimator.classes_ = self.coef, self.intercept, self.classes
        estimator.n_features_in_ = self.coef.shape[1]
        estimator.n_iter_ = np.array([self.n_iter], dtype=np.int32)
        return estimator


def _one_blas_thread() -> threadpool_limits:
    """One BLAS thread while fits run: parallelism comes from the row-block workers, more BLAS threads
    would only compete with them.

    Set once around all the fits that run at once, not by each fit: the limit is process-wide,
    and a fit restoring it when it ends would undo it for the fits still running (and, ending
    in another order than they began, leave the caller's setting changed).
    """
    return threadpool_limits(limits=1, user_api="blas")


def _fit(
    features: np.ndarray | sp.csr_matrix,
    target: np.ndarray,
    params: LogisticParams,
    label: str,
    n_workers: int,
    pool: Executor | None = None,
) -> LinearModel:
    classes, codes = np.unique(target, return_inverse=True)
    started = time.perf_counter()
    kind = "sparse" if sp.issparse(features) else "dense"
    progress(
        f"{label}: fitting on {features.shape[0]:,} x {features.shape[1]} {kind} {features.dtype}, "
        f"{n_workers} worker{'s' if n_workers > 1 else ''}"
    )
    fit = fit_lbfgs(features, codes, len(classes), params.C, params.max_iter, n_workers=n_workers, pool=pool)
    stopped = " (stopped at max_iter)" if fit.n_iter >= params.max_iter else ""
    progress(f"{label}: {fit.n_iter} lbfgs iterations{stopped} in {time.perf_counter() - started:.1f} s")
    return LinearModel(fit.coef, fit.intercept, classes, fit.n_iter)


def fit_logistic(
    features: np.ndarray | sp.csr_matrix, target: np.ndarray, params: LogisticParams, label: str, n_jobs: int
) -> LinearModel:
    """The model ``LogisticRegression(C, max_iter, solver="lbfgs").fit`` gives, as plain arrays.

    The objective and the L-BFGS call are scikit-learn's (:mod:`pipelib.mnist.logistic_lbfgs`),
    evaluated in row blocks on ``n_jobs`` threads; the model does not depend on the thread count.
    The seed stops lbfgs at ``max_iter`` (100) before convergence; that is reproduced, and
    logged as one line instead of scikit-learn's ConvergenceWarning.
    """
    with _one_blas_thread():
        return _fit(features, target, params, label, n_jobs)


def fit_on_rows(
    features: np.ndarray | sp.csr_matrix,
    target: np.ndarray,
    params: LogisticParams,
    jobs: list[tuple[np.ndarray | None, str]],
    n_jobs: int,
) -> list[LinearModel]:
    """Fit one model per (rows, label) job, all at once, their row blocks sharing ``n_jobs`` threads.

    Each fit is driven by its own thread, and every fit's row blocks queue for one pool of
    ``n_jobs`` block workers: one fit's optimiser steps and small-vector work overlap the
    others' products, and the workers stay busy to the end, where whole fits on separate
    workers would leave one idle while the larger all-rows fit finishes. Each model depends
    only on its own rows, never on the timing, so the results are the same bytes as one
    fit after another on one thread. ``rows`` None means all rows (no copy of the matrix).
    """

    def subset(rows: np.ndarray | None) -> tuple[np.ndarray | sp.csr_matrix, np.ndarray]:
        return (features, target) if rows is None else (features[rows], target[rows])

    with _one_blas_thread():
        if n_jobs == 1:
            return [_fit(*subset(rows), params, label, 1) for rows, label in jobs]
        with ThreadPoolExecutor(n_jobs) as block_workers, ThreadPoolExecutor(len(jobs)) as drivers:
            fits = [drivers.submit(_fit, *subset(rows), params, label, n_jobs, block_workers) for rows, label in jobs]
            return [fit.result() for fit in fits]


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
    from sklearn.model_selection import StratifiedKFold  # here: loading a model needs no scikit-learn

    folds = list(StratifiedKFold(n_splits=n_folds).split(np.zeros(len(target)), target))
    jobs: list[tuple[np.ndarray | None, str]] = [(None, "all rows")]  # the longest fit starts first
    jobs += [(train_rows, f"fold {number}/{n_folds}") for number, (train_rows, _) in enumerate(folds, start=1)]
    full_model, *fold_models = fit_on_rows(features, target, params, jobs, n_jobs)
    fold = np.empty(len(target), dtype=np.uint8)
    score = np.empty(len(target), dtype=np.float64)
    for number, ((_, test_rows), model) in enumerate(zip(folds, fold_models, strict=True)):
        fold[test_rows] = number
        score[test_rows] = model.decision_function(features[test_rows])
    return full_model, OutOfFold(fold, score, [model.n_iter for model in fold_models])


LOGISTIC = "sklearn.linear_model.LogisticRegression"
PROJECT_FIT_PARAMS = {"C", "max_iter", "random_state"}  # what the project's L-BFGS honours (lbfgs ignores the seed)


def uses_project_fit(entry: MnistModelEntry) -> bool:
    """Whether the project's L-BFGS fits this entry (a LogisticRegression asking for nothing it lacks).

    scikit-learn also takes C = inf and max_iter 0, which LogisticParams refuses: its own fit takes those.
    """
    if entry.estimator != LOGISTIC or not set(entry.params) <= PROJECT_FIT_PARAMS:
        return False
    estimator = estimator_class(entry.estimator)(**entry.params)
    return bool(np.isfinite(estimator.C)) and estimator.max_iter >= 1


def fit(entry: MnistModelEntry, pixels: np.ndarray, labels: np.ndarray, name: str) -> Any:
    """The entry's estimator fitted on (n, 784) uint8 pixels as its ``dtype`` / ``matrix`` features.

    ``name`` is the entry's name in ``mnist.models``: scikit-learn refusing its hyperparameters
    for this data is one line naming ``mnist.models.<name>.params``.
    """
    features = as_features(pixels, entry.dtype, entry.matrix)
    estimator = estimator_class(entry.estimator)(**entry.params)
    if uses_project_fit(entry):
        settings = LogisticParams(C=float(estimator.C), max_iter=estimator.max_iter, random_state=0)
        return fit_logistic(features, labels, settings, name, entry.n_jobs).fitted(estimator)
    started = time.perf_counter()
    progress(f"{name}: fitting {type(estimator).__name__} on {features.shape[0]:,} x {features.shape[1]} {entry.dtype}")
    with threadpool_limits(limits=entry.n_jobs), refused_by_scikit_learn(f"mnist.models.{name}.params", "fitting"):
        estimator.fit(features, labels)
    progress(f"{name}: fitted in {time.perf_counter() - started:.1f} s")
    return estimator
