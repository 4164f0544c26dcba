"""Which stages' outputs differ from the base's although their ``dvc.lock`` inputs do not.

Same command, dependencies and parameters but other outputs means a recomputation on a CPU whose
floating-point kernels give other last bits (docs/fidelity.md), not the change under review;
stages that differ only through such outputs are told apart as downstream.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, auto
from typing import Any

from pipelib.errors import PipelineError

LOCK_FILE = "dvc.lock"


@dataclass(frozen=True)
class LockedStage:
    """One stage of dvc.lock: what it ran on (command, deps by path, params) and what it wrote."""

    cmd: Any
    params: dict[str, Any]
    deps: dict[str, dict[str, Any]]
    outs: dict[str, dict[str, Any]]


def parse_lock(text: str, where: str) -> dict[str, LockedStage]:
    """The stages of a dvc.lock text, validated with DVC's own schema; ``where`` names it in errors.

    Parsed with PyYAML's C loader: DVC's own parser (ruamel, pure Python) took 0.6 s per lock file.
    """
    import voluptuous
    import yaml
    from dvc.schema import COMPILED_LOCKFILE_SCHEMA

    try:
        data = COMPILED_LOCKFILE_SCHEMA(yaml.load(text, Loader=yaml.CSafeLoader) or {})
    except yaml.MarkedYAMLError as error:
        line = f" at line {error.problem_mark.line + 1}" if error.problem_mark else ""
        raise PipelineError(f"{where}: not a DVC 3 lock file (unable to read YAML{line}: {error.problem})") from None
    except (yaml.YAMLError, voluptuous.Invalid) as error:
        raise PipelineError(f"{where}: not a DVC 3 lock file ({' '.join(str(error).split())})") from None

    def by_path(entries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        return {entry["path"]: {k: v for k, v in entry.items() if k != "path"} for entry in entries}

    return {
        name: LockedStage(
            stage["cmd"], stage.get("params", {}), by_path(stage.get("deps", [])), by_path(stage.get("outs", []))
        )
        for name, stage in data.get("stages", {}).items()
    }


class Status(Enum):
    SAME = auto()  # outputs as in the base
    CHANGED = auto()  # its own inputs differ, or it reads a changed stage's outputs, or it is new
    MACHINE = auto()  # same command, dependencies and params, different outputs
    DOWNSTREAM = auto()  # outputs differ only through a MACHINE (or DOWNSTREAM) stage's outputs


@dataclass(frozen=True)
class Recomputed:
    """The stages by why their outputs differ from the base's (names sorted)."""

    machine: list[str]
    downstream: list[str]
    changed: list[str]
    added: list[str]
    removed: list[str]
    outputs: list[str]  # the differing outputs of the machine and downstream stages
    environment: list[str] = field(default_factory=list)  # package lock files that differ from the base's


def _producer(path: str, outs: dict[str, str]) -> str | None:
    """The stage whose output is ``path`` or a folder holding it."""
    for out, name in outs.items():
        if path == out or path.startswith(out + "/"):
            return name
    return None


def compare_locks(base: dict[str, LockedStage], head: dict[str, LockedStage]) -> Recomputed:
    """Each head stage's status against the base's lock: why its outputs differ, if they do."""
    producers = {path: name for name, stage in head.items() for path in stage.outs}
    status: dict[str, Status] = {}

    def classify(name: str) -> Status:
        if name not in status:
            status[name] = Status.CHANGED  # provisional, so a cycle (invalid in DVC) ends as a change
            status[name] = _status(name)
        return status[name]

    def _status(name: str) -> Status:
        old, new = base.get(name), head[name]
        if old is None or (old.cmd, old.params, old.deps.keys()) != (new.cmd, new.params, new.deps.keys()):
            return Status.CHANGED
        if old.outs.keys() != new.outs.keys():
            return Status.CHANGED  # an output added or removed: the stage's definition changed
        inherited = False
        for path, entry in new.deps.items():
            if entry == old.deps[path]:
                continue
            source = _producer(path, producers)
            if source is None or classify(source) not in (Status.MACHINE, Status.DOWNSTREAM):
                return Status.CHANGED
            inherited = True
        if old.outs == new.outs:
            return Status.SAME
        return Status.DOWNSTREAM if inherited else Status.MACHINE

    for name in head:
        classify(name)
    named = {kind: sorted(name for name, found in status.items() if found is kind) for kind in Status}
    outputs = sorted(
        path
        for name in named[Status.MACHINE] + named[Status.DOWNSTREAM]
        for path, entry in head[name].outs.items()
        if base[name].outs[path] != entry
    )
    added = sorted(set(head) - set(base))
    return Recomputed(
        machine=named[Status.MACHINE],
        downstream=named[Status.DOWNSTREAM],
        changed=[name for name in named[Status.CHANGED] if name not in added],
        added=added,
        removed=sorted(set(base) - set(head)),
        outputs=outputs,
    )
