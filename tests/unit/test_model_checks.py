"""The checks on a loaded model's values (``pipelib.model_checks``), called directly on hand-built values.

Each refusal is one PipelineError naming the file (``where``) and what is wrong; the expected
texts and class lists are written out here, not taken from the module.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier

from pipelib.errors import PipelineError
from pipelib.model_checks import (
    check_allowed_estimator,
    check_classes,
    check_finite,
    check_float_arrays,
    check_mnist_classes,
)

WHERE = "models/m.skops"
ATTRIBUTES = ("coef_", "intercept_", "_fit_X")


def refused(message: str) -> pytest.RaisesExc[PipelineError]:
    """The PipelineError of exactly ``WHERE: message``."""
    return pytest.raises(PipelineError, match=f"^{re.escape(f'{WHERE}: {message}')}$")


# --- finite floats ------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_check_finite_refuses_nan_and_infinities(value: float) -> None:
    with refused("array 'coef_' holds NaN or infinite values"):
        check_finite("coef_", np.array([[0.5, value]]), WHERE)


def test_check_finite_accepts_finite_values() -> None:
    check_finite("coef_", np.array([[0.0, -1e300, 1e300]]), WHERE)
    check_finite("coef_", np.zeros(0), WHERE)


@pytest.mark.parametrize(
    "values",
    [
        np.array([[1, 2], [3, 4]]),  # integers
        np.array([True, False]),
        np.array([0.5, 1.0], dtype=object),  # floats inside an object array
        np.array(["0.5", "1.0"]),  # text
        [1, 2, 3],  # a list of integers, not an array
    ],
    ids=["integers", "booleans", "objects", "text", "int-list"],
)
def test_check_float_arrays_refuses_what_is_not_floats(values: object) -> None:
    estimator = SimpleNamespace(coef_=np.zeros((2, 2)), intercept_=values)
    with refused("array 'intercept_' is not floating-point numbers"):
        check_float_arrays(estimator, ATTRIBUTES, WHERE)


@pytest.mark.parametrize("attribute", ["coef_", "intercept_", "_fit_X"])
def test_check_float_arrays_refuses_a_nan_in_any_attribute(attribute: str) -> None:
    estimator = SimpleNamespace(coef_=np.zeros((2, 3)), intercept_=np.zeros(2), _fit_X=np.zeros((4, 3), np.float32))
    getattr(estimator, attribute).flat[1] = np.nan
    with refused(f"array '{attribute}' holds NaN or infinite values"):
        check_float_arrays(estimator, ATTRIBUTES, WHERE)


def test_check_float_arrays_accepts_floats_and_skips_absent_attributes() -> None:
    """float64 and float32 pass; an attribute the estimator lacks (or holds as None) is not checked."""
    check_float_arrays(SimpleNamespace(coef_=np.ones((2, 3)), intercept_=None), ATTRIBUTES, WHERE)
    check_float_arrays(SimpleNamespace(_fit_X=np.ones((4, 3), np.float32)), ATTRIBUTES, WHERE)
    check_float_arrays(SimpleNamespace(), ATTRIBUTES, WHERE)
    # only the attributes named are checked: integers elsewhere are not this check's business
    check_float_arrays(SimpleNamespace(coef_=np.ones(2), n_iter_=np.array([3])), ATTRIBUTES, WHERE)


# --- the allow-list -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("estimator", "path"),
    [
        (KMeans(n_clusters=2), "sklearn.cluster.KMeans"),  # a module not allow-listed
        (GaussianNB(), "sklearn.naive_bayes.GaussianNB"),  # a classifier, of a module not allow-listed
        (Ridge(), "sklearn.linear_model.Ridge"),  # an allow-listed module, but a regressor
    ],
    ids=["cluster", "naive-bayes", "regressor"],
)
def test_check_allowed_estimator_refuses(estimator: object, path: str) -> None:
    with refused(f"refused, {path} is not an allow-listed classifier"):
        check_allowed_estimator(estimator, WHERE)
    with refused(f"refused, the final step {path} is not an allow-listed classifier"):
        check_allowed_estimator(estimator, WHERE, role="the final step ")


def test_check_allowed_estimator_refuses_a_class_outside_scikit_learn() -> None:
    class LogisticRegression:  # the name of an allowed classifier, in a test module
        pass

    path = f"{__name__}.LogisticRegression"
    with refused(f"refused, {path} is not an allow-listed classifier"):
        check_allowed_estimator(LogisticRegression(), WHERE)


@pytest.mark.parametrize(
    "estimator",
    [LogisticRegression(), KNeighborsClassifier(), DecisionTreeClassifier(), RandomForestClassifier(), LinearSVC()],
    ids=["logistic", "knn", "tree", "forest", "linear-svc"],
)
def test_check_allowed_estimator_accepts_allow_listed_classifiers(estimator: object) -> None:
    check_allowed_estimator(estimator, WHERE)


# --- classes --------------------------------------------------------------------------------------------

DIGITS = (0, 1, 2, 3, 4, 5, 6, 7, 8, 9)
DESCRIBED = "digits 0-9 (or False, True)"


def classes_refused(shown: str) -> pytest.RaisesExc[PipelineError]:
    return refused(f"classes {shown} are not expected {DESCRIBED}, each once in increasing order")


@pytest.mark.parametrize(
    "classes",
    [
        np.arange(10),
        np.arange(10, dtype=np.uint8),
        np.array([3, 7]),
        np.array([0]),
        np.zeros(0, dtype=np.int64),
        np.array([False, True]),
        np.array([True]),
    ],
    ids=["ten-int64", "ten-uint8", "two-digits", "one-digit", "none", "binary", "one-boolean"],
)
def test_check_mnist_classes_accepts(classes: np.ndarray) -> None:
    check_mnist_classes(classes, WHERE)


@pytest.mark.parametrize(
    ("classes", "shown"),
    [
        (np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 10]), "[0, 1, 2, 3, 4, 5, 6, 7, 8, 10]"),  # 10 is no digit
        (np.array([-1, 0]), "[-1, 0]"),
        (np.array([3, 3]), "[3, 3]"),  # repeated
        (np.array([1, 0]), "[1, 0]"),  # decreasing
        (np.array([0, 2, 1]), "[0, 2, 1]"),
        (np.array([True, False]), "[True, False]"),  # booleans decreasing
        (np.array([True, True]), "[True, True]"),  # booleans repeated
        (np.array([0.0, 1.0]), "[0.0, 1.0]"),  # floats, even whole ones
        (np.array(["0", "1"]), "['0', '1']"),  # text
        (np.array([0, 1], dtype=object), "[0, 1]"),  # Python ints in an object array
        (np.array([[0, 1], [2, 3]]), "[[0, 1], [2, 3]]"),  # not one row
    ],
    ids=[
        "ten",
        "negative",
        "repeated",
        "decreasing",
        "unsorted",
        "booleans-decreasing",
        "booleans-repeated",
        "floats",
        "text",
        "objects",
        "two-dimensional",
    ],
)
def test_check_mnist_classes_refuses(classes: np.ndarray, shown: str) -> None:
    with classes_refused(shown):
        check_mnist_classes(classes, WHERE)


def test_booleans_and_integers_are_not_each_other() -> None:
    """False, True are 0, 1 to Python's ``in``: the array's kind keeps a binary model's classes apart from digits."""
    with classes_refused("[False, True]"):
        check_classes(np.array([False, True]), DIGITS, WHERE, DESCRIBED)
    with classes_refused("[0, 1]"):
        check_classes(np.array([0, 1]), (False, True), WHERE, DESCRIBED)
    with classes_refused("[0, 1]"):
        check_classes(np.array([0, 1], dtype=np.uint8), (False, True), WHERE, DESCRIBED)
    check_classes(np.array([False, True]), (False, True), WHERE, DESCRIBED)
    check_classes(np.array([0, 1], dtype=np.uint8), (0, 1), WHERE, DESCRIBED)


def test_the_error_shows_ten_classes_whole_and_the_first_ten_of_more() -> None:
    with classes_refused("[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"):  # ten: all of them, no "..."
        check_mnist_classes(np.arange(1, 11), WHERE)
    with classes_refused("[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]..."):  # eleven: the first ten and "..."
        check_mnist_classes(np.arange(11), WHERE)
    with classes_refused("[0, 0, 1, 1, 2, 2, 3, 3, 4, 4]..."):  # twelve in two dimensions, flattened
        check_mnist_classes(np.repeat(np.arange(6), 2).reshape(2, 6), WHERE)
    with classes_refused("[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]..."):  # eleven, a repeated 9 last: not shown
        check_classes(np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9]), DIGITS, WHERE, DESCRIBED)
