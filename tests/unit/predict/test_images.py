"""PNG digits: MNIST-shaped files read exactly, other sizes and modes refused or, with convert, converted."""

from __future__ import annotations

import errno
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pipelib.errors import PipelineError
from pipelib.predict.images import read_digit_png, read_png_directory

GRADIENT = np.arange(784, dtype=np.uint16).reshape(28, 28) % 256


def save(image: Image.Image, path: Path, **options: object) -> Path:
    image.save(path, format="PNG", **options)
    return path


def grey(path: Path, pixels: np.ndarray = GRADIENT) -> Path:
    return save(Image.fromarray(pixels.astype(np.uint8), mode="L"), path)


def test_an_mnist_shaped_png_reads_back_pixel_for_pixel(tmp_path: Path) -> None:
    pixels = read_digit_png(grey(tmp_path / "d.png"))
    assert pixels.dtype == np.uint8 and pixels.shape == (784,)
    np.testing.assert_array_equal(pixels, GRADIENT.ravel())  # row by row, as MNIST's pixel order
    np.testing.assert_array_equal(read_digit_png(tmp_path / "d.png", invert=True), 255 - GRADIENT.ravel())


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("RGB", "mode RGB (colour)"),
        ("RGBA", "mode RGBA (colour with alpha)"),
        ("P", "mode P (palette)"),
        ("LA", "mode LA (greyscale with alpha)"),
        ("1", "mode 1 (1-bit black and white)"),
        ("I;16", "mode I;16 (16-bit greyscale)"),
    ],
)
def test_other_modes_are_refused_with_one_line_naming_file_and_mode(tmp_path: Path, mode: str, expected: str) -> None:
    path = save(Image.new(mode, (28, 28)), tmp_path / "colour.png")
    with pytest.raises(PipelineError) as caught:
        read_digit_png(path)
    wanted = "expected 8-bit greyscale (mode L); --convert turns it into greyscale"
    assert str(caught.value) == f"{path}: {expected}, {wanted}"


def test_other_sizes_are_refused(tmp_path: Path) -> None:
    path = save(Image.new("L", (32, 20)), tmp_path / "big.png")
    with pytest.raises(PipelineError, match=r"big\.png: 32 x 20 pixels, expected 28 x 28; --convert resizes it$"):
        read_digit_png(path)


def test_convert_makes_colour_grey_by_luma(tmp_path: Path) -> None:
    rgb = np.zeros((28, 28, 3), dtype=np.uint8)
    rgb[..., 0] = 200  # pure red 200: luma 200 * 299/1000 = 59.8 -> 60
    rgb[:14, :, :] = 77  # grey stays grey
    pixels = read_digit_png(save(Image.fromarray(rgb, mode="RGB"), tmp_path / "c.png"), convert=True).reshape(28, 28)
    assert set(pixels[:14].ravel()) == {77}
    assert set(pixels[14:].ravel()) == {60}


def test_convert_lays_transparency_on_black(tmp_path: Path) -> None:
    rgba = np.zeros((28, 28, 4), dtype=np.uint8)
    rgba[...] = (255, 255, 255, 0)  # white but fully transparent: background
    rgba[10:18, 10:18] = (255, 255, 255, 255)  # an opaque white stroke
    pixels = read_digit_png(save(Image.fromarray(rgba, mode="RGBA"), tmp_path / "a.png"), convert=True).reshape(28, 28)
    assert pixels[10:18, 10:18].min() == 255
    pixels[10:18, 10:18] = 0
    assert pixels.max() == 0


def test_convert_reads_palette_and_one_bit_images(tmp_path: Path) -> None:
    palette = Image.new("P", (28, 28), 1)
    palette.putpalette([0, 0, 0, 90, 90, 90] + [0] * 762)
    assert set(read_digit_png(save(palette, tmp_path / "p.png"), convert=True)) == {90}
    bits = Image.new("1", (28, 28), 1)
    assert set(read_digit_png(save(bits, tmp_path / "b.png"), convert=True)) == {255}


def test_convert_resizes_to_28_by_28(tmp_path: Path) -> None:
    flat = save(Image.new("L", (112, 56), 140), tmp_path / "flat.png")
    assert set(read_digit_png(flat, convert=True)) == {140}  # a constant image stays constant
    half = np.zeros((56, 56), dtype=np.uint8)
    half[:, 28:] = 255
    pixels = read_digit_png(grey(tmp_path / "half.png", half), convert=True).reshape(28, 28)
    assert pixels[:, :12].max() <= 2 and pixels[:, 16:].min() >= 253  # left dark, right bright (Lanczos rings a little)


def test_sixteen_bit_images_are_refused_even_with_convert(tmp_path: Path) -> None:
    path = save(Image.new("I;16", (28, 28)), tmp_path / "deep.png")
    with pytest.raises(PipelineError, match=r"deep\.png: mode I;16 \(16-bit greyscale\), save it as an 8-bit image"):
        read_digit_png(path, convert=True)


def test_files_that_are_not_png_are_refused(tmp_path: Path) -> None:
    jpeg = tmp_path / "photo.png"
    Image.new("L", (28, 28)).save(jpeg, format="JPEG")
    with pytest.raises(PipelineError, match=r"photo\.png: not a PNG image$"):
        read_digit_png(jpeg)
    text = tmp_path / "notes.png"
    text.write_text("not an image", encoding="utf-8")
    with pytest.raises(PipelineError, match=r"notes\.png: not a PNG image$"):
        read_digit_png(text)
    truncated = tmp_path / "cut.png"
    truncated.write_bytes(grey(tmp_path / "whole.png").read_bytes()[:60])
    with pytest.raises(PipelineError, match=r"cut\.png: not a readable"):
        read_digit_png(truncated)


def test_a_directory_gives_its_pngs_in_name_order(tmp_path: Path) -> None:
    grey(tmp_path / "b.png", np.full((28, 28), 2))
    grey(tmp_path / "a.PNG", np.full((28, 28), 1))
    grey(tmp_path / "c.png", np.full((28, 28), 3))
    (tmp_path / "readme.txt").write_text("ignored", encoding="utf-8")
    (tmp_path / "sub.png").mkdir()  # a directory, not an image: ignored
    names, pixels = read_png_directory(tmp_path)
    assert names == ["a.PNG", "b.png", "c.png"]
    np.testing.assert_array_equal(pixels[:, 0], [1, 2, 3])


@pytest.fixture
def alarm() -> Iterator[None]:
    """Ends a test that blocks (opening a FIFO nobody writes to) after 10 s instead of hanging."""

    def timed_out(signum: int, frame: object) -> None:
        raise TimeoutError("blocked")

    previous = signal.signal(signal.SIGALRM, timed_out)
    signal.alarm(10)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def make_entry(path: Path, kind: str) -> None:
    if kind == "broken symlink":
        path.symlink_to(path.parent / "missing.png")
    elif kind == "FIFO":
        os.mkfifo(path)
    elif kind == "symlink to /dev/zero":
        path.symlink_to("/dev/zero")
    elif kind == "symlink loop":
        path.symlink_to(path.name)


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("broken symlink", "a broken symlink"),
        ("FIFO", "not a regular file (a FIFO)"),
        ("symlink to /dev/zero", "not a regular file (a character device)"),
        ("symlink loop", f"not readable ({os.strerror(errno.ELOOP)})"),
    ],
)
@pytest.mark.parametrize("name", ["b.png", "B.PNG"])
def test_an_entry_named_png_that_is_no_file_is_refused_not_skipped(
    tmp_path: Path, alarm: None, kind: str, reason: str, name: str
) -> None:
    grey(tmp_path / "a.png")
    make_entry(tmp_path / name, kind)
    with pytest.raises(PipelineError) as caught:
        read_png_directory(tmp_path)
    assert str(caught.value) == f"{tmp_path / name}: {reason}"


def test_symlinks_to_a_png_are_read_and_to_a_directory_ignored(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    grey(tmp_path / "images" / "real.png", np.full((28, 28), 7))
    (tmp_path / "pngs").mkdir()
    (tmp_path / "pngs" / "linked.png").symlink_to(tmp_path / "images" / "real.png")
    (tmp_path / "pngs" / "folder.png").symlink_to(tmp_path / "images")  # a subdirectory, as a real one
    names, pixels = read_png_directory(tmp_path / "pngs")
    assert names == ["linked.png"]
    np.testing.assert_array_equal(pixels, np.full((1, 784), 7))


def test_a_directory_without_pngs_is_refused(tmp_path: Path) -> None:
    (tmp_path / "readme.txt").write_text("no images", encoding="utf-8")
    with pytest.raises(PipelineError, match=r": no \.png files in this directory$"):
        read_png_directory(tmp_path)
