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
from pathlib import Path
from typing import Any

import numpy as np

from pipelib.atomic import atomic_path
from pipelib.errors import PipelineError

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
META_KEY = "meta_json"


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
    """Read a model file written by :func:`save_arrays`; refuse pickled or incomplete ones."""
    source = Path(source)
    try:
        with np.load(source, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except FileNotFoundError:
        raise PipelineError(f"{source}: model file not found (run the training stage: dvc repro)") from None
    except ValueError as error:  # numpy refuses object arrays when allow_pickle=False
        raise PipelineError(f"{source}: refused, the model file holds pickled objects ({error})") from None
    except (OSError, zipfile.BadZipFile, EOFError) as error:
        raise PipelineError(f"{source}: not a readable model file ({error})") from None
    missing = [name for name in [*required, META_KEY] if name not in arrays]
    if missing:
        raise PipelineError(f"{source}: model file lacks {', '.join(missing)}")
    meta = json.loads(str(arrays.pop(META_KEY)))
    return arrays, meta
