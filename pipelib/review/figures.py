"""The review's offline figures (HTML page and PNGs): base and current plot data drawn together.

Labels pass through ``inert.mpl`` (a ``$`` cannot start mathtext); the bytes depend on the data only.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from pipelib.png import PNG_OPTIONS
from pipelib.review.gate import is_number
from pipelib.review.inert import mpl
from pipelib.review.plots import PlotData, bar_values, confusion_pair

# Fixed SVG ids (matplotlib salts them with a random UUID otherwise) and glyphs drawn as paths,
# so the page needs no fonts and the same data gives the same bytes.
RENDER_SETTINGS: Any = {"svg.hashsalt": "review", "svg.fonttype": "path"}
BASE_STYLE: dict[str, Any] = {"linestyle": "--", "linewidth": 1.2, "zorder": 3}
CURRENT_STYLE: dict[str, Any] = {"linestyle": "-", "linewidth": 2}
# (current, base) colours of the curves of a plot, in y-column order.
COLORS = [("tab:blue", "navy"), ("tab:green", "darkgreen"), ("tab:red", "darkred"), ("tab:purple", "indigo")]
BASE_POINT = {"color": "dimgray", "linestyle": ":", "marker": "s"}
CURRENT_POINT = {"color": "black", "linestyle": "-", "marker": "o"}

# Operating point: {plot column name: (base value, current value)}, e.g. threshold, precision, recall.
Operating = dict[str, tuple[Any, Any]]


def _known(operating: Operating, names: tuple[str, ...], side: int) -> list[float] | None:
    values = [operating.get(name, (None, None))[side] for name in names]
    if all(is_number(value) for value in values):
        return [float(value) for value in values]
    return None


def _mark_operating_point(axes: Axes, data: PlotData, base_label: str, operating: Operating) -> None:
    """The operating point on a curve whose x (and single y) are operating-point columns."""
    plot = data.plot
    for side, (label, style) in enumerate(((base_label, BASE_POINT), ("current", CURRENT_POINT))):
        point = _known(operating, (plot.x, plot.y[0]), side) if len(plot.y) == 1 else None
        if point is not None:
            axes.plot(
                [point[0]],
                [point[1]],
                linestyle="none",
                marker=style["marker"],
                color=style["color"],
                label=mpl(f"operating point, {label}: {plot.x} {point[0]:.3f}, {plot.y[0]} {point[1]:.3f}"),
            )
            continue
        line = _known(operating, (plot.x,), side)
        if line is not None:
            axes.axvline(
                line[0],
                color=style["color"],
                linestyle=style["linestyle"],
                linewidth=1,
                label=mpl(f"{plot.x}, {label}: {line[0]:g}"),
            )


def curves(data: PlotData, base_label: str, operating: Operating) -> Figure:
    """Each y column against x: current solid, base dashed in a darker shade on top."""
    plot = data.plot
    figure, axes = plt.subplots(figsize=(8, 5))
    for index, column in enumerate(plot.y):
        current_color, base_color = COLORS[index % len(COLORS)]
        prefix = f"{column}, " if len(plot.y) > 1 else ""
        axes.plot(
            data.current[plot.x],
            data.current[column],
            color=current_color,
            label=mpl(f"{prefix}current"),
            **CURRENT_STYLE,
        )
        if data.base is not None:
            axes.plot(
                data.base[plot.x], data.base[column], color=base_color, label=mpl(prefix + base_label), **BASE_STYLE
            )
    _mark_operating_point(axes, data, base_label, operating)
    axes.set(xlabel=mpl(plot.x_label), ylabel=mpl(plot.y_label), title=mpl(plot.title))
    axes.grid(True)
    axes.legend(loc="best", fontsize="small")
    return figure


def _heatmap(axes: Axes, counts: np.ndarray, labels: list[str], title: str, signed: bool = False) -> None:
    """One matrix as vector cells (pcolormesh, so SVG keeps one path per cell) with the count in each."""
    limit = max(int(np.abs(counts).max()) if counts.size else 0, 1)
    cmap, low = ("RdBu", -limit) if signed else ("Blues", 0)
    axes.pcolormesh(counts, cmap=cmap, vmin=low, vmax=limit, edgecolors="white", linewidth=0.5)
    size = 8 if len(labels) <= 10 else 6
    for (row, column), value in np.ndenumerate(counts):
        strong = abs(value) > 0.6 * limit
        text = (f"{value:+d}" if value else "") if signed else f"{value:d}"
        axes.text(
            column + 0.5, row + 0.5, text, ha="center", va="center", fontsize=size, color="white" if strong else "black"
        )
    ticks = np.arange(len(labels)) + 0.5
    names = [mpl(label) for label in labels]
    axes.set_xticks(ticks, names)
    axes.set_yticks(ticks, names)
    axes.invert_yaxis()
    axes.set(xlabel="predicted", ylabel="actual", title=mpl(title), aspect="equal")


def confusion_panels(data: PlotData, base_label: str) -> Figure:
    """Confusion matrices side by side: base, current and (with a base) the change in counts."""
    labels, before, now = confusion_pair(data)
    if before is None:
        figure, axes = plt.subplots(figsize=(6.5, 6))
        _heatmap(axes, now, labels, "current")
        return figure
    figure, panels = plt.subplots(1, 3, figsize=(19, 6.5))
    _heatmap(panels[0], before, labels, base_label)
    _heatmap(panels[1], now, labels, "current")
    change = now - before
    _heatmap(panels[2], change, labels, "change (current - base)" if change.any() else "no change", signed=True)
    figure.suptitle(mpl(data.plot.title))
    return figure


def bars(data: PlotData, base_label: str) -> Figure:
    """Labelled values as horizontal bars, base and current side by side per label."""
    plot = data.plot
    current = bar_values(data.current, plot)
    base = None if data.base is None else bar_values(data.base, plot)
    names = list(current) + ([name for name in base if name not in current] if base is not None else [])
    positions = np.arange(len(names))
    figure, axes = plt.subplots(figsize=(8, max(3, 0.45 * len(names) + 1)))
    if base is not None:
        widths = [base.get(name, 0.0) for name in names]
        axes.barh(positions - 0.2, widths, height=0.4, label=mpl(base_label), color="tab:gray")
    widths = [current.get(name, 0.0) for name in names]
    axes.barh(positions + (0.2 if base is not None else 0.0), widths, height=0.4, label="current", color="tab:orange")
    axes.set_yticks(positions, [mpl(name) for name in names])
    axes.invert_yaxis()
    axes.axvline(0, color="black", linewidth=0.8)
    axes.set(xlabel=mpl(plot.x_label), title=mpl(plot.title))
    axes.grid(True, axis="x")
    axes.legend(loc="lower right")
    return figure


@dataclass(frozen=True)
class Chart:
    """A drawn chart: the plot's id, its caption and the figure."""

    name: str
    title: str
    figure: Figure


def draw(data: PlotData, base_label: str, operating: Operating) -> Chart:
    """The figure of one plot, by how the review draws its template."""
    kind = data.plot.kind
    if kind == "confusion":
        figure = confusion_panels(data, base_label)
    elif kind == "bars":
        figure = bars(data, base_label)
    else:
        figure = curves(data, base_label, operating)
    figure.tight_layout()
    return Chart(data.plot.name, data.plot.title, figure)


def svg_text(figure: Figure) -> str:
    """The figure as an SVG element for inlining in HTML (no XML prolog, no date)."""
    buffer = io.StringIO()
    with plt.rc_context(RENDER_SETTINGS):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def png_bytes(figure: Figure) -> bytes:
    """The figure as PNG bytes without the software tag."""
    buffer = io.BytesIO()
    figure.savefig(buffer, **PNG_OPTIONS)
    return buffer.getvalue()
