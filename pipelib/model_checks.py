"""Checks on a loaded model's values, whatever file format brought them in.

A model file may come from a DVC remote or a registry: its arrays decide every
prediction and its classes are written into the output CSV. These checks apply to the
arrays once loaded, so any loader (the skops files today) calls them on what it read.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection

import numpy as np

from pipelib.errors import PipelineError

DIGITS = tuple(range(10))  # an MNIST model's classes; a binary one has False, True
SURVIVAL = (0, 1)  # a Titanic model's
MNIST_CLASSES = "digits 0-9 (or False, True)"


def check_finite(name: str, values: np.ndarray, where: str) -> None:
    """Coefficients, intercepts, medians must be finite: a NaN makes every score NaN, every prediction one class."""
    if not np.all(np.isfinite(values)):
        raise PipelineError(f"{where}: array '{name}' holds NaN or infinite values")


def check_float_arrays(estimator: object, attributes: tuple[str, ...], where: str) -> None:
    """The estimator's fitted arrays among ``attributes`` hold finite floats: text or objects would fail in
    ``predict`` with a traceback, a NaN make every score NaN."""
    for attribute in attributes:
        values = getattr(estimator, attribute, None)
        if values is None:
            continue
        if np.asarray(values).dtype.kind != "f":
            raise PipelineError(f"{where}: array '{attribute}' is not floating-point numbers")
        check_finite(attribute, np.asarray(values), where)


def check_allowed_estimator(estimator: object, where: str, role: str = "") -> None:
    """The estimator's class is a classifier of an allow-listed scikit-learn module (params.ESTIMATOR_MODULES)."""
    from pipelib.params import estimator_class

    path = f"{type(estimator).__module__.rsplit('._', 1)[0]}.{type(estimator).__name__}"
    try:
        estimator_class(path)
    except ValueError:
        raise PipelineError(f"{where}: refused, {role}{path} is not an allow-listed classifier") from None


def check_classes(classes: np.ndarray, allowed: Collection[object], where: str, described: str) -> None:
    """Classes among ``allowed`` (booleans if those are, else integers), each once, increasing as ``np.unique`` gives.

    Anything else (text, a repeated class) would be written into the output's cells and
    headers, or collapse score columns into one. ``described`` names ``allowed`` in the error.
    """
    values = classes.tolist() if classes.ndim == 1 else []
    kinds = "b" if all(isinstance(value, bool) for value in allowed) else "iu"
    if (
        classes.ndim != 1
        or classes.dtype.kind not in kinds
        or any(value not in allowed for value in values)
        or any(low >= high for low, high in itertools.pairwise(values))
    ):
        shown = repr(classes.tolist()) if classes.size <= 10 else f"{classes.ravel().tolist()[:10]!r}..."
        raise PipelineError(f"{where}: classes {shown} are not expected {described}, each once in increasing order")


def check_mnist_classes(classes: np.ndarray, where: str) -> None:
    """An MNIST model's classes: digits 0-9, or False, True for a binary (one digit against the rest) model."""
    check_classes(classes, (False, True) if classes.dtype.kind == "b" else DIGITS, where, MNIST_CLASSES)
