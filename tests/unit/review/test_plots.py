"""Plot definitions read from dvc.yaml, and the figures drawn from hostile labels."""

from __future__ import annotations

from pathlib import Path

import helpers
import matplotlib
import numpy as np
import pytest
import yaml

from pipelib.errors import PipelineError
from pipelib.review import figures, mermaid
from pipelib.review.plots import Plot, PlotData, confusion_pair, plot_definitions, read_plot


def test_the_repository_plots_come_from_dvc_yaml() -> None:
    plots, skipped = plot_definitions(helpers.REPO_ROOT / "dvc.yaml")
    raw = helpers.read_dvc_yaml()["plots"]
    defined = {name: spec for entry in raw if isinstance(entry, dict) for name, spec in entry.items()}
    assert [plot.name for plot in plots] == list(defined)
    for plot in plots:
        spec = defined[plot.name]
        assert plot.title == spec["title"]
        assert plot.template == spec.get("template", "linear")
        [(file, columns)] = spec["y"].items()
        assert (plot.file, plot.x) == (file, spec["x"])
        assert plot.y == ((columns,) if isinstance(columns, str) else tuple(columns))
        assert (helpers.REPO_ROOT / plot.file).is_file()
    assert skipped == []


def write(tmp_path: Path, plots: list) -> Path:
    path = tmp_path / "dvc.yaml"
    path.write_text(yaml.safe_dump({"stages": {}, "plots": plots}), encoding="utf-8")
    return path


def test_forms_and_templates(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        [
            "plots/figures",
            {"a.csv": {"x": "t", "y": ["p", "r"], "x_label": "Threshold"}},
            {"cm": {"template": "confusion", "x": "actual", "y": {"c.csv": "predicted"}}},
            {"two": {"x": "t", "y": {"a.csv": "p", "b.csv": "p"}}},
            {"img": {"y": {"fig.png": "p"}, "x": "t"}},
        ],
    )
    plots, skipped = plot_definitions(path)
    assert [(p.name, p.kind, p.file, p.x, p.y, p.x_label, p.y_label) for p in plots] == [
        ("a.csv", "lines", "a.csv", "t", ("p", "r"), "Threshold", "p, r"),
        ("cm", "confusion", "c.csv", "actual", ("predicted",), "actual", "predicted"),
    ]
    assert skipped == ["two", "img"]


@pytest.mark.parametrize("file", ["../outside.csv", "/etc/passwd.csv", "a/../../b.csv"])
def test_a_plot_cannot_point_outside_the_project(tmp_path: Path, file: str) -> None:
    path = write(tmp_path, [{"p": {"x": "a", "y": {file: "b"}}}])
    with pytest.raises(PipelineError, match="is outside the project"):
        plot_definitions(path)


def test_confusion_labels_sort_as_numbers_and_count_both_revisions() -> None:
    plot = Plot("cm", "cm", "confusion", "c.csv", "actual", ("predicted",), "a", "p")
    current = read_plot(plot, "actual,predicted\n10,10\n2,10\n", "c.csv")
    base = read_plot(plot, "actual,predicted\n10,2\n2,2\n", "c.csv")
    labels, before, now = confusion_pair(PlotData(plot, base, current))
    assert labels == ["2", "10"]
    assert before is not None and before.tolist() == [[1, 0], [1, 0]]
    assert now.tolist() == [[0, 1], [0, 1]]


def test_a_dollar_label_does_not_crash_matplotlib() -> None:
    """Issue 13: a feature label `$\\frac{$` crashed mathtext; escaped, it draws as text."""
    matplotlib.use("Agg")
    plot = Plot("b", r"coef $\frac{$", "bar_horizontal", "b.csv", "coefficient", ("feature",), "c $x", "f")
    labels = {"feature": np.array([r"$\frac{$", "$$"]), "coefficient": np.array([1.0, -1.0])}
    chart = figures.draw(PlotData(plot, labels, labels), r"main$\frac{", {})
    assert figures.png_bytes(chart.figure)[:8] == b"\x89PNG\r\n\x1a\n"
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots()
    axes.set_title(r"$\frac{$")  # the same text unescaped: what the review used to do
    with pytest.raises(ValueError):
        figures.png_bytes(figure)


def test_resampling_onto_a_shared_grid() -> None:
    at = mermaid.grid([np.array([0.0, 0.5]), np.array([1.0, 0.25])], points=5)
    assert at.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    y = mermaid.resample(np.array([1.0, 0.0, np.nan]), np.array([0.0, 1.0, 5.0]), at)
    assert y.tolist() == [1.0, 0.75, 0.5, 0.25, 0.0]
