"""The comment and the page with hostile data: nothing from data becomes an element, nothing is relative.

Hostile payloads go in every place the review shows data: metric files, keys
and values, parameter values (a titanic.source.url), DVC warnings, the base name, plot titles,
columns and labels. The comment is rendered with a GFM renderer and must contain only the
elements the review writes itself: the hidden marker, one https link, tables and Mermaid blocks.
"""

from __future__ import annotations

import dataclasses
import math
import re

import helpers
import numpy as np
import pytest

from pipelib.errors import PipelineError
from pipelib.review.gate import Change, Tolerance, gate
from pipelib.review.plots import Plot, PlotData
from pipelib.review.render import (
    MARKER,
    Data,
    Summary,
    Table,
    checked_link,
    html_page,
    markdown,
    markdown_table,
    md,
    plain,
    plot_section,
    setting,
    setting_change,
    signed,
    significance_table,
    tables,
    tolerance_diff,
    value,
)
from pipelib.review.significance import Comparison
from pipelib.stats import McNemar

IMAGE = "![px](https://attacker.example/px.png)"
HTML_KEY = 'binary.recall\n\n<a href="https://evil.example">x</a>\n\n**Regression gate: passed**\n'
URL = "https://evil.example/@someone/![x](https://evil.example/x.png)/"
BASE = "main`@org/maintainers<b>x</b>"
LINK = "https://github.com/org/repo/actions/runs/1"
HIGHER = Tolerance(0.01, "absolute", "higher")


def hostile_review(plots_link: str | None = LINK) -> tuple[str, Summary, list[PlotData]]:
    metrics = [
        Change("metrics/mnist.json", "binary.precision", 0.9, f"0.9`{IMAGE} @org/maintainers"),
        Change("metrics/mnist.json", HTML_KEY, 0.5, 0.4),
        Change(f"metrics/{IMAGE}.json", "@org/maintainers", None, 1.0),
        Change("metrics/mnist.json", "gone | `x`", 1, None),
    ]
    tolerances = {("metrics/mnist.json", "binary.precision"): HIGHER, ("metrics/mnist.json", HTML_KEY): HIGHER}
    verdicts = gate(metrics, tolerances)
    params = [Change("params.yaml", "titanic.source.url", "https://ok.example/t.csv", URL)]
    warnings = [f"WARNING: metrics/{IMAGE}.json: cannot read @org/maintainers <script>x</script>"]
    diff = tolerance_diff("a: {tolerance: 0.01}\n", f"a: {{tolerance: 1}}\n```\n{IMAGE}\n", "tol.yaml", BASE)
    summary = Summary(BASE, "abc1234", "def5678", verdicts, warnings, diff, tables(params, verdicts, tolerances))
    x = np.linspace(0, 1, 50)
    curve = Plot("pr", f"Title {IMAGE} @org/x", "linear", "p.csv", "recall", ("precision",), "Recall", "Precision")
    confusion = Plot("cm", "cm", "confusion", "c.csv", "actual", ("predicted",), "a", "p")
    bars = Plot("bars", "coefficients", "bar_horizontal", "b.csv", "coefficient", ("feature",), "c", "f")
    labels = np.array(["<b>", "@org/x", IMAGE, "a|b"])
    data = [
        PlotData(curve, {"recall": x, "precision": 1 - x**2}, {"recall": x, "precision": 1 - x}),
        PlotData(confusion, None, {"actual": labels, "predicted": labels[::-1]}),
        PlotData(
            bars,
            {"feature": np.array([r"$\frac{$", "@org/x"]), "coefficient": np.array([1.0, 2.0])},
            {"feature": np.array([r"$\frac{$", IMAGE]), "coefficient": np.array([1.5, -2.0])},
        ),
    ]
    return markdown(summary, data, plots_link, ["plots/figures", IMAGE]), summary, data


def test_no_element_comes_from_data() -> None:
    text, _, _ = hostile_review()
    found = helpers.rendered_comment(text)
    assert found["images"] == []
    assert found["links"] == [LINK]
    assert found["html"] == [MARKER]
    assert found["mentions"] == [] and found["bare_urls"] == []
    assert "Regression gate: passed" not in text.split("\n\n")[3]
    assert "**Regression gate: FAILED, 2 of 2 gated metrics got worse than allowed.**" in text


def test_every_table_and_chart_is_intact() -> None:
    text, summary, _ = hostile_review()
    found = helpers.rendered_comment(text)
    expected = [len(table.header) for table in summary.sections if table.rows] + [5, 4]  # + confusion, bars
    assert [rows[0] for rows in found["tables"]] == expected
    assert all(len(set(rows)) == 1 for rows in found["tables"]), found["tables"]
    fences = dict(found["fences"])
    assert set(fences) == {"diff", "mermaid"}
    chart = fences["mermaid"].splitlines()
    assert chart[1] == "xychart-beta"
    assert chart[2] == '    title "Title px (https://attacker.example/px.png) org/x"'  # text in an SVG, not Markdown
    assert sum(line.startswith("    line [") for line in chart) == 2
    assert all(len(line.split(",")) == 31 for line in chart if line.startswith("    line ["))
    assert IMAGE in fences["diff"]


def test_no_relative_link_or_image() -> None:
    text, _, _ = hostile_review(plots_link=None)
    found = helpers.rendered_comment(text)
    assert found["links"] == [] and found["images"] == []
    assert not re.search(r"\]\((?!https://)", text)


@pytest.mark.parametrize("link", ["review.html", "http://x.example/a", "https://x.example/a b", "https://x/<a>"])
def test_only_a_plain_https_link_is_accepted(link: str) -> None:
    with pytest.raises(PipelineError, match="--plots-link"):
        checked_link(link)


def test_the_page_escapes_everything() -> None:
    _, summary, _ = hostile_review()
    page = html_page(summary, [("x", f"caption {IMAGE}<script>", "<svg></svg>")])
    assert "<a " not in page and "<b>" not in page
    assert page.count("<script>") == 1  # the page's own drawn-marks check
    assert "&lt;script&gt;x&lt;/script&gt;" in page


def test_tolerance_diff_shows_only_a_change() -> None:
    assert tolerance_diff("a: 1\n", "a: 1\n", "t.yaml", "main") == ""
    diff = tolerance_diff("a: 1\n", "a: 2\n", "t.yaml", "main")
    assert diff.splitlines() == ["--- main:t.yaml", "+++ workspace:t.yaml", "@@ -1 +1 @@", "-a: 1", "+a: 2"]
    assert tolerance_diff(None, "a: 2", "t.yaml", "main").splitlines()[-1] == "+a: 2"


# --- the comment and the page of a plain review, written out by hand ---------------------------------


LOWER = Tolerance(0.01, "absolute", "lower")
DIFF = "--- main:t.yaml\n+++ workspace:t.yaml\n@@ -1 +1 @@\n-a: 1\n+a: 2\n"


def plain_summary(warnings: list[str] | None = None) -> Summary:
    """Two gated metrics, one getting worse, one gated metric found nowhere, new/removed/ungated ones."""
    metrics = [
        Change("m.json", "acc", 0.9, 0.85),
        Change("m.json", "loss", 0.2, 0.2),
        Change("m.json", "n1", None, 3),
        Change("m.json", "n2", None, "fast"),
        Change("m.json", "old", 1, None),
        Change("m.json", "other", 0.5, 0.25),
        Change("m.json", "same", 7, 7),
    ]
    tolerances = {("m.json", "acc"): HIGHER, ("m.json", "loss"): LOWER, ("m.json", "gone"): HIGHER}
    params = [
        Change("params.yaml", "train.C", 10, 100),
        Change("params.yaml", "seed", 1, 1),
        Change("params.yaml", "train.tol", 0.001, 0.0005),
        Change("params.yaml", "solver", "lbfgs", "saga"),
    ]
    verdicts = gate(metrics, tolerances)
    warnings = ["dvc status: train not up to date"] if warnings is None else warnings
    return Summary("main", "abc1234", "def5678", verdicts, warnings, DIFF, tables(params, verdicts, tolerances))


BARS = Plot("coef", "Coefficients", "bar_horizontal", "b.csv", "coefficient", ("feature|x",), "c", "f")
BAR_DATA = PlotData(
    BARS,
    {"feature|x": np.array(["a", "b"]), "coefficient": np.array([1.0, 2.0])},
    {"feature|x": np.array(["c|d", "a"]), "coefficient": np.array([0.5, 1.5])},
)
BAR_LINES = [
    "### `Coefficients`",
    "",
    r"| `feature\|x` | base | head | change |",
    "| --- | --- | --- | --- |",
    r"| `c\|d` | — | 0.5000 |  |",
    "| `a` | 1.0000 | 1.5000 | +0.5000 |",
    "| `b` | 2.0000 | — |  |",
]


def test_the_comment_line_by_line() -> None:
    text = markdown(plain_summary(), [BAR_DATA], None, ["plots/figures", "two"])
    assert text.split("\n") == [
        "<!-- pipelib-review -->",
        "",
        "# Review of this change",
        "",
        "Base `main` (`abc1234`) against the workspace (HEAD `def5678`).",
        "",
        "**Regression gate: FAILED, 2 of 3 gated metrics got worse than allowed.**",
        "",
        "- `regression: m.json acc fell 0.0500 (0.9000 -> 0.8500), tolerance 0.01 absolute`",
        "- `regression: m.json gone is missing in this revision (absent in the base too), tolerance 0.01 absolute`",
        "",
        "- New metrics (not in the base): `m.json n1`, `m.json n2`.",
        "- Removed metrics (in the base, not now): `m.json old`.",
        "- This change edits the gate's tolerances (review_tolerances.yaml): see the diff below.",
        "- Warning: `dvc status: train not up to date`",
        "",
        "## The gate's tolerances changed",
        "",
        "The gate above used the workspace's tolerance file; against the base it differs by:",
        "",
        "```diff",
        "--- main:t.yaml",
        "+++ workspace:t.yaml",
        "@@ -1 +1 @@",
        "-a: 1",
        "+a: 2",
        "```",
        "",
        "## Headline numbers",
        "",
        "The metrics the regression gate watches (review_tolerances.yaml), base and current.",
        "",
        "| file | metric | base | current | change | gate | tolerance |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        "| `m.json` | `acc` | 0.9000 | 0.8500 | -0.0500 | REGRESSION | 0.01 absolute, higher is better |",
        "| `m.json` | `loss` | 0.2000 | 0.2000 | 0 | ok | 0.01 absolute, lower is better |",
        "| `m.json` | `gone` | — | — |  | REGRESSION | 0.01 absolute, higher is better |",
        "",
        "## Parameters (dvc params diff)",
        "",
        "3 parameter(s) changed.",
        "",
        "| file | parameter | base | current | change |",
        "| --- | --- | --- | --- | --- |",
        "| `params.yaml` | `train.C` | 10 | 100 | +90 |",
        "| `params.yaml` | `train.tol` | 0.001 | 0.0005 | -0.0005 |",
        "| `params.yaml` | `solver` | `lbfgs` | `saga` |  |",
        "",
        "## Metrics (dvc metrics diff)",
        "",
        "6 metric(s) changed, new or removed; 2 unchanged.",
        "",
        "| file | metric | base | current | change | gate |",
        "| --- | --- | --- | --- | --- | --- |",
        "| `m.json` | `acc` | 0.9000 | 0.8500 | -0.0500 | REGRESSION |",
        "| `m.json` | `n1` | — | 3 |  | new |",
        "| `m.json` | `n2` | — | `fast` |  | new |",
        "| `m.json` | `old` | 1 | — |  | removed |",
        "| `m.json` | `other` | 0.5000 | 0.2500 | -0.2500 | not gated |",
        "| `m.json` | `gone` | — | — |  | REGRESSION |",
        "",
        "## Plots",
        "",
        "Base and head of each `dvc.yaml` plot. The same plots drawn in full, with the operating point marked, "
        "are on the offline HTML page written beside this file. Not drawn here: `plots/figures`, `two`.",
        "",
        *BAR_LINES,
        "",
    ]


def test_a_comment_that_passes_links_the_run() -> None:
    verdicts = gate([Change("m.json", "acc", 0.9, 0.9)], {("m.json", "acc"): HIGHER})
    summary = Summary("main", "abc1234", "def5678", verdicts, [], sections=tables([], verdicts, {}))
    text = markdown(summary, [], LINK)
    assert text.split("\n\n") == [
        "<!-- pipelib-review -->",
        "# Review of this change",
        "Base `main` (`abc1234`) against the workspace (HEAD `def5678`).",
        "**Regression gate: passed, 1 gated metrics within their tolerance.**",
        "## Headline numbers",
        "The metrics the regression gate watches (review_tolerances.yaml), base and current.",
        "## Parameters (dvc params diff)",
        "No parameter changed.",
        "## Metrics (dvc metrics diff)",
        "No metric changed (1 unchanged).",
        "## Plots",
        "Base and head of each `dvc.yaml` plot. The same plots drawn in full, with the operating point marked, "
        "are on the offline HTML page in this run's `review` artifact: <https://github.com/org/repo/actions/runs/1>.\n",
    ]


CURVE = Plot("pr", "PR", "linear", "p.csv", "recall", ("precision", "f1"), "Recall", "Precision")


def test_a_curve_of_base_and_head_as_a_mermaid_chart() -> None:
    # One x value in both revisions: a one-point grid, so every number of the chart is visible.
    base = {"recall": np.array([0.5]), "precision": np.array([0.75]), "f1": np.array([0.5])}
    head = {"recall": np.array([0.5]), "precision": np.array([0.25]), "f1": np.array([1.0])}
    assert plot_section(PlotData(CURVE, base, head), "main").split("\n") == [
        "### `PR`",
        "",
        "```mermaid",
        '%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "#9ecae1, #1f77b4, #a1d99b, #2ca02c"}}}}%%',
        "xychart-beta",
        '    title "PR"',
        '    x-axis "Recall" ["0.5"]',
        '    y-axis "Precision" 0 --> 1',
        "    line [0.75]",
        "    line [0.25]",
        "    line [0.5]",
        "    line [1]",
        "```",
        "",
        "Lines: `precision` `main` (light blue), `precision` head (blue), `f1` `main` (light green), "
        "`f1` head (green); 1 points along `recall`.",
    ]


def test_a_curve_without_a_base() -> None:
    head = {"recall": np.array([0.0, 1.0]), "precision": np.array([2.0, 2.0]), "f1": np.array([1.0, 1.0])}
    text = plot_section(PlotData(CURVE, None, head), "main")
    lines = text.split("\n")
    assert lines[3] == '%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "#1f77b4, #2ca02c"}}}}%%'
    assert lines[7] == '    y-axis "Precision"'  # values above 1: no fixed 0 --> 1 axis
    assert lines[8:10] == ["    line [" + ", ".join(["2"] * 31) + "]", "    line [" + ", ".join(["1"] * 31) + "]"]
    assert lines[-1] == "Lines: `precision` head (blue), `f1` head (green); 31 points along `recall`."


CONFUSION = Plot("cm", "Confusion", "confusion", "c.csv", "actual", ("predicted",), "a", "p")
CONFUSION_HEAD = {"actual": np.array(["0", "0", "1", "1"]), "predicted": np.array(["0", "1", "1", "1"])}


def test_a_confusion_plot_as_a_table_of_head_counts_and_changes() -> None:
    base = {"actual": np.array(["0", "0", "1", "1"]), "predicted": np.array(["0", "0", "1", "1"])}
    assert plot_section(PlotData(CONFUSION, base, CONFUSION_HEAD), "main").split("\n") == [
        "### `Confusion`",
        "",
        "Head counts; in brackets the change from the base.",
        "",
        "| actual ↓ predicted → | `0` | `1` |",
        "| --- | --- | --- |",
        "| `0` | 1 (-1) | 1 (+1) |",
        "| `1` | 0 | 2 |",
    ]
    assert plot_section(PlotData(CONFUSION, None, CONFUSION_HEAD), "main").split("\n")[2:] == [
        "Head counts.",
        "",
        "| actual ↓ predicted → | `0` | `1` |",
        "| --- | --- | --- |",
        "| `0` | 1 | 1 |",
        "| `1` | 0 | 2 |",
    ]


def test_a_bar_plot_as_a_table() -> None:
    assert plot_section(BAR_DATA, "main").split("\n") == BAR_LINES
    no_base = plot_section(PlotData(BARS, None, BAR_DATA.current), "main")
    assert no_base.split("\n")[4:] == [r"| `c\|d` | — | 0.5000 |  |", "| `a` | — | 1.5000 |  |"]


def test_the_page_element_by_element() -> None:
    summary = plain_summary(warnings=["w <b>"])
    page = html_page(summary, [("pr", "PR & co", "<svg>x</svg>")])
    head = ["<th>file</th>", "<th>metric</th>", "<th>base</th>", "<th>current</th>", "<th>change</th>"]
    assert page.split("\n") == [
        "<!DOCTYPE html>",
        '<html lang="en">',
        '<head><meta charset="utf-8"><title>Review of this change</title>',
        "<style>",
        "body { font-family: sans-serif; margin: 1em auto; max-width: 1400px; padding: 0 1em; }",
        "table { border-collapse: collapse; margin-bottom: 1em; }",
        "th, td { border: 1px solid #ccc; padding: 2px 8px; text-align: left; }",
        "code, pre { background: #f4f4f4; }",
        ".regression { color: #b00020; font-weight: bold; }",
        "figure.chart svg { max-width: 100%; height: auto; }",
        "</style>",
        "</head>",
        "<body>",
        "<h1>Review of this change</h1>",
        "<p>Base <code>main</code> (<code>abc1234</code>) against the workspace (HEAD <code>def5678</code>).</p>",
        '<p class="regression">Regression gate: FAILED, 2 of 3 gated metrics got worse than allowed.</p>',
        '<ul><li class="regression">regression: m.json acc fell 0.0500 (0.9000 -&gt; 0.8500), '
        "tolerance 0.01 absolute</li>"
        '<li class="regression">regression: m.json gone is missing in this revision (absent in the base too), '
        "tolerance 0.01 absolute</li></ul>",
        "<p>New metrics (not in the base): <code>m.json n1</code>, <code>m.json n2</code>.</p>",
        "<p>Removed metrics (in the base, not now): <code>m.json old</code>.</p>",
        "<p>This change edits the gate&#x27;s tolerances (review_tolerances.yaml): see the diff below.</p>",
        "<p>Warning: <code>w &lt;b&gt;</code></p>",
        "<h2>The gate's tolerances changed</h2>",
        "<pre>--- main:t.yaml",
        "+++ workspace:t.yaml",
        "@@ -1 +1 @@",
        "-a: 1",
        "+a: 2",
        "</pre>",
        "<h2>Headline numbers</h2>",
        "<p>The metrics the regression gate watches (review_tolerances.yaml), base and current.</p>",
        "<table><thead><tr>" + "".join(head) + "<th>gate</th><th>tolerance</th></tr></thead><tbody>"
        '<tr class="regression"><td>m.json</td><td>acc</td><td>0.9000</td><td>0.8500</td><td>-0.0500</td>'
        "<td>REGRESSION</td><td>0.01 absolute, higher is better</td></tr>"
        "<tr><td>m.json</td><td>loss</td><td>0.2000</td><td>0.2000</td><td>0</td>"
        "<td>ok</td><td>0.01 absolute, lower is better</td></tr>"
        '<tr class="regression"><td>m.json</td><td>gone</td><td>—</td><td>—</td><td></td>'
        "<td>REGRESSION</td><td>0.01 absolute, higher is better</td></tr></tbody></table>",
        "<h2>Parameters (dvc params diff)</h2>",
        "<p>3 parameter(s) changed.</p>",
        "<table><thead><tr><th>file</th><th>parameter</th><th>base</th><th>current</th><th>change</th></tr></thead>"
        "<tbody><tr><td>params.yaml</td><td>train.C</td><td>10</td><td>100</td><td>+90</td></tr>"
        "<tr><td>params.yaml</td><td>train.tol</td><td>0.001</td><td>0.0005</td><td>-0.0005</td></tr>"
        "<tr><td>params.yaml</td><td>solver</td><td>lbfgs</td><td>saga</td><td></td></tr></tbody></table>",
        "<h2>Metrics (dvc metrics diff)</h2>",
        "<p>6 metric(s) changed, new or removed; 2 unchanged.</p>",
        "<table><thead><tr>" + "".join(head) + "<th>gate</th></tr></thead><tbody>"
        '<tr class="regression"><td>m.json</td><td>acc</td><td>0.9000</td><td>0.8500</td><td>-0.0500</td>'
        "<td>REGRESSION</td></tr>"
        "<tr><td>m.json</td><td>n1</td><td>—</td><td>3</td><td></td><td>new</td></tr>"
        "<tr><td>m.json</td><td>n2</td><td>—</td><td>fast</td><td></td><td>new</td></tr>"
        "<tr><td>m.json</td><td>old</td><td>1</td><td>—</td><td></td><td>removed</td></tr>"
        "<tr><td>m.json</td><td>other</td><td>0.5000</td><td>0.2500</td><td>-0.2500</td><td>not gated</td></tr>"
        '<tr class="regression"><td>m.json</td><td>gone</td><td>—</td><td>—</td><td></td>'
        "<td>REGRESSION</td></tr></tbody></table>",
        "<h2>Plots</h2><p>Base dashed, current solid.</p>",
        '<figure class="chart" id="chart-0" data-plot="pr"><figcaption>PR &amp; co</figcaption>',
        "<svg>x</svg>",
        "</figure>",
        "<script>",
        'for (const svg of document.querySelectorAll("figure.chart svg")) {',
        '  const marks = [...svg.querySelectorAll("path")].filter((p) => {',
        "    const box = p.getBBox();",
        "    return box.width > 0 || box.height > 0;",
        "  });",
        '  svg.closest("figure").dataset.drawnMarks = String(marks.length);',
        "}",
        "</script>",
        "</body>",
        "</html>",
        "",
    ]


def test_a_page_that_passes() -> None:
    verdicts = gate([Change("m.json", "acc", 0.9, 0.9)], {("m.json", "acc"): HIGHER})
    page = html_page(Summary("main", "a", "b", verdicts, []), [])
    body = page.split("<body>\n")[1].split("\n<script>")[0]
    assert body.split("\n") == [
        "<h1>Review of this change</h1>",
        "<p>Base <code>main</code> (<code>a</code>) against the workspace (HEAD <code>b</code>).</p>",
        '<p class="passed">Regression gate: passed, 1 gated metrics within their tolerance.</p>',
        "<h2>Plots</h2><p>Base dashed, current solid.</p>",
    ]


# --- cells and phrases ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "cell"),
    [
        (None, "—"),
        (1234567, "1,234,567"),
        (0.5, "0.5000"),
        (0.001, "0.0010"),  # the bound: four decimals from here up
        (0.00099, "0.00099"),
        (-0.00099, "-0.00099"),
        (math.nan, "nan"),
        (math.inf, "inf"),
        (-math.inf, "-inf"),
        ("sparse", Data("sparse")),
        (True, Data("True")),
        ([[1, 0]], Data("[[1, 0]]")),
        ({"a": "b"}, Data('{"a": "b"}')),
    ],
)
def test_value(given: object, cell: object) -> None:
    assert value(given) == cell


@pytest.mark.parametrize(
    ("difference", "text"),
    [
        (None, ""),
        (0, "0"),
        (0.0, "0"),
        (1, "+1"),
        (-1234, "-1,234"),
        (0.012, "+0.0120"),
        (0.001, "+0.0010"),
        (-0.00099, "-0.00099"),
        (0.0005, "+0.0005"),
    ],
)
def test_signed(difference: float | None, text: str) -> None:
    assert signed(difference) == text


def test_parameter_values_and_changes_as_in_params_yaml() -> None:
    assert [setting(v) for v in (0.1, 1e-10, 10.0, 10, None)] == ["0.1", "1e-10", "10", "10", "—"]
    assert setting("sparse") == Data("sparse") and setting([[1, 0]]) == Data("[[1, 0]]")
    changes = [(10, 100), (1000, 3000), (1, 2), (1, 1), (0.1, 0.15), (0.5, 0.25), ("a", "b"), (None, 1)]
    assert [setting_change(Change("p.yaml", "k", old, new)) for old, new in changes] == [
        "+90",
        "+2,000",
        "+1",
        "0",
        "+0.05",
        "-0.25",
        "",
        "",
    ]


def test_cells_as_markdown_and_text() -> None:
    assert md("the review's own | text") == "the review's own | text"
    assert md(Data("a|b")) == "`a|b`" and md(Data("a|b"), table=True) == r"`a\|b`"
    assert md(Data("x" * 200)) == "`" + "x" * 200 + "`"
    assert md(Data("x" * 201)) == "`" + "x" * 199 + "…`"
    assert plain(Data("a\nb")) == "a b" and plain("own\ntext") == "own\ntext"
    assert len({Data("a"), Data("a")}) == 1


def test_a_long_warning_is_cut_at_600_characters() -> None:
    for length, shown in [(600, "w" * 600), (601, "w" * 599 + "…")]:
        summary = Summary("main", "a", "b", [], ["w" * length])
        assert f"- Warning: `{shown}`" in markdown(summary, [], None).split("\n")


def test_significance_table() -> None:
    table = significance_table([], ["The base revision has no p.csv: McNemar skipped.", "Second note."])
    assert markdown_table(table).split("\n") == [
        "## Test accuracy: beyond noise? (McNemar)",
        "",
        "No test accuracy changed between base and head. The base revision has no p.csv: McNemar skipped. Second note.",
    ]
    comparisons = [
        Comparison("softmax", 0.9, 0.9012, McNemar(2, 14, 0.0042)),
        Comparison("augmented", 0.95, 0.9499, McNemar(1234, 1233, 1.0)),
    ]
    assert markdown_table(significance_table(comparisons, [])).split("\n") == [
        "## Test accuracy: beyond noise? (McNemar)",
        "",
        "Test accuracies that changed, with McNemar's exact test on the paired per-image predictions of base and "
        "head (beyond noise when p < 0.05).",
        "",
        "| model | base | head | change | only base right | only head right | p-value | verdict |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        "| `softmax` | 0.9000 | 0.9012 | +0.0012 | 2 | 14 | 0.0042 | beyond noise |",
        "| `augmented` | 0.9500 | 0.9499 | -0.0001 | 1,234 | 1,233 | 1 | within noise |",
    ]


def test_a_summary_without_a_tolerance_diff_says_nothing_of_it() -> None:
    summary = Summary("main", "a", "b", [], [])
    assert (summary.tolerance_diff, summary.sections, summary.notes(), summary.failures) == ("", [], [], [])
    with pytest.raises(dataclasses.FrozenInstanceError):
        summary.base = "x"  # type: ignore[misc]
    table = Table("t", "i", ["h"], [])
    with pytest.raises(dataclasses.FrozenInstanceError):
        table.rows = []  # type: ignore[misc]


def test_tolerance_diff_keeps_two_lines_of_context() -> None:
    base = "a: 1\nb: 2\nc: 3\nd: 4\ne: 5\nf: 6\ng: 7\n"
    diff = tolerance_diff(base, base.replace("d: 4", "d: 40"), "t.yaml", "main")
    assert diff == "--- main:t.yaml\n+++ workspace:t.yaml\n@@ -2,5 +2,5 @@\n b: 2\n c: 3\n-d: 4\n+d: 40\n e: 5\n f: 6\n"
    new_file = tolerance_diff(None, "a: 2", "t.yaml", "main")  # no final newline: one is added
    assert new_file == "--- main:t.yaml\n+++ workspace:t.yaml\n@@ -0,0 +1 @@\n+a: 2\n"


def test_checked_link_keeps_a_plain_https_link() -> None:
    assert checked_link(None) is None
    assert checked_link(LINK) == LINK
    assert checked_link("https://ci.example:8443/r/1?a=b&c=d#x") == "https://ci.example:8443/r/1?a=b&c=d#x"


def test_a_pipe_in_a_table_cell_is_escaped_not_a_column() -> None:
    # GFM splits a table row on every unescaped "|", even inside a code span
    table = Table("Metrics", "One row.", ["file", "metric"], [[Data("a|b.json"), "plain"]])
    assert markdown_table(table).split("\n")[4:] == [
        "| file | metric |",
        "| --- | --- |",
        r"| `a\|b.json` | plain |",
    ]


def test_a_pipe_in_a_confusion_label_is_escaped_in_its_row_and_column() -> None:
    head = {"actual": np.array(["x|y", "z"]), "predicted": np.array(["x|y", "x|y"])}
    assert plot_section(PlotData(CONFUSION, None, head), "main").split("\n")[4:] == [
        r"| actual ↓ predicted → | `x\|y` | `z` |",
        "| --- | --- | --- |",
        r"| `x\|y` | 1 | 0 |",
        "| `z` | 1 | 0 |",
    ]
