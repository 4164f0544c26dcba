"""predict: score new digits or passengers with the pipeline's model files and write a CSV.

  python -m pipelib.predict digits INPUT --model models/softmax_augmented.npz --out predictions.csv
  python -m pipelib.predict passengers test.csv --model models/titanic/logistic.skops --out predictions.csv

INPUT is a directory of 28 x 28 8-bit greyscale PNGs (white digit on black), a gzipped IDX
image file or an MNIST parquet file. A bad input or a model file of the wrong kind ends
with one ``error:`` line naming the file, exit status 2, and no output written.
docs/predict.md has the details.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from pipelib.atomic import atomic_path
from pipelib.errors import PipelineError, run_stage
from pipelib.predict import digits, passengers
from pipelib.predict.models import load_mnist_model, load_titanic_model
from pipelib.tables import use_system_allocator


def parser() -> argparse.ArgumentParser:
    """The command line, with one subcommand per data set."""
    parser = argparse.ArgumentParser(
        prog="python -m pipelib.predict", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    digit = commands.add_parser("digits", help="MNIST digits -> file or row, predicted class, decision scores")
    digit.add_argument("input", type=Path, help="a directory of PNGs, a gzipped IDX image file or an MNIST parquet")
    digit.add_argument(
        "--model", required=True, type=Path, help="models/binary.npz, softmax.npz, softmax_augmented.npz"
    )
    digit.add_argument("--out", required=True, type=Path, help="the CSV to write")
    digit.add_argument("--convert", action="store_true", help="PNGs: convert other sizes, colour, alpha")
    digit.add_argument("--invert", action="store_true", help="dark digits on a light background: invert the pixels")
    digit.add_argument("--threshold", type=float, default=None, help="binary model: positive above this score (0)")
    passenger = commands.add_parser("passengers", help="Titanic passengers -> PassengerId, Survived, scores")
    passenger.add_argument("input", type=Path, help="a CSV with Kaggle's Titanic columns (Survived not needed)")
    passenger.add_argument("--model", required=True, type=Path, help="models/titanic/<name>.skops")
    passenger.add_argument("--out", required=True, type=Path, help="the CSV to write")
    passenger.add_argument("--threshold", type=float, default=None, help="Survived = 1 above this decision score")
    return parser


def write_predictions(table: pd.DataFrame, target: Path) -> None:
    """The predictions as CSV (floats at full precision), written atomically."""
    with atomic_path(target) as tmp:
        table.to_csv(tmp, index=False, lineterminator="\n")


def predict_digits(args: argparse.Namespace) -> pd.DataFrame:
    model, _ = load_mnist_model(args.model)
    if args.threshold is not None and model.coef.shape[0] != 1:
        raise PipelineError(f"{args.model}: a softmax model predicts the top score; --threshold is for binary ones")
    images = digits.read_digits(args.input, args.convert, args.invert)
    return digits.predictions(model, images, args.threshold or 0.0)


def predict_passengers(args: argparse.Namespace) -> pd.DataFrame:
    model = load_titanic_model(args.model)
    return passengers.predictions(model, passengers.read_passenger_csv(args.input), args.threshold)


def main() -> None:
    args = parser().parse_args()
    use_system_allocator()
    table = predict_digits(args) if args.command == "digits" else predict_passengers(args)
    write_predictions(table, args.out)


if __name__ == "__main__":
    run_stage(main)
