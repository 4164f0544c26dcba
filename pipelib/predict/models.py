"""Model files checked for their kind before use, so a Titanic model given for digits says so.

MNIST model files are ``.npz`` zips with ``meta_json`` (recording ``kind``), Titanic models
skops zips with ``schema.json``: told apart by that before either is read.
"""

from __future__ import annotations

import os
import zipfile
from typing import TYPE_CHECKING, Any

from pipelib.errors import PipelineError
from pipelib.mnist.dataset import PIXELS
from pipelib.mnist.fitting import LinearModel, load_model
from pipelib.modelfile import META_KEY, read_meta
from pipelib.regular_file import open_regular

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

MNIST_KIND = "logistic_regression"
MNIST_WANTED = "an MNIST model (models/binary.npz, softmax.npz or softmax_augmented.npz)"
TITANIC_WANTED = "a Titanic model (models/titanic/<name>.skops)"


def _zip_names(source: str | os.PathLike[str]) -> list[str]:
    """The entry names of a zip file; none for anything else (the loaders then say what is wrong).

    Opened as a regular file first: a FIFO or a device (``/dev/zero``) is refused, never read.
    """
    with open_regular(source, "model file not found (run the training stage: dvc repro)") as stream:
        try:
            with zipfile.ZipFile(stream) as archive:
                return archive.namelist()
        except (OSError, zipfile.BadZipFile, ValueError):
            return []


def logistic_params(meta: dict[str, Any]) -> dict[str, Any]:
    """The ``LogisticRegression`` parameters the model was fitted with, as far as the file records them."""
    recorded = meta.get("params")
    if not isinstance(recorded, dict):
        return {}
    wanted = {"C": (int, float), "max_iter": (int,), "random_state": (int,)}
    return {
        name: recorded[name]
        for name, types in wanted.items()
        if isinstance(recorded.get(name), types) and not isinstance(recorded.get(name), bool)
    }


def load_mnist_model(source: str | os.PathLike[str]) -> tuple[LinearModel, dict[str, Any]]:
    """An MNIST model file (binary or softmax) over 28 x 28 pixels, and its metadata; another kind is named."""
    if "schema.json" in _zip_names(source):
        raise PipelineError(f"{source}: a Titanic model, expected {MNIST_WANTED}")
    meta = read_meta(source)
    kind = meta.get("kind")
    if kind != MNIST_KIND:
        found = f"a model of unknown kind {kind!r}" if isinstance(kind, str) else "no model kind"
        raise PipelineError(f"{source}: {found}, expected {MNIST_WANTED}")
    return load_model(source, PIXELS), meta


def load_titanic_model(source: str | os.PathLike[str]) -> Pipeline:
    """A Titanic model file: the fitted Pipeline (an MNIST model file given instead is named as one)."""
    from pipelib.titanic.model import load

    if f"{META_KEY}.npy" in _zip_names(source):
        raise PipelineError(f"{source}: an MNIST model, expected {TITANIC_WANTED}")
    return load(source)
