"""Model files as plain arrays in a deterministic ``.npz``: loading one never runs code.

A pickle (or joblib) model file executes whatever it was crafted to execute when it is
loaded. These files hold only numeric and string arrays, and nothing in them is unpickled;
the zip entries carry a fixed timestamp, so the same model gives the same bytes. A model
file may come from a DVC remote, so its sizes are checked before anything is unpacked.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from numpy.lib import format as npy_format

from pipelib.atomic import atomic_path
from pipelib.errors import PipelineError
from pipelib.regular_file import open_regular

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
META_KEY = "meta_json"
ZIP_START = b"PK\x03\x04"
PICKLE_START = b"\x80"  # pickle protocol 2 and later
PLAIN_KINDS = "biufUS"  # bool, integers, floats, text: no objects, no structured or raw bytes
ENCRYPTED = 0x1  # bit 0 of a zip entry's general purpose flags (APPNOTE 4.4.4)
# Bounds a model file is checked against before anything in it is unpacked.
MAX_ITEMSIZE = 256  # bytes per element: any number, or text of up to 64 characters
MAX_HEADER_BYTES = 1024  # an .npy header (numpy writes 128 bytes for these arrays)
MAX_META_BYTES = 64 * 1024  # the JSON of the model's metadata
MAX_ZIP_OVERHEAD = 64 * 1024  # zip headers and directory, for a handful of entries
MAX_META_DEPTH = 16  # JSON levels in the metadata: the models write 3
MAX_META_DIGITS = 30  # digits in one JSON integer there (a seed, an iteration count)
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def save_arrays(target: str | os.PathLike[str], arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
    """Write arrays (no object dtype) and a JSON-able ``meta`` dict as one ``.npz`` file."""
    entries = dict(sorted(arrays.items()))
    entries[META_KEY] = np.array(json.dumps(meta, sort_keys=True))
    with atomic_path(target) as tmp, zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, array in entries.items():
            array = np.asarray(array)
            if array.dtype.hasobject:
                raise TypeError(f"model array '{name}' has object dtype; only plain arrays are stored")
            buffer = io.BytesIO()
            np.save(buffer, array, allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, buffer.getvalue())


@dataclass(frozen=True)
class _Bound:
    """The most an entry may hold: ``elements`` values of at most ``itemsize`` bytes each."""

    elements: int
    itemsize: int

    @property
    def entry_bytes(self) -> int:
        """Most bytes the entry can unpack to: its ``.npy`` header and its values."""
        return MAX_HEADER_BYTES + self.elements * self.itemsize


def _read_npy(archive: zipfile.ZipFile, info: zipfile.ZipInfo, key: str, bound: _Bound, where: str) -> np.ndarray:
    """One ``.npy`` entry, its header checked against ``bound`` before its data is read."""
    with archive.open(info) as stream:
        version = npy_format.read_magic(stream)
        if version == (1, 0):
            shape, fortran_order, dtype = npy_format.read_array_header_1_0(stream, max_header_size=MAX_HEADER_BYTES)
        elif version == (2, 0):
            shape, fortran_order, dtype = npy_format.read_array_header_2_0(stream, max_header_size=MAX_HEADER_BYTES)
        else:
            raise ValueError(f"unsupported .npy format version {version[0]}.{version[1]}")
        if dtype.hasobject:
            raise PipelineError(f"{where}: refused, array '{key}' holds pickled objects")
        if dtype.kind not in PLAIN_KINDS or dtype.fields is not None or dtype.subdtype is not None:
            raise PipelineError(f"{where}: entry '{key}' is not a plain numeric or text array")
        elements = math.prod(shape)
        if elements > bound.elements or dtype.itemsize > bound.itemsize:
            raise PipelineError(
                f"{where}: array '{key}' claims shape {shape} of {dtype.str} ({elements:,} elements of "
                f"{dtype.itemsize} bytes), more than the {bound.elements:,} of at most {bound.itemsize} allowed"
            )
        size = elements * dtype.itemsize
        announced = stream.tell() + size
        if info.file_size != announced:
            raise PipelineError(
                f"{where}: entry '{info.filename}' is {info.file_size:,} bytes, its header needs {announced:,}"
            )
        data = stream.read(size)  # no more than the entry holds; its CRC is checked at its end
    if len(data) != size:
        raise PipelineError(f"{where}: entry '{info.filename}' is truncated")
    array = np.frombuffer(data, dtype=dtype).copy()
    return array.reshape(shape[::-1]).transpose() if fortran_order else array.reshape(shape)


def _check_directory(entries: list[zipfile.ZipInfo], bounds: dict[str, _Bound], where: str) -> None:
    """The zip directory names only the expected ``.npy`` entries, once each, within their sizes."""
    names = [info.filename for info in entries]
    for name in names:
        if not name.endswith(".npy") or name.removesuffix(".npy") not in bounds:
            raise PipelineError(f"{where}: unexpected entry {name!r} in the model file")
        if names.count(name) > 1:
            raise PipelineError(f"{where}: entry {name!r} appears twice in the model file")
    declared = sum(info.file_size for info in entries)
    total = sum(bound.entry_bytes for bound in bounds.values())
    if declared > total:
        raise PipelineError(f"{where}: its entries unpack to {declared:,} bytes, more than the {total:,} allowed")
    for info in entries:
        bound = bounds[info.filename.removesuffix(".npy")]
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise PipelineError(f"{where}: entry '{info.filename}' uses an unsupported compression method")
        if info.flag_bits & ENCRYPTED:
            raise PipelineError(f"{where}: entry '{info.filename}' is encrypted")
        if info.file_size > bound.entry_bytes:
            raise PipelineError(
                f"{where}: entry '{info.filename}' unpacks to {info.file_size:,} bytes, "
                f"more than the {bound.entry_bytes:,} allowed"
            )


# What zipfile raises for a broken or unsupported archive: an entry name that is not the UTF-8
# its flags announce (a ValueError, caught before the .npy header's), a newer zip version or a
# feature it does not read (patched data, strong encryption).
_ZIP_ERRORS = (OSError, zipfile.BadZipFile, EOFError, zlib.error, UnicodeDecodeError, NotImplementedError)


def _open_model_file(source: Path) -> BinaryIO:
    stream = open_regular(source, missing="model file not found (run the training stage: dvc repro)")
    head = stream.read(4)
    stream.seek(0)
    if head != ZIP_START:
        stream.close()
        if head[:1] == PICKLE_START:
            raise PipelineError(f"{source}: refused, a pickle file (model files hold plain arrays only)")
        raise PipelineError(f"{source}: not a model file (expected a zip archive of .npy arrays)")
    return stream


def load_arrays(
    source: str | os.PathLike[str], limits: Mapping[str, int], kind: str = "model"
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read a model file written by :func:`save_arrays`: exactly the arrays ``limits`` names, each bounded.

    ``limits`` maps each array to the most elements a model of this ``kind`` has in it. The
    file's size, the sizes in its zip directory and each ``.npy`` header are checked against
    them before anything is decompressed or allocated, so a small crafted file (a deflate
    bomb, a header claiming 2**45 elements) is refused, never unpacked. Nothing in the file
    is unpickled: a crafted file can at worst be refused, never run code.
    """
    source = Path(source)
    where = str(source)
    bounds = {key: _Bound(elements, MAX_ITEMSIZE) for key, elements in limits.items()}
    bounds[META_KEY] = _Bound(1, MAX_META_BYTES)
    most = sum(bound.entry_bytes for bound in bounds.values())
    arrays: dict[str, np.ndarray] = {}
    key = ""
    with _open_model_file(source) as stream:
        file_size = os.fstat(stream.fileno()).st_size
        if file_size > most + most // 100 + MAX_ZIP_OVERHEAD:  # deflate can grow incompressible data a little
            raise PipelineError(f"{source}: {file_size:,} bytes, more than a {kind} file can take")
        try:
            with zipfile.ZipFile(stream) as archive:
                entries = archive.infolist()
                _check_directory(entries, bounds, where)
                for info in entries:
                    key = info.filename.removesuffix(".npy")
                    arrays[key] = _read_npy(archive, info, key, bounds[key], where)
        except _ZIP_ERRORS as error:
            raise PipelineError(f"{source}: not a readable model file ({error})") from None
        except ValueError as error:  # a malformed .npy header
            raise PipelineError(f"{source}: array '{key}' is not a readable .npy array ({error})") from None
    missing = [name for name in bounds if name not in arrays]
    if missing:
        raise PipelineError(f"{source}: model file lacks {', '.join(missing)}")
    return arrays, parse_meta(str(arrays.pop(META_KEY)), where)


def read_meta(source: str | os.PathLike[str]) -> dict[str, Any]:
    """Only the metadata of a model file (what wrote it, its kind and parameters), bounded like the rest.

    Lets a caller say "a Titanic model, expected an MNIST one" before it knows which arrays
    to expect; the other entries are not read.
    """
    source = Path(source)
    where = str(source)
    with _open_model_file(source) as stream:
        try:
            with zipfile.ZipFile(stream) as archive:
                info = next((entry for entry in archive.infolist() if entry.filename == f"{META_KEY}.npy"), None)
                if info is None:
                    raise PipelineError(f"{source}: model file lacks {META_KEY}")
                bound = _Bound(1, MAX_META_BYTES)
                _check_directory([info], {META_KEY: bound}, where)
                raw = _read_npy(archive, info, META_KEY, bound, where)
        except _ZIP_ERRORS as error:
            raise PipelineError(f"{source}: not a readable model file ({error})") from None
        except ValueError as error:
            raise PipelineError(f"{source}: array '{META_KEY}' is not a readable .npy array ({error})") from None
    return parse_meta(str(raw), where)


def _nesting(text: str) -> int:
    """How deep ``[`` and ``{`` nest in JSON text, strings left out."""
    depth = deepest = 0
    for char in _JSON_STRING.sub("", text):
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def parse_meta(text: str, where: str) -> dict[str, Any]:
    """A model's metadata JSON, refused unparsed if it nests deeper or holds longer integers than any model writes.

    ``json.loads`` recurses once per level (a RecursionError at about a thousand) and
    converts integers of any length (a ValueError past 4,300 digits).
    """
    refused = PipelineError(
        f"{where}: '{META_KEY}' is not a JSON object of at most {MAX_META_DEPTH} levels "
        f"and integers of at most {MAX_META_DIGITS} digits"
    )

    def bounded_int(digits: str) -> int:
        if len(digits.lstrip("-")) > MAX_META_DIGITS:
            raise refused
        return int(digits)

    if _nesting(text) > MAX_META_DEPTH:
        raise refused
    try:
        meta = json.loads(text, parse_int=bounded_int)
    except json.JSONDecodeError:
        meta = None
    if not isinstance(meta, dict):
        raise PipelineError(f"{where}: '{META_KEY}' is not a JSON object")
    return meta
