"""Logistic regression models: fitting, cross-validated scores, and linear model files.

A fitted model is kept as its coefficients, intercepts and classes; scoring new data is a
matrix product, the same computation as ``LogisticRegression.decision_function``.
"""

from __future__ import annotations

import os
import time
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from pipelib.errors import PipelineError
from pipelib.modelfile import load_arrays, save_arrays
from pipelib.params import ImageLogisticParams
from pipelib.progress import report


@dataclass(frozen=True)
class LinearModel:
    """A fitted linear classifier: ``coef`` (k, d), ``intercept`` (k,), ``classes`` (k or 2,)."""

    coef: np.ndarray
    intercept: np.ndarray
    classes: np.ndarray
    n_iter: int

    def decision_function(self, features: np.ndarray) -> np.ndarray:
        """Scores as scikit-learn gives them: (n,) for two classes, (n, k) otherwise."""
        scores = features @ self.coef.T.astype(features.dtype, copy=False) + self.intercept
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict(self, features: np.ndarray) -> np.ndarray:
        """Predicted classes, as ``LogisticRegression.predict``."""
        scores = self.decision_function(features)
        if scores.ndim == 1:
            return self.classes[(scores > 0).astype(int)]
        return self.classes[scores.argmax(axis=1)]


def as_features(pixels: np.ndarray, dtype: str) -> np.ndarray:
    """uint8 pixels converted once to the float dtype the model is fitted in."""
    return np.asarray(pixels, dtype=np.dtype(dtype))


def fit_logistic(features: np.ndarray, target: np.ndarray, params: ImageLogisticParams, label: str) -> LinearModel:
    """Fit ``LogisticRegression(solver="lbfgs")`` as the seed does, keeping only its arrays.

    The seed stops lbfgs at ``max_iter`` (100) before convergence; that is reproduced,
    and the ConvergenceWarning is replaced by one line saying how many iterations ran.
    """
    estimator = LogisticRegression(
        C=params.C, max_iter=params.max_iter, random_state=params.random_state, solver="lbfgs"
    )
    started = time.perf_counter()
    report(f"{label}: fitting on {features.shape[0]:,} x {features.shape[1]} {features.dtype}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(features, target)
    n_iter = int(np.max(estimator.n_iter_))
    stopped = " (stopped at max_iter)" if n_iter >= params.max_iter else ""
    report(f"{label}: {n_iter} lbfgs iterations{stopped} in {time.perf_counter() - started:.1f} s")
    return LinearModel(estimator.coef_.copy(), estimator.intercept_.copy(), estimator.classes_.copy(), n_iter)


@dataclass(frozen=True)
class OutOfFold:
    """Cross-validation of a binary classifier, each fold fitted once."""

    fold: np.ndarray  # (n,) fold id of each row
    score: np.ndarray  # (n,) decision score from the model that did not see the row
    n_iter: list[int]


def cross_validated_scores(
    features: np.ndarray, target: np.ndarray, params: ImageLogisticParams, n_folds: int
) -> OutOfFold:
    """Out-of-fold decision scores with the folds of ``cross_val_score(cv=n_folds)``.

    scikit-learn's ``cross_val_score``, ``cross_val_predict`` and the decision-function
    variant each refit the same unshuffled stratified folds; fitting each fold once gives
    all three: accuracy and predictions follow from the scores at threshold 0.
    """
    fold = np.empty(len(target), dtype=np.uint8)
    score = np.empty(len(target), dtype=np.float64)
    n_iter = []
    splitter = StratifiedKFold(n_splits=n_folds)
    for number, (train_rows, test_rows) in enumerate(splitter.split(np.zeros(len(target)), target)):
        model = fit_logistic(features[train_rows], target[train_rows], params, f"fold {number + 1}/{n_folds}")
        fold[test_rows] = number
        score[test_rows] = model.decision_function(features[test_rows])
        n_iter.append(model.n_iter)
    return OutOfFold(fold, score, n_iter)


MODEL_ARRAYS = ["coef", "intercept", "classes"]


def save_model(target: str | os.PathLike[str], model: LinearModel, params: ImageLogisticParams, n_rows: int) -> None:
    """Write a fitted linear model as a plain-array model file."""
    meta = {"kind": "logistic_regression", "params": params.__dict__, "n_iter": model.n_iter, "n_rows": n_rows}
    save_arrays(target, {"coef": model.coef, "intercept": model.intercept, "classes": model.classes}, meta)


def load_model(source: str | os.PathLike[str], n_features: int) -> LinearModel:
    """Read a model file written by :func:`save_model` for data with ``n_features`` columns."""
    arrays, meta = load_arrays(source, MODEL_ARRAYS)
    coef, intercept, classes = arrays["coef"], arrays["intercept"], arrays["classes"]
    if coef.ndim != 2 or coef.shape[1] != n_features or intercept.shape != (coef.shape[0],):
        raise PipelineError(f"{source}: model shape {coef.shape} does not fit data with {n_features} features")
    if len(classes) != max(coef.shape[0], 2) or coef.shape[0] == 2:
        raise PipelineError(f"{source}: {len(classes)} classes for {coef.shape[0]} coefficient rows")
    return LinearModel(arrays["coef"], arrays["intercept"], arrays["classes"], int(meta.get("n_iter", 0)))
