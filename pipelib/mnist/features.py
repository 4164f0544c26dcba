"""MNIST pixels as the matrix a linear model is fitted on: uint8 images to CSR (or dense) floats."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

# Rows converted at a time: bounds the temporary boolean mask, not the result.
SPARSE_BLOCK_ROWS = 8192


def index_dtype(nonzeros: int) -> type[np.signedinteger]:
    """32-bit CSR indices while every offset fits in them (as scipy chooses), 64-bit from 2^31 non-zeros on."""
    return np.int64 if nonzeros >= 2**31 else np.int32


def sparse_from_pixels(pixels: np.ndarray, dtype: str) -> sp.csr_matrix:
    """uint8 images (n, d) as a CSR matrix of ``dtype``, filled in place a block of rows at a time.

    The matrix's arrays are allocated once at their final size, so the peak is the pixels
    plus the sparse matrix, with no dense float copy and no second copy from stacking blocks.
    """
    counts = np.count_nonzero(pixels, axis=1)
    indptr = np.zeros(len(pixels) + 1, dtype=index_dtype(int(counts.sum())))
    np.cumsum(counts, out=indptr[1:])
    data = np.empty(int(indptr[-1]), dtype=np.dtype(dtype))
    indices = np.empty(int(indptr[-1]), dtype=indptr.dtype)
    for start in range(0, len(pixels), SPARSE_BLOCK_ROWS):
        block = pixels[start : start + SPARSE_BLOCK_ROWS]
        nonzero = block != 0
        first, last = indptr[start], indptr[start + len(block)]
        indices[first:last] = np.nonzero(nonzero)[1]  # row-major order: the CSR order
        data[first:last] = block[nonzero]
    return sp.csr_matrix((data, indices, indptr), shape=pixels.shape, copy=False)


def as_features(pixels: np.ndarray, dtype: str, matrix: str) -> np.ndarray | sp.csr_matrix:
    """uint8 pixels converted once to what the model is fitted on.

    ``matrix="sparse"`` gives a CSR matrix: four in five MNIST pixels are 0, so the
    products inside lbfgs touch a fifth of the values, and a float64 copy of the
    augmented set takes about a third of the dense one's memory.
    """
    if matrix == "dense":
        return np.asarray(pixels, dtype=np.dtype(dtype))
    return sparse_from_pixels(pixels, dtype)
