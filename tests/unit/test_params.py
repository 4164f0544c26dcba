"""params.yaml validation: the repo's file loads, every key is required, and every kind of bad value
is refused with one line naming its dotted key.

Expected messages are written out here, not built from the code under test; bounds are tried
exactly at each inclusive bound (accepted) and one step beyond (refused).
"""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any

import helpers
import numpy as np
import pytest
import yaml
from pydantic import Field, ValidationError

from pipelib.errors import PipelineError
from pipelib.params import (
    MnistModelEntry,
    Params,
    Section,
    allowed,
    load_params,
    refused_by_scikit_learn,
    registry_entry,
    require_fold_count,
    require_only_entries,
    require_row_below,
)

REPO_PARAMS = helpers.REPO_ROOT / "params.yaml"
REPO_RAW = yaml.safe_load(REPO_PARAMS.read_text(encoding="utf-8"))


def write_params(tmp_path: Path, updates: dict[str, Any]) -> Path:
    """A copy of the repo's params.yaml with dotted-key ``updates``."""
    path = tmp_path / "params.yaml"
    path.write_text(REPO_PARAMS.read_text(encoding="utf-8"), encoding="utf-8")
    helpers.edit_params(path, updates)
    return path


def write_text(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "params.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def refusal(path: Path, check_estimators: bool = False) -> str:
    """The one-line message load_params refuses ``path`` with."""
    with pytest.raises(PipelineError) as caught:
        load_params(path, check_estimators)
    message = str(caught.value)
    assert "\n" not in message
    return message


def dotted_keys(mapping: dict[str, Any], prefix: str = "") -> list[str]:
    """Every key of a nested mapping, sections and leaves, as dotted paths (a registry's entries and their
    hyperparameters are the user's choice, so only an entry's own keys are listed)."""
    found = []
    for key, value in mapping.items():
        registries = ("titanic.models", "mnist.models")
        if prefix + key not in registries and not prefix.startswith(tuple(f"{name}." for name in registries)):
            found.append(prefix + key)
        if isinstance(value, dict) and key != "params":
            found += dotted_keys(value, f"{prefix}{key}.")
    return found


def test_repo_params_load() -> None:
    params = load_params(REPO_PARAMS)
    assert isinstance(params, Params)
    assert isinstance(params.mnist.models["softmax"], MnistModelEntry)
    assert isinstance(params.mnist.binary.C, float)
    assert params.mnist.positive_digit == 5
    assert params.mnist.shuffle.seed == 42
    assert params.mnist.binary.cv_folds == 3
    assert params.mnist.models["softmax"].params == {"C": 10.0, "max_iter": 100, "random_state": 0}
    assert params.mnist.evaluate.reference == "softmax_augmented"
    assert params.mnist.augment.shifts == [[1, 0], [-1, 0], [0, 1], [0, -1]]
    assert params.titanic.source.url.startswith("https://")
    assert params.titanic.cv_folds == 10


def test_params_are_read_only() -> None:
    params = load_params(REPO_PARAMS)
    with pytest.raises(ValidationError):
        params.mnist.binary.C = 2.0  # type: ignore[misc]
    assert params.mnist.binary.C == 1.0


def test_edited_values_are_read(tmp_path: Path) -> None:
    updates = {"mnist.n_train": 400, "mnist.binary.C": 3, "titanic.cv_folds": 3, "mnist.models.softmax.params.C": 3.0}
    params = load_params(write_params(tmp_path, updates))
    assert params.mnist.n_train == 400
    assert params.mnist.binary.C == 3.0
    assert isinstance(params.mnist.binary.C, float)  # an integer is stored as the float it stands for
    assert params.mnist.models["softmax"].params["C"] == 3.0
    assert params.mnist.models["softmax_augmented"].params["C"] == 10.0
    assert params.titanic.cv_folds == 3


@pytest.mark.parametrize(("text", "expected"), [("1e-3", 0.001), ("1E-3", 0.001), ("1.0e-3", 0.001), ("2e2", 200.0)])
def test_exponent_notation_is_a_number(tmp_path: Path, text: str, expected: float) -> None:
    """YAML 1.1 (PyYAML) reads ``1e-3`` as a string; DVC (YAML 1.2) and we read it as a number, in a section
    and in a registry entry's hyperparameters (scikit-learn would refuse the string)."""
    source = REPO_PARAMS.read_text(encoding="utf-8")
    assert source.count("    C: 1.0\n") == 1
    assert source.count("{C: 10.0, ") == 2
    source = source.replace("    C: 1.0\n", f"    C: {text}\n").replace("{C: 10.0, ", f"{{C: {text}, ", 1)
    params = load_params(write_text(tmp_path, source))
    assert expected == params.mnist.binary.C
    assert expected == params.mnist.models["softmax"].params["C"]
    assert params.mnist.models["softmax_augmented"].params["C"] == 10.0


@pytest.mark.parametrize(
    ("key", "text"),
    [
        ("mnist.n_train", "0310"),  # YAML 1.1: octal 200; YAML 1.2: 310
        ("mnist.shuffle.seed", "052"),  # YAML 1.1: 42
        ("mnist.n_train", "0o17"),  # YAML 1.2 octal: 15; YAML 1.1: a string
        ("mnist.n_train", "3:20"),  # YAML 1.1: sexagesimal 200; YAML 1.2: a string
        ("mnist.binary.matrix", "on"),  # YAML 1.1: true; YAML 1.2: a string
    ],
)
def test_values_are_read_as_dvc_reads_them(tmp_path: Path, key: str, text: str) -> None:
    """A stage must use the value dvc.lock records and ``dvc params diff`` shows: DVC's own parser is the oracle."""
    from dvc.utils.serialize import parse_yaml

    source = REPO_PARAMS.read_text(encoding="utf-8")
    *sections, leaf = key.split(".")
    indent = "  " * len(sections)
    line = next(line for line in source.splitlines() if line.startswith(f"{indent}{leaf}: "))
    edited = write_text(tmp_path, source.replace(line + "\n", f"{indent}{leaf}: {text}\n", 1))
    dvc_value = helpers.get_dotted(parse_yaml(edited.read_text(encoding="utf-8"), str(edited)), key)
    try:
        ours: object = helpers.get_dotted(load_params(edited).model_dump(), key)
    except PipelineError as error:  # a string where a number belongs: refused, showing the string DVC has
        assert isinstance(dvc_value, str)
        assert str(error).endswith(f"got {dvc_value!r}")
    else:
        assert ours == dvc_value
        assert type(ours) is type(dvc_value)


# --- every key is required: params.yaml is the one place values live --------------------------------


@pytest.mark.parametrize("key", dotted_keys(REPO_RAW))
def test_every_key_is_required(tmp_path: Path, key: str) -> None:
    raw = copy.deepcopy(REPO_RAW)
    *parents, last = key.split(".")
    section = raw
    for name in parents:
        section = section[name]
    del section[last]
    path = write_text(tmp_path, yaml.safe_dump(raw, sort_keys=False))
    assert refusal(path).startswith(f"params.yaml: missing key '{key}' (")


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("mnist.binary.C", "params.yaml: missing key 'mnist.binary.C' (a number > 0)"),
        ("mnist.n_train", "params.yaml: missing key 'mnist.n_train' (an integer >= 1)"),
        ("mnist.models.softmax.dtype", "params.yaml: missing key 'mnist.models.softmax.dtype' (float32 or float64)"),
        (
            "mnist.evaluate.reference",
            "params.yaml: missing key 'mnist.evaluate.reference' (the name of an mnist.models entry)",
        ),
        (
            "mnist.augment.shifts",
            "params.yaml: missing key 'mnist.augment.shifts' (a list of [dx, dy] integer pairs with |dx|, |dy| < 28)",
        ),
        (
            "titanic.evaluate.reference",
            "params.yaml: missing key 'titanic.evaluate.reference' (the name of a titanic.models entry)",
        ),
        (
            "titanic.models.svc.estimator",
            "params.yaml: missing key 'titanic.models.svc.estimator' (an import path sklearn.<module>.<Classifier> "
            + "with <module> one of linear_model, ensemble, svm, neighbors, tree)",
        ),
        ("titanic", "params.yaml: missing key 'titanic' (a mapping)"),
    ],
)
def test_partial_file_names_the_missing_key(tmp_path: Path, key: str, expected: str) -> None:
    """A key left out is refused, and so are the files that leave out a key before others are set."""
    raw = copy.deepcopy(REPO_RAW)
    *parents, last = key.split(".")
    section = raw
    for name in parents:
        section = section[name]
    del section[last]
    path = write_text(tmp_path, yaml.safe_dump(raw, sort_keys=False))
    assert refusal(path) == expected


def test_partial_file_with_later_keys_set(tmp_path: Path) -> None:
    text = "mnist:\n  n_train: 100\n  positive_digit: 3\n"
    assert refusal(write_text(tmp_path, text)) == "params.yaml: missing key 'mnist.openml' (a mapping)"


def test_empty_file_is_refused(tmp_path: Path) -> None:
    assert refusal(write_text(tmp_path, "")) == "params.yaml: missing key 'mnist' (a mapping)"


# --- every inclusive bound accepted exactly, refused one step beyond ---------------------------------

ACCEPTED: list[tuple[str, Any]] = [
    ("mnist.shuffle.seed", 0),
    ("mnist.shuffle.seed", 2**32 - 1),
    ("mnist.positive_digit", 0),
    ("mnist.positive_digit", 9),
    ("mnist.binary.cv_folds", 2),
    ("mnist.binary.cv_folds", 255),
    ("titanic.cv_folds", 255),
    ("titanic.cv_folds", 2),
    ("mnist.evaluate.target_precision", 1.0),
    ("mnist.evaluate.target_precision", 1e-9),
    ("mnist.binary.n_jobs", 64),
    ("mnist.models.softmax.n_jobs", 1),
    ("mnist.models.softmax_augmented.n_jobs", 64),
    ("mnist.augment.shifts", [[27, -27], [-27, 27]]),
    ("mnist.augment.shifts", []),
    ("mnist.figures.shift_example_pixels", 1),
    ("mnist.figures.shift_example_pixels", 27),
    ("mnist.figures.some_digit", 0),
    ("mnist.figures.shift_example", 0),
    ("mnist.evaluate.curve_points", 2),
    ("mnist.evaluate.curve_points", 100_000),
    ("mnist.evaluate.threshold", -1e300),
    ("mnist.binary.C", 1e-300),
    ("mnist.binary.max_iter", 1),
    ("mnist.binary.random_state", 0),
    ("mnist.n_train", 1),
    ("mnist.openml.version", 1),
    ("titanic.evaluate.top_n", 1),
    ("titanic.source.url", "https://example.com/"),
    ("mnist.models.softmax.dtype", "float32"),
    ("mnist.models.knn.matrix", "sparse"),
    ("mnist.models.knn.train", "train_shuffled"),
    ("mnist.models.knn_augmented.train", "train"),
    ("mnist.evaluate.reference", "knn"),
    ("mnist.evaluate.walkthrough_row", 0),
    ("mnist.evaluate.calibration_bins", 2),
    ("mnist.evaluate.calibration_bins", 1000),
    ("titanic.evaluate.calibration_bins", 2),
    ("mnist.evaluate.bootstrap_samples", 100),
    ("mnist.evaluate.bootstrap_samples", 100_000),
    ("mnist.evaluate.bootstrap_seed", 0),
    ("mnist.evaluate.bootstrap_seed", 2**32 - 1),
    ("mnist.figures.error_examples", 1),
    ("mnist.figures.error_examples", 400),
    ("mnist.sweep.models", ["binary"]),
    ("mnist.sweep.scaling", ["unit", "raw"]),
    ("mnist.sweep.C", [1e-300]),
    ("mnist.sweep.validation_fraction", 1e-9),
    ("mnist.sweep.validation_fraction", 0.999),
    ("mnist.sweep.workers", 1),
    ("mnist.sweep.workers", 64),
    ("mnist.sweep.seed", 0),
    ("mnist.sweep.seed", 2**32 - 1),
    ("mnist.sweep.max_iter", 1),
    ("mnist.sweep.models", ["softmax", "binary"]),
    ("mnist.sweep.scaling", ["raw"]),
    ("titanic.evaluate.calibration_bins", 1000),
]


@pytest.mark.parametrize(("key", "value"), ACCEPTED, ids=[f"{key}={value!r}" for key, value in ACCEPTED])
def test_value_at_bound_is_accepted(tmp_path: Path, key: str, value: Any) -> None:
    params = load_params(write_params(tmp_path, {key: value}))
    read: Any = params
    for name in key.split("."):
        read = read[name] if isinstance(read, dict) else getattr(read, name)
    assert read == value
    assert type(read) is type(value)


REFUSED: list[tuple[str, Any, str]] = [
    ("mnist.shuffle.seed", -1, "'mnist.shuffle.seed' must be an integer in [0, 2**32 - 1], got -1"),
    ("mnist.shuffle.seed", 2**32, "'mnist.shuffle.seed' must be an integer in [0, 2**32 - 1], got 4294967296"),
    ("mnist.positive_digit", -1, "'mnist.positive_digit' must be a digit 0-9, got -1"),
    ("mnist.positive_digit", 10, "'mnist.positive_digit' must be a digit 0-9, got 10"),
    ("mnist.positive_digit", "5", "'mnist.positive_digit' must be a digit 0-9, got '5'"),
    ("mnist.binary.cv_folds", 1, "'mnist.binary.cv_folds' must be an integer in [2, 255], got 1"),
    ("titanic.cv_folds", 1, "'titanic.cv_folds' must be an integer in [2, 255], got 1"),
    (
        "mnist.evaluate.target_precision",
        1.0000001,
        "'mnist.evaluate.target_precision' must be a number in (0, 1], got 1.0000001",
    ),
    ("mnist.evaluate.target_precision", 0, "'mnist.evaluate.target_precision' must be a number in (0, 1], got 0.0"),
    ("mnist.binary.n_jobs", 65, "'mnist.binary.n_jobs' must be an integer in [1, 64], got 65"),
    ("mnist.binary.n_jobs", 0, "'mnist.binary.n_jobs' must be an integer in [1, 64], got 0"),
    (
        "mnist.models.softmax_augmented.n_jobs",
        65,
        "'mnist.models.softmax_augmented.n_jobs' must be an integer in [1, 64], got 65",
    ),
    ("mnist.models.knn.n_jobs", 0, "'mnist.models.knn.n_jobs' must be an integer in [1, 64], got 0"),
    (
        "mnist.augment.shifts",
        [[28, 0]],
        "'mnist.augment.shifts' must be a list of [dx, dy] integer pairs with |dx|, |dy| < 28, got [[28, 0]]",
    ),
    (
        "mnist.augment.shifts",
        [[1, 0], [0, -28]],
        "'mnist.augment.shifts' must be a list of [dx, dy] integer pairs with |dx|, |dy| < 28, got [[1, 0], [0, -28]]",
    ),
    (
        "mnist.augment.shifts",
        [[1]],
        "'mnist.augment.shifts' must be a list of [dx, dy] integer pairs with |dx|, |dy| < 28, got [[1]]",
    ),
    (
        "mnist.augment.shifts",
        [[1, 0, 0]],
        "'mnist.augment.shifts' must be a list of [dx, dy] integer pairs with |dx|, |dy| < 28, got [[1, 0, 0]]",
    ),
    (
        "mnist.augment.shifts",
        [[1.5, 0]],
        "'mnist.augment.shifts' must be a list of [dx, dy] integer pairs with |dx|, |dy| < 28, got [[1.5, 0]]",
    ),
    (
        "mnist.augment.shifts",
        [[True, 0]],
        "'mnist.augment.shifts' must be a list of [dx, dy] integer pairs with |dx|, |dy| < 28, got [[True, 0]]",
    ),
    (
        "mnist.augment.shifts",
        "right",
        "'mnist.augment.shifts' must be a list of [dx, dy] integer pairs with |dx|, |dy| < 28, got 'right'",
    ),
    (
        "mnist.figures.shift_example_pixels",
        28,
        "'mnist.figures.shift_example_pixels' must be an integer in [1, 27], got 28",
    ),
    (
        "mnist.figures.shift_example_pixels",
        0,
        "'mnist.figures.shift_example_pixels' must be an integer in [1, 27], got 0",
    ),
    ("mnist.figures.some_digit", -1, "'mnist.figures.some_digit' must be a row index >= 0, got -1"),
    ("mnist.figures.shift_example", -1, "'mnist.figures.shift_example' must be a row index >= 0, got -1"),
    ("mnist.evaluate.curve_points", 1, "'mnist.evaluate.curve_points' must be an integer in [2, 100000], got 1"),
    (
        "mnist.evaluate.curve_points",
        100_001,
        "'mnist.evaluate.curve_points' must be an integer in [2, 100000], got 100001",
    ),
    ("mnist.evaluate.threshold", "abc", "'mnist.evaluate.threshold' must be a finite number, got 'abc'"),
    ("mnist.evaluate.threshold", float("inf"), "'mnist.evaluate.threshold' must be a finite number, got inf"),
    ("mnist.evaluate.threshold", float("nan"), "'mnist.evaluate.threshold' must be a finite number, got nan"),
    ("mnist.binary.C", 0, "'mnist.binary.C' must be a number > 0, got 0.0"),
    ("mnist.binary.C", -1.5, "'mnist.binary.C' must be a number > 0, got -1.5"),
    ("mnist.binary.C", float("inf"), "'mnist.binary.C' must be a number > 0, got inf"),
    ("mnist.binary.max_iter", 0, "'mnist.binary.max_iter' must be an integer >= 1, got 0"),
    ("mnist.binary.max_iter", 2.5, "'mnist.binary.max_iter' must be an integer >= 1, got 2.5"),
    ("mnist.binary.max_iter", False, "'mnist.binary.max_iter' must be an integer >= 1, got False"),
    ("mnist.binary.random_state", -1, "'mnist.binary.random_state' must be an integer >= 0, got -1"),
    ("mnist.models.softmax.dtype", "float16", "'mnist.models.softmax.dtype' must be float32 or float64, got 'float16'"),
    ("mnist.models.softmax.matrix", "csc", "'mnist.models.softmax.matrix' must be sparse or dense, got 'csc'"),
    ("mnist.models.knn.train", "test", "'mnist.models.knn.train' must be train or train_shuffled, got 'test'"),
    ("mnist.n_train", 0, "'mnist.n_train' must be an integer >= 1, got 0"),
    ("mnist.n_train", True, "'mnist.n_train' must be an integer >= 1, got True"),
    ("mnist.n_train", 100.0, "'mnist.n_train' must be an integer >= 1, got 100.0"),
    ("mnist.shuffle.seed", True, "'mnist.shuffle.seed' must be an integer in [0, 2**32 - 1], got True"),
    ("titanic.cv_folds", True, "'titanic.cv_folds' must be an integer in [2, 255], got True"),
    ("mnist.openml.version", 0, "'mnist.openml.version' must be an integer >= 1, got 0"),
    ("mnist.openml.name", 784, "'mnist.openml.name' must be a string, got 784"),
    (
        "titanic.source.url",
        "http://example.com/",
        "'titanic.source.url' must be an https:// URL, got 'http://example.com/'",
    ),
    ("titanic.evaluate.top_n", 0, "'titanic.evaluate.top_n' must be an integer >= 1, got 0"),
    ("mnist.binary.cv_folds", 256, "'mnist.binary.cv_folds' must be an integer in [2, 255], got 256"),
    ("titanic.cv_folds", 1, "'titanic.cv_folds' must be an integer in [2, 255], got 1"),
    ("mnist.evaluate.walkthrough_row", -1, "'mnist.evaluate.walkthrough_row' must be a row index >= 0, got -1"),
    ("mnist.evaluate.calibration_bins", 1, "'mnist.evaluate.calibration_bins' must be an integer in [2, 1000], got 1"),
    (
        "titanic.evaluate.calibration_bins",
        1001,
        "'titanic.evaluate.calibration_bins' must be an integer in [2, 1000], got 1001",
    ),
    (
        "mnist.evaluate.bootstrap_samples",
        99,
        "'mnist.evaluate.bootstrap_samples' must be an integer in [100, 100000], got 99",
    ),
    (
        "mnist.evaluate.bootstrap_seed",
        -1,
        "'mnist.evaluate.bootstrap_seed' must be an integer in [0, 2**32 - 1], got -1",
    ),
    ("mnist.figures.error_examples", 0, "'mnist.figures.error_examples' must be an integer in [1, 400], got 0"),
    ("mnist.figures.error_examples", 401, "'mnist.figures.error_examples' must be an integer in [1, 400], got 401"),
    ("mnist.sweep.C", [], "'mnist.sweep.C' must be a non-empty list of numbers > 0, got []"),
    ("mnist.sweep.C", [1.0, 0], "'mnist.sweep.C' must be a non-empty list of numbers > 0, got [1.0, 0]"),
    (
        "mnist.sweep.models",
        ["softmax", "trees"],
        "'mnist.sweep.models' must be a non-empty list of softmax and/or binary, got ['softmax', 'trees']",
    ),
    (
        "mnist.sweep.scaling",
        [],
        "'mnist.sweep.scaling' must be a non-empty list of raw (0-255) and/or unit (/255), got []",
    ),
    ("mnist.sweep.validation_fraction", 0, "'mnist.sweep.validation_fraction' must be a number in (0, 1), got 0.0"),
    ("mnist.sweep.validation_fraction", 1, "'mnist.sweep.validation_fraction' must be a number in (0, 1), got 1.0"),
    ("mnist.sweep.workers", 0, "'mnist.sweep.workers' must be an integer in [1, 64], got 0"),
    ("mnist.sweep.workers", 65, "'mnist.sweep.workers' must be an integer in [1, 64], got 65"),
    # the other side of the bounds above
    ("titanic.cv_folds", 256, "'titanic.cv_folds' must be an integer in [2, 255], got 256"),
    (
        "mnist.evaluate.calibration_bins",
        1001,
        "'mnist.evaluate.calibration_bins' must be an integer in [2, 1000], got 1001",
    ),
    (
        "titanic.evaluate.calibration_bins",
        1,
        "'titanic.evaluate.calibration_bins' must be an integer in [2, 1000], got 1",
    ),
    (
        "mnist.evaluate.bootstrap_samples",
        100_001,
        "'mnist.evaluate.bootstrap_samples' must be an integer in [100, 100000], got 100001",
    ),
    (
        "mnist.evaluate.bootstrap_seed",
        2**32,
        "'mnist.evaluate.bootstrap_seed' must be an integer in [0, 2**32 - 1], got 4294967296",
    ),
    ("mnist.sweep.max_iter", 0, "'mnist.sweep.max_iter' must be an integer >= 1, got 0"),
    ("mnist.sweep.seed", -1, "'mnist.sweep.seed' must be an integer in [0, 2**32 - 1], got -1"),
    ("mnist.sweep.seed", 2**32, "'mnist.sweep.seed' must be an integer in [0, 2**32 - 1], got 4294967296"),
    ("mnist.sweep.models", [], "'mnist.sweep.models' must be a non-empty list of softmax and/or binary, got []"),
    (
        "mnist.sweep.models",
        ["softmax", "binary", "binary"],
        "'mnist.sweep.models' must be a non-empty list of softmax and/or binary, got ['softmax', 'binary', 'binary']",
    ),
    (
        "mnist.sweep.scaling",
        ["raw", "unit", "raw"],
        "'mnist.sweep.scaling' must be a non-empty list of raw (0-255) and/or unit (/255), got ['raw', 'unit', 'raw']",
    ),
]


@pytest.mark.parametrize(("key", "value", "expected"), REFUSED, ids=[f"{key}={value!r}" for key, value, _ in REFUSED])
def test_bad_value_is_refused_naming_key(tmp_path: Path, key: str, value: Any, expected: str) -> None:
    assert refusal(write_params(tmp_path, {key: value})) == f"params.yaml: {expected}"


# --- unknown keys and the file's shape -------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (
            "mnist.binary.foo",
            "unknown key 'mnist.binary.foo' (allowed: C, max_iter, random_state, dtype, matrix, n_jobs, cv_folds)",
        ),
        (
            "titanic.evaluate.treshold",
            "unknown key 'titanic.evaluate.treshold' (allowed: reference, top_n, calibration_bins)",
        ),
        (
            "mnist.extra",
            "unknown key 'mnist.extra' (allowed: openml, n_train, positive_digit, augment, shuffle, binary, models, "
            "evaluate, figures, sweep)",
        ),
        ("bogus", "unknown key 'bogus' (allowed: mnist, titanic)"),
    ],
)
def test_unknown_key_names_key(tmp_path: Path, key: str, expected: str) -> None:
    assert refusal(write_params(tmp_path, {key: 1})) == f"params.yaml: {expected}"


def test_misspelt_key_is_reported_as_unknown(tmp_path: Path) -> None:
    """A misspelling also leaves the real key out; the misspelt one is the more useful thing to name."""
    path = write_params(tmp_path, {})
    text = path.read_text(encoding="utf-8").replace("    top_n:", "    topn:")
    assert (
        refusal(write_text(tmp_path, text))
        == "params.yaml: unknown key 'titanic.evaluate.topn' (allowed: reference, top_n, calibration_bins)"
    )


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("mnist:\n  5: a\n  foo: b\n", "mnist.5"),
        ("1: a\nbogus: b\n", "1"),
        ("mnist:\n  null: 1\n  x: 2\n", "mnist.None"),
    ],
    ids=["int-and-str", "top-level", "null-and-str"],
)
def test_unknown_keys_of_mixed_types(tmp_path: Path, text: str, key: str) -> None:
    """Non-string keys (YAML ints, null) beside string ones are refused like any unknown key, not a crash."""
    assert refusal(write_text(tmp_path, text)).startswith(f"params.yaml: unknown key '{key}' (allowed: ")


@pytest.mark.parametrize(
    ("key", "value", "kind"),
    [("mnist", 5, "int"), ("mnist.binary", [1, 2], "list"), ("titanic.models.svc", "SVC", "str")],
)
def test_section_not_a_mapping(tmp_path: Path, key: str, value: Any, kind: str) -> None:
    assert refusal(write_params(tmp_path, {key: value})) == f"params.yaml: '{key}' must be a mapping, got {kind}"


@pytest.mark.parametrize(
    ("text", "kind"), [("- mnist\n- titanic\n", "list"), ("42\n", "int"), ("just a string\n", "str")]
)
def test_top_level_not_a_mapping(tmp_path: Path, text: str, kind: str) -> None:
    assert refusal(write_text(tmp_path, text)) == f"params.yaml: 'the top level' must be a mapping, got {kind}"


@pytest.mark.parametrize("text", ["mnist: [unclosed\n", "mnist:\n  n_train: 1\n bad: indent\n", "a: b: c\n"])
def test_invalid_yaml(tmp_path: Path, text: str) -> None:
    path = write_text(tmp_path, text)
    assert refusal(path).startswith(f"{path}: not valid YAML at line ")


def test_duplicate_key_is_refused(tmp_path: Path) -> None:
    path = write_text(tmp_path, "mnist:\n  n_train: 5\n  positive_digit: 3\n  n_train: 6\ntitanic: {}\n")
    assert refusal(path) == f"{path}: line 4: key 'mnist.n_train' is given twice"


def test_duplicate_nested_key_is_refused(tmp_path: Path) -> None:
    text = REPO_PARAMS.read_text(encoding="utf-8").replace("    top_n: 20 ", "    top_n: 5\n    top_n: 20 ")
    path = write_text(tmp_path, text)
    line = text.splitlines().index("    top_n: 5") + 2  # the second top_n is the one refused
    assert refusal(path) == f"{path}: line {line}: key 'titanic.evaluate.top_n' is given twice"


def test_yaml_tags_are_not_executed(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    path = write_text(tmp_path, f"mnist: !!python/object/apply:os.system ['touch {marker}']\n")
    message = refusal(path)
    assert message.startswith(f"{path}: not valid YAML at line 1: could not determine a constructor")
    assert message.endswith("(only plain YAML values are allowed; nothing in the file is run)")
    assert not marker.exists()


# --- files that cannot be read --------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    assert refusal(path) == f"{path}: parameter file not found"


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.write_bytes(REPO_PARAMS.read_bytes().replace(b"name: mnist_784", b"name: mnist\xff784"))
    assert refusal(path) == f"{path}: not UTF-8 text"


def test_latin1_file(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.write_bytes("# réglages\n".encode("latin-1") + REPO_PARAMS.read_bytes())
    assert refusal(path) == f"{path}: not UTF-8 text"


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.mkdir()
    assert refusal(path) == f"{path}: cannot read the parameter file (Is a directory)"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file whatever its mode")
def test_unreadable_file(tmp_path: Path) -> None:
    path = write_params(tmp_path, {})
    path.chmod(0)
    try:
        assert refusal(path) == f"{path}: cannot read the parameter file (Permission denied)"
    finally:
        path.chmod(0o644)


def test_error_messages_are_one_line_without_traceback_text(tmp_path: Path) -> None:
    """pydantic's own multi-line report never leaks into the message."""
    message = refusal(
        write_params(tmp_path, {"mnist.binary.C": 0, "mnist.n_train": 0, "titanic.models.svc.params": {"C": "x"}})
    )
    assert not re.search(r"validation error|pydantic|Input should", message)
    assert message == "params.yaml: 'mnist.n_train' must be an integer >= 1, got 0"


def test_default_path_is_params_yaml_in_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_params(tmp_path, {"mnist.n_train": 7})
    monkeypatch.chdir(tmp_path)
    assert load_params().mnist.n_train == 7


def test_control_character_is_not_valid_yaml(tmp_path: Path) -> None:
    """PyYAML's reader refuses a control character before parsing: no line, no problem text to show."""
    path = write_text(tmp_path, "mnist:\n  n_train: 1\x01\n")
    assert refusal(path) == f"{path}: not valid YAML"


@pytest.mark.parametrize(
    ("text", "kind"),
    [("mnist: &loop [*loop]\ntitanic: {}\n", "list"), ("mnist: &loop {a: *loop}\ntitanic: {}\n", "mapping")],
    ids=["list", "mapping"],
)
def test_self_referencing_alias_is_checked_once(tmp_path: Path, text: str, kind: str) -> None:
    """An anchor used inside itself makes a cyclic document; the duplicate-key walk must still end."""
    message = refusal(write_text(tmp_path, text))
    if kind == "list":
        assert message == "params.yaml: 'mnist' must be a mapping, got list"
    else:
        assert message.startswith("params.yaml: unknown key 'mnist.a' (allowed: openml, n_train, ")


def test_duplicate_key_inside_a_list_is_refused(tmp_path: Path) -> None:
    path = write_text(tmp_path, "mnist:\n  sweep:\n    - {a: 1, b: 2}\n    - {a: 1, a: 2}\n")
    assert refusal(path) == f"{path}: line 4: key 'mnist.sweep.a' is given twice"


# --- what a field must be, for fields params.yaml does not have (yet) -------------------------------


class Probe(Section):
    """Fields of shapes Params does not use, to read ``allowed`` on them."""

    below: Annotated[int, Field(lt=10)]
    at_most: Annotated[float, Field(le=0.5)]
    flag: bool
    items: list[int]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("below", "an integer < 10"),
        ("at_most", "a number <= 0.5"),
        ("flag", "a valid value"),
        ("items", "a valid value"),
    ],
)
def test_allowed_text_of_other_fields(name: str, expected: str) -> None:
    assert allowed(Probe.model_fields[name]) == expected


# --- checks against the data, once it is read -------------------------------------------------------


def test_row_index_below_the_table_is_accepted_and_at_its_end_refused() -> None:
    require_row_below("mnist.evaluate.walkthrough_row", 4, 5)
    require_row_below("mnist.figures.some_digit", 0, 1)
    with pytest.raises(PipelineError) as caught:
        require_row_below("mnist.evaluate.walkthrough_row", 5, 5)
    assert str(caught.value) == "params.yaml: 'mnist.evaluate.walkthrough_row' must be below 5, got 5"
    with pytest.raises(PipelineError, match=r"^params.yaml: 'mnist.figures.some_digit' must be below 0, got 0$"):
        require_row_below("mnist.figures.some_digit", 0, 0)


CLASSES = {True: "image of the positive digit 5 (mnist.positive_digit)", False: "image of a digit other than 5"}


def fold_refusal(n_folds: int, target: Any) -> str:
    with pytest.raises(PipelineError) as caught:
        require_fold_count(n_folds, target, "mnist.binary.cv_folds", "data/train.parquet", CLASSES)
    assert "\n" not in str(caught.value)
    return str(caught.value)


def test_fold_count_up_to_the_smallest_class() -> None:
    """Three of class 0 and four of class 1: at most 3 folds, each holding one of every class."""
    target = np.array([0, 0, 0, 1, 1, 1, 1])
    require_fold_count(2, target, "mnist.binary.cv_folds", "data/train.parquet", CLASSES)
    require_fold_count(3, target, "mnist.binary.cv_folds", "data/train.parquet", CLASSES)
    assert fold_refusal(4, target) == (
        "params.yaml: 'mnist.binary.cv_folds' must be at most 3 "
        "(members of the smallest class in data/train.parquet), got 4"
    )


def test_fold_count_with_classes_of_equal_size() -> None:
    target = [True, False, True, False]
    require_fold_count(2, target, "mnist.binary.cv_folds", "data/train.parquet", CLASSES)
    assert fold_refusal(3, target).startswith("params.yaml: 'mnist.binary.cv_folds' must be at most 2 (")


@pytest.mark.parametrize(
    ("target", "missing"),
    [
        ([False] * 5, "image of the positive digit 5 (mnist.positive_digit) among its 5 rows"),
        ([True] * 3, "image of a digit other than 5 among its 3 rows"),
        ([False], "image of the positive digit 5 (mnist.positive_digit) among its 1 row"),  # mnist.n_train: 1
        (
            [],
            "image of the positive digit 5 (mnist.positive_digit) and no image of a digit other than 5 "
            "among its 0 rows",
        ),
    ],
    ids=["no-positive", "only-positive", "one-row", "empty"],
)
def test_a_training_set_without_both_classes_is_the_datas_fault_not_the_fold_counts(
    target: list[bool], missing: str
) -> None:
    """With one class (or none) there is no second class to learn or stratify on: the file is named, not cv_folds."""
    assert fold_refusal(2, np.array(target, dtype=bool)) == (
        f"data/train.parquet: holds no {missing} (the classifier needs rows of both classes)"
    )


def test_a_class_of_one_row_cannot_be_split_by_any_fold_count() -> None:
    """cv_folds is at least 2: "must be at most 1" would ask for what params.yaml refuses."""
    assert fold_refusal(2, np.array([True, False, False, False])) == (
        "data/train.parquet: holds only one image of the positive digit 5 (mnist.positive_digit): "
        "cross-validation ('mnist.binary.cv_folds') needs at least 2 rows of each class"
    )


# --- the Titanic model registry ---------------------------------------------------------------------

ALLOWED_PATHS = "sklearn.<module>.<Classifier> with <module> one of linear_model, ensemble, svm, neighbors, tree"


def test_the_registry_holds_the_seed_model_and_the_books_exercise_models() -> None:
    models = load_params(REPO_PARAMS).titanic.models
    assert list(models) == ["logistic", "random_forest", "svc"]
    assert models["logistic"].estimator == "sklearn.linear_model.LogisticRegression"
    assert models["logistic"].params == {"C": 1.0, "max_iter": 100, "random_state": 0}
    assert models["svc"].params == {"gamma": "auto"} and models["svc"].preprocess == ["scale_numeric"]
    assert models["random_forest"].params == {"n_estimators": 100, "random_state": 42}


def test_a_new_entry_needs_only_its_lines(tmp_path: Path) -> None:
    entry = {"estimator": "sklearn.tree.DecisionTreeClassifier", "params": {"max_depth": 3}, "preprocess": []}
    params = load_params(write_params(tmp_path, {"titanic.models.tree": entry}))
    assert params.titanic.models["tree"].params == {"max_depth": 3}


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        (
            "titanic.models.svc.estimator",
            "sklearn.svm.SVK",
            "'titanic.models.svc.estimator' must name a classifier of sklearn.svm, got 'sklearn.svm.SVK'",
        ),
        (
            "titanic.models.svc.estimator",
            "sklearn.svm.SVR",  # a regressor
            "'titanic.models.svc.estimator' must name a classifier of sklearn.svm, got 'sklearn.svm.SVR'",
        ),
        (
            "titanic.models.svc.estimator",
            "os.system",
            f"'titanic.models.svc.estimator' must be an import path {ALLOWED_PATHS}, got 'os.system'",
        ),
        (
            "titanic.models.svc.estimator",
            "sklearn.naive_bayes.GaussianNB",
            f"'titanic.models.svc.estimator' must be an import path {ALLOWED_PATHS}, "
            "got 'sklearn.naive_bayes.GaussianNB'",
        ),
        (
            "titanic.models.svc.params",
            {"gama": "auto"},
            "'titanic.models.svc.params' refused by scikit-learn: SVC.__init__() got an unexpected keyword argument "
            "'gama'",
        ),
        (
            "titanic.models.svc.params",
            {"C": -1},
            "'titanic.models.svc.params' refused by scikit-learn: The 'C' parameter of SVC must be a float in the "
            "range (0.0, inf]. Got -1 instead.",
        ),
        (
            "titanic.models.random_forest.params",
            {"n_estimators": "many"},
            "'titanic.models.random_forest.params' refused by scikit-learn: The 'n_estimators' parameter of "
            "RandomForestClassifier must be an int in the range [1, inf). Got 'many' instead.",
        ),
        (
            "titanic.models.svc.preprocess",
            ["minmax"],
            "'titanic.models.svc.preprocess' must be [] or [scale_numeric] (a StandardScaler on the numeric columns), "
            "got ['minmax']",
        ),
        ("titanic.models.svc.foo", 1, "unknown key 'titanic.models.svc.foo' (allowed: estimator, params, preprocess)"),
        ("titanic.models.svc.params", [1], "'titanic.models.svc.params' must be a valid value, got [1]"),
        (
            "titanic.models.Bad-Name",
            {"estimator": "sklearn.svm.SVC", "params": {}, "preprocess": []},
            "'titanic.models' has the name 'Bad-Name': a name is lower-case letters, digits and _ (it names files), "
            "not always_died or women_survive",
        ),
        (
            "titanic.models.women_survive",
            {"estimator": "sklearn.svm.SVC", "params": {}, "preprocess": []},
            "'titanic.models' has the name 'women_survive': a name is lower-case letters, digits and _ (it names "
            "files), not always_died or women_survive",
        ),
        (
            "titanic.evaluate.reference",
            "forest",
            "'titanic.evaluate' has reference 'forest', not one of titanic.models (logistic, random_forest, svc)",
        ),
        (
            "titanic.models",
            {},
            "'titanic.models' must be a mapping of at least one model entry (docs/models.md), got {}",
        ),
        (
            "titanic.models.svc.estimator",
            "sklearn.ensemble.HistGradientBoostingClassifier",  # it would train, then its model file be refused
            "'titanic.models.svc.estimator' cannot be sklearn.ensemble.HistGradientBoostingClassifier: its fitted "
            "trees are TreePredictor objects, a type skops does not trust, so its model file would be refused when "
            "loaded",
        ),
    ],
)
def test_a_bad_registry_entry_is_refused_in_one_line(tmp_path: Path, key: str, value: Any, expected: str) -> None:
    """As the stage that builds the estimators reads params.yaml (checked against scikit-learn)."""
    assert refusal(write_params(tmp_path, {key: value}), check_estimators=True) == f"params.yaml: {expected}"


# --- the MNIST model registry -----------------------------------------------------------------------

KNN = {
    "estimator": "sklearn.neighbors.KNeighborsClassifier",
    "params": {"n_neighbors": 3},
    "train": "train",
    "dtype": "float32",
    "matrix": "dense",
    "n_jobs": 1,
}


def test_the_mnist_registry_holds_the_seeds_models_and_the_books_knn() -> None:
    mnist = load_params(REPO_PARAMS).mnist
    models = mnist.models
    assert list(models) == ["softmax", "softmax_augmented", "knn", "knn_augmented"]
    seed = {"C": 10.0, "max_iter": 100, "random_state": 0}  # the seed's LogisticRegression
    assert models["softmax"].params == models["softmax_augmented"].params == seed
    assert [models[name].train for name in models] == ["train", "train_shuffled", "train", "train_shuffled"]
    for name in ("knn", "knn_augmented"):
        assert models[name].estimator == "sklearn.neighbors.KNeighborsClassifier"
        assert models[name].params == {"n_neighbors": 4, "weights": "distance"}  # the book's grid search
    assert mnist.evaluate.reference == "softmax_augmented"


def test_a_new_mnist_entry_needs_only_its_lines(tmp_path: Path) -> None:
    params = load_params(write_params(tmp_path, {"mnist.models.knn3": KNN}))
    assert params.mnist.models["knn3"].params == {"n_neighbors": 3}
    assert list(params.mnist.models)[-1] == "knn3"


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        (
            "mnist.models.softmax.params",
            {"C": "ten"},
            "'mnist.models.softmax.params' refused by scikit-learn: The 'C' parameter of LogisticRegression must be "
            "a float in the range (0.0, inf]. Got 'ten' instead.",
        ),
        (
            "mnist.models.knn.params",
            {"n_neigbors": 4},
            "'mnist.models.knn.params' refused by scikit-learn: KNeighborsClassifier.__init__() got an unexpected "
            "keyword argument 'n_neigbors'",
        ),
        (
            "mnist.models.knn.estimator",
            "sklearn.neighbors.KNeighborsRegressor",
            "'mnist.models.knn.estimator' must name a classifier of sklearn.neighbors, "
            "got 'sklearn.neighbors.KNeighborsRegressor'",
        ),
        (
            "mnist.models.knn.estimator",
            "sklearn.naive_bayes.GaussianNB",
            f"'mnist.models.knn.estimator' must be an import path {ALLOWED_PATHS}, "
            "got 'sklearn.naive_bayes.GaussianNB'",
        ),
        (
            "mnist.models.knn.preprocess",
            [],
            "unknown key 'mnist.models.knn.preprocess' (allowed: estimator, params, train, dtype, matrix, n_jobs)",
        ),
        (
            "mnist.models.Knn",
            KNN,
            "'mnist.models' has the name 'Knn': a name is lower-case letters, digits and _ (it names files), not label",
        ),
        (
            "mnist.models.label",  # it would overwrite the true digits in reports/mnist_test_predictions.csv
            KNN,
            "'mnist.models' has the name 'label': a name is lower-case letters, digits and _ (it names files), "
            "not label",
        ),
        ("mnist.models.knn", [1], "'mnist.models.knn' must be a mapping, got list"),
        (
            "mnist.evaluate.reference",
            "forest",
            "'mnist.evaluate' has reference 'forest', not one of mnist.models "
            "(softmax, softmax_augmented, knn, knn_augmented)",
        ),
        ("mnist.models", {}, "'mnist.models' must be a mapping of at least one model entry (docs/models.md), got {}"),
    ],
)
def test_a_bad_mnist_registry_entry_is_refused_in_one_line(tmp_path: Path, key: str, value: Any, expected: str) -> None:
    """As train_mnist reads params.yaml (checked against scikit-learn)."""
    assert refusal(write_params(tmp_path, {key: value}), check_estimators=True) == f"params.yaml: {expected}"


def test_an_estimator_whose_model_file_cannot_be_loaded_is_refused_in_either_registry(tmp_path: Path) -> None:
    entry = {**KNN, "estimator": "sklearn.ensemble.HistGradientBoostingClassifier", "params": {}}
    assert refusal(write_params(tmp_path, {"mnist.models.boosted": entry})).startswith(
        "params.yaml: 'mnist.models.boosted.estimator' cannot be sklearn.ensemble.HistGradientBoostingClassifier: "
        "its fitted trees are TreePredictor objects"
    )
    other = {**KNN, "estimator": "sklearn.ensemble.GradientBoostingClassifier", "params": {}}  # its trees load
    assert load_params(write_params(tmp_path, {"mnist.models.boosted": other}), check_estimators=True)


def test_the_refused_estimators_model_file_is_what_the_loader_refuses(tmp_path: Path) -> None:
    """Why it is refused, checked: fitted and saved, the model file does not load (skops_file.ESTIMATOR_TYPES)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    from pipelib import skops_file

    features, target = np.arange(40.0).reshape(20, 2), np.arange(20) % 2
    (tmp_path / "boosted.skops").write_bytes(
        skops_file.sio.dumps(HistGradientBoostingClassifier(max_iter=2).fit(features, target))
    )
    with pytest.raises(
        PipelineError, match=r"untrusted type sklearn\.ensemble\._hist_gradient_boosting\.predictor\.TreePredictor$"
    ):
        skops_file.load(tmp_path / "boosted.skops", skops_file.ESTIMATOR_TYPES)


def test_the_titanic_baseline_names_are_free_in_the_mnist_registry(tmp_path: Path) -> None:
    """Only the Titanic registry has baselines beside its models."""
    params = load_params(write_params(tmp_path, {"mnist.models.always_died": KNN}))
    assert "always_died" in params.mnist.models


@pytest.mark.parametrize(
    "addressing",
    ["train_mnist@knn", "dvc.yaml:train_mnist@knn", "../dvc.yaml:train_mnist@knn", "a:b/dvc.yaml:train_mnist@knn"],
)
def test_registry_entry_is_named_by_dvc_stage(monkeypatch: pytest.MonkeyPatch, addressing: str) -> None:
    """DVC's stage addressing: the name alone in the project root, after ``<path>dvc.yaml:`` elsewhere."""
    models = load_params(REPO_PARAMS).mnist.models
    monkeypatch.setenv("DVC_STAGE", addressing)
    assert registry_entry(models, "train_mnist", "mnist.models") == ("knn", models["knn"])


def test_registry_entry_names_a_missing_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    models = load_params(REPO_PARAMS).mnist.models
    monkeypatch.setenv("DVC_STAGE", "train_mnist@forest")
    with pytest.raises(PipelineError) as error:
        registry_entry(models, "train_mnist", "mnist.models")
    assert str(error.value) == (
        "params.yaml: no entry 'forest' in mnist.models (softmax, softmax_augmented, knn, knn_augmented)"
    )


@pytest.mark.parametrize(
    "addressing", [None, "", "train_titanic@knn", "train_mnist", "train_mnist@", "xtrain_mnist@knn"]
)
def test_registry_entry_outside_its_dvc_stage_is_refused(
    monkeypatch: pytest.MonkeyPatch, addressing: str | None
) -> None:
    if addressing is None:
        monkeypatch.delenv("DVC_STAGE", raising=False)
    else:
        monkeypatch.setenv("DVC_STAGE", addressing)
    with pytest.raises(PipelineError) as error:
        registry_entry(load_params(REPO_PARAMS).mnist.models, "train_mnist", "mnist.models")
    assert str(error.value) == (
        f"DVC_STAGE is {addressing or ''!r}, not train_mnist@<entry of mnist.models> (run it with dvc repro)"
    )


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("titanic.models.svc.estimator", "os.system"),
        ("titanic.models.svc.estimator", "sklearn.naive_bayes.GaussianNB"),
        ("titanic.models.svc.preprocess", ["minmax"]),
        ("titanic.evaluate.reference", "forest"),
        ("titanic.models.svc.estimator", "sklearn.ensemble.HistGradientBoostingClassifier"),
        ("titanic.models", {}),
    ],
)
def test_registry_checks_without_scikit_learn_are_made_by_every_stage(tmp_path: Path, key: str, value: Any) -> None:
    path = write_params(tmp_path, {key: value})
    assert refusal(path) == refusal(path, check_estimators=True)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("titanic.models.svc.estimator", "sklearn.svm.SVR"),
        ("titanic.models.svc.params", {"gama": "auto"}),
        ("titanic.models.svc.params", {"C": -1}),
    ],
)
def test_scikit_learns_checks_only_where_asked_for(tmp_path: Path, key: str, value: Any) -> None:
    """A stage that never builds an estimator does not pay for importing scikit-learn to check one."""
    path = write_params(tmp_path, {key: value})
    assert load_params(path).titanic.models["svc"].model_dump()[key.rsplit(".", 1)[1]] == value
    assert refusal(path, check_estimators=True).startswith(f"params.yaml: '{key}' ")


def test_reading_params_imports_no_scikit_learn_unless_asked(tmp_path: Path) -> None:
    """In a fresh interpreter, as a stage starts: only ``check_estimators=True`` imports scikit-learn."""
    program = (
        "import sys; from pipelib.params import load_params; load_params(sys.argv[1], sys.argv[2] == 'check'); "
        "print('sklearn' in sys.modules)"
    )
    found = {
        mode: subprocess.run(
            [sys.executable, "-c", program, str(REPO_PARAMS), mode], capture_output=True, text=True, check=True
        ).stdout.strip()
        for mode in ("plain", "check")
    }
    assert found == {"plain": "False", "check": "True"}


def test_only_entry_files_are_accepted(tmp_path: Path) -> None:
    """dvc.yaml hashes the directory whole: a removed entry's file must not linger in it unnoticed."""
    for name in ("a.skops", "b.skops", ".a.skops.x1y2.tmp"):  # a hidden file: an interrupted write, ignored
        (tmp_path / name).write_bytes(b"")
    require_only_entries(tmp_path, ["a", "b"], ".skops", "titanic.models")
    require_only_entries(tmp_path / "absent", ["a"], ".skops", "titanic.models")  # no directory: nothing to check
    for name, names in (("c.skops", ["a", "b", "d"]), ("notes.txt", ["a", "b", "notes"]), ("a.parquet", ["a", "b"])):
        (tmp_path / name).write_bytes(b"")
        with pytest.raises(PipelineError) as error:
            require_only_entries(tmp_path, names, ".skops", "titanic.models")
        assert str(error.value) == (
            f"{tmp_path / name}: not the file of an entry of titanic.models (left by a removed entry? delete it)"
        )
        (tmp_path / name).unlink()


# --- scikit-learn's refusals at fit and predict time -------------------------------------------------


def test_a_refusal_at_predict_time_is_one_line_naming_the_key() -> None:
    """Six training rows cannot give ten neighbours: scikit-learn says so only when asked for them."""
    from sklearn.neighbors import KNeighborsClassifier

    features = np.arange(12.0).reshape(6, 2)
    with pytest.raises(PipelineError) as caught, refused_by_scikit_learn("mnist.models.knn.params", "scoring"):
        KNeighborsClassifier(n_neighbors=10).fit(features, [0, 1] * 3).predict(features)
    assert str(caught.value) == (
        "params.yaml: 'mnist.models.knn.params' refused by scikit-learn when scoring: Expected n_neighbors <= "
        "n_samples_fit, but n_neighbors = 10, n_samples_fit = 6, n_samples = 6"
    )


def test_a_refusal_over_several_lines_becomes_one() -> None:
    """No training point within the radius of any of 40 far points: scikit-learn lists them over several lines."""
    from sklearn.neighbors import RadiusNeighborsClassifier

    model = RadiusNeighborsClassifier(radius=1.0).fit(np.zeros((4, 2)), [0, 1, 0, 1])
    with pytest.raises(PipelineError) as caught, refused_by_scikit_learn("titanic.models.near.params", "scoring"):
        model.predict(np.full((40, 2), 100.0))
    message = str(caught.value)
    assert message.startswith(
        "params.yaml: 'titanic.models.near.params' refused by scikit-learn when scoring: No neighbors found for "
        "test samples array([ 0, 1, 2, 3,"
    )
    assert "\n" not in message and "  " not in message
    assert message.endswith(
        "39]), you can try using larger radius, giving a label for outliers, or considering removing them from "
        "your dataset."
    )


def test_other_errors_are_not_blamed_on_the_entry() -> None:
    """Only scikit-learn's ValueError and TypeError are its refusals; anything else is a bug and keeps its traceback."""
    with pytest.raises(KeyError), refused_by_scikit_learn("mnist.models.knn.params", "fitting"):
        raise KeyError("coef_")
    with refused_by_scikit_learn("mnist.models.knn.params", "fitting"):
        pass
