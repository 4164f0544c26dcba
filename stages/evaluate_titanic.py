"""evaluate (Titanic): every registry model and two baselines; the reference's extremes, coefficients, predictions."""

from __future__ import annotations

import argparse

from pipelib import metrics
from pipelib.errors import run_stage
from pipelib.params import load_params
from pipelib.titanic import evaluation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--train", required=True)
    parser.add_argument("--test", required=True)
    parser.add_argument("--models", required=True, help="directory of <name>.skops, one per titanic.models entry")
    parser.add_argument("--out-of-fold", required=True, help="directory of <name>.parquet, out-of-fold predictions")
    parser.add_argument("--metrics", required=True)
    parser.add_argument("--details", required=True)
    parser.add_argument("--extremes", required=True)
    parser.add_argument("--coefficients", required=True)
    parser.add_argument("--predictions", required=True)
    parser.add_argument("--calibration", required=True, help="plot data of the reliability curve")
    args = parser.parse_args()
    params = load_params().titanic
    # Every input is read and checked before the first output is written.
    inputs = evaluation.read_inputs(args.train, args.test, list(params.models), args.models, args.out_of_fold)
    result = evaluation.evaluate(inputs, params.evaluate)
    metrics.write_titanic(result, args.metrics, args.details)
    evaluation.write_tables(result, args.extremes, args.coefficients, args.predictions, args.calibration)


if __name__ == "__main__":
    run_stage(main)
