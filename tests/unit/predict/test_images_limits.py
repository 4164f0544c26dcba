"""PNG digits at their limits: the size cap of --convert, decompression bombs, transparency by tRNS.

Images too large to decode are hand-made PNG headers (signature, IHDR, an empty IDAT, IEND,
as the PNG specification lays them out): the size is refused before any pixel is read.
"""

from __future__ import annotations

import struct
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pipelib.errors import PipelineError
from pipelib.predict.images import read_digit_png, read_png_directory

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header(path: Path, width: int, height: int) -> Path:
    """A PNG announcing ``width`` x ``height`` 8-bit greyscale pixels (colour type 0), with no pixel data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(PNG_SIGNATURE + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))
    return path


def test_the_hand_made_header_is_read_as_a_png_of_that_size(tmp_path: Path) -> None:
    with Image.open(png_header(tmp_path / "h.png", 31, 29)) as image:
        assert (image.format, image.mode, image.size) == ("PNG", "L", (31, 29))
    with pytest.raises(PipelineError, match=r"h\.png: 31 x 29 pixels, expected 28 x 28; --convert resizes it$"):
        read_digit_png(tmp_path / "h.png")


def test_convert_takes_4096_by_4096_pixels(tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    Image.new("L", (4096, 4096), 77).save(path)
    assert set(read_digit_png(path, convert=True)) == {77}


TOO_LARGE = "too large to convert (more than 4096 x 4096 = 16,777,216 pixels)"


@pytest.mark.parametrize("size", [(4097, 4096), (4096, 4097)])
def test_convert_refuses_one_pixel_row_or_column_more(tmp_path: Path, size: tuple[int, int]) -> None:
    path = png_header(tmp_path / "photo.png", *size)
    for options in ({"convert": True}, {"prepare": True}):
        with pytest.raises(PipelineError) as caught:
            read_digit_png(path, **options)
        assert str(caught.value) == f"{path}: {size[0]} x {size[1]} pixels, {TOO_LARGE}"
    with pytest.raises(PipelineError) as caught:  # without --convert: not "--convert resizes it"
        read_digit_png(path)
    assert str(caught.value) == f"{path}: {size[0]} x {size[1]} pixels, expected 28 x 28; {TOO_LARGE}"


# Pillow warns above 89,478,485 pixels and refuses above twice that: 10,000 squared warns, 20,000 squared is refused
@pytest.mark.parametrize("size", [(10_000, 10_000), (20_000, 20_000)])
def test_a_decompression_bomb_is_refused_by_its_size(tmp_path: Path, size: tuple[int, int]) -> None:
    path = png_header(tmp_path / "bomb.png", *size)
    with warnings.catch_warnings(), pytest.raises((Image.DecompressionBombWarning, Image.DecompressionBombError)):
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        Image.open(path)  # what Pillow makes of it: a decompression bomb
    width, height = size
    with pytest.raises(PipelineError) as caught:
        read_digit_png(path)
    assert str(caught.value) == f"{path}: {width} x {height} pixels, expected 28 x 28; {TOO_LARGE}"
    for options in ({"convert": True}, {"prepare": True}):
        with pytest.raises(PipelineError) as caught:
            read_digit_png(path, **options)
        assert str(caught.value) == f"{path}: {width} x {height} pixels, {TOO_LARGE}"


def test_a_long_thin_image_is_not_said_to_be_resized_by_convert(tmp_path: Path) -> None:
    path = png_header(tmp_path / "line.png", 1000, 28)
    with pytest.raises(PipelineError) as caught:
        read_digit_png(path)
    assert str(caught.value) == (
        f"{path}: 1000 x 28 pixels, expected 28 x 28; one side more than 16 times the other; crop it first"
    )


PILLOW_LIMIT = "Pillow decodes (its decompression-bomb limit)"


def test_a_bomb_whose_size_comes_after_another_chunk_is_refused_as_pillow_finds_it(tmp_path: Path) -> None:
    """The specification puts IHDR first; Pillow reads on to a later one, and its bomb check is then the bound."""
    ihdr = struct.pack(">IIBBBBB", 20_000, 20_000, 8, 0, 0, 0, 0)
    path = tmp_path / "late.png"
    path.write_bytes(
        PNG_SIGNATURE + chunk(b"tEXt", b"a\x00b") + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b""))
    )
    for options in ({}, {"convert": True}, {"prepare": True}):
        with pytest.raises(PipelineError) as caught:
            read_digit_png(path, **options)
        assert str(caught.value) == f"{path}: more pixels than the 89,478,485 {PILLOW_LIMIT}"


def test_a_transparent_grey_is_background_once_converted(tmp_path: Path) -> None:
    pixels = np.full((28, 28), 200, dtype=np.uint8)
    pixels[5:20, 12:16] = 255
    path = tmp_path / "t.png"
    Image.fromarray(pixels, mode="L").save(path, transparency=200)  # tRNS: grey 200 is transparent
    np.testing.assert_array_equal(read_digit_png(path).reshape(28, 28), pixels)  # as it is, without --convert
    expected = np.where(pixels == 200, 0, 255)
    np.testing.assert_array_equal(read_digit_png(path, convert=True).reshape(28, 28), expected)


def test_a_transparent_palette_entry_is_background_once_converted(tmp_path: Path) -> None:
    image = Image.new("P", (28, 28), 1)
    image.putpalette([0, 0, 0, 90, 90, 90, 255, 255, 255] + [0] * 759)
    image.paste(2, (10, 4, 18, 24))
    path = tmp_path / "p.png"
    image.save(path, transparency=1)
    pixels = read_digit_png(path, convert=True).reshape(28, 28)
    assert set(pixels[4:24, 10:18].ravel()) == {255}
    pixels[4:24, 10:18] = 0
    assert pixels.max() == 0  # grey 90 was transparent: black, not 90


def test_transparent_green_is_laid_on_black(tmp_path: Path) -> None:
    rgba = np.zeros((28, 28, 4), dtype=np.uint8)
    rgba[...] = (0, 255, 0, 0)  # transparent green: background
    rgba[:, 14:] = (0, 255, 0, 255)  # opaque green: luma 255 * 587 / 1000 = 149.7 -> 150
    path = tmp_path / "g.png"
    Image.fromarray(rgba, mode="RGBA").save(path)
    pixels = read_digit_png(path, convert=True).reshape(28, 28)
    assert set(pixels[:, :14].ravel()) == {0} and set(pixels[:, 14:].ravel()) == {150}


def test_a_directory_is_read_without_conversion_unless_asked(tmp_path: Path) -> None:
    Image.new("RGB", (28, 28), (10, 10, 10)).save(tmp_path / "colour.png")
    with pytest.raises(PipelineError, match=r"colour\.png: mode RGB \(colour\), expected 8-bit greyscale"):
        read_png_directory(tmp_path)
    names, pixels = read_png_directory(tmp_path, convert=True)
    assert names == ["colour.png"] and set(pixels.ravel()) == {10}
