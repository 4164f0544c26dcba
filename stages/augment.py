"""augment: the training set followed by one shifted copy per (dx, dy) in ``mnist.augment.shifts``."""

from __future__ import annotations

import argparse

from pipelib.errors import run_stage
from pipelib.log import progress
from pipelib.mnist.augment import augment_with_shifts
from pipelib.mnist.dataset import read_mnist, write_mnist
from pipelib.params import load_params
from pipelib.tables import use_system_allocator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--train", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    use_system_allocator()
    shifts = load_params().mnist.augment.shifts
    pixels, labels = read_mnist(args.train)
    progress(f"augment: {len(pixels):,} images x {len(shifts) + 1} (original + {len(shifts)} shifts)")
    pixels, labels = augment_with_shifts(pixels, labels, shifts)
    write_mnist(pixels, labels, args.out)
    progress(f"augment: wrote {len(pixels):,} images")


if __name__ == "__main__":
    run_stage(main)
