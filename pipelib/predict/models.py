"""Model files checked for their kind before use, so a Titanic model given for digits says so.

The model files record what wrote them (``meta_json["kind"]``); reading that first turns
"model file lacks classes" into "a Titanic model, expected an MNIST one".
"""

from __future__ import annotations

import os
from typing import Any

from pipelib.errors import PipelineError
from pipelib.mnist.dataset import PIXELS
from pipelib.mnist.fitting import LinearModel, load_model
from pipelib.modelfile import read_meta
from pipelib.titanic.model import TitanicModel

MNIST_KIND = "logistic_regression"
TITANIC_KIND = "titanic_logistic_regression"
KIND_NAMES = {MNIST_KIND: "an MNIST model", TITANIC_KIND: "a Titanic model"}
WANTED = {
    MNIST_KIND: "an MNIST model (models/binary.npz, softmax.npz or softmax_augmented.npz)",
    TITANIC_KIND: "a Titanic model (models/titanic.npz)",
}


def model_meta(source: str | os.PathLike[str], expected: str) -> dict[str, Any]:
    """The model file's metadata, refused unless it was written as a model of ``expected`` kind."""
    meta = read_meta(source)
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


def load_titanic_model(source: str | os.PathLike[str]) -> tuple[TitanicModel, dict[str, Any]]:
    """A Titanic model file, and its metadata."""
    meta = model_meta(source, TITANIC_KIND)
    return TitanicModel.load(source), meta
