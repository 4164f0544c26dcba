"""The review's plots: the base revision's and the current plot data drawn together with matplotlib.

DVC's own plot pages load Vega from a CDN; these figures are static SVG (inlined into one
HTML page) and PNG (referenced from the Markdown), so they render with no network. Output
bytes depend on the data only: no dates, no software tag, fixed SVG ids.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from pipelib.errors import PipelineError
from pipelib.png import PNG_OPTIONS

# Fixed SVG ids (matplotlib salts them with a random UUID otherwise) and glyphs drawn as paths,
# so the page needs no fonts and the same data gives the same bytes.
RENDER_SETTINGS = {"svg.hashsalt": "review", "svg.fonttype": "path"}
BASE_STYLE = {"linestyle": "--", "linewidth": 1.2, "zorder": 3}
CURRENT_STYLE = {"linestyle": "-", "linewidth": 2}
# (current, base) colours of each curve.
BLUE, GREEN, RED = ("tab:blue", "navy"), ("tab:green", "darkgreen"), ("tab:red", "darkred")
BASE_POINT = {"color": "dimgray", "linestyle": ":", "marker": "s"}
CURRENT_POINT = {"color": "black", "linestyle": "-", "marker": "o"}

Columns = dict[str, np.ndarray]


def parse_csv(text: str, source: str, columns: tuple[str, ...], kind: type = float) -> Columns:
    """The named columns of a plot CSV as arrays; a missing column or a bad cell is one error line."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        raise PipelineError(f"{source}: empty plot data file")
    missing = [name for name in columns if name not in header]
    if missing:
        raise PipelineError(f"{source}: no column {missing[0]!r} (columns: {', '.join(header)})")
    rows = [row for row in reader if row]
    found: Columns = {}
    for name in columns:
        index = header.index(name)
        try:
            found[name] = np.array([kind(row[index]) for row in rows])
        except (ValueError, IndexError):
            raise PipelineError(f"{source}: column {name!r} has a value that is not a {kind.__name__}") from None
    return found


def parse_labels(text: str, source: str, columns: tuple[str, str]) -> tuple[list[str], np.ndarray]:
    """A (label, number) plot CSV such as the Titanic coefficients: the labels and the numbers."""
    label, value = columns
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or label not in reader.fieldnames or value not in reader.fieldnames:
        raise PipelineError(f"{source}: expected columns {label!r} and {value!r}")
    labels, values = [], []
    for row in reader:
        labels.append(row[label])
        try:
            values.append(float(row[value]))
        except (TypeError, ValueError):
            raise PipelineError(f"{source}: column {value!r} has a value that is not a number") from None
    return labels, np.array(values)


@dataclass(frozen=True)
class Pair:
    """One plot's data in the base revision (None when the base has no such file) and now.

    ``operating`` holds the classifier's operating point in both revisions, (base, current) per
    name (threshold, precision, recall): the curves do not move when only the threshold does.
    """

    base: Columns | None
    current: Columns
    base_label: str
    operating: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    def points(self, *names: str) -> list[tuple[str, list[float], dict[str, Any]]]:
        """(label, values, style) of the base and current operating points that are known."""
        found = []
        for index, (label, style) in enumerate(((self.base_label, BASE_POINT), ("current", CURRENT_POINT))):
            values = [self.operating.get(name, (None, None))[index] for name in names]
            if all(isinstance(value, (int, float)) for value in values):
                found.append((label, [float(value) for value in values], style))
        return found


def _overlay(axes: Axes, pair: Pair, x: str, y: str, colors: tuple[str, str], name: str = "") -> None:
    """Current solid, base dashed in a darker shade on top, so identical curves still show both."""
    prefix = f"{name}, " if name else ""
    axes.plot(pair.current[x], pair.current[y], color=colors[0], label=f"{prefix}current", **CURRENT_STYLE)
    if pair.base is not None:
        axes.plot(pair.base[x], pair.base[y], color=colors[1], label=f"{prefix}{pair.base_label}", **BASE_STYLE)


def precision_recall(pair: Pair) -> Figure:
    """Precision against recall, base dashed and current solid."""
    figure, axes = plt.subplots(figsize=(7, 5))
    _overlay(axes, pair, "recall", "precision", BLUE)
    for label, (recall, precision), style in pair.points("recall", "precision"):
        axes.plot(
            [recall],
            [precision],
            linestyle="none",
            marker=style["marker"],
            color=style["color"],
            label=f"operating point, {label}: recall {recall:.3f}, precision {precision:.3f}",
        )
    axes.set(xlabel="Recall", ylabel="Precision", xlim=(0, 1), ylim=(0, 1.02), title="Precision vs recall")
    axes.grid(True)
    axes.legend(loc="lower left")
    return figure


def threshold_tradeoff(pair: Pair) -> Figure:
    """Precision and recall against the decision threshold, base dashed and current solid."""
    figure, axes = plt.subplots(figsize=(9, 5))
    _overlay(axes, pair, "threshold", "precision", BLUE, "precision")
    _overlay(axes, pair, "threshold", "recall", GREEN, "recall")
    for label, (threshold,), style in pair.points("threshold"):
        axes.axvline(
            threshold,
            color=style["color"],
            linestyle=style["linestyle"],
            linewidth=1,
            label=f"decision threshold, {label}: {threshold:g}",
        )
    axes.set(xlabel="Threshold", ylim=(0, 1.02), title="Precision and recall vs decision threshold")
    axes.grid(True)
    axes.legend(loc="best", fontsize="small")
    return figure


def roc(pair: Pair) -> Figure:
    """The ROC curve, base dashed and current solid, with the chance diagonal."""
    figure, axes = plt.subplots(figsize=(6, 5))
    axes.plot([0, 1], [0, 1], color="grey", linewidth=1, linestyle=":")
    _overlay(axes, pair, "fpr", "tpr", RED)
    axes.set(xlabel="False positive rate", ylabel="True positive rate", xlim=(0, 1), ylim=(0, 1.02), title="ROC")
    axes.grid(True)
    axes.legend(loc="lower right")
    return figure


def confusion_matrix(actual: np.ndarray, predicted: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Counts[i, j] of rows with actual labels[i] predicted as labels[j]."""
    index = {int(label): position for position, label in enumerate(labels)}
    counts = np.zeros((len(labels), len(labels)), dtype=np.int64)
    np.add.at(counts, ([index[int(a)] for a in actual], [index[int(p)] for p in predicted]), 1)
    return counts


def _heatmap(axes: Axes, counts: np.ndarray, labels: np.ndarray, title: str, signed: bool = False) -> None:
    """One matrix as vector cells (pcolormesh, so SVG keeps one path per cell) with the count in each."""
    limit = max(int(np.abs(counts).max()), 1)
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
    axes.set_xticks(ticks, [str(label) for label in labels])
    axes.set_yticks(ticks, [str(label) for label in labels])
    axes.invert_yaxis()
    axes.set(xlabel="predicted", ylabel="actual", title=title, aspect="equal")


def confusion_panels(pair: Pair) -> Figure:
    """Test-set confusion matrices side by side: base, current and (with a base) the change in counts."""
    current = pair.current
    actual = [current["actual"]] + ([pair.base["actual"]] if pair.base is not None else [])
    predicted = [current["predicted"]] + ([pair.base["predicted"]] if pair.base is not None else [])
    labels = np.unique(np.concatenate(actual + predicted))
    now = confusion_matrix(current["actual"], current["predicted"], labels)
    if pair.base is None:
        figure, axes = plt.subplots(figsize=(6.5, 6))
        _heatmap(axes, now, labels, "current")
        return figure
    before = confusion_matrix(pair.base["actual"], pair.base["predicted"], labels)
    figure, panels = plt.subplots(1, 3, figsize=(19, 6.5))
    _heatmap(panels[0], before, labels, pair.base_label)
    _heatmap(panels[1], now, labels, "current")
    change = now - before
    _heatmap(panels[2], change, labels, "change (current - base)" if change.any() else "no change", signed=True)
    return figure


def coefficients(
    base: tuple[list[str], np.ndarray] | None, current: tuple[list[str], np.ndarray], base_label: str
) -> Figure:
    """Titanic coefficients as horizontal bars, base and current side by side per feature."""
    names = list(current[0])
    if base is not None:
        names += [name for name in base[0] if name not in names]
    positions = np.arange(len(names))
    figure, axes = plt.subplots(figsize=(8, max(3, 0.45 * len(names) + 1)))

    def bars(data: tuple[list[str], np.ndarray], offset: float, label: str, color: str) -> None:
        values = dict(zip(data[0], data[1], strict=True))
        widths = [values.get(name, 0.0) for name in names]
        axes.barh(positions + offset, widths, height=0.4, label=label, color=color)

    if base is not None:
        bars(base, -0.2, base_label, "tab:gray")
    bars(current, 0.2 if base is not None else 0.0, "current", "tab:orange")
    axes.set_yticks(positions, names)
    axes.invert_yaxis()
    axes.axvline(0, color="black", linewidth=0.8)
    axes.set(xlabel="coefficient", title="Titanic logistic-regression coefficients")
    axes.grid(True, axis="x")
    axes.legend(loc="lower right")
    return figure


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


@dataclass(frozen=True)
class Chart:
    """A drawn chart: a file stem, its caption and the figure."""

    name: str
    title: str
    figure: Figure


# name -> (title, plot data path, columns, figure function); the order is the page's order.
CURVES: dict[str, tuple[str, str, tuple[str, ...], Callable[[Pair], Figure]]] = {
    "precision_recall": (
        "Precision vs recall (5-vs-rest, cross-validated scores)",
        "plots/mnist/precision_recall.csv",
        ("recall", "precision"),
        precision_recall,
    ),
    "threshold": (
        "Precision and recall vs decision threshold",
        "plots/mnist/threshold.csv",
        ("threshold", "precision", "recall"),
        threshold_tradeoff,
    ),
    "roc": ("ROC curve (5-vs-rest, cross-validated scores)", "plots/mnist/roc.csv", ("fpr", "tpr"), roc),
}
CONFUSION = ("Test-set confusion matrix, softmax on the augmented set", "plots/mnist/test_confusion.csv")
COEFFICIENTS = ("Titanic logistic-regression coefficients", "plots/titanic/coefficients.csv")
PLOT_FILES = [path for _, path, _, _ in CURVES.values()] + [CONFUSION[1], COEFFICIENTS[1]]


# The operating point's metrics in metrics/mnist.json, marked on the curves (pipelib.metrics.REVIEW_KEYS;
# the threshold is in reports/mnist_details.json now, not a metric, so `dvc metrics diff` does not give it).
OPERATING_POINT = {"precision": "binary.cv_precision", "recall": "binary.cv_recall"}
OPERATING_FILE = "metrics/mnist.json"


def draw_all(
    base: dict[str, str | None], current: dict[str, str], base_label: str, operating: dict[str, tuple[Any, Any]]
) -> list[Chart]:
    """Every review chart from the plot files' texts (keyed by path); a base text of None draws current only."""

    def source(path: str, revision: str) -> str:
        return f"{path} ({revision})"

    def parsed(path: str, columns: tuple[str, ...], kind: type = float) -> Pair:
        old = base.get(path)
        return Pair(
            None if old is None else parse_csv(old, source(path, base_label), columns, kind),
            parse_csv(current[path], source(path, "current"), columns, kind),
            base_label,
            operating,
        )

    charts = [Chart(name, title, draw(parsed(path, columns))) for name, (title, path, columns, draw) in CURVES.items()]
    confusion = parsed(CONFUSION[1], ("actual", "predicted"), int)
    charts.append(Chart("test_confusion", CONFUSION[0], confusion_panels(confusion)))
    path = COEFFICIENTS[1]
    old = base.get(path)
    old_bars = None if old is None else parse_labels(old, source(path, base_label), ("feature", "coefficient"))
    new_bars = parse_labels(current[path], source(path, "current"), ("feature", "coefficient"))
    charts.append(Chart("titanic_coefficients", COEFFICIENTS[0], coefficients(old_bars, new_bars, base_label)))
    for chart in charts:
        chart.figure.tight_layout()
    return charts
