"""Scratch project copies, data mirrors and DVC runs for the benchmarks (no test code imported)."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
PROJECT_FILES = ("dvc.yaml", "params.yaml", ".dvcignore")
PROJECT_PACKAGES = ("pipelib", "stages")
RUNNING_STAGE = re.compile(r"Running stage '([^']+)'")


def write_sha256sums(directory: Path) -> None:
    """``directory/SHA256SUMS`` in ``sha256sum`` format for every file there."""
    names = sorted(path.name for path in directory.iterdir() if path.is_file() and path.name != "SHA256SUMS")
    lines = [f"{hashlib.sha256((directory / name).read_bytes()).hexdigest()}  {name}" for name in names]
    (directory / "SHA256SUMS").write_text("\n".join(lines) + "\n", encoding="utf-8")


def stage_env(mirror: Path, cwd: Path) -> dict[str, str]:
    """Environment for DVC and stage scripts: this interpreter's venv first on PATH, the mirror, no analytics."""
    env = {key: value for key, value in os.environ.items() if key not in ("PROGRESS", "PYTHONPATH")}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["DATA_MIRROR"] = str(mirror)
    env["DVC_NO_ANALYTICS"] = "1"
    env["DVC_SITE_CACHE_DIR"] = str(cwd.parent / f".{cwd.name}-dvc-site-cache")
    return env


def _checked(command: list[str], cwd: Path, env: dict[str, str]) -> None:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {result.returncode}:\n{result.stdout}{result.stderr}")


def copy_project(dest: Path, source: Path = REPO_ROOT) -> Path:
    """The pipeline files of ``source`` in a fresh git + DVC repository at ``dest`` (empty DVC cache)."""
    dest.mkdir(parents=True)
    env = stage_env(dest, dest)
    _checked(["git", "init", "-q"], dest, env)
    _checked([sys.executable, "-m", "dvc", "init", "-q"], dest, env)
    shutil.copy2(source / ".dvc" / "config", dest / ".dvc" / "config")
    shutil.copytree(source / ".dvc" / "plots", dest / ".dvc" / "plots")  # dvc.yaml's custom plot templates
    for name in PROJECT_FILES:
        shutil.copy2(source / name, dest / name)
    for package in PROJECT_PACKAGES:
        shutil.copytree(source / package, dest / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dest


def edit_params(path: Path, updates: dict[str, Any]) -> None:
    """Rewrite a params.yaml with dotted-key ``updates`` (``"mnist.models.softmax.params.C": 5.0``) applied."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    for dotted, value in updates.items():
        *parents, last = dotted.split(".")
        mapping = raw
        for key in parents:
            mapping = mapping[key]
        mapping[last] = value
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")


def stages_run(output: str) -> set[str]:
    """Names of the stages a ``dvc repro`` output says it ran."""
    return set(RUNNING_STAGE.findall(output))
