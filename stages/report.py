"""report: one Markdown file with every metric beside the seed's, fit for a pull-request comment."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from pipelib.atomic import write_text
from pipelib.errors import run_stage
from pipelib.report.inputs import read_inputs
from pipelib.report.sections import report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mnist-metrics", required=True)
    parser.add_argument("--mnist-details", required=True)
    parser.add_argument("--mnist-figures", required=True)
    parser.add_argument("--titanic-metrics", required=True)
    parser.add_argument("--titanic-details", required=True)
    parser.add_argument("--titanic-extremes", required=True)
    parser.add_argument("--titanic-coefficients", required=True)
    parser.add_argument("--sweep-metrics", required=True)
    parser.add_argument("--mnist-models-metrics", required=True)
    parser.add_argument("--mnist-models-details", required=True)
    parser.add_argument("--mnist-operating-metrics", required=True)
    parser.add_argument("--mnist-operating-details", required=True)
    parser.add_argument("--mnist-operating-figures", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    # Every input is read and checked before the report is written.
    inputs = read_inputs(
        args.mnist_metrics,
        args.mnist_details,
        args.titanic_metrics,
        args.titanic_details,
        args.titanic_extremes,
        args.titanic_coefficients,
        args.sweep_metrics,
        args.mnist_models_metrics,
        args.mnist_models_details,
        args.mnist_operating_metrics,
        args.mnist_operating_details,
    )
    figure_dirs = [
        os.path.relpath(path, Path(args.out).parent) for path in (args.mnist_figures, args.mnist_operating_figures)
    ]
    write_text(args.out, report(inputs, *figure_dirs))


if __name__ == "__main__":
    run_stage(main)
