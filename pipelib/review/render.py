"""The review as GitHub Markdown (the pull-request comment) and as one offline HTML page.

Everything from the change under review is wrapped in :class:`Data` and rendered inert, so the
only images, links and HTML in the comment are written here. Curves are Mermaid charts and
matrices tables, which GitHub draws in place; the HTML page carries the figures as inline SVG.
"""

from __future__ import annotations

import difflib
import html
import json
import re
from dataclasses import dataclass, field
from typing import Any

from pipelib.errors import PipelineError
from pipelib.markdown import markdown_rows
from pipelib.review import mermaid
from pipelib.review.gate import Change, Metric, Tolerance, Verdict, is_number, number, tolerance_for
from pipelib.review.inert import code, code_block, fold
from pipelib.review.plots import PlotData, bar_values, confusion_pair
from pipelib.review.recomputed import Recomputed
from pipelib.review.significance import ALPHA, Comparison

# The hidden line that marks the review's comment, so a workflow updates that one comment.
MARKER = "<!-- pipelib-review -->"
# The only link the comment may carry: the workflow run (or artifact) page, absolute https.
SAFE_LINK = re.compile(r"https://[A-Za-z0-9.-]+(?::[0-9]+)?(?:/[A-Za-z0-9._~%/+=?&#-]*)?")


@dataclass(frozen=True)
class Data:
    """Text from the change under review: shown verbatim, never interpreted as Markdown or HTML."""

    text: str


Cell = str | Data  # a str is the review's own text (no '|', no markup); Data is untrusted


def md(cell: Cell, table: bool = False, limit: int = 200) -> str:
    """A cell or phrase as Markdown: the review's own text as is, data as an inert code span."""
    return code(cell.text, table=table, limit=limit) if isinstance(cell, Data) else cell


def plain(cell: Cell) -> str:
    """A cell as plain text (for HTML, which escapes it, and for the terminal)."""
    return fold(cell.text) if isinstance(cell, Data) else cell


def value(value: Any) -> Cell:
    """A metric or parameter value: numbers as in the gate's messages, anything else shown verbatim as data."""
    if value is None or is_number(value):
        return number(value)
    return Data(json.dumps(value) if isinstance(value, (list, dict)) else str(value))


def signed(difference: float | None, float_format: str = "") -> str:
    """A change with its sign: +0.0120, -3, 0, or blank when not a number; ``float_format`` for every float."""
    if difference is None or difference == 0:
        return "" if difference is None else "0"
    if isinstance(difference, int):
        return f"{difference:+,}"
    return format(difference, float_format or ("+.3g" if abs(difference) < 0.001 else "+.4f"))


def setting(value_: Any) -> Cell:
    """A parameter value as written in params.yaml: 0.1, 10, [[1, 0]], sparse."""
    if isinstance(value_, float):
        return f"{value_:.10g}"
    return value(value_)


def setting_change(change: Change) -> str:
    """A numeric parameter's change with its sign, at a parameter's precision; blank for other values."""
    return signed(change.difference, "+.6g")


@dataclass(frozen=True)
class Table:
    """A titled table with a sentence before it; rendered the same way as Markdown and as HTML."""

    title: str
    intro: str
    header: list[str]
    rows: list[list[Cell]]


def tables(params: list[Change], verdicts: list[Verdict], tolerances: dict[Metric, Tolerance]) -> list[Table]:
    """The review's tables: headline (gated) metrics, changed parameters, changed/new/removed metrics."""
    by_metric = {(verdict.change.file, verdict.change.key): verdict for verdict in verdicts}
    # every metric with a key of its own, then those a "*" key gates, in the order the gate met them
    headline = [(by_metric[metric], tolerance) for metric, tolerance in tolerances.items() if metric in by_metric]
    for metric, verdict in by_metric.items():
        pattern = tolerance_for(verdict.change, tolerances) if metric not in tolerances else None
        if pattern is not None:
            headline.append((verdict, pattern))
    changed_params = [change for change in params if change.changed]
    changed_metrics = [verdict for verdict in verdicts if verdict.change.changed or verdict.failed]
    unchanged = len(verdicts) - len(changed_metrics)

    def metric_row(verdict: Verdict) -> list[Cell]:
        change = verdict.change
        return [
            Data(change.file),
            Data(change.key),
            value(change.old),
            value(change.new),
            signed(change.difference),
            "REGRESSION" if verdict.failed else verdict.status,
        ]

    return [
        Table(
            "Headline numbers",
            "The metrics the regression gate watches (review_tolerances.yaml), base and current.",
            ["file", "metric", "base", "current", "change", "gate", "tolerance"],
            [
                [*metric_row(verdict), f"{tolerance.describe()}, {tolerance.better} is better"]
                for verdict, tolerance in headline
            ],
        ),
        Table(
            "Parameters (dvc params diff)",
            f"{len(changed_params)} parameter(s) changed." if changed_params else "No parameter changed.",
            ["file", "parameter", "base", "current", "change"],
            [
                [Data(change.file), Data(change.key), setting(change.old), setting(change.new), setting_change(change)]
                for change in changed_params
            ],
        ),
        Table(
            "Metrics (dvc metrics diff)",
            f"{len(changed_metrics)} metric(s) changed, new or removed; {unchanged} unchanged."
            if changed_metrics
            else f"No metric changed ({unchanged} unchanged).",
            ["file", "metric", "base", "current", "change", "gate"],
            [metric_row(verdict) for verdict in changed_metrics],
        ),
    ]


def significance_table(comparisons: list[Comparison], notes: list[str]) -> Table:
    """McNemar's test for each model whose test accuracy changed: is the change beyond noise?"""
    if comparisons:
        intro = (
            "Test accuracies that changed, with McNemar's exact test on the paired per-image predictions "
            f"of base and head (beyond noise when p < {ALPHA:g})."
        )
    else:
        intro = "No test accuracy changed between base and head."
    intro = " ".join([intro, *notes])
    rows: list[list[Cell]] = [
        [
            Data(item.model),
            f"{item.base_accuracy:.4f}",
            f"{item.head_accuracy:.4f}",
            f"{item.head_accuracy - item.base_accuracy:+.4f}",
            f"{item.test.only_first_right:,}",
            f"{item.test.only_second_right:,}",
            f"{item.test.p_value:.3g}",
            "beyond noise" if item.beyond_noise else "within noise",
        ]
        for item in comparisons
    ]
    header = ["model", "base", "head", "change", "only base right", "only head right", "p-value", "verdict"]
    return Table("Test accuracy: beyond noise? (McNemar)", intro, header, rows)


@dataclass(frozen=True)
class Summary:
    """What the review compared and its outcome, for the top of both pages."""

    base: str
    base_commit: str
    head_commit: str
    verdicts: list[Verdict]
    warnings: list[str]
    tolerance_diff: str = ""
    sections: list[Table] = field(default_factory=list)
    recomputed: Recomputed | None = None

    @property
    def failures(self) -> list[str]:
        return [verdict.message for verdict in self.verdicts if verdict.failed]

    def compared(self) -> list[Cell]:
        return [
            "Base ",
            Data(self.base),
            " (",
            Data(self.base_commit),
            ") against the workspace (HEAD ",
            Data(self.head_commit),
            ").",
        ]

    def outcome(self) -> str:
        gated = sum(1 for verdict in self.verdicts if verdict.tolerance is not None)
        if self.failures:
            return f"Regression gate: FAILED, {len(self.failures)} of {gated} gated metrics got worse than allowed."
        return f"Regression gate: passed, {gated} gated metrics within their tolerance."

    def notes(self) -> list[list[Cell]]:
        """Machine differences, new and removed metrics, and warnings (e.g. a stale workspace)."""
        notes: list[list[Cell]] = []
        if self.recomputed is not None and self.recomputed.machine:
            notes.append(machine_note(self.recomputed))
        for status, label in (
            ("new", "New metrics (not in the base)"),
            ("removed", "Removed metrics (in the base, not now)"),
        ):
            names = [f"{v.change.file} {v.change.key}" for v in self.verdicts if v.status == status]
            if names:
                notes.append([f"{label}: ", *_names(names), "."])
        if self.tolerance_diff:
            notes.append(["This change edits the gate's tolerances (review_tolerances.yaml): see the diff below."])
        return notes + [["Warning: ", Data(warning)] for warning in self.warnings]


def _names(names: list[str]) -> list[Cell]:
    """Names from the change (stages, files) as a comma-separated phrase of inert cells."""
    phrase: list[Cell] = []
    for index, name in enumerate(names):
        phrase += [", "] * bool(index) + [Data(name)]
    return phrase


def machine_note(found: Recomputed) -> list[Cell]:
    """Which output differences come from recomputing on another machine, and which are this change's."""
    plural = len(found.machine) > 1
    if found.changed or found.added or found.removed:
        note: list[Cell] = ["Recomputed on another machine: ", *_names(found.machine)]
        note += [" have" if plural else " has", " the same code, data and parameters (dvc.lock) as in the base"]
        note += [", yet ", "their" if plural else "its", " outputs"]
    else:
        note = ["Recomputed on another machine: every stage's code, data and parameters (dvc.lock) are the same "]
        note += ["as in the base, yet the outputs of ", *_names(found.machine)]
    if found.downstream:
        note += [" (and, through them, the outputs of ", *_names(found.downstream), ")"]
    if found.environment:
        note += [" differ; the package lock ", *_names(found.environment), " differs from the base's too, so "]
        note += ["these differences may be the new library versions' as well as the CPU's floating-point kernels"]
    else:
        note += [" differ; these differences are the CPU's floating-point kernels, not this change (docs/fidelity.md)"]
    note += [". Outputs that differ for that reason: ", *_names(found.outputs), "."]
    for label, names in (
        (" This change's own code, data or parameters differ in ", found.changed),
        (" New stages: ", found.added),
        (" Removed stages: ", found.removed),
    ):
        if names:
            note += [label, *_names(names), "."]
    return [*note, " The gate applies its tolerances as usual."]


def tolerance_diff(base_text: str | None, head_text: str, path: str, base: str) -> str:
    """A unified diff of the tolerance file from the base revision to the workspace ('' when unchanged)."""
    before = [] if base_text is None else base_text.splitlines(keepends=True)
    after = head_text.splitlines(keepends=True)
    if before == after:
        return ""
    lines = difflib.unified_diff(before, after, f"{base}:{path}", f"workspace:{path}", n=2)
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def checked_link(link: str | None) -> str | None:
    """The link to the full review (the workflow run): only an absolute https URL of plain characters."""
    if link is None:
        return None
    if not SAFE_LINK.fullmatch(link):
        raise PipelineError(f"--plots-link {link!r}: expected an absolute https:// URL of plain characters")
    return link


# --- the comment ---------------------------------------------------------------------------------


def markdown_table(table: Table) -> str:
    """A table as GitHub Markdown, with its title and sentence."""
    parts = [f"## {table.title}", table.intro]
    if table.rows:
        parts.append(markdown_rows(table.header, [[md(cell, table=True) for cell in row] for row in table.rows]))
    return "\n\n".join(parts)


def _phrase(cells: list[Cell]) -> str:
    return "".join(md(cell, limit=600) for cell in cells)


def _curve_chart(data: PlotData, base_label: str) -> str:
    """A Mermaid line chart of a curve plot (base and head) with a caption naming its lines."""
    plot = data.plot
    sides = [(base_label, data.base, 1), ("head", data.current, 0)] if data.base is not None else []
    sides = sides or [("head", data.current, 0)]
    at = mermaid.grid([columns[plot.x] for _, columns, _ in sides if columns is not None])
    series, caption = [], []
    for index, column in enumerate(plot.y):
        pair = mermaid.PALETTE[index % len(mermaid.PALETTE)]
        for label, columns, side in sides:
            assert columns is not None
            color, color_name = pair[side]
            values = mermaid.resample(columns[plot.x], columns[column], at)
            series.append(mermaid.Series(f"{column} {label}", color, color_name, values))
            caption.append(f"{md(Data(column))} {md(Data(label)) if side else 'head'} ({color_name})")
    chart = mermaid.line_chart(plot.title, plot.x_label, plot.y_label, at, series)
    return f"{chart}\n\nLines: {', '.join(caption)}; {len(at)} points along {md(Data(plot.x))}."


def _confusion_table(data: PlotData) -> str:
    """A confusion plot as one Markdown table: head counts, with the change from the base in brackets."""
    labels, before, now = confusion_pair(data)
    header = ["actual ↓ predicted →", *(md(Data(label), table=True) for label in labels)]
    rows = []
    for row, label in enumerate(labels):
        cells = [md(Data(label), table=True)]
        for column in range(len(labels)):
            count = int(now[row, column])
            change = 0 if before is None else count - int(before[row, column])
            cells.append(f"{count:,} ({change:+,})" if change else f"{count:,}")
        rows.append(cells)
    note = "Head counts; in brackets the change from the base." if before is not None else "Head counts."
    return f"{note}\n\n{markdown_rows(header, rows)}"


def _bar_table(data: PlotData) -> str:
    """A bar plot as a Markdown table of labels and values, base and head."""
    plot = data.plot
    current = bar_values(data.current, plot)
    base = {} if data.base is None else bar_values(data.base, plot)
    names = list(current) + [name for name in base if name not in current]
    rows = []
    for name in names:
        old, new = base.get(name), current.get(name)
        change = None if old is None or new is None else new - old
        rows.append([md(Data(name), table=True), md(value(old), True), md(value(new), True), signed(change)])
    return markdown_rows([md(Data(plot.y[0]), True), "base", "head", "change"], rows)


def plot_section(data: PlotData, base_label: str) -> str:
    """One plot for the comment: a Mermaid chart for curves, a table for matrices and bars."""
    table = {"confusion": _confusion_table, "bars": _bar_table}.get(data.plot.kind)
    body = table(data) if table else _curve_chart(data, base_label)
    return f"### {md(Data(data.plot.title))}\n\n{body}"


def markdown(
    summary: Summary, plots: list[PlotData], plots_link: str | None, skipped_plots: list[str] | None = None
) -> str:
    """The pull-request comment: outcome, notes, tolerance diff, tables and plots; nothing relative."""
    parts = [MARKER, "# Review of this change", _phrase(summary.compared()), f"**{summary.outcome()}**"]
    if summary.failures:
        parts.append("\n".join(f"- {md(Data(line), limit=600)}" for line in summary.failures))
    if summary.notes():
        parts.append("\n".join(f"- {_phrase(note)}" for note in summary.notes()))
    if summary.tolerance_diff:
        parts.append(
            "## The gate's tolerances changed\n\nThe gate above used the workspace's tolerance file; "
            "against the base it differs by:\n\n" + code_block(summary.tolerance_diff, "diff")
        )
    parts += [markdown_table(table) for table in summary.sections]
    where = (
        f"with the operating point marked, are on the offline HTML page in this run's `review` artifact: <{plots_link}>"
        if plots_link
        else "with the operating point marked, are on the offline HTML page written beside this file"
    )
    intro = f"Base and head of each `dvc.yaml` plot. The same plots drawn in full, {where}."
    if skipped_plots:
        intro += " Not drawn here: " + ", ".join(md(Data(name)) for name in skipped_plots) + "."
    parts.append("## Plots\n\n" + intro)
    parts += [plot_section(data, summary.base) for data in plots]
    return "\n\n".join(parts) + "\n"


# --- the offline page ----------------------------------------------------------------------------


# Each chart's SVG records, after layout, how many of its paths have a size: evidence it was drawn.
DRAWN_CHECK = """<script>
for (const svg of document.querySelectorAll("figure.chart svg")) {
  const marks = [...svg.querySelectorAll("path")].filter((p) => {
    const box = p.getBBox();
    return box.width > 0 || box.height > 0;
  });
  svg.closest("figure").dataset.drawnMarks = String(marks.length);
}
</script>"""
PAGE_START = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Review of this change</title>
<style>
body { font-family: sans-serif; margin: 1em auto; max-width: 1400px; padding: 0 1em; }
table { border-collapse: collapse; margin-bottom: 1em; }
th, td { border: 1px solid #ccc; padding: 2px 8px; text-align: left; }
code, pre { background: #f4f4f4; }
.regression { color: #b00020; font-weight: bold; }
figure.chart svg { max-width: 100%; height: auto; }
</style>
</head>
<body>"""


def _html_phrase(cells: list[Cell]) -> str:
    return "".join(
        f"<code>{html.escape(plain(cell))}</code>" if isinstance(cell, Data) else html.escape(cell) for cell in cells
    )


def html_page(summary: Summary, charts: list[tuple[str, str, str]]) -> str:
    """One self-contained page (inline SVGs, no external resources); ``charts`` are (name, caption, svg)."""
    escape = html.escape
    body = ["<h1>Review of this change</h1>", f"<p>{_html_phrase(summary.compared())}</p>"]
    body.append(f'<p class="{"regression" if summary.failures else "passed"}">{escape(summary.outcome())}</p>')
    if summary.failures:
        items = "".join(f'<li class="regression">{escape(fold(line))}</li>' for line in summary.failures)
        body.append(f"<ul>{items}</ul>")
    body += [f"<p>{_html_phrase(note)}</p>" for note in summary.notes()]
    if summary.tolerance_diff:
        body += ["<h2>The gate's tolerances changed</h2>", f"<pre>{escape(summary.tolerance_diff)}</pre>"]
    for table in summary.sections:
        body += [f"<h2>{escape(table.title)}</h2>", f"<p>{escape(table.intro)}</p>"]
        if table.rows:
            header = "".join(f"<th>{escape(cell)}</th>" for cell in table.header)
            rows = []
            for row in table.rows:
                marked = ' class="regression"' if "REGRESSION" in row else ""
                rows.append(f"<tr{marked}>" + "".join(f"<td>{escape(plain(cell))}</td>" for cell in row) + "</tr>")
            body.append(f"<table><thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table>")
    body.append("<h2>Plots</h2><p>Base dashed, current solid.</p>")
    for index, (name, caption, svg) in enumerate(charts):
        body.append(
            f'<figure class="chart" id="chart-{index}" data-plot="{escape(fold(name))}">'
            f"<figcaption>{escape(fold(caption))}</figcaption>"
        )
        body += [svg, "</figure>"]
    return "\n".join([PAGE_START, *body, DRAWN_CHECK, "</body>", "</html>", ""])
