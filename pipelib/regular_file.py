"""Opening a file a user named, refused at once unless it is a regular file.

A FIFO blocks a reader until someone writes and ``/dev/zero`` never ends: both are refused after
an open that cannot block (``O_NONBLOCK``), so the file checked is the file read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from pipelib.errors import PipelineError

KINDS = {
    stat.S_IFDIR: "a directory",
    stat.S_IFIFO: "a FIFO",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


def open_regular(
    path: str | os.PathLike[str],
    missing: str = "no such file or directory",
    shown: str | os.PathLike[str] | None = None,
    follow: bool = True,
) -> BinaryIO:
    """``path`` opened for binary reading; a PipelineError naming ``shown`` (or ``path``) if missing or not regular."""
    shown = shown or Path(path)
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | (0 if follow else os.O_NOFOLLOW)
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        raise PipelineError(f"{shown}: {missing}") from None
    except OSError as error:
        raise PipelineError(f"{shown}: not readable ({error.strerror or error})") from None
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):
        os.close(descriptor)
        raise PipelineError(f"{shown}: not a regular file ({KINDS.get(stat.S_IFMT(mode), 'a special file')})")
    return os.fdopen(descriptor, "rb")


def read_regular(
    path: str | os.PathLike[str],
    max_bytes: int,
    missing: str = "no such file or directory",
    shown: str | os.PathLike[str] | None = None,
    follow: bool = True,
) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``; a larger file is refused by its size, not read."""
    shown = shown or path
    with open_regular(path, missing, shown, follow) as stream:
        size = os.fstat(stream.fileno()).st_size
        if size > max_bytes:
            raise PipelineError(f"{shown}: {size:,} bytes, more than the {max_bytes:,} allowed for this file")
        # the size it has, then one byte more: a buffer of max_bytes is never allocated for a small file
        data = stream.read(size + 1)
        while len(data) > size and len(data) <= max_bytes:  # it grew while being read: read on, bounded
            more = stream.read(min(1 << 20, max_bytes + 1 - len(data)))
            if not more:
                break
            data += more
    if len(data) > max_bytes:  # grew while being read
        raise PipelineError(f"{shown}: more than the {max_bytes:,} bytes allowed for this file")
    return data
