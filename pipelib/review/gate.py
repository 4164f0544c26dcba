"""The regression gate: a verdict per metric against the tolerances in ``review_tolerances.yaml``.

``dvc metrics diff`` has no notion of "worse": a gated metric fails when it got worse than its
tolerance in its better direction, or disappeared. A ``*`` key (``"*.cv_accuracy"``) gates every
metric of its file with no key of its own, so a model added to a registry needs no edit here; one
taken out is listed as removed, not failed.
"""

from __future__ import annotations

import fnmatch
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pipelib.errors import PipelineError

TOLERANCE_KEYS = ("tolerance", "kind", "better")
KINDS = ("absolute", "relative")
DIRECTIONS = ("higher", "lower")
# Differences this small are float noise from the subtraction, not a change.
EPSILON = 1e-12

Metric = tuple[str, str]  # (metrics file, dotted key within it)


def is_number(value: Any) -> bool:
    """A real number (not a bool, which JSON and Python also count as one)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def number(value: Any) -> str:
    """A value for messages: four decimals, counts with separators, tiny numbers in e-notation."""
    if value is None:
        return "—"
    if not is_number(value):
        return repr(value)
    if isinstance(value, int):
        return f"{value:,}"
    if abs(value) < 0.001:  # False for NaN and infinities, which the format below writes nan, inf, -inf
        return f"{value:.3g}"
    return f"{value:.4f}"


@dataclass(frozen=True)
class Tolerance:
    """How far a metric may get worse: ``tolerance`` in metric units (absolute) or as a share of the base."""

    tolerance: float
    kind: str
    better: str

    def describe(self) -> str:
        return f"{self.tolerance:g} {self.kind}"


def parse_tolerances(raw: Any, source: str) -> dict[Metric, Tolerance]:
    """Validate ``{metrics file: {dotted key: {tolerance, kind, better}}}``; one-line errors naming the key."""
    if not isinstance(raw, dict) or not raw:
        raise PipelineError(f"{source}: expected a mapping of metrics files to their gated metrics")
    found: dict[Metric, Tolerance] = {}
    for file, metrics in raw.items():
        if not isinstance(file, str) or not isinstance(metrics, dict) or not metrics:
            raise PipelineError(f"{source}: {file!r} must map metric keys to tolerances")
        for key, spec in metrics.items():
            name = repr(f"{file}: {key}")
            if not isinstance(key, str) or not isinstance(spec, dict):
                raise PipelineError(f"{source}: {name} must be a mapping with {', '.join(TOLERANCE_KEYS)}")
            unknown = sorted(set(spec) - set(TOLERANCE_KEYS), key=str)
            if unknown:
                raise PipelineError(f"{source}: {name}: unknown setting {unknown[0]!r}")
            absent = [setting for setting in TOLERANCE_KEYS if setting not in spec]
            if absent:
                raise PipelineError(f"{source}: {name}: missing {absent[0]!r}")
            value = spec["tolerance"]
            if not is_number(value) or not math.isfinite(value) or value < 0:
                raise PipelineError(f"{source}: {name}: 'tolerance' must be a number >= 0, got {value!r}")
            if spec["kind"] not in KINDS:
                raise PipelineError(f"{source}: {name}: 'kind' must be absolute or relative, got {spec['kind']!r}")
            if spec["better"] not in DIRECTIONS:
                raise PipelineError(f"{source}: {name}: 'better' must be higher or lower, got {spec['better']!r}")
            found[(file, key)] = Tolerance(float(value), spec["kind"], spec["better"])
    return found


def load_tolerances(path: str | os.PathLike[str]) -> tuple[dict[Metric, Tolerance], str]:
    """The tolerance file, validated, and its text (the review diffs it against the base's)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PipelineError(f"{path}: tolerance file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise PipelineError(f"{path}: cannot read the tolerance file ({error.__class__.__name__})") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise PipelineError(f"{path}: not valid YAML ({' '.join(str(error).split())})") from None
    return parse_tolerances(raw, str(path)), text


@dataclass(frozen=True)
class Change:
    """One parameter or metric in the base revision (``old``) and now (``new``); None where absent."""

    file: str
    key: str
    old: Any
    new: Any

    @property
    def changed(self) -> bool:
        return self.old != self.new

    @property
    def difference(self) -> float | None:
        if is_number(self.old) and is_number(self.new):
            return self.new - self.old
        return None


@dataclass(frozen=True)
class Verdict:
    """A metric's outcome: ok, regression, new, removed, not gated or unchanged; ``message`` for failures."""

    change: Change
    tolerance: Tolerance | None
    status: str
    message: str = ""

    @property
    def failed(self) -> bool:
        return self.status == "regression"


def judge(change: Change, tolerance: Tolerance | None) -> Verdict:
    """The gate's verdict on one metric."""
    name = f"{change.file} {change.key}"
    if change.new is None:
        if tolerance is None:
            return Verdict(change, None, "removed")
        before = "absent in the base too" if change.old is None else f"base {number(change.old)}"
        message = f"regression: {name} is missing in this revision ({before}), tolerance {tolerance.describe()}"
        return Verdict(change, tolerance, "regression", message)
    if change.old is None:
        return Verdict(change, tolerance, "new")
    if tolerance is None:
        return Verdict(change, None, "not gated" if change.changed else "unchanged")
    if not (is_number(change.old) and is_number(change.new)):
        return Verdict(change, tolerance, "regression", f"regression: {name} is not a number ({change.new!r})")
    worse = change.old - change.new if tolerance.better == "higher" else change.new - change.old
    limit = tolerance.tolerance * (abs(change.old) if tolerance.kind == "relative" else 1.0)
    if worse <= limit + EPSILON:  # False for NaN too: a NaN metric fails
        return Verdict(change, tolerance, "ok")
    verb = "fell" if tolerance.better == "higher" else "rose"
    share = f" = {worse / abs(change.old):.2%} of base" if tolerance.kind == "relative" and change.old else ""
    message = (
        f"regression: {name} {verb} {number(abs(worse))}{share} ({number(change.old)} -> {number(change.new)}), "
        f"tolerance {tolerance.describe()}"
    )
    return Verdict(change, tolerance, "regression", message)


def tolerance_for(change: Change, tolerances: dict[Metric, Tolerance]) -> Tolerance | None:
    """The metric's own tolerance, else the first pattern of its file that matches it (not for a removed one)."""
    own = tolerances.get((change.file, change.key))
    if own is not None or change.new is None:
        return own
    for (file, key), tolerance in tolerances.items():
        if file == change.file and "*" in key and fnmatch.fnmatchcase(change.key, key):
            return tolerance
    return None


def gate(metrics: list[Change], tolerances: dict[Metric, Tolerance]) -> list[Verdict]:
    """A verdict for every metric of either revision, and for every gated metric found in neither."""
    seen = {(change.file, change.key) for change in metrics}
    absent = [Change(file, key, None, None) for file, key in tolerances if (file, key) not in seen and "*" not in key]
    return [judge(change, tolerance_for(change, tolerances)) for change in metrics + absent]
