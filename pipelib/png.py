"""Deterministic PNG output from matplotlib, shared by the pipeline's figures and the review.

Entry points that draw call ``use_agg()`` first; importing this module changes nothing.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from pipelib.atomic import atomic_path

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# savefig options that make the PNG bytes depend on the figure only (no software-version tag).
PNG_OPTIONS: dict[str, Any] = {"format": "png", "dpi": 100, "metadata": {"Software": None}}


def use_agg() -> None:
    """Select matplotlib's file-only Agg backend (no display, the same pixels everywhere)."""
    import matplotlib

    matplotlib.use("Agg")


def save_figure(figure: Figure, target: str | os.PathLike[str]) -> None:
    """Save a figure as PNG atomically, without the software-version tag, and close it."""
    import matplotlib.pyplot as plt

    figure.tight_layout()
    with atomic_path(target) as tmp:
        figure.savefig(tmp, **PNG_OPTIONS)
    plt.close(figure)
