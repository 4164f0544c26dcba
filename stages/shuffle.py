"""shuffle: the augmented set in a seeded random order (``mnist.shuffle.seed``)."""

from __future__ import annotations

import argparse

from pipelib.errors import run_stage
from pipelib.mnist.augment import shuffle_order
from pipelib.mnist.dataset import MAX_AUGMENTED_IMAGES, MNIST_SCHEMA
from pipelib.params import load_params
from pipelib.tables import read_table, use_system_allocator, write_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    use_system_allocator()
    seed = load_params().mnist.shuffle.seed
    table = read_table(args.data, MNIST_SCHEMA, max_rows=MAX_AUGMENTED_IMAGES)
    write_table(table.take(shuffle_order(table.num_rows, seed)), args.out)


if __name__ == "__main__":
    run_stage(main)
