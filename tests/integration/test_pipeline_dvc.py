"""The real ``dvc repro`` on small synthetic data in a temporary copy of the project.

The session's one full run (``tiny_run``); every test that changes something works on its own
clone of it. That a run in another directory and time zone gives the same bytes is
tests/integration/test_interrupted.py.
"""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import helpers
import numpy as np
import pytest
import workspaces
import yaml

N_TRAIN, N_TEST = workspaces.TINY_MNIST
N_PASSENGERS, N_TEST_PASSENGERS = workspaces.TINY_TITANIC
MNIST_STAGES = {
    "fetch_mnist",
    "split_mnist",
    "augment",
    "shuffle",
    "train_binary",
    *(f"train_mnist@{name}" for name in ("softmax", "softmax_augmented", "knn", "knn_augmented")),  # the registry
    "evaluate_mnist",
    "operating_point",
    "compare_mnist",
    "figures_mnist",
}
TITANIC_MODELS = ("logistic", "random_forest", "svc")  # params.yaml's registry
TITANIC_STAGES = {"fetch_titanic", *(f"train_titanic@{name}" for name in TITANIC_MODELS), "evaluate_titanic"}
FIGURES = [  # plots/figures (figures_mnist)
    "calibration",
    "confusion_normalized",
    "errors_3_vs_5",
    "more_digits",
    "precision_vs_recall",
    "shifted_digit",
    "some_digit",
    "walkthrough_digit",
]
OPERATING_FIGURES = ["binary_errors", "precision_recall_vs_threshold"]  # plots/operating_point: they mark the threshold
# Each figure's path, as the report and `dvc plots show` name it.
FIGURE_PATHS = {
    **{name: f"plots/figures/{name}.png" for name in FIGURES},
    **{name: f"plots/operating_point/{name}.png" for name in OPERATING_FIGURES},
}


@dataclass(frozen=True)
class Project:
    """A project copy and the data mirror it reads."""

    path: Path
    mirror: Path

    def read_json(self, relative: str) -> dict[str, Any]:
        """A JSON file of the project."""
        return json.loads((self.path / relative).read_text(encoding="utf-8"))

    def lock(self) -> dict[str, Any]:
        """The project's dvc.lock."""
        return yaml.safe_load((self.path / "dvc.lock").read_text(encoding="utf-8"))


@pytest.fixture
def base(tiny_run: Path, tiny_mirror: Path) -> Project:
    """The project after one full ``dvc repro``; tests must not change it (take ``clone``)."""
    return Project(tiny_run, tiny_mirror)


@pytest.fixture
def clone(tiny_clone: Path, tiny_mirror: Path) -> Project:
    """A private copy of the fully reproduced project."""
    return Project(tiny_clone, tiny_mirror)


def repro(project: Project, *args: str) -> set[str]:
    """Run ``dvc repro ARGS``; the stages that ran. The pipeline must be up to date afterwards."""
    ran = helpers.stages_run(helpers.run_dvc(project.path, project.mirror, "repro", *args).stdout)
    if not args:
        assert_up_to_date(project)
    return ran


def assert_up_to_date(project: Project) -> None:
    """``dvc status`` reports nothing to do."""
    status = helpers.run_dvc(project.path, project.mirror, "status", "--json").stdout
    assert json.loads(status) == {}, status


def test_every_stage_ran(base: Project) -> None:
    """(The ``tiny_run`` fixture checks its ``dvc repro`` said it ran each of these.)"""
    expected = helpers.pipeline_stage_names(base.path / "dvc.yaml")
    assert expected >= MNIST_STAGES | TITANIC_STAGES | {"report"}
    assert set(base.lock()["stages"]) == expected
    assert_up_to_date(base)


def test_mnist_metrics(base: Project) -> None:
    metrics = base.read_json("metrics/mnist.json")
    details = base.read_json("reports/mnist_details.json")
    binary = metrics["binary"]
    for key in ("roc_auc", "fold_accuracy_mean"):
        assert 0 <= binary[f"cv_{key}"] <= 1, key
    assert set(details["binary"]["cv_fold_accuracy"]) == {"fold_1", "fold_2", "fold_3"}
    # At the decision threshold: the operating_point stage's files.
    at_threshold = base.read_json("metrics/mnist_operating_point.json")["binary"]
    operating = base.read_json("reports/mnist_operating_point.json")["binary"]
    for key in ("accuracy", "precision", "recall", "f1"):
        assert 0 <= at_threshold[f"cv_{key}"] <= 1 and 0 <= at_threshold[f"test_{key}"] <= 1, key
    cv, test = operating["cv_confusion"], operating["test_confusion"]
    assert sum(cv.values()) == N_TRAIN
    assert sum(test.values()) == N_TEST
    assert at_threshold["cv_accuracy"] == (cv["tp"] + cv["tn"]) / N_TRAIN
    assert at_threshold["test_accuracy"] == (test["tp"] + test["tn"]) / N_TEST
    assert operating["threshold"] == 0.0
    low, high = operating["test_accuracy_interval"]
    assert low <= at_threshold["test_accuracy"] <= high
    # The synthetic digits are learnable, so the models must have learned them.
    assert binary["cv_fold_accuracy_mean"] > 0.9
    assert at_threshold["cv_precision"] > 0.7
    assert at_threshold["cv_recall"] > 0.7
    models = base.read_json("metrics/mnist_models.json")
    assert set(models) == {"softmax", "softmax_augmented", "knn", "knn_augmented"}
    assert all(block["test_accuracy"] > 0.8 for block in models.values()), models
    assert details["baseline"]["cv_confusion"]["tp"] == details["baseline"]["cv_confusion"]["fp"] == 0
    assert metrics["baseline"]["cv_accuracy"] == details["baseline"]["cv_confusion"]["tn"] / N_TRAIN


def test_titanic_metrics(base: Project) -> None:
    metrics = base.read_json("metrics/titanic.json")
    details = base.read_json("reports/titanic_details.json")
    assert (details["titanic"]["n_rows"], details["titanic"]["n_features"]) == (N_PASSENGERS, 12)
    assert set(metrics) == set(details["models"]) == {*TITANIC_MODELS, "always_died", "women_survive"}
    for name, block in details["models"].items():
        assert 0.3 < metrics[name]["train_accuracy"] <= 1, name
        assert set(block["cv_fold_accuracy"]) == {"fold_1", "fold_2", "fold_3"}, name
        assert sum(block["cv_confusion"].values()) == N_PASSENGERS, name
        assert ("mcnemar_vs_reference" in block) == (name != "logistic"), name
    assert "cv_brier" in metrics["random_forest"] and "cv_brier" not in metrics["svc"]  # SVC: no predict_proba


def read_csv_lines(path: Path) -> list[str]:
    """Lines of a CSV output."""
    return path.read_text(encoding="utf-8").splitlines()


def test_plot_data(base: Project) -> None:
    headers = {
        "plots/mnist/precision_recall.csv": "recall,precision",
        "plots/mnist/threshold.csv": "threshold,precision,recall",
        "plots/mnist/roc.csv": "fpr,tpr",
        "plots/mnist/test_confusion.csv": "actual,predicted",
        "plots/mnist/binary_cv_confusion.csv": "actual,predicted",
        "plots/mnist/calibration.csv": "mean_probability,fraction_positive",
        "plots/titanic/calibration.csv": "mean_probability,fraction_positive",
        "plots/titanic/coefficients.csv": "feature,coefficient",
        "reports/mnist_test_predictions.csv": "label,softmax,softmax_augmented,knn,knn_augmented",
    }
    for relative, header in headers.items():
        lines = read_csv_lines(base.path / relative)
        assert lines[0] == header, relative
        assert len(lines) > 2, relative
    assert len(read_csv_lines(base.path / "plots/mnist/test_confusion.csv")) == N_TEST + 1
    assert len(read_csv_lines(base.path / "plots/mnist/binary_cv_confusion.csv")) == N_TRAIN + 1
    # the misclassified test images only (none, when the small models are perfect)
    wrong = [
        line
        for line in read_csv_lines(base.path / "plots/mnist/test_confusion.csv")[1:]
        if len(set(line.split(","))) > 1
    ]
    assert read_csv_lines(base.path / "plots/mnist/test_errors.csv") == ["actual,predicted", *wrong]
    predictions = read_csv_lines(base.path / "reports/mnist_test_predictions.csv")[1:]
    confusion = read_csv_lines(base.path / "plots/mnist/test_confusion.csv")[1:]
    reference = [line.split(",")[0:3:2] for line in predictions]  # label, softmax_augmented (mnist.evaluate.reference)
    assert reference == [line.split(",") for line in confusion]
    coefficients = read_csv_lines(base.path / "plots/titanic/coefficients.csv")
    assert [line.split(",")[0] for line in coefficients[1:]][:4] == ["Age", "SibSp", "Parch", "Fare"]
    assert len(coefficients) == 13


# Pixel size of each figure (figsize x dpi in pipelib/mnist/figures.py): a blank or wrongly laid-out figure shows here.
FIGURE_SIZES = {  # figsize (inches) x 100 dpi, as pipelib/mnist/figures.py asks for
    "binary_errors": (800, 400),
    "calibration": (500, 500),
    "confusion_normalized": (600, 500),
    "errors_3_vs_5": (800, 800),
    "walkthrough_digit": (300, 300),
    "more_digits": (900, 900),
    "precision_recall_vs_threshold": (800, 400),
    "precision_vs_recall": (800, 600),
    "shifted_digit": (1200, 300),
    "some_digit": (300, 300),
}


def test_figures(base: Project) -> None:
    """Each figure decodes at its size, has something drawn on it, and no two are the same picture."""
    from matplotlib import image

    assert sorted(path.stem for path in (base.path / "plots" / "figures").glob("*.png")) == FIGURES
    assert sorted(path.stem for path in (base.path / "plots" / "operating_point").glob("*.png")) == OPERATING_FIGURES
    pixels = {}
    for name, relative in FIGURE_PATHS.items():
        rgba = image.imread(base.path / relative, format="png")
        assert (rgba.shape[1], rgba.shape[0]) == FIGURE_SIZES[name], name
        grey = rgba[..., :3].mean(axis=2)
        assert len(np.unique(grey)) > 16, f"{name} is (nearly) blank"
        pixels[name] = grey
    for first, second in itertools.combinations(FIGURE_PATHS, 2):
        assert pixels[first].shape != pixels[second].shape or not np.array_equal(pixels[first], pixels[second])


def test_report(base: Project) -> None:
    report = (base.path / "reports" / "report.md").read_text(encoding="utf-8")
    assert "## MNIST" in report
    assert "## Titanic" in report
    for relative in FIGURE_PATHS.values():
        assert f"](../{relative})" in report, relative


def test_titanic_outputs(base: Project) -> None:
    submission = read_csv_lines(base.path / "data" / "titanic" / "submission.csv")
    assert submission[0] == "PassengerId,Survived"
    assert len(submission) == N_TEST_PASSENGERS + 1
    assert {line.split(",")[1] for line in submission[1:]} <= {"0", "1"}
    extremes = read_csv_lines(base.path / "reports" / "titanic_extremes.csv")
    assert extremes[0].startswith("group,PassengerId,Score,Survived,Age")


def test_dvc_metrics_show(base: Project) -> None:
    shown = json.loads(helpers.run_dvc(base.path, base.mirror, "metrics", "show", "--json").stdout)
    text = json.dumps(shown)
    # per-fold values and counts are details, not metrics: `dvc metrics show` / `dvc exp show` stay narrow
    assert "fold_1" not in text and '"tn"' not in text and "mnist_details" not in text
    for key in ("cv_accuracy", "cv_precision", "cv_recall", "test_accuracy", "train_accuracy"):
        assert f'"{key}"' in text, key
    assert "metrics/mnist.json" in text
    assert "metrics/mnist_operating_point.json" in text
    assert "metrics/titanic.json" in text


def test_dvc_plots_show(clone: Project) -> None:
    """DVC renders every plot of dvc.yaml: each data plot with every row of its CSV, each figure as an image."""
    shown = json.loads(helpers.run_dvc(clone.path, clone.mirror, "plots", "show", "--json").stdout)
    assert "errors" not in shown, shown.get("errors")
    data = shown["data"]
    series = {
        "precision_recall": ("plots/mnist/precision_recall.csv", {"recall", "precision"}),
        "precision_recall_vs_threshold": ("plots/mnist/threshold.csv", {"threshold"}),
        "roc": ("plots/mnist/roc.csv", {"fpr", "tpr"}),
        "test_confusion": ("plots/mnist/test_confusion.csv", {"actual", "predicted"}),
        "titanic_coefficients": ("plots/titanic/coefficients.csv", {"feature", "coefficient"}),
        "binary_cv_confusion": ("plots/mnist/binary_cv_confusion.csv", {"actual", "predicted"}),
        "confusion_normalized": ("plots/mnist/test_errors.csv", {"actual", "predicted"}),
        "calibration_mnist": ("plots/mnist/calibration.csv", {"mean_probability", "fraction_positive"}),
        "calibration_titanic": ("plots/titanic/calibration.csv", {"mean_probability", "fraction_positive"}),
        "sweep_validation": ("plots/sweep/validation.csv", {"C"}),
    }
    series_per_row = {"precision_recall_vs_threshold": 2, "sweep_validation": 4}  # y fields drawn from each row
    assert set(data) == set(series) | set(FIGURE_PATHS.values())
    for plot, (csv, fields) in series.items():
        rows = len(read_csv_lines(clone.path / csv)) - 1
        if rows == 0:  # e.g. no misclassified test digit on this small data: nothing to draw
            assert data[plot] == [], plot
            continue
        (entry,) = data[plot]
        assert entry["type"] == "vega", plot
        values = entry["content"]["data"]["values"]
        assert len(values) == rows * series_per_row.get(plot, 1), plot
        assert all(fields <= set(value) for value in values), plot
    for relative in FIGURE_PATHS.values():
        (entry,) = data[relative]
        assert entry["type"] == "image" and entry["url"], relative


def test_second_repro_runs_nothing(clone: Project) -> None:
    before = (clone.path / "dvc.lock").read_bytes()
    result = helpers.run_dvc(clone.path, clone.mirror, "repro")
    assert helpers.stages_run(result.stdout) == set(), result.stdout
    assert "didn't change" in result.stdout or "up to date" in result.stdout, result.stdout
    assert (clone.path / "dvc.lock").read_bytes() == before


# The operating point's knobs (params.yaml key: where reports/mnist_operating_point.json shows it, new value).
OPERATING_KNOBS = {
    "mnist.evaluate.threshold": ("threshold", -1.0),
    "mnist.evaluate.target_precision": ("at_target_precision.target", 0.95),
}


def test_operating_point_change_reruns_it_and_the_report_only(clone: Project) -> None:
    """The decision threshold and the target precision: the scores, curve and details stay byte for byte."""
    evaluation = workspaces.stage_commands(clone.path / "dvc.yaml")["evaluate_mnist"].outs
    assert "data/mnist/binary_pr_curve.parquet" in evaluation and "metrics/mnist.json" in evaluation
    before, lock = {name: (clone.path / name).read_bytes() for name in evaluation}, clone.lock()["stages"]
    for detail, value in OPERATING_KNOBS.values():
        assert helpers.get_dotted(clone.read_json("reports/mnist_operating_point.json")["binary"], detail) != value
    helpers.edit_params(clone.path / "params.yaml", {key: value for key, (_, value) in OPERATING_KNOBS.items()})
    assert repro(clone) == {"operating_point", "report"}
    assert {name: (clone.path / name).read_bytes() for name in evaluation} == before
    after = clone.lock()["stages"]
    assert after["evaluate_mnist"] == lock["evaluate_mnist"]
    for key, (detail, value) in OPERATING_KNOBS.items():
        # each knob alone would rerun the stage: DVC records it among the stage's parameters
        assert after["operating_point"]["params"]["params.yaml"][key] == value, key
        assert lock["operating_point"]["params"]["params.yaml"][key] != value, key
        assert helpers.get_dotted(clone.read_json("reports/mnist_operating_point.json")["binary"], detail) == value


def test_augment_change_reruns_augmented_branch_only(clone: Project) -> None:
    helpers.edit_params(clone.path / "params.yaml", {"mnist.augment.shifts": [[2, 0], [0, -2]]})
    augmented = {"augment", "shuffle", "train_mnist@softmax_augmented", "train_mnist@knn_augmented", "compare_mnist"}
    ran = repro(clone)
    assert augmented <= ran <= augmented | {"figures_mnist", "report"}


def test_a_new_mnist_entry_reaches_metrics_report_review_and_predict(clone: Project) -> None:
    """An estimator the project does not use yet and with neither predict_proba nor decision_function:
    params.yaml lines only, and the metrics, the report, the review and predict have it. One entry's
    change, made at the same time, retrains that model only."""
    shutil.copy2(helpers.REPO_ROOT / "review_tolerances.yaml", clone.path / "review_tolerances.yaml")
    for command in (
        ["add", "-A"],
        ["-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "base"],
    ):
        subprocess.run(["git", *command], cwd=clone.path, check=True, capture_output=True)
    entry = {
        "estimator": "sklearn.neighbors.NearestCentroid",
        "params": {"metric": "manhattan"},  # neither decision_function nor predict_proba with this metric
        "train": "train",
        "dtype": "float64",
        "matrix": "dense",
        "n_jobs": 1,
    }
    before = clone.lock()["stages"]
    helpers.edit_params(
        clone.path / "params.yaml", {"mnist.models.centroid": entry, "mnist.models.softmax.params.C": 0.01}
    )
    assert repro(clone) == {"train_mnist@centroid", "train_mnist@softmax", "compare_mnist", "report"}
    after = clone.lock()["stages"]
    assert after["train_mnist@softmax"]["outs"] != before["train_mnist@softmax"]["outs"]
    assert after["train_mnist@softmax_augmented"] == before["train_mnist@softmax_augmented"]
    accuracy = clone.read_json("metrics/mnist_models.json")["centroid"]["test_accuracy"]
    details = clone.read_json("reports/mnist_models.json")["models"]["centroid"]
    assert sum(map(sum, details["confusion"])) == N_TEST
    assert accuracy == sum(details["confusion"][digit][digit] for digit in range(10)) / N_TEST
    report = (clone.path / "reports" / "report.md").read_text(encoding="utf-8")
    row = next(line for line in report.splitlines() if line.startswith("| centroid |"))
    assert f"{accuracy:.4f}" in row and "NearestCentroid" in row
    review = helpers.run_stage_script(
        clone.path, clone.mirror, "pipelib.review", "--base", "HEAD", *helpers.REVIEW_FLAGS
    )
    assert review.returncode == 0, review.stderr  # a new model is no regression
    text = (clone.path / "reports" / "review.md").read_text(encoding="utf-8")
    assert "`metrics/mnist_models.json centroid.test_accuracy`" in text, text
    out = clone.path / "centroid_predictions.csv"
    model = clone.path / "models" / "mnist" / "centroid.skops"
    test = clone.path / "data" / "mnist" / "test.parquet"
    command = [sys.executable, "-m", "pipelib.predict", "digits", str(test), "--model", str(model), "--out", str(out)]
    subprocess.run(command, cwd=clone.path, env=helpers.stage_env(clone.mirror, clone.path), check=True)
    lines = read_csv_lines(out)
    assert lines[0] == "row,label,predicted"  # no decision function, no probabilities: no score columns
    predicted = [int(line.split(",")[2]) for line in lines[1:]]
    columns = read_csv_lines(clone.path / "reports" / "mnist_test_predictions.csv")
    assert columns[0].split(",")[-1] == "centroid"
    assert predicted == [int(line.split(",")[-1]) for line in columns[1:]]


def test_a_new_titanic_entry_reaches_metrics_report_and_predict(clone: Project) -> None:
    """An estimator the project does not use yet, added as params.yaml lines only; one entry's change, made at
    the same time, retrains that model only."""
    entry = {"estimator": "sklearn.tree.DecisionTreeClassifier", "params": {"max_depth": 3}, "preprocess": []}
    changes = {"titanic.models.tree": entry, "titanic.models.svc.params.C": 0.5, "titanic.evaluate.top_n": 5}
    helpers.edit_params(clone.path / "params.yaml", changes)
    assert repro(clone) == {"train_titanic@tree", "train_titanic@svc", "evaluate_titanic", "report"}
    assert len(read_csv_lines(clone.path / "reports" / "titanic_extremes.csv")) == 2 * 5 + 1
    metrics = clone.read_json("metrics/titanic.json")["tree"]
    details = clone.read_json("reports/titanic_details.json")["models"]["tree"]
    assert sum(details["cv_confusion"].values()) == N_PASSENGERS
    assert metrics["cv_accuracy"] == (details["cv_confusion"]["tp"] + details["cv_confusion"]["tn"]) / N_PASSENGERS
    assert "cv_brier" in metrics and "mcnemar_vs_reference" in details  # a tree has predict_proba
    report = (clone.path / "reports" / "report.md").read_text(encoding="utf-8")
    row = next(line for line in report.splitlines() if line.startswith("| `tree` |"))
    assert f"{metrics['train_accuracy']:.4f}" in row
    out = clone.path / "tree_predictions.csv"
    test_csv = clone.mirror / "titanic" / "test.csv"
    model = clone.path / "models" / "titanic" / "tree.skops"
    command = [
        sys.executable,
        "-m",
        "pipelib.predict",
        "passengers",
        str(test_csv),
        "--model",
        str(model),
        "--out",
        str(out),
    ]
    subprocess.run(command, cwd=clone.path, env=helpers.stage_env(clone.mirror, clone.path), check=True)
    assert read_csv_lines(out)[0] == "PassengerId,Survived,probability"  # no decision function: no score column
    assert len(read_csv_lines(out)) == N_TEST_PASSENGERS + 1


def test_library_change_reruns_its_stages(clone: Project) -> None:
    """A comment added to pipelib/mnist/augment.py reruns the stages listing it; their outputs stay the same."""
    listing = {
        name
        for name, deps in helpers.pipeline_stage_deps(clone.path / "dvc.yaml").items()
        if "pipelib/mnist/augment.py" in deps
    }
    assert "augment" in listing
    before = clone.lock()["stages"]
    with open(clone.path / "pipelib" / "mnist" / "augment.py", "a", encoding="utf-8") as stream:
        stream.write("\n# touched by the test\n")
    assert repro(clone) == listing
    after = clone.lock()["stages"]
    assert {name: after[name]["outs"] for name in listing} == {name: before[name]["outs"] for name in listing}


def test_repro_single_target_in_fresh_copy(tmp_path: Path, base: Project) -> None:
    project = Project(workspaces.tiny_project(tmp_path / "fresh"), base.mirror)
    stages = {"fetch_titanic", "train_titanic@logistic"}
    assert repro(project, "train_titanic@logistic") == stages  # the target and what it needs, nothing else
    assert not list((project.path / "data" / "mnist").glob("*.parquet"))  # no MNIST stage ran
    # Same inputs, same bytes: the fresh run's outputs hash as the base run's.
    fresh, full = project.lock()["stages"], base.lock()["stages"]
    assert set(fresh) == stages
    for stage in stages:
        assert fresh[stage]["outs"] == full[stage]["outs"], stage


def test_stage_error_fails_repro_with_one_line(tmp_path: Path, base: Project) -> None:
    project = workspaces.tiny_project(tmp_path / "broken")
    helpers.edit_params(project / "params.yaml", {"titanic.cv_folds": 1})
    result = helpers.run_dvc(project, base.mirror, "repro", "train_titanic@logistic", check=False)
    assert result.returncode != 0
    assert "error: params.yaml: 'titanic.cv_folds' must be an integer in [2, 255], got 1" in result.stdout
    assert "Traceback" not in result.stdout


def test_an_entry_name_is_never_run_by_the_shell(clone: Project) -> None:
    """DVC pastes a ``foreach`` key into the command unquoted: a name is refused by the stage, never run."""
    name = "a;touch ran_by_the_shell;b"
    entry = {"estimator": "sklearn.tree.DecisionTreeClassifier", "params": {}, "preprocess": []}
    helpers.edit_params(clone.path / "params.yaml", {f"titanic.models.{name}": entry})
    result = helpers.run_dvc(clone.path, clone.mirror, "repro", f"train_titanic@{name}", check=False)
    assert result.returncode != 0
    assert not (clone.path / "ran_by_the_shell").exists()
    assert f"error: params.yaml: 'titanic.models' has the name '{name}'" in result.stdout
