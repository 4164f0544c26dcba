"""fetch: MNIST (70,000 x 784 uint8, OpenML row order) into one parquet file."""

from __future__ import annotations

import argparse

from pipelib.errors import PipelineError, run_stage
from pipelib.mnist.dataset import MAX_IMAGES, write_mnist
from pipelib.mnist.source import load_mnist
from pipelib.params import load_params
from pipelib.tables import use_system_allocator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True, help="parquet file to write")
    args = parser.parse_args()
    use_system_allocator()
    params = load_params().mnist
    pixels, labels = load_mnist(params.openml.name, params.openml.version)
    if len(pixels) > MAX_IMAGES:  # what the next stage would refuse to read
        raise PipelineError(f"'{params.openml.name}': {len(pixels):,} images, more than the {MAX_IMAGES:,} allowed")
    write_mnist(pixels, labels, args.out)


if __name__ == "__main__":
    run_stage(main)
