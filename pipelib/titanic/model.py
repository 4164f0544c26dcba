"""Titanic models: a registry entry as a scikit-learn Pipeline, its skops file, its out-of-fold predictions.

The seed's ``FeatureUnion`` of ``DataFrameSelector`` pipelines becomes a ColumnTransformer
with the same output: median-imputed ``Age, SibSp, Parch, Fare`` followed by the one-hot
``Pclass, Sex, Embarked`` after most-frequent imputation, 12 columns in all; an entry may add
a StandardScaler on the numeric columns. The fitted Pipeline is the model file (skops).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from pipelib import skops_file
from pipelib.errors import PipelineError
from pipelib.model_checks import SURVIVAL, check_allowed_estimator, check_classes, check_finite, check_float_arrays
from pipelib.params import TitanicModelEntry, estimator_class, refused_by_scikit_learn

NUMERIC = ["Age", "SibSp", "Parch", "Fare"]
CATEGORICAL = ["Pclass", "Sex", "Embarked"]
MAX_MODEL_BYTES = 64 * 1024**2  # unpacked; a 100-tree forest on 891 passengers is about 5 MB


def categorical_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """The categorical columns as strings (missing stays missing), so one encoder handles all three."""
    out = frame[CATEGORICAL].astype(object)
    return out.where(out.isna(), out.astype(str))


def model_inputs(frame: pd.DataFrame) -> pd.DataFrame:
    """The seven columns the preprocessing reads, categoricals as text."""
    return pd.concat([frame[NUMERIC].astype(float), categorical_as_text(frame)], axis=1)


def preprocessing(scale_numeric: bool = False) -> ColumnTransformer:
    """The seed's numeric and categorical pipelines side by side, numeric first (scaled if asked)."""
    numeric_steps: list[tuple[str, Any]] = [("imputer", SimpleImputer(strategy="median"))]
    if scale_numeric:
        numeric_steps.append(("scaler", StandardScaler()))
    categorical = Pipeline(
        [
            ("imputer", SimpleImputer(strategy="most_frequent")),
            ("encoder", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
        ]
    )
    return ColumnTransformer([("num", Pipeline(numeric_steps), NUMERIC), ("cat", categorical, CATEGORICAL)])


def build(entry: TitanicModelEntry) -> Pipeline:
    """The entry's unfitted Pipeline: preprocessing, then its estimator with its hyperparameters."""
    estimator = estimator_class(entry.estimator)(**entry.params)
    return Pipeline([("preprocess", preprocessing("scale_numeric" in entry.preprocess)), ("model", estimator)])


def fit_quietly(pipeline: Any, inputs: Any, target: np.ndarray) -> Any:
    """Fit, silencing the ConvergenceWarning the seed's defaults produce on unscaled Fare/Age."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return pipeline.fit(inputs, target)


def feature_names(pipeline: Pipeline) -> list[str]:
    """The seed's column names: ``Age, ..., Pclass_1, ..., Female, Male, Embarked_C, ...``."""
    names = [name.split("__", 1)[1] for name in pipeline[:-1].get_feature_names_out()]
    return [name.removeprefix("Sex_").capitalize() if name.startswith("Sex_") else name for name in names]


@dataclass(frozen=True)
class Predictions:
    """A model's predictions on passengers: the class, and what else the estimator offers (None if not)."""

    survived: np.ndarray  # bool
    score: np.ndarray | None  # decision_function
    probability: np.ndarray | None  # predict_proba of survival


def predict(model: Any, inputs: Any) -> Predictions:
    """Everything the model can say about each passenger."""
    score = model.decision_function(inputs) if hasattr(model, "decision_function") else None
    probability = model.predict_proba(inputs)[:, 1] if hasattr(model, "predict_proba") else None
    return Predictions(np.asarray(model.predict(inputs)) == 1, score, probability)


def out_of_fold(
    pipeline: Pipeline, inputs: pd.DataFrame, target: np.ndarray, n_folds: int, key: str
) -> tuple[np.ndarray, Predictions]:
    """(fold id, out-of-fold predictions) per row: the book's ``cross_val_score(model, X_train, y_train, cv=k)``.

    As in the book, the preprocessing (medians, most frequent values, categories, scaling) is
    fitted once on every row and the estimator is cross-validated on that matrix, with
    scikit-learn's default folds for a classifier (stratified, not shuffled). scikit-learn
    refusing the estimator on a fold (``n_neighbors`` above its training rows, say) is one
    line naming ``key``, the entry's params, and the fold.
    """
    matrix = clone(pipeline[0]).fit_transform(inputs)
    fold = np.empty(len(target), dtype=np.uint8)
    survived = np.empty(len(target), dtype=bool)
    score = np.empty(len(target)) if hasattr(pipeline, "decision_function") else None
    probability = np.empty(len(target)) if hasattr(pipeline, "predict_proba") else None
    for number, (train_rows, test_rows) in enumerate(StratifiedKFold(n_splits=n_folds).split(matrix, target)):
        which = f"fold {number + 1} of {n_folds} (titanic.cv_folds; {len(train_rows)} training rows)"
        with refused_by_scikit_learn(key, f"fitting {which}"):
            fitted = fit_quietly(clone(pipeline[-1]), matrix[train_rows], target[train_rows])
        with refused_by_scikit_learn(key, f"scoring {which}"):
            found = predict(fitted, matrix[test_rows])
        fold[test_rows] = number
        survived[test_rows] = found.survived
        if score is not None and found.score is not None:
            score[test_rows] = found.score
        if probability is not None and found.probability is not None:
            probability[test_rows] = found.probability
    return fold, Predictions(survived, score, probability)


def save(pipeline: Pipeline, target: str | os.PathLike[str], key: str = "") -> None:
    """Write the fitted Pipeline as a skops file (same fit, same bytes); ``key``: its params, named if refused."""
    skops_file.save(pipeline, target, key)


def load(source: str | os.PathLike[str]) -> Pipeline:
    """A Titanic model file: a fitted Pipeline of the preprocessing and an allow-listed classifier."""
    model = skops_file.load(source, skops_file.ESTIMATOR_TYPES, MAX_MODEL_BYTES)
    if not isinstance(model, Pipeline) and hasattr(model, "classes_"):  # a bare classifier: what MNIST saves
        raise PipelineError(f"{source}: an MNIST model, expected a Titanic model (models/titanic/<name>.skops)")
    if not isinstance(model, Pipeline) or [name for name, _ in model.steps] != ["preprocess", "model"]:
        raise PipelineError(f"{source}: not a Titanic model (expected a Pipeline of preprocess and model)")
    if not isinstance(model[0], ColumnTransformer) or not hasattr(model[0], "transformers_"):
        raise PipelineError(f"{source}: not a Titanic model (its preprocessing is not a fitted ColumnTransformer)")
    check_allowed_estimator(model[-1], str(source), "its estimator ")
    check_loaded_values(model, str(source))
    return model


def check_loaded_values(model: Pipeline, where: str) -> None:
    """Survival classes 0 and 1 (they become output cells), finite imputer statistics and coefficients."""
    classes = getattr(model[-1], "classes_", None)
    if classes is None:
        raise PipelineError(f"{where}: not a fitted classifier (no classes_)")
    check_classes(np.asarray(classes), SURVIVAL, where, "0, 1")
    for name, transformer in model[0].named_transformers_.items():
        steps = transformer.named_steps if isinstance(transformer, Pipeline) else {}
        imputer = steps.get("imputer")
        if imputer is not None and np.asarray(imputer.statistics_).dtype.kind == "f":
            check_finite(f"{name} imputer statistics", np.asarray(imputer.statistics_), where)
    check_float_arrays(model[-1], ("coef_", "intercept_"), where)
