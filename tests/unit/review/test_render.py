"""The comment and the page with hostile data: nothing from data becomes an element, nothing is relative.

Payloads from issue 13 (and more) go in every place the review shows data: metric files, keys
and values, parameter values (a titanic.source.url), DVC warnings, the base name, plot titles,
columns and labels. The comment is rendered with a GFM renderer and must contain only the
elements the review writes itself: the hidden marker, one https link, tables and Mermaid blocks.
"""

from __future__ import annotations

import re

import helpers
import numpy as np
import pytest

from pipelib.errors import PipelineError
from pipelib.review.gate import Change, Tolerance, gate
from pipelib.review.plots import Plot, PlotData
from pipelib.review.render import MARKER, Summary, checked_link, html_page, markdown, tables, tolerance_diff

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
