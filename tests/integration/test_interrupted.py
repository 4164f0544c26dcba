"""Interrupted runs: a killed stage leaves no truncated output, and ``dvc repro`` then finishes as a clean run.

No test sleeps or races a running write: the process is interrupted where it waits for it.
With PIPELIB_SIGNAL_FILE and PIPELIB_SIGNAL_AT set, ``pipelib.atomic`` stops a write to a
matching target once its temporary file is complete, just before the rename, writes
``<pid> <temporary file>`` to the signal file and waits; the test reads that and signals.

* the writer: a process writing a parquet file through ``pipelib.tables`` is killed
  (SIGKILL) or interrupted (SIGINT) with its new data complete in the temporary file but not
  yet renamed; the target keeps its old bytes. A SIGKILL leaves the temporary file
  (``.<name>.<random>.tmp``, beside the target) since no cleanup can run; the next write
  ignores it. A SIGINT leaves nothing.
* the pipeline: one tiny project's ``dvc repro`` is interrupted three times, each time as a
  stage writes its output: SIGKILL of the stage alone (DVC survives and reports it), SIGKILL
  of DVC's whole process group (DVC dies, leaving its lock entries for dead pids, which the
  next DVC removes), and Ctrl-C (SIGINT to the group). After each, every output present
  reads cleanly; then ``dvc repro`` finishes.

The finished project is also the determinism check: its stages ran in another directory and in
time zone IST-5:30, against the session's ``tiny_run`` (a clean ``dvc repro`` in UTC0), and
dvc.lock and every output must come out byte-identical. A timestamp, a path or an unseeded
random number in any output would show up as a differing hash; equal hashes are what lets
DVC's run cache and remote cache hit on another machine.
"""

from __future__ import annotations

import glob
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import helpers
import numpy as np
import pyarrow.parquet as pq
import pytest
import workspaces

from pipelib.mnist.dataset import read_mnist, write_mnist
from pipelib.mnist.models import load as load_mnist_model
from pipelib.titanic.model import load as load_titanic_model

# --- one writer killed mid-write -------------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import sys
    import numpy as np
    from pipelib.mnist.dataset import write_mnist
    rows = int(sys.argv[2])
    pixels = np.random.default_rng(0).integers(0, 256, size=(rows, 784), dtype=np.uint8)
    write_mnist(pixels, (np.arange(rows) % 10).astype(np.uint8), sys.argv[1])
    """
)
WRITER_ROWS = 1000


def temp_files(directory: Path) -> list[Path]:
    """Temporary files of atomic writes in ``directory`` (none if it is not there)."""
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return []
    return sorted(directory / name for name in names if name.startswith(".") and name.endswith(".tmp"))


def signal_env(signal_file: Path, pattern: str) -> dict[str, str]:
    """The variables that make ``pipelib.atomic`` stop before renaming a write to a target matching ``pattern``."""
    return {"PIPELIB_SIGNAL_FILE": str(signal_file), "PIPELIB_SIGNAL_AT": pattern}


def wait_for_signal(signal_file: Path, process: subprocess.Popen[str], what: str) -> tuple[int, Path]:
    """(pid, temporary file) from the signal file, once the process has written it; fail if it exits first.

    The process waits at that point until signalled, so however long this takes nothing races.
    """
    deadline = time.monotonic() + 300
    while not signal_file.exists():
        if process.poll() is not None:
            raise AssertionError(f"exited {process.returncode} before {what}:\n{process.communicate()[0]}")
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)
    pid, temp = signal_file.read_text(encoding="utf-8").split()
    return int(pid), Path(temp)


def interrupt_writer(target: Path, how: signal.Signals) -> tuple[int, Path]:
    """Run WRITER on ``target``, send it ``how`` as it is about to rename; its exit status and temporary file."""
    signal_file = target.parent / "signal"
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(target), str(WRITER_ROWS)],
        cwd=helpers.REPO_ROOT,
        env={**os.environ, **signal_env(signal_file, str(target.absolute()))},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=workspaces.default_sigint,
    )
    try:
        pid, temp = wait_for_signal(signal_file, process, "the write")
        assert pid == process.pid
        signal_file.unlink()
        process.send_signal(how)
        process.communicate(timeout=60)
        return process.returncode, temp
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.fixture
def old_file(tmp_path: Path) -> tuple[Path, bytes]:
    """A small MNIST parquet file and its bytes."""
    target = tmp_path / "train.parquet"
    write_mnist(*helpers.synthetic_digits(30, seed=0), target)
    return target, target.read_bytes()


def test_writer_killed_mid_write_keeps_the_old_file(old_file: tuple[Path, bytes]) -> None:
    target, old = old_file
    status, temp = interrupt_writer(target, signal.SIGKILL)
    assert status == -signal.SIGKILL
    assert target.read_bytes() == old
    # a kill allows no cleanup: the temporary file stays, holding the complete new data, never renamed
    assert temp_files(target.parent) == [temp]
    assert temp.name.startswith(f".{target.name}.") and temp.parent == target.parent
    written_pixels, written_labels = read_mnist(temp)
    assert written_pixels.shape == (WRITER_ROWS, 784)
    np.testing.assert_array_equal(written_labels, np.arange(WRITER_ROWS) % 10)
    stray_bytes = temp.read_bytes()

    pixels, labels = helpers.synthetic_digits(40, seed=1)
    write_mnist(pixels, labels, target)  # the next write is not confused by the stray file
    read_pixels, read_labels = read_mnist(target)
    assert np.array_equal(read_pixels, pixels) and np.array_equal(read_labels, labels)
    assert temp_files(target.parent) == [temp] and temp.read_bytes() == stray_bytes


def test_writer_interrupted_mid_write_cleans_up(old_file: tuple[Path, bytes]) -> None:
    target, old = old_file
    status, _ = interrupt_writer(target, signal.SIGINT)
    assert status != 0
    assert temp_files(target.parent) == []
    assert target.read_bytes() == old


# --- dvc repro interrupted three times -----------------------------------------------------------


@dataclass(frozen=True)
class Interruption:
    """Which stage of a running ``dvc repro`` is interrupted as it writes its output, and how."""

    stage: str  # the dvc.yaml stage
    how: signal.Signals
    group: bool  # signal DVC's whole process group (as a terminal's Ctrl-C does), else the stage alone


OTHER_ZONE = {"TZ": "IST-5:30"}  # tiny_run ran in UTC0
INTERRUPTIONS = [
    Interruption("train_mnist@softmax", signal.SIGKILL, group=False),
    Interruption("figures_mnist", signal.SIGKILL, group=True),
    Interruption("train_titanic@logistic", signal.SIGINT, group=True),
]


def output_pattern(project: Path, outs: tuple[str, ...]) -> str:
    """A glob matching the stage's first output: the file, or any file in the directory."""
    path = project / outs[0]
    return glob.escape(str(path)) + ("/*" if path.suffix == "" else "")


def interrupt(project: Path, mirror: Path, interruption: Interruption, signal_file: Path) -> tuple[int, Path, str]:
    """Start ``dvc repro``, interrupt it as told once the stage waits to rename its output; DVC's pid, temp, output."""
    command = workspaces.stage_commands(project / "dvc.yaml")[interruption.stage]
    env = signal_env(signal_file, output_pattern(project, command.outs))
    dvc = workspaces.start_dvc(project, mirror, "repro", env={**env, **OTHER_ZONE})
    try:
        pid, temp = wait_for_signal(signal_file, dvc, f"{interruption.stage} writing its output")
        assert f"stages.{command.module}" in Path(f"/proc/{pid}/cmdline").read_bytes().decode()
        if interruption.group:
            os.killpg(dvc.pid, interruption.how)
        else:
            os.kill(pid, interruption.how)
        output, _ = dvc.communicate(timeout=120)
    finally:
        if dvc.poll() is None:
            os.killpg(dvc.pid, signal.SIGKILL)
            dvc.wait()
    assert dvc.returncode != 0, output
    return dvc.pid, temp, output


def assert_complete(path: Path) -> None:
    """An output file reads back whole in its format."""
    if path.suffix == ".parquet":
        pq.read_table(path, page_checksum_verification=True)
    elif path.suffix == ".skops":
        load_titanic_model(path) if "titanic" in path.parts else load_mnist_model(path)
    elif path.suffix == ".json":
        json.loads(path.read_text(encoding="utf-8"))
    elif path.suffix == ".png":
        assert path.read_bytes()[-12:] == b"\x00\x00\x00\x00IEND\xaeB`\x82", path
    else:
        text = path.read_text(encoding="utf-8")
        assert text.endswith("\n"), path


def check_outputs(project: Path) -> list[Path]:
    """Every output present reads cleanly; the temporary files left beside or inside outputs."""
    strays: list[Path] = []
    for command in workspaces.stage_commands(project / "dvc.yaml").values():
        for relative in command.outs:
            path = project / relative
            strays += temp_files(path.parent)
            files = sorted(path.iterdir()) if path.is_dir() else [path] if path.exists() else []
            for item in files:
                if item.name.endswith(".tmp"):
                    strays.append(item)
                else:
                    assert_complete(item)
    return sorted(set(strays))


def rwlock_pids(project: Path) -> set[int]:
    """Pids holding entries in DVC's read/write lock file."""
    path = project / ".dvc" / "tmp" / "rwlock"
    locks = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    return {info["pid"] for mode in locks.values() for infos in mode.values() for info in _as_list(infos)}


def _as_list(infos: list[dict[str, Any]] | dict[str, Any]) -> list[dict[str, Any]]:
    return infos if isinstance(infos, list) else [infos]  # DVC keeps a list of readers, one writer


@pytest.fixture(scope="module")
def recovered(tiny_run: Path, tmp_path_factory: pytest.TempPathFactory, tiny_mirror: Path) -> Path:
    """A fresh tiny project whose ``dvc repro`` was interrupted three times, then run to the end.

    The checks of each interruption are made here, as they happen. ``tiny_run`` is asked for first, so
    that the other pytest-xdist worker does not wait for it while this one runs the interrupted repros.
    """
    root = tmp_path_factory.mktemp("interrupted")
    project = workspaces.tiny_project(root / "project")
    dead_dvc_left_locks = False
    killed_writes: list[Path] = []
    for number, interruption in enumerate(INTERRUPTIONS):
        dvc_pid, temp, output = interrupt(project, tiny_mirror, interruption, root / f"signal-{number}")
        if dead_dvc_left_locks:
            assert "had been killed. Auto removed it from the lock file" in output, output
        strays = sorted(set(check_outputs(project)) - set(killed_writes))  # new ones
        holders = rwlock_pids(project)
        assert not any(Path(f"/proc/{pid}").exists() for pid in holders), "only dead processes hold lock entries"
        dead_dvc_left_locks = interruption.group and interruption.how == signal.SIGKILL
        if dead_dvc_left_locks:
            # DVC died too and cleaned up nothing: its lock entries stay (the next DVC removes
            # those in its way).
            assert dvc_pid in holders
        else:
            assert f"failed to reproduce '{interruption.stage}'" in output, output
            assert dvc_pid not in holders, "DVC released its own locks"
        if interruption.how == signal.SIGKILL:
            # no cleanup can run: the interrupted write's complete temporary file stays, never renamed
            assert strays == [temp] and temp.name.startswith("."), (temp, strays)
            killed_writes.append(temp)
        else:
            assert "error: interrupted" in output and "Traceback" not in output, output
            assert strays == [], strays
    workspaces.finish(workspaces.start_dvc(project, tiny_mirror, "repro", env=OTHER_ZONE))
    # DVC recreates output directories, so only killed writes' temporary files beside a file output remain
    assert set(check_outputs(project)) <= set(killed_writes)
    return project


def test_repro_after_interruptions_is_up_to_date(recovered: Path, tiny_mirror: Path) -> None:
    assert json.loads(helpers.run_dvc(recovered, tiny_mirror, "status", "--json").stdout) == {}


def output_files(project: Path) -> dict[str, bytes]:
    """Every file of every stage output (directories expanded), DVC's own .gitignore files aside."""
    found: dict[str, bytes] = {}
    for command in workspaces.stage_commands(project / "dvc.yaml").values():
        for relative in command.outs:
            path = project / relative
            files = sorted(path.rglob("*")) if path.is_dir() else [path]
            found |= {item.relative_to(project).as_posix(): item.read_bytes() for item in files if item.is_file()}
    return found


def test_dvc_lock_equals_a_clean_runs(tiny_run: Path, recovered: Path) -> None:
    assert set(workspaces.lock_outs(tiny_run)) == helpers.pipeline_stage_names(tiny_run / "dvc.yaml")
    assert workspaces.lock_outs(tiny_run) == workspaces.lock_outs(recovered)
    assert (tiny_run / "dvc.lock").read_bytes() == (recovered / "dvc.lock").read_bytes()


def test_every_output_is_byte_identical(tiny_run: Path, recovered: Path) -> None:
    first, second = output_files(tiny_run), output_files(recovered)
    assert sorted(first) == sorted(second)
    for name in (
        "reports/report.md",
        "metrics/mnist.json",
        "metrics/mnist_operating_point.json",
        "plots/operating_point/binary_errors.png",
        "metrics/titanic.json",
        "plots/mnist/roc.csv",
    ):
        assert name in first
    assert [name for name in first if first[name] != second[name]] == []


def test_text_outputs_hold_no_path_or_date(recovered: Path) -> None:
    for name, data in output_files(recovered).items():
        if name.endswith((".json", ".csv", ".md")):
            text = data.decode("utf-8")
            assert str(recovered.parent.parent) not in text, name
            assert not re.search(r"\b20\d\d-[01]\d-[0-3]\d\b|\b\d\d:\d\d:\d\d\b", text), name
