"""figures (MNIST): the seed's figures as PNG (a digit, the first 100, the PR trade-off, the shifts), the
walk-through digit, and the chapter's error analysis (misclassified digits, normalised confusion, calibration)."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipelib.errors import run_stage
from pipelib.mnist import figures
from pipelib.params import load_params
from pipelib.png import use_agg
from pipelib.tables import use_system_allocator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--train", required=True)
    parser.add_argument("--scores", required=True)
    parser.add_argument("--test", required=True)
    parser.add_argument("--predictions", required=True, type=Path, help="directory of <name>.parquet test predictions")
    parser.add_argument("--out", required=True, help="directory for the PNG files")
    args = parser.parse_args()
    use_system_allocator()
    use_agg()
    params = load_params().mnist
    # Every input is read and checked before the first figure is written.
    reference = args.predictions / f"{params.evaluate.reference}.parquet"
    inputs = figures.read_inputs(args.train, args.scores, args.test, reference, params)
    figures.write_figures(inputs, params, args.out)


if __name__ == "__main__":
    run_stage(main)
