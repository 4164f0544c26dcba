"""evaluate (MNIST): the binary classifier's metrics that no threshold changes, from its saved scores and model.

It also saves the test set's scores and the whole precision-recall curve: the operating_point
stage applies the decision threshold to them, so a threshold change does not rerun this stage.
"""

from __future__ import annotations

import argparse

from pipelib import metrics
from pipelib.errors import run_stage
from pipelib.mnist import evaluation
from pipelib.params import load_params
from pipelib.tables import use_system_allocator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scores", required=True)
    parser.add_argument("--binary-model", required=True)
    parser.add_argument("--test", required=True)
    parser.add_argument("--train", required=True)
    parser.add_argument("--metrics", required=True)
    parser.add_argument("--details", required=True)
    parser.add_argument("--plots", required=True, help="directory for the plot data files")
    parser.add_argument("--test-scores", required=True, help="the binary model's decision scores of the test set")
    parser.add_argument("--curve", required=True, help="the whole precision-recall curve of the out-of-fold scores")
    args = parser.parse_args()
    use_system_allocator()
    params = load_params().mnist
    inputs = evaluation.read_inputs(
        args.scores, args.binary_model, args.test, args.train, params.evaluate.walkthrough_row
    )
    result = evaluation.evaluate(inputs, params.positive_digit, params.evaluate)
    metrics.write_mnist(result, args.metrics, args.details)
    evaluation.write_plots(result, args.plots, params.evaluate.curve_points)
    evaluation.write_for_operating_point(result, args.test_scores, args.curve)


if __name__ == "__main__":
    run_stage(main)
