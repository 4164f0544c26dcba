"""Model files as plain arrays in a deterministic ``.npz``: loading one never runs code.

A pickle (or joblib) model file executes whatever it was crafted to execute when it is
loaded. These files hold only numeric and string arrays, read with ``allow_pickle=False``;
the zip entries carry a fixed timestamp, so the same model gives the same bytes.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from pipelib.atomic import atomic_path
from pipelib.errors import PipelineError

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
META_KEY = "meta_json"
ZIP_START = b"PK\x03\x04"
PICKLE_START = b"\x80"  # pickle protocol 2 and later
PLAIN_KINDS = "biufUS"  # bool, integers, floats, text: no objects, no structured or raw bytes


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


def load_arrays(source: str | os.PathLike[str], required: list[str]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read a model file written by :func:`save_arrays`; refuse pickled, foreign or incomplete ones.

    The file must be a zip archive of ``.npy`` arrays; nothing in it is unpickled, so a
    crafted file can at worst be refused, never run code.
    """
    source = Path(source)
    try:
        with open(source, "rb") as stream:
            head = stream.read(4)
    except FileNotFoundError:
        raise PipelineError(f"{source}: model file not found (run the training stage: dvc repro)") from None
    except OSError as error:
        raise PipelineError(f"{source}: not a readable model file ({error.strerror or error})") from None
    if head[:1] == PICKLE_START:
        raise PipelineError(f"{source}: refused, a pickle file (model files hold plain arrays only)")
    if head != ZIP_START:
        raise PipelineError(f"{source}: not a model file (expected a zip archive of .npy arrays)")
    arrays: dict[str, np.ndarray] = {}
    name = ""
    try:
        with np.load(source, allow_pickle=False) as archive:
            for name in archive.files:
                arrays[name] = archive[name]
    except ValueError as error:
        if "Object arrays cannot be loaded" in str(error):  # numpy refuses pickled arrays with allow_pickle=False
            raise PipelineError(f"{source}: refused, array '{name}' holds pickled objects") from None
        raise PipelineError(f"{source}: array '{name}' is not a readable .npy array ({error})") from None
    except (OSError, zipfile.BadZipFile, EOFError, zlib.error) as error:
        raise PipelineError(f"{source}: not a readable model file ({error})") from None
    for key, value in arrays.items():
        if not isinstance(value, np.ndarray) or value.dtype.kind not in PLAIN_KINDS:
            raise PipelineError(f"{source}: entry '{key}' is not a plain numeric or text array")
    missing = [key for key in [*required, META_KEY] if key not in arrays]
    if missing:
        raise PipelineError(f"{source}: model file lacks {', '.join(missing)}")
    try:
        meta = json.loads(str(arrays.pop(META_KEY)))
    except json.JSONDecodeError:
        meta = None
    if not isinstance(meta, dict):
        raise PipelineError(f"{source}: '{META_KEY}' is not a JSON object")
    return arrays, meta
