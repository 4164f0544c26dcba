"""Mermaid line charts for the review comment: grids, resampling and the chart text, written out by hand."""

from __future__ import annotations

import colorsys
import dataclasses

import numpy as np
import pytest
from matplotlib.colors import TABLEAU_COLORS, to_rgb

from pipelib.review.mermaid import PALETTE, Series, grid, line_chart, resample

NAN, INF = float("nan"), float("inf")


def test_the_grid_spans_every_curve_in_31_points() -> None:
    assert grid([np.array([0.0, 30.0])]).tolist() == [float(n) for n in range(31)]
    assert grid([np.array([1.0, NAN, 2.0]), np.array([-INF, 4.0, 3.0])], points=4).tolist() == [1.0, 2.0, 3.0, 4.0]


def test_a_grid_of_one_value_or_of_none() -> None:
    assert grid([np.array([2.5, 2.5]), np.array([2.5])]).tolist() == [2.5]
    assert grid([np.array([NAN, INF])]).tolist() == [0.0]
    assert grid([np.array([])]).tolist() == [0.0]
    assert grid([]).tolist() == [0.0]


def test_resample_interpolates_on_the_sorted_finite_points() -> None:
    x = np.array([2.0, 0.0, NAN, 1.0, 3.0])
    y = np.array([4.0, 0.0, 7.0, 2.0, NAN])
    assert resample(x, y, np.array([-1.0, 0.5, 1.5, 2.0, 5.0])).tolist() == [0.0, 1.0, 3.0, 4.0, 4.0]


def test_resample_of_one_point_or_none() -> None:
    assert resample(np.array([1.0]), np.array([5.0]), np.array([0.0, 2.0])).tolist() == [5.0, 5.0]
    assert resample(np.array([NAN]), np.array([5.0]), np.array([0.0, 2.0])).tolist() == [0.0, 0.0]
    assert resample(np.array([]), np.array([]), np.array([1.0])).tolist() == [0.0]


def test_the_palette_is_matplotlib_s_tableau_colours_with_lighter_ones_for_the_base() -> None:
    assert [head[1] for head, _ in PALETTE] == ["blue", "green", "red", "purple"]
    for (head, head_name), (base, base_name) in PALETTE:
        assert head == TABLEAU_COLORS[f"tab:{head_name}"]
        assert base_name == f"light {head_name}"
        head_hue, head_light, _ = colorsys.rgb_to_hls(*to_rgb(head))
        base_hue, base_light, _ = colorsys.rgb_to_hls(*to_rgb(base))
        assert base_light > head_light
        assert min(abs(head_hue - base_hue), 1 - abs(head_hue - base_hue)) < 0.1  # within 36 degrees


def test_a_series_is_immutable() -> None:
    series = Series("p head", "#1f77b4", "blue", np.array([1.0]))
    with pytest.raises(dataclasses.FrozenInstanceError):
        series.name = "other"  # type: ignore[misc]


def test_a_chart_written_out() -> None:
    series = [
        Series("p head", "#1f77b4", "blue", np.array([0.25, 0.5, 1.0])),
        Series("p base", "#9ecae1", "light blue", np.array([0.0, -0.0, 0.125])),
    ]
    assert line_chart('Precision "vs" recall', "Threshold", "Precision", np.array([0.0, 0.5, 1.0]), series) == (
        "```mermaid\n"
        '%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "#1f77b4, #9ecae1"}}}}%%\n'
        "xychart-beta\n"
        '    title "Precision vs recall"\n'
        '    x-axis "Threshold" ["0.00", "0.50", "1.00"]\n'
        '    y-axis "Precision" 0 --> 1\n'
        "    line [0.25, 0.5, 1]\n"
        "    line [0, 0, 0.125]\n"
        "```"
    )


def lines_of(values: list[float], at: list[float]) -> list[str]:
    chart = line_chart("t", "x", "y", np.array(at), [Series("s", "#000000", "black", np.array(values))])
    return chart.splitlines()[3:-1]


@pytest.mark.parametrize(
    ("values", "axis"),
    [
        ([0.0, 1.0], '    y-axis "y" 0 --> 1'),  # both bounds of [0, 1] are inside
        ([0.5, 0.5], '    y-axis "y" 0 --> 1'),
        ([-0.001, 0.5], '    y-axis "y"'),
        ([0.5, 1.001], '    y-axis "y"'),
        ([0.0, 1.5], '    y-axis "y"'),
        ([-12000.0, 35000.0], '    y-axis "y"'),
    ],
)
def test_the_y_axis_is_fixed_to_0_1_only_for_values_inside_it(values: list[float], axis: str) -> None:
    assert lines_of(values, [0.0, 1.0])[2] == axis


def test_numbers_keep_four_significant_digits_and_never_show_minus_zero() -> None:
    values = [-1.0, -0.0, 123456.0, 0.000123456, -2.5e-7]
    assert lines_of(values, [0.0, 1.0, 2.0, 3.0, 4.0])[3] == "    line [-1, 0, 1.235e+05, 0.0001235, -2.5e-07]"


@pytest.mark.parametrize(
    ("at", "categories"),
    [
        ([0.0, 0.1, 0.2], '"0.00", "0.10", "0.20"'),  # step 0.1: two decimals
        ([1.0, 1.1, 1.2], '"1.00", "1.10", "1.20"'),
        ([0.0, 0.06, 0.12], '"0.000", "0.060", "0.120"'),  # step 0.06: three
        ([0.0, 1.0], '"0.0", "1.0"'),  # step 1: one
        ([-20.0, -10.0, 0.0], '"-20", "-10", "0"'),  # step 10: none
        ([0.0, 100.0], '"0", "100"'),  # step 100: still none
        ([-0.001, 0.0], '"-0.0010", "0.0000"'),
        ([7.0], '"7.0"'),  # one point: as if the step were 1
        ([0.0, 0.5], '"0.00", "0.50"'),
        ([-0.004, 0.5], '"0.00", "0.50"'),  # -0.004 to two decimals: zero, without its sign
        ([-0.001, 1.0], '"0.0", "1.0"'),
    ],
)
def test_categories_have_the_decimals_that_tell_neighbours_apart(at: list[float], categories: str) -> None:
    assert lines_of([0.5] * len(at), at)[1] == f'    x-axis "x" [{categories}]'


def test_a_chart_without_lines_or_with_an_empty_one() -> None:
    at = np.array([0.0, 1.0])
    assert line_chart("t", "x", "y", at, []).splitlines()[1:] == [
        '%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": ""}}}}%%',
        "xychart-beta",
        '    title "t"',
        '    x-axis "x" ["0.0", "1.0"]',
        '    y-axis "y" 0 --> 1',
        "```",
    ]
    empty = line_chart("t", "x", "y", at, [Series("s", "#000000", "black", np.array([]))])
    assert empty.splitlines()[5:] == ['    y-axis "y"', "    line []", "```"]
