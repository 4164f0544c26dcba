"""Titanic model files as a fitted scikit-learn ``Pipeline`` that takes Kaggle's columns, for use outside the pipeline.

Loading never runs code from the file. An MNIST model file needs no wrapper: it is the fitted
estimator (:func:`pipelib.mnist.models.load`), fed (n, 784) pixels 0-255, white digit on black.
"""

from __future__ import annotations

import os

from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from pipelib.titanic.model import load, model_inputs


def titanic_pipeline(source: str | os.PathLike[str]) -> Pipeline:
    """A Titanic model file as a fitted ``Pipeline``: inputs -> the saved preprocessing -> the entry's classifier.

    The first step selects and types the seven model columns from a frame with Kaggle's
    columns; ``pipeline[1:]`` is the Pipeline the training stage fitted and saved.
    """
    fitted = load(source)
    return Pipeline([("inputs", FunctionTransformer(model_inputs)), *fitted.steps])
