"""Fitted scikit-learn estimators as skops files: no pickle, the same bytes for the same fit, bounded loading.

``skops.io`` stores an estimator as JSON plus ``.npy`` arrays in a zip and, when loading,
refuses any type that neither skops trusts by default nor the caller names: a crafted file
can at worst be refused, never run code. Added here: skops names arrays by ``id()`` and
stamps the time, so entries are renumbered and dated 1980-01-01 (DVC's cache is hit); and a
file may come from a DVC remote, so its entry count, declared sizes and ``.npy`` headers are
checked before skops reads it (a deflate bomb or a header claiming 2**45 values is refused).
"""

from __future__ import annotations

import io
import json
import math
import os
import shutil
import sys
import tempfile
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, BinaryIO

import sklearn.utils
from numpy.lib import format as npy_format

from pipelib.atomic import atomic_path
from pipelib.errors import PipelineError
from pipelib.regular_file import read_regular


def _import_skops_io() -> ModuleType:
    """``skops.io`` without its list of every scikit-learn estimator: 0.3 s of each stage that saves a model.

    On import skops lists the estimators it trusts by default with ``sklearn.utils.all_estimators()``,
    which imports every scikit-learn module (and pytest and dask.array through them). Saving never
    reads that list; :func:`load` fills it first, with the same call (:func:`_trust_skops_defaults`).
    """
    listing = sklearn.utils.all_estimators
    sklearn.utils.all_estimators = lambda: []
    try:
        import skops.io
    finally:
        sklearn.utils.all_estimators = listing
    return skops.io


sio = _import_skops_io()
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
SCHEMA = "schema.json"
SKOPS_ONLY = " (expected a skops zip archive)"
ENCRYPTED = 0x1  # bit 0 of a zip entry's general purpose flags (APPNOTE 4.4.4)
MAX_ENTRIES = 10_000  # a 100-tree forest has about 500
MAX_HEADER_BYTES = 4096  # an .npy header (structured tree-node dtypes need a few hundred bytes)
# Types a model file may hold beyond skops's defaults (scikit-learn estimators, numpy, builtins).
ESTIMATOR_TYPES = (
    "numpy.dtype",
    "sklearn.tree._tree.Tree",
    "sklearn.neighbors._kd_tree.KDTree",
    "sklearn.neighbors._ball_tree.BallTree",
    "sklearn.metrics._dist_metrics.EuclideanDistance64",
    # A KNN tree's metric for metric="manhattan" (or p=1) and "chebyshev": no arrays of their own (their
    # distance loops run over the sizes the tree passes). Metrics whose arrays set the loop bounds
    # (Minkowski weights, Mahalanobis VI) stay untrusted: a crafted file could make them read out of bounds.
    "sklearn.metrics._dist_metrics.ManhattanDistance64",
    "sklearn.metrics._dist_metrics.ChebyshevDistance64",
)
MAX_UNPACKED_BYTES = 256 * 1024**2  # everything the entries unpack to, unless the caller says otherwise
# What zipfile, numpy and skops raise for a broken archive, .npy header or schema.
# RecursionError: a schema nested thousands deep; ValueError also covers an integer of thousands of digits.
_READ_ERRORS: tuple[type[Exception], ...] = (OSError, zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError)
_READ_ERRORS += (ValueError, KeyError, TypeError, AttributeError, RecursionError)
_READ_ERRORS += (sio.exceptions.UntrustedTypesFoundException,)


def _canonical(source: BinaryIO, target: BinaryIO) -> bytes:
    """skops's zip with its ``id()``-based file names and ids renumbered in order of appearance, fixed dates;
    the same zip with every entry but the schema left empty (what :func:`_untrusted_types` reads).

    Entries are copied a megabyte at a time: a KNN's training images are not held twice.
    """
    with zipfile.ZipFile(source) as archive, zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as out:
        files: dict[str, str] = {}
        ids: dict[int, int] = {}

        def renumber(node: Any) -> Any:
            if isinstance(node, list):
                return [renumber(item) for item in node]
            if not isinstance(node, dict):
                return node
            renumbered = {key: renumber(value) for key, value in node.items()}
            if isinstance(node.get("__id__"), int):
                renumbered["__id__"] = ids.setdefault(node["__id__"], len(ids))
            if isinstance(node.get("file"), str):
                renumbered["file"] = files.setdefault(node["file"], f"{len(files)}{Path(node['file']).suffix}")
            return renumbered

        schema = json.dumps(renumber(json.loads(archive.read(SCHEMA))), indent=1).encode()
        for name, old in [(SCHEMA, None), *((new, old) for old, new in files.items())]:
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
            if old is None:
                out.writestr(info, schema)
                continue
            large = archive.getinfo(old).file_size > zipfile.ZIP64_LIMIT
            with archive.open(old) as reading, out.open(info, "w", force_zip64=large) as writing:
                shutil.copyfileobj(reading, writing, 1 << 20)
    skeleton = io.BytesIO()
    with zipfile.ZipFile(skeleton, "w") as archive:
        archive.writestr(SCHEMA, schema)
        for name in files.values():
            archive.writestr(name, b"")
    return skeleton.getvalue()


def save(estimator: Any, target: str | os.PathLike[str], key: str = "") -> None:
    """Write a fitted estimator as a skops file, atomically; nothing written if :func:`load` would refuse it.

    A hyperparameter can put a scikit-learn type skops does not trust into a fitted model (a KNN
    tree's Minkowski metric for ``p=3``): refused here, naming the params ``key`` if given, not
    after training when the file is first loaded.
    """
    with atomic_path(target) as tmp, tempfile.TemporaryFile(dir=Path(tmp).parent) as raw:
        # deflated at once (level 1: fast): a KNN's 941 MB of images are not held a third time uncompressed
        sio.dump(estimator, raw, compression=zipfile.ZIP_DEFLATED, compresslevel=1)
        raw.seek(0)
        with open(tmp, "wb") as stream:
            skeleton = _canonical(raw, stream)
        # scikit-learn's own types only: a hyperparameter chooses among those; anything else a file may
        # hold is a crafted file's business, which load refuses (and the tests write such files with save)
        refused = [name for name in sio.get_untrusted_types(data=skeleton) if not _loadable(name)]
        if refused:
            held = f"params.yaml: '{key}' gives a model holding" if key else f"{target}: not written: it would hold"
            raise PipelineError(f"{held} {refused[0]}, a type model files may not hold (docs/trust.md)")


def _loadable(name: str) -> bool:
    """Not a scikit-learn type :func:`load` refuses: another package's, in ESTIMATOR_TYPES, or a public estimator.

    skops lists every scikit-learn estimator with ``all_estimators()`` (0.2 s, every module);
    an estimator's class is already imported here (it was just fitted), so it is asked instead.
    No security check, only an early warning: :func:`load` checks every type of a file it reads.
    """
    from sklearn.base import BaseEstimator

    module, _, attribute = name.rpartition(".")
    found = getattr(sys.modules.get(module), attribute, None)
    public = isinstance(found, type) and issubclass(found, BaseEstimator) and not attribute.startswith("_")
    return not name.startswith("sklearn.") or name in ESTIMATOR_TYPES or public


def _check_archive(archive: zipfile.ZipFile, where: str, max_unpacked: int) -> None:
    """Entry count, declared sizes, methods and every ``.npy`` header, before any entry is unpacked."""
    entries = archive.infolist()
    if len(entries) > MAX_ENTRIES:
        raise PipelineError(f"{where}: {len(entries):,} entries, more than the {MAX_ENTRIES:,} a model file may hold")
    declared = sum(info.file_size for info in entries)
    if declared > max_unpacked:
        raise PipelineError(
            f"{where}: its entries unpack to {declared:,} bytes, more than the {max_unpacked:,} allowed"
        )
    names = [info.filename for info in entries]
    if SCHEMA not in names or len(set(names)) != len(names):
        raise PipelineError(f"{where}: not a skops model file (no {SCHEMA}, or an entry given twice)")
    for info in entries:
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or info.flag_bits & ENCRYPTED:
            raise PipelineError(f"{where}: entry '{info.filename}' is encrypted or uses an unsupported compression")
        if not info.filename.endswith(".npy"):
            continue
        with archive.open(info) as stream:  # the header only: an entry's size must be what it announces
            version = npy_format.read_magic(stream)
            reader = npy_format.read_array_header_1_0 if version == (1, 0) else npy_format.read_array_header_2_0
            shape, _, dtype = reader(stream, max_header_size=MAX_HEADER_BYTES)
            needed = stream.tell() + math.prod(shape) * dtype.itemsize
        if dtype.hasobject or needed != info.file_size:
            raise PipelineError(
                f"{where}: entry '{info.filename}' is {info.file_size:,} bytes, its header claims {needed:,}"
            )


def _trust_skops_defaults() -> None:
    """skops's default-trusted scikit-learn estimators, listed as skops lists them if its import left them out."""
    from skops.io import _trusted_types

    names = _trusted_types.SKLEARN_ESTIMATOR_TYPE_NAMES  # the list skops's loaders read: filled in place
    if not names:
        listed = [_trusted_types.get_type_name(estimator) for _, estimator in sklearn.utils.all_estimators()]
        names.extend([name for name in listed if name.startswith("sklearn.")])  # whole, or not at all


def load(source: str | os.PathLike[str], trusted: Sequence[str], max_unpacked: int = MAX_UNPACKED_BYTES) -> Any:
    """The estimator in a skops file, trusting skops's defaults and exactly the type names in ``trusted``."""
    where = str(source)
    # a FIFO or a device is refused without blocking; a file larger than any model, by its size
    data = read_regular(source, max_unpacked + 2**20, "model file not found (run the training stage: dvc repro)")
    if not data.startswith(b"PK\x03\x04"):
        pickled = data.startswith(b"\x80")  # pickle protocol 2 and later, what joblib and pickle write
        raise PipelineError(f"{where}: " + ("refused, a pickle file" if pickled else "not a model file") + SKOPS_ONLY)
    _trust_skops_defaults()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            _check_archive(archive, where, max_unpacked)
        untrusted = sorted(set(sio.get_untrusted_types(data=data)) - set(trusted))
        if untrusted:
            raise PipelineError(f"{where}: refused, it holds the untrusted type {untrusted[0]}")
        return sio.loads(data, trusted=list(trusted))
    except _READ_ERRORS as error:
        raise PipelineError(f"{where}: not a readable model file ({type(error).__name__}: {error})") from None
