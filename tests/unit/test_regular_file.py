"""Opening and reading a file a user named (``pipelib.regular_file``): regular files only, bounded reads.

The special files are real ones made here or given by the OS (a FIFO, a Unix socket, a
directory, ``/dev/null``, a block device under ``/dev``); the error texts are written out, the
OS's own part taken from ``os.strerror``. ``/proc`` files state a size of 0 and hold more
bytes, which is how a file that grew after its size was read looks to the reader.
"""

from __future__ import annotations

import errno
import fcntl
import os
import signal
import socket
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from pipelib.errors import PipelineError
from pipelib.regular_file import open_regular, read_regular

PROC_FD = Path("/proc/self/fd")
PROC_VERSION = Path("/proc/version")  # one line, the same on every read
linux_proc = pytest.mark.skipif(not (PROC_FD.is_dir() and PROC_VERSION.is_file()), reason="needs Linux's /proc")


def refusal(call: Callable[[], object]) -> str:
    """The text of the PipelineError ``call`` raises."""
    with pytest.raises(PipelineError) as caught:
        call()
    return str(caught.value)


def opened(path: Path | str, **options: object) -> bytes:
    """What ``open_regular`` gives, read to the end and closed."""
    with open_regular(path, **options) as stream:  # type: ignore[arg-type]
        return stream.read()


class Blocked(Exception):
    """The call did not return in time (not an OSError, so no ``except OSError`` takes it for a refusal)."""


@contextmanager
def within(seconds: float) -> Iterator[None]:
    """Raise Blocked in the body if it takes longer than ``seconds`` (an open blocked on a FIFO included)."""

    def expire(signum: int, frame: object) -> None:
        raise Blocked(f"still blocked after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def block_device() -> Path | None:
    """A block device under /dev this process may open (loop devices first), or None."""
    devices = sorted(Path("/dev").iterdir(), key=lambda path: (not path.name.startswith("loop"), path.name))
    for path in devices:
        try:
            if not stat.S_ISBLK(path.lstat().st_mode):
                continue
            os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK))
        except OSError:
            continue
        return path
    return None


# --- open_regular: what it opens -----------------------------------------------------------------------


def test_a_regular_file_is_opened_for_binary_reading(tmp_path: Path) -> None:
    path = tmp_path / "model.bin"
    path.write_bytes(b"\x00\x01 bytes\n")
    with open_regular(path) as stream:
        assert stream.mode == "rb"
        assert stream.read() == b"\x00\x01 bytes\n"
    assert stream.closed
    assert opened(str(path)) == b"\x00\x01 bytes\n"  # a str path as well
    (tmp_path / "empty").write_bytes(b"")
    assert opened(tmp_path / "empty") == b""


def test_the_descriptor_is_closed_on_exec(tmp_path: Path) -> None:
    """A program the pipeline runs later inherits no descriptor of a file the user named."""
    path = tmp_path / "model.bin"
    path.write_bytes(b"x")
    with open_regular(path) as stream:
        assert fcntl.fcntl(stream.fileno(), fcntl.F_GETFD) & fcntl.FD_CLOEXEC


def test_a_symlink_is_followed_unless_told_not_to(tmp_path: Path) -> None:
    target = tmp_path / "target.bin"
    target.write_bytes(b"linked bytes")
    link = tmp_path / "link.bin"
    link.symlink_to(target)
    assert opened(link) == b"linked bytes"
    assert opened(link, follow=True) == b"linked bytes"
    assert refusal(lambda: open_regular(link, follow=False)) == f"{link}: not readable ({os.strerror(errno.ELOOP)})"
    assert opened(target, follow=False) == b"linked bytes"  # a regular file is opened either way


# --- open_regular: what it refuses ----------------------------------------------------------------------


def test_a_missing_file_is_named_with_the_missing_text(tmp_path: Path) -> None:
    path = tmp_path / "absent.skops"
    assert refusal(lambda: open_regular(path)) == f"{path}: no such file or directory"
    missing = "model file not found (run the training stage: dvc repro)"
    assert refusal(lambda: open_regular(path, missing)) == f"{path}: {missing}"
    assert refusal(lambda: open_regular(path, shown="models/absent.skops")) == (
        "models/absent.skops: no such file or directory"
    )
    dangling = tmp_path / "dangling"
    dangling.symlink_to(path)
    assert refusal(lambda: open_regular(dangling)) == f"{dangling}: no such file or directory"


def test_a_directory_is_refused(tmp_path: Path) -> None:
    assert refusal(lambda: open_regular(tmp_path)) == f"{tmp_path}: not a regular file (a directory)"
    assert refusal(lambda: open_regular(tmp_path, shown="the data")) == "the data: not a regular file (a directory)"
    link = tmp_path / "link"
    link.symlink_to(tmp_path)
    assert refusal(lambda: open_regular(link)) == f"{link}: not a regular file (a directory)"


def test_a_fifo_is_refused_at_once(tmp_path: Path) -> None:
    """No process writes to it: an open that waited for a writer would never return."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with within(5):
        assert refusal(lambda: open_regular(fifo)) == f"{fifo}: not a regular file (a FIFO)"
        assert refusal(lambda: read_regular(fifo, 100)) == f"{fifo}: not a regular file (a FIFO)"
        link = tmp_path / "link"
        link.symlink_to(fifo)
        assert refusal(lambda: open_regular(link)) == f"{link}: not a regular file (a FIFO)"


@pytest.mark.skipif(not Path("/dev/null").exists(), reason="no /dev/null")
def test_a_character_device_is_refused() -> None:
    assert refusal(lambda: open_regular("/dev/null")) == "/dev/null: not a regular file (a character device)"
    with within(5):  # /dev/zero never ends: refused before any read
        assert refusal(lambda: read_regular("/dev/zero", 100)) == "/dev/zero: not a regular file (a character device)"


def test_a_block_device_is_refused() -> None:
    device = block_device()
    if device is None:
        pytest.skip("no block device this process may open")
    assert refusal(lambda: open_regular(device)) == f"{device}: not a regular file (a block device)"


@linux_proc
def test_a_socket_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Linux refuses to open a Unix socket's path at all (ENXIO): the open's own error is shown."""
    monkeypatch.chdir(tmp_path)  # a short relative path: a socket's path is limited to about 100 bytes
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind("s")
        assert refusal(lambda: open_regular("s")) == f"s: not readable ({os.strerror(errno.ENXIO)})"


@linux_proc
def test_no_descriptor_is_left_open_by_a_refusal(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    large = tmp_path / "large"
    large.write_bytes(b"12345")
    before = sorted(os.listdir(PROC_FD))
    for call in (
        lambda: open_regular(tmp_path),
        lambda: open_regular(fifo),
        lambda: open_regular("/dev/null"),
        lambda: open_regular(tmp_path / "absent"),
        lambda: read_regular(large, 4),
    ):
        with within(5):
            refusal(call)
    assert sorted(os.listdir(PROC_FD)) == before


# --- read_regular -----------------------------------------------------------------------------------


def test_a_file_of_at_most_max_bytes_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "ten.bin"
    path.write_bytes(b"0123456789")
    assert read_regular(path, 10) == b"0123456789"  # exactly the limit
    assert read_regular(path, 11) == b"0123456789"
    assert read_regular(path, 10**9) == b"0123456789"  # a large limit, a small file
    (tmp_path / "empty").write_bytes(b"")
    assert read_regular(tmp_path / "empty", 0) == b""


def test_a_file_over_max_bytes_is_refused_by_its_size(tmp_path: Path) -> None:
    path = tmp_path / "eleven.bin"
    path.write_bytes(b"0123456789A")
    assert refusal(lambda: read_regular(path, 10)) == f"{path}: 11 bytes, more than the 10 allowed for this file"
    large = tmp_path / "large.bin"
    large.write_bytes(b"x" * 1001)
    assert refusal(lambda: read_regular(str(large), 1000, shown="the model")) == (
        "the model: 1,001 bytes, more than the 1,000 allowed for this file"
    )
    assert refusal(lambda: read_regular(path, 0)) == f"{path}: 11 bytes, more than the 0 allowed for this file"


def test_read_regular_names_a_missing_file_and_follows_symlinks(tmp_path: Path) -> None:
    path = tmp_path / "absent.csv"
    assert refusal(lambda: read_regular(path, 100)) == f"{path}: no such file or directory"
    assert refusal(lambda: read_regular(str(path), 100, "not found")) == f"{path}: not found"
    assert refusal(lambda: read_regular(path, 100, shown="input.csv")) == "input.csv: no such file or directory"
    target = tmp_path / "target.csv"
    target.write_bytes(b"a,b\n")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    assert read_regular(link, 100) == b"a,b\n"
    assert refusal(lambda: read_regular(link, 100, follow=False)) == (
        f"{link}: not readable ({os.strerror(errno.ELOOP)})"
    )
    assert refusal(lambda: read_regular(tmp_path, 100)) == f"{tmp_path}: not a regular file (a directory)"


@linux_proc
def test_a_file_holding_more_than_its_stated_size_is_read_on() -> None:
    """/proc/version states 0 bytes: the bytes past the stated size are read, up to max_bytes."""
    assert PROC_VERSION.stat().st_size == 0
    with PROC_VERSION.open("rb") as stream:  # the kernel's text, read without the code under test
        text = stream.read()
    assert len(text) > 2
    assert read_regular(PROC_VERSION, 10**6) == text
    assert read_regular(PROC_VERSION, len(text)) == text  # exactly the limit
    assert read_regular(PROC_VERSION, len(text) + 1) == text


@linux_proc
@pytest.mark.parametrize(
    "limit_of",
    [lambda size: size - 1, lambda size: size - 2, lambda size: size // 2, lambda size: 1, lambda size: 0],
    ids=["one-short", "two-short", "half", "one-byte", "none"],
)
def test_a_file_holding_more_than_max_bytes_is_refused_as_read(limit_of: Callable[[int], int]) -> None:
    """The bound holds on the bytes read, not the stated size (0): a limit short of the text is refused."""
    with PROC_VERSION.open("rb") as stream:
        limit = limit_of(len(stream.read()))
    assert refusal(lambda: read_regular(PROC_VERSION, limit)) == (
        f"{PROC_VERSION}: more than the {limit:,} bytes allowed for this file"
    )
