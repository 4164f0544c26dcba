"""``python -m pipelib.predict`` and the loaders on models the real stages trained, and the DVC artifacts.

The reference is the pipeline's own predictions from one tiny ``dvc repro`` (the
``tiny_run`` fixture): every registry model's test predictions in
``reports/mnist_test_predictions.csv`` and its accuracy in ``metrics/mnist_models.json``,
the binary model's test confusion counts in ``reports/mnist_operating_point.json``, and the Kaggle
submission ``data/titanic/submission.csv``. Bad inputs end with one ``error:`` line, exit
status 2 and no output file. The artifacts are fetched back with ``dvc artifacts get`` from
a committed, tagged copy of the project, as a model registry does.
"""

from __future__ import annotations

import json
import pickle
import shutil
import subprocess
from pathlib import Path

import helpers
import numpy as np
import pandas as pd
import pytest
import workspaces
import yaml
from PIL import Image

from pipelib.mnist import models as mnist_models
from pipelib.mnist.dataset import read_mnist
from pipelib.mnist.idx import read_idx_labels
from pipelib.predict.estimators import titanic_pipeline

ARTIFACTS = {
    "mnist-binary": "models/binary.skops",
    "mnist": "models/mnist",  # one <name>.skops per mnist.models entry
    "titanic": "models/titanic",  # one <name>.skops per titanic.models entry
}
TITANIC_MODELS = {f"models/titanic/{name}.skops" for name in ("logistic", "random_forest", "svc")}
MNIST_MODELS = ("softmax", "softmax_augmented", "knn", "knn_augmented")


def predict(project: Path, mirror: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """``python -m pipelib.predict ARGS`` with the project's code."""
    return helpers.run_stage_script(project, mirror, "pipelib.predict", *map(str, args))


def predict_in_process(project: Path, mirror: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """``python -m pipelib.predict ARGS`` run in this process as tests/workspaces.py runs a stage: no 2 s of imports.

    test_the_real_entry_point_refuses_with_the_same_line and test_pipeline_dvc.py run the real command.
    """
    command = workspaces.StageCommand("predict", "pipelib.predict.__main__", tuple(map(str, args)), ())
    return workspaces.run_stage_in_process(project, mirror, command)


def predicted(project: Path, mirror: Path, out: Path, *args: str | Path) -> pd.DataFrame:
    result = predict_in_process(project, mirror, *args, "--out", out)
    assert result.returncode == 0, result.stderr
    return pd.read_csv(out)


@pytest.fixture(scope="module")
def project(tiny_run: Path) -> Path:
    """A tiny project after ``dvc repro`` (read only)."""
    return tiny_run


def test_the_registry_is_the_one_tested() -> None:
    params = yaml.safe_load((helpers.REPO_ROOT / "params.yaml").read_text(encoding="utf-8"))
    assert tuple(params["mnist"]["models"]) == MNIST_MODELS


@pytest.mark.parametrize(("name", "scores"), [("softmax_augmented", "score_"), ("knn", "probability_")])
def test_registry_predictions_are_the_pipelines(
    project: Path, tiny_mirror: Path, tmp_path: Path, name: str, scores: str
) -> None:
    model = project / "models" / "mnist" / f"{name}.skops"
    table = predicted(project, tiny_mirror, tmp_path / "p.csv", "digits", "data/mnist/test.parquet", "--model", model)
    pipeline = pd.read_csv(project / "reports" / "mnist_test_predictions.csv")

    assert list(table.columns) == ["row", "label", "predicted", *[f"{scores}{digit}" for digit in range(10)]]
    np.testing.assert_array_equal(table["label"], pipeline["label"])
    np.testing.assert_array_equal(table["predicted"], pipeline[name])
    pixels, _ = read_mnist(project / "data" / "mnist" / "test.parquet")
    estimator = mnist_models.load(model)
    features = pixels.astype(mnist_models.input_dtype(estimator))
    np.testing.assert_array_equal(estimator.predict(features), pipeline[name])
    expected = estimator.decision_function(features) if scores == "score_" else estimator.predict_proba(features)
    np.testing.assert_allclose(table.filter(like=scores), expected, rtol=0, atol=1e-12)

    again = predicted(
        project, tiny_mirror, tmp_path / "again.csv", "digits", "data/mnist/test.parquet", "--model", model
    )
    assert (tmp_path / "again.csv").read_bytes() == (tmp_path / "p.csv").read_bytes()
    assert len(again) == workspaces.TINY_MNIST[1]


def test_binary_and_registry_models_agree_with_the_metrics(project: Path, tiny_mirror: Path, tmp_path: Path) -> None:
    """On the mirror's gzipped IDX test images: the binary model's confusion counts, each model's accuracy."""
    images = tiny_mirror / "mnist" / "t10k-images-idx3-ubyte.gz"
    labels = read_idx_labels(tiny_mirror / "mnist" / "t10k-labels-idx1-ubyte.gz")
    metrics = json.loads((project / "metrics" / "mnist_models.json").read_text(encoding="utf-8"))
    details = json.loads((project / "reports" / "mnist_operating_point.json").read_text(encoding="utf-8"))

    binary = predicted(project, tiny_mirror, tmp_path / "b.csv", "digits", images, "--model", "models/binary.skops")
    assert list(binary.columns) == ["row", "predicted", "score"]
    positive, truth = binary["predicted"].to_numpy(dtype=bool), labels == 5
    counts = {"tp": truth & positive, "fp": ~truth & positive, "fn": truth & ~positive, "tn": ~truth & ~positive}
    assert {name: int(mask.sum()) for name, mask in counts.items()} == {
        name: details["binary"]["test_confusion"][name] for name in counts
    }
    estimator = mnist_models.load(project / "models" / "binary.skops")
    pixels = read_mnist(project / "data" / "mnist" / "test.parquet")[0].astype(np.float64)
    np.testing.assert_array_equal(estimator.predict(pixels), positive)
    np.testing.assert_allclose(binary["score"], estimator.decision_function(pixels), rtol=0, atol=1e-12)

    assert set(metrics) == set(MNIST_MODELS)
    for name in MNIST_MODELS:
        model = f"models/mnist/{name}.skops"
        table = predicted(project, tiny_mirror, tmp_path / f"{name}.csv", "digits", images, "--model", model)
        assert float(np.mean(table["predicted"].to_numpy() == labels)) == metrics[name]["test_accuracy"], name


def test_passenger_predictions_are_the_kaggle_submission(project: Path, tiny_mirror: Path, tmp_path: Path) -> None:
    test_csv = tiny_mirror / "titanic" / "test.csv"
    model = project / "models" / "titanic" / "logistic.skops"
    table = predicted(project, tiny_mirror, tmp_path / "t.csv", "passengers", test_csv, "--model", model)
    submission = pd.read_csv(project / "data" / "titanic" / "submission.csv")

    assert list(table.columns) == ["PassengerId", "Survived", "score", "probability"]
    pd.testing.assert_frame_equal(table[["PassengerId", "Survived"]], submission)
    pipeline = titanic_pipeline(model)
    raw = pd.read_csv(test_csv)
    np.testing.assert_array_equal(pipeline.predict(raw), submission["Survived"])
    np.testing.assert_allclose(pipeline.decision_function(raw), table["score"], rtol=0, atol=1e-12)


# --- bad inputs: one line, exit 2, nothing written ----------------------------------------------------


def colour_png_directory(root: Path) -> Path:
    directory = root / "pngs"
    directory.mkdir()
    Image.new("L", (28, 28)).save(directory / "a.png")
    Image.new("RGB", (28, 28)).save(directory / "b.png")
    return directory


def kaggle_csv_without_sex(root: Path) -> Path:
    path = root / "passengers.csv"
    path.write_text(helpers.titanic_csv_text(helpers.titanic_rows(5, 1), labelled=False, drop=["Sex"]), "utf-8")
    return path


def pickled_model(root: Path) -> Path:
    path = root / "model.skops"
    path.write_bytes(pickle.dumps({"coef_": [1.0]}))
    return path


BAD = {
    "titanic-model-for-digits": (
        lambda root: ["digits", "data/mnist/test.parquet", "--model", "models/titanic/logistic.skops"],
        "error: models/titanic/logistic.skops: a Titanic model, expected an MNIST model (models/mnist/<name>.skops)",
    ),
    "mnist-model-for-passengers": (
        lambda root: ["passengers", kaggle_csv_without_sex(root), "--model", "models/mnist/knn.skops"],
        "error: models/mnist/knn.skops: an MNIST model, expected a Titanic model (models/titanic/<name>.skops)",
    ),
    "colour-png": (
        lambda root: ["digits", colour_png_directory(root), "--model", "models/mnist/softmax.skops"],
        "error: {root}/pngs/b.png: mode RGB (colour), expected 8-bit greyscale (mode L); "
        "--convert turns it into greyscale",
    ),
    "missing-column": (
        lambda root: ["passengers", kaggle_csv_without_sex(root), "--model", "models/titanic/logistic.skops"],
        "error: {root}/passengers.csv: missing required column(s) Sex",
    ),
    "pickled-model": (
        lambda root: ["digits", "data/mnist/test.parquet", "--model", pickled_model(root)],
        "error: {root}/model.skops: refused, a pickle file (expected a skops zip archive)",
    ),
    "threshold-for-softmax": (
        lambda root: ["digits", "data/mnist/test.parquet", "--model", "models/mnist/softmax.skops", "--threshold", "1"],
        "error: models/mnist/softmax.skops: a multiclass model predicts the top class; --threshold is for binary ones",
    ),
    "threshold-for-knn": (
        lambda root: ["digits", "data/mnist/test.parquet", "--model", "models/mnist/knn.skops", "--threshold", "0"],
        "error: models/mnist/knn.skops: a multiclass model predicts the top class; --threshold is for binary ones",
    ),
}


SUBPROCESS_CASE = "pickled-model"  # also run as `python -m pipelib.predict`: the real entry point, the same line


@pytest.fixture(scope="module")
def bad_runs(
    project: Path, tiny_mirror: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[Path, subprocess.CompletedProcess[str]]]:
    """Each bad case run once in this process, as tests/workspaces.py runs a stage: case -> (its directory, result).

    In-process saves the 2 s of imports a predict process pays; SUBPROCESS_CASE runs both ways.
    """
    results = {}
    for case, (arguments, _) in BAD.items():
        root = tmp_path_factory.mktemp(case)
        out = root / "out" / "predictions.csv"
        out.parent.mkdir()  # a missing --out directory is an error of its own
        results[case] = (root, predict_in_process(project, tiny_mirror, *arguments(root), "--out", out))
    return results


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_gives_one_line_and_no_output(bad_runs, case: str) -> None:
    root, result = bad_runs[case]
    assert result.returncode == 2, result.stderr
    assert workspaces.error_line(result) == BAD[case][1].format(root=root)
    assert not any((root / "out").iterdir())


def test_the_real_entry_point_refuses_with_the_same_line(bad_runs, project: Path, tiny_mirror: Path) -> None:
    root, in_process = bad_runs[SUBPROCESS_CASE]
    again = root / "again"
    again.mkdir()
    result = predict(project, tiny_mirror, *BAD[SUBPROCESS_CASE][0](again), "--out", root / "out" / "p.csv")
    assert workspaces.error_line(result) == BAD[SUBPROCESS_CASE][1].format(root=again)
    assert workspaces.error_line(in_process).replace(str(root), str(again)) == workspaces.error_line(result)
    assert not any((root / "out").iterdir())


# --- DVC artifacts ---------------------------------------------------------------------------------


def git(project: Path, *args: str) -> None:
    identity = ["-c", "user.name=test", "-c", "user.email=test@example.com"]
    subprocess.run(["git", *identity, *args], cwd=project, check=True, capture_output=True)


def test_dvc_reads_the_declared_model_artifacts(project: Path) -> None:
    from dvc.repo import Repo

    with Repo(str(project)) as repo:
        declared = repo.artifacts.read()["dvc.yaml"]
    assert {name: artifact.path for name, artifact in declared.items()} == ARTIFACTS
    assert {artifact.type for artifact in declared.values()} == {"model"}
    assert all(artifact.desc and artifact.labels for artifact in declared.values())
    outs = {out for stage in workspaces.stage_commands(project / "dvc.yaml").values() for out in stage.outs}
    expected = {"models/binary.skops"} | {f"models/mnist/{name}.skops" for name in MNIST_MODELS} | TITANIC_MODELS
    assert {out for out in outs if out.startswith("models/")} == expected


def test_dvc_artifacts_get_fetches_a_registered_model(project: Path, tiny_mirror: Path, tmp_path: Path) -> None:
    """Committed and tagged as GTO registers a version, the model comes back by name, byte for byte."""
    registry = helpers.clone_project(project, tmp_path / "registry")
    git(registry, "add", "-A")
    git(registry, "commit", "-q", "-m", "tiny pipeline run")
    git(registry, "tag", "-a", "mnist-binary@v1.0.0", "-m", "Registering artifact version")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    helpers.run_dvc(elsewhere, tiny_mirror, "artifacts", "get", str(registry), "mnist-binary", "-o", "got.skops")
    assert (elsewhere / "got.skops").read_bytes() == (project / ARTIFACTS["mnist-binary"]).read_bytes()
    shutil.rmtree(registry)
