"""Shared pytest setup: the repo root on ``sys.path``, the ``integration`` marker, small-data fixtures.

Tests under ``tests/unit/`` call library functions on small data in-process; tests under
``tests/integration/`` run stage scripts or a real ``dvc repro`` in scratch projects and are
marked ``integration`` (``pytest -m "not integration"`` is the fast loop).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
REPO_ROOT = TESTS.parent
for path in (REPO_ROOT, TESTS):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import helpers  # noqa: E402  (needs the path set up above)


@pytest.fixture
def mnist_mirror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small MNIST mirror (60 train + 20 test images) with its own SHA256SUMS, trusted; returns the mirror root."""
    monkeypatch.setenv("DATA_MIRROR_TRUST_SUMS", "1")
    root = tmp_path / "mirror"
    helpers.write_mnist_mirror(root, n_train=60, n_test=20, seed=1)
    return root


@pytest.fixture
def titanic_text() -> str:
    """A small Kaggle-layout Titanic train.csv text (every category present, some Age/Embarked missing)."""
    return helpers.titanic_csv_text(helpers.titanic_rows(48, seed=3), labelled=True)


@pytest.fixture
def progress_lines() -> Iterator[list[str]]:
    """The library's progress messages (``pipelib.log.progress``) while the test runs."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    logger = logging.getLogger("pipelib")
    handler, level = Collect(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield lines
    logger.removeHandler(handler)
    logger.setLevel(level)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/integration/ is an integration test."""
    for item in items:
        if (TESTS / "integration") in Path(item.path).parents:
            item.add_marker(pytest.mark.integration)


# --- scratch projects for the hardening tests (bad inputs, untrusted files, kills, determinism) ---


@pytest.fixture(scope="session")
def stage_workspace(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(project, mirror): every stage's inputs, small and valid; copy it before changing anything.

    The two evaluate stages are run on it once, which proves the prepared inputs are valid and
    leaves the report stage's inputs in place.
    """
    import subprocess

    import workspaces

    root = tmp_path_factory.mktemp("stage-workspace")
    mirror = workspaces.write_workspace_mirror(root / "mirror")
    project = helpers.copy_sources(root / "project")
    workspaces.write_stage_inputs(project, mirror)
    commands = workspaces.stage_commands(project / "dvc.yaml")
    running = [
        subprocess.Popen(
            [sys.executable, "-m", f"stages.{commands[name].module}", *commands[name].args],
            cwd=project,
            env=helpers.stage_env(mirror, project),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for name in ("evaluate_mnist", "evaluate_titanic")
    ]
    for process in running:
        output, _ = process.communicate(timeout=120)
        assert process.returncode == 0, output
    return project, mirror


@pytest.fixture(scope="session")
def tiny_mirror(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny pipeline's data mirror (200 + 50 digits, 40 + 10 passengers)."""
    import workspaces

    return workspaces.write_tiny_mirror(tmp_path_factory.mktemp("tiny-mirror"))


@pytest.fixture(scope="session")
def clean_runs(tmp_path_factory: pytest.TempPathFactory, tiny_mirror: Path) -> tuple[Path, Path]:
    """Two tiny project copies, each after one clean ``dvc repro``; tests must not change them.

    The runs overlap (two cores); the second starts once the first has finished its first stage
    (DVC has written dvc.lock: an explicit signal, no sleep), in another time zone and another
    directory, so a date, a time or a path in any output would make them differ.
    """
    import time

    import workspaces

    first = workspaces.tiny_project(tmp_path_factory.mktemp("clean-a") / "project")
    second = workspaces.tiny_project(tmp_path_factory.mktemp("clean-b") / "project")
    running = workspaces.start_dvc(first, tiny_mirror, "repro", env={"TZ": "UTC0"})
    deadline = time.monotonic() + 300
    while not (first / "dvc.lock").exists():
        assert running.poll() is None, workspaces.finish(running)
        assert time.monotonic() < deadline, "the first run never finished a stage"
        time.sleep(0.05)
    workspaces.finish(workspaces.start_dvc(second, tiny_mirror, "repro", env={"TZ": "IST-5:30"}))
    workspaces.finish(running)
    return first, second
