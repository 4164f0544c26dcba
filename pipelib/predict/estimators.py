"""Model files as fitted scikit-learn estimators, for use outside the pipeline.

The pipeline keeps models as plain arrays (loading never runs code); these loaders put the
arrays back into the estimators they came from. ``mnist_estimator`` gives the
``LogisticRegression`` that ``fit`` produced, ``titanic_pipeline`` the whole
preprocessing-plus-model ``Pipeline``, whose ``predict`` takes a Kaggle-layout frame
(``pandas.read_csv("test.csv")``). Their ``predict``, ``decision_function`` and
``predict_proba`` equal those of the estimators fitted in the pipeline.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from pipelib.errors import PipelineError
from pipelib.predict.models import load_mnist_model, load_titanic_model, logistic_params
from pipelib.titanic.model import CATEGORICAL, NUMERIC, TitanicModel, model_inputs, preprocessing


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


def fitting_frame(model: TitanicModel) -> pd.DataFrame:
    """Passengers on which the preprocessing fits to exactly the model's medians, fill values and categories.

    Each numeric column holds its median only; each categorical column holds every
    category once and its most frequent value once more per extra row.
    """
    n_rows = max(len(values) for values in model.categories) + 1
    columns: dict[str, Any] = {
        name: np.full(n_rows, median) for name, median in zip(NUMERIC, model.medians, strict=True)
    }
    for name, fill, values in zip(CATEGORICAL, model.most_frequent, model.categories, strict=True):
        columns[name] = np.array([*values, *[fill] * (n_rows - len(values))], dtype=object)
    return pd.DataFrame(columns)


def _same_fit(fitted: Any, model: TitanicModel) -> bool:
    numeric = fitted.named_transformers_["num"].named_steps["imputer"]
    categorical = fitted.named_transformers_["cat"]
    imputed = categorical.named_steps["imputer"].statistics_.astype(str)
    categories = categorical.named_steps["encoder"].categories_
    return (
        np.array_equal(numeric.statistics_, model.medians)
        and np.array_equal(imputed, model.most_frequent)
        and len(categories) == len(model.categories)
        and all(
            np.array_equal(found.astype(str), values)
            for found, values in zip(categories, model.categories, strict=True)
        )
    )


def titanic_pipeline(source: str | os.PathLike[str]) -> Pipeline:
    """The Titanic model file as a fitted ``Pipeline``: inputs -> ColumnTransformer -> LogisticRegression.

    The first step selects and types the seven model columns from a frame with Kaggle's
    columns; ``pipeline[1:]`` is the pipeline the training stage fitted. The
    ColumnTransformer is fitted on :func:`fitting_frame`, which reproduces the saved
    medians, fill values and categories, and is checked to have done so.
    """
    model, meta = load_titanic_model(source)
    preprocess = preprocessing().fit(model_inputs(fitting_frame(model)))
    if not _same_fit(preprocess, model):
        raise PipelineError(
            f"{source}: its medians, fill values and categories are not ones a fit gives "
            "(categories sorted and unique, each fill value among its categories)"
        )
    classifier = fitted_logistic(
        model.coef[None, :], np.array([model.intercept]), np.array([0, 1]), logistic_params(meta)
    )
    return Pipeline([("inputs", FunctionTransformer(model_inputs)), ("preprocess", preprocess), ("model", classifier)])
