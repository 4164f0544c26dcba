"""The figures: what each one draws, read back from the matplotlib objects, and the PNGs the stage writes.

The seed notebook fixes some of it (``more_digits_plot`` 9x9 inches, ``precision_vs_recall_plot``
8x6 with a blue line of width 2 and 16-point labels, the 12x3 original/shifted panel titled at 14
points, the ``binary`` and ``Greys`` colour maps); the rest is what each function's docstring says.
The fast tests draw nothing; one test writes every PNG of the stage from tiny data.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.legend import Legend

from pipelib.binary_metrics import Curve, pr_curve
from pipelib.errors import PipelineError
from pipelib.mnist import figures, predictions
from pipelib.mnist.dataset import write_mnist
from pipelib.mnist.figures import (
    confusion_errors,
    digit_grid,
    digit_panels,
    digits,
    precision_recall_vs_threshold,
    precision_vs_recall,
    read_inputs,
    reliability,
    shifted_panel,
    single_digit,
    threshold_figure,
    threshold_window,
    write_figures,
    write_threshold_figures,
)
from pipelib.params import BinaryEvaluateParams, MnistParams, load_params
from pipelib.png import use_agg
from pipelib.scores import write_scores

REPO_ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def _agg() -> Iterator[None]:
    use_agg()
    yield
    plt.close("all")


def flat(value: int, n: int = 1) -> np.ndarray:
    """``n`` images (n, 784) with every pixel ``value``."""
    return np.full((n, 784), value, dtype=np.uint8)


def visible_grid(figure: Figure) -> bool:
    lines = figure.axes[0].xaxis.get_gridlines()
    return bool(lines) and all(line.get_visible() for line in lines)


# --- the digit grid -------------------------------------------------------------------------------


def test_digit_grid_fills_rows_and_leaves_the_rest_blank() -> None:
    grid = digit_grid(np.concatenate([flat(1), flat(2), flat(3)]), per_row=2)
    assert grid.shape == (56, 56)
    assert grid.dtype == np.uint8
    cells = {
        (row, col): set(np.unique(grid[28 * row : 28 * row + 28, 28 * col : 28 * col + 28]))
        for row in (0, 1)
        for col in (0, 1)
    }
    assert cells == {(0, 0): {1}, (0, 1): {2}, (1, 0): {3}, (1, 1): {0}}
    assert digit_grid(flat(7, 4), per_row=2).shape == (56, 56)  # a full last row: no blank row below
    assert digit_grid(flat(7, 1), per_row=2).shape == (28, 56)


def test_digit_grid_keeps_each_image_upright() -> None:
    image = np.zeros((28, 28), np.uint8)
    image[3, 20] = 255  # row 3, column 20: a transposed tile would put it at row 20
    grid = digit_grid(np.concatenate([flat(0), image.reshape(1, -1)]), per_row=2)
    assert np.argwhere(grid).tolist() == [[3, 28 + 20]]


def test_digit_grid_has_ten_per_row_by_default() -> None:
    grid = digit_grid(np.concatenate([flat(0, 10), flat(9, 2)]))
    assert grid.shape == (56, 280)
    assert set(np.unique(grid[28:, :56])) == {9} and set(np.unique(grid[28:, 56:])) == {0}


# --- the threshold window -------------------------------------------------------------------------


def test_threshold_window_spans_the_change_and_the_marks() -> None:
    thresholds = np.linspace(-50.0, 20.0, 71)  # one per unit
    recall = np.append(np.clip((10.0 - thresholds) / 20.0, 0.0, 1.0), 0.0)  # 1 until -10, 0 from 10
    low, high = threshold_window(thresholds, recall, [0.0])
    # recall < 0.99 from -9 (0.95), < 0.05 from 10 (0.0; at 9 it is 0.05); 5% of the 19-wide span either side
    assert (low, high) == pytest.approx((-9.0 - 0.95, 10.0 + 0.95))
    low, high = threshold_window(thresholds, recall, [15.0])  # a mark outside widens it
    assert high == pytest.approx(15.0 + 0.05 * 24.0)


def test_threshold_window_bounds_are_strict() -> None:
    # recall exactly 0.99 and exactly 0.05 are not below them: the window runs from 2 to 4 (the last).
    thresholds = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    recall = np.array([1.0, 0.99, 0.5, 0.05, 0.0, 0.0])
    assert threshold_window(thresholds, recall, [3.0]) == pytest.approx((2.0 - 0.1, 4.0 + 0.1))


def test_threshold_window_when_recall_never_falls_below_the_bounds() -> None:
    # Never below 0.05 (its lowest is 0.05 itself): up to the last threshold; the mark 0 sets the low end.
    thresholds = np.array([0.0, 1.0, 2.0, 3.0])
    assert threshold_window(thresholds, np.array([1.0, 0.5, 0.2, 0.05, 0.0]), [0.0]) == pytest.approx((-0.15, 3.15))
    # Below 0.99 only at the last threshold, never below 0.05: one point, widened by 1 either side.
    assert threshold_window(np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.5, 0.0]), [2.0]) == (1.0, 3.0)
    assert threshold_window(np.array([5.0]), np.array([1.0, 0.0]), [5.0]) == (4.0, 6.0)  # one threshold
    assert threshold_window(np.array([]), np.array([1.0]), [0.0]) == (-1.0, 1.0)  # none


# --- each figure, from its matplotlib objects -----------------------------------------------------


def test_single_digit_and_digits_are_the_seeds_plots() -> None:
    image = np.arange(784) % 256
    figure = single_digit(image)
    (axes,) = figure.axes
    (drawn,) = axes.images
    assert np.array_equal(drawn.get_array(), image.reshape(28, 28))
    assert (drawn.get_cmap().name, drawn.get_interpolation()) == ("binary", "nearest")
    assert not axes.axison
    assert tuple(figure.get_size_inches()) == (3.0, 3.0)
    figure = digits(np.concatenate([flat(1, 10), flat(2, 11)]))
    (axes,) = figure.axes
    (drawn,) = axes.images
    assert drawn.get_array().shape == (3 * 28, 10 * 28)  # ten per row by default
    assert (drawn.get_cmap().name, drawn.get_interpolation()) == ("binary", "nearest")
    assert not axes.axison
    assert tuple(figure.get_size_inches()) == (9.0, 9.0)
    assert digits(flat(1, 6), per_row=3).axes[0].images[0].get_array().shape == (56, 84)


def test_precision_vs_recall_is_the_seeds_plot() -> None:
    figure = precision_vs_recall(np.array([0.5, 0.75, 1.0]), np.array([1.0, 0.5, 0.25]))
    (axes,) = figure.axes
    (line,) = axes.lines
    assert line.get_xdata().tolist() == [1.0, 0.5, 0.25] and line.get_ydata().tolist() == [0.5, 0.75, 1.0]
    assert (to_hex(line.get_color()), line.get_linestyle(), line.get_linewidth()) == ("#0000ff", "-", 2.0)
    assert (axes.get_xlabel(), axes.xaxis.label.get_fontsize()) == ("Recall", 16.0)
    assert (axes.get_ylabel(), axes.yaxis.label.get_fontsize()) == ("Precision", 16.0)
    assert (axes.get_xlim(), axes.get_ylim()) == ((0.0, 1.0), (0.0, 1.0))
    assert visible_grid(figure)
    assert tuple(figure.get_size_inches()) == (8.0, 6.0)


def test_precision_recall_vs_threshold_draws_curves_and_marks() -> None:
    marks = [("decision threshold", 0.5, 0.6, 0.8), ("precision 0.8", 2.0, 1.0, 0.0), ("third", 1.25, 0.7, 0.5)]
    figure = precision_recall_vs_threshold(
        np.array([0.0, 1.0, 2.0]), np.array([0.5, 0.6, 0.8, 1.0]), np.array([1.0, 0.8, 0.4, 0.0]), marks, (-1.0, 3.0)
    )
    (axes,) = figure.axes
    precision, recall, *marked = axes.lines
    # the curves leave out the last point of precision and recall (it has no threshold)
    assert precision.get_xdata().tolist() == [0.0, 1.0, 2.0] and precision.get_ydata().tolist() == [0.5, 0.6, 0.8]
    assert recall.get_xdata().tolist() == [0.0, 1.0, 2.0] and recall.get_ydata().tolist() == [1.0, 0.8, 0.4]
    assert (to_hex(precision.get_color()), precision.get_linestyle(), precision.get_linewidth()) == (
        "#0000ff",
        "--",
        2.0,
    )
    assert (to_hex(recall.get_color()), recall.get_linestyle(), recall.get_linewidth()) == ("#008000", "-", 2.0)
    drawn = [
        (
            to_hex(line.get_color()),
            line.get_linestyle(),
            line.get_linewidth(),
            line.get_marker(),
            list(line.get_xdata()),
            list(line.get_ydata()),
        )
        for line in marked
    ]
    assert drawn == [
        ("#ff0000", ":", 1.5, "None", [0.5, 0.5], [0, 1]),  # axvline: the axes' full height
        ("#ff0000", "None", 1.5, "o", [0.5, 0.5], [0.6, 0.8]),
        ("#800080", ":", 1.5, "None", [2.0, 2.0], [0, 1]),
        ("#800080", "None", 1.5, "o", [2.0, 2.0], [1.0, 0.0]),
        ("#000000", ":", 1.5, "None", [1.25, 1.25], [0, 1]),
        ("#000000", "None", 1.5, "o", [1.25, 1.25], [0.7, 0.5]),
    ]
    legend = axes.get_legend()
    assert [text.get_text() for text in legend.get_texts()] == [
        "Precision",
        "Recall",
        "decision threshold (0.5)",
        "precision 0.8 (2)",
        "third (1.25)",
    ]
    assert legend._loc == Legend.codes["center left"]
    assert {text.get_fontsize() for text in legend.get_texts()} == {11.0}
    assert (axes.get_xlabel(), axes.xaxis.label.get_fontsize()) == ("Threshold (decision score)", 16.0)
    assert (axes.get_ylabel(), axes.yaxis.label.get_fontsize()) == ("Precision / recall", 16.0)
    assert (axes.get_xlim(), axes.get_ylim()) == ((-1.0, 3.0), (0.0, 1.02))
    assert visible_grid(figure)
    assert tuple(figure.get_size_inches()) == (8.0, 4.0)
    unwindowed = precision_recall_vs_threshold(
        np.array([0.0, 10.0]), np.array([0.5, 1.0, 1.0]), np.array([1.0, 0.5, 0.0])
    )
    low, high = unwindowed.axes[0].get_xlim()
    assert low <= 0.0 and high >= 10.0  # matplotlib's own limits, around the data


def test_digit_panels_lay_out_one_two_three_and_four() -> None:
    one = digit_panels([("only", flat(1, 6))])
    (axes,) = one.axes
    assert (axes.get_title(), axes.title.get_fontsize(), axes.axison) == ("only (6)", 12.0, False)
    (drawn,) = axes.images
    assert drawn.get_array().shape == (56, 5 * 28)  # five per row
    assert (drawn.get_cmap().name, drawn.get_interpolation()) == ("binary", "nearest")
    assert tuple(one.get_size_inches()) == (4.0, 4.0)
    three = digit_panels([("a", flat(1)), ("b", flat(2)), ("c", flat(3))], per_row=1)
    assert tuple(three.get_size_inches()) == (12.0, 4.0)
    assert [axis.images[0].get_array().shape for axis in three.axes] == [(28, 28)] * 3
    four = digit_panels([(name, flat(1)) for name in "abcd"])
    assert tuple(four.get_size_inches()) == (8.0, 8.0)
    corners = [(axis.get_position().x0 < 0.5, axis.get_position().y0 > 0.5) for axis in four.axes]
    assert [axis.get_title() for axis in four.axes] == ["a (1)", "b (1)", "c (1)", "d (1)"]
    assert corners == [(True, True), (False, True), (True, False), (False, False)]  # two by two, row by row


def test_digit_panels_draw_empty_panels() -> None:
    figure = digit_panels([("none", np.zeros((0, 784), np.uint8)), ("one", np.ones((1, 784), np.uint8))])
    titles = [axis.get_title() for axis in figure.axes]
    assert titles == ["none (0)", "one (1)"]
    assert [len(axis.images) for axis in figure.axes] == [0, 1]
    assert tuple(figure.get_size_inches()) == (8.0, 4.0)


def test_confusion_errors_labels_rows_actual_and_columns_predicted() -> None:
    normalized = np.zeros((11, 12))  # eleven actual classes, twelve predicted: a tick on each
    normalized[0, 1], normalized[10, 11] = 0.25, 0.5
    figure = confusion_errors(normalized)
    axes, bar = figure.axes
    (drawn,) = axes.images
    assert np.array_equal(drawn.get_array(), normalized) and drawn.get_cmap().name == "gray"
    assert bar.get_ylabel() == "share of the actual digit's test images"
    assert (axes.get_xlabel(), axes.get_ylabel()) == ("predicted digit", "actual digit")
    assert (axes.get_xticks().tolist(), axes.get_yticks().tolist()) == (list(range(12)), list(range(11)))
    assert axes.xaxis.get_label_position() == "top"
    assert tuple(figure.get_size_inches()) == (6.0, 5.0)


def test_reliability_against_the_diagonal() -> None:
    figure = reliability([0.25, 0.75], [0.125, 0.875], 0.123456, "a title")
    (axes,) = figure.axes
    diagonal, curve = axes.lines
    assert (list(diagonal.get_xdata()), list(diagonal.get_ydata())) == ([0, 1], [0, 1])
    assert (to_hex(diagonal.get_color()), diagonal.get_linestyle(), diagonal.get_label()) == (
        "#000000",
        ":",
        "perfectly calibrated",
    )
    assert (list(curve.get_xdata()), list(curve.get_ydata())) == ([0.25, 0.75], [0.125, 0.875])
    assert (curve.get_marker(), curve.get_linestyle(), curve.get_label()) == ("s", "-", "out-of-fold (Brier 0.1235)")
    assert (axes.get_xlabel(), axes.get_ylabel(), axes.get_title()) == (
        "mean predicted probability",
        "fraction of positives",
        "a title",
    )
    assert (axes.get_xlim(), axes.get_ylim()) == ((0.0, 1.0), (0.0, 1.0))
    assert axes.get_legend()._loc == Legend.codes["upper left"]
    assert visible_grid(figure)
    assert tuple(figure.get_size_inches()) == (5.0, 5.0)


def test_shifted_panel_is_the_seeds_figure() -> None:
    images = [flat(1), flat(2), flat(3)]
    figure = shifted_panel(*images)
    assert [(axis.get_title(), axis.title.get_fontsize()) for axis in figure.axes] == [
        ("Original", 14.0),
        ("Shifted down", 14.0),
        ("Shifted left", 14.0),
    ]
    for axis, image in zip(figure.axes, images, strict=True):
        (drawn,) = axis.images
        assert np.array_equal(drawn.get_array(), image.reshape(28, 28))
        assert (drawn.get_cmap().name, drawn.get_interpolation()) == ("Greys", "nearest")
    assert tuple(figure.get_size_inches()) == (12.0, 3.0)


# --- the trade-off figure's marks and window ------------------------------------------------------


def hand_curve() -> Curve:
    """Thresholds -5, 0, 1, ..., 22, 30: recall below 0.99 from 1, below 0.05 from 21; precision 0.9 first at 10."""
    thresholds = np.array([-5.0, *range(23), 30.0])
    recall = np.array([1.0, 1.0, 0.95, *np.linspace(0.9, 0.1, 19), 0.0, 0.0, 0.0, 0.0])
    precision = np.array([*np.linspace(0.5, 0.85, 11), 0.9, 0.9, *np.linspace(0.91, 0.99, 12), 1.0])
    return Curve(precision, recall, thresholds)


def evaluate_params(**changes: object) -> BinaryEvaluateParams:
    return load_params(REPO_ROOT / "params.yaml").mnist.evaluate.model_copy(update=changes)


def test_threshold_figure_marks_and_window() -> None:
    curve = hand_curve()
    assert (len(curve.thresholds), len(curve.recall), len(curve.precision)) == (25, 26, 26)
    figure = threshold_figure(curve, evaluate_params(threshold=5.0, target_precision=0.9))
    (axes,) = figure.axes
    # low 1, high 21, 5% margins of 1: the window is [0, 22], both ends thresholds of the curve, kept
    assert axes.get_xlim() == (0.0, 22.0)
    precision, recall, _, decision, _, target = axes.lines
    assert precision.get_xdata().tolist() == list(range(23))
    assert precision.get_ydata().tolist() == curve.precision[1:24].tolist()
    assert recall.get_ydata().tolist() == curve.recall[1:24].tolist()
    # a mark at x is where "score > x": the point after the thresholds up to x
    assert decision.get_xdata().tolist() == [5.0, 5.0]
    assert decision.get_ydata().tolist() == [curve.precision[7], curve.recall[7]]  # thresholds -5, 0, ..., 5 below
    assert target.get_ydata().tolist() == [curve.precision[12], curve.recall[12]]
    legend = [text.get_text() for text in axes.get_legend().get_texts()]
    assert legend == ["Precision", "Recall", "decision threshold (5)", "precision 0.9 (10)"]


def test_threshold_figure_mark_past_the_last_threshold_and_an_unreached_precision() -> None:
    curve = Curve(np.array([0.5, 0.6, 0.7, 1.0]), np.array([1.0, 0.5, 0.25, 0.0]), np.array([1.0, 2.0, 3.0]))
    figure = threshold_figure(curve, evaluate_params(threshold=3.0, target_precision=0.95))
    (axes,) = figure.axes
    _, _, _, decision = axes.lines  # no threshold reaches precision 0.95: one mark
    # clipped to the last threshold's point: the curve's end (precision 1 by convention) is no operating point
    assert decision.get_ydata().tolist() == [0.7, 0.25]
    assert [text.get_text() for text in axes.get_legend().get_texts()][2:] == ["decision threshold (3)"]
    one = Curve(np.array([0.5, 1.0]), np.array([1.0, 0.0]), np.array([5.0]))  # a window holding one threshold
    precision, *_ = threshold_figure(one, evaluate_params(threshold=5.0, target_precision=0.95)).axes[0].lines
    assert (precision.get_xdata().tolist(), precision.get_ydata().tolist()) == ([5.0], [0.5])


def test_drawn_curves_are_thinned_to_4000_points() -> None:
    n = 8001
    curve = Curve(np.linspace(0.5, 1.0, n + 1), np.linspace(1.0, 0.0, n + 1), np.arange(n, dtype=np.float64))
    (axes,) = threshold_figure(curve, evaluate_params(threshold=0.0, target_precision=0.9)).axes
    assert len(axes.lines[0].get_xdata()) == 4000


# --- the stage's inputs and its PNGs --------------------------------------------------------------

N_TRAIN = 101  # one past the 100 digits of more_digits.png
SCORE = np.arange(N_TRAIN) - 48.0  # row 48 scores 0: a tie with the decision threshold
TARGET = np.arange(N_TRAIN) % 4 == 0  # rows 0, 4, ..., 100 are 5s
TEST_LABELS = np.array([3, 3, 3, 5, 5, 5, 5, 1], dtype=np.uint8)
TEST_GUESSES = np.array([3, 5, 3, 5, 3, 5, 5, 3])


def mnist_params() -> MnistParams:
    params = load_params(REPO_ROOT / "params.yaml").mnist
    return params.model_copy(
        update={
            "figures": params.figures.model_copy(
                update={"some_digit": 2, "shift_example": 3, "shift_example_pixels": 5, "error_examples": 20}
            ),
            "evaluate": params.evaluate.model_copy(
                update={"threshold": 0.0, "walkthrough_row": 4, "calibration_bins": 10}
            ),
        }
    )


def stage_files(tmp_path: Path, n_scores: int = N_TRAIN, labels: np.ndarray = TEST_LABELS) -> tuple[Path, ...]:
    rng = np.random.default_rng(0)
    train = rng.integers(0, 256, size=(N_TRAIN, 784), dtype=np.uint8)
    train[3] = 0
    train[3, 10 * 28 + 10] = 255  # the shift example: one lit pixel at row 10, column 10
    paths = tuple(tmp_path / name for name in ("train.parquet", "scores.parquet", "test.parquet", "reference.parquet"))
    write_mnist(train, np.zeros(N_TRAIN, np.uint8), paths[0])
    write_scores(paths[1], np.zeros(n_scores, np.uint8), TARGET[:n_scores], SCORE[:n_scores])
    write_mnist(rng.integers(0, 256, size=(len(TEST_LABELS), 784), dtype=np.uint8), TEST_LABELS, paths[2])
    predictions.write(paths[3], labels, TEST_GUESSES, {"train_rows": N_TRAIN})  # the reference model's
    return paths


@pytest.mark.parametrize(
    ("section", "key"), [("figures", "some_digit"), ("figures", "shift_example"), ("evaluate", "walkthrough_row")]
)
def test_read_inputs_refuses_rows_past_the_training_set(tmp_path: Path, section: str, key: str) -> None:
    params = mnist_params()
    changed = getattr(params, section).model_copy(update={key: N_TRAIN})
    with pytest.raises(PipelineError, match=rf"'mnist\.{section}\.{key}' must be below 101, got 101"):
        read_inputs(*stage_files(tmp_path), params.model_copy(update={section: changed}))


def test_read_inputs_refuses_inputs_of_other_runs(tmp_path: Path) -> None:
    paths = stage_files(tmp_path, n_scores=N_TRAIN - 1)
    with pytest.raises(
        PipelineError, match=r"scores\.parquet: 100 rows, but .*train\.parquet has 101 \(rerun dvc repro\)"
    ):
        read_inputs(*paths, mnist_params())
    paths = stage_files(tmp_path, labels=np.array([3, 3, 3, 5, 5, 5, 5, 2], dtype=np.uint8))
    with pytest.raises(PipelineError, match=r"reference\.parquet: its labels are not those of .*test\.parquet"):
        read_inputs(*paths, mnist_params())


def test_the_figures_take_the_reference_models_predictions(tmp_path: Path) -> None:
    """The file of mnist.evaluate.reference's predictions (the stage passes data/mnist/predictions/<reference>)."""
    assert read_inputs(*stage_files(tmp_path), mnist_params()).test_predicted.tolist() == TEST_GUESSES.tolist()


@pytest.mark.parametrize(
    ("digit", "title"), [(0, "0-vs-rest calibration"), (3, "3-vs-rest calibration"), (9, "9-vs-rest calibration")]
)
def test_the_calibration_figure_is_titled_by_the_positive_digit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, digit: int, title: str
) -> None:
    inputs = read_inputs(*stage_files(tmp_path), mnist_params())
    drawn: dict[str, Figure] = {}
    monkeypatch.setattr(figures, "save_figure", lambda figure, target: drawn.__setitem__(Path(target).name, figure))
    write_figures(inputs, mnist_params().model_copy(update={"positive_digit": digit}), tmp_path)
    assert [axis.get_title() for axis in drawn["calibration.png"].axes] == [title]


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (bytes 16-24, big-endian, after the 8-byte signature)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_write_figures_draws_each_figure_from_its_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inputs = read_inputs(*stage_files(tmp_path), mnist_params())
    assert inputs.test_predicted.tolist() == TEST_GUESSES.tolist()
    with pytest.raises(dataclasses.FrozenInstanceError):
        inputs.__setattr__("pixels", None)
    drawn: dict[str, Figure] = {}
    real_save = figures.save_figure

    def keep(figure: Figure, target: Path) -> None:  # the real save, remembering what was drawn
        drawn[Path(target).name] = figure
        real_save(figure, target)

    monkeypatch.setattr(figures, "save_figure", keep)
    out = tmp_path / "figures"
    out.mkdir()
    write_figures(inputs, mnist_params(), out)
    sizes = {path.name: png_size(path) for path in out.iterdir()}
    assert sizes == {  # 100 pixels an inch
        "some_digit.png": (300, 300),
        "more_digits.png": (900, 900),
        "shifted_digit.png": (1200, 300),
        "precision_vs_recall.png": (800, 600),
        "walkthrough_digit.png": (300, 300),
        "errors_3_vs_5.png": (800, 800),
        "confusion_normalized.png": (600, 500),
        "calibration.png": (500, 500),
    }
    assert (out / "some_digit.png").read_bytes() != (out / "walkthrough_digit.png").read_bytes()

    def image(name: str, panel: int = 0) -> np.ndarray:
        return np.asarray(drawn[name].axes[panel].images[0].get_array())

    def titles(name: str) -> list[str]:
        return [axis.get_title() for axis in drawn[name].axes]

    pixels = inputs.pixels
    assert np.array_equal(image("some_digit.png"), pixels[2].reshape(28, 28))
    assert np.array_equal(image("walkthrough_digit.png"), pixels[4].reshape(28, 28))
    grid = image("more_digits.png")
    assert grid.shape == (280, 280)  # the first 100 of the 101 rows
    assert np.array_equal(grid[252:, 252:], pixels[99].reshape(28, 28))
    shifted = [np.argwhere(image("shifted_digit.png", panel)).tolist() for panel in range(3)]
    assert shifted == [[[10, 10]], [[15, 10]], [[10, 5]]]  # five pixels down, five left
    assert titles("errors_3_vs_5.png") == [
        "3 predicted as 3 (2)",
        "3 predicted as 5 (1)",
        "5 predicted as 3 (1)",
        "5 predicted as 5 (3)",
    ]
    expected = np.zeros((10, 10))
    expected[3, 5], expected[5, 3], expected[1, 3] = 1 / 3, 1 / 4, 1.0
    assert np.asarray(drawn["confusion_normalized.png"].axes[0].images[0].get_array()) == pytest.approx(expected)
    assert drawn["calibration.png"].axes[0].get_title() == "5-vs-rest calibration"
    (curve,) = drawn["precision_vs_recall.png"].axes[0].lines
    assert len(curve.get_xdata()) == N_TRAIN and curve.get_xdata()[0] == 1.0  # every threshold: below 4000


def test_write_threshold_figures_draws_the_two_a_threshold_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs = read_inputs(*stage_files(tmp_path), mnist_params())
    drawn: dict[str, Figure] = {}
    real_save = figures.save_figure

    def keep(figure: Figure, target: Path) -> None:  # the real save, remembering what was drawn
        drawn[Path(target).name] = figure
        real_save(figure, target)

    monkeypatch.setattr(figures, "save_figure", keep)
    out = tmp_path / "operating_point"
    out.mkdir()
    curve = pr_curve(inputs.target, inputs.score)
    write_threshold_figures(curve, inputs.target, inputs.score, inputs.pixels, mnist_params(), out)
    sizes = {path.name: png_size(path) for path in out.iterdir()}
    assert sizes == {"precision_recall_vs_threshold.png": (800, 400), "binary_errors.png": (800, 400)}

    def first_digit(panel: int, column: int = 0) -> np.ndarray:
        return np.asarray(drawn["binary_errors.png"].axes[panel].images[0].get_array())[
            :28, 28 * column : 28 * (column + 1)
        ]

    def titles() -> list[str]:
        return [axis.get_title() for axis in drawn["binary_errors.png"].axes]

    pixels = inputs.pixels
    # Scores > 0 from row 49; 5s are the rows divisible by 4. False positives: 52 - 13 = 39 (first: row 49),
    # 20 shown; false negatives: 0, 4, ..., 48 (the tie at 0 is "not 5"): 13.
    assert titles() == ["false positives (20)", "false negatives (13)"]
    assert np.array_equal(first_digit(0), pixels[49].reshape(28, 28))
    assert np.array_equal(first_digit(1), pixels[0].reshape(28, 28))
    assert np.array_equal(first_digit(1, 1), pixels[4].reshape(28, 28))
    legend = [text.get_text() for text in drawn["precision_recall_vs_threshold.png"].axes[0].get_legend().get_texts()]
    assert legend[:3] == ["Precision", "Recall", "decision threshold (0)"] and legend[3].startswith("precision 0.9 (")

    # At threshold 10: scores > 10 from row 59, of which 60, 64, ..., 100 are 5s (11): 31 false positives,
    # 20 shown; false negatives 0, 4, ..., 56: 15.
    params = mnist_params()
    moved = params.model_copy(update={"evaluate": params.evaluate.model_copy(update={"threshold": 10.0})})
    write_threshold_figures(curve, inputs.target, inputs.score, inputs.pixels, moved, out)
    assert titles() == ["false positives (20)", "false negatives (15)"]
    assert np.array_equal(first_digit(0), pixels[59].reshape(28, 28))
    legend = [text.get_text() for text in drawn["precision_recall_vs_threshold.png"].axes[0].get_legend().get_texts()]
    assert legend[2] == "decision threshold (10)"
