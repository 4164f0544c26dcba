"""train (Titanic): preprocessing + logistic regression saved as one model file, and k-fold scores."""

from __future__ import annotations

import argparse

import numpy as np

from pipelib.errors import PipelineError, run_stage
from pipelib.params import load_params
from pipelib.titanic_frames import read_passengers, write_scores
from pipelib.titanic_model import TitanicModel, classifier, fit_quietly, model_inputs, out_of_fold_scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--train", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--scores", required=True)
    args = parser.parse_args()
    params = load_params().titanic
    passengers = read_passengers(args.train, labelled=True)
    target = passengers["Survived"].to_numpy().astype(np.int64)
    smallest_class = int(np.bincount(target, minlength=2).min())
    if params.model.cv_folds > smallest_class:
        raise PipelineError(
            f"params.yaml: 'titanic.model.cv_folds' must be at most {smallest_class} "
            f"(members of the smallest class in {args.train}), got {params.model.cv_folds}"
        )
    inputs = model_inputs(passengers)
    fold, score = out_of_fold_scores(inputs, target, params.model, params.model.cv_folds)
    model = TitanicModel.from_pipeline(fit_quietly(classifier(params.model), inputs, target))
    write_scores(args.scores, passengers["PassengerId"].to_numpy(), fold, target, score)
    model.save(args.model, params.model)


if __name__ == "__main__":
    run_stage(main)
