"""Line charts GitHub draws itself in the review comment: Mermaid ``xychart-beta`` blocks.

A comment cannot show relative images and the repository may be private, so curves go in as
text. An xychart has one y per x category, so base and head are resampled onto one shared grid
of a few dozen points, which also keeps the comment small.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelib.review.inert import mermaid

POINTS = 31
# (head, base) colours of the curves of a chart, in y-column order, with their names for the caption.
PALETTE = [
    (("#1f77b4", "blue"), ("#9ecae1", "light blue")),
    (("#2ca02c", "green"), ("#a1d99b", "light green")),
    (("#d62728", "red"), ("#fc9272", "light red")),
    (("#9467bd", "purple"), ("#bcbddc", "light purple")),
]


@dataclass(frozen=True)
class Series:
    """One curve: its name for the caption, its colour and name of the colour, and its y on the grid."""

    name: str
    color: str
    color_name: str
    values: np.ndarray


def grid(xs: list[np.ndarray], points: int = POINTS) -> np.ndarray:
    """``points`` evenly spaced x values over the range of all the curves' x."""
    finite = np.concatenate([x[np.isfinite(x)] for x in xs]) if xs else np.array([])
    if finite.size == 0:
        return np.zeros(1)
    low, high = float(finite.min()), float(finite.max())
    return np.array([low]) if low == high else np.linspace(low, high, points)


def resample(x: np.ndarray, y: np.ndarray, at: np.ndarray) -> np.ndarray:
    """``y(x)`` at the grid points by linear interpolation (sorted by x; clamped outside its range)."""
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if x.size == 0:
        return np.zeros_like(at)
    order = np.argsort(x, kind="stable")
    return np.interp(at, x[order], y[order])


def _number(value: float, decimals: int | None = None) -> str:
    text = f"{value:.4g}" if decimals is None else f"{value:.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def _decimals(at: np.ndarray) -> int:
    """Decimals that tell neighbouring grid points apart: one more than the step's first digit needs."""
    step = float(at[1] - at[0]) if at.size > 1 else 1.0
    return max(0, 1 - int(np.floor(np.log10(step))))


def line_chart(title: str, x_label: str, y_label: str, at: np.ndarray, series: list[Series]) -> str:
    """A fenced ``mermaid`` block: one xychart with a line per series over the categories ``at``."""
    palette = ", ".join(item.color for item in series)
    values = np.concatenate([item.values for item in series]) if series else np.zeros(1)
    decimals = _decimals(at)
    categories = ", ".join(f'"{_number(x, decimals)}"' for x in at)
    lines = [
        "```mermaid",
        '%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "' + palette + '"}}}}%%',
        "xychart-beta",
        f'    title "{mermaid(title)}"',
        f'    x-axis "{mermaid(x_label)}" [{categories}]',
    ]
    if values.size and values.min() >= 0 and values.max() <= 1:
        lines.append(f'    y-axis "{mermaid(y_label)}" 0 --> 1')
    else:
        lines.append(f'    y-axis "{mermaid(y_label)}"')
    lines += [f"    line [{', '.join(_number(v) for v in item.values)}]" for item in series]
    lines.append("```")
    return "\n".join(lines)
