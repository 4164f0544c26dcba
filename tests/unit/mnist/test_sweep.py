"""The sweep's grid, split and choice of the best point, on hand-built cases and small fits."""

from __future__ import annotations

import dataclasses
import typing
import warnings
from typing import Any

import helpers
import numpy as np
import pytest

from pipelib.errors import PipelineError
from pipelib.mnist.sweep import (
    MODELS,
    SCALE,
    SCALINGS,
    SEED_C,
    Fit,
    Model,
    ModelResult,
    Point,
    Scaling,
    check_training_set,
    fit_and_score,
    grid,
    run_sweep,
    validation_curves,
    validation_split,
)


def test_grid_order_is_models_then_scalings_then_c_ascending() -> None:
    points = grid(["softmax", "binary"], [10, 0.1], ["raw", "unit"])
    assert [(p.model, p.scaling, p.C) for p in points] == [
        ("softmax", "raw", 0.1),
        ("softmax", "raw", 10.0),
        ("softmax", "unit", 0.1),
        ("softmax", "unit", 10.0),
        ("binary", "raw", 0.1),
        ("binary", "raw", 10.0),
        ("binary", "unit", 0.1),
        ("binary", "unit", 10.0),
    ]


def test_validation_split_is_stratified_disjoint_and_seeded() -> None:
    labels = np.repeat(np.arange(10, dtype=np.uint8), 50)  # 50 of each digit
    fit_rows, validation_rows = validation_split(labels, 0.2, seed=3)
    assert len(validation_rows) == 100 and len(fit_rows) == 400
    assert not set(fit_rows) & set(validation_rows)
    assert np.bincount(labels[validation_rows], minlength=10).tolist() == [10] * 10  # 20% of each digit
    again = validation_split(labels, 0.2, seed=3)
    np.testing.assert_array_equal(again[1], validation_rows)
    assert not np.array_equal(validation_split(labels, 0.2, seed=4)[1], validation_rows)


EVEN_DIGITS = (np.arange(200) % 10).astype(np.uint8)  # 20 images of each digit


def sweep_refusal(labels: np.ndarray, fraction: float, models: list[Model] | None = None) -> str:
    with pytest.raises(PipelineError) as caught:
        check_training_set(labels, fraction, 5, models or ["softmax", "binary"], "data/mnist/train.parquet")
    assert "\n" not in str(caught.value)
    return str(caught.value)


@pytest.mark.parametrize("fraction", [0.001, 0.04, 0.045, 0.05, 0.5, 0.95, 0.951, 0.99])
def test_a_validation_fraction_is_accepted_exactly_when_scikit_learn_can_split_by_it(fraction: float) -> None:
    """200 rows of 10 digits: 10 to 190 validation rows leave both parts a row of each digit (0.05 to 0.95)."""
    try:
        validation_split(EVEN_DIGITS, fraction, seed=0)
        splits = True
    except ValueError:
        splits = False
    assert splits is (0.05 <= fraction <= 0.95)
    if splits:
        check_training_set(EVEN_DIGITS, fraction, 5, ["softmax", "binary"], "data/mnist/train.parquet")
    else:
        assert sweep_refusal(EVEN_DIGITS, fraction).startswith("params.yaml: 'mnist.sweep.validation_fraction' of ")


def test_a_validation_fraction_too_large_or_too_small_is_refused_with_the_sizes() -> None:
    assert sweep_refusal(EVEN_DIGITS, 0.99) == (
        "params.yaml: 'mnist.sweep.validation_fraction' of 0.99 splits the 200 rows of data/mnist/train.parquet "
        "into 2 to fit and 198 to validate: each part needs at least one image of each of its 10 digits"
    )
    assert sweep_refusal(EVEN_DIGITS, 0.001) == (
        "params.yaml: 'mnist.sweep.validation_fraction' of 0.001 splits the 200 rows of data/mnist/train.parquet "
        "into 199 to fit and 1 to validate: each part needs at least one image of each of its 10 digits"
    )


def test_a_training_set_the_sweep_cannot_fit_is_refused_naming_the_file() -> None:
    assert sweep_refusal(np.full(50, 3, np.uint8), 0.2) == (
        "data/mnist/train.parquet: holds only images of the digit 3 (50 rows): "
        "the sweep's classifiers need at least two digits"
    )
    no_five = np.where(EVEN_DIGITS == 5, 4, EVEN_DIGITS).astype(np.uint8)
    assert sweep_refusal(no_five, 0.2) == (
        "data/mnist/train.parquet: holds no image of the positive digit 5 (mnist.positive_digit): the sweep's "
        "binary model needs both classes"
    )
    check_training_set(no_five, 0.2, 5, ["softmax"], "data/mnist/train.parquet")  # no binary model: no 5 needed
    one_nine = np.append(EVEN_DIGITS[EVEN_DIGITS != 9], 9).astype(np.uint8)
    assert sweep_refusal(one_nine, 0.2) == (
        "data/mnist/train.parquet: holds only one image of the digit 9: the sweep's stratified validation split "
        "needs at least two of each digit"
    )
    with pytest.raises(ValueError, match="have only 1 member"):
        validation_split(one_nine, 0.2, seed=0)  # what scikit-learn would have said, with a traceback


def test_validation_curves_put_each_model_and_scaling_in_a_column() -> None:
    from pipelib.mnist.sweep import ModelResult

    fits = [
        Fit(Point("softmax", c, s), acc, 1)
        for (c, s, acc) in [(1.0, "raw", 0.5), (0.1, "raw", 0.4), (1.0, "unit", 0.7)]
    ]
    result = ModelResult(fits, Point("softmax", 1.0, "unit"), 0.7, 0.6, Point("softmax", 10.0, "raw"), None, 0.5)
    columns = validation_curves({"softmax": result})
    assert list(columns) == ["C", "softmax_raw", "softmax_unit", "binary_raw", "binary_unit"]
    np.testing.assert_array_equal(columns["C"], [0.1, 1.0])
    np.testing.assert_array_equal(columns["softmax_raw"], [0.4, 0.5])
    assert np.isnan(columns["softmax_unit"][0]) and columns["softmax_unit"][1] == 0.7
    assert np.isnan(columns["binary_raw"]).all() and np.isnan(columns["binary_unit"]).all()  # not on this grid


@pytest.fixture(scope="module")
def small() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    pixels, labels = helpers.synthetic_digits(400, seed=5)
    return (pixels[:300], labels[:300]), (pixels[300:], labels[300:])


SETTINGS: dict[str, Any] = {
    "validation_fraction": 0.25,
    "seed": 1,
    "positive_digit": 5,
    "max_iter": 20,
    "reference_c": {"softmax": 10.0, "binary": 1.0},
}


def test_seed_setting_and_best_point_are_reported_the_test_set_never_chooses(small) -> None:  # type: ignore[no-untyped-def]
    train, test = small
    # On pixels scaled to [0, 1], C = 1e-6 regularises the model into guessing one digit.
    points = grid(["softmax", "binary"], [1e-6, 10.0], ["unit"])
    results = run_sweep(train, test, points, **SETTINGS)
    for model, result in results.items():
        by_point = {fit.point: fit.accuracy for fit in result.validation}
        assert by_point[Point(model, 1e-6, "unit")] < by_point[Point(model, 10.0, "unit")]
        assert result.best == Point(model, 10.0, "unit")
        assert result.best_validation == by_point[result.best]
        assert result.seed == Point(model, 10.0 if model == "softmax" else 1.0, "raw")
        assert result.seed_validation is None  # the seed's raw setting is not on this grid
        assert 0.5 < result.best_test <= 1.0 and 0.5 < result.seed_test <= 1.0


def test_a_tie_keeps_the_first_point_the_smaller_c(small, progress_lines) -> None:  # type: ignore[no-untyped-def]
    train, test = small
    # Raw 0-255 pixels separate these synthetic digits perfectly at any C: every point ties.
    points = grid(["softmax"], [0.001, 1.0, 100.0], ["raw"])
    result = run_sweep(train, test, points, **SETTINGS)["softmax"]
    assert {fit.accuracy for fit in result.validation} == {1.0}
    assert result.best == Point("softmax", 0.001, "raw")
    assert progress_lines[0] == "sweep: 3 points, 225 fit rows, 75 validation rows"


def test_the_names_and_the_seeds_settings() -> None:
    """The names params.yaml uses, pixels scaled to [0, 1] by 1/255, the seed notebook's C (10, and the default 1)."""
    assert typing.get_args(Model) == ("softmax", "binary") == MODELS
    assert typing.get_args(Scaling) == ("raw", "unit") == SCALINGS
    assert SCALE == {"raw": 1.0, "unit": 1 / 255}
    assert SEED_C == {"softmax": 10.0, "binary": 1.0}


def test_results_are_frozen() -> None:
    fit = Fit(Point("softmax", 1.0, "raw"), 0.5, 3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fit.accuracy = 1.0  # type: ignore[misc]
    result = ModelResult([fit], fit.point, 0.5, 0.5, fit.point, 0.5, 0.5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.best_test = 1.0  # type: ignore[misc]


def test_blank_images_give_the_majority_class_of_each_model() -> None:
    """With every pixel 0 a model can only predict its commonest training class: digit 1, or "not 5"."""
    fit_labels = np.array([5, 5, 5, 1, 1, 1, 1, 2, 2, 3], dtype=np.uint8)
    score_labels = np.array([1, 1, 5, 2], dtype=np.uint8)
    blank = np.zeros((10, 4), dtype=np.uint8)
    softmax = fit_and_score(Point("softmax", 1.0, "raw"), blank, fit_labels, blank[:4], score_labels, 5, 100)
    assert softmax.accuracy == 0.5  # predicts 1: right for two of four
    binary = fit_and_score(Point("binary", 1.0, "raw"), blank, fit_labels, blank[:4], score_labels, 5, 100)
    assert binary.accuracy == 0.75  # predicts "not 5": right for three of four


def test_unit_scaling_divides_the_pixels_by_255() -> None:
    """One pixel, 255 on every 5 and 0 elsewhere: C = 0.001 still lets 0-255 pixels separate them,
    while on 0-1 pixels it is 65,025 times stronger and leaves only the majority guess, "not 5"."""
    fit_pixels = np.array([[255]] * 6 + [[0]] * 14, dtype=np.uint8)
    fit_labels = np.array([5] * 6 + [1] * 14, dtype=np.uint8)
    score_pixels, score_labels = np.array([[255], [0], [0], [255]], np.uint8), np.array([5, 1, 1, 5], np.uint8)
    raw = fit_and_score(Point("binary", 1e-3, "raw"), fit_pixels, fit_labels, score_pixels, score_labels, 5, 100)
    unit = fit_and_score(Point("binary", 1e-3, "unit"), fit_pixels, fit_labels, score_pixels, score_labels, 5, 100)
    assert raw.accuracy == 1.0
    assert unit.accuracy == 0.5


def test_stopping_at_max_iter_warns_nothing(small) -> None:  # type: ignore[no-untyped-def]
    (pixels, labels), _ = small
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = fit_and_score(Point("softmax", 10.0, "raw"), pixels, labels, pixels, labels, 5, 1)
    assert fit.n_iter == 1
    assert [str(warning.message) for warning in caught] == []
