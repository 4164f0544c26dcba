"""Titanic survival: the seed's preprocessing as a ColumnTransformer, and its saved form.

The seed's ``FeatureUnion`` of ``DataFrameSelector`` pipelines becomes a ColumnTransformer
with the same output: median-imputed ``Age, SibSp, Parch, Fare`` followed by the one-hot
``Pclass, Sex, Embarked`` after most-frequent imputation, 12 columns in all. The fitted
state (medians, most frequent values, categories, coefficients) is saved as plain arrays
and applied by :class:`TitanicModel`, so loading a model file never runs code from it.
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from pipelib.errors import PipelineError
from pipelib.model_checks import check_finite
from pipelib.modelfile import load_arrays, save_arrays
from pipelib.params import LogisticParams
from pipelib.titanic.data import CLASSES, PORTS, SEXES

NUMERIC = ["Age", "SibSp", "Parch", "Fare"]
CATEGORICAL = ["Pclass", "Sex", "Embarked"]
# The most values each categorical column can take (the CSV parser allows no others).
CATEGORY_COUNTS = {"Pclass": len(CLASSES), "Sex": len(SEXES), "Embarked": len(PORTS)}
MODEL_LIMITS = {
    "medians": len(NUMERIC),
    "most_frequent": len(CATEGORICAL),
    "coef": len(NUMERIC) + sum(CATEGORY_COUNTS.values()),
    "intercept": 1,
    **{f"categories_{column}": count for column, count in CATEGORY_COUNTS.items()},
}


def categorical_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """The categorical columns as strings (missing stays missing), so one encoder handles all three."""
    out = frame[CATEGORICAL].astype(object)
    return out.where(out.isna(), out.astype(str))


def preprocessing() -> ColumnTransformer:
    """The seed's numeric and categorical pipelines side by side, numeric first."""
    numeric = Pipeline([("imputer", SimpleImputer(strategy="median"))])
    categorical = Pipeline(
        [
            ("imputer", SimpleImputer(strategy="most_frequent")),
            ("encoder", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
        ]
    )
    return ColumnTransformer([("num", numeric, NUMERIC), ("cat", categorical, CATEGORICAL)])


def model_inputs(frame: pd.DataFrame) -> pd.DataFrame:
    """The seven columns the preprocessing reads, categoricals as text."""
    return pd.concat([frame[NUMERIC].astype(float), categorical_as_text(frame)], axis=1)


def classifier(params: LogisticParams) -> Pipeline:
    """Preprocessing followed by ``LogisticRegression(random_state=0)`` as in the seed."""
    return Pipeline(
        [
            ("preprocess", preprocessing()),
            ("model", LogisticRegression(C=params.C, max_iter=params.max_iter, random_state=params.random_state)),
        ]
    )


def fit_quietly(pipeline: Pipeline, inputs: pd.DataFrame, target: np.ndarray) -> Pipeline:
    """Fit, silencing the ConvergenceWarning the seed's defaults produce on unscaled Fare/Age."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return pipeline.fit(inputs, target)


@dataclass(frozen=True)
class TitanicModel:
    """The fitted preprocessing and linear model as arrays."""

    medians: np.ndarray  # (4,) for NUMERIC
    most_frequent: np.ndarray  # (3,) str, for CATEGORICAL
    categories: list[np.ndarray]  # one str array per CATEGORICAL column
    coef: np.ndarray  # (12,)
    intercept: float

    @classmethod
    def from_pipeline(cls, fitted: Pipeline) -> TitanicModel:
        """Take the arrays out of a fitted :func:`classifier` pipeline."""
        transformer = fitted.named_steps["preprocess"]
        numeric = transformer.named_transformers_["num"].named_steps["imputer"]
        categorical = transformer.named_transformers_["cat"]
        model = fitted.named_steps["model"]
        return cls(
            medians=numeric.statistics_.astype(np.float64),
            most_frequent=categorical.named_steps["imputer"].statistics_.astype(str),
            categories=[np.asarray(values, dtype=str) for values in categorical.named_steps["encoder"].categories_],
            coef=model.coef_.ravel().astype(np.float64),
            intercept=float(model.intercept_[0]),
        )

    @property
    def feature_names(self) -> list[str]:
        """The seed's column names: ``Age, ..., Pclass_1, ..., Female, Male, Embarked_C, ...``."""
        names = list(NUMERIC)
        for column, values in zip(CATEGORICAL, self.categories, strict=True):
            names += [value.capitalize() if column == "Sex" else f"{column}_{value}" for value in values]
        return names

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """The preprocessed matrix; an unseen category encodes as all zeros (``handle_unknown="ignore"``)."""
        numeric = frame[NUMERIC].astype(float).to_numpy()
        numeric = np.where(np.isnan(numeric), self.medians, numeric)
        blocks = [numeric]
        text = categorical_as_text(frame)
        for column, fill, values in zip(CATEGORICAL, self.most_frequent, self.categories, strict=True):
            filled = text[column].fillna(fill).to_numpy(dtype=str)
            blocks.append((filled[:, None] == values[None, :]).astype(np.float64))
        return np.hstack(blocks)

    def decision_function(self, frame: pd.DataFrame) -> np.ndarray:
        """Signed distance to the decision boundary, as ``LogisticRegression.decision_function``."""
        return self.transform(frame) @ self.coef + self.intercept

    def save(self, target: str | os.PathLike[str], params: LogisticParams) -> None:
        """Write the model file."""
        arrays = {
            "medians": self.medians,
            "most_frequent": self.most_frequent,
            "coef": self.coef,
            "intercept": np.array([self.intercept]),
            **{f"categories_{column}": values for column, values in zip(CATEGORICAL, self.categories, strict=True)},
        }
        save_arrays(target, arrays, {"kind": "titanic_logistic_regression", "params": params.__dict__})

    @classmethod
    def load(cls, source: str | os.PathLike[str]) -> TitanicModel:
        """Read a model file written by :meth:`save`, checking every array's kind and shape."""
        names = ["medians", "most_frequent", "coef", "intercept", *(f"categories_{c}" for c in CATEGORICAL)]
        arrays, _ = load_arrays(source, MODEL_LIMITS, "Titanic model")
        for name in names:
            kind = "U" if name == "most_frequent" or name.startswith("categories_") else "f"
            if arrays[name].dtype.kind != kind or arrays[name].ndim != 1:
                wanted = "text" if kind == "U" else "floating-point"
                raise PipelineError(f"{source}: array '{name}' is not a 1-d {wanted} array")
        model = cls(
            medians=arrays["medians"],
            most_frequent=arrays["most_frequent"],
            categories=[arrays[f"categories_{column}"] for column in CATEGORICAL],
            coef=arrays["coef"],
            intercept=float(arrays["intercept"][0]) if arrays["intercept"].shape == (1,) else math.nan,
        )
        width = len(NUMERIC) + sum(len(values) for values in model.categories)
        if (
            model.medians.shape != (len(NUMERIC),)
            or model.most_frequent.shape != (len(CATEGORICAL),)
            or model.coef.shape != (width,)
            or arrays["intercept"].shape != (1,)
        ):
            raise PipelineError(f"{source}: model arrays have inconsistent shapes")
        for name in ("medians", "coef", "intercept"):
            check_finite(name, arrays[name], str(source))
        return model


def out_of_fold_scores(
    inputs: pd.DataFrame, target: np.ndarray, params: LogisticParams, n_folds: int
) -> tuple[np.ndarray, np.ndarray]:
    """(fold id, out-of-fold decision score) per row, the folds of ``cross_val_score(cv=n_folds)``."""
    fold = np.empty(len(target), dtype=np.uint8)
    score = np.empty(len(target), dtype=np.float64)
    for number, (train_rows, test_rows) in enumerate(StratifiedKFold(n_splits=n_folds).split(inputs, target)):
        fitted = fit_quietly(classifier(params), inputs.iloc[train_rows], target[train_rows])
        fold[test_rows] = number
        score[test_rows] = fitted.decision_function(inputs.iloc[test_rows])
    return fold, score
