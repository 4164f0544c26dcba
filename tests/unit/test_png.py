"""PNG figures: 100 dpi, no software-version tag, tight layout, closed after saving.

Checked on the file's bytes and decoded pixels, against the PNG format's published constants.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pytest

from pipelib.png import save_figure, use_agg

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_use_agg_selects_agg_whatever_was_selected_before() -> None:
    matplotlib.use("svg")
    assert matplotlib.get_backend().lower() == "svg"
    use_agg()
    assert matplotlib.get_backend().lower() == "agg"


@pytest.fixture
def red_axes_png(tmp_path: Path) -> tuple[Path, int]:
    """A 4 x 2 inch figure whose one axes (no ticks) is red, saved; returns the file and the figure's number."""
    use_agg()
    import matplotlib.pyplot as plt

    figure = plt.figure(figsize=(4, 2))
    axes = figure.add_subplot()
    axes.set_facecolor("red")
    axes.set_xticks([])
    axes.set_yticks([])
    path = tmp_path / "figure.png"
    save_figure(figure, path)
    return path, figure.number


def test_png_of_100_dpi_without_software_tag(red_axes_png: tuple[Path, int]) -> None:
    path, _ = red_axes_png
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    # IHDR, the first chunk: length 13, type, then width and height as 4-byte big-endian integers
    assert data[8:16] == b"\x00\x00\x00\x0dIHDR"
    assert (int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")) == (400, 200)
    assert b"Software" not in data
    assert list(path.parent.iterdir()) == [path]


def test_layout_is_tightened_before_saving(red_axes_png: tuple[Path, int]) -> None:
    """Untightened, the axes would start 12.5 % in (matplotlib's default left margin, 50 of 400 pixels);
    tightened around an axes without ticks, only a padding of about 15 pixels is left."""
    from matplotlib.image import imread

    pixels = imread(red_axes_png[0])
    assert pixels.shape[:2] == (200, 400)
    assert tuple(pixels[100, 5, :3]) == (1.0, 1.0, 1.0)  # the figure's white margin
    assert tuple(pixels[100, 30, :3]) == (1.0, 0.0, 0.0)  # red: inside the axes
    assert tuple(pixels[100, 370, :3]) == (1.0, 0.0, 0.0)


def test_figure_is_closed_after_saving(red_axes_png: tuple[Path, int]) -> None:
    import matplotlib.pyplot as plt

    assert red_axes_png[1] not in plt.get_fignums()
