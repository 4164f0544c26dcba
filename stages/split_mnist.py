"""split: the first ``n_train`` rows are the training set, the rest the test set."""

from __future__ import annotations

import argparse

from pipelib.errors import PipelineError, run_stage
from pipelib.mnist.dataset import MAX_IMAGES, MNIST_SCHEMA
from pipelib.params import load_params
from pipelib.tables import read_table, use_system_allocator, write_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", required=True)
    parser.add_argument("--train", required=True)
    parser.add_argument("--test", required=True)
    args = parser.parse_args()
    use_system_allocator()
    n_train = load_params().mnist.n_train
    table = read_table(args.data, MNIST_SCHEMA, max_rows=MAX_IMAGES)
    if not 0 < n_train < table.num_rows:
        raise PipelineError(
            f"params.yaml: 'mnist.n_train' must be between 1 and {table.num_rows - 1} for {args.data}, got {n_train}"
        )
    write_table(table.slice(0, n_train), args.train)
    write_table(table.slice(n_train), args.test)


if __name__ == "__main__":
    run_stage(main)
