"""predict: score new digits or passengers with the pipeline's model files and write a CSV.

  python -m pipelib.predict digits INPUT --model models/mnist/softmax_augmented.skops --out predictions.csv
  python -m pipelib.predict passengers test.csv --model models/titanic/logistic.skops --out predictions.csv

INPUT is a directory of 28 x 28 8-bit greyscale PNGs (white digit on black; with --prepare,
any photo or scan of one digit), a gzipped IDX image file or an MNIST parquet file. A bad
input or a model file of the wrong kind ends with one ``error:`` line naming the file, exit
status 2, and no output written.
docs/predict.md has the details.
"""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path
from typing import Any, TextIO

from pipelib.atomic import atomic_path
from pipelib.csv_cells import csv_lines, header_line
from pipelib.errors import PipelineError, run_stage
from pipelib.log import progress
from pipelib.mnist import models as mnist_models
from pipelib.predict import digits
from pipelib.tables import use_system_allocator


def parser() -> argparse.ArgumentParser:
    """The command line, with one subcommand per data set."""
    parser = argparse.ArgumentParser(
        prog="python -m pipelib.predict", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    digit = commands.add_parser("digits", help="MNIST digits -> file or row, predicted class, decision scores")
    digit.add_argument("input", type=Path, help="a directory of PNGs, a gzipped IDX image file or an MNIST parquet")
    digit.add_argument("--model", required=True, type=Path, help="models/mnist/<name>.skops or models/binary.skops")
    digit.add_argument("--out", required=True, type=Path, help="the CSV to write")
    digit.add_argument("--convert", action="store_true", help="PNGs: convert other sizes, colour, alpha")
    digit.add_argument("--prepare", action="store_true", help="PNGs: crop, scale and centre any digit as MNIST's")
    digit.add_argument("--invert", action="store_true", help="dark digits on a light background: invert the pixels")
    digit.add_argument("--threshold", type=float, default=None, help="binary model: positive above this score (0)")
    passenger = commands.add_parser("passengers", help="Titanic passengers -> PassengerId, Survived, scores")
    passenger.add_argument("input", type=Path, help="a CSV with Kaggle's Titanic columns (Survived not needed)")
    passenger.add_argument("--model", required=True, type=Path, help="models/titanic/<name>.skops")
    passenger.add_argument("--out", required=True, type=Path, help="the CSV to write")
    passenger.add_argument("--threshold", type=float, default=None, help="Survived = 1 above this decision score")
    return parser


PROGRESS_EVERY = 16  # blocks between progress lines (131,072 images)


def write_csv(stream: TextIO, columns: dict[str, Any], header: bool) -> None:
    """Rows (and the header first) of the predictions CSV: floats at full precision, text safe (csv_cells)."""
    if header:
        stream.write(header_line(columns))
    stream.writelines(csv_lines(columns, repr))


def predict_digits(args: argparse.Namespace, out: TextIO) -> None:
    model = mnist_models.load(args.model)
    if args.threshold is not None and (model.classes_.dtype.kind != "b" or not hasattr(model, "decision_function")):
        raise PipelineError(f"{args.model}: a multiclass model predicts the top class; --threshold is for binary ones")
    total, blocks = digits.digit_blocks(args.input, args.convert, args.invert, args.prepare)
    done = 0
    for number, block in enumerate(blocks, start=1):
        write_csv(out, digits.prediction_columns(model, block, args.threshold), header=number == 1)
        done += len(block.pixels)
        if number % PROGRESS_EVERY == 0 or done == total:
            progress(f"predict: {done:,} of {total:,} images scored")


def predict_passengers(args: argparse.Namespace, out: TextIO) -> None:
    from pipelib.predict import passengers  # scikit-learn and pandas: not loaded to score digits
    from pipelib.titanic import model as titanic_model

    model = titanic_model.load(args.model)
    table = passengers.predictions(model, passengers.read_passenger_csv(args.input), args.threshold)
    write_csv(out, {name: table[name].to_numpy() for name in table.columns}, header=True)


def _same_file(first: Path, second: Path) -> bool:
    """Whether two paths name one file: the same path once resolved, or one existing file (a hard or symbolic link)."""
    if os.path.realpath(first) == os.path.realpath(second):  # unlike Path.resolve, no error on a symlink loop
        return True
    try:
        return os.path.samefile(first, second)
    except OSError:  # either is missing (or unreadable): not one existing file
        return False


def refuse_overwriting_an_input(args: argparse.Namespace) -> None:
    """Refuse an --out that is the model, the input or one of the input directory's PNGs: the CSV would replace it."""
    if _same_file(args.out, args.model):
        raise PipelineError(f"--out {args.out} is the model file --model {args.model}: the CSV would replace it")
    if _same_file(args.out, args.input):
        raise PipelineError(f"--out {args.out} is the input {args.input}: the CSV would replace it")
    if args.out.suffix.lower() == ".png" and args.input.is_dir() and _same_file(args.out.parent, args.input):
        raise PipelineError(f"--out {args.out} is a PNG in the input directory {args.input}: the CSV would replace it")


def main() -> None:
    args = parser().parse_args()
    if args.threshold is not None and not math.isfinite(args.threshold):
        raise PipelineError(f"--threshold {args.threshold}: not a finite number")
    refuse_overwriting_an_input(args)
    use_system_allocator()
    # The output's temporary file is created first: an --out that cannot be written is refused before any work.
    with atomic_path(args.out, make_parents=False) as tmp, open(tmp, "w", encoding="utf-8", newline="") as out:
        predict_digits(args, out) if args.command == "digits" else predict_passengers(args, out)


if __name__ == "__main__":
    run_stage(main)
