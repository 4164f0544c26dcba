"""A feature matrix cut into fixed row blocks, and a persistent thread pool that maps over them.

A logistic loss and its gradient are sums over rows, so each block's share can be computed
independently and the shares added. scipy's sparse products and numpy's element-wise
functions release the GIL while they run, so threads give a parallel speed-up without
copying the data to other processes. Block boundaries depend on the row count only (never
on the number of workers or on timing) and the shares are added in block order, so the
result is the same bytes for any number of workers.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import TypeAlias, TypeVar

import numpy as np
import scipy.sparse as sp

# Rows per block (at most), for both objectives: small enough for a block's (rows, classes)
# temporaries to stay in cache and for two workers to share the blocks evenly, large enough that
# the per-block Python overhead is small. It is part of the models' last bits (the order of the
# sums), so changing it moves the seed's numbers (docs/fidelity.md).
BLOCK_ROWS = 8192

Result = TypeVar("Result")
Features: TypeAlias = np.ndarray | sp.csr_matrix


def block_bounds(n_rows: int, block_rows: int = BLOCK_ROWS) -> list[tuple[int, int]]:
    """(start, stop) of equal consecutive row blocks of at most about ``block_rows`` rows.

    Up to ``block_rows`` rows make one block; more make an even number of equal blocks, so
    two workers get the same share of the rows. The cut depends on the row count only.
    """
    n_blocks = 1 if n_rows <= block_rows else 2 * math.ceil(n_rows / (2 * block_rows))
    edges = [index * n_rows // n_blocks for index in range(n_blocks + 1)]
    return list(itertools.pairwise(edges))


def row_block(features: Features, start: int, stop: int) -> Features:
    """Rows ``start:stop`` as a view sharing ``features``' arrays (no copy of the data)."""
    if isinstance(features, np.ndarray):
        return features[start:stop]
    first, last = features.indptr[start], features.indptr[stop]
    indptr = features.indptr[start : stop + 1] - first
    data, indices = features.data[first:last], features.indices[first:last]
    block = sp.csr_matrix((data, indices, indptr), shape=(stop - start, features.shape[1]), copy=False)
    # scipy's format check copies a view much smaller than its base array ("pruning");
    # the block's public data and indices attributes are pointed back at the views.
    block.data, block.indices, block.indptr = data, indices, indptr.astype(indices.dtype, copy=False)
    return block


class RowBlocks:
    """``features`` as fixed row blocks, mapped over by ``n_workers`` threads kept for the object's lifetime.

    ``pool`` lends an executor shared with other fits running at the same time (the caller
    owns and shuts it down); without one the object starts its own. Use as a context
    manager so its own threads end with the fit.
    """

    def __init__(
        self, features: Features, n_workers: int, block_rows: int = BLOCK_ROWS, pool: Executor | None = None
    ) -> None:
        if not isinstance(features, np.ndarray) and features.format != "csr":
            raise TypeError(f"sparse features must be CSR, got {features.format}")
        self.bounds = block_bounds(features.shape[0], block_rows)
        self.blocks = [row_block(features, start, stop) for start, stop in self.bounds]
        self.n_workers = max(1, min(n_workers, len(self.blocks)))
        self._owns_pool = pool is None
        if pool is None and self.n_workers > 1:
            pool = ThreadPoolExecutor(self.n_workers)
        self._pool = pool

    def map(self, function: Callable[[int, Features], Result]) -> list[Result]:
        """``function(index, block)`` for every block, in block order whatever the workers' timing."""
        if self._pool is None:
            return [function(index, block) for index, block in enumerate(self.blocks)]
        return list(self._pool.map(function, range(len(self.blocks)), self.blocks))

    def close(self) -> None:
        if self._pool is not None and self._owns_pool:
            self._pool.shutdown()
        self._pool = None

    def __enter__(self) -> RowBlocks:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
