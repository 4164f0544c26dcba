"""compare (MNIST): every mnist.models entry on the test set, from the predictions its training stage wrote."""

from __future__ import annotations

import argparse

from pipelib.atomic import write_json
from pipelib.errors import run_stage
from pipelib.mnist import comparison
from pipelib.params import load_params


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--predictions", required=True, help="directory of <name>.parquet, one per mnist.models entry")
    parser.add_argument("--metrics", required=True)
    parser.add_argument("--details", required=True)
    parser.add_argument("--test-predictions", required=True, help="CSV: each test image's digit and every prediction")
    parser.add_argument("--confusion", required=True, help="plot data: the reference model's test predictions")
    parser.add_argument("--errors", required=True, help="plot data: the reference model's misclassified images")
    args = parser.parse_args()
    params = load_params().mnist
    labels, found = comparison.read_all(args.predictions, list(params.models))
    headline, details = comparison.compare(labels, found, params.models, params.evaluate)
    comparison.write_plots(labels, found[params.evaluate.reference][0], args.confusion, args.errors)
    comparison.write_test_predictions(args.test_predictions, labels, found)
    write_json(args.metrics, headline)
    write_json(args.details, details)


if __name__ == "__main__":
    run_stage(main)
