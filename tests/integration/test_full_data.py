"""The whole pipeline on the real data (../shared/data) against the seed notebook's numbers.

Runs whenever the real MNIST mirror is there (about two minutes on two cores); set
SKIP_FULL_DATA=1 to leave it out of a quick local run. The sweep's grid is cut to one point
here: the seed printed no sweep, its grid on the real data adds about 100 s of CI, and the
sweep stage itself is tested on small data (tests/integration/test_sweep_dask.py).
"""

from __future__ import annotations

import json
import os
from typing import Any

import helpers
import pytest

pytestmark = [
    pytest.mark.fulldata,
    pytest.mark.skipif(
        os.environ.get("SKIP_FULL_DATA") == "1" or not (helpers.SHARED_DATA / "mnist").is_dir(),
        reason="no ../shared/data/mnist (or SKIP_FULL_DATA=1): the full-data pipeline is not run",
    ),
]

SEED_CV_ACCURACY = [0.97525, 0.97325, 0.9732]
SEED_BASELINE_CV_ACCURACY = [0.91125, 0.90855, 0.90915]
SEED_CONFUSION = {"tn": 54039, "fp": 540, "fn": 1026, "tp": 4395}


@pytest.fixture(scope="module")
def metrics(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Both metrics and both details files after a full ``dvc repro`` with the repo's own params on the real data."""
    project = helpers.copy_project(tmp_path_factory.mktemp("full") / "project")
    helpers.edit_params(project / "params.yaml", {"mnist.sweep.C": [10.0], "mnist.sweep.scaling": ["raw"]})
    result = helpers.run_dvc(project, helpers.SHARED_DATA, "repro")
    assert helpers.stages_run(result.stdout) == helpers.pipeline_stage_names(project / "dvc.yaml")
    assert json.loads(helpers.run_dvc(project, helpers.SHARED_DATA, "status", "--json").stdout) == {}
    files = {name: project / "metrics" / f"{name}.json" for name in ("mnist", "titanic")}
    files |= {f"{name}_details": project / "reports" / f"{name}_details.json" for name in ("mnist", "titanic")}
    return {name: json.loads(path.read_text(encoding="utf-8")) for name, path in files.items()}


def test_cv_accuracy_per_fold(metrics: dict[str, Any]) -> None:
    folds = metrics["mnist_details"]["binary"]["cv_fold_accuracy"]
    got = [folds["fold_1"], folds["fold_2"], folds["fold_3"]]
    assert got == pytest.approx(SEED_CV_ACCURACY, abs=0.005)


def test_never_positive_baseline_per_fold(metrics: dict[str, Any]) -> None:
    folds = metrics["mnist_details"]["baseline"]["cv_fold_accuracy"]
    got = [folds["fold_1"], folds["fold_2"], folds["fold_3"]]
    assert got == pytest.approx(SEED_BASELINE_CV_ACCURACY, abs=1e-9)


def test_confusion_counts(metrics: dict[str, Any]) -> None:
    counts = metrics["mnist_details"]["binary"]["cv_confusion"]
    for key, seed in SEED_CONFUSION.items():
        assert counts[key] == pytest.approx(seed, rel=0.01), key
    assert sum(counts[key] for key in SEED_CONFUSION) == 60000


def test_precision_recall(metrics: dict[str, Any]) -> None:
    binary = metrics["mnist"]["binary"]
    assert binary["cv_precision"] == pytest.approx(0.8906, abs=0.01)
    assert binary["cv_recall"] == pytest.approx(0.8107, abs=0.01)


def test_softmax_test_accuracy(metrics: dict[str, Any]) -> None:
    assert metrics["mnist"]["softmax"]["test_accuracy"] == pytest.approx(0.9243, abs=0.005)
    assert metrics["mnist"]["softmax_augmented"]["test_accuracy"] == pytest.approx(0.9279, abs=0.005)


def test_titanic(metrics: dict[str, Any]) -> None:
    details = metrics["titanic_details"]["titanic"]
    assert details["n_rows"] == 891
    assert details["n_features"] == 12
    assert metrics["titanic"]["titanic"]["train_accuracy"] == pytest.approx(0.8047, abs=0.005)
