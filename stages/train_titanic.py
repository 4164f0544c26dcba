"""train (Titanic): preprocessing + logistic regression saved as one model file, and k-fold scores."""

from __future__ import annotations

import argparse

import numpy as np

from pipelib.errors import run_stage
from pipelib.params import load_params, require_fold_count
from pipelib.titanic.frames import read_passengers, write_scores
from pipelib.titanic.model import TitanicModel, classifier, fit_quietly, model_inputs, out_of_fold_scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--train", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--scores", required=True)
    args = parser.parse_args()
    params = load_params().titanic
    passengers = read_passengers(args.train, labelled=True)
    target = passengers["Survived"].to_numpy().astype(np.int64)
    require_fold_count(params.model.cv_folds, target, "titanic.model.cv_folds", args.train)
    inputs = model_inputs(passengers)
    fold, score = out_of_fold_scores(inputs, target, params.model, params.model.cv_folds)
    model = TitanicModel.from_pipeline(fit_quietly(classifier(params.model), inputs, target))
    write_scores(args.scores, passengers["PassengerId"].to_numpy(), fold, target, score)
    model.save(args.model, params.model)


if __name__ == "__main__":
    run_stage(main)
