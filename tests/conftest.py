"""Shared pytest setup: the repo root on ``sys.path``, the ``integration`` marker, small-data fixtures.

Tests under ``tests/unit/`` call library functions on small data in-process; tests under
``tests/integration/`` run stage scripts or a real ``dvc repro`` in scratch projects and are
marked ``integration`` (``pytest -m "not integration"`` is the fast loop).
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
from collections.abc import Callable, Iterator
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
    """Everything under tests/integration/ is an integration test; the full-data run is collected first;
    a ``kernels`` test sits in a file that says ``mark.kernels`` (make test reruns those files).

    ``make test`` hands whole files to three workers in collection order (``--dist loadfile
    --no-loadscope-reorder``): the longest file starting first lets the other workers take the
    rest alongside it, then the many short unit files fill in the end.
    """
    for item in items:
        if (TESTS / "integration") in Path(item.path).parents:
            item.add_marker(pytest.mark.integration)
    for path in {Path(item.path) for item in items if item.get_closest_marker("kernels")}:
        if "mark.kernels" not in path.read_text(encoding="utf-8"):  # make test reruns the files with those words
            raise pytest.UsageError(f"{path}: marks tests `kernels` without the words mark.kernels")
    items.sort(key=lambda item: item.get_closest_marker("fulldata") is None)  # stable: otherwise as collected


# --- scratch projects for the hardening tests (bad inputs, untrusted files, kills, determinism) ---


@pytest.fixture(scope="session")
def stage_workspace(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(project, mirror): every stage's inputs, small and valid, shared by the workers; copy before changing anything.

    The evaluate and compare stages are run on it once, which proves the prepared inputs are valid and
    leaves the report stage's inputs in place.
    """
    import workspaces

    def build(root: Path) -> None:
        mirror = workspaces.write_workspace_mirror(root / "mirror")
        project = helpers.copy_sources(root / "project")
        workspaces.write_stage_inputs(project, mirror)
        commands = workspaces.stage_commands(project / "dvc.yaml")
        for name in ("evaluate_mnist", "operating_point", "compare_mnist", "evaluate_titanic"):
            result = workspaces.run_stage_in_process(project, mirror, commands[name])
            assert result.returncode == 0, result.stderr

    root = built_once(tmp_path_factory, "stage-workspace", build)
    return root / "project", root / "mirror"


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """``build(directory)`` once per test run, by whichever pytest-xdist worker asks first; the others wait.

    pytest-xdist's recipe: the workers' base temporary directories share a parent, unique to
    the run; a file lock there makes the first worker build and the rest reuse. The build goes
    into a scratch directory renamed when complete, so a failed build is retried, never reused.
    Without xdist, the run's own base directory takes the parent's place.
    """
    from filelock import FileLock

    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    done = root / f"built-{name}"
    with FileLock(root / f"built-{name}.lock"):
        if not done.is_dir():
            scratch = root / f"building-{name}"
            shutil.rmtree(scratch, ignore_errors=True)
            scratch.mkdir()
            build(scratch)
            scratch.rename(done)
    return done


@pytest.fixture(scope="session")
def tiny_mirror(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny pipeline's data mirror (200 + 50 digits, 40 + 10 passengers), shared by every worker; read only."""
    import workspaces

    return built_once(tmp_path_factory, "tiny-mirror", workspaces.write_tiny_mirror)


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory, tiny_mirror: Path) -> Path:
    """The tiny project after one clean ``dvc repro`` (in time zone UTC0); tests must not change it.

    The run happens once per test run and must have run every stage of dvc.yaml; each worker
    reads its own copy (so no two workers' DVC commands meet in one repository). A test that
    changes the project takes ``tiny_clone``.
    """
    import workspaces

    def build(root: Path) -> None:
        project = workspaces.tiny_project(root / "project")
        output = workspaces.finish(workspaces.start_dvc(project, tiny_mirror, "repro", env={"TZ": "UTC0"}))
        assert helpers.stages_run(output) == helpers.pipeline_stage_names(project / "dvc.yaml"), output

    built = built_once(tmp_path_factory, "tiny-run", build)
    return helpers.clone_project(built / "project", tmp_path_factory.mktemp("tiny-run") / "project")


@pytest.fixture
def tiny_clone(tiny_run: Path, tmp_path: Path) -> Path:
    """A private copy of the reproduced tiny project (workspace, git, DVC cache and lock): far cheaper than a repro."""
    return helpers.clone_project(tiny_run, tmp_path / "project")
