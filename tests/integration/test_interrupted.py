"""Interrupted runs: a killed stage leaves no truncated output, and ``dvc repro`` then finishes as a clean run.

* the writer: a process writing a large parquet file through ``pipelib.tables`` is killed
  (SIGKILL) or interrupted (SIGINT) partway through; the target keeps its old bytes.
  A SIGKILL leaves the half-written temporary file (``.<name>.<random>.tmp``, beside the
  target) since no cleanup can run; the next write ignores it. A SIGINT leaves nothing.
* the pipeline: one tiny project's ``dvc repro`` is interrupted three times, at three
  stages: SIGKILL of the stage alone (DVC survives and reports it), SIGKILL of DVC's whole
  process group while a stage is writing an output (DVC dies, leaving its lock entries
  for dead pids, which the next DVC removes), and Ctrl-C (SIGINT to the group). After each,
  every output present reads cleanly; then ``dvc repro`` finishes, and dvc.lock equals a
  clean run's.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import helpers
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import workspaces

from pipelib.mnist.dataset import PIXELS, read_mnist, write_mnist
from pipelib.mnist.fitting import load_model
from pipelib.titanic.model import TitanicModel

# --- one writer killed mid-write -------------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import sys
    import numpy as np
    from pipelib.mnist.dataset import write_mnist
    rows = int(sys.argv[2])
    pixels = np.random.default_rng(0).integers(0, 256, size=(rows, 784), dtype=np.uint8)
    print("writing", flush=True)
    write_mnist(pixels, (np.arange(rows) % 10).astype(np.uint8), sys.argv[1])
    """
)
WRITER_ROWS = 100_000  # 78 MB of incompressible pixels: the write takes a tenth of a second or more
PARTWAY = 1 << 20  # signal the writer once its temporary file holds this many bytes


def temp_files(directory: Path) -> list[Path]:
    """Temporary files of atomic writes in ``directory`` (none if it is not there)."""
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return []
    return sorted(directory / name for name in names if name.startswith(".") and name.endswith(".tmp"))


def interrupt_writer(target: Path, how: signal.Signals) -> int:
    """Run WRITER on ``target`` and send it ``how`` while its temporary file is partly written; its exit status."""
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(target), str(WRITER_ROWS)],
        cwd=helpers.REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "writing"
        deadline = time.monotonic() + 60
        while not any(path.stat().st_size >= PARTWAY for path in temp_files(target.parent) if path.exists()):
            assert process.poll() is None, "the writer finished before it could be interrupted"
            assert time.monotonic() < deadline, "the writer never started writing"
            time.sleep(0.001)
        process.send_signal(how)
        return process.wait(timeout=60)
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
    assert interrupt_writer(target, signal.SIGKILL) == -signal.SIGKILL
    assert target.read_bytes() == old
    (stray,) = temp_files(target.parent)  # a kill allows no cleanup: the partial temporary file stays
    assert stray.name.startswith(f".{target.name}.") and stray.parent == target.parent
    with pytest.raises((pa.ArrowInvalid, OSError)):
        pq.read_table(stray)
    stray_bytes = stray.read_bytes()

    pixels, labels = helpers.synthetic_digits(40, seed=1)
    write_mnist(pixels, labels, target)  # the next write is not confused by the stray file
    read_pixels, read_labels = read_mnist(target)
    assert np.array_equal(read_pixels, pixels) and np.array_equal(read_labels, labels)
    assert temp_files(target.parent) == [stray] and stray.read_bytes() == stray_bytes


def test_writer_interrupted_mid_write_cleans_up(old_file: tuple[Path, bytes]) -> None:
    target, old = old_file
    assert interrupt_writer(target, signal.SIGINT) != 0
    assert temp_files(target.parent) == []
    pixels, _ = read_mnist(target)  # old or, if the signal came after the rename, the complete new file
    assert target.read_bytes() == old or len(pixels) == WRITER_ROWS


T = TypeVar("T")

# --- dvc repro interrupted three times -----------------------------------------------------------


@dataclass(frozen=True)
class Interruption:
    """Where and how a running ``dvc repro`` is interrupted."""

    stage: str  # the dvc.yaml stage running at the time
    how: signal.Signals
    group: bool  # signal DVC's whole process group (as a terminal's Ctrl-C does), else the stage alone
    mid_write: bool  # as soon as the stage's first temporary output file appears, else 0.5 s into the stage


INTERRUPTIONS = [
    Interruption("train_softmax@softmax", signal.SIGKILL, group=False, mid_write=False),
    Interruption("figures_mnist", signal.SIGKILL, group=True, mid_write=True),
    Interruption("train_titanic", signal.SIGINT, group=True, mid_write=False),
]


def parent_pid(pid: int) -> int | None:
    """The parent of ``pid`` from /proc; None once it has exited."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def descends_from(pid: int, ancestor: int) -> bool:
    """Whether ``ancestor`` is a parent, grandparent... of ``pid``.

    DVC runs a stage's cmd through ``$SHELL -c`` (``/bin/sh`` when SHELL is unset, as in CI);
    bash execs the command in place, dash forks it, so the stage is DVC's child or grandchild.
    """
    while pid > 1:
        parent = parent_pid(pid)
        if parent is None:
            return False
        if parent == ancestor:
            return True
        pid = parent
    return False


def stage_process(project: Path, dvc: int, command: workspaces.StageCommand) -> int | None:
    """The pid of ``command`` run under DVC (pid ``dvc``) in ``project``, read from /proc; None if not running."""
    wanted = ["-m", f"stages.{command.module}", *command.args]
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().decode().split("\0")[:-1]
            cwd = os.readlink(entry / "cwd")
        except (OSError, ValueError):
            continue
        if argv[1:] == wanted and cwd == str(project) and descends_from(int(entry.name), dvc):
            return int(entry.name)
    return None


def wait_until(condition: Callable[[], T | None], dvc: subprocess.Popen[str], what: str) -> T:
    """Poll ``condition`` until it is truthy; fail if DVC exits first or two minutes pass."""
    deadline = time.monotonic() + 120
    while not (found := condition()):
        if dvc.poll() is not None:
            raise AssertionError(f"dvc exited {dvc.returncode} before {what}:\n{dvc.communicate()[0]}")
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.002)
    return found


def interrupt(project: Path, mirror: Path, interruption: Interruption) -> tuple[int, str]:
    """Start ``dvc repro`` and interrupt it as told; DVC's pid and output."""
    commands = workspaces.stage_commands(project / "dvc.yaml")
    command = commands[interruption.stage]
    dvc = workspaces.start_dvc(project, mirror, "repro")
    try:
        pid = wait_until(lambda: stage_process(project, dvc.pid, command), dvc, f"stage {interruption.stage}")
        if interruption.mid_write:
            directories = {(project / out).parent for out in command.outs} | {project / out for out in command.outs}
            wait_until(
                lambda: [temp for path in directories for temp in temp_files(path)],
                dvc,
                f"an output of {interruption.stage} being written",
            )
        else:
            time.sleep(0.5)
            assert stage_process(project, dvc.pid, command) == pid, f"{interruption.stage} ended before the signal"
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
    return dvc.pid, output


def assert_complete(path: Path) -> None:
    """An output file reads back whole in its format."""
    if path.suffix == ".parquet":
        pq.read_table(path, page_checksum_verification=True)
    elif path.name == "titanic.npz":
        TitanicModel.load(path)
    elif path.suffix == ".npz":
        load_model(path, PIXELS)
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


def test_repro_after_interruptions_equals_a_clean_run(
    tmp_path: Path, tiny_mirror: Path, clean_runs: tuple[Path, Path]
) -> None:
    project = workspaces.tiny_project(tmp_path / "project")
    dead_dvc_left_locks = False
    for interruption in INTERRUPTIONS:
        dvc_pid, output = interrupt(project, tiny_mirror, interruption)
        if dead_dvc_left_locks:
            assert "had been killed. Auto removed it from the lock file" in output, output
        strays = check_outputs(project)
        holders = rwlock_pids(project)
        assert not any(Path(f"/proc/{pid}").exists() for pid in holders), "only dead processes hold lock entries"
        dead_dvc_left_locks = interruption.group and interruption.how == signal.SIGKILL
        if dead_dvc_left_locks:
            # DVC died too and cleaned up nothing: its lock entries stay (the next DVC removes
            # those in its way), and so does the temporary file of the interrupted write.
            assert dvc_pid in holders
            assert strays and all(stray.name.startswith(".") for stray in strays), strays
        else:
            assert f"failed to reproduce '{interruption.stage}'" in output, output
            assert dvc_pid not in holders, "DVC released its own locks"
        if interruption.how == signal.SIGINT:
            assert "error: interrupted" in output and "Traceback" not in output, output
            assert strays == [], strays
    helpers.run_dvc(project, tiny_mirror, "repro")
    assert check_outputs(project) == []
    assert json.loads(helpers.run_dvc(project, tiny_mirror, "status", "--json").stdout) == {}
    assert workspaces.lock_outs(project) == workspaces.lock_outs(clean_runs[0])
