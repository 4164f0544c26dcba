"""review: compare the workspace with a base revision for a pull request, and gate on regressions.

Writes a Markdown file fit for a PR comment (params and metrics diffs, headline numbers,
plots of both revisions as PNGs beside it) and a self-contained HTML page of the same with
inline SVG plots. Exit status 1, with one line per metric on stderr, when a gated metric got
worse than its tolerance; 2 on an error (unknown revision, bad tolerance file, ...).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import matplotlib.pyplot as plt

from pipelib.atomic import atomic_path, write_text
from pipelib.errors import PipelineError, run_stage
from pipelib.png import use_agg
from pipelib.review.gate import (
    Summary,
    gate,
    git_show,
    head_revision,
    html_page,
    load_tolerances,
    markdown,
    metrics_diff,
    params_diff,
    pipeline_status,
    resolve_revision,
    tables,
)
from pipelib.review.plots import OPERATING_FILE, OPERATING_POINT, PLOT_FILES, draw_all, png_bytes, svg_text


def parser() -> argparse.ArgumentParser:
    """The command line (a function, so the CI workflow's test can check its flags against it)."""
    parser = argparse.ArgumentParser(prog="python -m pipelib.review", description=__doc__)
    parser.add_argument("--base", required=True, help="git revision to compare with, e.g. main or origin/main")
    parser.add_argument("--out", default="reports/review.md", help="the Markdown file; PNGs go in a folder beside it")
    parser.add_argument("--html", default="reports/review.html", help="the self-contained HTML page")
    parser.add_argument("--tolerances", default="review_tolerances.yaml", help="the regression gate's tolerances")
    parser.add_argument("--plots-link", default=None, help="where readers of the Markdown find the HTML page")
    return parser


def current_plot_texts() -> dict[str, str]:
    """The workspace's plot data files, which the review needs."""
    texts = {}
    for path in PLOT_FILES:
        try:
            texts[path] = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise PipelineError(f"{path}: plot data file not found (run dvc repro)") from None
    return texts


def main() -> None:
    args = parser().parse_args()
    use_agg()
    cwd = Path.cwd()
    tolerances = load_tolerances(args.tolerances)
    base_commit = resolve_revision(args.base, cwd)
    metrics, warnings = metrics_diff(args.base, cwd)
    params = params_diff(args.base, cwd)
    stale = pipeline_status(cwd)
    if stale:
        warnings.append(f"dvc status: {', '.join(stale)} not up to date; run dvc repro before reviewing")
    current = current_plot_texts()
    base = {path: git_show(args.base, path, cwd) for path in PLOT_FILES}
    missing = [path for path, text in base.items() if text is None]
    if missing:
        warnings.append(f"the base revision has no {', '.join(missing)}: plotted current only")
    operating = {
        name: (change.old, change.new)
        for change in metrics
        for name, key in OPERATING_POINT.items()
        if (change.file, change.key) == (OPERATING_FILE, key)
    }
    charts = draw_all(base, current, f"base ({args.base})", operating)

    verdicts = gate(metrics, tolerances)
    summary = Summary(args.base, base_commit, head_revision(cwd), verdicts, warnings)
    sections = tables(params, verdicts, tolerances)

    out, page = Path(args.out), Path(args.html)
    image_dir = out.parent / out.stem
    images, svgs = [], []
    for chart in charts:
        with atomic_path(image_dir / f"{chart.name}.png") as tmp:
            tmp.write_bytes(png_bytes(chart.figure))
        images.append((chart.title, f"{image_dir.name}/{chart.name}.png"))  # relative to the Markdown file
        svgs.append((chart.name, chart.title, svg_text(chart.figure)))
        plt.close(chart.figure)
    link = args.plots_link or Path(os.path.relpath(page, out.parent)).as_posix()
    write_text(out, markdown(summary, sections, images, link))
    write_text(page, html_page(summary, sections, svgs))

    print(f"review: wrote {out} and {page}; {summary.outcome()}")
    if summary.failures:
        for line in summary.failures:
            print(line, file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    run_stage(main)
