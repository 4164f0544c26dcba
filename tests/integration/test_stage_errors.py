"""Stage scripts on bad input: exit status 2 and one ``error: ...`` line on stderr, no traceback."""

from __future__ import annotations

import subprocess
from pathlib import Path

import helpers
import numpy as np
import pytest

from pipelib.mnist.dataset import read_mnist, write_mnist


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The stage scripts, library and params in a scratch directory."""
    return helpers.copy_sources(tmp_path / "project")


def error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single ``error:`` line of a stage that failed as expected."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    assert result.stderr.splitlines()[-1] == errors[0]
    return errors[0]


def test_mirror_without_mnist(project: Path, tmp_path: Path) -> None:
    result = helpers.run_stage_script(project, tmp_path, "fetch_mnist", "--out", "out.parquet")
    assert error_line(result) == f"error: DATA_MIRROR={tmp_path}: no 'mnist' directory in this mirror"
    assert not (project / "out.parquet").exists()


def test_corrupt_mirror_file(project: Path, mnist_mirror: Path) -> None:
    path = mnist_mirror / "mnist" / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-10])
    helpers.write_sha256sums(path.parent, helpers.MNIST_FILES)
    result = helpers.run_stage_script(project, mnist_mirror, "fetch_mnist", "--out", "out.parquet")
    assert error_line(result).startswith(f"error: {path}: not a complete gzip file")


def test_fetch_mnist_writes_the_mirror(project: Path, mnist_mirror: Path) -> None:
    result = helpers.run_stage_script(project, mnist_mirror, "fetch_mnist", "--out", "data/mnist.parquet")
    assert result.returncode == 0, result.stderr
    pixels, labels = read_mnist(project / "data" / "mnist.parquet")
    expected_pixels, expected_labels = helpers.synthetic_digits(80, seed=1)  # the mnist_mirror fixture's digits
    np.testing.assert_array_equal(pixels, expected_pixels)  # train rows, then test rows
    np.testing.assert_array_equal(labels, expected_labels)


def test_bad_params(project: Path, mnist_mirror: Path) -> None:
    helpers.edit_params(project / "params.yaml", {"mnist.augment.shifts": [[28, 0]]})
    result = helpers.run_stage_script(project, mnist_mirror, "augment", "--train", "t.parquet", "--out", "o.parquet")
    line = error_line(result)
    assert line.startswith("error: params.yaml: 'mnist.augment.shifts' must be")


def test_n_train_larger_than_data(project: Path, mnist_mirror: Path) -> None:
    pixels, labels = helpers.synthetic_digits(30, seed=0)
    write_mnist(pixels, labels, project / "all.parquet")
    args = ("--data", "all.parquet", "--train", "train.parquet", "--test", "test.parquet")
    result = helpers.run_stage_script(project, mnist_mirror, "split_mnist", *args)
    assert "'mnist.n_train' must be between 1 and 29" in error_line(result)
    assert not (project / "train.parquet").exists()


def test_missing_input(project: Path, mnist_mirror: Path) -> None:
    pixels, labels = helpers.synthetic_digits(30, seed=0)
    write_mnist(pixels, labels, project / "test.parquet")
    args = ("--data", "absent", "--test", "test.parquet", "--models", ".", "--predictions", ".")
    env = {"DVC_STAGE": "train_mnist@softmax"}
    result = helpers.run_stage_script(project, mnist_mirror, "train_mnist", *args, env=env)
    assert error_line(result).startswith("error: absent/train.parquet: file not found")


def test_too_few_positives_for_cv(project: Path, mnist_mirror: Path) -> None:
    pixels, labels = helpers.synthetic_digits(40, seed=0)
    labels = np.where(labels == 5, 4, labels).astype(np.uint8)
    labels[:2] = 5
    write_mnist(pixels, labels, project / "train.parquet")
    args = ("--train", "train.parquet", "--model", "b.skops", "--scores", "s.parquet")
    result = helpers.run_stage_script(project, mnist_mirror, "train_binary", *args)
    assert "'mnist.binary.cv_folds' must be at most 2" in error_line(result)


def test_bad_titanic_row(project: Path, tmp_path: Path) -> None:
    directory = helpers.write_titanic_mirror(tmp_path / "mirror", n_train=20, n_test=5, seed=1)
    rows = helpers.titanic_rows(20, seed=1)
    rows[6]["Sex"] = "unknown"
    (directory / "train.csv").write_text(helpers.titanic_csv_text(rows, labelled=True), encoding="utf-8")
    helpers.write_sha256sums(directory, ["train.csv", "test.csv"])
    args = ("--train", "train.parquet", "--test", "test.parquet")
    result = helpers.run_stage_script(project, tmp_path / "mirror", "fetch_titanic", *args)
    assert error_line(result).startswith(f"error: {directory / 'train.csv'}: row 7, column 'Sex': 'unknown'")
