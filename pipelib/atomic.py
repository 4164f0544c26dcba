"""Atomic output files: write beside the target, then rename into place.

A stage killed mid-write leaves the old output or none, never a truncated one.

For the interruption tests only: with PIPELIB_SIGNAL_FILE and PIPELIB_SIGNAL_AT (a glob
matched against the target's absolute path) both set, a write to a matching target stops
once its temporary file is complete, just before the rename, writes ``<pid> <temporary file>``
to the signal file and waits to be interrupted; the test signals the process named there,
with no sleep and no race against a running write. Unset, as everywhere else, it does nothing.
"""

from __future__ import annotations

import fnmatch
import json
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path in the target's directory; rename it onto target on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb") as written:
            os.fsync(written.fileno())
        os.chmod(tmp, 0o644)
        _wait_for_interruption(target, tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _wait_for_interruption(target: Path, tmp: Path) -> None:
    """The interruption tests' stopping point (module docstring); returns at once unless both variables are set."""
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
