"""The MNIST fits with one worker and with two, alternated in one process on the same data.

The augmented softmax is the ``mnist.models.softmax_augmented`` entry, fitted by the project's
L-BFGS as ``train_mnist`` fits it. Run from a project whose ``data/mnist`` holds ``train.parquet``
and ``train_shuffled.parquet`` (``benchmark.py`` does, after its pipeline run); prints one JSON
object of wall times:

    python benchmarks/fit_workers.py --repeats 3
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from pipelib.mnist.dataset import read_mnist
from pipelib.mnist.features import as_features
from pipelib.mnist.fitting import fit_logistic, fit_with_cross_validation
from pipelib.params import LogisticParams, load_params
from pipelib.tables import use_system_allocator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data", type=Path, default=Path("data/mnist"))
    args = parser.parse_args()
    use_system_allocator()
    params = load_params().mnist
    pixels, labels = read_mnist(args.data / "train_shuffled.parquet")
    entry = params.models["softmax_augmented"]
    softmax = LogisticParams(**entry.params)
    augmented = as_features(pixels, entry.dtype, entry.matrix)
    augmented_labels = labels.copy()
    pixels, labels = read_mnist(args.data / "train.parquet")
    binary = as_features(pixels, params.binary.dtype, params.binary.matrix)
    target = labels == params.positive_digit
    del pixels
    times: dict[str, list[float]] = {}
    for _ in range(args.repeats):
        for workers in (1, 2):
            started = time.perf_counter()
            fit_logistic(augmented, augmented_labels, softmax, f"softmax_augmented, {workers} worker(s)", workers)
            times.setdefault(f"softmax_augmented fit, {workers} worker(s)", []).append(time.perf_counter() - started)
            started = time.perf_counter()
            fit_with_cross_validation(binary, target, params.binary, params.binary.cv_folds, workers)
            times.setdefault(f"binary 4 fits, {workers} worker(s)", []).append(time.perf_counter() - started)
    print(json.dumps(times))


if __name__ == "__main__":
    main()
