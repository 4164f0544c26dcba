"""The review command: diffs against a base revision, the regression gate and the offline plot page.

The integration tests commit a small-data run in a temporary git repository, raise the
binary decision threshold (recall falls, precision cannot fall), rerun, and review the
workspace against the committed HEAD, as the pull-request workflow does against its base.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import helpers
import matplotlib.image
import numpy as np
import pytest
import yaml
from test_pipeline_dvc import N_TEST, N_TRAIN, small_project

from pipelib.errors import PipelineError
from pipelib.review.gate import Change, Tolerance, gate, judge, parse_tolerances
from pipelib.review.plots import confusion_matrix, parse_csv
from pipelib.scores import read_scores

# The flags the CI workflow passes too (tests/test_review_workflow.py checks they agree).
REVIEW_FLAGS = ("--out", "reports/review.md", "--html", "reports/review.html", "--tolerances", "review_tolerances.yaml")
PLOTS_LINK = "https://example.invalid/actions/runs/1"
CHARTS = ["precision_recall", "threshold", "roc", "test_confusion", "titanic_coefficients"]
CHROMIUM = Path("/usr/bin/chromium")


# --- a reviewed change ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ChangedProject:
    """A project whose committed HEAD is the base run and whose workspace has the threshold raised."""

    path: Path
    mirror: Path
    threshold: float

    def metric(self, file: str, dotted: str) -> tuple[Any, Any]:
        """A metric (or a mapping of them) in the base revision (HEAD) and in the workspace."""
        texts = git(self.path, "show", f"HEAD:{file}"), (self.path / file).read_text(encoding="utf-8")
        return dig(json.loads(texts[0]), dotted), dig(json.loads(texts[1]), dotted)


def dig(value: Any, dotted: str) -> Any:
    """``value[a][b]`` for ``dotted == "a.b"``."""
    for key in dotted.split("."):
        value = value[key]
    return value


def git(project: Path, *args: str) -> str:
    """Run git in the project; its stdout."""
    result = subprocess.run(["git", *args], cwd=project, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def review(project: ChangedProject, *args: str, base: str = "HEAD") -> subprocess.CompletedProcess[str]:
    """``python -m pipelib.review --base BASE ARGS`` in the project (the repo's flags unless ARGS are given)."""
    return helpers.run_stage_script(
        project.path, project.mirror, "pipelib.review", "--base", base, *(args or REVIEW_FLAGS)
    )


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small mirror of test_pipeline_dvc (same sizes and seeds)."""
    root = tmp_path_factory.mktemp("mirror")
    helpers.write_mnist_mirror(root, N_TRAIN, N_TEST, seed=0)
    helpers.write_titanic_mirror(root, 60, 20, seed=0)
    return root


@pytest.fixture(scope="module")
def changed(tmp_path_factory: pytest.TempPathFactory, mirror: Path) -> ChangedProject:
    """Commit a full run, raise mnist.evaluate.threshold past 30% of the positives' scores, rerun."""
    path = small_project(tmp_path_factory.mktemp("review") / "project")
    shutil.copy2(helpers.REPO_ROOT / "review_tolerances.yaml", path / "review_tolerances.yaml")
    helpers.run_dvc(path, mirror, "repro")
    git(path, "config", "user.name", "Review Test")
    git(path, "config", "user.email", "review-test@example.invalid")
    git(path, "config", "commit.gpgsign", "false")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "base run")
    _, target, score = read_scores(path / "data" / "mnist" / "binary_cv_scores.parquet")
    threshold = round(float(np.quantile(score[target], 0.3)), 3)
    helpers.edit_params(path / "params.yaml", {"mnist.evaluate.threshold": threshold})
    ran = helpers.stages_run(helpers.run_dvc(path, mirror, "repro").stdout)
    assert ran == {"evaluate_mnist", "figures_mnist", "report"}
    return ChangedProject(path, mirror, threshold)


@pytest.fixture(scope="module")
def reviewed(changed: ChangedProject) -> subprocess.CompletedProcess[str]:
    """The review with the repository's own tolerances (and the CI workflow's flags)."""
    return review(changed, *REVIEW_FLAGS, "--plots-link", PLOTS_LINK)


def table(markdown: str, title: str) -> dict[str, list[str]]:
    """The rows of the Markdown table under ``## title``, keyed by their second cell (param or metric)."""
    section = markdown.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line.strip("|").split(" | ") for line in section.splitlines() if line.startswith("| ")]
    return {cells[1].strip(): [cell.strip() for cell in cells] for cells in rows[2:]}


def read_review(project: ChangedProject) -> str:
    return (project.path / "reports" / "review.md").read_text(encoding="utf-8")


# --- the review file -----------------------------------------------------------------------------


def test_review_shows_the_changed_parameter(
    changed: ChangedProject, reviewed: subprocess.CompletedProcess[str]
) -> None:
    params = table(read_review(changed), "Parameters (dvc params diff)")
    assert params == {
        "mnist.evaluate.threshold": [
            "params.yaml",
            "mnist.evaluate.threshold",
            "0",
            f"{changed.threshold:g}",
            f"{changed.threshold:+g}",
        ]
    }


def test_review_shows_changed_metrics_with_their_signs(
    changed: ChangedProject, reviewed: subprocess.CompletedProcess[str]
) -> None:
    metrics = table(read_review(changed), "Metrics (dvc metrics diff)")
    old, new = changed.metric("metrics/mnist.json", "binary")
    assert new["cv_recall"] < old["cv_recall"] - 0.1, "the raised threshold must lose positives"
    assert new["cv_precision"] >= old["cv_precision"]
    for key, sign in (("cv_recall", "-"), ("cv_accuracy", "-"), ("test_recall", "-")):
        row = metrics[f"binary.{key}"]
        assert row[0] == "metrics/mnist.json"
        assert row[4].startswith(sign), row
        assert row[4] == f"{new[key] - old[key]:+.4f}", row
    assert metrics["binary.cv_recall"][2:4] == [f"{old['cv_recall']:.4f}", f"{new['cv_recall']:.4f}"]
    assert metrics["binary.cv_recall"][5] == "REGRESSION"
    assert metrics["binary.test_recall"][5] == "not gated"
    # The per-fold accuracies are at threshold 0 (cross_val_score): the threshold does not move them.
    assert "binary.cv_fold_accuracy_mean" not in metrics
    if new["cv_precision"] > old["cv_precision"]:
        assert metrics["binary.cv_precision"][4].startswith("+")
    else:
        assert "binary.cv_precision" not in metrics  # unchanged metrics are counted, not listed
    assert not any(key.startswith("titanic.") for key in metrics), "the Titanic stages did not rerun"


def test_review_headline_numbers(changed: ChangedProject, reviewed: subprocess.CompletedProcess[str]) -> None:
    headline = table(read_review(changed), "Headline numbers")
    tolerances = yaml.safe_load((helpers.REPO_ROOT / "review_tolerances.yaml").read_text(encoding="utf-8"))
    assert list(headline) == [key for keys in tolerances.values() for key in keys]
    assert headline["softmax.test_accuracy"][4:6] == ["0", "ok"]
    assert headline["binary.cv_recall"][5] == "REGRESSION"
    assert headline["binary.cv_recall"][6] == "0.01 absolute, higher is better"


def test_default_tolerances_fail_on_the_recall_drop(
    changed: ChangedProject, reviewed: subprocess.CompletedProcess[str]
):
    assert reviewed.returncode == 1, reviewed.stderr
    lines = reviewed.stderr.splitlines()
    assert lines and all(line.startswith("regression: ") for line in lines), reviewed.stderr
    old, new = changed.metric("metrics/mnist.json", "binary.cv_recall")
    expected = f"regression: metrics/mnist.json binary.cv_recall fell {old - new:.4f} ({old:.4f} -> {new:.4f}), "
    assert expected + "tolerance 0.01 absolute" in lines
    text = read_review(changed)
    assert "**Regression gate: FAILED" in text
    assert f"- `{expected}tolerance 0.01 absolute`" in text


def test_review_plots_are_files_beside_it(changed: ChangedProject, reviewed: subprocess.CompletedProcess[str]) -> None:
    text = read_review(changed)
    for name in CHARTS:
        assert f"](review/{name}.png)" in text, name
        png = changed.path / "reports" / "review" / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    assert f"[{PLOTS_LINK}]({PLOTS_LINK})" in text


def test_html_page_is_self_contained(changed: ChangedProject, reviewed: subprocess.CompletedProcess[str]) -> None:
    page = (changed.path / "reports" / "review.html").read_text(encoding="utf-8")
    assert page.count('<figure class="chart"') == len(CHARTS)
    assert page.count("<svg") == len(CHARTS)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page), "the page must load nothing"
    assert "<link" not in page and "@import" not in page and "url(http" not in page
    assert "<dc:date>" not in page


def test_review_is_reproducible(changed: ChangedProject, reviewed: subprocess.CompletedProcess[str], tmp_path: Path):
    """The same revisions give the same bytes: no dates, no random SVG ids."""
    outputs = ["reports/review.md", "reports/review.html", *(f"reports/review/{name}.png" for name in CHARTS)]
    first = {name: (changed.path / name).read_bytes() for name in outputs}
    again = review(changed, *REVIEW_FLAGS, "--plots-link", PLOTS_LINK)
    assert again.returncode == 1
    assert {name: (changed.path / name).read_bytes() for name in outputs} == first


# --- the gate with tolerances of its own ---------------------------------------------------------


def tolerance_file(directory: Path, **metrics: dict[str, Any]) -> str:
    """A tolerance file for metrics/mnist.json (keyword = dotted key with '__' for '.'); its path."""
    path = directory / "tolerances.yaml"
    spec = {"metrics/mnist.json": {key.replace("__", "."): value for key, value in metrics.items()}}
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return str(path)


def run_gate(changed: ChangedProject, tolerances: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    out = ("--out", str(tmp_path / "review.md"), "--html", str(tmp_path / "review.html"))
    return review(changed, *out, "--tolerances", tolerances)


@pytest.mark.parametrize("kind", ["absolute", "relative"])
def test_accuracy_drop_past_its_tolerance_fails(changed: ChangedProject, tmp_path: Path, kind: str) -> None:
    old, new = changed.metric("metrics/mnist.json", "binary.cv_accuracy")
    fall = old - new if kind == "absolute" else (old - new) / old
    assert fall > 0
    tight = tolerance_file(tmp_path, binary__cv_accuracy={"tolerance": fall / 2, "kind": kind, "better": "higher"})
    result = run_gate(changed, tight, tmp_path)
    assert result.returncode == 1, result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith(f"regression: metrics/mnist.json binary.cv_accuracy fell {old - new:.4f}")
    assert line.endswith(f"tolerance {fall / 2:g} {kind}")
    loose = tolerance_file(tmp_path, binary__cv_accuracy={"tolerance": fall * 2, "kind": kind, "better": "higher"})
    result = run_gate(changed, loose, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Regression gate: passed, 1 gated metrics within their tolerance." in result.stdout
    assert "**Regression gate: passed" in (tmp_path / "review.md").read_text(encoding="utf-8")


def test_lower_is_better_metric_that_rose_fails(changed: ChangedProject, tmp_path: Path) -> None:
    # The Brier score (lower is better) does not move with the threshold: raise it in a copy's metrics file.
    project = ChangedProject(
        helpers.clone_project(changed.path, tmp_path / "project"), changed.mirror, changed.threshold
    )
    path = project.path / "metrics" / "mnist.json"
    metrics = json.loads(path.read_text(encoding="utf-8"))
    old = metrics["binary"]["cv_brier"]
    metrics["binary"]["cv_brier"] = old + 0.05
    path.write_text(json.dumps(metrics), encoding="utf-8")
    spec = {"tolerance": 0.02, "kind": "absolute", "better": "lower"}
    result = run_gate(project, tolerance_file(tmp_path, binary__cv_brier=spec), tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1].startswith("regression: metrics/mnist.json binary.cv_brier rose 0.0500 (")
    spec["tolerance"] = 0.1
    assert run_gate(project, tolerance_file(tmp_path, binary__cv_brier=spec), tmp_path).returncode == 0


def test_gated_metric_that_does_not_exist_fails(changed: ChangedProject, tmp_path: Path) -> None:
    spec = {"tolerance": 0.1, "kind": "absolute", "better": "higher"}
    result = run_gate(changed, tolerance_file(tmp_path, binary__no_such_metric=spec), tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "regression: metrics/mnist.json binary.no_such_metric is missing in this revision "
        "(absent in the base too), tolerance 0.1 absolute"
    )


def test_new_and_removed_metrics_are_reported(changed: ChangedProject, tmp_path: Path) -> None:
    project = ChangedProject(
        helpers.clone_project(changed.path, tmp_path / "project"), changed.mirror, changed.threshold
    )
    path = project.path / "metrics" / "mnist.json"
    metrics = json.loads(path.read_text(encoding="utf-8"))
    del metrics["softmax"]["test_accuracy"], metrics["baseline"]["test_accuracy"]
    metrics["softmax"]["top2_accuracy"] = 0.99
    path.write_text(json.dumps(metrics), encoding="utf-8")
    result = review(project)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1].startswith(
        "regression: metrics/mnist.json softmax.test_accuracy is missing in this revision (base "
    )
    text = read_review(project)
    assert "- New metrics (not in the base): metrics/mnist.json softmax.top2_accuracy." in text
    assert "- Removed metrics (in the base, not now): metrics/mnist.json baseline.test_accuracy." in text
    rows = table(text, "Metrics (dvc metrics diff)")
    assert rows["softmax.top2_accuracy"][2:] == ["—", "0.9900", "", "new"]
    assert rows["baseline.test_accuracy"][5] == "removed"
    assert rows["softmax.test_accuracy"][5] == "REGRESSION"
    assert "- Warning: dvc status: evaluate_mnist" in text  # the edited metrics file is not the stage's output


def test_remote_base_without_a_plot_file(changed: ChangedProject, tmp_path: Path) -> None:
    """As in CI: the base is a remote-tracking branch; one whose commit lacks a plot file plots current only."""
    project = ChangedProject(helpers.clone_project(changed.path, tmp_path / "p"), changed.mirror, changed.threshold)
    git(project.path, "rm", "-q", "--cached", "plots/mnist/roc.csv")
    git(project.path, "commit", "-q", "-m", "base without the ROC data")
    git(project.path, "update-ref", "refs/remotes/origin/main", "HEAD")
    result = review(project, base="origin/main")
    assert result.returncode == 1, result.stderr
    text = read_review(project)
    assert text.startswith("# Review of this change\n\nBase origin/main (")
    assert "- Warning: the base revision has no plots/mnist/roc.csv: plotted current only" in text
    assert (project.path / "reports" / "review" / "roc.png").is_file()


# --- expected errors -----------------------------------------------------------------------------


def error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single ``error:`` line of a review that failed as expected (exit 2, no traceback)."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    return line


def test_unknown_base_revision(changed: ChangedProject) -> None:
    line = error_line(review(changed, base="no-such-branch"))
    assert line == "error: base revision 'no-such-branch' not found in git (fetch it first, e.g. git fetch origin)"


def test_bad_tolerance_file(changed: ChangedProject, tmp_path: Path) -> None:
    bad = tolerance_file(tmp_path, binary__cv_recall={"tolerance": 0.01, "kind": "absolute", "better": "up"})
    line = error_line(run_gate(changed, bad, tmp_path))
    assert line == f"error: {bad}: 'metrics/mnist.json: binary.cv_recall': 'better' must be higher or lower, got 'up'"


def test_missing_plot_data(changed: ChangedProject, tmp_path: Path) -> None:
    project = ChangedProject(
        helpers.clone_project(changed.path, tmp_path / "project"), changed.mirror, changed.threshold
    )
    (project.path / "plots" / "mnist" / "roc.csv").unlink()
    assert error_line(review(project)) == "error: plots/mnist/roc.csv: plot data file not found (run dvc repro)"


# --- the offline page in a browser ---------------------------------------------------------------


def chromium(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Headless Chromium on a file with networking disabled (an unreachable proxy, no background fetches)."""
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--proxy-server=127.0.0.1:9",
        *args,
        page.as_uri(),
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (.ci/run installs it)")
def test_offline_page_draws_every_chart(
    changed: ChangedProject, reviewed: subprocess.CompletedProcess[str], tmp_path: Path
) -> None:
    page = changed.path / "reports" / "review.html"
    dom = chromium(page, tmp_path / "profile-dom", "--dump-dom")
    assert dom.returncode == 0, dom.stderr
    figures = re.findall(r'<figure class="chart" id="chart-(\w+)"([^>]*)>(.*?)</figure>', dom.stdout, re.S)
    assert [name for name, _, _ in figures] == CHARTS
    for name, attributes, body in figures:
        assert body.count("<svg") == 1, name
        drawn = re.search(r'data-drawn-marks="(\d+)"', attributes)
        assert drawn and int(drawn.group(1)) >= 5, f"{name}: no marks laid out ({attributes})"
        assert body.count("<path") >= 5, name

    screenshot = tmp_path / "review.png"
    shot = chromium(page, tmp_path / "profile-shot", "--window-size=1400,5200", f"--screenshot={screenshot}")
    assert shot.returncode == 0, shot.stderr
    pixels = matplotlib.image.imread(screenshot)[..., :3]
    ink = pixels.min(axis=2) < 0.9
    assert ink.mean() > 0.03, "the screenshot is (nearly) blank"
    # Each chart adds coloured ink (curves, bars, cells) below the tables.
    coloured = (pixels.max(axis=2) - pixels.min(axis=2)) > 0.25
    assert coloured.sum() > 10_000


# --- the gate's rules, without DVC ---------------------------------------------------------------


HIGHER = Tolerance(0.01, "absolute", "higher")


@pytest.mark.parametrize(
    ("old", "new", "tolerance", "status"),
    [
        (0.90, 0.895, HIGHER, "ok"),
        (0.90, 0.89, HIGHER, "ok"),  # exactly the tolerance: allowed
        (0.90, 0.8899, HIGHER, "regression"),
        (0.90, 0.99, HIGHER, "ok"),
        (0.10, 0.12, Tolerance(0.01, "absolute", "lower"), "regression"),
        (0.10, 0.05, Tolerance(0.01, "absolute", "lower"), "ok"),
        (0.50, 0.49, Tolerance(0.05, "relative", "higher"), "ok"),
        (0.50, 0.47, Tolerance(0.05, "relative", "higher"), "regression"),
        (0.0, -0.01, Tolerance(0.5, "relative", "higher"), "regression"),  # relative to zero: no room
        (0.90, math.nan, HIGHER, "regression"),
        (0.90, None, HIGHER, "regression"),
        (None, 0.90, HIGHER, "new"),
        (0.90, 0.80, None, "not gated"),
        (0.90, 0.90, None, "unchanged"),
        (None, 0.90, None, "new"),
        (0.90, None, None, "removed"),
    ],
)
def test_judge(old: Any, new: Any, tolerance: Tolerance | None, status: str) -> None:
    verdict = judge(Change("m.json", "a.b", old, new), tolerance)
    assert verdict.status == status
    assert bool(verdict.message) == (status == "regression")
    if verdict.message:
        assert verdict.message.startswith("regression: m.json a.b ")


def test_judge_message() -> None:
    verdict = judge(Change("metrics/mnist.json", "binary.precision", 0.8904, 0.8592), HIGHER)
    assert verdict.message == (
        "regression: metrics/mnist.json binary.precision fell 0.0312 (0.8904 -> 0.8592), tolerance 0.01 absolute"
    )
    relative = judge(Change("m.json", "r", 0.5, 0.4), Tolerance(0.1, "relative", "higher"))
    assert (
        relative.message
        == "regression: m.json r fell 0.1000 = 20.00% of base (0.5000 -> 0.4000), tolerance 0.1 relative"
    )


def test_gate_reports_gated_metrics_found_nowhere() -> None:
    verdicts = gate([Change("m.json", "a", 1.0, 1.0)], {("m.json", "a"): HIGHER, ("m.json", "gone"): HIGHER})
    assert [(v.change.key, v.status) for v in verdicts] == [("a", "ok"), ("gone", "regression")]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (None, "expected a mapping of metrics files"),
        ({"m.json": ["a"]}, "'m.json' must map metric keys to tolerances"),
        ({"m.json": {"a": 0.1}}, "'m.json: a' must be a mapping with tolerance, kind, better"),
        ({"m.json": {"a": {"tolerance": 0.1, "kind": "absolute"}}}, "'m.json: a': missing 'better'"),
        ({"m.json": {"a": {"tolerance": -1, "kind": "absolute", "better": "higher"}}}, "'tolerance' must be a number"),
        ({"m.json": {"a": {"tolerance": True, "kind": "absolute", "better": "higher"}}}, "got True"),
        ({"m.json": {"a": {"tolerance": 0.1, "kind": "percent", "better": "higher"}}}, "'kind' must be absolute or"),
        ({"m.json": {"a": {"tolerance": 0.1, "kind": "absolute", "better": "up"}}}, "'better' must be higher or lower"),
        ({"m.json": {"a": {"tolerance": 0, "kind": "absolute", "better": "higher", "x": 1}}}, "unknown setting 'x'"),
    ],
)
def test_parse_tolerances_refuses(raw: Any, message: str) -> None:
    with pytest.raises(PipelineError, match=re.escape(message)) as raised:
        parse_tolerances(raw, "t.yaml")
    assert str(raised.value).startswith("t.yaml: ")
    assert "\n" not in str(raised.value)


def test_repository_tolerances_cover_the_headline_metrics() -> None:
    path = helpers.REPO_ROOT / "review_tolerances.yaml"
    tolerances = parse_tolerances(yaml.safe_load(path.read_text(encoding="utf-8")), str(path))
    mnist = {"binary.cv_" + key for key in ("accuracy", "precision", "recall", "f1", "roc_auc", "fold_accuracy_mean")}
    mnist |= {"softmax.test_accuracy", "softmax_augmented.test_accuracy"}
    titanic = {f"titanic.{key}" for key in ("train_accuracy", "cv_fold_accuracy_mean", "cv_precision", "cv_recall")}
    titanic.add("titanic.cv_roc_auc")
    assert set(tolerances) == {("metrics/mnist.json", key) for key in mnist} | {
        ("metrics/titanic.json", key) for key in titanic
    }
    # The metric keys exist in the committed metrics files.
    for file, key in tolerances:
        value = dig(json.loads((helpers.REPO_ROOT / file).read_text(encoding="utf-8")), key)
        assert isinstance(value, float), (file, key)


def test_confusion_matrix_counts() -> None:
    counts = confusion_matrix(np.array([0, 0, 1, 2, 2]), np.array([0, 1, 1, 2, 0]), np.array([0, 1, 2]))
    assert counts.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 1]]


def test_parse_csv_names_the_bad_column() -> None:
    with pytest.raises(PipelineError, match=r"^p\.csv: no column 'recall' \(columns: a, b\)$"):
        parse_csv("a,b\n1,2\n", "p.csv", ("recall",))
    with pytest.raises(PipelineError, match="column 'a' has a value that is not a float"):
        parse_csv("a,b\nx,2\n", "p.csv", ("a",))


def test_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pipelib.review", "--help"], cwd=helpers.REPO_ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0
    assert "--base" in result.stdout and "--tolerances" in result.stdout
