"""A grid search over ``C`` and pixel scaling for the softmax and 5-vs-rest models.

Each grid point is fitted on the training set less a stratified, seeded validation part and
scored on that part; the best point by validation accuracy (ties: the first in grid order, raw
before unit, then the smaller ``C``) is refitted on the whole training set and scored on the test
set, beside the seed's own setting refitted the same way. The test
set never chooses.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

from pipelib.errors import PipelineError
from pipelib.log import progress
from pipelib.mnist.dataset import require_two_digits

Model = Literal["softmax", "binary"]
Scaling = Literal["raw", "unit"]
SCALE = {"raw": 1.0, "unit": 1.0 / 255.0}
MODELS: tuple[Model, ...] = ("softmax", "binary")
SCALINGS: tuple[Scaling, ...] = ("raw", "unit")
# The seed notebook's own setting, refitted beside the sweep's best: constants of the seed, not
# the params (a C experiment would otherwise rerun the whole sweep to refit one point).
SEED_C: dict[Model, float] = {"softmax": 10.0, "binary": 1.0}


@dataclass(frozen=True)
class Point:
    """One fit: which model, its ``C``, and how the 0-255 pixels are scaled."""

    model: Model
    C: float
    scaling: Scaling


@dataclass(frozen=True)
class Fit:
    """Where a point was fitted (``validation`` or ``test``) and its accuracy there."""

    point: Point
    accuracy: float
    n_iter: int


def grid(models: list[Model], cs: list[float], scalings: list[Scaling]) -> list[Point]:
    """Every (model, scaling, C) in a fixed order: models, then scalings, then C ascending."""
    return [Point(model, float(c), scaling) for model in models for scaling in scalings for c in sorted(cs)]


def check_training_set(
    labels: np.ndarray, fraction: float, positive_digit: int, models: list[Model], source: str
) -> None:
    """Refuse, before any fit, a training set the sweep cannot split or fit (one line naming the cause).

    The stratified split puts ``ceil(fraction * n)`` rows in the validation part and the rest
    in the fit part; each part needs an image of every digit, and every digit two images.
    Each model needs two classes: two digits, and for the binary one the positive digit.
    """
    digits, counts = require_two_digits(labels, source, "the sweep's classifiers need")
    if "binary" in models and positive_digit not in digits:
        raise PipelineError(
            f"{source}: holds no image of the positive digit {positive_digit} (mnist.positive_digit): "
            "the sweep's binary model needs both classes"
        )
    if counts.min() < 2:
        raise PipelineError(
            f"{source}: holds only one image of the digit {digits[counts.argmin()]}: "
            "the sweep's stratified validation split needs at least two of each digit"
        )
    n_validation = math.ceil(fraction * len(labels))  # as scikit-learn's StratifiedShuffleSplit counts them
    n_fit = len(labels) - n_validation
    if min(n_fit, n_validation) < len(digits):
        raise PipelineError(
            f"params.yaml: 'mnist.sweep.validation_fraction' of {fraction} splits the {len(labels):,} rows of "
            f"{source} into {n_fit:,} to fit and {n_validation:,} to validate: each part needs at least one "
            f"image of each of its {len(digits)} digits"
        )


def validation_split(labels: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Row indices (fit, validation), stratified by digit, the same for the same seed.

    :func:`check_training_set` first: scikit-learn's refusal of a split it cannot make is a traceback.
    """
    from sklearn.model_selection import StratifiedShuffleSplit

    splitter = StratifiedShuffleSplit(n_splits=1, test_size=fraction, random_state=seed)
    fit_rows, validation_rows = next(splitter.split(np.zeros(len(labels)), labels))
    return np.sort(fit_rows), np.sort(validation_rows)


def fit_and_score(
    point: Point,
    fit_pixels: np.ndarray,
    fit_labels: np.ndarray,
    score_pixels: np.ndarray,
    score_labels: np.ndarray,
    positive_digit: int,
    max_iter: int,
) -> Fit:
    """One whole scikit-learn fit on one core, scored by accuracy (a Dask task)."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    from pipelib.mnist.features import sparse_from_pixels

    def target(labels: np.ndarray) -> np.ndarray:
        return labels == positive_digit if point.model == "binary" else labels

    def features(pixels: np.ndarray) -> Any:
        matrix = sparse_from_pixels(pixels, "float64")
        matrix.data *= SCALE[point.scaling]
        return matrix

    model = LogisticRegression(C=point.C, max_iter=max_iter, random_state=0)
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # the seed's max_iter stops early on purpose
        model.fit(features(fit_pixels), target(fit_labels))
    accuracy = float(np.mean(model.predict(features(score_pixels)) == target(score_labels)))
    return Fit(point, accuracy, int(np.max(model.n_iter_)))


@dataclass(frozen=True)
class ModelResult:
    """The sweep's outcome for one model."""

    validation: list[Fit]
    best: Point
    best_validation: float
    best_test: float
    seed: Point
    seed_validation: float | None  # None when the seed's setting is not on the grid
    seed_test: float


def run_sweep(
    train: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    points: list[Point],
    *,
    validation_fraction: float,
    seed: int,
    positive_digit: int,
    max_iter: int,
    reference_c: dict[Model, float],
    client: Any | None = None,
) -> dict[Model, ModelResult]:
    """Validate every point, then refit each model's best and its reference setting on all training rows.

    ``reference_c`` is each model's ``C`` to compare with (the stage passes the seed's, SEED_C),
    on raw pixels as the seed fits it.
    """
    from pipelib.cluster import run_tasks

    pixels, labels = train
    fit_rows, validation_rows = validation_split(labels, validation_fraction, seed)
    common = {"positive_digit": positive_digit, "max_iter": max_iter}
    progress(f"sweep: {len(points)} points, {len(fit_rows):,} fit rows, {len(validation_rows):,} validation rows")
    validated = run_tasks(
        fit_and_score,
        points,
        {
            "fit_pixels": pixels[fit_rows],
            "fit_labels": labels[fit_rows],
            "score_pixels": pixels[validation_rows],
            "score_labels": labels[validation_rows],
            **common,
        },
        client,
    )
    models: list[Model] = list(dict.fromkeys(point.model for point in points))
    best: dict[Model, Fit] = {}
    for fit in validated:  # strictly greater: a tie keeps the earlier (smaller C) point
        if fit.point.model not in best or fit.accuracy > best[fit.point.model].accuracy:
            best[fit.point.model] = fit
    seeds = {model: Point(model, float(reference_c[model]), "raw") for model in models}
    refits = list(dict.fromkeys([best[model].point for model in models] + list(seeds.values())))
    tested = run_tasks(
        fit_and_score,
        refits,
        {"fit_pixels": pixels, "fit_labels": labels, "score_pixels": test[0], "score_labels": test[1], **common},
        client,
    )
    test_accuracy = {fit.point: fit.accuracy for fit in tested}
    validation_accuracy = {fit.point: fit.accuracy for fit in validated}
    return {
        model: ModelResult(
            validation=[fit for fit in validated if fit.point.model == model],
            best=best[model].point,
            best_validation=best[model].accuracy,
            best_test=test_accuracy[best[model].point],
            seed=seeds[model],
            seed_validation=validation_accuracy.get(seeds[model]),
            seed_test=test_accuracy[seeds[model]],
        )
        for model in models
    }


def validation_curves(results: dict[Model, ModelResult]) -> dict[str, np.ndarray]:
    """Plot data: one row per C, a validation-accuracy column for every model and scaling.

    All four columns are always written (NaN where a model or scaling is not on the grid), so
    the plot's definition in dvc.yaml fits whatever grid the params choose.
    """
    cs = sorted({fit.point.C for result in results.values() for fit in result.validation})
    columns: dict[str, np.ndarray] = {"C": np.array(cs)}
    for model in MODELS:
        for scaling in SCALINGS:
            fits = results[model].validation if model in results else []
            by_c = {fit.point.C: fit.accuracy for fit in fits if fit.point.scaling == scaling}
            columns[f"{model}_{scaling}"] = np.array([by_c.get(c, np.nan) for c in cs])
    return columns


def as_dict(point: Point) -> dict[str, Any]:
    """A point as plain values (for logs and tables)."""
    return asdict(point)
