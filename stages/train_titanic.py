"""train (Titanic): one registry entry fitted on every passenger (a skops file) and its k-fold predictions."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from pipelib.errors import run_stage
from pipelib.params import load_params, refused_by_scikit_learn, registry_entry, require_fold_count
from pipelib.titanic import model
from pipelib.titanic.frames import read_passengers, write_out_of_fold


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--train", required=True)
    parser.add_argument("--models", required=True, type=Path, help="directory of <name>.skops")
    parser.add_argument("--out-of-fold", required=True, type=Path, help="directory of <name>.parquet")
    args = parser.parse_args()
    params = load_params(check_estimators=True).titanic
    name, entry = registry_entry(params.models, "train_titanic", "titanic.models")
    passengers = read_passengers(args.train, labelled=True)
    target = passengers["Survived"].to_numpy().astype(np.int64)
    classes = {1: "passenger who survived (Survived 1)", 0: "passenger who died (Survived 0)"}
    require_fold_count(params.cv_folds, target, "titanic.cv_folds", args.train, classes)
    inputs = model.model_inputs(passengers)
    key = f"titanic.models.{name}.params"
    fold, found = model.out_of_fold(model.build(entry), inputs, target, params.cv_folds, key)
    with refused_by_scikit_learn(key, f"fitting all {len(target)} passengers"):
        fitted = model.fit_quietly(model.build(entry), inputs, target)
    write_out_of_fold(args.out_of_fold / f"{name}.parquet", passengers["PassengerId"].to_numpy(), fold, target, found)
    model.save(fitted, args.models / f"{name}.skops", key)


if __name__ == "__main__":
    run_stage(main)
