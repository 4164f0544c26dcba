"""params.yaml validation: the repo's file loads, and every kind of bad value names its dotted key."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import helpers
import pytest
import yaml

from pipelib.errors import PipelineError
from pipelib.params import ImageLogisticParams, Params, load_params

REPO_PARAMS = helpers.REPO_ROOT / "params.yaml"


def write_params(tmp_path: Path, updates: dict[str, Any]) -> Path:
    """A copy of the repo's params.yaml with dotted-key ``updates``."""
    path = tmp_path / "params.yaml"
    path.write_text(REPO_PARAMS.read_text(encoding="utf-8"), encoding="utf-8")
    helpers.edit_params(path, updates)
    return path


def test_repo_params_load() -> None:
    params = load_params(REPO_PARAMS)
    assert isinstance(params, Params)
    assert isinstance(params.mnist.softmax, ImageLogisticParams)
    assert isinstance(params.mnist.binary.C, float)
    assert params.mnist.positive_digit == 5
    assert params.mnist.shuffle.seed == 42
    assert params.mnist.binary.cv_folds == 3
    assert params.mnist.augment.shifts == [[1, 0], [-1, 0], [0, 1], [0, -1]]
    assert params.titanic.source.url.startswith("https://")


def test_every_default_is_in_params_yaml() -> None:
    """params.yaml spells out every knob, so nothing silently falls back to a code default."""
    raw = yaml.safe_load(REPO_PARAMS.read_text(encoding="utf-8"))

    def keys(mapping: dict[str, Any], prefix: str = "") -> set[str]:
        found = set()
        for key, value in mapping.items():
            name = f"{prefix}{key}"
            found |= keys(value, name + ".") if isinstance(value, dict) else {name}
        return found

    def field_keys(value: Any, prefix: str = "") -> set[str]:
        found = set()
        for name, item in vars(value).items():
            dotted = f"{prefix}{name}"
            found |= field_keys(item, dotted + ".") if hasattr(item, "__dataclass_fields__") else {dotted}
        return found

    assert keys(raw) == field_keys(Params())


def test_edited_values_are_read(tmp_path: Path) -> None:
    params = load_params(
        write_params(tmp_path, {"mnist.n_train": 400, "mnist.softmax.C": 3, "titanic.model.cv_folds": 3})
    )
    assert params.mnist.n_train == 400
    assert params.mnist.softmax.C == 3.0
    assert isinstance(params.mnist.softmax.C, float)
    assert params.mnist.softmax_augmented.C == 10.0
    assert params.titanic.model.cv_folds == 3


def test_empty_file_gives_defaults(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.write_text("", encoding="utf-8")
    assert load_params(path) == Params()


BAD_VALUES: list[tuple[str, Any]] = [
    ("mnist.binary.C", 0),
    ("mnist.binary.C", -1.5),
    ("mnist.softmax.C", "ten"),
    ("mnist.softmax_augmented.C", None),
    ("mnist.softmax.max_iter", 0),
    ("mnist.softmax.max_iter", 2.5),
    ("mnist.softmax.dtype", "float16"),
    ("mnist.softmax.matrix", "csc"),
    ("mnist.binary.n_jobs", 0),
    ("mnist.softmax_augmented.n_jobs", 65),
    ("mnist.evaluate.threshold", "abc"),
    ("mnist.evaluate.threshold", float("inf")),
    ("mnist.evaluate.threshold", float("nan")),
    ("mnist.evaluate.target_precision", 0),
    ("mnist.evaluate.target_precision", 1.5),
    ("mnist.evaluate.curve_points", 1),
    ("mnist.augment.shifts", [[28, 0]]),
    ("mnist.augment.shifts", [[1, 0], [0, -28]]),
    ("mnist.augment.shifts", [[1]]),
    ("mnist.augment.shifts", [[1.5, 0]]),
    ("mnist.augment.shifts", "right"),
    ("mnist.binary.cv_folds", 1),
    ("titanic.model.cv_folds", 1),
    ("mnist.n_train", 0),
    ("mnist.n_train", True),
    ("mnist.binary.max_iter", False),
    ("mnist.positive_digit", 10),
    ("mnist.positive_digit", "5"),
    ("mnist.shuffle.seed", -1),
    ("mnist.shuffle.seed", 2**32),
    ("mnist.openml.version", 0),
    ("mnist.figures.shift_example_pixels", 28),
    ("titanic.source.url", "http://example.com/"),
    ("titanic.evaluate.top_n", 0),
    ("titanic.model.C", "1.0"),
]


@pytest.mark.parametrize(("key", "value"), BAD_VALUES, ids=[f"{key}={value!r}" for key, value in BAD_VALUES])
def test_bad_value_names_key(tmp_path: Path, key: str, value: Any) -> None:
    path = write_params(tmp_path, {key: value})
    with pytest.raises(PipelineError, match=re.escape(f"'{key}'")):
        load_params(path)


@pytest.mark.parametrize("key", ["mnist.binary.foo", "mnist.extra", "titanic.evaluate.treshold", "bogus"])
def test_unknown_key_names_key(tmp_path: Path, key: str) -> None:
    path = write_params(tmp_path, {key: 1})
    with pytest.raises(PipelineError, match=re.escape(f"unknown key '{key}'")):
        load_params(path)


@pytest.mark.parametrize(
    "text",
    ["mnist:\n  5: a\n  foo: b\n", "1: a\nbogus: b\n", "mnist:\n  null: 1\n  x: 2\n"],
    ids=["int-and-str", "top-level", "null-and-str"],
)
def test_unknown_keys_of_mixed_types(tmp_path: Path, text: str) -> None:
    """Non-string keys (YAML ints, null) beside string ones are refused like any unknown key, not a crash."""
    path = tmp_path / "params.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PipelineError, match="unknown key"):
        load_params(path)


@pytest.mark.parametrize(("key", "value"), [("mnist", 5), ("mnist.binary", [1, 2]), ("titanic.model", "C=1")])
def test_section_not_a_mapping(tmp_path: Path, key: str, value: Any) -> None:
    path = write_params(tmp_path, {key: value})
    with pytest.raises(PipelineError, match=re.escape(f"'{key}' must be a mapping")):
        load_params(path)


@pytest.mark.parametrize("text", ["- mnist\n- titanic\n", "42\n", "just a string\n"])
def test_top_level_not_a_mapping(tmp_path: Path, text: str) -> None:
    path = tmp_path / "params.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PipelineError, match=r"'the top level' must be a mapping"):
        load_params(path)


@pytest.mark.parametrize("text", ["mnist: [unclosed\n", "mnist:\n  n_train: 1\n bad: indent\n", "a: b: c\n"])
def test_invalid_yaml(tmp_path: Path, text: str) -> None:
    path = tmp_path / "params.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PipelineError, match=re.escape(str(path)) + ": not valid YAML"):
        load_params(path)


def test_yaml_tags_are_not_executed(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.write_text("mnist: !!python/object/apply:os.system ['true']\n", encoding="utf-8")
    with pytest.raises(PipelineError, match="not valid YAML"):
        load_params(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match="not found"):
        load_params(tmp_path / "absent.yaml")
