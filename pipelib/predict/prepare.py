"""A photo or scan of one digit made into an MNIST digit, the way MNIST's own digits were made.

The models learnt from digits that were normalised to fit a 20 x 20 box keeping their
aspect ratio (anti-aliased, hence grey levels), then placed in a 28 x 28 frame with their
centre of mass at the centre: pixel (14, 14) in row/column indices, where MNIST's test
digits have theirs (tests/unit/predict/test_prepare.py checks the first 1,000). A linear
model's scores depend on where the strokes fall, so a digit that fills the frame, sits in
a corner or is dark on light scores as noise. The steps, and why each is there:

1. Polarity: MNIST is light ink on dark paper. The paper's tone is the median of the
   image's border (a digit seldom reaches the edge of its page); the ink is whichever
   extreme of the image lies farther from it (so an underexposed photo of white paper,
   grey in the border, still has dark ink). Dark ink on light paper is inverted, light
   on dark left as is; ``invert`` forces the inversion.
2. Background: the paper's tone is subtracted, and what rises above it by no more than a
   fifth of the strongest ink or six times the border's noise (paper texture, sensor
   noise) is set to 0, as most MNIST pixels are exactly 0; a single speck of noise kept as
   ink would stretch the crop below to the page's corner. Nothing at least
   ``MIN_CONTRAST`` grey levels above the paper means no ink at all: the image is refused.
3. Crop to the ink's bounding box, so margins of any size do not matter.
4. Scale the crop so its longer side is 20 pixels, keeping the aspect ratio, with Pillow's
   bilinear filter: when it shrinks it averages over the whole source area (anti-aliased,
   grey edges as MNIST's), and unlike Lanczos it never rings (no faint halo beside the
   strokes, where MNIST has exact zeros). The strongest ink is stretched to 255, as MNIST's
   saturated stroke centres.
5. Paste it into 28 x 28 by a whole-pixel shift that puts its centre of mass at (14, 14),
   as MNIST's are; the shift is limited so no ink falls out of the frame (a digit whose
   mass sits far from its middle, rarely more than 4 pixels, is then not quite centred).
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage

from pipelib.errors import PipelineError
from pipelib.mnist.dataset import PIXELS, SIDE

BOX = 20  # MNIST's digits fit a 20 x 20 box ...
CENTRE = 14.0  # ... whose centre of mass is put at row 14, column 14 of the 28 x 28 frame
MIN_CONTRAST = 48  # grey levels above the paper that count as ink at all
TEXTURE_SHARE = 0.2  # ink weaker than this share of the strongest ink is paper texture ...
TEXTURE_SIGMAS = 6  # ... as is anything within 6 standard deviations of the paper's tone (noise)
MAD_TO_SIGMA = 1.4826  # the median absolute deviation of normal noise times this is its standard deviation


def border(grey: np.ndarray) -> np.ndarray:
    """The image's outermost rows and columns, where a digit seldom reaches: the paper."""
    return np.concatenate([grey[0], grey[-1], grey[1:-1, 0], grey[1:-1, -1]])


def ink_strength(grey: np.ndarray, invert: bool) -> np.ndarray:
    """(height, width) float32: how far each pixel rises above the paper's tone toward the ink, texture set to 0.

    The paper's tone is the border's median and its texture the border's spread (median
    absolute deviation), both unmoved by the few border pixels a digit may touch.
    ``invert`` treats the ink as darker than the paper whatever the image says.
    """
    tones = grey.astype(np.float32)
    paper = border(tones)
    tone = float(np.median(paper))
    noise = MAD_TO_SIGMA * float(np.median(np.abs(paper - tone)))
    dark_ink = invert or tone - tones.min() > tones.max() - tone
    strength = np.subtract(tone, tones, out=tones) if dark_ink else np.subtract(tones, tone, out=tones)
    texture = max(TEXTURE_SHARE * float(strength.max()), TEXTURE_SIGMAS * noise)
    strength[strength <= texture] = 0  # paper texture, and whatever lies on the other side of the paper's tone
    return strength


def bounding_box(ink: np.ndarray) -> tuple[slice, slice]:
    """The rows and columns from the first to the last that hold ink (``ink`` has some)."""
    rows, columns = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    return slice(rows[0], rows[-1] + 1), slice(columns[0], columns[-1] + 1)


def fit_box(ink: np.ndarray) -> np.ndarray:
    """The crop scaled so its longer side is ``BOX`` pixels (aspect ratio kept, at least 1 pixel), ink peak at 255."""
    height, width = ink.shape
    scale = BOX / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))  # Pillow's (width, height)
    scaled = np.asarray(Image.fromarray(ink, mode="F").resize(size, Image.Resampling.BILINEAR))
    return scaled * (255 / scaled.max())


def centred_frame(digit: np.ndarray) -> np.ndarray:
    """``digit`` pasted into a ``SIDE`` x ``SIDE`` frame with its centre of mass at (``CENTRE``, ``CENTRE``)."""
    height, width = digit.shape
    row, column = ndimage.center_of_mass(digit)
    top = min(max(round(CENTRE - row), 0), SIDE - height)
    left = min(max(round(CENTRE - column), 0), SIDE - width)
    frame = np.zeros((SIDE, SIDE), dtype=np.float32)
    frame[top : top + height, left : left + width] = digit
    return frame


def prepare_digit(grey: np.ndarray, source: object, invert: bool) -> np.ndarray:
    """A greyscale image (2-D uint8, any size) of one digit as MNIST's 784 uint8 pixels, row by row.

    ``source`` names the image in the one-line error for an image without ink.
    """
    ink = ink_strength(grey, invert)
    if ink.max() < MIN_CONTRAST:
        raise PipelineError(f"{source}: no digit found (no ink differs from the paper by {MIN_CONTRAST} grey levels)")
    frame = centred_frame(fit_box(ink[bounding_box(ink)]))
    return np.rint(frame).astype(np.uint8).reshape(PIXELS)
