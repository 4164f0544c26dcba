"""train (binary): the 5-vs-rest logistic regression and its k-fold out-of-fold scores.

Each cross-validation fold is fitted once here; evaluation derives per-fold accuracy,
predictions, the confusion matrix and the precision-recall curve from the saved scores.
"""

from __future__ import annotations

import argparse

from sklearn.linear_model import LogisticRegression

from pipelib.errors import run_stage
from pipelib.mnist import models
from pipelib.mnist.dataset import read_mnist
from pipelib.mnist.features import as_features
from pipelib.mnist.fitting import fit_with_cross_validation
from pipelib.params import load_params, require_fold_count
from pipelib.scores import write_scores
from pipelib.tables import use_system_allocator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--train", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--scores", required=True)
    args = parser.parse_args()
    use_system_allocator()
    params = load_params().mnist
    pixels, labels = read_mnist(args.train)
    target = labels == params.positive_digit
    digit = params.positive_digit
    classes = {
        True: f"image of the positive digit {digit} (mnist.positive_digit)",
        False: f"image of a digit other than {digit}",
    }
    require_fold_count(params.binary.cv_folds, target, "mnist.binary.cv_folds", args.train, classes)
    features = as_features(pixels, params.binary.dtype, params.binary.matrix)
    del pixels
    settings = params.binary
    model, out_of_fold = fit_with_cross_validation(features, target, settings, settings.cv_folds, settings.n_jobs)
    write_scores(args.scores, out_of_fold.fold, target, out_of_fold.score)
    estimator = LogisticRegression(C=settings.C, max_iter=settings.max_iter, random_state=settings.random_state)
    models.save(model.fitted(estimator), args.model)


if __name__ == "__main__":
    run_stage(main)
