"""MNIST model files: fitted scikit-learn classifiers saved with skops, loaded and checked, scoring pixels.

The model file is the estimator itself (fitted by :mod:`pipelib.mnist.fitting`), so
``load`` gives what scikit-learn's loaders give and ``predict`` what its ``predict`` gives.
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from pipelib import skops_file
from pipelib.errors import PipelineError
from pipelib.log import progress
from pipelib.mnist.dataset import PIXELS
from pipelib.model_checks import check_allowed_estimator, check_float_arrays, check_mnist_classes

# Unpacked bytes a model file may hold: a KNN keeps its training set, 300,000 x 784 float32 pixels are 941 MB.
MAX_MODEL_BYTES = 1536 * 1024**2
PREDICT_ROWS = 2000  # images scored at a time (a KNN's distances to every training image)
PROGRESS_SECONDS = 10  # at most one progress line this often while scoring


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


def save(model: Any, target: str | os.PathLike[str], key: str = "") -> None:
    """Write a fitted MNIST model as a skops file (same fit, same bytes); ``key``: its params, named if refused."""
    skops_file.save(model, target, key)


def load(source: str | os.PathLike[str]) -> Any:
    """An MNIST model file: a fitted, allow-listed scikit-learn classifier over 784 pixels, its values checked."""
    model = skops_file.load(source, skops_file.ESTIMATOR_TYPES, MAX_MODEL_BYTES)
    if type(model).__name__ == "Pipeline":
        raise PipelineError(f"{source}: a Titanic model, expected an MNIST model (models/mnist/<name>.skops)")
    check_allowed_estimator(model, str(source))
    classes = getattr(model, "classes_", None)
    if not isinstance(classes, np.ndarray) or getattr(model, "n_features_in_", None) != PIXELS:
        raise PipelineError(f"{source}: not a fitted MNIST model (classes_ and {PIXELS} input pixels expected)")
    check_mnist_classes(classes, str(source))
    check_float_arrays(model, ("coef_", "intercept_", "_fit_X"), str(source))
    return model
