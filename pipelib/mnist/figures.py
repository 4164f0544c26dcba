"""The seed notebook's figures as matplotlib figures (saved by ``pipelib.png.save_figure``).

PNGs are written with fixed metadata and resolution, so the same data gives the same bytes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from pipelib.binary_metrics import pr_curve, thin_indices
from pipelib.errors import PipelineError
from pipelib.mnist.augment import shift_images
from pipelib.mnist.dataset import SIDE, read_mnist
from pipelib.params import FigureParams
from pipelib.png import save_figure
from pipelib.scores import read_scores

CURVE_POINTS = 4000  # points per drawn curve: more than the eye resolves at this size


def digit_grid(images: np.ndarray, per_row: int = 10) -> np.ndarray:
    """Images (n, 784) tiled into one picture, empty cells left blank, as the seed's plot_digits."""
    rows = (len(images) - 1) // per_row + 1
    grid = np.zeros((rows * per_row, SIDE, SIDE), dtype=images.dtype)
    grid[: len(images)] = images.reshape(-1, SIDE, SIDE)
    return grid.reshape(rows, per_row, SIDE, SIDE).transpose(0, 2, 1, 3).reshape(rows * SIDE, per_row * SIDE)


def single_digit(image: np.ndarray) -> Figure:
    """One digit, black on white (the seed's ``some_digit_plot``)."""
    figure, axes = plt.subplots(figsize=(3, 3))
    axes.imshow(image.reshape(SIDE, SIDE), cmap="binary", interpolation="nearest")
    axes.axis("off")
    return figure


def digits(images: np.ndarray, per_row: int = 10) -> Figure:
    """The first digits in a grid (the seed's ``more_digits_plot``)."""
    figure, axes = plt.subplots(figsize=(9, 9))
    axes.imshow(digit_grid(images, per_row), cmap="binary", interpolation="nearest")
    axes.axis("off")
    return figure


def precision_vs_recall(precision: np.ndarray, recall: np.ndarray) -> Figure:
    """Precision against recall (the seed's ``precision_vs_recall_plot``)."""
    figure, axes = plt.subplots(figsize=(8, 6))
    axes.plot(recall, precision, "b-", linewidth=2)
    axes.set_xlabel("Recall", fontsize=16)
    axes.set_ylabel("Precision", fontsize=16)
    axes.axis([0, 1, 0, 1])
    axes.grid(True)
    return figure


def precision_recall_vs_threshold(thresholds: np.ndarray, precision: np.ndarray, recall: np.ndarray) -> Figure:
    """Precision and recall as the decision threshold moves (the trade-off)."""
    figure, axes = plt.subplots(figsize=(8, 4))
    axes.plot(thresholds, precision, "b--", linewidth=2, label="Precision")
    axes.plot(thresholds, recall, "g-", linewidth=2, label="Recall")
    axes.set_xlabel("Threshold", fontsize=16)
    axes.legend(loc="center right", fontsize=14)
    axes.grid(True)
    axes.set_ylim(0, 1)
    return figure


def shifted_panel(original: np.ndarray, down: np.ndarray, left: np.ndarray) -> Figure:
    """Original, shifted down and shifted left side by side (the seed's augmentation figure)."""
    figure, axes = plt.subplots(1, 3, figsize=(12, 3))
    for axis, image, title in zip(
        axes, (original, down, left), ("Original", "Shifted down", "Shifted left"), strict=True
    ):
        axis.set_title(title, fontsize=14)
        axis.imshow(image.reshape(SIDE, SIDE), interpolation="nearest", cmap="Greys")
    return figure


@dataclass(frozen=True)
class FigureInputs:
    """The figures stage's inputs, read and checked."""

    pixels: np.ndarray  # training images
    target: np.ndarray  # out-of-fold 5-vs-rest truth and scores of the training rows
    score: np.ndarray


def read_inputs(train: str | os.PathLike[str], scores: str | os.PathLike[str], settings: FigureParams) -> FigureInputs:
    """Read and check every input before the first figure is written."""
    pixels, _ = read_mnist(train)
    for key in ("some_digit", "shift_example"):
        row = getattr(settings, key)
        if row >= len(pixels):
            raise PipelineError(f"params.yaml: 'mnist.figures.{key}' must be below {len(pixels)}, got {row}")
    _, target, score = read_scores(scores)
    if len(score) != len(pixels):
        raise PipelineError(f"{scores}: {len(score)} rows, but {train} has {len(pixels)} (rerun dvc repro)")
    return FigureInputs(pixels, target, score)


def write_figures(inputs: FigureInputs, settings: FigureParams, directory: str | os.PathLike[str]) -> None:
    """Every figure of the report as a PNG in ``directory``."""
    out, pixels = Path(directory), inputs.pixels
    save_figure(single_digit(pixels[settings.some_digit]), out / "some_digit.png")
    save_figure(digits(pixels[:100]), out / "more_digits.png")
    example = pixels[settings.shift_example : settings.shift_example + 1]
    step = settings.shift_example_pixels
    save_figure(
        shifted_panel(example, shift_images(example, 0, step), shift_images(example, -step, 0)),
        out / "shifted_digit.png",
    )
    curve = pr_curve(inputs.target, inputs.score)
    keep = thin_indices(len(curve.thresholds), CURVE_POINTS)
    save_figure(precision_vs_recall(curve.precision[keep], curve.recall[keep]), out / "precision_vs_recall.png")
    save_figure(
        precision_recall_vs_threshold(curve.thresholds[keep], curve.precision[keep], curve.recall[keep]),
        out / "precision_recall_vs_threshold.png",
    )
