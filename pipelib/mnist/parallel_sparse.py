"""A CSR matrix whose products with dense matrices use several cores.

Inside lbfgs, logistic regression spends its time in two products with the training
matrix: ``X @ W.T`` (scores) and ``G.T @ X`` (gradient). scipy computes both on one core.
This CSR subclass keeps fixed row blocks (views of its own arrays, no copy) and multiplies
the blocks in threads (scipy's sparse kernels release the GIL): the scores are stacked,
the gradient blocks summed in block order. Block boundaries depend only on the row count
and the block count, never on timing, so results are deterministic. Everything else is a
plain ``csr_matrix``; where scikit-learn takes another path, the products are still right,
only on one core.
"""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp


def row_block_views(matrix: sp.csr_matrix, n_blocks: int) -> tuple[np.ndarray, list[sp.csr_matrix]]:
    """Row boundaries and CSR views of ``n_blocks`` consecutive row blocks (data shared)."""
    bounds = np.linspace(0, matrix.shape[0], n_blocks + 1).round().astype(np.int64)
    blocks = []
    for start, stop in itertools.pairwise(bounds):
        first, last = matrix.indptr[start], matrix.indptr[stop]
        indptr = matrix.indptr[start : stop + 1] - first
        data, indices = matrix.data[first:last], matrix.indices[first:last]
        block = sp.csr_matrix((data, indices, indptr), shape=(int(stop - start), matrix.shape[1]), copy=False)
        # scipy copies a view smaller than half its base ("pruning"); put the views back.
        block.data, block.indices = data, indices
        blocks.append(block)
    return bounds, blocks


class RowParallelCSR(sp.csr_matrix):
    """``csr_matrix`` with multi-threaded products with dense matrices."""

    _row_bounds: np.ndarray | None = None
    _row_blocks: list[sp.csr_matrix] | None = None

    @classmethod
    def from_csr(cls, matrix: sp.csr_matrix, n_blocks: int) -> RowParallelCSR:
        """Wrap a CSR matrix (sharing its arrays) to multiply in ``n_blocks`` row blocks."""
        wrapped = cls((matrix.data, matrix.indices, matrix.indptr), shape=matrix.shape, copy=False)
        if n_blocks > 1 and matrix.shape[0] >= n_blocks:
            wrapped._row_bounds, wrapped._row_blocks = row_block_views(wrapped, n_blocks)
        return wrapped

    def _matmul_multivector(self, other: np.ndarray) -> np.ndarray:
        blocks = self._row_blocks
        if blocks is None or self.ndim != 2:
            return super()._matmul_multivector(other)
        with ThreadPoolExecutor(len(blocks)) as pool:
            parts = list(pool.map(lambda block: block @ other, blocks))
        return np.vstack(parts)

    def _rmatmul_dispatch(self, other: object) -> object:
        blocks, bounds = self._row_blocks, self._row_bounds
        if (
            blocks is None
            or bounds is None
            or not isinstance(other, np.ndarray)
            or other.ndim != 2
            or other.shape[1] != self.shape[0]
        ):
            return super()._rmatmul_dispatch(other)
        pieces = [other[:, start:stop] for start, stop in itertools.pairwise(bounds)]
        with ThreadPoolExecutor(len(blocks)) as pool:
            parts = list(pool.map(lambda pair: pair[0] @ pair[1], zip(pieces, blocks, strict=True)))
        total = parts[0]
        for part in parts[1:]:
            total = total + part
        return total
