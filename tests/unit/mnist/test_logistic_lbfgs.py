"""The owned L-BFGS logistic regression against scikit-learn's LogisticRegression(solver="lbfgs").

The objective at given weights is scikit-learn's ``LinearModelLoss.loss_gradient`` to a
relative 1e-12 on any CPU. Whole fits are compared with a looser tolerance: numpy's exp and
log and scikit-learn's Cython loss take different SIMD paths on different CPUs (AVX-512 on
Intel, AVX2 on AMD), and lbfgs amplifies a last-bit difference of the loss into about 1e-8 of
the coefficients (docs/testing.md, "Exact on one machine only"); iteration counts and
predictions still agree exactly.
"""

from __future__ import annotations

import dataclasses
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal, localcontext

import numpy as np
import pytest
import scipy.sparse as sp
from helpers import FIT_ATOL, FIT_RTOL
from sklearn._loss.loss import HalfBinomialLoss, HalfMultinomialLoss
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.linear_model._linear_loss import LinearModelLoss

from pipelib.mnist.logistic_lbfgs import LbfgsFit, binomial_loss_gradient, fit_lbfgs, make_objective
from pipelib.mnist.row_blocks import RowBlocks, block_bounds

pytestmark = pytest.mark.kernels  # make test reruns these on other SIMD kernels (docs/testing.md)


def make_data(n_classes: int, n_rows: int = 600, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Features with about half the entries exactly 0 (so CSR is worth it), and class codes."""
    features, target = make_classification(
        n_samples=n_rows,
        n_features=15,
        n_informative=8,
        n_classes=n_classes,
        n_clusters_per_class=1,
        random_state=seed,
    )
    features[np.abs(features) < 0.7] = 0.0
    return features, target


def as_matrix(features: np.ndarray, matrix: str) -> np.ndarray | sp.csr_matrix:
    return sp.csr_matrix(features) if matrix == "sparse" else features


def test_one_class_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 2 classes"):
        fit_lbfgs(np.ones((5, 2)), np.zeros(5, dtype=int), 1, 1.0, 10)


def test_binomial_branches_agree_with_the_plain_formula() -> None:
    """Each of the four branches (cut at -37, -2 and 18) against log(1 + e^x) - y x in long double."""
    raw = np.array([-60.0, -37.0, -20.0, -2.0, -0.5, 0.0, 3.0, 18.0, 18.5, 25.0, 40.0])
    for y in (0.0, 1.0):
        positive = np.full_like(raw, y)
        loss, gradient = binomial_loss_gradient(raw, positive)
        wide = raw.astype(np.longdouble)
        # log(1 + e^x) - y x, written without cancellation on either side of 0
        expected_loss = np.where(wide > 0, np.log1p(np.exp(-wide)) + (1 - y) * wide, np.log1p(np.exp(wide)) - y * wide)
        expected_gradient = 1 / (1 + np.exp(-wide)) - y
        # above 18 scikit-learn's log1p(e^-x) ~ e^-x drops a term of relative size e^-x / 2 < 1e-8
        np.testing.assert_allclose(loss, expected_loss.astype(np.float64), rtol=1e-8, atol=1e-300)
        np.testing.assert_allclose(loss[raw <= 18], expected_loss[raw <= 18].astype(np.float64), rtol=1e-14)
        np.testing.assert_allclose(gradient, expected_gradient.astype(np.float64), rtol=1e-14, atol=1e-17)


def worked_in_decimals(x: float, y: int) -> tuple[float, float]:
    """log(1 + e^x) - y x and 1 / (1 + e^-x) - y in 40-digit decimal arithmetic, rounded once to a float."""
    with localcontext() as context:
        context.prec = 40
        raw = Decimal(x)  # exact: every float is a decimal fraction
        loss = (1 + raw.exp()).ln() - y * raw
        gradient = 1 / (1 + (-raw).exp()) - y
    return float(loss), float(gradient)


CUTS = [-38.0, -37.0, float(np.nextafter(-37.0, 0.0)), -36.5, -2.9, -2.0, float(np.nextafter(-2.0, 0.0)), -1.9]
CUTS += [17.9, 18.0, float(np.nextafter(18.0, 19.0)), 18.5, 19.0]


@pytest.mark.parametrize("y", [0, 1])
def test_binomial_values_either_side_of_each_cut(y: int) -> None:
    """Within two units in the last place of the exact values, but for two losses where scikit-learn's
    formulas give up accuracy: y = 0 just above -2, where log1p(e^-x) + x cancels (both terms near 2),
    and y = 1 above 18, where log1p(e^-x) ~ e^-x drops a term of relative size e^-x / 2 < 1e-8."""
    raw = np.array(CUTS)
    loss, gradient = binomial_loss_gradient(raw, np.full_like(raw, float(y)))
    expected = np.array([worked_in_decimals(x, y) for x in CUTS])
    loose = ((raw > -2) & (raw < 0)) if y == 0 else (raw > 18)
    np.testing.assert_allclose(loss[~loose], expected[~loose, 0], rtol=4e-16, atol=0)
    np.testing.assert_allclose(loss[loose], expected[loose, 0], rtol=1e-8 if y else 0, atol=0 if y else 1e-15)
    np.testing.assert_allclose(gradient, expected[:, 1], rtol=4e-16, atol=0)


def test_binomial_gradient_at_minus_37_by_hand() -> None:
    """y = 1: -1 + e^x. e^-37 = 8.5e-17 is more than half the float spacing 2^-53 = 1.1e-16 just above -1,
    so the sum rounds up to -1 + 2^-53; e^-38 = 3.1e-17 is less, so at -38 it rounds to -1."""
    _, gradient = binomial_loss_gradient(np.array([-37.0, -38.0]), np.ones(2))
    assert gradient[0] == -1 + 2.0**-53
    assert gradient[1] == -1.0


def test_a_fit_warns_nothing() -> None:
    """scipy warns about options it does not know; scikit-learn's ConvergenceWarning is not ours to give."""
    features, target = make_data(4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit_lbfgs(features, target, 4, 10.0, 3)
        fit_lbfgs(features, target, 4, 10.0, 300)
    assert [str(warning.message) for warning in caught] == []


def test_other_sparse_formats_are_fitted_as_csr() -> None:
    features, target = make_data(2, n_rows=200)
    csr = fit_lbfgs(sp.csr_matrix(features), target, 2, 1.0, 100, block_rows=64)
    for other in (sp.csc_matrix(features), sp.coo_matrix(features)):
        fit = fit_lbfgs(other, target, 2, 1.0, 100, block_rows=64)
        assert fit.coef.tobytes() == csr.coef.tobytes()
        assert fit.intercept.tobytes() == csr.intercept.tobytes()


@pytest.mark.parametrize("n_classes", [2, 3])
def test_empty_blocks_add_nothing(n_classes: int) -> None:
    """One-row blocks of an odd row count include an empty one (block_bounds(5, 1) cuts six blocks)."""
    features, target = make_data(n_classes, n_rows=5 if n_classes == 2 else 7, seed=2)
    assert (0, 0) in block_bounds(len(target), 1)
    one_block = fit_lbfgs(features, target, n_classes, 1.0, 50)
    row_by_row = fit_lbfgs(features, target, n_classes, 1.0, 50, block_rows=1)
    assert row_by_row.n_iter == one_block.n_iter
    np.testing.assert_allclose(row_by_row.coef, one_block.coef, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(row_by_row.intercept, one_block.intercept, rtol=1e-9, atol=1e-12)


def test_a_fit_is_frozen() -> None:
    fit = fit_lbfgs(np.array([[0.0], [1.0]]), np.array([0, 1]), 2, 1.0, 10)
    assert isinstance(fit, LbfgsFit)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fit.n_iter = 0  # type: ignore[misc]


THREADS: set[int] = set()


class ThreadRecordingArray(np.ndarray):
    """A dense matrix that notes the thread of every product it is the left operand of."""

    def __matmul__(self, other: object) -> np.ndarray:
        THREADS.add(threading.get_ident())
        return super().__matmul__(other)


def test_the_default_is_one_worker_the_calling_thread() -> None:
    features, target = make_data(2, n_rows=200)
    recording = features.view(ThreadRecordingArray)
    THREADS.clear()
    one = fit_lbfgs(recording, target, 2, 1.0, 5, block_rows=50)
    assert {threading.get_ident()} == THREADS
    THREADS.clear()
    two = fit_lbfgs(recording, target, 2, 1.0, 5, n_workers=2, block_rows=50)
    assert THREADS and threading.get_ident() not in THREADS
    assert one.coef.tobytes() == two.coef.tobytes()


# --- whole fits against scikit-learn (slower: last, so a mutant the quick tests catch stops early) ---


CASES = [(2, 0.5), (4, 10.0)]


@pytest.mark.parametrize("block_rows", [1 << 20, 64])
@pytest.mark.parametrize("matrix", ["dense", "sparse"])
@pytest.mark.parametrize(("n_classes", "C"), CASES)
def test_objective_is_sklearns_loss_and_gradient(matrix: str, n_classes: int, C: float, block_rows: int) -> None:
    """At given weights (not zero, not the optimum), in one block or ten: no iteration amplifies anything."""
    features, target = make_data(n_classes)
    data = as_matrix(features, matrix)
    n_outputs = 1 if n_classes == 2 else n_classes
    weights = np.random.default_rng(n_classes).normal(scale=2.0, size=n_outputs * (features.shape[1] + 1))
    base = HalfBinomialLoss() if n_classes == 2 else HalfMultinomialLoss(n_classes=n_classes)
    expected_loss, expected_gradient = LinearModelLoss(base, fit_intercept=True).loss_gradient(
        weights, data, target.astype(np.float64), l2_reg_strength=1.0 / (C * len(target))
    )
    with RowBlocks(data, 1, block_rows, None) as blocks:
        loss, gradient = make_objective(data, target.astype(np.intp), n_classes, C, blocks)(weights)
    assert loss == pytest.approx(expected_loss, rel=1e-12)
    # block sums reorder the gradient's additions: a few ulps of the largest term, not of each entry
    np.testing.assert_allclose(gradient, expected_gradient.ravel(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("matrix", ["dense", "sparse"])
@pytest.mark.parametrize(("n_classes", "C"), CASES)
def test_one_block_fit_matches_sklearn(matrix: str, n_classes: int, C: float) -> None:
    features, target = make_data(n_classes)
    data = as_matrix(features, matrix)
    estimator = LogisticRegression(C=C, max_iter=300).fit(data, target)
    fit = fit_lbfgs(data, target, n_classes, C, 300)
    assert fit.n_iter == int(estimator.n_iter_[0]) < 300
    assert fit.converged
    np.testing.assert_allclose(fit.coef, estimator.coef_, rtol=FIT_RTOL, atol=FIT_ATOL)
    np.testing.assert_allclose(fit.intercept, estimator.intercept_, rtol=FIT_RTOL, atol=FIT_ATOL)
    scores = features @ fit.coef.T + fit.intercept
    predicted = (scores[:, 0] > 0).astype(int) if n_classes == 2 else scores.argmax(axis=1)
    np.testing.assert_array_equal(predicted, estimator.predict(data))


@pytest.mark.parametrize("matrix", ["dense", "sparse"])
@pytest.mark.parametrize(("n_classes", "C"), CASES)
def test_many_blocks_match_sklearn_to_rounding(matrix: str, n_classes: int, C: float) -> None:
    features, target = make_data(n_classes)
    data = as_matrix(features, matrix)
    estimator = LogisticRegression(C=C, max_iter=300).fit(data, target)
    fit = fit_lbfgs(data, target, n_classes, C, 300, n_workers=2, block_rows=64)  # 10 blocks, the last short
    assert fit.n_iter == int(estimator.n_iter_[0])
    np.testing.assert_allclose(fit.coef, estimator.coef_, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(fit.intercept, estimator.intercept_, rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize(("n_classes", "C"), CASES)
def test_worker_count_does_not_change_a_bit(n_classes: int, C: float) -> None:
    features, target = make_data(n_classes, n_rows=900, seed=4)
    data = sp.csr_matrix(features)
    fits = [fit_lbfgs(data, target, n_classes, C, 100, n_workers=workers, block_rows=50) for workers in (1, 2, 3)]
    for fit in fits[1:]:
        assert fit.coef.tobytes() == fits[0].coef.tobytes()
        assert fit.intercept.tobytes() == fits[0].intercept.tobytes()
        assert fit.n_iter == fits[0].n_iter


def test_fits_sharing_one_pool_at_once_equal_each_fit_alone() -> None:
    """Concurrent fits whose blocks queue for one lent pool give the bytes of each fit on one thread."""
    problems = [make_data(n_classes, n_rows=rows, seed=seed) for n_classes, rows, seed in [(2, 700, 5), (4, 500, 6)]]
    alone = [fit_lbfgs(sp.csr_matrix(x), y, len(np.unique(y)), 1.0, 60, block_rows=40) for x, y in problems]
    with ThreadPoolExecutor(2) as pool, ThreadPoolExecutor(len(problems)) as drivers:
        running = [
            drivers.submit(fit_lbfgs, sp.csr_matrix(x), y, len(np.unique(y)), 1.0, 60, 1e-4, 2, 40, pool)
            for x, y in problems
        ]
        shared = [fit.result() for fit in running]
        assert pool.submit(lambda: "still open").result() == "still open"  # a lent pool is not shut down
    for one, other in zip(alone, shared, strict=True):
        assert one.coef.tobytes() == other.coef.tobytes()
        assert one.intercept.tobytes() == other.intercept.tobytes()
        assert one.n_iter == other.n_iter


def test_stops_at_max_iter_like_sklearn() -> None:
    features, target = make_data(4)
    estimator = LogisticRegression(C=10.0, max_iter=3)
    with pytest.warns(Warning, match="converge"):
        estimator.fit(features * 1000, target)
    fit = fit_lbfgs(features * 1000, target, 4, 10.0, 3)
    assert fit.n_iter == int(estimator.n_iter_[0]) == 3
    assert not fit.converged
    np.testing.assert_allclose(fit.coef, estimator.coef_, rtol=FIT_RTOL, atol=FIT_ATOL)


def test_float32_features_give_nearly_the_float64_model() -> None:
    features, target = make_data(4)
    double = fit_lbfgs(sp.csr_matrix(features), target, 4, 10.0, 300)
    single = fit_lbfgs(sp.csr_matrix(features.astype(np.float32)), target, 4, 10.0, 300, block_rows=100)
    np.testing.assert_allclose(single.coef, double.coef, rtol=0, atol=5e-3)
    scores = [features @ fit.coef.T + fit.intercept for fit in (single, double)]
    np.testing.assert_array_equal(scores[0].argmax(axis=1), scores[1].argmax(axis=1))
