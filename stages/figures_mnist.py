"""figures (MNIST): the seed's figures as PNG: a digit, the first 100, the PR trade-off, the shifts."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipelib.binary_metrics import pr_curve, thin_indices
from pipelib.errors import PipelineError, run_stage
from pipelib.mnist import figures
from pipelib.mnist.augment import shift_images
from pipelib.mnist.dataset import MAX_IMAGES, read_mnist
from pipelib.params import load_params
from pipelib.png import save_figure, use_agg
from pipelib.scores import read_scores
from pipelib.tables import use_system_allocator

CURVE_POINTS = 4000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--train", required=True)
    parser.add_argument("--scores", required=True)
    parser.add_argument("--out", required=True, help="directory for the PNG files")
    args = parser.parse_args()
    use_system_allocator()
    use_agg()
    settings = load_params().mnist.figures
    # Every input is read and checked before the first figure is written.
    pixels, _ = read_mnist(args.train)
    for key in ("some_digit", "shift_example"):
        row = getattr(settings, key)
        if row >= len(pixels):
            raise PipelineError(f"params.yaml: 'mnist.figures.{key}' must be below {len(pixels)}, got {row}")
    _, target, score = read_scores(args.scores, MAX_IMAGES)
    if len(score) != len(pixels):
        raise PipelineError(f"{args.scores}: {len(score)} rows, but {args.train} has {len(pixels)} (rerun dvc repro)")
    out = Path(args.out)

    save_figure(figures.single_digit(pixels[settings.some_digit]), out / "some_digit.png")
    save_figure(figures.digits(pixels[:100]), out / "more_digits.png")
    example = pixels[settings.shift_example : settings.shift_example + 1]
    step = settings.shift_example_pixels
    save_figure(
        figures.shifted_panel(example, shift_images(example, 0, step), shift_images(example, -step, 0)),
        out / "shifted_digit.png",
    )

    curve = pr_curve(target, score)
    keep = thin_indices(len(curve.thresholds), CURVE_POINTS)
    save_figure(figures.precision_vs_recall(curve.precision[keep], curve.recall[keep]), out / "precision_vs_recall.png")
    save_figure(
        figures.precision_recall_vs_threshold(curve.thresholds[keep], curve.precision[keep], curve.recall[keep]),
        out / "precision_recall_vs_threshold.png",
    )


if __name__ == "__main__":
    run_stage(main)
