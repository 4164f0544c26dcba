"""``params.yaml``, validated in one place before a stage does any work.

Every knob of the pipeline is declared here as a dataclass field with its type and its
allowed range. An unknown key, a wrong type or a value out of range is refused with
one line naming the key and what is allowed.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from pipelib.errors import PipelineError

IMAGE_SIDE = 28


def _positive(value: float) -> bool:
    return value > 0


def _at_least(low: int) -> typing.Callable[[int], bool]:
    return lambda value: value >= low


def _in_range(low: float, high: float) -> typing.Callable[[float], bool]:
    return lambda value: low <= value <= high


def _rule(check: typing.Callable[[Any], bool], allowed: str) -> dict[str, Any]:
    return {"check": check, "allowed": allowed}


@dataclass(frozen=True)
class OpenMLSource:
    name: str = "mnist_784"
    version: int = field(default=1, metadata=_rule(_at_least(1), "an integer >= 1"))


@dataclass(frozen=True)
class AugmentParams:
    # (dx, dy) pairs: dx > 0 moves the digit right, dy > 0 moves it down.
    shifts: list[list[int]] = field(
        default_factory=lambda: [[1, 0], [-1, 0], [0, 1], [0, -1]],
        metadata=_rule(
            lambda shifts: all(len(pair) == 2 and all(abs(step) < IMAGE_SIDE for step in pair) for pair in shifts),
            f"a list of [dx, dy] integer pairs with |dx|, |dy| < {IMAGE_SIDE}",
        ),
    )


@dataclass(frozen=True)
class ShuffleParams:
    seed: int = field(default=42, metadata=_rule(_in_range(0, 2**32 - 1), "an integer in [0, 2**32 - 1]"))


@dataclass(frozen=True)
class LogisticParams:
    C: float = field(default=1.0, metadata=_rule(_positive, "a number > 0"))
    max_iter: int = field(default=100, metadata=_rule(_at_least(1), "an integer >= 1"))
    random_state: int = field(default=0, metadata=_rule(_at_least(0), "an integer >= 0"))


@dataclass(frozen=True)
class ImageLogisticParams(LogisticParams):
    dtype: str = field(
        default="float64",
        metadata=_rule(lambda value: value in ("float32", "float64"), "float32 or float64"),
    )
    matrix: str = field(default="sparse", metadata=_rule(lambda value: value in ("sparse", "dense"), "sparse or dense"))
    n_jobs: int = field(default=2, metadata=_rule(_in_range(1, 64), "an integer in [1, 64]"))


@dataclass(frozen=True)
class BinaryParams(ImageLogisticParams):
    cv_folds: int = field(default=3, metadata=_rule(_at_least(2), "an integer >= 2"))


@dataclass(frozen=True)
class TitanicModelParams(LogisticParams):
    cv_folds: int = field(default=10, metadata=_rule(_at_least(2), "an integer >= 2"))


@dataclass(frozen=True)
class BinaryEvaluateParams:
    threshold: float = field(default=0.0, metadata=_rule(math.isfinite, "a finite number"))
    target_precision: float = field(default=0.9, metadata=_rule(lambda value: 0 < value <= 1, "a number in (0, 1]"))
    curve_points: int = field(default=2000, metadata=_rule(_in_range(2, 100_000), "an integer in [2, 100000]"))
    walkthrough_row: int = field(default=48, metadata=_rule(_at_least(0), "a row index >= 0"))
    walkthrough_threshold: float = field(default=0.5, metadata=_rule(math.isfinite, "a finite number"))
    calibration_bins: int = field(default=10, metadata=_rule(_in_range(2, 1000), "an integer in [2, 1000]"))
    bootstrap_samples: int = field(default=1000, metadata=_rule(_in_range(100, 100_000), "an integer in [100, 100000]"))
    bootstrap_seed: int = field(default=0, metadata=_rule(_at_least(0), "an integer >= 0"))


@dataclass(frozen=True)
class FigureParams:
    some_digit: int = field(default=2, metadata=_rule(_at_least(0), "a row index >= 0"))
    shift_example: int = field(default=1000, metadata=_rule(_at_least(0), "a row index >= 0"))
    shift_example_pixels: int = field(
        default=5, metadata=_rule(_in_range(1, IMAGE_SIDE - 1), f"an integer in [1, {IMAGE_SIDE - 1}]")
    )
    error_examples: int = field(default=25, metadata=_rule(_in_range(1, 400), "an integer in [1, 400]"))


@dataclass(frozen=True)
class MnistParams:
    openml: OpenMLSource = field(default_factory=OpenMLSource)
    n_train: int = field(default=60000, metadata=_rule(_at_least(1), "an integer >= 1"))
    positive_digit: int = field(default=5, metadata=_rule(_in_range(0, 9), "a digit 0-9"))
    augment: AugmentParams = field(default_factory=AugmentParams)
    shuffle: ShuffleParams = field(default_factory=ShuffleParams)
    binary: BinaryParams = field(default_factory=BinaryParams)
    softmax: ImageLogisticParams = field(default_factory=lambda: ImageLogisticParams(C=10.0))
    softmax_augmented: ImageLogisticParams = field(default_factory=lambda: ImageLogisticParams(C=10.0))
    evaluate: BinaryEvaluateParams = field(default_factory=BinaryEvaluateParams)
    figures: FigureParams = field(default_factory=FigureParams)


@dataclass(frozen=True)
class TitanicSource:
    url: str = field(
        default="https://raw.githubusercontent.com/ageron/handson-ml2/master/datasets/titanic/",
        metadata=_rule(lambda value: value.startswith("https://"), "an https:// URL"),
    )


@dataclass(frozen=True)
class TitanicEvaluateParams:
    threshold: float = field(default=0.0, metadata=_rule(math.isfinite, "a finite number"))
    top_n: int = field(default=20, metadata=_rule(_at_least(1), "an integer >= 1"))
    calibration_bins: int = field(default=10, metadata=_rule(_in_range(2, 1000), "an integer in [2, 1000]"))


@dataclass(frozen=True)
class TitanicParams:
    source: TitanicSource = field(default_factory=TitanicSource)
    model: TitanicModelParams = field(default_factory=TitanicModelParams)
    evaluate: TitanicEvaluateParams = field(default_factory=TitanicEvaluateParams)


@dataclass(frozen=True)
class Params:
    mnist: MnistParams = field(default_factory=MnistParams)
    titanic: TitanicParams = field(default_factory=TitanicParams)


def _type_matches(value: Any, expected: Any) -> bool:
    """True when a YAML value fits a field's annotation (ints are accepted as floats)."""
    origin = typing.get_origin(expected)
    if origin is list:
        (item_type,) = typing.get_args(expected)
        return isinstance(value, list) and all(_type_matches(item, item_type) for item in value)
    if origin is types.UnionType:
        return any(_type_matches(value, option) for option in typing.get_args(expected))
    if expected is float:
        return (isinstance(value, (int, float)) and not isinstance(value, bool)) or _float_text(value)
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, expected)


def _float_text(value: Any) -> bool:
    """YAML 1.1 reads ``1e-3`` (no dot) as a string; accept such exponent notation as a number."""
    if not isinstance(value, str) or not any(char in value for char in "eE"):
        return False
    try:
        float(value)
    except ValueError:
        return False
    return True


def _type_name(expected: Any) -> str:
    names = {int: "an integer", float: "a number", str: "a string"}
    if typing.get_origin(expected) is list:
        return "a list"
    return names.get(expected, getattr(expected, "__name__", str(expected)))


def _build(cls: type, raw: Any, prefix: str) -> Any:
    """Build dataclass ``cls`` from a YAML mapping, refusing unknown keys and bad values."""
    where = prefix or "the top level"
    if not isinstance(raw, dict):
        raise PipelineError(f"params.yaml: '{where}' must be a mapping, got {type(raw).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {item.name: item for item in dataclasses.fields(cls)}
    unknown = sorted(str(key) for key in set(raw) - set(fields))
    if unknown:
        key = f"{prefix}.{unknown[0]}" if prefix else unknown[0]
        raise PipelineError(f"params.yaml: unknown key '{key}' (allowed: {', '.join(fields)})")
    values: dict[str, Any] = {}
    for name, spec in fields.items():
        if name not in raw:
            continue
        key = f"{prefix}.{name}" if prefix else name
        expected = hints[name]
        value = raw[name]
        if dataclasses.is_dataclass(expected):
            values[name] = _build(expected, value, key)
            continue
        if not _type_matches(value, expected):
            raise PipelineError(
                f"params.yaml: '{key}' must be {spec.metadata.get('allowed', _type_name(expected))}, got {value!r}"
            )
        if expected is float:
            value = float(value)
        rule = spec.metadata.get("check")
        if rule is not None and not rule(value):
            raise PipelineError(f"params.yaml: '{key}' must be {spec.metadata['allowed']}, got {value!r}")
        values[name] = value
    return cls(**values)


def _duplicate_key(node: yaml.Node, prefix: str, seen_nodes: set[int]) -> str | None:
    """The first mapping key given twice in a composed YAML document (PyYAML keeps the last silently)."""
    if id(node) in seen_nodes:  # anchors and aliases can make the node graph cyclic
        return None
    seen_nodes.add(id(node))
    children: list[tuple[str, yaml.Node]] = []
    if isinstance(node, yaml.MappingNode):
        keys: set[str] = set()
        for key_node, value_node in node.value:
            key = f"{prefix}{key_node.value}" if isinstance(key_node, yaml.ScalarNode) else prefix
            if isinstance(key_node, yaml.ScalarNode):
                if key in keys:
                    return f"line {key_node.start_mark.line + 1}: key '{key}' is given twice"
                keys.add(key)
            children.append((f"{key}.", value_node))
    elif isinstance(node, yaml.SequenceNode):
        children = [(prefix, item) for item in node.value]
    for child_prefix, child in children:
        found = _duplicate_key(child, child_prefix, seen_nodes)
        if found:
            return found
    return None


def load_params(path: str | Path = "params.yaml") -> Params:
    """Read and validate the whole params file (safe YAML loader; no code runs)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        document = yaml.compose(text, Loader=yaml.SafeLoader)  # nodes only: nothing is constructed
        raw = yaml.safe_load(text)
    except FileNotFoundError:
        raise PipelineError(f"{path}: parameter file not found") from None
    except UnicodeDecodeError:
        raise PipelineError(f"{path}: not UTF-8 text") from None
    except OSError as error:
        raise PipelineError(f"{path}: cannot read the parameter file ({error.strerror or error})") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None)
        if isinstance(error, yaml.constructor.ConstructorError):
            problem = f"{problem} (only plain YAML values are allowed; nothing in the file is run)"
        raise PipelineError(f"{path}: not valid YAML{line}" + (f": {problem}" if problem else "")) from None
    duplicate = _duplicate_key(document, "", set()) if document is not None else None
    if duplicate:
        raise PipelineError(f"{path}: {duplicate}")
    return _build(Params, raw if raw is not None else {}, "")


def require_fold_count(n_folds: int, target: Any, key: str, source: str | Path) -> None:
    """Refuse a k-fold count above the smallest class's size (stratified folds need one member each).

    The class counts are in the data, not in params.yaml, so this is checked by the training
    stages once they have read their input.
    """
    counts = np.unique(np.asarray(target), return_counts=True)[1]
    smallest_class = int(counts.min()) if len(counts) > 1 else 0
    if n_folds > smallest_class:
        raise PipelineError(
            f"params.yaml: '{key}' must be at most {smallest_class} "
            f"(members of the smallest class in {source}), got {n_folds}"
        )
