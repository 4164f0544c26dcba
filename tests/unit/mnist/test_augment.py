"""Whole-pixel shifts against scipy's spline shift, the augmented set's layout, and the seeded shuffle."""

from __future__ import annotations

import helpers
import numpy as np
import pytest
from scipy import ndimage

from pipelib.errors import PipelineError
from pipelib.mnist.augment import augment_with_shifts, check_augmented_size, shift_images, shuffle_order

# A training set with its shifted copies may hold 20,000,000 images (docs/trust.md): 2,000,000
# readable images, ten times over.
MOST_AUGMENTED_IMAGES = 20_000_000

SHIFTS = [(1, 0), (-1, 0), (0, 1), (0, -1), (2, -3), (-4, 5), (27, 0), (0, -27), (-27, 27), (0, 0)]


@pytest.fixture(scope="module")
def images() -> np.ndarray:
    """300 digit-like images, flat (n, 784) as the pipeline stores them."""
    return helpers.blob_images(300, seed=7).reshape(300, 784)


def scipy_shift(image: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """The seed's per-image shift: ``scipy.ndimage.shift(image, [dy, dx], cval=0, mode="constant")``, rounded."""
    moved = ndimage.shift(image.reshape(28, 28).astype(float), [dy, dx], cval=0, mode="constant")
    return np.rint(moved).astype(np.uint8).reshape(image.shape)


@pytest.mark.parametrize(("dx", "dy"), SHIFTS)
def test_shift_matches_scipy(images: np.ndarray, dx: int, dy: int) -> None:
    expected = np.stack([scipy_shift(image, dx, dy) for image in images])
    shifted = shift_images(images, dx, dy)
    assert shifted.dtype == np.uint8
    assert shifted.shape == images.shape
    np.testing.assert_array_equal(shifted, expected)


def test_shift_directions() -> None:
    """dx > 0 moves right, dy > 0 moves down; pixels shifted out are lost, zeros shifted in."""
    image = np.zeros((1, 28, 28), dtype=np.uint8)
    image[0, 10, 20] = 200
    image[0, 0, 27] = 99
    right = shift_images(image.reshape(1, 784), 1, 0).reshape(28, 28)
    down = shift_images(image.reshape(1, 784), 0, 1).reshape(28, 28)
    assert right[10, 21] == 200
    assert down[11, 20] == 200
    assert down[1, 27] == 99
    assert right.sum() == 200  # the pixel at column 27 left the image


def test_shift_accepts_square_images() -> None:
    square = helpers.blob_images(5, seed=8)
    np.testing.assert_array_equal(
        shift_images(square, 2, -1).reshape(5, 784), shift_images(square.reshape(5, 784), 2, -1)
    )


def test_shift_does_not_modify_input(images: np.ndarray) -> None:
    before = images.copy()
    shift_images(images, 3, 3)
    np.testing.assert_array_equal(images, before)


@pytest.mark.parametrize(("dx", "dy"), [(28, 0), (0, -28), (100, 100)])
def test_shift_out_of_the_frame_is_blank(images: np.ndarray, dx: int, dy: int) -> None:
    assert not shift_images(images[:10], dx, dy).any()


def test_augment_layout(images: np.ndarray) -> None:
    labels = np.random.default_rng(0).integers(0, 10, size=len(images)).astype(np.uint8)
    shifts = [[1, 0], [-1, 0], [0, 1], [0, -1]]
    out_images, out_labels = augment_with_shifts(images, labels, shifts)
    n = len(images)
    assert out_images.shape == ((len(shifts) + 1) * n, 784)
    assert out_images.dtype == np.uint8
    np.testing.assert_array_equal(out_images[:n], images)
    for block, (dx, dy) in enumerate(shifts, start=1):
        np.testing.assert_array_equal(out_images[block * n : (block + 1) * n], shift_images(images, dx, dy))
    np.testing.assert_array_equal(out_labels, np.tile(labels, len(shifts) + 1))


def test_augment_without_shifts(images: np.ndarray) -> None:
    labels = np.arange(len(images)) % 10
    out_images, out_labels = augment_with_shifts(images, labels, [])
    np.testing.assert_array_equal(out_images, images)
    np.testing.assert_array_equal(out_labels, labels)


def test_shuffle_deterministic_permutation() -> None:
    first = shuffle_order(1000, 42)
    np.testing.assert_array_equal(first, shuffle_order(1000, 42))
    np.testing.assert_array_equal(np.sort(first), np.arange(1000))
    assert not np.array_equal(first, np.arange(1000))
    assert not np.array_equal(first, shuffle_order(1000, 43))


@pytest.mark.parametrize(("n", "seed"), [(1000, 42), (300_000, 42), (17, 0)])
def test_shuffle_equals_global_numpy_seed(n: int, seed: int) -> None:
    """The seed notebook's ``np.random.seed(42); np.random.permutation(n)``."""
    saved = np.random.get_state()
    try:
        np.random.seed(seed)
        expected = np.random.permutation(n)
    finally:
        np.random.set_state(saved)
    np.testing.assert_array_equal(shuffle_order(n, seed), expected)


def test_shuffle_leaves_global_state_alone() -> None:
    saved = np.random.get_state()
    try:
        np.random.seed(5)
        before = np.random.get_state()[1].copy()
        shuffle_order(100, 42)
        np.testing.assert_array_equal(np.random.get_state()[1], before)
    finally:
        np.random.set_state(saved)


@pytest.mark.parametrize(("dx", "dy"), [(29, 0), (0, 30), (-40, 0), (0, -55), (29, 29)])
def test_shift_beyond_the_frame_but_less_than_twice_its_side_is_blank(images: np.ndarray, dx: int, dy: int) -> None:
    """Between one and two sides away the slices would not line up; the image must still come out blank."""
    assert not shift_images(images[:10], dx, dy).any()


@pytest.mark.parametrize(
    ("dx", "dy", "expected"),
    [
        (27, 0, {(0, 27): 1}),
        (0, 27, {(27, 0): 1}),
        (-27, 0, {(27, 0): 2, (5, 0): 3}),
        (0, -27, {(0, 27): 2, (0, 5): 4}),
    ],
)
def test_shift_by_side_minus_one_keeps_one_line(dx: int, dy: int, expected: dict[tuple[int, int], int]) -> None:
    """A 27-pixel shift keeps only the first or last row or column, moved to the opposite edge."""
    image = np.zeros((28, 28), dtype=np.uint8)
    image[0, 0], image[27, 27], image[5, 27], image[27, 5] = 1, 2, 3, 4
    shifted = shift_images(image.reshape(1, 784), dx, dy).reshape(28, 28)
    rows, cols = np.nonzero(shifted)
    assert {(int(r), int(c)): int(shifted[r, c]) for r, c in zip(rows, cols, strict=True)} == expected


def test_shift_of_hand_built_2x2_images() -> None:
    """Two 2x2 images (side=2) moved right, down, and up-left, pixel by pixel."""
    images = np.array([[1, 2, 3, 4], [5, 6, 7, 8]], dtype=np.uint8)
    np.testing.assert_array_equal(shift_images(images, 1, 0, side=2), [[0, 1, 0, 3], [0, 5, 0, 7]])
    np.testing.assert_array_equal(shift_images(images, 0, 1, side=2), [[0, 0, 1, 2], [0, 0, 5, 6]])
    np.testing.assert_array_equal(shift_images(images, -1, -1, side=2), [[4, 0, 0, 0], [8, 0, 0, 0]])


def test_augment_with_two_shifts_by_hand(images: np.ndarray) -> None:
    labels = np.array([7, 3], dtype=np.uint8)
    two = images[:2]
    out_images, out_labels = augment_with_shifts(two, labels, [[1, 0], [0, 1]])
    assert out_images.shape == (6, 784)
    np.testing.assert_array_equal(out_labels, [7, 3, 7, 3, 7, 3])
    np.testing.assert_array_equal(out_images[:2], two)
    np.testing.assert_array_equal(out_images[2].reshape(28, 28)[:, 1:], two[0].reshape(28, 28)[:, :-1])
    np.testing.assert_array_equal(out_images[5].reshape(28, 28)[1:], two[1].reshape(28, 28)[:-1])


def test_shuffle_of_seed_zero_by_hand() -> None:
    """``np.random.seed(0); np.random.permutation(5)`` is [2, 0, 1, 3, 4] (numpy's legacy generator is frozen)."""
    np.testing.assert_array_equal(shuffle_order(5, 0), [2, 0, 1, 3, 4])


@pytest.mark.parametrize(
    ("n_images", "n_shifts"), [(2_000_000, 9), (20_000_000, 0), (1, 19_999_999), (4_000_000, 4), (0, 10**9)]
)
def test_an_augmented_set_of_at_most_twenty_million_images_is_accepted(n_images: int, n_shifts: int) -> None:
    check_augmented_size(n_images, n_shifts)  # the originals plus one copy per shift: exactly 20,000,000 or fewer


@pytest.mark.parametrize(("n_images", "n_shifts"), [(2_000_000, 10), (20_000_001, 0), (10_000_001, 1), (3, 6_666_666)])
def test_an_augmented_set_of_more_is_refused_naming_the_parameter(n_images: int, n_shifts: int) -> None:
    total = n_images * (n_shifts + 1)
    assert total > MOST_AUGMENTED_IMAGES
    with pytest.raises(
        PipelineError,
        match=rf"'mnist\.augment\.shifts': {n_shifts} shifts of {n_images:,} images make {total:,}, "
        r"more than the 20,000,000",
    ):
        check_augmented_size(n_images, n_shifts)


def test_augment_refuses_too_many_images_before_building_anything() -> None:
    """Zero-width images take no memory, so only the size check can stop the call."""
    images = np.zeros((MOST_AUGMENTED_IMAGES // 2 + 1, 0), dtype=np.uint8)
    labels = np.zeros(len(images), dtype=np.uint8)
    with pytest.raises(PipelineError, match="1 shifts of 10,000,001 images make 20,000,002"):
        augment_with_shifts(images, labels, [[1, 0]])


def test_augment_with_one_shift_doubles_the_set(images: np.ndarray) -> None:
    """An odd number of shifts too (every other test uses an even one, where ``n ^ 1 == n + 1``)."""
    labels = np.array([4, 0, 9], dtype=np.uint8)
    out_images, out_labels = augment_with_shifts(images[:3], labels, [[0, 1]])
    assert out_images.shape == (6, 784)
    np.testing.assert_array_equal(out_labels, [4, 0, 9, 4, 0, 9])
    np.testing.assert_array_equal(out_images[:3], images[:3])
    moved_down = out_images[3:].reshape(3, 28, 28)
    np.testing.assert_array_equal(moved_down[:, 1:], images[:3].reshape(3, 28, 28)[:, :-1])
    assert not moved_down[:, 0].any()
