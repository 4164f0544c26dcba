"""review: compare the workspace with a base revision for a pull request, and gate on regressions.

Writes the pull-request comment (Markdown), a self-contained HTML page and the PNGs beside them
(docs/review.md). Exit status: 0 passed, 1 a gated metric got worse than its tolerance (one line
per metric on stderr), 2 bad input (one ``error:`` line), 3 a bug.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import NoReturn

from pipelib.atomic import atomic_path, write_text
from pipelib.errors import PipelineError, run_stage
from pipelib.png import use_agg
from pipelib.review import vcs
from pipelib.review.gate import Change, gate, load_tolerances
from pipelib.review.inert import fold
from pipelib.review.keys import OPERATING_POINT, PACKAGE_LOCKS, TEST_PREDICTIONS
from pipelib.review.plots import PlotData, plot_definitions, read_plot
from pipelib.review.recomputed import LOCK_FILE, Recomputed, compare_locks, parse_lock
from pipelib.review.render import Summary, checked_link, html_page, markdown, significance_table, tables, tolerance_diff
from pipelib.review.significance import compare, parse_predictions

PASSED, REGRESSION, BAD_INPUT, BUG = 0, 1, 2, 3


class Parser(argparse.ArgumentParser):
    """argparse with its usage errors as one ``error:`` line and exit status 2, like every other bad input."""

    def error(self, message: str) -> NoReturn:
        print(f"error: {self.prog}: {message}", file=sys.stderr)
        raise SystemExit(BAD_INPUT)


def parser() -> argparse.ArgumentParser:
    """The command line (a function, so the CI workflow's test can check its flags against it)."""
    parser = Parser(prog="python -m pipelib.review", description=__doc__)
    parser.add_argument("--base", required=True, help="git revision to compare with, e.g. main or origin/main")
    parser.add_argument("--out", default="reports/review.md", help="the Markdown file; PNGs go in a folder beside it")
    parser.add_argument("--html", default="reports/review.html", help="the self-contained HTML page")
    parser.add_argument("--tolerances", default="review_tolerances.yaml", help="the regression gate's tolerances")
    parser.add_argument("--plots-link", default=None, help="https address where readers find the HTML page")
    return parser


def read_current(path: str) -> str:
    """A plot data file of the workspace, which the review needs."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PipelineError(f"{path}: plot data file not found (run dvc repro)") from None
    except (OSError, UnicodeDecodeError) as error:
        raise PipelineError(f"{path}: cannot read the plot data file ({error.__class__.__name__})") from None


def plot_data(base: str, cwd: Path, warnings: list[str]) -> tuple[list[PlotData], list[str]]:
    """Every dvc.yaml plot's data in the base revision and the workspace; the ids of plots not drawn."""
    plots, skipped = plot_definitions(cwd / "dvc.yaml")
    found = []
    for plot in plots:
        current = read_plot(plot, read_current(plot.file), f"{plot.file} (workspace)")
        old = vcs.git_show(base, plot.file, cwd)
        if old is None:
            warnings.append(f"the base revision has no {plot.file}: plotted current only")
        previous = None
        if old is not None:
            try:  # the base may predate a column this revision's dvc.yaml names: plot the current only
                previous = read_plot(plot, old, f"{plot.file} ({base})")
            except PipelineError as error:
                warnings.append(
                    f"the base revision's {plot.file} does not fit this plot ({error}): plotted current only"
                )
        found.append(PlotData(plot, previous, current))
    return found, skipped


def operating_point(metrics: list[Change]) -> dict[str, tuple[object, object]]:
    """The operating point's values (base, current) by plot column, from the metrics diff."""
    by_key = {(change.file, change.key): change for change in metrics}
    known = {column: metric for column, metric in OPERATING_POINT.items() if metric in by_key}
    return {column: (by_key[metric].old, by_key[metric].new) for column, metric in known.items()}


def read_workspace(path: Path, what: str = "it") -> str | None:
    """A text file of the workspace, or None when there is none."""
    try:
        return path.read_text(encoding="utf-8") if path.is_file() else None
    except (OSError, UnicodeDecodeError) as error:
        raise PipelineError(f"{path}: cannot read {what} ({error.__class__.__name__})") from None


def significance(base: str, cwd: Path) -> tuple[list, list[str]]:
    """McNemar on the test predictions of both revisions, or why it was skipped."""
    head_text = read_workspace(cwd / TEST_PREDICTIONS, "the test predictions")
    base_text = vcs.git_show(base, TEST_PREDICTIONS, cwd)
    if base_text is None or head_text is None:
        which = (
            "Neither the base nor the workspace has"
            if base_text == head_text
            else ("The base revision has no" if base_text is None else "The workspace has no")
        )
        return [], [f"{which} {TEST_PREDICTIONS}: McNemar skipped."]
    before = parse_predictions(base_text, f"{TEST_PREDICTIONS} ({base})")
    after = parse_predictions(head_text, f"{TEST_PREDICTIONS} (workspace)")
    comparisons, notes = compare(before, after)
    return comparisons, [note[0].upper() + note[1:] + "." for note in notes]


def machine_differences(base: str, cwd: Path, warnings: list[str]) -> Recomputed | None:
    """The stages whose outputs differ from the base's with the same dvc.lock inputs; None without both locks."""
    head_text = read_workspace(cwd / LOCK_FILE)
    base_text = vcs.git_show(base, LOCK_FILE, cwd)
    if head_text is None or base_text is None:
        return None
    head = parse_lock(head_text, f"{LOCK_FILE} (workspace)")
    try:
        old = parse_lock(base_text, f"{LOCK_FILE} ({base})")
    except PipelineError as error:
        warnings.append(f"{error}: machine differences not looked for")
        return None
    environment = [path for path in PACKAGE_LOCKS if vcs.git_show(base, path, cwd) != read_workspace(cwd / path)]
    return replace(compare_locks(old, head), environment=environment)


def tolerance_change(path: str, text: str, base: str, cwd: Path, warnings: list[str]) -> str:
    """The tolerance file's diff against the base revision; why it cannot be compared goes to ``warnings``."""
    relative = os.path.relpath(Path(path).resolve(), cwd.resolve())
    if relative.startswith(".."):
        warnings.append(f"the tolerance file {path} is outside the project: not compared with the base")
        return ""
    base_text = vcs.git_show(base, Path(relative).as_posix(), cwd)
    return tolerance_diff(base_text, text, Path(relative).as_posix(), base)


def main() -> None:
    args = parser().parse_args()
    use_agg()
    from matplotlib import pyplot as plt

    from pipelib.review.figures import draw, png_bytes, svg_text

    cwd = Path.cwd()
    link = checked_link(args.plots_link)
    tolerances, tolerance_text = load_tolerances(args.tolerances)
    base_commit = vcs.resolve_revision(args.base, cwd)
    metrics, warnings = vcs.metrics_diff(args.base, cwd)
    params = vcs.params_diff(args.base, cwd)
    stale = vcs.pipeline_status(cwd)
    if stale:
        warnings.append(f"dvc status: {', '.join(stale)} not up to date; run dvc repro before reviewing")
    diff = tolerance_change(args.tolerances, tolerance_text, args.base, cwd, warnings)
    plots, skipped = plot_data(args.base, cwd, warnings)
    comparisons, significance_notes = significance(args.base, cwd)
    recomputed = machine_differences(args.base, cwd, warnings)

    verdicts = gate(metrics, tolerances)
    sections = [*tables(params, verdicts, tolerances), significance_table(comparisons, significance_notes)]
    summary = Summary(args.base, base_commit, vcs.head_revision(cwd), verdicts, warnings, diff, sections, recomputed)

    out, page = Path(args.out), Path(args.html)
    image_dir = out.parent / out.stem
    operating = operating_point(metrics)
    svgs = []
    for data in plots:
        chart = draw(data, args.base, operating)
        with atomic_path(image_dir / f"{chart.name}.png") as tmp:
            tmp.write_bytes(png_bytes(chart.figure))
        svgs.append((chart.name, chart.title, svg_text(chart.figure)))
        plt.close(chart.figure)
    write_text(out, markdown(summary, plots, link, skipped))
    write_text(page, html_page(summary, svgs))

    print(f"review: wrote {out} and {page}; {summary.outcome()}")
    if summary.failures:
        for line in summary.failures:
            print(fold(line, limit=1000), file=sys.stderr)
        raise SystemExit(REGRESSION)


def run(entry: Callable[[], None] = main) -> None:
    """``entry`` with the review's exit codes: a bug exits 3 (with its traceback), never 1 (a regression)."""
    try:
        run_stage(entry)
    except Exception:  # noqa: BLE001  (any uncaught exception is a bug: say so, with its own exit code)
        traceback.print_exc()
        print("error: the review crashed (a bug, not a regression); exit status 3", file=sys.stderr)
        raise SystemExit(BUG) from None


if __name__ == "__main__":
    run()
