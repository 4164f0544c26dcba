"""Where local copies of the data sets live, and how files are read from them: checked, inside, once.

A mirror is a directory with ``mnist/`` and ``titanic/``, named by ``DATA_MIRROR`` or found at
``../shared/data``; it is not a parameter (it changes where the bytes come from, not the data).
Its files must match the published checksums recorded in the code (its own ``SHA256SUMS`` only
with ``DATA_MIRROR_TRUST_SUMS=1``), hashed from the one read that is parsed; a symlink out of the
mirror is refused (docs/trust.md).
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from pipelib.errors import PipelineError
from pipelib.regular_file import read_regular

MIRROR_ENV = "DATA_MIRROR"
TRUST_SUMS_ENV = "DATA_MIRROR_TRUST_SUMS"
CHECKSUM_FILE = "SHA256SUMS"
MAX_CHECKSUM_FILE_BYTES = 64 * 1024
# GNU sha256sum: the sum, a space, a mode mark (space for text, * for binary), the name as given
# (``sha256sum ./a.gz`` writes ``./a.gz``); BSD's ``sha256 -r``: the sum, a space, the name.
CHECKSUM_LINE = re.compile(r"\s*(?P<sum>[0-9A-Fa-f]{64})[ \t](?P<mode>[ *]?)(?P<name>\S+)\s*")


def find_mirror(subdir: str) -> Path | None:
    """The mirror directory holding ``subdir``: ``$DATA_MIRROR``'s (must exist), else ``../shared/data``'s or None."""
    configured = os.environ.get(MIRROR_ENV)
    if configured:
        root = Path(configured)
        if not (root / subdir).is_dir():
            raise PipelineError(f"{MIRROR_ENV}={configured}: no '{subdir}' directory in this mirror")
        return root / subdir
    root = Path.cwd().resolve().parent / "shared" / "data"
    return root / subdir if (root / subdir).is_dir() else None


def trusts_mirror_sums() -> bool:
    """Whether the user opted in to mirrors' own ``SHA256SUMS`` (``DATA_MIRROR_TRUST_SUMS=1``)."""
    value = os.environ.get(TRUST_SUMS_ENV, "")
    if value not in ("", "0", "1"):
        raise PipelineError(f"{TRUST_SUMS_ENV}={value}: expected 1 (use a mirror's own SHA256SUMS) or 0")
    return value == "1"


def read_inside(directory: Path, name: str, max_bytes: int) -> bytes:
    """The bytes of ``directory/name`` (symlinks inside are fine); refused if it leads out of ``directory``."""
    path = directory / name
    try:
        inside = directory.resolve(strict=True)
        real = path.resolve(strict=True)
    except FileNotFoundError:
        raise PipelineError(f"{path}: file not found in the mirror") from None
    except (OSError, RuntimeError) as error:  # a symlink loop
        raise PipelineError(f"{path}: not readable ({error})") from None
    if not real.is_relative_to(inside):
        raise PipelineError(f"{path}: refused, a symlink to {real}, outside the mirror directory {inside}")
    # not following a symlink swapped in since the check: the file checked is the file read
    return read_regular(real, max_bytes, "file not found in the mirror", shown=path, follow=False)


@dataclass(frozen=True)
class Checksums:
    """The checksums a mirror's files must match, and where they come from."""

    sums: dict[str, str]
    algorithm: str
    ignored_list: bool = False  # the mirror has a SHA256SUMS that was not used (no opt-in)


def _listed_name(name: str, listing: Path, number: int) -> str:
    """The file name a list entry names in the list's directory (``./a.gz`` is ``a.gz``); a path elsewhere refused."""
    bare = name
    while bare.startswith("./"):
        bare = bare[2:]
    if "/" in bare or bare in ("", ".", ".."):
        raise PipelineError(
            f"{listing}: line {number} lists '{name}', not a file in this directory (a name, or ./name, expected)"
        )
    return bare


def parse_checksum_list(text: str, listing: Path) -> dict[str, str]:
    """``sha256sum`` output (``<hex>  <name>`` or ``<hex> *<name>``, the name maybe ``./<name>``) as {name: hex}.

    The hex is lower-cased. Only files of the list's own directory are listed: a path out of it
    (``../x``, ``/x``, ``sub/x``) is refused, as is a file listed twice with two different sums.
    """
    sums: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = CHECKSUM_LINE.fullmatch(line)
        if match is None:
            raise PipelineError(f"{listing}: line {number} is not '<sha256>  <file name>'")
        name, digest = _listed_name(match["name"], listing, number), match["sum"].lower()
        if sums.get(name, digest) != digest:
            raise PipelineError(f"{listing}: line {number} lists {name} again, with another sha256")
        sums[name] = digest
    return sums


def mirror_checksums(directory: Path, published: dict[str, str], algorithm: str) -> Checksums:
    """The published checksums, or the mirror's own ``SHA256SUMS`` when the user opted in and it has one."""
    listing = directory / CHECKSUM_FILE
    if not os.path.lexists(listing):
        return Checksums(published, algorithm)
    if not trusts_mirror_sums():
        return Checksums(published, algorithm, ignored_list=True)
    data = read_inside(directory, CHECKSUM_FILE, MAX_CHECKSUM_FILE_BYTES)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise PipelineError(f"{listing}: not UTF-8 text, expected '<sha256>  <file name>' lines") from None
    return Checksums(parse_checksum_list(text, listing), "sha256")


def read_verified(directory: Path, name: str, checksums: Checksums, max_bytes: int) -> bytes:
    """The bytes of a mirror file, hashed as read and refused unless they match ``checksums``."""
    path = directory / name
    if not os.path.lexists(path):
        raise PipelineError(f"{path}: file not found in the mirror")
    if name not in checksums.sums:
        raise PipelineError(f"{path}: no recorded {checksums.algorithm} checksum for this file")
    data = read_inside(directory, name, max_bytes)
    actual = hashlib.new(checksums.algorithm, data).hexdigest()
    expected = checksums.sums[name]
    if actual != expected:
        hint = f"; this mirror's {CHECKSUM_FILE} is used only with {TRUST_SUMS_ENV}=1" if checksums.ignored_list else ""
        raise PipelineError(
            f"{path}: {checksums.algorithm} {actual} does not match the recorded {expected} "
            f"(a corrupt or different file{hint})"
        )
    return data
