"""L2-penalised logistic regression by L-BFGS, as ``LogisticRegression(solver="lbfgs")`` fits it.

scikit-learn's ``fit`` multiplies by the training matrix inside its own loss function and
offers no supported way to run those products in parallel, so the objective and the
optimiser call are owned here, following scikit-learn 1.9's ``_logistic.py`` and
``_linear_loss.py``:

* objective: the mean over rows of the half multinomial loss (``log sum exp(raw) - raw[y]``)
  or, for two classes, of the half binomial loss (``log(1 + exp(raw)) - y raw``), plus
  ``||W||^2 / (2 C n)``; the intercept is not penalised;
* parameters laid out as scikit-learn lays them out (two classes: ``[w, b]``; more:
  the ``(k, d + 1)`` array raveled in Fortran order, the classes of one feature adjacent),
  starting from zeros;
* ``scipy.optimize.minimize(method="L-BFGS-B", jac=True)`` with ``maxiter=max_iter``,
  ``maxls=50``, ``gtol=tol``, ``ftol=64 * eps``; the iteration count is ``min(nit, max_iter)``.

Each evaluation sums per-block shares of the loss and gradient (:class:`RowBlocks`), so the
two products with the training matrix and the element-wise work run on all workers, and
the result does not depend on how many there are.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from pipelib.mnist.row_blocks import BLOCK_ROWS, Features, RowBlocks

DEFAULT_TOL = 1e-4  # LogisticRegression's default


@dataclass(frozen=True)
class LbfgsFit:
    """Coefficients (k, d), intercepts (k,) (k = 1 for two classes) and lbfgs iterations."""

    coef: np.ndarray
    intercept: np.ndarray
    n_iter: int
    converged: bool


Share = tuple[float, np.ndarray, np.ndarray]


def _multinomial_share(
    weights: np.ndarray, intercept: np.ndarray, codes: np.ndarray, bounds: list[tuple[int, int]], n_rows: int
) -> Callable[[int, Features], Share]:
    """One block's summed loss, gradient w.r.t. the weights (k, d) and w.r.t. the intercepts (k,)."""

    def share(index: int, block: Features) -> Share:
        start, stop = bounds[index]
        raw = np.asarray(block @ weights, dtype=np.float64)
        raw += intercept
        labels = codes[start:stop]
        rows = np.arange(len(raw))
        top = raw.max(axis=1)  # (0,) for an empty block: the reduced axis is the classes'
        probability = np.exp(raw - top[:, None])
        total = probability.sum(axis=1)
        loss = float(np.sum(np.log(total) + top - raw[rows, labels]))
        probability /= total[:, None]
        probability[rows, labels] -= 1.0
        probability /= n_rows  # scikit-learn scales the pointwise gradient before the product
        gradient = np.asarray(probability.astype(block.dtype, copy=False).T @ block, dtype=np.float64)
        return loss, gradient, probability.sum(axis=0)

    return share


def binomial_loss_gradient(raw: np.ndarray, positive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise half binomial loss ``log(1 + exp(raw)) - y raw`` and its gradient ``expit(raw) - y``.

    The same four overflow-safe branches as scikit-learn's ``closs_grad_half_binomial``.
    """
    loss, gradient = np.empty_like(raw), np.empty_like(raw)
    y = positive
    branch = raw <= -37
    r, t, e = raw[branch], y[branch], np.exp(raw[branch])
    loss[branch], gradient[branch] = e - t * r, e - t
    branch = (raw > -37) & (raw <= -2)
    r, t, e = raw[branch], y[branch], np.exp(raw[branch])
    loss[branch], gradient[branch] = np.log1p(e) - t * r, ((1 - t) * e - t) / (1 + e)
    branch = (raw > -2) & (raw <= 18)
    r, t, e = raw[branch], y[branch], np.exp(-raw[branch])
    loss[branch], gradient[branch] = np.log1p(e) + (1 - t) * r, ((1 - t) - t * e) / (1 + e)
    branch = raw > 18
    r, t, e = raw[branch], y[branch], np.exp(-raw[branch])
    loss[branch], gradient[branch] = e + (1 - t) * r, ((1 - t) - t * e) / (1 + e)
    return loss, gradient


def _binomial_share(
    weights: np.ndarray, intercept: float, positive: np.ndarray, bounds: list[tuple[int, int]], n_rows: int
) -> Callable[[int, Features], Share]:
    """One block's summed loss, gradient w.r.t. the weights (d,) and w.r.t. the intercept (1,)."""

    def share(index: int, block: Features) -> Share:
        start, stop = bounds[index]
        raw = np.asarray(block @ weights, dtype=np.float64)
        raw += intercept
        loss, pointwise = binomial_loss_gradient(raw, positive[start:stop])
        pointwise /= n_rows
        gradient = np.asarray(block.T @ pointwise.astype(block.dtype, copy=False), dtype=np.float64)
        return float(np.sum(loss)), gradient, np.array([pointwise.sum()])

    return share


def _sum_shares(shares: list[Share]) -> Share:
    """Add the blocks' shares in block order (a fixed order: the same bytes every run)."""
    loss, gradient, intercept = shares[0]
    gradient, intercept = gradient.copy(), intercept.copy()
    for block_loss, block_gradient, block_intercept in shares[1:]:
        loss += block_loss
        gradient += block_gradient
        intercept += block_intercept
    return loss, gradient, intercept


Objective = Callable[[np.ndarray], tuple[float, np.ndarray]]


def make_objective(features: Features, codes: np.ndarray, n_classes: int, C: float, blocks: RowBlocks) -> Objective:
    """scikit-learn's ``LinearModelLoss.loss_gradient`` at flat parameters ``x``, summed over ``blocks``."""
    n_rows, n_features = features.shape
    binary = n_classes == 2
    penalty = 1.0 / (C * n_rows)
    positive = codes.astype(np.float64)  # the binomial loss's y in {0, 1}

    def objective(x: np.ndarray) -> tuple[float, np.ndarray]:
        if binary:
            weights, intercept = x[:n_features], x[n_features]
            share = _binomial_share(weights.astype(features.dtype), float(intercept), positive, blocks.bounds, n_rows)
        else:
            full = x.reshape((n_classes, n_features + 1), order="F")
            weights, intercept = full[:, :n_features], full[:, n_features]
            share = _multinomial_share(
                np.ascontiguousarray(weights.T, dtype=features.dtype), intercept, codes, blocks.bounds, n_rows
            )
        loss, gradient, gradient_intercept = _sum_shares(blocks.map(share))
        flat = weights.ravel()
        loss = loss / n_rows + float(0.5 * penalty * (flat @ flat))
        if binary:
            return loss, np.concatenate([gradient + penalty * weights, gradient_intercept])
        grad = np.empty((n_classes, n_features + 1), order="F")
        grad[:, :n_features] = gradient + penalty * weights
        grad[:, n_features] = gradient_intercept
        return loss, grad.ravel(order="F")

    return objective


def fit_lbfgs(
    features: Features,
    codes: np.ndarray,
    n_classes: int,
    C: float,
    max_iter: int,
    tol: float = DEFAULT_TOL,
    n_workers: int = 1,
    block_rows: int = BLOCK_ROWS,
    pool: Executor | None = None,
) -> LbfgsFit:
    """Fit on ``features`` (n, d) with class codes ``codes`` (n,) in ``0..n_classes-1``.

    Two classes give the binomial model of class 1 against class 0 (one coefficient row),
    as scikit-learn's ``classes_[1]`` is the positive class. ``pool`` shares block workers
    with fits running alongside.
    """
    n_features = features.shape[1]
    if n_classes < 2:
        raise ValueError(f"logistic regression needs at least 2 classes, got {n_classes}")
    if not isinstance(features, np.ndarray):
        features = features.tocsr()  # a CSR matrix is returned as it is, not copied
    codes = np.ascontiguousarray(codes, dtype=np.intp)
    binary = n_classes == 2
    n_outputs = 1 if binary else n_classes
    with RowBlocks(features, n_workers, block_rows, pool) as blocks:
        result = optimize.minimize(
            make_objective(features, codes, n_classes, C, blocks),
            np.zeros(n_outputs * (n_features + 1)),
            method="L-BFGS-B",
            jac=True,
            options={"maxiter": max_iter, "maxls": 50, "gtol": tol, "ftol": 64 * np.finfo(float).eps},
        )
    n_iter = min(int(result.nit), max_iter)
    if binary:
        coef, intercept = result.x[:n_features][None, :].copy(), result.x[n_features:].copy()
    else:
        full = result.x.reshape((n_classes, n_features + 1), order="F")
        coef, intercept = np.ascontiguousarray(full[:, :n_features]), full[:, n_features].copy()
    return LbfgsFit(coef, intercept, n_iter, bool(result.success))
