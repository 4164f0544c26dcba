"""The seed notebook's figures as matplotlib figures (saved by ``pipelib.png.save_figure``).

PNGs are written with fixed metadata and resolution, so the same data gives the same bytes.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from pipelib.binary_metrics import Curve, calibration, pr_curve, probability, thin_indices, threshold_for_precision
from pipelib.errors import PipelineError
from pipelib.mnist.augment import shift_images
from pipelib.mnist.comparison import confusion, normalized_errors
from pipelib.mnist.dataset import MAX_IMAGES, SIDE, read_mnist
from pipelib.mnist.predictions import read as read_predictions
from pipelib.params import BinaryEvaluateParams, MnistParams, require_row_below
from pipelib.png import save_figure
from pipelib.scores import read_scores, require_training_rows

CURVE_POINTS = 4000  # points per drawn curve: more than the eye resolves at this size
CONFUSED_PAIR = (3, 5)  # the chapter's 3-versus-5 error grid


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
    axes.axis((0, 1, 0, 1))
    axes.grid(True)
    return figure


def threshold_window(thresholds: np.ndarray, recall: np.ndarray, marks: list[float]) -> tuple[float, float]:
    """An x range where the curves change: from recall falling below 0.99 to below 0.05, marks included.

    The full range of decision scores (about -55 to 17 for 5-vs-rest) squeezes the crossing of the
    two curves into a sliver; this keeps it, the decision threshold and the target-precision one.
    """
    if len(thresholds) == 0:
        return (-1.0, 1.0)
    low = thresholds[int(np.argmax(recall[:-1] < 0.99))]  # never below: argmax gives 0, the first threshold
    high = thresholds[int(np.argmax(recall[:-1] < 0.05))] if (recall[:-1] < 0.05).any() else thresholds[-1]
    low, high = min(low, *marks), max(high, *marks)
    margin = 0.05 * (high - low) or 1.0
    return float(low - margin), float(high + margin)


def precision_recall_vs_threshold(
    thresholds: np.ndarray,
    precision: np.ndarray,
    recall: np.ndarray,
    marks: Sequence[tuple[str, float, float, float]] = (),
    window: tuple[float, float] | None = None,
) -> Figure:
    """Precision and recall as the decision threshold moves, with marked thresholds (label, x, precision, recall)."""
    figure, axes = plt.subplots(figsize=(8, 4))
    axes.plot(thresholds, precision[:-1], "b--", linewidth=2, label="Precision")
    axes.plot(thresholds, recall[:-1], "g-", linewidth=2, label="Recall")
    for (label, x, at_precision, at_recall), color in zip(marks, ("red", "purple", "black"), strict=False):
        axes.axvline(x, color=color, linestyle=":", linewidth=1.5)
        axes.plot([x, x], [at_precision, at_recall], "o", color=color, label=f"{label} ({x:.3g})")
    axes.set_xlabel("Threshold (decision score)", fontsize=16)
    axes.set_ylabel("Precision / recall", fontsize=16)
    axes.legend(loc="center left", fontsize=11)
    axes.grid(True)
    axes.set_ylim(0, 1.02)
    if window is not None:
        axes.set_xlim(*window)
    return figure


def digit_panels(panels: list[tuple[str, np.ndarray]], per_row: int = 5) -> Figure:
    """Grids of digits side by side (or two by two for four), each titled: the chapter's error grids."""
    columns = 2 if len(panels) == 4 else len(panels)
    rows = (len(panels) - 1) // columns + 1
    figure, axes = plt.subplots(rows, columns, figsize=(4 * columns, 4 * rows), squeeze=False)
    for axis, (title, images) in zip(axes.ravel(), panels, strict=True):
        if len(images):
            axis.imshow(digit_grid(images, per_row), cmap="binary", interpolation="nearest")
        axis.set_title(f"{title} ({len(images)})", fontsize=12)
        axis.axis("off")
    return figure


def confusion_errors(normalized: np.ndarray) -> Figure:
    """The row-normalised confusion matrix with its diagonal zeroed: where each digit's errors go."""
    figure, axes = plt.subplots(figsize=(6, 5))
    image = axes.matshow(normalized, cmap="gray")
    figure.colorbar(image, ax=axes, label="share of the actual digit's test images")
    axes.set_xlabel("predicted digit")
    axes.set_ylabel("actual digit")
    axes.set_xticks(range(normalized.shape[1]))
    axes.set_yticks(range(normalized.shape[0]))
    axes.xaxis.set_label_position("top")
    return figure


def reliability(mean_probability: list[float], fraction_positive: list[float], brier: float, title: str) -> Figure:
    """A reliability curve against the diagonal of perfect calibration."""
    figure, axes = plt.subplots(figsize=(5, 5))
    axes.plot([0, 1], [0, 1], "k:", label="perfectly calibrated")
    axes.plot(mean_probability, fraction_positive, "s-", label=f"out-of-fold (Brier {brier:.4f})")
    axes.set(xlabel="mean predicted probability", ylabel="fraction of positives", xlim=(0, 1), ylim=(0, 1))
    axes.set_title(title)
    axes.legend(loc="upper left")
    axes.grid(True)
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
    target: np.ndarray  # out-of-fold truth (is the positive digit) and scores of the training rows
    score: np.ndarray
    test_pixels: np.ndarray
    test_labels: np.ndarray
    test_predicted: np.ndarray  # the reference model's test predictions (mnist.evaluate.reference)


def read_inputs(
    train: str | os.PathLike[str],
    scores: str | os.PathLike[str],
    test: str | os.PathLike[str],
    predictions: str | os.PathLike[str],
    params: MnistParams,
) -> FigureInputs:
    """Read and check every input before the first figure is written."""
    pixels, _ = read_mnist(train)
    rows = {f"figures.{key}": getattr(params.figures, key) for key in ("some_digit", "shift_example")}
    rows["evaluate.walkthrough_row"] = params.evaluate.walkthrough_row
    for key, row in rows.items():
        require_row_below(f"mnist.{key}", row, len(pixels))
    _, target, score = read_scores(scores, MAX_IMAGES)
    require_training_rows(scores, len(score), train, len(pixels))
    test_pixels, test_labels = read_mnist(test)
    labels, predicted, _ = read_predictions(predictions)
    if not np.array_equal(labels, test_labels):
        raise PipelineError(f"{predictions}: its labels are not those of {test} (rerun dvc repro)")
    return FigureInputs(pixels, target, score, test_pixels, test_labels, predicted)


def write_figures(inputs: FigureInputs, params: MnistParams, directory: str | os.PathLike[str]) -> None:
    """Every figure of the report but the two a threshold changes (:func:`write_threshold_figures`), as PNGs."""
    out, pixels = Path(directory), inputs.pixels
    settings, evaluate = params.figures, params.evaluate
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
    save_figure(single_digit(pixels[evaluate.walkthrough_row]), out / "walkthrough_digit.png")
    count = settings.error_examples
    first, second = CONFUSED_PAIR
    labels, guesses, test = inputs.test_labels, inputs.test_predicted, inputs.test_pixels
    panels = [
        (f"{actual} predicted as {guess}", test[(labels == actual) & (guesses == guess)][:count])
        for actual in (first, second)
        for guess in (first, second)
    ]
    save_figure(digit_panels(panels), out / f"errors_{first}_vs_{second}.png")
    save_figure(confusion_errors(normalized_errors(confusion(labels, guesses))), out / "confusion_normalized.png")
    binary = calibration(inputs.target, probability(inputs.score), evaluate.calibration_bins)
    save_figure(
        reliability(
            binary.mean_probability,
            binary.fraction_positive,
            binary.brier,
            f"{params.positive_digit}-vs-rest calibration",
        ),
        out / "calibration.png",
    )


def write_threshold_figures(
    curve: Curve, target: np.ndarray, score: np.ndarray, pixels: np.ndarray, params: MnistParams, directory: Path
) -> None:
    """The two figures a threshold changes: the trade-off marked at it, the training digits it gets wrong."""
    save_figure(threshold_figure(curve, params.evaluate), directory / "precision_recall_vs_threshold.png")
    predicted, count = score > params.evaluate.threshold, params.figures.error_examples
    false_positives, false_negatives = pixels[predicted & ~target][:count], pixels[~predicted & target][:count]
    panels = [("false positives", false_positives), ("false negatives", false_negatives)]
    save_figure(digit_panels(panels), directory / "binary_errors.png")


def threshold_figure(curve: Curve, evaluate: BinaryEvaluateParams) -> Figure:
    """The trade-off figure marked at the decision threshold and at the target precision's threshold."""
    precision, recall, thresholds = curve.precision, curve.recall, curve.thresholds

    def mark(label: str, x: float) -> tuple[str, float, float, float]:
        index = min(int(np.searchsorted(thresholds, x, side="right")), len(thresholds) - 1)
        return label, x, float(precision[index]), float(recall[index])

    marks = [mark("decision threshold", evaluate.threshold)]
    point = threshold_for_precision(curve, evaluate.target_precision)
    if point is not None:
        marks.append(mark(f"precision {evaluate.target_precision:g}", point["threshold"]))
    window = threshold_window(thresholds, recall, [x for _, x, _, _ in marks])
    inside = np.flatnonzero((thresholds >= window[0]) & (thresholds <= window[1]))
    keep = inside[thin_indices(len(inside), CURVE_POINTS)]
    kept = np.append(keep, keep[-1] + 1) if len(keep) else keep  # precision/recall have one more point
    return precision_recall_vs_threshold(thresholds[keep], precision[kept], recall[kept], marks, window)
