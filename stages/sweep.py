"""sweep (MNIST): validation accuracy over a grid of C and pixel scaling, on Dask; best point on test.

Runs on the Dask scheduler named by DASK_SCHEDULER_ADDRESS (or a Dask config file) when there
is one, otherwise on a local cluster of ``mnist.sweep.workers`` single-threaded processes.
"""

from __future__ import annotations

import argparse

from pipelib import metrics
from pipelib.cluster import dask_client, scheduler_address
from pipelib.errors import run_stage
from pipelib.mnist.dataset import read_mnist
from pipelib.mnist.sweep import SEED_C, check_training_set, grid, run_sweep, validation_curves
from pipelib.params import load_params
from pipelib.plot_csv import write_csv
from pipelib.tables import use_system_allocator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--train", required=True)
    parser.add_argument("--test", required=True)
    parser.add_argument("--metrics", required=True, help="JSON file for the best and the seed's points")
    parser.add_argument("--plot", required=True, help="CSV of validation accuracy against C")
    args = parser.parse_args()
    use_system_allocator()
    params = load_params().mnist
    settings = params.sweep
    train, test = read_mnist(args.train), read_mnist(args.test)
    check_training_set(train[1], settings.validation_fraction, params.positive_digit, settings.models, args.train)
    points = grid(settings.models, settings.C, settings.scaling)
    with dask_client(settings.workers, scheduler_address()) as client:
        results = run_sweep(
            train,
            test,
            points,
            validation_fraction=settings.validation_fraction,
            seed=settings.seed,
            positive_digit=params.positive_digit,
            max_iter=settings.max_iter,
            reference_c=SEED_C,
            client=client,
        )
    write_csv(args.plot, validation_curves(results))
    metrics.write_sweep(results, args.metrics)


if __name__ == "__main__":
    run_stage(main)
