"""evaluate (Titanic): accuracy figures, the most and least sure passengers, coefficients, predictions."""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from pipelib.atomic import write_json
from pipelib.binary_metrics import confusion_counts, fold_accuracies, per_fold, rates, roc_auc
from pipelib.errors import PipelineError, run_stage
from pipelib.params import load_params
from pipelib.plot_csv import write_csv
from pipelib.titanic.frames import read_passengers, read_scores
from pipelib.titanic.model import TitanicModel


def extremes(model: TitanicModel, passengers: pd.DataFrame, score: np.ndarray, top_n: int) -> pd.DataFrame:
    """The seed's insight table: ``score``, Survived and the named features of the top and bottom ``top_n``."""
    table = pd.DataFrame(model.transform(passengers), columns=model.feature_names)
    table.insert(0, "Survived", passengers["Survived"].to_numpy())
    table.insert(0, "Score", score)
    table.insert(0, "PassengerId", passengers["PassengerId"].to_numpy())
    highest = table.sort_values("Score", ascending=False, kind="stable").head(top_n)
    lowest = table.sort_values("Score", ascending=True, kind="stable").head(top_n)
    highest.insert(0, "group", "highest")
    lowest.insert(0, "group", "lowest")
    return pd.concat([highest, lowest], ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--train", required=True)
    parser.add_argument("--test", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--scores", required=True)
    parser.add_argument("--metrics", required=True)
    parser.add_argument("--extremes", required=True)
    parser.add_argument("--coefficients", required=True)
    parser.add_argument("--predictions", required=True)
    args = parser.parse_args()
    settings = load_params().titanic.evaluate
    # Every input is read and checked before the first output is written.
    passengers = read_passengers(args.train, labelled=True)
    model = TitanicModel.load(args.model)
    scores = read_scores(args.scores)
    test = read_passengers(args.test, labelled=False)
    if not np.array_equal(scores["PassengerId"].to_numpy(), passengers["PassengerId"].to_numpy()):
        raise PipelineError(
            f"{args.scores}: its {len(scores)} passengers do not match the {len(passengers)} of {args.train} "
            "(rerun dvc repro)"
        )
    target = passengers["Survived"].to_numpy() == 1
    if not np.array_equal(scores["target"].to_numpy(), target):
        raise PipelineError(f"{args.scores}: column 'target' disagrees with 'Survived' in {args.train}")

    train_score = model.decision_function(passengers)
    score, fold = scores["score"].to_numpy(), scores["fold"].to_numpy()
    counts = confusion_counts(target, score > settings.threshold)
    folds = fold_accuracies(fold, target, score > 0)
    metrics = {
        "n_rows": len(passengers),
        "n_features": len(model.feature_names),
        "train_accuracy": float(np.mean((train_score > 0) == target)),
        "cv_accuracy": per_fold(folds),
        "threshold": settings.threshold,
        **counts,
        **rates(counts),
        "roc_auc": roc_auc(target, score),
    }
    write_json(args.metrics, {"titanic": metrics})

    table = extremes(model, passengers, train_score, settings.top_n)
    write_csv(args.extremes, {name: table[name].to_numpy() for name in table.columns})
    write_csv(args.coefficients, {"feature": np.array(model.feature_names), "coefficient": model.coef})

    survived = (model.decision_function(test) > settings.threshold).astype(int)
    write_csv(args.predictions, {"PassengerId": test["PassengerId"].to_numpy(), "Survived": survived})


if __name__ == "__main__":
    run_stage(main)
