"""Stages on params that validation lets through must run: each case is a stage run on the prepared
scratch project (``workspaces.write_stage_inputs``), checked against scikit-learn's own answer.

* an MNIST registry entry whose ``n_iter_`` is a plain int (a Perceptron, an SGD), not an array;
* the report after a sweep of one model (``mnist.sweep.models: [softmax]``).
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path
from typing import Any

import helpers
import numpy as np
import pytest
import workspaces
from sklearn.base import clone

from pipelib.atomic import write_json
from pipelib.mnist import models, predictions
from pipelib.mnist.dataset import read_mnist
from pipelib.params import estimator_class


def copied_project(workspace: tuple[Path, Path], root: Path, updates: dict[str, Any]) -> Path:
    project = shutil.copytree(workspace[0], root / "project")
    helpers.edit_params(project / "params.yaml", updates)
    return project


@pytest.mark.parametrize(
    "estimator",
    [
        "sklearn.linear_model.Perceptron",
        "sklearn.linear_model.SGDClassifier",
        "sklearn.linear_model.PassiveAggressiveClassifier",
    ],
)
def test_an_entry_whose_n_iter_is_an_int_trains_and_records_it(
    estimator: str, stage_workspace: tuple[Path, Path], tmp_path: Path
) -> None:
    """scikit-learn's linear online classifiers count one n_iter_ for all classes, as an int."""
    entry = {"estimator": estimator, "params": {"random_state": 0}, "train": "train"}
    entry |= {"dtype": "float64", "matrix": "dense", "n_jobs": 1}
    project = copied_project(stage_workspace, tmp_path, {"mnist.models.knn": entry})
    command = workspaces.stage_commands(project / "dvc.yaml")["train_mnist@knn"]
    result = workspaces.run_stage_in_process(project, stage_workspace[1], command)
    assert result.returncode == 0, result.stderr

    pixels, labels = read_mnist(project / "data" / "mnist" / "train.parquet")
    test_pixels, test_labels = read_mnist(project / "data" / "mnist" / "test.parquet")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning on 60 images; PassiveAggressive's deprecation
        expected = clone(estimator_class(estimator)(random_state=0)).fit(pixels.astype(np.float64), labels)
    assert isinstance(expected.n_iter_, int)
    found_labels, predicted, facts = predictions.read(project / "data" / "mnist" / "predictions" / "knn.parquet")
    assert facts == {
        "train_rows": 60,
        "first_train_predictions": expected.predict(pixels[:10].astype(np.float64)).tolist(),
        "n_iter": expected.n_iter_,
    }
    np.testing.assert_array_equal(found_labels, test_labels)
    np.testing.assert_array_equal(predicted, expected.predict(test_pixels.astype(np.float64)))
    saved = models.load(project / "models" / "mnist" / "knn.skops")  # evaluable: the model file loads
    np.testing.assert_array_equal(saved.coef_, expected.coef_)


def test_the_report_takes_a_sweep_of_one_model(stage_workspace: tuple[Path, Path], tmp_path: Path) -> None:
    """mnist.sweep.models: [softmax] writes the softmax model's block only; the report shows it alone."""
    project = copied_project(stage_workspace, tmp_path, {"mnist.sweep.models": ["softmax"]})
    point = {"validation_accuracy": 0.875, "test_accuracy": 0.9}
    sweep = {
        "softmax": {
            "best": {"C": 0.1, "scaling": "unit", **point},
            "seed_setting": {"C": 10.0, "scaling": "raw", **point},
        }
    }
    write_json(project / "metrics" / "sweep.json", sweep)
    command = workspaces.stage_commands(project / "dvc.yaml")["report"]
    result = workspaces.run_stage_in_process(project, stage_workspace[1], command)
    assert result.returncode == 0, result.stderr
    [report] = [path for path in command.outs if path.endswith(".md")]
    text = (project / report).read_text(encoding="utf-8")
    section = text[text.index("## Beyond the seed's C: the sweep") :].split("\n## ")[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert rows == [
        "| softmax (10 digits) | best on validation | 0.1 | divided by 255 | 0.8750 | 0.9000 |",
        "| softmax (10 digits) | the seed's setting | 10 | raw 0-255 | 0.8750 | 0.9000 |",
    ]
