"""Reviewing a change: DVC's params and metrics diffs against a base revision, and a regression gate.

``dvc metrics diff`` shows what changed but has no notion of "worse": the gate compares each
metric named in ``review_tolerances.yaml`` with its base value, in the direction that is
better for it, and fails when it got worse by more than its tolerance. A gated metric that
disappeared fails too; new and removed metrics are always listed, never silently dropped.
"""

from __future__ import annotations

import html
import json
import math
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pipelib.errors import PipelineError
from pipelib.markdown import markdown_rows

TOLERANCE_KEYS = ("tolerance", "kind", "better")
KINDS = ("absolute", "relative")
DIRECTIONS = ("higher", "lower")
# Differences this small are float noise from the subtraction, not a change.
EPSILON = 1e-12


# --- tolerances ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tolerance:
    """How far a metric may get worse: ``tolerance`` in metric units (absolute) or as a share of the base."""

    tolerance: float
    kind: str
    better: str

    def describe(self) -> str:
        return f"{self.tolerance:g} {self.kind}"


Metric = tuple[str, str]  # (metrics file, dotted key within it)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def parse_tolerances(raw: Any, source: str) -> dict[Metric, Tolerance]:
    """Validate ``{metrics file: {dotted key: {tolerance, kind, better}}}``; one-line errors naming the key."""
    if not isinstance(raw, dict) or not raw:
        raise PipelineError(f"{source}: expected a mapping of metrics files to their gated metrics")
    found: dict[Metric, Tolerance] = {}
    for file, metrics in raw.items():
        if not isinstance(file, str) or not isinstance(metrics, dict) or not metrics:
            raise PipelineError(f"{source}: '{file}' must map metric keys to tolerances")
        for key, spec in metrics.items():
            name = f"'{file}: {key}'"
            if not isinstance(key, str) or not isinstance(spec, dict):
                raise PipelineError(f"{source}: {name} must be a mapping with {', '.join(TOLERANCE_KEYS)}")
            unknown = sorted(set(spec) - set(TOLERANCE_KEYS), key=str)
            if unknown:
                raise PipelineError(f"{source}: {name}: unknown setting {unknown[0]!r}")
            absent = [setting for setting in TOLERANCE_KEYS if setting not in spec]
            if absent:
                raise PipelineError(f"{source}: {name}: missing {absent[0]!r}")
            value = spec["tolerance"]
            if not _is_number(value) or not math.isfinite(value) or value < 0:
                raise PipelineError(f"{source}: {name}: 'tolerance' must be a number >= 0, got {value!r}")
            if spec["kind"] not in KINDS:
                raise PipelineError(f"{source}: {name}: 'kind' must be absolute or relative, got {spec['kind']!r}")
            if spec["better"] not in DIRECTIONS:
                raise PipelineError(f"{source}: {name}: 'better' must be higher or lower, got {spec['better']!r}")
            found[(file, key)] = Tolerance(float(value), spec["kind"], spec["better"])
    return found


def load_tolerances(path: str | os.PathLike[str]) -> dict[Metric, Tolerance]:
    """The tracked tolerance file, validated."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PipelineError(f"{path}: tolerance file not found") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise PipelineError(f"{path}: not valid YAML ({' '.join(str(error).split())})") from None
    return parse_tolerances(raw, str(path))


# --- git and DVC ---------------------------------------------------------------------------------


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DVC_NO_ANALYTICS": "1"}
    try:
        return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise PipelineError(f"{command[0]}: command not found") from None


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no message"


def resolve_revision(revision: str, cwd: Path) -> str:
    """The base revision's short commit id; a revision git does not know is an error that says what to do."""
    if not revision or revision.startswith("-"):
        raise PipelineError(f"base revision {revision!r} is not a revision name")
    result = _run(["git", "rev-parse", "--verify", "--quiet", "--short", f"{revision}^{{commit}}"], cwd)
    if result.returncode != 0:
        if "not a git repository" in result.stderr:
            raise PipelineError(f"{cwd}: not in a git repository (the review compares git revisions)")
        raise PipelineError(f"base revision {revision!r} not found in git (fetch it first, e.g. git fetch origin)")
    return result.stdout.strip()


def head_revision(cwd: Path) -> str:
    """The workspace's HEAD as a short commit id ('no commit' in a fresh repository)."""
    result = _run(["git", "rev-parse", "--verify", "--quiet", "--short", "HEAD"], cwd)
    return result.stdout.strip() if result.returncode == 0 else "no commit"


def git_show(revision: str, path: str, cwd: Path) -> str | None:
    """A git-tracked file's text at a revision; None when the revision has no such file."""
    result = _run(["git", "show", f"{revision}:./{path}"], cwd)
    return result.stdout if result.returncode == 0 else None


def dvc_json(args: list[str], cwd: Path) -> tuple[Any, list[str]]:
    """Run ``dvc ARGS --json`` (this interpreter's DVC) and parse its output; also DVC's warnings."""
    command = [sys.executable, "-m", "dvc", *args, "--json"]
    result = _run(command, cwd)
    if result.returncode != 0:
        raise PipelineError(f"dvc {' '.join(args)}: {_last_line(result.stderr + result.stdout)}")
    try:
        parsed = json.loads(result.stdout or "{}")
    except json.JSONDecodeError:
        raise PipelineError(f"dvc {' '.join(args)}: output is not JSON: {_last_line(result.stdout)}") from None
    warnings = [line.strip() for line in result.stderr.splitlines() if line.strip()]
    return parsed, warnings


@dataclass(frozen=True)
class Change:
    """One parameter or metric in the base revision (``old``) and now (``new``); None where absent."""

    file: str
    key: str
    old: Any
    new: Any

    @property
    def changed(self) -> bool:
        return self.old != self.new

    @property
    def difference(self) -> float | None:
        if _is_number(self.old) and _is_number(self.new):
            return self.new - self.old
        return None


def changes(diff: Any) -> list[Change]:
    """``dvc params|metrics diff --json`` output as Changes, sorted by file and key (DVC's order varies)."""
    if not isinstance(diff, dict):
        raise PipelineError("dvc diff output is not a mapping of files")
    found = [
        Change(file, key, values.get("old"), values.get("new"))
        for file, keys in diff.items()
        for key, values in (keys or {}).items()
    ]
    return sorted(found, key=lambda change: (change.file, change.key))


def params_diff(base: str, cwd: Path) -> list[Change]:
    """Parameters that differ between the base revision and the workspace."""
    return changes(dvc_json(["params", "diff", base], cwd)[0])


def metrics_diff(base: str, cwd: Path) -> tuple[list[Change], list[str]]:
    """Every metric of either revision (changed or not) and DVC's warnings, e.g. a metrics file it could not read."""
    diff, warnings = dvc_json(["metrics", "diff", base, "--all"], cwd)
    return changes(diff), warnings


def pipeline_status(cwd: Path) -> list[str]:
    """Stages ``dvc status`` says are out of date: then the workspace metrics are not this change's."""
    status, _ = dvc_json(["status"], cwd)
    return sorted(status) if isinstance(status, dict) else []


# --- the gate ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """A metric's outcome: ok, regression, new, removed, not gated or unchanged; ``message`` for failures."""

    change: Change
    tolerance: Tolerance | None
    status: str
    message: str = ""

    @property
    def failed(self) -> bool:
        return self.status == "regression"


def number(value: Any) -> str:
    """A value for tables and messages: four decimals, counts with separators, tiny numbers in e-notation."""
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return json.dumps(value) if isinstance(value, (list, dict)) else str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if abs(value) < 0.001:
        return f"{value:.3g}"
    return f"{value:.4f}"


def signed(value: float | None) -> str:
    """A change with its sign: +0.0120, -3, 0, or blank when not a number."""
    if value is None:
        return ""
    if value == 0:
        return "0"
    if isinstance(value, int):
        return f"{value:+,}"
    if value != 0 and abs(value) < 0.001:
        return f"{value:+.3g}"
    return f"{value:+.4f}"


def setting(value: Any) -> str:
    """A parameter value as written in params.yaml: 0.1, 10, [[1, 0]], sparse."""
    if isinstance(value, float):
        return f"{value:.10g}"
    return number(value)


def setting_change(change: Change) -> str:
    """A numeric parameter's change with its sign; blank for other values."""
    difference = change.difference
    if difference is None or difference == 0:
        return "" if difference is None else "0"
    return f"{difference:+,}" if isinstance(difference, int) else f"{difference:+.6g}"


def judge(change: Change, tolerance: Tolerance | None) -> Verdict:
    """The gate's verdict on one metric."""
    name = f"{change.file} {change.key}"
    if change.new is None:
        if tolerance is None:
            return Verdict(change, None, "removed")
        before = "absent in the base too" if change.old is None else f"base {number(change.old)}"
        message = f"regression: {name} is missing in this revision ({before}), tolerance {tolerance.describe()}"
        return Verdict(change, tolerance, "regression", message)
    if change.old is None:
        return Verdict(change, tolerance, "new")
    if tolerance is None:
        return Verdict(change, None, "not gated" if change.changed else "unchanged")
    if not (_is_number(change.old) and _is_number(change.new)):
        return Verdict(change, tolerance, "regression", f"regression: {name} is not a number ({change.new!r})")
    worse = change.old - change.new if tolerance.better == "higher" else change.new - change.old
    limit = tolerance.tolerance * (abs(change.old) if tolerance.kind == "relative" else 1.0)
    if worse <= limit + EPSILON:  # False for NaN too: a NaN metric fails
        return Verdict(change, tolerance, "ok")
    verb = "fell" if tolerance.better == "higher" else "rose"
    share = f" = {worse / abs(change.old):.2%} of base" if tolerance.kind == "relative" and change.old else ""
    message = (
        f"regression: {name} {verb} {number(abs(worse))}{share} ({number(change.old)} -> {number(change.new)}), "
        f"tolerance {tolerance.describe()}"
    )
    return Verdict(change, tolerance, "regression", message)


def gate(metrics: list[Change], tolerances: dict[Metric, Tolerance]) -> list[Verdict]:
    """A verdict for every metric of either revision, and for every gated metric found in neither."""
    seen = {(change.file, change.key) for change in metrics}
    absent = [Change(file, key, None, None) for file, key in tolerances if (file, key) not in seen]
    return [judge(change, tolerances.get((change.file, change.key))) for change in metrics + absent]


# --- the Markdown and HTML pages -----------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """A titled table with a sentence before it; rendered the same way as Markdown and as HTML."""

    title: str
    intro: str
    header: list[str]
    rows: list[list[str]]


def _status(verdict: Verdict) -> str:
    return "REGRESSION" if verdict.failed else verdict.status


def _allowed(tolerance: Tolerance | None) -> str:
    return "" if tolerance is None else f"{tolerance.describe()}, {tolerance.better} is better"


def tables(params: list[Change], verdicts: list[Verdict], tolerances: dict[Metric, Tolerance]) -> list[Table]:
    """The review's tables: headline (gated) metrics, changed parameters, changed/new/removed metrics."""
    by_metric = {(verdict.change.file, verdict.change.key): verdict for verdict in verdicts}
    headline = [by_metric[metric] for metric in tolerances]
    changed_params = [change for change in params if change.changed]
    changed_metrics = [verdict for verdict in verdicts if verdict.change.changed or verdict.failed]
    unchanged = len(verdicts) - len(changed_metrics)

    def metric_row(verdict: Verdict) -> list[str]:
        change = verdict.change
        return [
            change.file,
            change.key,
            number(change.old),
            number(change.new),
            signed(change.difference),
            _status(verdict),
        ]

    return [
        Table(
            "Headline numbers",
            "The metrics the regression gate watches (review_tolerances.yaml), base and current.",
            ["file", "metric", "base", "current", "change", "gate", "tolerance"],
            [[*metric_row(verdict), _allowed(verdict.tolerance)] for verdict in headline],
        ),
        Table(
            "Parameters (dvc params diff)",
            f"{len(changed_params)} parameter(s) changed." if changed_params else "No parameter changed.",
            ["file", "parameter", "base", "current", "change"],
            [
                [change.file, change.key, setting(change.old), setting(change.new), setting_change(change)]
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


@dataclass(frozen=True)
class Summary:
    """What the review compared and its outcome, for the top of both pages."""

    base: str
    base_commit: str
    head_commit: str
    verdicts: list[Verdict]
    warnings: list[str]

    @property
    def failures(self) -> list[str]:
        return [verdict.message for verdict in self.verdicts if verdict.failed]

    def compared(self) -> str:
        return f"Base {self.base} ({self.base_commit}) against the workspace (HEAD {self.head_commit})."

    def outcome(self) -> str:
        gated = sum(1 for verdict in self.verdicts if verdict.tolerance is not None)
        if self.failures:
            return f"Regression gate: FAILED, {len(self.failures)} of {gated} gated metrics got worse than allowed."
        return f"Regression gate: passed, {gated} gated metrics within their tolerance."

    def notes(self) -> list[str]:
        """New and removed metrics, and warnings (e.g. a stale workspace or an unreadable metrics file)."""
        notes = []
        for status, label in (
            ("new", "New metrics (not in the base)"),
            ("removed", "Removed metrics (in the base, not now)"),
        ):
            names = [f"{v.change.file} {v.change.key}" for v in self.verdicts if v.status == status]
            if names:
                notes.append(f"{label}: {', '.join(names)}.")
        return notes + [f"Warning: {warning}" for warning in self.warnings]


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown_table(table: Table) -> str:
    """A table as GitHub Markdown, with its title and sentence."""
    parts = [f"## {table.title}", table.intro]
    if table.rows:
        parts.append(markdown_rows(table.header, [[_cell(cell) for cell in row] for row in table.rows]))
    return "\n\n".join(parts)


def markdown(summary: Summary, sections: list[Table], images: list[tuple[str, str]], plots_link: str) -> str:
    """The PR-comment Markdown; ``images`` are (caption, PNG path) and ``plots_link`` the HTML page's address."""
    parts = ["# Review of this change", summary.compared(), f"**{summary.outcome()}**"]
    if summary.failures:
        parts.append("\n".join(f"- `{line}`" for line in summary.failures))
    if summary.notes():
        parts.append("\n".join(f"- {line}" for line in summary.notes()))
    parts += [markdown_table(table) for table in sections]
    figures = "\n\n".join(f"**{caption}**\n\n![{caption}]({path})" for caption, path in images)
    parts.append(
        "## Plots\n\nBase dashed, current solid; confusion matrices side by side. "
        f"All plots on one page that renders offline: [{plots_link}]({plots_link}).\n\n"
        f"<details><summary>Plots</summary>\n\n{figures}\n\n</details>"
    )
    return "\n\n".join(parts) + "\n"


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
STYLE = """<style>
body { font-family: sans-serif; margin: 1em auto; max-width: 1400px; padding: 0 1em; }
table { border-collapse: collapse; margin-bottom: 1em; }
th, td { border: 1px solid #ccc; padding: 2px 8px; text-align: left; }
.regression { color: #b00020; font-weight: bold; }
figure.chart svg { max-width: 100%; height: auto; }
</style>"""


def html_page(summary: Summary, sections: list[Table], charts: list[tuple[str, str, str]]) -> str:
    """One self-contained page (inline SVGs, no external resources); ``charts`` are (name, caption, svg)."""
    escape = html.escape
    body = ["<h1>Review of this change</h1>", f"<p>{escape(summary.compared())}</p>"]
    body.append(f'<p class="{"regression" if summary.failures else "passed"}">{escape(summary.outcome())}</p>')
    if summary.failures:
        items = "".join(f'<li class="regression">{escape(line)}</li>' for line in summary.failures)
        body.append(f"<ul>{items}</ul>")
    body += [f"<p>{escape(note)}</p>" for note in summary.notes()]
    for table in sections:
        body += [f"<h2>{escape(table.title)}</h2>", f"<p>{escape(table.intro)}</p>"]
        if table.rows:
            header = "".join(f"<th>{escape(cell)}</th>" for cell in table.header)
            rows = []
            for row in table.rows:
                marked = ' class="regression"' if "REGRESSION" in row else ""
                rows.append(f"<tr{marked}>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>")
            body.append(f"<table><thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table>")
    body.append("<h2>Plots</h2><p>Base dashed, current solid.</p>")
    for name, caption, svg in charts:
        body.append(f'<figure class="chart" id="chart-{escape(name)}"><figcaption>{escape(caption)}</figcaption>')
        body += [svg, "</figure>"]
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            '<head><meta charset="utf-8"><title>Review of this change</title>',
            STYLE,
            "</head>",
            "<body>",
            *body,
            DRAWN_CHECK,
            "</body>",
            "</html>",
            "",
        ]
    )
