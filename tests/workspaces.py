"""Scratch projects for the hardening tests (bad inputs, untrusted files, kills, determinism).

* :func:`stage_commands`: each stage's command line and outputs, read from dvc.yaml, so the
  tests run the stages exactly as ``dvc repro`` does;
* :func:`write_stage_inputs`: every stage's inputs, small and valid, written with the library
  (no stage runs), so a test can break one input and run one stage;
* :func:`snapshot`: a project's files and bytes, to prove a failed stage wrote nothing;
* tiny pipeline runs: a mirror, params and ``dvc repro`` started in the background.
"""

from __future__ import annotations

import shlex
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import helpers
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from sklearn.linear_model import LogisticRegression

from pipelib.atomic import write_json
from pipelib.mnist import comparison, predictions
from pipelib.mnist import models as mnist_models
from pipelib.mnist.dataset import write_mnist
from pipelib.mnist.fitting import LinearModel
from pipelib.mnist.source import load_mirror
from pipelib.params import load_params
from pipelib.scores import write_scores
from pipelib.tables import write_table
from pipelib.titanic import model as titanic_model
from pipelib.titanic.data import TEST_SCHEMA, TRAIN_SCHEMA, parse_passengers
from pipelib.titanic.frames import write_out_of_fold

# --- stage command lines ------------------------------------------------------------------------


@dataclass(frozen=True)
class StageCommand:
    """One stage of dvc.yaml: ``python -m <module> <args>`` and the paths it writes."""

    name: str
    module: str
    args: tuple[str, ...]
    outs: tuple[str, ...]

    @property
    def dvc_env(self) -> dict[str, str]:
        """What DVC sets for the command: ``DVC_STAGE``, which a ``foreach`` stage takes its entry's name from."""
        return {"DVC_STAGE": self.name}


def _path_of(entry: str | dict[str, Any]) -> str:
    return entry if isinstance(entry, str) else next(iter(entry))


def stage_commands(dvc_yaml: Path = helpers.REPO_ROOT / "dvc.yaml") -> dict[str, StageCommand]:
    """Every stage (``foreach`` expanded to ``name@key``) with its command and outputs (metrics included)."""
    found: dict[str, StageCommand] = {}
    for name, definition in helpers.read_dvc_yaml(dvc_yaml)["stages"].items():
        body = definition.get("do", definition)
        foreach = helpers.foreach_items(dvc_yaml, definition.get("foreach", {}))
        expansions = {f"{name}@{key}": {"key": key, "item": item} for key, item in foreach.items()}
        for stage, values in (expansions or {name: {}}).items():

            def expand(text: str, values: dict[str, Any] = values) -> str:
                for key, value in values.items():
                    if isinstance(value, dict):  # ${item.train} of a registry entry
                        for field, inner in value.items():
                            text = text.replace(f"${{{key}.{field}}}", str(inner))
                    elif isinstance(value, str):
                        text = text.replace(f"${{{key}}}", value)
                return text

            argv = shlex.split(expand(body["cmd"]))
            assert argv[:2] == ["python", "-m"] and argv[2].startswith("stages."), body["cmd"]
            outs = [expand(_path_of(entry)) for entry in [*body.get("outs", []), *body.get("metrics", [])]]
            found[stage] = StageCommand(stage, argv[2].removeprefix("stages."), tuple(argv[3:]), tuple(outs))
    return found


# --- a stage run in this process -----------------------------------------------------------------


def run_stage_in_process(
    project: Path, mirror: Path, command: StageCommand, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a stage as ``python -m stages.<module> ARGS`` in ``project`` would, but in this process.

    The stage's ``main`` goes through :func:`pipelib.errors.run_stage` (or the module's own ``run``
    wrapper where it has one, as the review does for its exit codes) with the command line in
    ``sys.argv``, ``project`` as the working directory and :func:`helpers.stage_env`'s variables
    (then ``env``); an unexpected exception becomes a traceback on stderr and exit status 1, as
    Python's own entry point does. Everything changed (directory, argv, environment, the
    library's logger, arrow's memory pool) is put back. Saves the 1.5-3 s of imports a stage
    subprocess pays; tests/integration/test_bad_inputs.py proves both ways give the same line.
    """
    import contextlib
    import importlib
    import io
    import logging
    import os
    import traceback

    import pyarrow

    from pipelib.errors import run_stage

    name = command.module if "." in command.module else f"stages.{command.module}"  # a dotted one: that module
    module = importlib.import_module(name)
    variables = {**helpers.stage_env(mirror, project), **command.dvc_env, **(env or {})}
    saved_environ, saved_argv, saved_cwd = dict(os.environ), sys.argv, os.getcwd()
    logger = logging.getLogger("pipelib")
    saved_logger = (logger.handlers[:], logger.level, logger.propagate)
    saved_pool = pyarrow.default_memory_pool()
    stdout, stderr = io.StringIO(), io.StringIO()
    try:
        os.environ.clear()
        os.environ.update(variables)
        sys.argv = [str(module.__file__), *command.args]
        os.chdir(project)
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                module.run() if hasattr(module, "run") else run_stage(module.main)
                status = 0
            except SystemExit as exit:
                status = exit.code if isinstance(exit.code, int) else 0 if exit.code is None else 1
                if isinstance(exit.code, str):
                    print(exit.code, file=sys.stderr)
            except Exception:  # noqa: BLE001  (a bug, not an expected error: a traceback, as Python gives)
                traceback.print_exc()
                status = 1
    finally:
        os.chdir(saved_cwd)
        sys.argv = saved_argv
        os.environ.clear()
        os.environ.update(saved_environ)
        logger.handlers[:], logger.level, logger.propagate = saved_logger
        pyarrow.set_memory_pool(saved_pool)
    argv = ["python", "-m", name.removesuffix(".__main__"), *command.args]
    return subprocess.CompletedProcess(argv, status, stdout.getvalue(), stderr.getvalue())


# --- every stage's inputs, written by the library ------------------------------------------------

MNIST_TRAIN, MNIST_TEST = 60, 20
PASSENGERS, TEST_PASSENGERS = 30, 10
WORKSPACE_PARAMS = {"mnist.n_train": MNIST_TRAIN, "mnist.figures.shift_example": 10, "titanic.cv_folds": 3}


def write_workspace_mirror(root: Path) -> Path:
    """A mirror of 60 + 20 synthetic digits and 30 + 10 passengers, with SHA256SUMS; returns ``root``."""
    helpers.write_mnist_mirror(root, MNIST_TRAIN, MNIST_TEST, seed=1)
    helpers.write_titanic_mirror(root, PASSENGERS, TEST_PASSENGERS, seed=1)
    return root


def linear_model(n_classes: int, seed: int) -> Any:
    """A fitted LogisticRegression over 784 pixels with small random coefficients: binary or ``n_classes``."""
    rows = 1 if n_classes == 2 else n_classes
    rng = np.random.default_rng(seed)
    classes = np.array([False, True]) if n_classes == 2 else np.arange(n_classes, dtype=np.uint8)
    model = LinearModel(rng.normal(0, 0.01, (rows, 784)), rng.normal(0, 0.1, rows), classes, n_iter=1)
    return model.fitted(LogisticRegression())


def write_stage_inputs(project: Path, mirror: Path) -> None:
    """Every input of every stage up to the evaluations, valid, in ``project`` (params shrunk to fit)."""
    helpers.edit_params(project / "params.yaml", WORKSPACE_PARAMS)
    with helpers.trusting_mirror_sums():
        pixels, labels = load_mirror(mirror / "mnist")
    mnist = project / "data" / "mnist"
    write_mnist(pixels, labels, mnist / "mnist.parquet")
    train_pixels, train_labels = pixels[:MNIST_TRAIN], labels[:MNIST_TRAIN]
    write_mnist(train_pixels, train_labels, mnist / "train.parquet")
    write_mnist(pixels[MNIST_TRAIN:], labels[MNIST_TRAIN:], mnist / "test.parquet")
    write_mnist(train_pixels, train_labels, mnist / "train_augmented.parquet")
    write_mnist(train_pixels, train_labels, mnist / "train_shuffled.parquet")
    models = project / "models"
    settings = load_params(project / "params.yaml")  # as the stages read it
    mnist_models.save(linear_model(2, seed=1), models / "binary.skops")
    found = {}
    for number, name in enumerate(settings.mnist.models):  # every registry model: a stand-in and its predictions
        model = linear_model(10, seed=2 + number)
        mnist_models.save(model, models / "mnist" / f"{name}.skops")
        predicted = mnist_models.predict(model, pixels[MNIST_TRAIN:])
        facts = {
            "train_rows": MNIST_TRAIN,
            "first_train_predictions": [int(v) for v in model.predict(train_pixels[:10])],
        }
        predictions.write(mnist / "predictions" / f"{name}.parquet", labels[MNIST_TRAIN:], predicted, facts)
        found[name] = (predicted.astype(np.int64), facts)
    comparison.write_test_predictions(
        project / "reports" / "mnist_test_predictions.csv", labels[MNIST_TRAIN:].astype(np.int64), found
    )
    fold = (np.arange(MNIST_TRAIN) % 3).astype(np.uint8)
    score = np.random.default_rng(4).normal(0, 1, MNIST_TRAIN)
    write_scores(mnist / "binary_cv_scores.parquet", fold, train_labels == 5, score)

    titanic = project / "data" / "titanic"
    train = parse_passengers((mirror / "titanic" / "train.csv").read_text(encoding="utf-8"), "train.csv", TRAIN_SCHEMA)
    test = parse_passengers((mirror / "titanic" / "test.csv").read_text(encoding="utf-8"), "test.csv", TEST_SCHEMA)
    write_table(train, titanic / "train.parquet")
    write_table(test, titanic / "test.parquet")
    passengers = train.to_pandas()
    target = passengers["Survived"].to_numpy().astype(np.int64)
    titanic_fold = (np.arange(PASSENGERS) % 3).astype(np.uint8)
    for name, entry in settings.titanic.models.items():  # every registry model, its fit as out-of-fold stand-in
        fitted = titanic_model.fit_quietly(titanic_model.build(entry), titanic_model.model_inputs(passengers), target)
        titanic_model.save(fitted, models / "titanic" / f"{name}.skops")
        found = titanic_model.predict(fitted, titanic_model.model_inputs(passengers))
        ids = passengers["PassengerId"].to_numpy()
        write_out_of_fold(titanic / "out_of_fold" / f"{name}.parquet", ids, titanic_fold, target, found)
    # The sweep's metrics, as its stage writes them (the report's one input from the sweep).
    point = {"validation_accuracy": 0.9, "test_accuracy": 0.91}
    write_json(
        project / "metrics" / "sweep.json",
        {
            model: {"best": {"C": 0.1, "scaling": "unit", **point}, "seed_setting": {"C": c, "scaling": "raw", **point}}
            for model, c in (("softmax", 10.0), ("binary", 1.0))
        },
    )


def table_with(path: Path, **columns: pa.Array | None) -> None:
    """Rewrite a parquet file with some columns replaced (or, given None, dropped)."""
    table = pq.read_table(path)
    for name, column in columns.items():
        index = table.schema.get_field_index(name)
        table = table.remove_column(index) if column is None else table.set_column(index, name, column)
    write_table(table, path)


# --- snapshots -----------------------------------------------------------------------------------


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (``__pycache__`` aside) and its bytes."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def snapshot_changes(before: dict[str, bytes], after: dict[str, bytes]) -> list[str]:
    """Files created, removed or changed between two snapshots."""
    created = [f"created {name}" for name in sorted(set(after) - set(before))]
    removed = [f"removed {name}" for name in sorted(set(before) - set(after))]
    changed = [f"changed {name}" for name in sorted(set(before) & set(after)) if before[name] != after[name]]
    return created + removed + changed


def error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single ``error:`` line of a stage that failed as expected: exit 2, no traceback, nothing after it."""
    assert result.returncode == 2, f"exit status {result.returncode}:\n{result.stderr}"
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    assert result.stderr.splitlines()[-1] == errors[0], result.stderr
    return errors[0]


# --- tiny pipeline runs --------------------------------------------------------------------------

TINY_MNIST = (200, 50)
TINY_TITANIC = (40, 10)
TINY_PARAMS = {"mnist.n_train": TINY_MNIST[0], "mnist.figures.shift_example": 123, "titanic.cv_folds": 3}


def write_tiny_mirror(root: Path) -> Path:
    """200 + 50 synthetic digits and 40 + 10 passengers: the whole pipeline in about 17 s."""
    helpers.write_mnist_mirror(root, *TINY_MNIST, seed=0)
    helpers.write_titanic_mirror(root, *TINY_TITANIC, seed=0)
    return root


def tiny_project(dest: Path) -> Path:
    """A git + DVC project copy with the tiny-data params."""
    helpers.copy_project(dest)
    helpers.edit_params(dest / "params.yaml", TINY_PARAMS)
    return dest


def default_sigint() -> None:
    """In a child before it runs: Ctrl-C's default action, even if the test runner ignores SIGINT.

    A background job of a non-interactive shell (``cmd &``, ``nohup``) starts with SIGINT ignored,
    its children inherit that, and Python then installs no KeyboardInterrupt handler: a test that
    interrupts a stage would hang instead of testing the interruption.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_dvc(project: Path, mirror: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Start ``dvc ARGS`` in its own process group (so a test can signal the group); output merged."""
    return subprocess.Popen(
        [sys.executable, "-m", "dvc", *args],
        cwd=project,
        env={**helpers.stage_env(mirror, project), **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        preexec_fn=default_sigint,
    )


def finish(process: subprocess.Popen[str], timeout: float = 300) -> str:
    """Wait for a ``dvc`` started by :func:`start_dvc` to succeed; its output."""
    output, _ = process.communicate(timeout=timeout)
    assert process.returncode == 0, f"{' '.join(map(str, process.args))} exited {process.returncode}:\n{output}"
    return output


def lock_outs(project: Path) -> dict[str, dict[str, str]]:
    """Each stage's outputs and their md5 from dvc.lock."""
    lock = yaml.safe_load((project / "dvc.lock").read_text(encoding="utf-8"))
    stages = lock["stages"]
    return {stage: {out["path"]: out["md5"] for out in entry.get("outs", [])} for stage, entry in stages.items()}
