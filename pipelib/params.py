"""``params.yaml``, declared once as pydantic models and validated before a stage does any work.

``params.yaml`` is the one place values live: no field has a default, so a key left out is
refused by name, and so are an unknown key, a value of the wrong type (a bool is not an
integer, a quoted "1.0" is not a number) and a value out of range, each with one line such as
``params.yaml: 'mnist.binary.C' must be a number > 0, got 0.0``.

Adding a section is a :class:`Section` subclass with annotated fields plus one field of that
type in its parent. The "must be ..." text of a message is derived from the field's type and
bounds (``Field(ge=..., le=...)``), or is the field's ``description`` when it has one.

scikit-learn is imported only to check the Titanic registry's estimators against it
(``load_params(check_estimators=True)``, in the stage that builds them): importing it takes
1-2 s, which the stages that never build an estimator do not pay.
"""

from __future__ import annotations

import os
import re
import typing
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

import annotated_types
import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails
from ruamel.yaml import YAML, YAMLError
from ruamel.yaml.constructor import ConstructorError, DuplicateKeyError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from pipelib.errors import PipelineError
from pipelib.mnist.dataset import SIDE


class Section(BaseModel):
    """One mapping of params.yaml: every key required, no other key allowed, read-only.

    Strict: a YAML bool is not accepted as an integer, nor a string as a number (an integer
    is accepted as a float and stored as one). Infinity and NaN are refused everywhere.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


DType = Literal["float32", "float64"]
Matrix = Literal["sparse", "dense"]
Step = Annotated[int, Field(gt=-SIDE, lt=SIDE)]
Shift = Annotated[list[Step], Field(min_length=2, max_length=2)]
RowIndex = Annotated[int, Field(ge=0, description="a row index >= 0")]


class OpenMLSource(Section):
    name: str
    version: Annotated[int, Field(ge=1)]


class AugmentParams(Section):
    # (dx, dy) pairs: dx > 0 moves the digit right, dy > 0 moves it down.
    shifts: Annotated[list[Shift], Field(description=f"a list of [dx, dy] integer pairs with |dx|, |dy| < {SIDE}")]


class ShuffleParams(Section):
    seed: Annotated[int, Field(ge=0, le=2**32 - 1, description="an integer in [0, 2**32 - 1]")]


class LogisticParams(Section):
    C: Annotated[float, Field(gt=0)]
    max_iter: Annotated[int, Field(ge=1)]
    random_state: Annotated[int, Field(ge=0)]


class BinaryParams(LogisticParams):
    dtype: DType
    matrix: Matrix
    n_jobs: Annotated[int, Field(ge=1, le=64)]
    cv_folds: Annotated[int, Field(ge=2, le=255)]  # fold ids are stored as uint8


class BinaryEvaluateParams(Section):
    threshold: float
    target_precision: Annotated[float, Field(gt=0, le=1)]
    curve_points: Annotated[int, Field(ge=2, le=100_000)]
    walkthrough_row: RowIndex
    walkthrough_threshold: float
    calibration_bins: Annotated[int, Field(ge=2, le=1000)]
    bootstrap_samples: Annotated[int, Field(ge=100, le=100_000)]
    bootstrap_seed: Annotated[int, Field(ge=0, le=2**32 - 1, description="an integer in [0, 2**32 - 1]")]
    reference: Annotated[str, Field(description="the name of an mnist.models entry")]


class FigureParams(Section):
    some_digit: RowIndex
    shift_example: RowIndex
    shift_example_pixels: Annotated[int, Field(ge=1, le=SIDE - 1)]
    error_examples: Annotated[int, Field(ge=1, le=400)]


class SweepParams(Section):
    models: Annotated[
        list[Literal["softmax", "binary"]],
        Field(min_length=1, max_length=2, description="a non-empty list of softmax and/or binary"),
    ]
    C: Annotated[
        list[Annotated[float, Field(gt=0)]], Field(min_length=1, description="a non-empty list of numbers > 0")
    ]
    scaling: Annotated[
        list[Literal["raw", "unit"]],
        Field(min_length=1, max_length=2, description="a non-empty list of raw (0-255) and/or unit (/255)"),
    ]
    max_iter: Annotated[int, Field(ge=1)]
    validation_fraction: Annotated[float, Field(gt=0, lt=1)]
    seed: Annotated[int, Field(ge=0, le=2**32 - 1, description="an integer in [0, 2**32 - 1]")]
    workers: Annotated[int, Field(ge=1, le=64)]


class TitanicSource(Section):
    url: Annotated[str, Field(pattern=r"^https://", description="an https:// URL")]


# The scikit-learn modules a registry entry may name its estimator from (docs/models.md).
ESTIMATOR_MODULES = ("sklearn.linear_model", "sklearn.ensemble", "sklearn.svm", "sklearn.neighbors", "sklearn.tree")
BASELINES = ("always_died", "women_survive")  # the Titanic rules every model is shown beside
ESTIMATOR_PATH = "an import path sklearn.<module>.<Classifier> with <module> one of " + ", ".join(
    module.removeprefix("sklearn.") for module in ESTIMATOR_MODULES
)


# Classifiers of those modules whose fitted state holds a type the model files do not load
# (pipelib/skops_file.py trusts skops's defaults and ESTIMATOR_TYPES): trained, they could not be evaluated.
UNLOADABLE_ESTIMATORS = {
    "sklearn.ensemble.HistGradientBoostingClassifier": "its fitted trees are TreePredictor objects, a type skops "
    "does not trust, so its model file would be refused when loaded",
}


def _allowed_module(path: str) -> tuple[str, str]:
    """The module and name of an import path from an allow-listed module (ValueError saying why not)."""
    module, _, name = path.rpartition(".")
    if module not in ESTIMATOR_MODULES:
        raise ValueError(f"must be {ESTIMATOR_PATH}, got {path!r}")
    if path in UNLOADABLE_ESTIMATORS:
        raise ValueError(f"cannot be {path}: {UNLOADABLE_ESTIMATORS[path]}")
    return module, name


def estimator_class(path: str) -> type:
    """The classifier class an allow-listed import path names (ValueError saying why not)."""
    import importlib

    from sklearn.base import ClassifierMixin

    module, name = _allowed_module(path)
    found = getattr(importlib.import_module(module), name, None)
    if not isinstance(found, type) or not issubclass(found, ClassifierMixin) or name.startswith("_"):
        raise ValueError(f"must name a classifier of {module}, got {path!r}")
    return found


CHECK_ESTIMATORS = "check_estimators"  # the validation context's key


def _checks_estimators(info: ValidationInfo) -> bool:
    """Whether this validation checks estimators against scikit-learn (see :func:`load_params`)."""
    return bool(info.context and info.context.get(CHECK_ESTIMATORS))


class ModelEntry(Section):
    """One model of a registry: an allow-listed scikit-learn classifier and its hyperparameters.

    The estimator's module is always checked against the allow-list; that the class is a
    classifier and that scikit-learn accepts the hyperparameters only with
    ``check_estimators`` in the validation context (the training stages ask for it).
    """

    estimator: Annotated[str, Field(description=ESTIMATOR_PATH)]
    params: dict[str, Any]  # the estimator's hyperparameters, checked by scikit-learn's own constraints

    @field_validator("estimator")
    @classmethod
    def _allowed(cls, path: str, info: ValidationInfo) -> str:
        if _checks_estimators(info):
            estimator_class(path)
        else:
            _allowed_module(path)
        return path

    @field_validator("params")
    @classmethod
    def _hyperparameters(cls, params: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        if "estimator" not in info.data or not _checks_estimators(info):  # already refused, or not asked for
            return params
        from sklearn.utils._param_validation import InvalidParameterError

        try:  # an unknown name is a TypeError of the constructor, a bad value scikit-learn's own error
            estimator_class(info.data["estimator"])(**params)._validate_params()
        except (InvalidParameterError, TypeError, ValueError) as error:
            raise ValueError(f"refused by scikit-learn: {_one_line(error)}") from None
        return params


def _one_line(error: BaseException) -> str:
    """An exception's message with its line breaks and runs of spaces as single spaces."""
    return " ".join(str(error).split())


@contextmanager
def refused_by_scikit_learn(key: str, when: str) -> Iterator[None]:
    """scikit-learn refusing a registry entry while ``when`` (fitting, scoring) as one line naming ``key``.

    Some hyperparameters can only be checked against the data, at fit or predict time:
    ``n_neighbors`` above the training rows, a penalty the solver lacks, a radius with no
    neighbours in it, a metric that needs an argument. scikit-learn refuses those with a
    ValueError (its InvalidParameterError is one) or a TypeError; anything else stays a
    bug's traceback. Wrap only scikit-learn's calls, so that the project's own errors are not
    blamed on the entry.
    """
    try:
        yield
    except (ValueError, TypeError) as error:
        raise PipelineError(f"params.yaml: '{key}' refused by scikit-learn when {when}: {_one_line(error)}") from None


class MnistModelEntry(ModelEntry):
    """An MNIST model: its training set, the pixel matrix it is fitted on, and its threads."""

    train: Literal["train", "train_shuffled"]  # data/mnist/<train>.parquet: 60,000 images, or the augmented set
    dtype: DType
    matrix: Matrix
    n_jobs: Annotated[int, Field(ge=1, le=64)]


class TitanicModelEntry(ModelEntry):
    """A Titanic model: the seed's preprocessing, an optional scaler, then the classifier."""

    preprocess: Annotated[
        list[Literal["scale_numeric"]],
        Field(max_length=1, description="[] or [scale_numeric] (a StandardScaler on the numeric columns)"),
    ]


REGISTRY = "a mapping of at least one model entry (docs/models.md)"


def _check_names(models: dict[str, Any], reserved: tuple[str, ...] = ()) -> dict[str, Any]:
    """Registry names name files: lower-case letters, digits and _; a baseline's name is taken."""
    for name in models:
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", name) or name in reserved:
            taken = f", not {' or '.join(reserved)}" if reserved else ""
            raise ValueError(
                f"has the name {name!r}: a name is lower-case letters, digits and _ (it names files){taken}"
            )
    return models


def _check_reference(reference: str, info: ValidationInfo, registry: str) -> None:
    names = list(info.data.get("models", {}))
    if names and reference not in names:
        raise ValueError(f"has reference {reference!r}, not one of {registry} ({', '.join(names)})")


class MnistParams(Section):
    openml: OpenMLSource
    n_train: Annotated[int, Field(ge=1)]
    positive_digit: Annotated[int, Field(ge=0, le=9, description="a digit 0-9")]
    augment: AugmentParams
    shuffle: ShuffleParams
    binary: BinaryParams
    models: Annotated[dict[str, MnistModelEntry], Field(min_length=1, description=REGISTRY)]
    evaluate: BinaryEvaluateParams
    figures: FigureParams
    sweep: SweepParams

    @field_validator("models")
    @classmethod
    def _names(cls, models: dict[str, MnistModelEntry]) -> dict[str, MnistModelEntry]:
        return _check_names(models, ("label",))  # the test predictions CSV's column of true digits

    @field_validator("evaluate")
    @classmethod
    def _reference(cls, evaluate: BinaryEvaluateParams, info: ValidationInfo) -> BinaryEvaluateParams:
        _check_reference(evaluate.reference, info, "mnist.models")
        return evaluate


class TitanicEvaluateParams(Section):
    reference: Annotated[str, Field(description="the name of a titanic.models entry")]
    top_n: Annotated[int, Field(ge=1)]
    calibration_bins: Annotated[int, Field(ge=2, le=1000)]


class TitanicParams(Section):
    source: TitanicSource
    cv_folds: Annotated[int, Field(ge=2, le=255)]  # fold ids are stored as uint8
    models: Annotated[dict[str, TitanicModelEntry], Field(min_length=1, description=REGISTRY)]
    evaluate: TitanicEvaluateParams

    @field_validator("models")
    @classmethod
    def _names(cls, models: dict[str, TitanicModelEntry]) -> dict[str, TitanicModelEntry]:
        return _check_names(models, BASELINES)

    @field_validator("evaluate")
    @classmethod
    def _reference(cls, evaluate: TitanicEvaluateParams, info: ValidationInfo) -> TitanicEvaluateParams:
        _check_reference(evaluate.reference, info, "titanic.models")
        return evaluate


class Params(Section):
    mnist: MnistParams
    titanic: TitanicParams


# --- pydantic's errors as one line naming the key -------------------------------------------------

_KINDS = {int: "an integer", float: "a number", str: "a string"}
_UNKNOWN_KEY = ("extra_forbidden", "invalid_key")  # a key not declared; a key that is not a string


def _is_section(annotation: Any) -> typing.TypeGuard[type[Section]]:
    return isinstance(annotation, type) and issubclass(annotation, Section)


def allowed(field: FieldInfo) -> str:
    """What a field must be, as the end of "'key' must be ...": its description, else its type and bounds."""
    if field.description:
        return field.description
    annotation = field.annotation
    if _is_section(annotation):
        return "a mapping"
    if typing.get_origin(annotation) is Literal:
        return " or ".join(str(choice) for choice in typing.get_args(annotation))
    kind = _KINDS.get(annotation, "a valid value") if isinstance(annotation, type) else "a valid value"
    bounds = [_bound(item) for item in field.metadata if isinstance(item, annotated_types.BaseMetadata)]
    low = next((bound for bound in bounds if bound is not None and bound.sign.startswith(">")), None)
    high = next((bound for bound in bounds if bound is not None and bound.sign.startswith("<")), None)
    if low is not None and high is not None:
        return f"{kind} in {low.bracket}{low.value}, {high.value}{high.bracket}"
    if low is not None:
        return f"{kind} {low.sign} {low.value}"
    if high is not None:
        return f"{kind} {high.sign} {high.value}"
    return "a finite number" if annotation is float else kind


class _Bound(typing.NamedTuple):
    value: Any
    sign: str  # as in "an integer >= 1"
    bracket: str  # as in "an integer in [1, 64]"


def _bound(item: annotated_types.BaseMetadata) -> _Bound | None:
    """A bound as Field(gt=, ge=, lt=, le=) records it (annotated_types), as text; None for other metadata."""
    if isinstance(item, annotated_types.Gt):
        return _Bound(item.gt, ">", "(")
    if isinstance(item, annotated_types.Ge):
        return _Bound(item.ge, ">=", "[")
    if isinstance(item, annotated_types.Lt):
        return _Bound(item.lt, "<", ")")
    if isinstance(item, annotated_types.Le):
        return _Bound(item.le, "<=", "]")
    return None


def _entry_section(annotation: Any) -> type[Section] | None:
    """The Section of a ``dict[str, Section]`` field (a registry), else None."""
    arguments = typing.get_args(annotation)
    is_registry = typing.get_origin(annotation) is dict and len(arguments) == 2 and _is_section(arguments[1])
    return arguments[1] if is_registry else None


def _message(error: ErrorDetails, raw: Any) -> str:
    """One pydantic error as "params.yaml: ..." naming the dotted key (errors inside a list name the list)."""
    if error["type"] == "value_error":  # a validator's own sentence, after the key it checked
        return f"params.yaml: '{'.'.join(map(str, error['loc']))}' {error['ctx']['error']}"
    section: type[Section] = Params
    path: list[str] = []
    value = raw
    field: FieldInfo | None = None
    entry: type[Section] | None = None
    for part in error["loc"]:
        if entry is not None:  # the name of a registry entry: any name, its value an entry
            path.append(str(part))
            value = value[part] if error["type"] != "missing" else value
            section, entry = entry, None
            if len(path) == len(error["loc"]):
                return f"params.yaml: '{'.'.join(path)}' must be a mapping, got {type(value).__name__}"
            continue
        field = section.model_fields.get(part) if isinstance(part, str) else None
        if field is None:
            key = ".".join([*path, str(part)])
            return f"params.yaml: unknown key '{key}' (allowed: {', '.join(section.model_fields)})"
        path.append(str(part))
        if error["type"] != "missing":
            value = value[part]
        annotation = field.annotation
        entry = _entry_section(annotation)
        if entry is not None and len(path) < len(error["loc"]):
            continue
        if not _is_section(annotation):
            break
        section = annotation
    key = ".".join(path)
    if field is None:
        return f"params.yaml: 'the top level' must be a mapping, got {type(value).__name__}"
    if error["type"] == "missing":
        return f"params.yaml: missing key '{key}' ({allowed(field)})"
    if _is_section(field.annotation) and len(path) == len(error["loc"]):
        return f"params.yaml: '{key}' must be a mapping, got {type(value).__name__}"
    if field.annotation is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)  # shown as it would be stored
    return f"params.yaml: '{key}' must be {allowed(field)}, got {value!r}"


def validate(raw: Any, check_estimators: bool = False) -> Params:
    """Build :class:`Params` from a parsed params.yaml, or raise one line about the first problem.

    An unknown key is reported before other errors: it is most often a misspelt key, which
    also shows up as that key missing. ``check_estimators``: see :func:`load_params`.
    """
    try:
        return Params.model_validate(raw, context={CHECK_ESTIMATORS: check_estimators})
    except ValidationError as error:
        errors = error.errors()
        first = next((item for item in errors if item["type"] in _UNKNOWN_KEY), errors[0])
        raise PipelineError(_message(first, raw)) from None


# --- reading the file ------------------------------------------------------------------------------


def _duplicate_key(node: Node, prefix: str, seen_nodes: set[int]) -> str | None:
    """The first mapping key given twice in a composed YAML document, named with its section."""
    if id(node) in seen_nodes:  # anchors and aliases can make the node graph cyclic
        return None
    seen_nodes.add(id(node))
    children: list[tuple[str, Node]] = []
    if isinstance(node, MappingNode):
        keys: set[str] = set()
        for key_node, value_node in node.value:
            key = f"{prefix}{key_node.value}" if isinstance(key_node, ScalarNode) else prefix
            if isinstance(key_node, ScalarNode):
                if key in keys:
                    return f"line {key_node.start_mark.line + 1}: key '{key}' is given twice"
                keys.add(key)
            children.append((f"{key}.", value_node))
    elif isinstance(node, SequenceNode):
        children = [(prefix, item) for item in node.value]
    for child_prefix, child in children:
        found = _duplicate_key(child, child_prefix, seen_nodes)
        if found:
            return found
    return None


def _read_yaml(path: Path) -> Any:
    """The file's YAML document as DVC reads it, so a stage uses the values dvc.lock and ``dvc params diff`` show.

    ruamel.yaml's safe loader, as ``dvc.utils.serialize.parse_yaml`` calls it (YAML 1.2): PyYAML's
    YAML 1.1 would read ``010`` as 8, ``3:20`` as 200 and ``on`` as true where DVC has 10, a
    string and a string. Plain values only: a tag that would run code is refused, not run.
    """
    try:
        text = path.read_text(encoding="utf-8")
        return YAML(typ="safe").load(text)
    except FileNotFoundError:
        raise PipelineError(f"{path}: parameter file not found") from None
    except UnicodeDecodeError:
        raise PipelineError(f"{path}: not UTF-8 text") from None
    except OSError as error:
        raise PipelineError(f"{path}: cannot read the parameter file ({error.strerror or error})") from None
    except YAMLError as error:
        duplicate = isinstance(error, DuplicateKeyError) and _duplicate_key(YAML(typ="safe").compose(text), "", set())
        if duplicate:  # ruamel names the key alone; the walk names it with its section
            raise PipelineError(f"{path}: {duplicate}") from None
        mark = getattr(error, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None)
        if isinstance(error, ConstructorError):
            problem = f"{problem} (only plain YAML values are allowed; nothing in the file is run)"
        raise PipelineError(f"{path}: not valid YAML{line}" + (f": {problem}" if problem else "")) from None


def load_params(path: str | Path = "params.yaml", check_estimators: bool = False) -> Params:
    """Read and validate the whole params file (safe YAML loader; no code runs).

    ``check_estimators``: also check that each registry entry names a classifier and
    that scikit-learn accepts its hyperparameters, which imports scikit-learn; for the stage
    that builds the estimators (the others check only the allow-listed module).
    """
    raw = _read_yaml(Path(path))
    return validate(raw if raw is not None else {}, check_estimators)


def registry_entry(models: dict[str, Any], stage: str, key: str) -> tuple[str, Any]:
    """(name, entry) of the registry entry a ``foreach`` stage runs for, named by DVC's ``DVC_STAGE`` variable.

    DVC sets ``DVC_STAGE`` to ``<stage>@<name>`` (after ``<path>dvc.yaml:`` outside the project
    root) for every command it runs. The name is not put in the command line: DVC pastes
    ``${key}`` into a shell command unquoted, where an entry named ``a;b`` would run ``b`` before
    any stage could refuse it. By hand: ``DVC_STAGE=train_mnist@softmax python -m stages.train_mnist ...``.
    """
    addressing = os.environ.get("DVC_STAGE", "")
    found = re.fullmatch(rf"(?:.*:)?{re.escape(stage)}@(.+)", addressing, re.DOTALL)
    if found is None:
        raise PipelineError(f"DVC_STAGE is {addressing!r}, not {stage}@<entry of {key}> (run it with dvc repro)")
    name = found.group(1)
    if name not in models:
        raise PipelineError(f"params.yaml: no entry '{name}' in {key} ({', '.join(models)})")
    return name, models[name]


def require_only_entries(directory: str | os.PathLike[str], names: Collection[str], suffix: str, key: str) -> None:
    """Refuse a file in ``directory`` other than ``<name><suffix>`` of a ``key`` entry (hidden files aside).

    dvc.yaml lists the directory as one input, so a removed entry's leftover file would be hashed
    with it, yet no stage writes it and no ``dvc pull`` restores it: every clone would see the
    directory changed and rerun this stage.
    """
    for path in sorted(Path(directory).glob("[!.]*")):
        if path.name.removesuffix(suffix) not in names or not path.name.endswith(suffix):
            raise PipelineError(f"{path}: not the file of an entry of {key} (left by a removed entry? delete it)")


def require_row_below(key: str, row: int, n_rows: int) -> None:
    """Refuse a row-index parameter past the end of the table it indexes (known only once it is read)."""
    if row >= n_rows:
        raise PipelineError(f"params.yaml: '{key}' must be below {n_rows}, got {row}")


def require_fold_count(n_folds: int, target: Any, key: str, source: str | Path, classes: Mapping[Any, str]) -> None:
    """Refuse a training set without both classes, and a k-fold count above the smallest class's size.

    ``classes`` names what a row of each of the two classes is (e.g. ``{True: "image of the
    positive digit 5 (mnist.positive_digit)", False: ...}``): a set lacking one is the data's
    fault, not ``key``'s, and is said so; so is a class of one row, which no fold count (at
    least 2) can split. Stratified folds need one member of each class. The class counts are
    in the data, not in params.yaml, so this is checked by the training stages once they have
    read their input.
    """
    values, counts = np.unique(np.asarray(target), return_counts=True)
    found = dict(zip(values.tolist(), counts.tolist(), strict=True))
    missing = [name for value, name in classes.items() if value not in found]
    if missing:
        rows = f"{len(target):,} row{'' if len(target) == 1 else 's'}"
        raise PipelineError(
            f"{source}: holds no {' and no '.join(missing)} among its {rows} "
            "(the classifier needs rows of both classes)"
        )
    smallest_class = min(found.values())
    if smallest_class < 2:
        single = next(name for value, name in classes.items() if found[value] == 1)
        raise PipelineError(
            f"{source}: holds only one {single}: cross-validation ('{key}') needs at least 2 rows of each class"
        )
    if n_folds > smallest_class:
        raise PipelineError(
            f"params.yaml: '{key}' must be at most {smallest_class} "
            f"(members of the smallest class in {source}), got {n_folds}"
        )
