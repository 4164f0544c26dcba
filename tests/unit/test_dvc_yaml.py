"""dvc.yaml read statically: every stage lists the code that shapes its outputs, so edits rerun it."""

from __future__ import annotations

import ast
import hashlib
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
    "pipelib/mnist/__init__.py",
    "pipelib/titanic/__init__.py",
    "pipelib/report/__init__.py",
    "pipelib/errors.py",
    "pipelib/log.py",
    "pipelib/params.py",
    "pipelib/mirror.py",
    "pipelib/atomic.py",
}


def stage_definitions() -> dict[str, dict[str, Any]]:
    """Each stage's definition (a ``foreach`` stage's ``do`` block)."""
    stages = helpers.read_dvc_yaml()["stages"]
    return {name: definition.get("do", definition) for name, definition in stages.items()}


def _type_checking_only(tree: ast.Module) -> set[int]:
    """Ids of the nodes inside ``if TYPE_CHECKING:`` blocks: imports for annotations, never run."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            inside |= {id(child) for statement in node.body for child in ast.walk(statement)}
    return inside


def imported_modules(path: Path) -> set[str]:
    """Repo-relative paths of the ``pipelib`` modules a file imports directly (at run time)."""
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_only(tree)
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "pipelib":
            package = helpers.REPO_ROOT / node.module.replace(".", "/")
            if package.is_dir():  # ``from pipelib.mnist import figures``: the modules named
                found |= {f"{node.module.replace('.', '/')}/{alias.name}.py" for alias in node.names}
            else:
                found.add(node.module.replace(".", "/") + ".py")
        elif isinstance(node, ast.Import):
            found |= {alias.name.replace(".", "/") + ".py" for alias in node.names if alias.name.startswith("pipelib.")}
    return found


def library_closure(script: str) -> set[str]:
    """Every ``pipelib`` module a stage script imports, directly or through other modules.

    What a NO_OUTPUT_EFFECT module imports is not followed: used only through it (params.py
    takes the image side from pipelib/mnist/dataset.py to check shifts), it cannot shape an
    output either, and a stage that uses such a module itself imports it directly.
    """
    seen: set[str] = set()
    pending = [script]
    while pending:
        for module in imported_modules(helpers.REPO_ROOT / pending.pop()):
            if module not in seen:
                seen.add(module)
                if module not in NO_OUTPUT_EFFECT:
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
def test_no_params_value_is_put_in_a_shell_command(name: str) -> None:
    """DVC pastes ``${...}`` into the command unquoted and runs it in a shell: a registry entry named
    ``a;b`` would run ``b`` before any stage could refuse the name (registry stages read DVC_STAGE)."""
    assert "${" not in STAGES[name]["cmd"]


@pytest.mark.parametrize("name", sorted(STAGES))
def test_listed_library_deps_exist(name: str) -> None:
    for dep in dep_paths(STAGES[name]):
        if dep.startswith(("pipelib/", "stages/")):
            assert (helpers.REPO_ROOT / dep).is_file(), dep


def test_the_stages_that_use_the_positive_digit_list_it() -> None:
    """Training, evaluation, the figures (the calibration figure's title) and the sweep read it; the
    report learns it from the evaluation's details file."""
    listed = sorted(name for name, stage in STAGES.items() if "mnist.positive_digit" in stage.get("params", []))
    assert listed == ["evaluate_mnist", "figures_mnist", "sweep", "train_binary"]


# --- the committed dvc.lock describes the committed code, params and tracked outputs ----------------

LOCK = yaml.safe_load((helpers.REPO_ROOT / "dvc.lock").read_text(encoding="utf-8"))["stages"]
PARAMS = yaml.safe_load((helpers.REPO_ROOT / "params.yaml").read_text(encoding="utf-8"))
STALE = "dvc.lock is stale: run `dvc repro` (or `dvc commit` when outputs cannot change) and commit dvc.lock"


def test_lock_has_every_stage_and_command() -> None:
    import workspaces

    commands = workspaces.stage_commands()
    assert sorted(LOCK) == sorted(commands), STALE
    for stage, command in commands.items():
        argv = ["python", "-m", f"stages.{command.module}", *command.args]
        assert LOCK[stage]["cmd"].split() == argv, f"{stage}: {STALE}"


@pytest.mark.parametrize("stage", sorted(LOCK))
def test_lock_hashes_match_the_tracked_files(stage: str) -> None:
    """Code deps, and outputs kept in git (cache: false), have the md5 and size dvc.lock records.

    Data and models are DVC-cached and not in a checkout; directories are hashed by DVC as a
    listing and are left to ``dvc status``.
    """
    entries = [*LOCK[stage].get("deps", []), *LOCK[stage].get("outs", [])]
    checked = 0
    for entry in entries:
        path = helpers.REPO_ROOT / entry["path"]
        if entry["path"].startswith(("data/", "models/")) or entry["md5"].endswith(".dir"):
            continue
        assert path.is_file(), f"{stage}: {entry['path']} is in dvc.lock but not in the checkout"
        data = path.read_bytes()
        assert (hashlib.md5(data).hexdigest(), len(data)) == (entry["md5"], entry["size"]), (
            f"{stage}: {entry['path']} differs from dvc.lock; {STALE}"
        )
        checked += 1
    assert checked >= 1  # every stage has at least its own script


@pytest.mark.parametrize("stage", sorted(LOCK))
def test_lock_params_match_params_yaml(stage: str) -> None:
    for key, value in LOCK[stage].get("params", {}).get("params.yaml", {}).items():
        assert helpers.get_dotted(PARAMS, key) == value, f"{stage}: {key} in params.yaml differs from dvc.lock; {STALE}"
