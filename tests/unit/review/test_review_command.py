"""The review command in-process on a tiny git + DVC project: git and DVC calls, plot data, McNemar, exit codes.

One project, built once for the module: a first commit with a params file only (``HEAD~1``), the
base commit ``main`` with metrics, plots, test predictions and tolerances, and a workspace that
changes them (a metric falls past its tolerance, another is removed, a plot gains a column the
base lacks). Every expected value below is read off these files by hand.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipelib.errors import PipelineError
from pipelib.review import vcs
from pipelib.review.__main__ import (
    BAD_INPUT,
    BUG,
    PASSED,
    REGRESSION,
    operating_point,
    parser,
    plot_data,
    read_current,
    run,
    significance,
    tolerance_change,
)
from pipelib.review.gate import Change

PREDICTIONS = "reports/mnist_test_predictions.csv"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}
LONG_KEY = "k" * 1000

DVC_YAML = """\
stages:
  train:
    cmd: python train.py
    params: [train.C, train.solver]
metrics: [metrics.json]
plots:
  - plots/figures
  - pr: {title: PR, x: recall, y: {pr.csv: precision}}
  - cm: {title: Confusion, template: confusion, x: actual, y: {cm.csv: predicted}}
  - wide: {x: x, y: {wide.csv: [y, z]}}
  - fresh: {x: a, y: {fresh.csv: b}}
  - two: {x: t, y: {a.csv: p, b.csv: p}}
"""
BASE_TOLERANCES = """\
metrics.json:
  acc: {tolerance: 0.02, kind: absolute, better: higher}
  loss: {tolerance: 0.01, kind: absolute, better: lower}
"""
# The workspace tightens acc and gates a metric with a 1000-character key that no revision has.
LONG_GATE = f"  {LONG_KEY}: {{tolerance: 0, kind: absolute, better: lower}}\n"
TOLERANCES = BASE_TOLERANCES.replace("0.02", "0.01") + LONG_GATE
BASE_FILES = {
    "dvc.yaml": DVC_YAML,
    "metrics.json": json.dumps({"acc": 0.9, "loss": 0.3, "gone": 1}),
    "review_tolerances.yaml": BASE_TOLERANCES,
    "pr.csv": "recall,precision\n0,1\n1,0.5\n",
    "cm.csv": "actual,predicted\n0,0\n1,1\n",
    "wide.csv": "x,y\n0,1\n",
    PREDICTIONS: "label,softmax\n0,0\n1,1\n2,2\n3,0\n",
    f"gone/{PREDICTIONS}": "label,softmax\n0,0\n",
}
WORKSPACE_FILES = {
    "params.yaml": "train:\n  C: 10.0\n  solver: lbfgs\n",
    "metrics.json": json.dumps({"acc": 0.8, "loss": 0.3, "new": 2}),
    "review_tolerances.yaml": TOLERANCES,
    "pr.csv": "recall,precision\n0,1\n1,0.75\n",
    "cm.csv": "actual,predicted\n0,1\n1,1\n",
    "wide.csv": "x,y,z\n0,1,2\n",
    "fresh.csv": "a,b\n0,1\n",
    PREDICTIONS: "label,softmax,fresh\n0,0,0\n1,1,1\n2,2,2\n3,3,3\n",
    f"bad/{PREDICTIONS}": "label,softmax\n0,\xe9\n",
}


def git(root: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", *args], cwd=root, env={**os.environ, **GIT_ENV}, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if name.startswith("bad/"):
            path.write_bytes(text.encode("latin-1"))
        else:
            path.write_text(text, encoding="utf-8")


@dataclass(frozen=True)
class Reviewed:
    """The project and what ``python -m pipelib.review --base main`` did in it."""

    root: Path
    status: object
    stdout: str
    stderr: str
    markdown: str
    page: str
    open_figures: list[int]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("project")
    git(root, "init", "-q", "-b", "main")
    (root / ".dvc").mkdir()
    (root / ".dvc" / "config").write_text("[core]\n    analytics = false\n", encoding="utf-8")
    write(root, {"params.yaml": "train:\n  C: 1.0\n  solver: lbfgs\n"})
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "first")
    write(root, BASE_FILES)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    write(root, WORKSPACE_FILES)
    (root / "gone" / PREDICTIONS).unlink()
    return root


@pytest.fixture(scope="module")
def reviewed(project: Path) -> Reviewed:
    import matplotlib.pyplot as plt

    stdout, stderr = io.StringIO(), io.StringIO()
    before = set(plt.get_fignums())
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(project)
        patch.setattr(sys, "argv", ["review", "--base", "main"])
        with (
            contextlib.redirect_stdout(stdout),
            contextlib.redirect_stderr(stderr),
            pytest.raises(SystemExit) as exited,
        ):
            run()
    return Reviewed(
        project,
        exited.value.code,
        stdout.getvalue(),
        stderr.getvalue(),
        (project / "reports" / "review.md").read_text(encoding="utf-8"),
        (project / "reports" / "review.html").read_text(encoding="utf-8"),
        sorted(set(plt.get_fignums()) - before),
    )


# --- git ---------------------------------------------------------------------------------------------


def test_revisions(project: Path, tmp_path: Path) -> None:
    base = vcs.resolve_revision("main", project)
    full = git(project, "log", "-1", "--format=%H", "main")
    assert len(base) >= 7 and full.startswith(base)
    assert vcs.head_revision(project) == base
    first = vcs.resolve_revision("HEAD~1", project)
    assert first != base and git(project, "log", "-1", "--format=%H", "HEAD~1").startswith(first)
    git(tmp_path, "init", "-q")
    assert vcs.head_revision(tmp_path) == "no commit"


@pytest.mark.parametrize(
    ("revision", "message"),
    [
        ("", "base revision '' is not a revision name"),
        ("-p", "base revision '-p' is not a revision name"),
        ("HEAD~2", "base revision 'HEAD~2' not found in git (fetch it first, e.g. git fetch origin)"),
        ("HEAD^{tree}", "base revision 'HEAD^{tree}' not found in git (fetch it first, e.g. git fetch origin)"),
    ],
)
def test_a_revision_git_does_not_know(project: Path, revision: str, message: str) -> None:
    with pytest.raises(PipelineError) as raised:
        vcs.resolve_revision(revision, project)
    assert str(raised.value) == message


def test_outside_a_git_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    with pytest.raises(PipelineError) as raised:
        vcs.resolve_revision("main", tmp_path)
    assert str(raised.value) == f"{tmp_path}: not in a git repository (the review compares git revisions)"


def test_git_show(project: Path) -> None:
    assert vcs.git_show("main", "pr.csv", project) == "recall,precision\n0,1\n1,0.5\n"
    assert vcs.git_show("main", "softmax.csv", project / "reports") is None
    assert vcs.git_show("main", "mnist_test_predictions.csv", project / "reports") == BASE_FILES[PREDICTIONS]
    assert vcs.git_show("HEAD~1", "pr.csv", project) is None


def test_commands_have_bad_bytes_replaced_and_a_missing_one_is_one_line(tmp_path: Path) -> None:
    result = vcs._run([sys.executable, "-c", "import sys; sys.stdout.buffer.write(b'a\\xffb'); sys.exit(3)"], tmp_path)
    assert (result.returncode, result.stdout) == (3, "a\ufffdb")
    with pytest.raises(PipelineError, match=r"^pipelib-no-such-command: command not found$"):
        vcs._run(["pipelib-no-such-command"], tmp_path)


def test_last_line() -> None:
    assert vcs._last_line("first\n\n  ERROR: last one  \n\n") == "ERROR: last one"
    assert vcs._last_line("only") == "only"
    assert vcs._last_line(" \n") == "no message"


# --- what DVC prints, as changes ----------------------------------------------------------------------


def test_dvc_diff_output_as_changes() -> None:
    diff = {
        "params.yaml": {"train.solver": {"old": "lbfgs", "new": "saga"}, "train.C": {"old": 1.0, "new": 10.0}},
        "b.json": {"x": {"new": 2}, "broken": "not a mapping"},
        "a.json": "an error DVC reports instead of values",
    }
    assert vcs.changes(diff) == [
        Change("b.json", "broken", None, None),
        Change("b.json", "x", None, 2),
        Change("params.yaml", "train.C", 1.0, 10.0),
        Change("params.yaml", "train.solver", "lbfgs", "saga"),
    ]
    assert vcs.changes({}) == []
    with pytest.raises(PipelineError, match=r"^dvc diff output is not a mapping of files$"):
        vcs.changes(["params.yaml"])


# --- the command's parts -------------------------------------------------------------------------------


def test_exit_statuses() -> None:
    assert (PASSED, REGRESSION, BAD_INPUT, BUG) == (0, 1, 2, 3)


def test_command_line_defaults_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    args = parser().parse_args(["--base", "origin/main"])
    assert vars(args) == {
        "base": "origin/main",
        "out": "reports/review.md",
        "html": "reports/review.html",
        "tolerances": "review_tolerances.yaml",
        "plots_link": None,
    }
    link = "https://ci.example/run/1"
    args = parser().parse_args(["--base=b", "--out=o.md", "--html=o.html", "--tolerances=t.yaml", "--plots-link", link])
    assert vars(args) == {"base": "b", "out": "o.md", "html": "o.html", "tolerances": "t.yaml", "plots_link": link}
    text = " ".join(parser().format_help().split())
    assert text.startswith("usage: python -m pipelib.review [-h] --base BASE [--out OUT] [--html HTML]")
    for phrase in [
        "--base BASE git revision to compare with, e.g. main or origin/main",
        "--out OUT the Markdown file; PNGs go in a folder beside it",
        "--html HTML the self-contained HTML page",
        "--tolerances TOLERANCES the regression gate's tolerances",
        "--plots-link PLOTS_LINK https address where readers find the HTML page",
    ]:
        assert phrase in text
    for argv, error in [
        ([], "the following arguments are required: --base"),
        (["--base", "main", "--bogus"], "unrecognized arguments: --bogus"),
    ]:
        with pytest.raises(SystemExit) as exited:
            parser().parse_args(argv)
        assert exited.value.code == 2
        assert capsys.readouterr().err == f"error: python -m pipelib.review: {error}\n"


def test_read_current(tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text("a\n1\n", encoding="utf-8")
    assert read_current(str(tmp_path / "p.csv")) == "a\n1\n"
    with pytest.raises(PipelineError, match=r"none\.csv: plot data file not found \(run dvc repro\)$"):
        read_current(str(tmp_path / "none.csv"))
    with pytest.raises(PipelineError, match=r": cannot read the plot data file \(IsADirectoryError\)$"):
        read_current(str(tmp_path))
    (tmp_path / "latin.csv").write_bytes(b"a\n\xe9\n")
    with pytest.raises(PipelineError, match=r"latin\.csv: cannot read the plot data file \(UnicodeDecodeError\)$"):
        read_current(str(tmp_path / "latin.csv"))


def test_plot_data_of_base_and_workspace(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)
    warnings: list[str] = []
    found, skipped = plot_data("main", project, warnings)
    assert skipped == ["two"]
    by_name = {data.plot.name: data for data in found}
    assert list(by_name) == ["pr", "cm", "wide", "fresh"]
    pr = by_name["pr"]
    assert pr.base is not None and pr.base["precision"].tolist() == [1.0, 0.5]
    assert pr.current["precision"].tolist() == [1.0, 0.75]
    assert by_name["cm"].base is not None and by_name["cm"].base["predicted"].tolist() == ["0", "1"]
    assert by_name["wide"].base is None and by_name["fresh"].base is None
    assert warnings == [
        "the base revision's wide.csv does not fit this plot (wide.csv (main): no column 'z' (columns: x, y)): "
        "plotted current only",
        "the base revision has no fresh.csv: plotted current only",
    ]


def test_operating_point_from_the_metrics() -> None:
    metrics = [
        Change("metrics/mnist_operating_point.json", "binary.cv_precision", 0.8, 0.85),
        Change("metrics/mnist_operating_point.json", "binary.cv_recall", 0.7, None),
        Change("metrics/mnist_operating_point.json", "binary.cv_f1", 0.75, 0.8),
        Change("metrics/other.json", "binary.cv_precision", 0.1, 0.2),
        # metrics/mnist.json holds no threshold's metric now: a key of that name there is not the operating point
        Change("metrics/mnist.json", "binary.cv_precision", 0.3, 0.4),
    ]
    assert operating_point(metrics) == {"precision": (0.8, 0.85), "recall": (0.7, None)}
    assert operating_point(metrics[2:]) == {}


def test_mcnemar_on_the_predictions_of_both_revisions(project: Path) -> None:
    comparisons, notes = significance("main", project)
    assert [(c.model, c.base_accuracy, c.head_accuracy) for c in comparisons] == [("softmax", 0.75, 1.0)]
    assert (comparisons[0].test.only_first_right, comparisons[0].test.only_second_right) == (0, 1)
    assert notes == ["Model fresh is new: no base predictions to compare."]


@pytest.mark.parametrize(
    ("base", "folder", "note"),
    [
        ("HEAD~1", ".", f"The base revision has no {PREDICTIONS}: McNemar skipped."),
        ("main", "gone", f"The workspace has no {PREDICTIONS}: McNemar skipped."),
        ("HEAD~1", "gone", f"Neither the base nor the workspace has {PREDICTIONS}: McNemar skipped."),
    ],
)
def test_mcnemar_skipped_without_both_files(project: Path, base: str, folder: str, note: str) -> None:
    assert significance(base, project / folder) == ([], [note])


def test_unreadable_predictions(project: Path) -> None:
    with pytest.raises(PipelineError, match=r"mnist_test_predictions\.csv: cannot read the test predictions \(Unic"):
        significance("main", project / "bad")


def test_tolerance_change_against_the_base(project: Path, tmp_path: Path) -> None:
    path = project / "review_tolerances.yaml"
    warnings = ["an earlier warning"]
    diff = tolerance_change(str(path), TOLERANCES, "main", project, warnings)
    assert warnings == ["an earlier warning"]
    assert diff.splitlines()[:7] == [
        "--- main:review_tolerances.yaml",
        "+++ workspace:review_tolerances.yaml",
        "@@ -1,3 +1,4 @@",
        " metrics.json:",
        "-  acc: {tolerance: 0.02, kind: absolute, better: higher}",
        "+  acc: {tolerance: 0.01, kind: absolute, better: higher}",
        "   loss: {tolerance: 0.01, kind: absolute, better: lower}",
    ]
    assert tolerance_change(str(path), BASE_TOLERANCES, "main", project, warnings) == ""
    outside = tmp_path / "t.yaml"
    assert tolerance_change(str(outside), "a: 1\n", "main", project, warnings) == ""
    assert warnings == [
        "an earlier warning",
        f"the tolerance file {outside} is outside the project: not compared with the base",
    ]


# --- DVC itself, through its Python API in this process ------------------------------------------


def test_params_and_metrics_diff_and_status(project: Path) -> None:
    assert vcs.params_diff("main", project) == [Change("params.yaml", "train.C", 1.0, 10.0)]
    metrics, warnings = vcs.metrics_diff("main", project)
    assert metrics == [
        Change("metrics.json", "acc", 0.9, 0.8),
        Change("metrics.json", "gone", 1, None),
        Change("metrics.json", "loss", 0.3, 0.3),
        Change("metrics.json", "new", None, 2),
    ]
    assert warnings == []
    assert vcs.pipeline_status(project) == ["train"]


def test_a_metrics_file_dvc_cannot_read_is_a_warning(project: Path, tmp_path: Path) -> None:
    """What `dvc metrics diff` prints on stderr for it, DVC's own words; the other revision's metrics still count."""
    copy = shutil.copytree(project, tmp_path / "copy")
    (copy / "metrics.json").write_text("{not json", encoding="utf-8")
    metrics, warnings = vcs.metrics_diff("main", copy)
    assert warnings == ["DVC failed to load some metrics for following revisions: 'workspace'."]
    assert Change("metrics.json", "acc", 0.9, None) in metrics


def test_what_dvc_logs_is_a_warning_and_nothing_is_printed(
    project: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """A base revision whose dvc.yaml DVC cannot read: DVC logs it (its own words) and the workspace still counts."""
    import logging

    copy = shutil.copytree(project, tmp_path / "copy")
    good = (copy / "dvc.yaml").read_text(encoding="utf-8")
    git(copy, "checkout", "-q", "-b", "broken")
    (copy / "dvc.yaml").write_text("stages: [\n", encoding="utf-8")
    git(copy, "commit", "-q", "-am", "broken dvc.yaml")
    (copy / "dvc.yaml").write_text(good, encoding="utf-8")
    handlers = {name: logging.getLogger(name).handlers[:] for name in vcs.DVC_LOGGERS}
    capfd.readouterr()
    metrics, warnings = vcs.metrics_diff("broken", copy)
    assert capfd.readouterr() == ("", "")
    assert warnings[0] == "DVC failed to load some metrics for following revisions: 'broken'."
    assert warnings[1].startswith("failed to load metrics in revision 'broken', ")
    assert len(warnings) == 2
    assert Change("metrics.json", "acc", None, 0.8) in metrics
    assert {name: logging.getLogger(name).handlers for name in vcs.DVC_LOGGERS} == handlers  # put back


def test_a_failing_dvc_question_is_one_line(project: Path, tmp_path: Path) -> None:
    with pytest.raises(PipelineError) as raised:
        vcs.metrics_diff("no-such-revision", project)
    message = str(raised.value)
    assert message.startswith("dvc metrics diff no-such-revision: ") and "\n" not in message
    assert "no-such-revision" in message.removeprefix("dvc metrics diff no-such-revision: ")
    with pytest.raises(PipelineError, match=r"^dvc status: ") as raised:
        vcs.pipeline_status(tmp_path)  # no DVC project here
    assert "\n" not in str(raised.value)


# --- the whole command -----------------------------------------------------------------------------------


def test_a_regression_exits_1_after_writing_the_review(reviewed: Reviewed) -> None:
    assert reviewed.status == REGRESSION
    outcome = "Regression gate: FAILED, 2 of 3 gated metrics got worse than allowed."
    assert reviewed.stdout == f"review: wrote reports/review.md and reports/review.html; {outcome}\n"
    first, long = reviewed.stderr.splitlines()
    assert first == "regression: metrics.json acc fell 0.1000 (0.9000 -> 0.8000), tolerance 0.01 absolute"
    assert len(long) == 1000 and long == f"regression: metrics.json {LONG_KEY}"[:999] + "…"
    assert f"**{outcome}**" in reviewed.markdown.splitlines()
    assert reviewed.open_figures == []  # every figure closed once written


def test_the_review_names_what_the_workspace_changed(reviewed: Reviewed) -> None:
    lines = reviewed.markdown.splitlines()
    for line in [
        "- New metrics (not in the base): `metrics.json new`.",
        "- Removed metrics (in the base, not now): `metrics.json gone`.",
        "- This change edits the gate's tolerances (review_tolerances.yaml): see the diff below.",
        "- Warning: `dvc status: train not up to date; run dvc repro before reviewing`",
        "- Warning: `the base revision's wide.csv does not fit this plot (wide.csv (main): no column 'z' (columns: "
        "x, y)): plotted current only`",
        "- Warning: `the base revision has no fresh.csv: plotted current only`",
        "-  acc: {tolerance: 0.02, kind: absolute, better: higher}",
        "| `params.yaml` | `train.C` | 1 | 10 | +9 |",
        "| `metrics.json` | `acc` | 0.9000 | 0.8000 | -0.1000 | REGRESSION | 0.01 absolute, higher is better |",
        "| `softmax` | 0.7500 | 1.0000 | +0.2500 | 0 | 1 | 1 | within noise |",
        "### `PR`",
        "### `Confusion`",
        "Base and head of each `dvc.yaml` plot. The same plots drawn in full, with the operating point marked, "
        "are on the offline HTML page written beside this file. Not drawn here: `two`.",
    ]:
        assert line in lines
    assert "Model fresh is new: no base predictions to compare." in reviewed.markdown


def test_the_page_and_the_pngs_of_every_plot(reviewed: Reviewed) -> None:
    for index, name in enumerate(["pr", "cm", "wide", "fresh"]):
        assert f'<figure class="chart" id="chart-{index}" data-plot="{name}">' in reviewed.page
        assert (reviewed.root / "reports" / "review" / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert reviewed.page.count("<svg") == 4
    assert sorted(path.name for path in (reviewed.root / "reports" / "review").iterdir()) == [
        "cm.png",
        "fresh.png",
        "pr.png",
        "wide.png",
    ]
