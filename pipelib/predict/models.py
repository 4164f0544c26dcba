"""Model files checked for their kind before use, so a Titanic model given for digits says so.

MNIST model files record what wrote them (``meta_json["kind"]``); reading that first turns
"model file lacks classes" into "a Titanic model, expected an MNIST one". Titanic models are
skops files (a zip without ``meta_json``), told apart by that.
"""

from __future__ import annotations

import os
import zipfile
from typing import TYPE_CHECKING, Any

from pipelib.errors import PipelineError
from pipelib.mnist.dataset import PIXELS
from pipelib.mnist.fitting import LinearModel, load_model
from pipelib.modelfile import META_KEY, read_meta

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

MNIST_KIND = "logistic_regression"
KIND_NAMES = {MNIST_KIND: "an MNIST model"}
WANTED = {MNIST_KIND: "an MNIST model (models/binary.npz, softmax.npz or softmax_augmented.npz)"}
TITANIC_WANTED = "a Titanic model (models/titanic/<name>.skops)"


def model_meta(source: str | os.PathLike[str], expected: str) -> dict[str, Any]:
    """The model file's metadata, refused unless it was written as a model of ``expected`` kind."""
    try:
        meta = read_meta(source)
    except PipelineError as error:
        if str(error).endswith(f"lacks {META_KEY}") and "schema.json" in _zip_names(source):
            raise PipelineError(f"{source}: a Titanic model, expected {WANTED[expected]}") from None
        raise
    kind = meta.get("kind")
    if kind != expected:
        found = KIND_NAMES.get(kind, f"a model of unknown kind {kind!r}") if isinstance(kind, str) else "no model kind"
        raise PipelineError(f"{source}: {found}, expected {WANTED[expected]}")
    return meta


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
    """An MNIST model file (binary or softmax) over 28 x 28 pixels, and its metadata."""
    meta = model_meta(source, MNIST_KIND)
    return load_model(source, PIXELS), meta


def _zip_names(source: str | os.PathLike[str]) -> list[str]:
    """The entry names of a zip file; none for anything else (the loaders then say what is wrong)."""
    try:
        with zipfile.ZipFile(source) as archive:
            return archive.namelist()
    except (OSError, zipfile.BadZipFile):
        return []


def load_titanic_model(source: str | os.PathLike[str]) -> Pipeline:
    """A Titanic model file: the fitted Pipeline (an MNIST model file given instead is named as one)."""
    from pipelib.titanic.model import load

    if f"{META_KEY}.npy" in _zip_names(source):
        kind = read_meta(source).get("kind")
        found = KIND_NAMES.get(kind, f"a model of unknown kind {kind!r}") if isinstance(kind, str) else "no model kind"
        raise PipelineError(f"{source}: {found}, expected {TITANIC_WANTED}")
    return load(source)
