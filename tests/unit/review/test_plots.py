"""Plot definitions read from dvc.yaml, and the figures drawn from hostile labels."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import helpers
import matplotlib
import numpy as np
import pytest
import yaml

from pipelib.errors import PipelineError
from pipelib.review import figures, mermaid, plots
from pipelib.review.plots import Plot, PlotData, bar_values, confusion_pair, plot_definitions, read_plot


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


# --- dvc.yaml's plot entries, edge by edge ----------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "kind"),
    [
        ("linear", "lines"),
        ("simple", "lines"),
        ("scatter", "lines"),
        ("smooth", "lines"),
        ("a template DVC adds later", "lines"),
        ("confusion", "confusion"),
        ("confusion_normalized", "confusion"),
        ("bar_horizontal", "bars"),
        ("bar_horizontal_sorted", "bars"),
    ],
)
def test_kind_of_each_dvc_template(template: str, kind: str) -> None:
    assert Plot("p", "t", template, "p.csv", "x", ("y",), "x", "y").kind == kind


def test_every_setting_of_an_entry_and_the_entries_not_drawn(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        [
            {"pr": {"title": 7, "template": "smooth", "x": {"p.csv": "r"}, "y": {"p.csv": ["p"]}, "y_label": "P"}},
            {"bare": None},  # no settings at all: nothing to draw
            {"text": "p.csv"},  # settings that are not a mapping
            {"noy": {"x": "t"}},
            {"nox": {"y": {"a.csv": "p"}}},
            {"emptyx": {"x": "", "y": {"a.csv": "p"}}},
            {"numberx": {"x": 3, "y": {"a.csv": "p"}}},
            {"xelsewhere": {"x": {"b.csv": "t"}, "y": {"a.csv": "p"}}},
            {"xtwice": {"x": {"a.csv": "t", "b.csv": "t"}, "y": {"a.csv": "p"}}},
            {"notcsv": {"x": "t", "y": {"a.tsv": "p"}}},
        ],
    )
    plots, skipped = plot_definitions(path)
    assert plots == [Plot("pr", "7", "smooth", "p.csv", "r", ("p",), "r", "P")]
    assert skipped == ["bare", "text", "noy", "nox", "emptyx", "numberx", "xelsewhere", "xtwice", "notcsv"]


def test_no_plots_at_all(tmp_path: Path) -> None:
    path = tmp_path / "dvc.yaml"
    path.write_text("stages: {}\n", encoding="utf-8")
    assert plot_definitions(path) == ([], [])


def test_reads_dvc_yaml_in_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, [{"a.csv": {"x": "t", "y": "p"}}])
    monkeypatch.chdir(tmp_path)
    plots, _ = plot_definitions()
    assert [(plot.name, plot.file, plot.y, plot.template) for plot in plots] == [("a.csv", "a.csv", ("p",), "linear")]


@pytest.mark.parametrize(
    ("plots", "message"),
    [
        ({"a": "b"}, "dvc.yaml: 'plots' must be a list"),
        ([3], "dvc.yaml: each plot must be a path or one {id: definition}, got 3"),
        ([{"a": {}, "b": {}}], "dvc.yaml: each plot must be a path or one {id: definition}, got {'a': {}, 'b': {}}"),
        ([{"p": {"x": "a", "y": {"": "b"}}}], "dvc.yaml: plot 'p': the data file must be a path, got ''"),
        ([{"p": {"x": "a", "y": {5: "b"}}}], "dvc.yaml: plot 'p': the data file must be a path, got 5"),
        ([{"p": {"x": "a", "y": {"a\\b.csv": "b"}}}], "plot 'p': data file 'a\\\\b.csv' is outside the project"),
        ([{"p": {"x": "a", "y": {"p.csv": []}}}], "plot 'p': columns must be a name or a list of names, got []"),
        ([{"p": {"x": "a", "y": {"p.csv": ["b", ""]}}}], "columns must be a name or a list of names, got ['b', '']"),
        ([{"p": {"x": "a", "y": {"p.csv": ["b", 3]}}}], "columns must be a name or a list of names, got ['b', 3]"),
        ([{"p": {"x": "a", "y": {"p.csv": {"b": 1}}}}], "columns must be a name or a list of names, got {'b': 1}"),
        ([{"p": {"x": "a", "y": {"p.csv": 3}}}], "columns must be a name or a list of names, got 3"),
        ([{"p": {"x": "a", "y": {"p.csv": "b"}, "template": 3}}], "dvc.yaml: plot 'p': template must be a name, got 3"),
        ([{"p": {"x": "a", "y": {"p.csv": "b"}}}, {"p": {"x": "a", "y": {"q.csv": "b"}}}], "two plots share an id"),
    ],
)
def test_bad_plot_entries_are_one_line(tmp_path: Path, plots: object, message: str) -> None:
    path = write(tmp_path, plots)  # type: ignore[arg-type]
    with pytest.raises(PipelineError) as raised:
        plot_definitions(path)
    assert str(raised.value).startswith(f"{path}: ")
    assert str(raised.value).endswith(message.removeprefix("dvc.yaml: "))


def test_unreadable_dvc_yaml(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match=r"dvc\.yaml: not found \(run the review in the project directory\)$"):
        plot_definitions(tmp_path / "dvc.yaml")
    (tmp_path / "dvc.yaml").write_text("plots: [\n", encoding="utf-8")
    with pytest.raises(PipelineError, match=r"dvc\.yaml: not valid YAML \(") as raised:
        plot_definitions(tmp_path / "dvc.yaml")
    assert "\n" not in str(raised.value)
    (tmp_path / "dvc.yaml").write_text("- plots\n", encoding="utf-8")
    with pytest.raises(PipelineError, match=r"dvc\.yaml: 'plots' must be a list$"):
        plot_definitions(tmp_path / "dvc.yaml")


# --- plot data files --------------------------------------------------------------------------------


def test_read_plot_of_each_kind() -> None:
    curve = Plot("pr", "pr", "linear", "p.csv", "r", ("p", "q"), "r", "p")
    found = read_plot(curve, "r,p,q,unused\n0.5,1,2,x\n\n1,0.25,3,y\n", "p.csv")  # blank lines skipped
    assert {name: values.tolist() for name, values in found.items()} == {
        "r": [0.5, 1.0],
        "p": [1.0, 0.25],
        "q": [2.0, 3.0],
    }
    bars = Plot("b", "b", "bar_horizontal", "b.csv", "coefficient", ("feature",), "c", "f")
    found = read_plot(bars, "feature,coefficient\nSex_male,-2.5\n7,0.5\n", "b.csv")
    assert {name: values.tolist() for name, values in found.items()} == {
        "coefficient": [-2.5, 0.5],
        "feature": ["Sex_male", "7"],
    }
    confusion = Plot("cm", "cm", "confusion", "c.csv", "actual", ("predicted",), "a", "p")
    found = read_plot(confusion, "actual,predicted\n1,0\n", "c.csv")
    assert {name: values.tolist() for name, values in found.items()} == {"actual": ["1"], "predicted": ["0"]}


def test_bad_plot_data_is_one_line() -> None:
    curve = Plot("pr", "pr", "linear", "p.csv", "r", ("p",), "r", "p")
    with pytest.raises(PipelineError, match=r"^p\.csv: empty plot data file$"):
        read_plot(curve, "", "p.csv")
    with pytest.raises(PipelineError, match=r"^p\.csv: column 'p' has a value that is not a float$"):
        read_plot(curve, "r,p\n1,2\n3\n", "p.csv")  # a short row
    with pytest.raises(PipelineError, match=r"^p\.csv: no column 'p' \(columns: r, q\)$"):
        read_plot(curve, "r,q\n1,2\n", "p.csv")


def test_a_million_rows_are_plot_data_one_more_is_not() -> None:
    # The row reader alone (converting a million cells would only make the test slower).
    header, rows = plots._rows("x\n" + "1\n" * 1_000_000, "c.csv")
    assert (header, len(rows), rows[-1]) == (["x"], 1_000_000, ["1"])
    with pytest.raises(PipelineError, match=r"^c\.csv: more than 1,000,000 rows, not plot data$"):
        plots._rows("x\n" + "1\n" * 1_000_001, "c.csv")


def test_confusion_labels_of_either_revision_and_without_a_base() -> None:
    plot = Plot("cm", "cm", "confusion", "c.csv", "actual", ("predicted",), "a", "p")
    current = read_plot(plot, "actual,predicted\ncat,cat\ncat,dog\ndog,dog\n", "c.csv")
    base = read_plot(plot, "actual,predicted\ncat,cow\ncow,cow\n", "c.csv")
    labels, before, now = confusion_pair(PlotData(plot, base, current))
    assert labels == ["cat", "cow", "dog"]  # text labels sort as text; 'cow' only in the base
    assert before is not None and before.tolist() == [[0, 1, 0], [0, 1, 0], [0, 0, 0]]
    assert now.tolist() == [[1, 0, 1], [0, 0, 0], [0, 0, 1]]
    labels, before, now = confusion_pair(PlotData(plot, None, current))
    assert (labels, before, now.tolist()) == (["cat", "dog"], None, [[1, 1], [0, 1]])


def test_bar_values_pair_labels_with_values_in_file_order() -> None:
    plot = Plot("b", "b", "bar_horizontal", "b.csv", "coefficient", ("feature",), "c", "f")
    columns = {"feature": np.array(["z", "a"]), "coefficient": np.array([1.5, -2.0])}
    assert list(bar_values(columns, plot).items()) == [("z", 1.5), ("a", -2.0)]
    with pytest.raises(ValueError):  # a label without a value is an error, not dropped
        bar_values({"feature": np.array(["z", "a"]), "coefficient": np.array([1.5])}, plot)


def test_plots_are_values() -> None:
    plot = Plot("p", "t", "linear", "p.csv", "x", ("y",), "x", "y")
    assert len({plot, Plot("p", "t", "linear", "p.csv", "x", ("y",), "x", "y")}) == 1
    data = PlotData(plot, None, {"x": np.zeros(1)})
    with pytest.raises(dataclasses.FrozenInstanceError):
        data.base = {}  # type: ignore[misc]
