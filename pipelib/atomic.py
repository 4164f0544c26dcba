"""Atomic output files: written beside the target, then renamed into place.

A stage killed mid-write leaves the old output or none, never a truncated one.

For the interruption tests only: with PIPELIB_SIGNAL_FILE and PIPELIB_SIGNAL_AT (a glob of target
paths) set, a write to a matching target stops just before the rename, writes ``<pid> <temporary
file>`` to the signal file and waits for the test's signal (no sleep, no race). Unset, nothing.
"""

from __future__ import annotations

import fnmatch
import json
import os
import stat
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pipelib.errors import PipelineError

NAME_MAX = 255  # bytes in one file name (Linux, macOS)
NEW_FILE_MODE = 0o666  # what open() asks for; the user's umask takes away from it


@contextmanager
def atomic_path(target: str | os.PathLike[str], make_parents: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``target``, renamed onto it on success.

    The temporary file is made first, so a target that cannot be written is refused before any
    work; it gets the mode of the file it replaces, or a new file's under the umask.
    ``make_parents`` creates a missing directory (the pipeline's outputs); otherwise it is an error.
    """
    target = Path(target)
    if len(os.fsencode(target.name)) > NAME_MAX:
        raise PipelineError(f"{target}: cannot write (File name too long)")
    if target.is_dir():
        raise PipelineError(f"{target}: a directory, expected a file name")
    if make_parents:
        target.parent.mkdir(parents=True, exist_ok=True)
    elif not target.parent.is_dir():
        shown = f"{target.parent} is not a directory" if target.parent.exists() else f"no directory {target.parent}"
        raise PipelineError(f"{target}: cannot write ({shown})")
    tmp = _create_beside(target)
    try:
        yield tmp
        with open(tmp, "rb") as written:
            os.fsync(written.fileno())
        _wait_for_interruption(target, tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _create_beside(target: Path) -> Path:
    """An empty ``.<name>.<random>.tmp`` beside ``target`` (the name shortened to fit), with the output's mode."""
    room = NAME_MAX - len(".") - len(".12345678.tmp")
    prefix = "." + os.fsdecode(os.fsencode(target.name)[:room]) + "."
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=target.parent)
    except OSError as error:
        raise PipelineError(f"{target}: cannot write ({error.strerror or error})") from None
    try:
        os.fchmod(fd, _output_mode(target))
    finally:
        os.close(fd)
    return Path(tmp_name)


def _output_mode(target: Path) -> int:
    """The mode of the file ``target`` replaces, or a new file's under the umask (mkstemp's own 0600 is neither)."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        return NEW_FILE_MODE & ~_umask()


def _umask() -> int:
    """The process's umask, read without changing it where Linux shows it (``/proc/self/status``)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    current = os.umask(0o022)  # elsewhere: set and restore it
    os.umask(current)
    return current


def _wait_for_interruption(target: Path, tmp: Path) -> None:
    """The interruption tests' stopping point (module docstring); at once unless both variables are set."""
    signal_file, pattern = os.environ.get("PIPELIB_SIGNAL_FILE"), os.environ.get("PIPELIB_SIGNAL_AT")
    if not (signal_file and pattern and fnmatch.fnmatchcase(str(target.absolute()), pattern)):
        return
    ready = Path(f"{signal_file}.{os.getpid()}.tmp")
    ready.write_text(f"{os.getpid()} {tmp.absolute()}\n", encoding="utf-8")
    ready.replace(signal_file)  # appears whole: the test never reads half a line
    while True:  # until the test's signal ends the process (SIGINT raises KeyboardInterrupt here)
        time.sleep(60)


def write_text(target: str | os.PathLike[str], text: str) -> None:
    """Write a text file atomically."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(target: str | os.PathLike[str], data: Any) -> None:
    """Write JSON atomically with sorted keys, so equal data gives equal bytes."""
    write_text(target, json.dumps(data, indent=2, sort_keys=True) + "\n")
