"""MNIST registry models: fitted on pixels, saved as skops files, scoring images a block at a time.

A ``LogisticRegression`` entry whose params the project's L-BFGS honours (C, max_iter,
random_state) is fitted by it (:mod:`pipelib.mnist.fitting`: the same model, its row blocks on
``n_jobs`` threads) and its arrays are put into the ``LogisticRegression`` that ``fit`` gives;
any other entry is scikit-learn's own ``fit``. Either way the model file is the estimator.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import numpy as np
import pyarrow as pa
from threadpoolctl import threadpool_limits

from pipelib import skops_file
from pipelib.errors import PipelineError
from pipelib.log import progress
from pipelib.mnist.dataset import MAX_IMAGES, PIXELS
from pipelib.mnist.features import as_features
from pipelib.model_checks import check_finite, check_mnist_classes
from pipelib.params import LogisticParams, MnistModelEntry, estimator_class
from pipelib.tables import read_table, write_table

LOGISTIC = "sklearn.linear_model.LogisticRegression"
PROJECT_FIT_PARAMS = {"C", "max_iter", "random_state"}  # what the project's L-BFGS honours (lbfgs ignores the seed)
# Unpacked bytes a model file may hold: a KNN keeps its training set, 300,000 x 784 float32 pixels are 941 MB.
MAX_MODEL_BYTES = 1536 * 1024**2
PREDICT_ROWS = 2000  # images scored at a time (a KNN's distances to every training image)
PROGRESS_SECONDS = 10  # at most one progress line this often while scoring
FACTS_KEY = b"pipelib.fit"  # the predictions file's metadata: what the fit saw and did


def uses_project_fit(entry: MnistModelEntry) -> bool:
    """Whether the project's L-BFGS fits this entry (a LogisticRegression asking for nothing it lacks)."""
    return entry.estimator == LOGISTIC and set(entry.params) <= PROJECT_FIT_PARAMS


def fit(entry: MnistModelEntry, pixels: np.ndarray, labels: np.ndarray, name: str) -> Any:
    """The entry's estimator fitted on (n, 784) uint8 pixels as its ``dtype`` / ``matrix`` features."""
    from pipelib.mnist.fitting import fit_logistic

    features = as_features(pixels, entry.dtype, entry.matrix)
    estimator = estimator_class(entry.estimator)(**entry.params)
    if uses_project_fit(entry):
        settings = LogisticParams(C=float(estimator.C), max_iter=estimator.max_iter, random_state=0)
        return fit_logistic(features, labels, settings, name, entry.n_jobs).fitted(estimator)
    started = time.perf_counter()
    progress(f"{name}: fitting {type(estimator).__name__} on {features.shape[0]:,} x {features.shape[1]} {entry.dtype}")
    with threadpool_limits(limits=entry.n_jobs):
        estimator.fit(features, labels)
    progress(f"{name}: fitted in {time.perf_counter() - started:.1f} s")
    return estimator


def input_dtype(model: Any) -> np.dtype:
    """The float type a model was fitted on (a KNN's stored images), so scoring casts to it and copies nothing."""
    stored = getattr(model, "_fit_X", None)
    if stored is None:
        stored = getattr(model, "coef_", None)
    return stored.dtype if isinstance(stored, np.ndarray) and stored.dtype.kind == "f" else np.dtype(np.float64)


def predict(model: Any, pixels: np.ndarray, n_jobs: int = 1, name: str = "") -> np.ndarray:
    """The model's classes for (n, 784) uint8 pixels, PREDICT_ROWS images at a time (a progress line each)."""
    dtype, found = input_dtype(model), []
    started = logged = time.perf_counter()
    with threadpool_limits(limits=n_jobs):
        for start in range(0, len(pixels), PREDICT_ROWS):
            found.append(np.asarray(model.predict(pixels[start : start + PREDICT_ROWS].astype(dtype))))
            done, now = min(start + PREDICT_ROWS, len(pixels)), time.perf_counter()
            if name and (done == len(pixels) or now - logged > PROGRESS_SECONDS):
                progress(f"{name}: scored {done:,} of {len(pixels):,} images in {now - started:.1f} s")
                logged = now
    return np.concatenate(found) if found else np.empty(0, dtype=np.int64)


def save(model: Any, target: str | os.PathLike[str]) -> None:
    """Write a fitted MNIST model as a skops file (same fit, same bytes)."""
    skops_file.save(model, target)


def load(source: str | os.PathLike[str]) -> Any:
    """An MNIST model file: a fitted, allow-listed scikit-learn classifier over 784 pixels, its values checked."""
    model = skops_file.load(source, skops_file.ESTIMATOR_TYPES, MAX_MODEL_BYTES)
    if type(model).__name__ == "Pipeline":
        raise PipelineError(f"{source}: a Titanic model, expected an MNIST model (models/mnist/<name>.skops)")
    path = f"{type(model).__module__.rsplit('._', 1)[0]}.{type(model).__name__}"
    try:
        estimator_class(path)
    except ValueError:
        raise PipelineError(f"{source}: refused, {path} is not an allow-listed classifier") from None
    classes = getattr(model, "classes_", None)
    if not isinstance(classes, np.ndarray) or getattr(model, "n_features_in_", None) != PIXELS:
        raise PipelineError(f"{source}: not a fitted MNIST model (classes_ and {PIXELS} input pixels expected)")
    check_mnist_classes(classes, str(source))
    for attribute in ("coef_", "intercept_", "_fit_X"):
        values = getattr(model, attribute, None)
        if isinstance(values, np.ndarray) and values.dtype.kind == "f":
            check_finite(attribute, values, str(source))
    return model


PREDICTIONS_SCHEMA = pa.schema([("label", pa.uint8()), ("predicted", pa.uint8())])


def write_predictions(
    target: str | os.PathLike[str], labels: np.ndarray, predicted: np.ndarray, facts: dict[str, Any]
) -> None:
    """Each test image's digit and the model's prediction; ``facts`` (training rows, iterations) as metadata."""
    table = pa.table({"label": labels.astype(np.uint8), "predicted": predicted.astype(np.uint8)})
    write_table(table.replace_schema_metadata({FACTS_KEY: json.dumps(facts, sort_keys=True)}), target)


def read_predictions(source: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """(labels, predicted, facts) of a file of :func:`write_predictions`: digits 0-9, nothing missing."""
    table = read_table(source, PREDICTIONS_SCHEMA, max_rows=MAX_IMAGES)
    labels, predicted = (table.column(name).to_numpy(zero_copy_only=False) for name in ("label", "predicted"))
    if (
        any(table.column(name).null_count for name in table.column_names)
        or max(labels.max(initial=0), predicted.max(initial=0)) > 9
    ):
        raise PipelineError(f"{source}: predictions must be digits 0-9 with nothing missing")
    try:
        facts = json.loads((table.schema.metadata or {}).get(FACTS_KEY, b"{}"))
    except ValueError:
        facts = None
    if not isinstance(facts, dict):
        raise PipelineError(f"{source}: its '{FACTS_KEY.decode()}' metadata is not a JSON object")
    return labels.astype(np.int64), predicted.astype(np.int64), facts
