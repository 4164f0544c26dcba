"""train (MNIST): one mnist.models entry fitted on its training set (a skops file) and its test-set predictions.

Scoring the test set here, once per fit, keeps the model comparison free of model files: a
KNN scores 10,000 images against every training image, which is worth doing once.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from pipelib.errors import run_stage
from pipelib.mnist import models, predictions
from pipelib.mnist.dataset import MAX_AUGMENTED_IMAGES, read_mnist, require_two_digits
from pipelib.mnist.fitting import fit
from pipelib.params import load_params, refused_by_scikit_learn, registry_entry
from pipelib.tables import use_system_allocator

FIRST_ROWS = 10  # the seed prints softmax_reg.predict(X_train[:10])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", required=True, type=Path, help="directory of the entry's <train>.parquet")
    parser.add_argument("--test", required=True)
    parser.add_argument("--models", required=True, type=Path, help="directory of <name>.skops")
    parser.add_argument("--predictions", required=True, type=Path, help="directory of <name>.parquet")
    args = parser.parse_args()
    use_system_allocator()
    name, entry = registry_entry(load_params(check_estimators=True).mnist.models, "train_mnist", "mnist.models")
    test_pixels, test_labels = read_mnist(args.test)  # read first: a bad test set fails before the fit
    # Paths are made here from validated params: no params.yaml value is put in a shell command.
    pixels, labels = read_mnist(args.data / f"{entry.train}.parquet", max_rows=MAX_AUGMENTED_IMAGES)
    require_two_digits(labels, args.data / f"{entry.train}.parquet", "a classifier needs")
    model = fit(entry, pixels, labels, name)
    with refused_by_scikit_learn(f"mnist.models.{name}.params", "scoring"):
        first = models.predict(model, pixels[:FIRST_ROWS])
        del pixels
        predicted = models.predict(model, test_pixels, entry.n_jobs, name)
    facts = {"train_rows": len(labels), "first_train_predictions": [int(value) for value in first]}
    if hasattr(model, "n_iter_"):  # an array (one count per class or fit) or, for a Perceptron or an SGD, an int
        facts["n_iter"] = int(np.max(model.n_iter_))
    models.save(model, args.models / f"{name}.skops", f"mnist.models.{name}.params")
    predictions.write(args.predictions / f"{name}.parquet", test_labels, predicted, facts)


if __name__ == "__main__":
    run_stage(main)
