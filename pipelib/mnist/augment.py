"""Whole-pixel image shifts, vectorised over the data set, and the seeded shuffle.

``shift_images(images, dx, dy)`` gives the same pixels as the seed's
``scipy.ndimage.shift(image, [dy, dx], cval=0, mode="constant")`` rounded to uint8, for
integer shifts, but moves all images at once with one slice copy instead of a spline
filter per image.
"""

from __future__ import annotations

import numpy as np

from pipelib.errors import PipelineError
from pipelib.mnist.dataset import MAX_AUGMENTED_IMAGES, SIDE


def shift_images(images: np.ndarray, dx: int, dy: int, side: int = SIDE) -> np.ndarray:
    """Images (n, side*side) moved dx pixels right and dy pixels down, zeros shifted in.

    A shift of a whole side or more leaves nothing: it is clamped to one side, where both
    slices are empty. (Written with ``side - max(...)`` stops, which never run past the
    frame, so no part of the arithmetic is hidden by numpy clipping a slice.)
    """
    dx, dy = (min(max(shift, -side), side) for shift in (dx, dy))
    square = images.reshape(len(images), side, side)
    out = np.zeros_like(square)
    target_rows = slice(max(dy, 0), side - max(-dy, 0))
    source_rows = slice(max(-dy, 0), side - max(dy, 0))
    target_cols = slice(max(dx, 0), side - max(-dx, 0))
    source_cols = slice(max(-dx, 0), side - max(dx, 0))
    out[:, target_rows, target_cols] = square[:, source_rows, source_cols]
    return out.reshape(images.shape)


def check_augmented_size(n_images: int, n_shifts: int) -> None:
    """Refuse shifts that would make a set larger than a reader accepts (MAX_AUGMENTED_IMAGES)."""
    total = n_images * (n_shifts + 1)
    if total > MAX_AUGMENTED_IMAGES:
        raise PipelineError(
            f"params.yaml: 'mnist.augment.shifts': {n_shifts} shifts of {n_images:,} images make {total:,}, "
            f"more than the {MAX_AUGMENTED_IMAGES:,} a training set may hold"
        )


def augment_with_shifts(
    images: np.ndarray, labels: np.ndarray, shifts: list[list[int]]
) -> tuple[np.ndarray, np.ndarray]:
    """The originals followed by one shifted copy of the whole set per (dx, dy), labels kept."""
    check_augmented_size(len(images), len(shifts))
    n = len(images)
    out_images = np.empty(((len(shifts) + 1) * n, images.shape[1]), dtype=images.dtype)
    out_images[:n] = images
    for block, (dx, dy) in enumerate(shifts, start=1):
        out_images[block * n : (block + 1) * n] = shift_images(images, dx, dy)
    return out_images, np.tile(labels, len(shifts) + 1)


def shuffle_order(n: int, seed: int) -> np.ndarray:
    """The seed's permutation: ``np.random.seed(seed); np.random.permutation(n)``."""
    return np.random.RandomState(seed).permutation(n)
