"""The figures' choices that are not just drawing: the threshold window and the error grids."""

from __future__ import annotations

import numpy as np
import pytest

from pipelib.mnist.figures import digit_panels, threshold_window
from pipelib.png import use_agg


def test_threshold_window_spans_the_change_and_the_marks() -> None:
    thresholds = np.linspace(-50.0, 20.0, 71)  # one per unit
    recall = np.append(np.clip((10.0 - thresholds) / 20.0, 0.0, 1.0), 0.0)  # 1 until -10, 0 from 10
    low, high = threshold_window(thresholds, recall, [0.0])
    # recall < 0.99 from -9 (0.95), < 0.05 from 10 (0.0; at 9 it is 0.05); 5% of the 19-wide span either side
    assert (low, high) == pytest.approx((-9.0 - 0.95, 10.0 + 0.95))
    low, high = threshold_window(thresholds, recall, [15.0])  # a mark outside widens it
    assert high == pytest.approx(15.0 + 0.05 * 24.0)


def test_digit_panels_draw_empty_panels() -> None:
    use_agg()
    figure = digit_panels([("none", np.zeros((0, 784), np.uint8)), ("one", np.ones((1, 784), np.uint8))])
    titles = [axis.get_title() for axis in figure.axes]
    assert titles == ["none (0)", "one (1)"]
