"""--prepare: drawn pages made into MNIST digits, checked against MNIST's own layout worked out by hand.

MNIST's layout (LeCun's description, and the test digits' own statistics): the digit fits a
20 x 20 box, its longer side spanning it, aspect ratio kept, pasted into 28 x 28 with its
centre of mass at row 14, column 14 (a whole-pixel shift, so within half a pixel).
"""

from __future__ import annotations

from pathlib import Path

import helpers
import numpy as np
import pytest
from PIL import Image, ImageDraw
from scipy import ndimage

from pipelib.errors import PipelineError
from pipelib.mnist.idx import read_idx_images
from pipelib.predict.images import read_digit_png
from pipelib.predict.prepare import prepare_digit

MNIST_TEST_IMAGES = helpers.SHARED_DATA / "mnist" / "t10k-images-idx3-ubyte.gz"
NO_DIGIT = "no digit found (no ink differs from the paper by 48 grey levels)"


def page(width: int = 240, height: int = 320, paper: int = 230) -> np.ndarray:
    return np.full((height, width), paper, dtype=np.uint8)


def prepared(grey: np.ndarray, invert: bool = False) -> np.ndarray:
    return prepare_digit(grey, "page.png", invert).reshape(28, 28)


def ink_box(digit: np.ndarray) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of the nonzero pixels, bottom and right exclusive."""
    rows, columns = np.flatnonzero(digit.any(axis=1)), np.flatnonzero(digit.any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(columns[0]), int(columns[-1]) + 1


def centre_of_mass(digit: np.ndarray) -> np.ndarray:
    return np.array(ndimage.center_of_mass(digit.astype(np.float64)))


def block(top: int, left: int, height: int, width: int) -> np.ndarray:
    expected = np.zeros((28, 28), dtype=np.uint8)
    expected[top : top + height, left : left + width] = 255
    return expected


# A bar 4 times as tall as wide becomes 20 x 5 pixels of 255. Its mass is at its middle
# (row 9.5, column 2 of the bar), so the shift puts it at rows 4-23 (14 - 9.5 = 4.5, rounded
# to 4 as Python rounds halves to even) and columns 12-16 (14 - 2).
TALL_BAR = block(4, 12, 20, 5)
WIDE_BAR = block(12, 4, 5, 20)


@pytest.mark.parametrize(
    ("top", "left", "height", "width"),
    [(30, 40, 40, 10), (200, 150, 80, 20), (0, 0, 320, 80), (150, 100, 8, 2), (10, 200, 20, 5)],
)
def test_a_tall_bar_anywhere_and_of_any_size_fills_the_box(top: int, left: int, height: int, width: int) -> None:
    grey = page()
    grey[top : top + height, left : left + width] = 20
    np.testing.assert_array_equal(prepared(grey), TALL_BAR)


def test_a_wide_bar_fills_the_box_across() -> None:
    grey = page(width=640, height=480)
    grey[300:310, 50:90] = 20
    np.testing.assert_array_equal(prepared(grey), WIDE_BAR)


def test_a_gamma_shape_is_centred_by_its_mass_not_its_box() -> None:
    """A bar 20 x 4 over a bar 4 x 16 below its left end, already 20 x 20 (so not rescaled).

    Mass 80 at (1.5, 9.5) and 64 at (11.5, 1.5): centre (856 / 144, 856 / 144) = (5.94, 5.94);
    the shift is round(14 - 5.94) = 8 both ways, so the shape sits at rows and columns 8-27
    (a box centred in the frame would start at 4).
    """
    grey = page()
    grey[100:104, 60:80] = 10
    grey[104:120, 60:64] = 10
    expected = np.zeros((28, 28), dtype=np.uint8)
    expected[8:12, 8:28] = 255
    expected[12:28, 8:12] = 255
    np.testing.assert_array_equal(prepared(grey), expected)


def test_a_hairline_stays_one_pixel_wide() -> None:
    """200 x 4 pixels scale to 20 x 0.4: one column (none would lose the digit), mass at column 0, so column 14."""
    grey = page()
    grey[60:260, 100:104] = 20
    np.testing.assert_array_equal(prepared(grey), block(4, 14, 20, 1))
    np.testing.assert_array_equal(prepared(grey.T.copy()), block(14, 4, 1, 20))


def lopsided() -> np.ndarray:
    """A bar 20 x 4 over a stem 2 x 16 below its left end, on a page: already 20 x 20, not rescaled.

    Mass 80 at (1.5, 9.5) and 32 at (11.5, 0.5): centre (488 / 112, 776 / 112) = (4.36, 6.93).
    Centring would shift it down by round(9.64) = 10, its bottom to row 30: the shift is
    held at 8, the bottom row of the frame. Across: round(14 - 6.93) = 7.
    """
    grey = page()
    grey[100:104, 60:80] = 10
    grey[104:120, 60:62] = 10
    return grey


def test_a_digit_too_lopsided_to_centre_stays_whole_in_the_frame() -> None:
    expected = np.zeros((28, 28), dtype=np.uint8)
    expected[8:12, 7:27] = 255
    expected[12:28, 7:9] = 255
    np.testing.assert_array_equal(prepared(lopsided()), expected)
    # Upside down it would start at row -1: held at row 0. Transposed, the same across.
    np.testing.assert_array_equal(prepared(np.flipud(lopsided()).copy()), np.flipud(expected))
    np.testing.assert_array_equal(prepared(lopsided().T.copy()), expected.T)
    np.testing.assert_array_equal(prepared(np.flipud(lopsided()).T.copy()), np.flipud(expected).T)


def ring(width: int, height: int, stroke: int, left: int, top: int, paper: int = 230, ink: int = 20) -> np.ndarray:
    grey = page(paper=paper)
    image = Image.fromarray(grey)
    ImageDraw.Draw(image).ellipse((left, top, left + width - 1, top + height - 1), outline=ink, width=stroke)
    return np.asarray(image)


@pytest.mark.parametrize(
    ("width", "height", "stroke", "left", "top"),
    [(60, 100, 10, 20, 30), (100, 60, 10, 100, 200), (160, 160, 20, 0, 0), (40, 200, 8, 150, 100), (12, 18, 2, 5, 5)],
)
def test_a_ring_spans_the_box_on_its_long_side_and_keeps_its_aspect_ratio(
    width: int, height: int, stroke: int, left: int, top: int
) -> None:
    digit = prepared(ring(width, height, stroke, left, top))
    upper, lower, first, last = ink_box(digit)
    long_side, short_side = max(lower - upper, last - first), min(lower - upper, last - first)
    assert long_side == 20
    assert abs(short_side - 20 * min(width, height) / max(width, height)) <= 1  # the box's edge pixels are partial
    assert np.abs(centre_of_mass(digit) - 14).max() <= 0.5
    assert digit.max() == 255 and digit[14, 14] < 128  # light ink, dark paper inside the ring


def test_polarity_comes_from_the_border() -> None:
    dark_on_light = ring(60, 100, 10, 20, 30, paper=235, ink=35)
    light_on_dark = ring(60, 100, 10, 20, 30, paper=20, ink=220)
    underexposed = ring(60, 100, 10, 20, 30, paper=100, ink=0)  # grey paper, still lighter than the ink
    chalk = ring(60, 100, 10, 20, 30, paper=120, ink=250)  # grey board, still darker than the chalk
    expected = prepared(dark_on_light)
    assert expected[0, 0] == 0 and expected.max() == 255
    for grey in (light_on_dark, underexposed, chalk):
        np.testing.assert_array_equal(prepared(grey), expected)
    np.testing.assert_array_equal(prepared(dark_on_light, invert=True), expected)


def test_invert_forces_dark_ink_even_on_dark_paper() -> None:
    light_on_dark = ring(60, 100, 10, 20, 30, paper=20, ink=220)
    with pytest.raises(PipelineError, match=r"^page\.png: no digit found"):
        prepared(light_on_dark, invert=True)  # the ink is lighter than the paper: none darker


def test_a_blank_page_is_refused_in_one_line_naming_it() -> None:
    expected = f"page.png: {NO_DIGIT}"
    for grey in (page(), page(paper=0), page(paper=255), page(width=1, height=1)):
        with pytest.raises(PipelineError) as caught:
            prepared(grey)
        assert str(caught.value) == expected


def test_ink_must_differ_from_the_paper_by_48_grey_levels() -> None:
    grey = page(paper=200)
    grey[30:70, 40:50] = 152
    np.testing.assert_array_equal(prepared(grey), TALL_BAR)
    grey[30:70, 40:50] = 153
    with pytest.raises(PipelineError, match=r"^page\.png: no digit found"):
        prepared(grey)


def test_noise_is_what_stays_within_six_standard_deviations_of_the_paper() -> None:
    """Paper of tones 195, 200, 205 in turn: median 200, median absolute deviation 5.

    Normal noise of that spread has standard deviation 5 x 1.4826 = 7.413; six of them are
    44.48 grey levels. A speck 44 levels darker than the paper is noise, 45 is ink (far
    below the bar, it stretches the crop).
    """
    rows, columns = np.indices((320, 240))
    grey = np.choose((rows + columns) % 3, [195, 200, 205]).astype(np.uint8)
    grey[30:70, 40:50] = 50
    grey[300, 200] = 200 - 44
    np.testing.assert_array_equal(prepared(grey), TALL_BAR)
    grey[300, 200] = 200 - 45
    upper, lower, _, _ = ink_box(prepared(grey))
    assert lower - upper <= 4  # the crop reaches the speck: 271 rows into 20, the bar's 40 into 3


def textured(seed: int, width: int = 240, height: int = 320) -> np.ndarray:
    """Paper of tone 200 with a grain of +-20 grey levels (uniform), the texture of a scan or photo."""
    rng = np.random.default_rng(seed)
    return (200 + rng.integers(-20, 21, size=(height, width))).astype(np.uint8)


def test_a_blank_page_with_faint_paper_texture_is_refused() -> None:
    with pytest.raises(PipelineError, match=r"^page\.png: no digit found"):
        prepared(textured(seed=1))


def test_paper_texture_is_not_ink() -> None:
    grey = textured(seed=2)
    grey[50:90, 30:40] -= 170  # the tall bar, its ink as grainy as the paper
    digit = prepared(grey)
    top = 4 if ink_box(digit) == (4, 24, 12, 17) else 5  # the grain breaks the clean bar's tie, 14 - 9.5
    assert ink_box(digit) == (top, top + 20, 12, 17)
    assert digit[top : top + 20, 12:17].min() > 0 and digit.max() == 255
    assert np.abs(centre_of_mass(digit) - 14).max() <= 0.5


def mnist_test_digits(count: int) -> np.ndarray:
    if not MNIST_TEST_IMAGES.is_file():
        pytest.skip(f"no {MNIST_TEST_IMAGES}")
    return read_idx_images(MNIST_TEST_IMAGES)[:count].reshape(count, 28, 28)


def photographed(digit: np.ndarray, factor: int, offset: tuple[int, int], size: tuple[int, int]) -> np.ndarray:
    """``digit`` enlarged ``factor`` times, as dark ink (tone 255 - pixel) on a page of ``size`` (width, height)."""
    enlarged = Image.fromarray(255 - digit).resize((28 * factor, 28 * factor), Image.Resampling.BILINEAR)
    grey = Image.new("L", size, 255)
    grey.paste(enlarged, offset)
    return np.asarray(grey)


def test_mnist_digits_are_laid_out_as_prepare_lays_them() -> None:
    """The constants' source: MNIST's test digits span 20 pixels on their long side, centre of mass at (14, 14)."""
    digits = mnist_test_digits(1000)
    boxes = np.array([ink_box(digit) for digit in digits])
    long_sides = np.maximum(boxes[:, 1] - boxes[:, 0], boxes[:, 3] - boxes[:, 2])
    centres = np.array([centre_of_mass(digit) for digit in digits])
    assert np.all(long_sides == 20)
    assert np.abs(centres.mean(axis=0) - 14).max() < 0.05 and np.abs(centres - 14).max() < 1.5


def similarity(again: np.ndarray, digit: np.ndarray) -> float:
    """The pixels' correlation, at the best of the nine whole-pixel shifts by at most one.

    A centre of mass near a half pixel (MNIST's spread 0.29 either way) may round either
    way, here or when MNIST was made: a one-pixel shift of a two-pixel stroke is not a
    different digit, though it halves the unshifted correlation.
    """
    return max(
        float(np.corrcoef(np.roll(again, (rows, columns), axis=(0, 1)).ravel(), digit.ravel())[0, 1])
        for rows in (-1, 0, 1)
        for columns in (-1, 0, 1)
    )


def test_an_enlarged_mnist_digit_on_a_page_comes_back_as_itself() -> None:
    """Each of the first 100 test digits, 8 times larger somewhere on a 640 x 480 page, prepared again."""
    digits = mnist_test_digits(100)
    correlations = []
    for index, digit in enumerate(digits):
        again = prepared(photographed(digit, 8, ((index * 37) % 400, (index * 53) % 250), (640, 480)))
        correlations.append(similarity(again, digit))
    assert np.median(correlations) > 0.95 and min(correlations) > 0.85


def test_an_mnist_digit_is_nearly_unchanged() -> None:
    digits = mnist_test_digits(100)
    correlations = [similarity(prepared(digit), digit) for digit in digits]
    assert min(correlations) > 0.98


def test_read_digit_png_prepares_any_png(tmp_path: Path) -> None:
    grey = page()
    grey[30:70, 40:50] = 20
    Image.fromarray(grey).convert("RGB").save(tmp_path / "photo.png")
    np.testing.assert_array_equal(read_digit_png(tmp_path / "photo.png", prepare=True), TALL_BAR.ravel())
    np.testing.assert_array_equal(read_digit_png(tmp_path / "photo.png", prepare=True, invert=True), TALL_BAR.ravel())
    Image.fromarray(page()).save(tmp_path / "blank.png")
    with pytest.raises(PipelineError) as caught:
        read_digit_png(tmp_path / "blank.png", prepare=True)
    assert str(caught.value) == f"{tmp_path / 'blank.png'}: {NO_DIGIT}"


def test_prepare_keeps_the_limits_of_convert(tmp_path: Path) -> None:
    Image.new("L", (4097, 4096), 255).save(tmp_path / "huge.png")
    with pytest.raises(PipelineError) as caught:
        read_digit_png(tmp_path / "huge.png", prepare=True)
    too_large = "too large to convert (more than 4096 x 4096 = 16,777,216 pixels)"
    assert str(caught.value) == f"{tmp_path / 'huge.png'}: 4097 x 4096 pixels, {too_large}"
    Image.new("I;16", (28, 28)).save(tmp_path / "deep.png")
    with pytest.raises(PipelineError, match=r"deep\.png: mode I;16 \(16-bit greyscale\), save it as an 8-bit image"):
        read_digit_png(tmp_path / "deep.png", prepare=True)
