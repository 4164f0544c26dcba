"""Where local copies of the data sets live, and checksums of the files read from them.

A mirror is a directory with ``mnist/`` (the four IDX ``.gz`` files) and ``titanic/``
(``train.csv``, ``test.csv``). It is named by the ``DATA_MIRROR`` environment variable or
found at ``../shared/data`` beside the project. Its location is not a parameter: it does
not change the data, only where the bytes come from.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from pipelib.errors import PipelineError

MIRROR_ENV = "DATA_MIRROR"
CHECKSUM_FILE = "SHA256SUMS"


def find_mirror(subdir: str) -> Path | None:
    """The mirror directory holding ``subdir`` (``mnist`` or ``titanic``), or None.

    ``DATA_MIRROR`` wins when set (and must exist); otherwise ``../shared/data`` (beside
    the working directory, the project's root when DVC runs a stage) is used when it is there.
    """
    configured = os.environ.get(MIRROR_ENV)
    if configured:
        root = Path(configured)
        if not (root / subdir).is_dir():
            raise PipelineError(f"{MIRROR_ENV}={configured}: no '{subdir}' directory in this mirror")
        return root / subdir
    root = Path.cwd().resolve().parent / "shared" / "data"
    return root / subdir if (root / subdir).is_dir() else None


def file_digest(path: Path, algorithm: str) -> str:
    """Hex digest of a file, read in chunks."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def mirror_checksums(directory: Path) -> dict[str, str] | None:
    """A mirror's own ``SHA256SUMS`` (``sha256sum`` format), when it carries one.

    Small test mirrors and re-packed copies carry their own list; the real data sets are
    checked against the published checksums recorded in the code.
    """
    listing = directory / CHECKSUM_FILE
    if not listing.is_file():
        return None
    try:
        lines = listing.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise PipelineError(f"{listing}: not UTF-8 text, expected '<sha256>  <file name>' lines") from None
    sums: dict[str, str] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 2 or len(parts[0]) != 64:
            raise PipelineError(f"{listing}: line {number} is not '<sha256>  <file name>'")
        sums[parts[1].lstrip("*")] = parts[0].lower()
    return sums


def verify_file(path: Path, expected: dict[str, str], algorithm: str) -> None:
    """Check ``path`` against ``expected[path.name]``; a mismatch or an unlisted file is an error."""
    if not path.is_file():
        raise PipelineError(f"{path}: file not found in the mirror")
    if path.name not in expected:
        raise PipelineError(f"{path}: no recorded {algorithm} checksum for this file")
    actual = file_digest(path, algorithm)
    if actual != expected[path.name]:
        raise PipelineError(
            f"{path}: {algorithm} {actual} does not match the recorded {expected[path.name]} "
            "(a corrupt or different file)"
        )
