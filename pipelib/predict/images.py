"""Digit images from PNG files: 28 x 28 8-bit greyscale as MNIST, anything else refused or, asked to, converted.

MNIST digits are white (255) on black (0), 28 x 28 pixels, one byte each. A PNG in that
form is read as it is. Other PNGs are refused with one line naming the file and what is
wrong, unless ``convert`` is set:

* colour, palette and 1-bit images become greyscale (Pillow's ``convert("L")``, ITU-R 601-2 luma);
* images with transparency are first laid on black, so transparent pixels are background;
* other sizes are resized to 28 x 28 (Lanczos), ignoring the aspect ratio.

An image too large to convert (or one Pillow would take for a decompression bomb) is
refused by the size its header states, before Pillow opens it.

16- and 32-bit images (modes ``I;16``, ``I``, ``F``) are refused even then: how to map
them to 0-255 is the user's choice. ``invert`` turns dark-on-light digits into MNIST's
light-on-dark, after any conversion. ``prepare`` converts as ``convert`` does, then makes
the greyscale image an MNIST digit (:mod:`pipelib.predict.prepare`) instead of resizing it.
"""

from __future__ import annotations

import struct
import warnings
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageMode, UnidentifiedImageError

from pipelib.errors import PipelineError
from pipelib.mnist.dataset import PIXELS, SIDE
from pipelib.predict.prepare import prepare_digit
from pipelib.regular_file import open_regular

# Descriptions of the modes other than L that Pillow opens a PNG in (PngImagePlugin._MODES).
MODE_NAMES = {
    "1": "1-bit black and white",
    "LA": "greyscale with alpha",
    "P": "palette",
    "RGB": "colour",
    "RGBA": "colour with alpha",
    "I;16": "16-bit greyscale",
}
CONVERTED_SIDE = 4096
MAX_CONVERTED_PIXELS = CONVERTED_SIDE * CONVERTED_SIDE  # far above any digit photo worth resizing to 28 x 28
MAX_ASPECT = 16  # one side at most this many times the other (a digit is about as wide as high)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_files(directory: Path) -> list[Path]:
    """Every entry named ``*.png`` (any case) directly in ``directory`` but subdirectories, sorted by name.

    Not only regular files: a broken symlink, a FIFO or a device named so is listed too, to be
    refused by name when read (:func:`read_digit_png` opens it without blocking), never left out.
    """
    found = sorted(path for path in directory.iterdir() if path.suffix.lower() == ".png" and not path.is_dir())
    if not found:
        raise PipelineError(f"{directory}: no .png files in this directory")
    return found


def _greyscale(image: Image.Image) -> Image.Image:
    """Any 8-bit image as mode L, transparent pixels laid on black."""
    has_alpha = "A" in image.getbands() or "transparency" in image.info
    if has_alpha:
        image = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", image.size, (0, 0, 0, 255)), image)
    return image.convert("L")


def _deeper_than_8_bits(mode: str) -> bool:
    """Whether ``mode`` has more than a byte per band (16- or 32-bit integers, floats), which ``convert("L")`` clips."""
    return np.dtype(ImageMode.getmode(mode).typestr).itemsize > 1


def _conversion_refusal(size: tuple[int, int]) -> str | None:
    """Why an image of ``size`` costs more to convert than a digit is worth, or None.

    Decoding holds every pixel, and a resize's filter weights grow with the ratio of the
    sides: a 1 x 16,777,216 image passed a pixel bound alone and took 1.34 GB.
    """
    width, height = size
    if max(width, height) > MAX_ASPECT * min(width, height):
        return f"one side more than {MAX_ASPECT} times the other; crop it first"
    if width * height > MAX_CONVERTED_PIXELS:
        return f"too large to convert (more than {CONVERTED_SIDE} x {CONVERTED_SIDE} = {MAX_CONVERTED_PIXELS:,} pixels)"
    return None


def _check_conversion_cost(path: Path, size: tuple[int, int]) -> None:
    """Refuse, before decoding, an image whose conversion would cost more than a digit is worth."""
    reason = _conversion_refusal(size)
    if reason is not None:
        raise PipelineError(f"{path}: {size[0]} x {size[1]} pixels, {reason}")


def _wrong_size(path: Path, size: tuple[int, int]) -> PipelineError:
    """The refusal of an image that is not 28 x 28, with what ``--convert`` would do with it."""
    hint = _conversion_refusal(size) or "--convert resizes it"
    return PipelineError(f"{path}: {size[0]} x {size[1]} pixels, expected {SIDE} x {SIDE}; {hint}")


def _header_size(stream: BinaryIO) -> tuple[int, int] | None:
    """(width, height) from the IHDR chunk that must follow the signature; None if the next chunk is not IHDR.

    A chunk is its length (4 bytes), its type (4), then its data, which for IHDR begins with the
    width and the height (4 bytes each, big-endian): PNG specification, sections 5.3 and 11.2.2.
    """
    chunk = stream.read(16)
    if len(chunk) < 16 or chunk[4:8] != b"IHDR":
        return None
    width, height = struct.unpack(">II", chunk[8:16])
    return width, height


def _describe(mode: str) -> str:
    return f"mode {mode} ({MODE_NAMES[mode]})" if mode in MODE_NAMES else f"mode {mode}"


def read_digit_png(path: Path, convert: bool = False, invert: bool = False, prepare: bool = False) -> np.ndarray:
    """One PNG as 784 uint8 pixels, row by row; refused (one line naming it) unless MNIST-shaped or converted."""
    try:
        missing = "a broken symlink" if path.is_symlink() else "no such file or directory"
        with warnings.catch_warnings(), open_regular(path, missing) as stream:
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            if stream.read(len(PNG_SIGNATURE)) != PNG_SIGNATURE:
                raise PipelineError(f"{path}: not a PNG image")
            size = _header_size(stream)
            # Refused by the size the header states before Pillow reads on: an image Pillow takes for a
            # decompression bomb (more than its 89,478,485 pixels) is refused by its size, not as unreadable.
            if size is not None and (convert or prepare):
                _check_conversion_cost(path, size)
            elif size is not None and size != (SIDE, SIDE) and _conversion_refusal(size) is not None:
                raise _wrong_size(path, size)
            stream.seek(0)
            with Image.open(stream, formats=["PNG"]) as image:  # no other decoder ever sees the file
                mode, size = image.mode, image.size
                if not (convert or prepare):
                    if mode != "L":
                        raise PipelineError(
                            f"{path}: {_describe(mode)}, expected 8-bit greyscale (mode L); "
                            "--convert turns it into greyscale"
                        )
                    if size != (SIDE, SIDE):
                        raise _wrong_size(path, size)
                    pixels = np.array(image, dtype=np.uint8)
                else:
                    if _deeper_than_8_bits(mode):
                        raise PipelineError(f"{path}: {_describe(mode)}, save it as an 8-bit image first")
                    _check_conversion_cost(path, size)
                    converted = _greyscale(image)
                    if converted.size != (SIDE, SIDE) and not prepare:
                        converted = converted.resize((SIDE, SIDE), Image.Resampling.LANCZOS)
                    pixels = np.array(converted, dtype=np.uint8)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # A size the check above did not see: an IHDR chunk that is not the first, or a second one.
        limit = Image.MAX_IMAGE_PIXELS or 0
        message = f"more pixels than the {limit:,} Pillow decodes (its decompression-bomb limit)"
        raise PipelineError(f"{path}: {message}") from None
    except UnidentifiedImageError:
        raise PipelineError(f"{path}: not a readable image") from None
    except (OSError, SyntaxError, ValueError) as error:  # truncated or corrupt data (Pillow's PNG errors)
        raise PipelineError(f"{path}: not a readable PNG image ({error})") from None
    if prepare:
        return prepare_digit(pixels, path, invert)
    pixels = pixels.reshape(PIXELS)
    return 255 - pixels if invert else pixels


def read_png_directory(
    directory: Path, convert: bool = False, invert: bool = False, prepare: bool = False
) -> tuple[list[str], np.ndarray]:
    """(file names, (n, 784) uint8 pixels) of every PNG directly in ``directory``."""
    files = png_files(directory)
    pixels = np.stack([read_digit_png(path, convert, invert, prepare) for path in files])
    return [path.name for path in files], pixels
