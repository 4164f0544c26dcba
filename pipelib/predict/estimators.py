"""Model files as fitted scikit-learn estimators, for use outside the pipeline.

Loading never runs code from the file. ``mnist_estimator`` puts an MNIST model's plain
arrays back into the ``LogisticRegression`` that ``fit`` produced; ``titanic_pipeline`` gives
a Titanic model's saved ``Pipeline`` behind a step whose ``predict`` takes a Kaggle-layout
frame (``pandas.read_csv("test.csv")``). Their ``predict``, ``decision_function`` and
``predict_proba`` equal those of the estimators fitted in the pipeline.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from pipelib.predict.models import load_mnist_model, load_titanic_model, logistic_params
from pipelib.titanic.model import model_inputs


def fitted_logistic(
    coef: np.ndarray, intercept: np.ndarray, classes: np.ndarray, params: dict[str, Any], n_iter: int | None = None
) -> LogisticRegression:
    """A ``LogisticRegression`` with the attributes ``fit`` sets: coef_ (k, d), intercept_ (k,), classes_.

    ``n_iter_`` only when the model file recorded the number of lbfgs iterations.
    """
    estimator = LogisticRegression(solver="lbfgs", **params)
    estimator.coef_ = np.array(coef, dtype=np.float64)
    estimator.intercept_ = np.array(intercept, dtype=np.float64)
    estimator.classes_ = np.array(classes)
    estimator.n_features_in_ = estimator.coef_.shape[1]
    if n_iter is not None:
        estimator.n_iter_ = np.array([n_iter], dtype=np.int32)
    return estimator


def mnist_estimator(source: str | os.PathLike[str]) -> LogisticRegression:
    """A binary or softmax MNIST model file as a fitted ``LogisticRegression`` over 784 pixel columns.

    Feed it pixels as the pipeline does: (n, 784) values 0-255, white digit on black.
    """
    model, meta = load_mnist_model(source)
    return fitted_logistic(model.coef, model.intercept, model.classes, logistic_params(meta), model.n_iter)


def titanic_pipeline(source: str | os.PathLike[str]) -> Pipeline:
    """A Titanic model file as a fitted ``Pipeline``: inputs -> the saved preprocessing -> the entry's classifier.

    The first step selects and types the seven model columns from a frame with Kaggle's
    columns; ``pipeline[1:]`` is the Pipeline the training stage fitted and saved.
    """
    fitted = load_titanic_model(source)
    return Pipeline([("inputs", FunctionTransformer(model_inputs)), *fitted.steps])
