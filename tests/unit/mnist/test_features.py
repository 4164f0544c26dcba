"""Pixels to the fitted matrix: a CSR matrix built by hand, its index types, and no second copy."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp

from pipelib.mnist.features import as_features, index_dtype, sparse_from_pixels


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_small_csr_matrix_by_hand(dtype: str) -> None:
    pixels = np.array([[0, 3, 0], [0, 0, 0], [255, 0, 1]], dtype=np.uint8)
    matrix = sparse_from_pixels(pixels, dtype)
    assert isinstance(matrix, sp.csr_matrix)
    assert matrix.shape == (3, 3)
    assert matrix.dtype == np.dtype(dtype)
    assert matrix.data.tolist() == [3.0, 255.0, 1.0]
    assert matrix.indices.tolist() == [1, 0, 2]
    assert matrix.indptr.tolist() == [0, 1, 1, 3]


def test_index_arrays_are_32_bit_below_2_to_the_31_nonzeros() -> None:
    matrix = sparse_from_pixels(np.full((100, 784), 255, dtype=np.uint8), "float64")
    assert matrix.nnz == 78_400
    assert matrix.indptr.dtype == np.int32
    assert matrix.indices.dtype == np.int32


INT32_MAX = 2_147_483_647  # the largest offset 32-bit CSR indices hold


@pytest.mark.parametrize(
    ("nonzeros", "expected"),
    [(0, np.int32), (INT32_MAX, np.int32), (INT32_MAX + 1, np.int64), (10 * INT32_MAX, np.int64)],
)
def test_indices_turn_64_bit_exactly_when_an_offset_would_pass_the_int32_maximum(
    nonzeros: int, expected: type[np.signedinteger]
) -> None:
    # indptr[-1] == nonzeros must fit: an 8 GiB matrix reaches it, so the cut is tested on the count alone
    assert index_dtype(nonzeros) is expected
    assert np.iinfo(expected).max >= nonzeros


def test_the_matrix_is_built_without_a_second_copy() -> None:
    """The peak is the matrix plus one block's temporaries, far below two matrices."""
    pixels = np.random.default_rng(0).integers(0, 256, size=(40_000, 784), dtype=np.uint8)
    pixels[pixels < 192] = 0  # a quarter of the pixels are not 0
    tracemalloc.start()
    try:
        matrix = as_features(pixels, "float32", "sparse")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    size = matrix.data.nbytes + matrix.indices.nbytes + matrix.indptr.nbytes
    assert 0.24 < matrix.nnz / pixels.size < 0.26
    assert peak < 1.7 * size
    np.testing.assert_array_equal(matrix[-3:].toarray(), pixels[-3:])


def test_dense_features_are_the_pixels_as_floats() -> None:
    pixels = np.array([[0, 3], [255, 1]], dtype=np.uint8)
    dense = as_features(pixels, "float32", "dense")
    assert isinstance(dense, np.ndarray)
    assert dense.dtype == np.float32
    assert dense.tolist() == [[0.0, 3.0], [255.0, 1.0]]
