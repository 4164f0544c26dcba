"""The review's offline figures, read back through matplotlib's artists: what is drawn, where, in which style.

The page's reader needs to tell base from current at a glance (current solid, base dashed in a
darker shade, drawn on top), to find the operating point, and to read each confusion count and
bar; these tests check those choices on the figure objects, with tiny hand-built plot data.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import matplotlib
import numpy as np
import pytest
from matplotlib.colors import to_rgba
from matplotlib.font_manager import FontProperties

from pipelib.review import figures
from pipelib.review.plots import Plot, PlotData

matplotlib.use("Agg")
import matplotlib.pyplot as plt

# Tableau colours as published (matplotlib's "tab:" names), and the others by hand.
TAB_GRAY, TAB_ORANGE, WHITE = "#7f7f7f", "#ff7f0e", (1.0, 1.0, 1.0, 1.0)
SMALL = FontProperties(size="small").get_size_in_points()


@pytest.fixture(autouse=True)
def close_figures() -> Iterator[None]:
    yield
    plt.close("all")


def line_style(line: matplotlib.lines.Line2D) -> tuple[object, ...]:
    return (line.get_label(), line.get_color(), line.get_linestyle(), line.get_linewidth(), line.get_zorder())


FOUR = Plot("four", "Four $curves", "linear", "f.csv", "t", ("a", "b", "c", "d"), "Threshold $t", "Rate")


def four_curves(base: bool) -> PlotData:
    columns = {"t": np.array([0.0, 1.0]), **{name: np.array([0.5, 0.25]) for name in "abcd"}}
    return PlotData(FOUR, columns if base else None, columns)


def test_curves_current_solid_base_dashed_darker_on_top() -> None:
    chart = figures.draw(four_curves(base=True), "main", {})
    [axes] = chart.figure.axes
    assert (chart.name, chart.title) == ("four", "Four $curves")
    with pytest.raises(dataclasses.FrozenInstanceError):
        chart.name = "x"  # type: ignore[misc]
    assert [line_style(line) for line in axes.lines] == [
        ("a, current", "tab:blue", "-", 2.0, 2),
        ("a, main", "navy", "--", 1.2, 3),
        ("b, current", "tab:green", "-", 2.0, 2),
        ("b, main", "darkgreen", "--", 1.2, 3),
        ("c, current", "tab:red", "-", 2.0, 2),
        ("c, main", "darkred", "--", 1.2, 3),
        ("d, current", "tab:purple", "-", 2.0, 2),
        ("d, main", "indigo", "--", 1.2, 3),
    ]
    assert axes.lines[1].get_xydata().tolist() == [[0.0, 0.5], [1.0, 0.25]]
    assert (axes.get_xlabel(), axes.get_ylabel(), axes.get_title()) == (r"Threshold \$t", "Rate", r"Four \$curves")
    assert all(line.get_visible() for line in axes.get_xgridlines() + axes.get_ygridlines())
    legend = axes.get_legend()
    assert [text.get_text() for text in legend.get_texts()][:2] == ["a, current", "a, main"]
    assert legend.get_texts()[0].get_fontsize() == SMALL and legend._loc == 0  # "best"
    assert chart.figure.get_size_inches().tolist() == [8.0, 5.0]
    assert axes.get_position().x0 != plt.rcParams["figure.subplot.left"]  # tight layout applied


def test_two_curves_are_each_named_by_their_column() -> None:
    # the pipeline's threshold plot: precision and recall against the threshold
    plot = Plot("pt", "PT", "linear", "t.csv", "threshold", ("precision", "recall"), "Threshold", "Rate")
    columns = {"threshold": np.array([0.0, 1.0]), "precision": np.array([0.5, 1.0]), "recall": np.array([1.0, 0.5])}
    [axes] = figures.draw(PlotData(plot, None, columns), "main", {}).figure.axes
    assert [line.get_label() for line in axes.lines] == ["precision, current", "recall, current"]


def test_one_curve_without_a_base_is_just_current() -> None:
    plot = Plot("pr", "PR", "linear", "p.csv", "recall", ("precision",), "Recall", "Precision")
    columns = {"recall": np.array([0.0, 1.0]), "precision": np.array([1.0, 0.5])}
    [axes] = figures.draw(PlotData(plot, None, columns), "main", {}).figure.axes
    assert [line_style(line) for line in axes.lines] == [("current", "tab:blue", "-", 2.0, 2)]


def test_the_operating_point_of_both_revisions_on_a_curve() -> None:
    plot = Plot("pr", "PR", "linear", "p.csv", "recall", ("precision",), "Recall", "Precision")
    columns = {"recall": np.array([0.0, 1.0]), "precision": np.array([1.0, 0.5])}
    operating = {"recall": (0.5, 1), "precision": (0.8, 0.75), "threshold": (0.1, 0.2)}
    [axes] = figures.draw(PlotData(plot, columns, columns), "main", operating).figure.axes
    points = [
        (line.get_label(), line.get_xydata().tolist(), line.get_marker(), line.get_color(), line.get_linestyle())
        for line in axes.lines[2:]
    ]
    assert points == [
        ("operating point, main: recall 0.500, precision 0.800", [[0.5, 0.8]], "s", "dimgray", "None"),
        ("operating point, current: recall 1.000, precision 0.750", [[1.0, 0.75]], "o", "black", "None"),
    ]


def test_the_operating_point_as_a_vertical_line_where_only_x_is_known() -> None:
    plot = Plot("thr", "T", "linear", "t.csv", "threshold", ("precision", "recall"), "t", "r")
    columns = {"threshold": np.array([0.0, 1.0]), "precision": np.array([1.0, 0.5]), "recall": np.array([0, 1.0])}
    operating = {"threshold": (0.25, 0.5), "precision": (0.8, 0.75), "recall": (0.5, 0.6)}
    [axes] = figures.draw(PlotData(plot, columns, columns), "main", operating).figure.axes
    marks = [
        (line.get_label(), list(line.get_xdata()), line.get_color(), line.get_linestyle(), line.get_linewidth())
        for line in axes.lines[4:]
    ]
    assert marks == [
        ("threshold, main: 0.25", [0.25, 0.25], "dimgray", ":", 1.0),
        ("threshold, current: 0.5", [0.5, 0.5], "black", "-", 1.0),
    ]


@pytest.mark.parametrize(
    "operating",
    [
        {},
        {"threshold": (None, None)},
        {"threshold": (True, False)},  # a bool is not a position
        {"threshold": ("0.5", "0.5")},
    ],
)
def test_no_operating_point_without_numbers(operating: dict[str, tuple[object, object]]) -> None:
    plot = Plot("thr", "T", "linear", "t.csv", "threshold", ("precision",), "t", "p")
    columns = {"threshold": np.array([0.0, 1.0]), "precision": np.array([1.0, 0.5])}
    [axes] = figures.draw(PlotData(plot, columns, columns), "main", operating).figure.axes
    assert [line.get_label() for line in axes.lines] == ["current", "main"]


CONFUSION = Plot("cm", "Confusion $x", "confusion", "c.csv", "actual", ("predicted",), "a", "p")


def confusion_rows(counts: list[list[int]]) -> dict[str, np.ndarray]:
    """Rows of (actual, predicted) labels giving these counts (labels 0, 1, ...)."""
    actual, predicted = [], []
    for row, line in enumerate(counts):
        for column, count in enumerate(line):
            actual += [str(row)] * count
            predicted += [str(column)] * count
    return {"actual": np.array(actual), "predicted": np.array(predicted)}


def cells(axes: matplotlib.axes.Axes) -> list[tuple[str, tuple[float, float], str, float]]:
    return [(text.get_text(), text.get_position(), text.get_color(), text.get_fontsize()) for text in axes.texts]


def test_a_confusion_matrix_without_a_base() -> None:
    chart = figures.draw(PlotData(CONFUSION, None, confusion_rows([[10, 6], [7, 0]])), "main", {})
    [axes] = chart.figure.axes
    assert chart.figure.get_size_inches().tolist() == [6.5, 6.0]
    assert axes.get_title() == "current"
    # White on the darkest cells only: above 0.6 of the largest count (10): 7 and 10, not 6.
    assert cells(axes) == [
        ("10", (0.5, 0.5), "white", 8.0),
        ("6", (1.5, 0.5), "black", 8.0),
        ("7", (0.5, 1.5), "white", 8.0),
        ("0", (1.5, 1.5), "black", 8.0),
    ]
    assert all((text.get_ha(), text.get_va()) == ("center", "center") for text in axes.texts)
    [mesh] = axes.collections
    assert (mesh.get_cmap().name, mesh.get_clim()) == ("Blues", (0.0, 10.0))
    assert np.asarray(mesh.get_array()).ravel().tolist() == [10, 6, 7, 0]
    assert mesh.get_edgecolor().tolist() == [list(WHITE)] and np.asarray(mesh.get_linewidth()).tolist() == [0.5]
    assert axes.get_xticks().tolist() == [0.5, 1.5] and axes.get_yticks().tolist() == [0.5, 1.5]
    assert [label.get_text() for label in axes.get_xticklabels() + axes.get_yticklabels()] == ["0", "1", "0", "1"]
    assert axes.yaxis_inverted() and axes.get_aspect() == 1.0
    assert (axes.get_xlabel(), axes.get_ylabel()) == ("predicted", "actual")


def test_an_empty_confusion_matrix_still_has_a_scale() -> None:
    [axes] = figures.draw(PlotData(CONFUSION, None, confusion_rows([[0, 1], [0, 0]])), "main", {}).figure.axes
    assert axes.collections[0].get_clim() == (0.0, 1.0)
    assert [color for _, _, color, _ in cells(axes)] == ["black", "white", "black", "black"]


def test_base_current_and_change_side_by_side() -> None:
    base = confusion_rows([[2, 0], [1, 3]])
    current = confusion_rows([[1, 1], [1, 3]])
    figure = figures.draw(PlotData(CONFUSION, base, current), "main $x", {}).figure
    assert figure.get_size_inches().tolist() == [19.0, 6.5]
    assert figure.get_suptitle() == r"Confusion \$x"
    before, now, change = figure.axes
    assert [axes.get_title() for axes in figure.axes] == [r"main \$x", "current", "change (current - base)"]
    assert [text for text, _, _, _ in cells(before)] == ["2", "0", "1", "3"]
    assert [text for text, _, _, _ in cells(now)] == ["1", "1", "1", "3"]
    assert [(text, color) for text, _, color, _ in cells(change)] == [
        ("-1", "white"),
        ("+1", "white"),
        ("", "black"),
        ("", "black"),
    ]
    [mesh] = change.collections
    assert (mesh.get_cmap().name, mesh.get_clim()) == ("RdBu", (-1.0, 1.0))
    assert before.collections[0].get_clim() == (0.0, 3.0)


def test_no_change_says_so() -> None:
    rows = confusion_rows([[1, 0], [0, 1]])
    figure = figures.draw(PlotData(CONFUSION, rows, rows), "main", {}).figure
    assert figure.axes[2].get_title() == "no change"
    assert figure.axes[2].collections[0].get_clim() == (-1.0, 1.0)  # a scale even with nothing to show


@pytest.mark.parametrize(("classes", "size"), [(10, 8.0), (11, 6.0)])
def test_count_labels_shrink_past_ten_classes(classes: int, size: float) -> None:
    labels = np.array([str(label) for label in range(classes)])
    rows = {"actual": labels, "predicted": labels}
    [axes] = figures.draw(PlotData(CONFUSION, None, rows), "main", {}).figure.axes
    assert {text.get_fontsize() for text in axes.texts} == {size}
    assert len(axes.texts) == classes * classes


BARS = Plot("coef", "Coefficients $", "bar_horizontal", "b.csv", "coefficient", ("feature",), "weight $w", "f")


def bars_of(axes: matplotlib.axes.Axes) -> list[tuple[float, float, float, tuple[float, ...]]]:
    return [
        (round(patch.get_y(), 9), round(patch.get_height(), 9), patch.get_width(), patch.get_facecolor())
        for patch in axes.patches
    ]


def test_bars_of_base_and_current_side_by_side() -> None:
    base = {"feature": np.array(["a", "gone"]), "coefficient": np.array([1.0, 2.0])}
    current = {"feature": np.array(["b", "a", "$x"]), "coefficient": np.array([0.5, -1.5, 3.0])}
    chart = figures.draw(PlotData(BARS, base, current), "main", {})
    [axes] = chart.figure.axes
    gray, orange = to_rgba(TAB_GRAY), to_rgba(TAB_ORANGE)
    # Labels b, a, $x, gone at 0..3; each base bar centred 0.2 before its position, each current bar 0.2 after.
    assert bars_of(axes) == [
        (-0.4, 0.4, 0.0, gray),
        (0.6, 0.4, 1.0, gray),
        (1.6, 0.4, 0.0, gray),
        (2.6, 0.4, 2.0, gray),
        (0.0, 0.4, 0.5, orange),
        (1.0, 0.4, -1.5, orange),
        (2.0, 0.4, 3.0, orange),
        (3.0, 0.4, 0.0, orange),
    ]
    assert axes.get_yticks().tolist() == [0, 1, 2, 3]
    assert [label.get_text() for label in axes.get_yticklabels()] == ["b", "a", r"\$x", "gone"]
    assert axes.yaxis_inverted()
    assert axes.get_legend_handles_labels()[1] == ["main", "current"] and axes.get_legend()._loc == 4  # lower right
    [zero] = axes.lines
    assert (zero.get_xdata(), zero.get_color(), zero.get_linewidth()) == ([0, 0], "black", 0.8)
    assert (axes.get_xlabel(), axes.get_title()) == (r"weight \$w", r"Coefficients \$")
    assert all(line.get_visible() for line in axes.get_xgridlines())
    assert not any(line.get_visible() for line in axes.get_ygridlines())
    assert chart.figure.get_size_inches().tolist() == [8.0, 3.0]  # the minimum height


def test_bars_without_a_base_are_centred_and_the_figure_grows() -> None:
    names = [f"f{index}" for index in range(10)]
    current = {"feature": np.array(names), "coefficient": np.arange(10.0)}
    chart = figures.draw(PlotData(BARS, None, current), "main", {})
    [axes] = chart.figure.axes
    assert [(y, height) for y, height, _, _ in bars_of(axes)] == [(index - 0.2, 0.4) for index in range(10)]
    assert axes.get_legend_handles_labels()[1] == ["current"]
    assert chart.figure.get_size_inches().tolist() == [8.0, 5.5]  # 0.45 inch per bar + 1


def test_svg_for_the_page_and_png_for_the_artifact() -> None:
    chart = figures.draw(four_curves(base=False), "main", {})
    svg = figures.svg_text(chart.figure)
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert svg == figures.svg_text(chart.figure)  # the same bytes every time: fixed ids
    assert "<text" not in svg and "dc:date" not in svg  # glyphs as paths, no date
    png = figures.png_bytes(chart.figure)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and b"Software" not in png
    assert png[16:24] == (800).to_bytes(4, "big") + (500).to_bytes(4, "big")  # 8 x 5 inches at 100 dpi
