"""dvc.yaml read statically: every stage lists the code that shapes its outputs, so edits rerun it."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import helpers
import pytest
import yaml

# Modules that cannot change what a stage computes: failure messages, progress lines,
# validation of values DVC already tracks in params.yaml, where the (checksum-verified)
# input bytes are read from, and the write-then-rename of output files.
NO_OUTPUT_EFFECT = {
    "pipelib/__init__.py",
    "pipelib/errors.py",
    "pipelib/progress.py",
    "pipelib/params.py",
    "pipelib/mirror.py",
    "pipelib/atomic.py",
}


def stage_definitions() -> dict[str, dict[str, Any]]:
    """Each stage's definition (a ``foreach`` stage's ``do`` block)."""
    stages = yaml.safe_load((helpers.REPO_ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    return {name: definition.get("do", definition) for name, definition in stages.items()}


def imported_modules(path: Path) -> set[str]:
    """Repo-relative paths of the ``pipelib`` modules a file imports directly."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "pipelib":
            if node.module == "pipelib":
                found |= {f"pipelib/{alias.name}.py" for alias in node.names}
            else:
                found.add(node.module.replace(".", "/") + ".py")
        elif isinstance(node, ast.Import):
            found |= {alias.name.replace(".", "/") + ".py" for alias in node.names if alias.name.startswith("pipelib.")}
    return found


def library_closure(script: str) -> set[str]:
    """Every ``pipelib`` module a stage script imports, directly or through other modules."""
    seen: set[str] = set()
    pending = [script]
    while pending:
        for module in imported_modules(helpers.REPO_ROOT / pending.pop()):
            if module not in seen:
                seen.add(module)
                pending.append(module)
    return seen


def dep_paths(definition: dict[str, Any]) -> set[str]:
    """The stage's dependency paths."""
    return {dep if isinstance(dep, str) else next(iter(dep)) for dep in definition.get("deps", [])}


def stage_script(definition: dict[str, Any]) -> str:
    """``stages/<name>.py`` of the stage's ``python -m stages.<name>`` command."""
    match = re.search(r"python -m stages\.(\w+)", definition["cmd"])
    assert match, definition["cmd"]
    return f"stages/{match.group(1)}.py"


STAGES = stage_definitions()


@pytest.mark.parametrize("name", sorted(STAGES))
def test_stage_lists_its_script(name: str) -> None:
    script = stage_script(STAGES[name])
    assert (helpers.REPO_ROOT / script).is_file()
    assert script in dep_paths(STAGES[name])


@pytest.mark.parametrize("name", sorted(STAGES))
def test_stage_lists_the_library_code_it_runs(name: str) -> None:
    needed = library_closure(stage_script(STAGES[name])) - NO_OUTPUT_EFFECT
    missing = sorted(needed - dep_paths(STAGES[name]))
    assert not missing, f"stage '{name}' runs {missing} but does not list them as deps"


@pytest.mark.parametrize("name", sorted(STAGES))
def test_listed_library_deps_exist(name: str) -> None:
    for dep in dep_paths(STAGES[name]):
        if dep.startswith(("pipelib/", "stages/")):
            assert (helpers.REPO_ROOT / dep).is_file(), dep
