"""Row blocks (pipelib/mnist/row_blocks.py): where the cuts fall, which threads run them, views not copies."""

from __future__ import annotations

import itertools
import threading
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import scipy.sparse as sp

from pipelib.mnist.row_blocks import BLOCK_ROWS, RowBlocks, block_bounds, row_block


def test_default_blocks_are_at_most_8192_rows() -> None:
    """docs/performance.md: at most 8,192 rows a block; past that an even number of equal blocks."""
    assert block_bounds(8191) == [(0, 8191)]
    assert block_bounds(8192) == [(0, 8192)]
    assert block_bounds(8193) == [(0, 4096), (4096, 8193)]
    assert block_bounds(16384) == [(0, 8192), (8192, 16384)]
    assert block_bounds(16385) == [(0, 4096), (4096, 8192), (8192, 12288), (12288, 16385)]


def test_small_block_sizes_by_hand() -> None:
    assert block_bounds(1, 1) == [(0, 1)]
    assert block_bounds(2, 1) == [(0, 1), (1, 2)]
    assert block_bounds(3, 1) == [(0, 0), (0, 1), (1, 2), (2, 3)]  # more blocks than rows: one is empty
    assert block_bounds(9, 3) == [(0, 2), (2, 4), (4, 6), (6, 9)]
    assert block_bounds(12, 3) == [(0, 3), (3, 6), (6, 9), (9, 12)]
    assert block_bounds(13, 3) == [(0, 2), (2, 4), (4, 6), (6, 8), (8, 10), (10, 13)]


def test_worker_count_is_between_one_and_the_block_count() -> None:
    rows = np.zeros((20, 2))
    assert RowBlocks(rows, n_workers=4, block_rows=20).n_workers == 1  # one block
    assert RowBlocks(rows, n_workers=0, block_rows=5).n_workers == 1
    with RowBlocks(rows, n_workers=8, block_rows=5) as blocks:  # four blocks
        assert blocks.n_workers == 4
    with RowBlocks(rows, n_workers=2, block_rows=5) as blocks:
        assert blocks.n_workers == 2


def thread_of_each_block(blocks: RowBlocks) -> list[threading.Thread]:
    return blocks.map(lambda index, block: threading.current_thread())


def test_one_worker_runs_the_blocks_in_the_calling_thread() -> None:
    with RowBlocks(np.zeros((20, 2)), n_workers=1, block_rows=5) as blocks:
        assert thread_of_each_block(blocks) == [threading.current_thread()] * 4


def test_own_workers_run_the_blocks_and_end_with_the_object() -> None:
    with RowBlocks(np.zeros((20, 2)), n_workers=2, block_rows=5) as blocks:
        threads = thread_of_each_block(blocks)
        assert len(threads) == 4
        assert threading.current_thread() not in threads
        assert all(thread.is_alive() for thread in threads)
    assert not any(thread.is_alive() for thread in threads)  # shut down (and joined) on exit


def test_a_lent_pool_runs_the_blocks_and_outlives_the_object() -> None:
    with ThreadPoolExecutor(2, thread_name_prefix="lent") as pool:
        with RowBlocks(np.zeros((20, 2)), n_workers=2, block_rows=5, pool=pool) as blocks:
            names = [thread.name for thread in thread_of_each_block(blocks)]
        assert len(names) == 4
        assert all(name.startswith("lent_") for name in names)
        assert pool.submit(lambda: "still open").result() == "still open"


def test_a_block_of_every_row_copies_no_data() -> None:
    """The block's arrays are the matrix's: building it allocates its row pointers only."""
    n_rows = 100_000
    features = sp.csr_matrix(
        (np.ones(n_rows), np.zeros(n_rows, dtype=np.int32), np.arange(n_rows + 1, dtype=np.int32)), shape=(n_rows, 3)
    )
    pointers = features.indptr.nbytes  # 400,004 bytes, as are the indices; the values are 800,000
    tracemalloc.start()
    try:
        block = row_block(features, 0, n_rows)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1.5 * pointers
    assert np.shares_memory(block.data, features.data)
    assert np.shares_memory(block.indices, features.indices)
    np.testing.assert_array_equal(block.indptr, features.indptr)


def test_mnist_row_counts_make_even_block_counts() -> None:
    """The binary fits' 60,000 and 40,000 rows and the augmented 300,000: even counts, for two workers."""
    assert BLOCK_ROWS == 8192
    assert len(block_bounds(60_000)) == 8
    assert len(block_bounds(40_000)) == 6
    assert len(block_bounds(300_000)) == 38


def test_block_bounds_cover_the_rows_in_order() -> None:
    assert block_bounds(0, 4) == [(0, 0)]
    assert block_bounds(4, 4) == [(0, 4)]
    assert block_bounds(5, 4) == [(0, 2), (2, 5)]
    assert block_bounds(10, 4) == [(0, 2), (2, 5), (5, 7), (7, 10)]  # an even count of near-equal blocks
    folds = block_bounds(40000, 8192)  # a 3-fold training set of the binary classifier
    assert len(folds) == 6
    assert {stop - start for start, stop in folds} == {6666, 6667}
    assert folds[0][0] == 0 and folds[-1][1] == 40000
    assert all(left[1] == right[0] for left, right in itertools.pairwise(folds))


@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_row_blocks_are_views_with_the_same_products(index_dtype: type) -> None:
    features = sp.random(1000, 30, density=0.3, format="csr", random_state=0)
    features.indices = features.indices.astype(index_dtype)
    features.indptr = features.indptr.astype(index_dtype)
    weights = np.random.default_rng(0).normal(size=(30, 3))
    for start, stop in block_bounds(1000, 128):
        block = row_block(features, start, stop)
        assert np.shares_memory(block.data, features.data)
        assert np.shares_memory(block.indices, features.indices)
        assert block.indptr.dtype == block.indices.dtype
        np.testing.assert_array_equal(block @ weights, (features @ weights)[start:stop])
        np.testing.assert_array_equal(block.toarray(), features[start:stop].toarray())


def test_map_returns_results_in_block_order_whatever_finishes_first() -> None:
    features = np.arange(40.0).reshape(20, 2)

    def first_row_later_blocks_first(index: int, block: np.ndarray) -> float:
        time.sleep(0.02 * (4 - index))  # block 0 finishes last
        return float(block[0, 0])

    with RowBlocks(features, n_workers=3, block_rows=5) as blocks:
        assert blocks.n_workers == 3
        assert blocks.map(first_row_later_blocks_first) == [0.0, 10.0, 20.0, 30.0]


def test_row_blocks_refuse_csc() -> None:
    with pytest.raises(TypeError, match="CSR"):
        RowBlocks(sp.csc_matrix(np.eye(3)), 2)
