"""operating point (MNIST): the binary classifier at mnist.evaluate.threshold, from evaluate_mnist's saved scores.

The only stage a threshold or target-precision change reruns, with the report: it reads scores,
the curve and the training images of the error grid, and imports neither scikit-learn nor pandas.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pipelib.atomic import write_json
from pipelib.binary_metrics import Curve
from pipelib.errors import run_stage
from pipelib.metrics import read_json
from pipelib.mnist.dataset import MAX_IMAGES, read_mnist
from pipelib.mnist.figures import write_threshold_figures
from pipelib.mnist.operating_point import operating_point
from pipelib.params import load_params
from pipelib.plot_csv import write_csv
from pipelib.png import use_agg
from pipelib.scores import read_curve, read_scores, require_training_rows
from pipelib.tables import use_system_allocator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scores", required=True, help="out-of-fold scores of the training rows")
    parser.add_argument("--test-scores", required=True)
    parser.add_argument("--curve", required=True, help="the whole precision-recall curve")
    parser.add_argument("--analysis", required=True, help="evaluate_mnist's details: the walk-through's scores")
    parser.add_argument("--train", required=True, help="the training images, for the grid of misclassified digits")
    parser.add_argument("--metrics", required=True)
    parser.add_argument("--details", required=True)
    parser.add_argument("--confusion", required=True, help="plot data: the out-of-fold predictions at the threshold")
    parser.add_argument("--figures", required=True, type=Path, help="directory for the two PNGs")
    args = parser.parse_args()
    use_system_allocator()
    use_agg()
    params = load_params().mnist
    # Every input is read and checked before the first output is written.
    _, target, score = read_scores(args.scores, MAX_IMAGES)
    _, test_target, test_score = read_scores(args.test_scores, MAX_IMAGES)
    curve = Curve(*read_curve(args.curve, MAX_IMAGES + 1))
    walkthrough = read_json(args.analysis, ("binary.walkthrough.score", "binary.walkthrough.cv_score"))
    pixels, _ = read_mnist(args.train)
    require_training_rows(args.scores, len(target), args.train, len(pixels))
    headline, details = operating_point(
        (target, score), (test_target, test_score), curve, walkthrough["binary"]["walkthrough"], params.evaluate
    )
    write_threshold_figures(curve, target, score, pixels, params, args.figures)
    write_csv(
        args.confusion, {"actual": target.astype(int), "predicted": (score > params.evaluate.threshold).astype(int)}
    )
    write_json(args.metrics, headline)
    write_json(args.details, details)


if __name__ == "__main__":
    run_stage(main)
