"""The review command: diffs against a base revision, the regression gate and the offline plot page.

The integration tests commit a copy of the session's tiny run (its git repository), raise the
binary decision threshold (recall falls, precision cannot fall), rerun, and review the
workspace against the committed HEAD, as the pull-request workflow does against its base.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import helpers
import matplotlib.image
import numpy as np
import pytest
import workspaces
import yaml

from pipelib.mnist.dataset import MAX_IMAGES
from pipelib.review.plots import plot_definitions
from pipelib.review.render import MARKER
from pipelib.scores import read_scores

REVIEW_FLAGS = helpers.REVIEW_FLAGS
PLOTS_LINK = "https://example.invalid/actions/runs/1"
# The dvc.yaml plots the review draws (its `plots:` ids with a CSV file), in order.
CHARTS = [plot.name for plot in plot_definitions(helpers.REPO_ROOT / "dvc.yaml")[0]]
CHROMIUM = Path("/usr/bin/chromium")
# The MNIST registry (params.yaml mnist.models): a test accuracy each in metrics/mnist_models.json.
REGISTRY = list(yaml.safe_load((helpers.REPO_ROOT / "params.yaml").read_text(encoding="utf-8"))["mnist"]["models"])
# The binary classifier at the decision threshold (the operating_point stage), and what no threshold changes.
OPERATING = "metrics/mnist_operating_point.json"
UNMOVED = "metrics/mnist.json"


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
    """``python -m pipelib.review --base BASE ARGS`` in the project (the repo's flags unless ARGS are given), run
    in this process as tests/workspaces.py runs a stage: no 1.5 s of imports per review. The hostile change's
    review and test_pipeline_dvc.py's run the real command."""
    args = ("--base", base, *(args or REVIEW_FLAGS))
    command = workspaces.StageCommand("review", "pipelib.review.__main__", args, ())
    return workspaces.run_stage_in_process(project.path, project.mirror, command)


def review_process(project: ChangedProject, base: str) -> subprocess.CompletedProcess[str]:
    """``python -m pipelib.review --base BASE`` with the repo's flags, as its own process."""
    return helpers.run_stage_script(project.path, project.mirror, "pipelib.review", "--base", base, *REVIEW_FLAGS)


@pytest.fixture(scope="module")
def changed(tmp_path_factory: pytest.TempPathFactory, tiny_run: Path, tiny_mirror: Path) -> ChangedProject:
    """Commit a full run, raise mnist.evaluate.threshold past 30% of the positives' scores, rerun."""
    mirror = tiny_mirror
    path = helpers.clone_project(tiny_run, tmp_path_factory.mktemp("review") / "project")
    shutil.copy2(helpers.REPO_ROOT / "review_tolerances.yaml", path / "review_tolerances.yaml")
    git(path, "config", "user.name", "Review Test")
    git(path, "config", "user.email", "review-test@example.invalid")
    git(path, "config", "commit.gpgsign", "false")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "base run")
    _, target, score = read_scores(path / "data" / "mnist" / "binary_cv_scores.parquet", MAX_IMAGES)
    threshold = round(float(np.quantile(score[target], 0.3)), 3)
    helpers.edit_params(path / "params.yaml", {"mnist.evaluate.threshold": threshold})
    ran = helpers.stages_run(helpers.run_dvc(path, mirror, "repro").stdout)
    assert ran == {"operating_point", "report"}
    return ChangedProject(path, mirror, threshold)


@pytest.fixture(scope="module")
def reviewed(changed: ChangedProject) -> subprocess.CompletedProcess[str]:
    """The review with the repository's own tolerances (and the CI workflow's flags)."""
    return review(changed, *REVIEW_FLAGS, "--plots-link", PLOTS_LINK)


def table(markdown: str, title: str) -> dict[str, list[str]]:
    """The rows of the Markdown table under ``## title``, keyed by their second cell (param or metric)."""
    section = markdown.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line.strip("|").split(" | ") for line in section.splitlines() if line.startswith("| ")]
    rows = [[cell.strip().strip("`") for cell in cells] for cells in rows[2:]]
    return {cells[1]: cells for cells in rows}


def read_review(project: ChangedProject) -> str:
    return (project.path / "reports" / "review.md").read_text(encoding="utf-8")


# --- the review file -----------------------------------------------------------------------------


def test_threshold_change_reruns_only_operating_point_and_report(changed: ChangedProject) -> None:
    """(The ``changed`` fixture checks its rerun ran exactly the operating point and the report.)"""
    details = json.loads((changed.path / "reports" / "mnist_operating_point.json").read_text(encoding="utf-8"))
    assert details["binary"]["threshold"] == changed.threshold
    assert f"threshold {changed.threshold:g}" in (changed.path / "reports" / "report.md").read_text(encoding="utf-8")
    status = helpers.run_dvc(changed.path, changed.mirror, "status", "--json").stdout
    assert json.loads(status) == {}, status


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
    old, new = changed.metric(OPERATING, "binary")
    assert new["cv_recall"] < old["cv_recall"] - 0.1, "the raised threshold must lose positives"
    assert new["cv_precision"] >= old["cv_precision"]
    for key, sign in (("cv_recall", "-"), ("cv_accuracy", "-"), ("test_recall", "-")):
        row = metrics[f"binary.{key}"]
        assert row[0] == OPERATING
        assert row[4].startswith(sign), row
        assert row[4] == f"{new[key] - old[key]:+.4f}", row
    assert metrics["binary.cv_recall"][2:4] == [f"{old['cv_recall']:.4f}", f"{new['cv_recall']:.4f}"]
    assert metrics["binary.cv_recall"][5] == "REGRESSION"
    assert metrics["binary.test_recall"][5] == "not gated"
    # The per-fold accuracies are at threshold 0 (cross_val_score): the threshold does not move them,
    # nor anything else evaluate_mnist writes (it did not rerun).
    assert "binary.cv_fold_accuracy_mean" not in metrics
    assert not any(row[0] == UNMOVED for row in metrics.values()), metrics
    if new["cv_precision"] > old["cv_precision"]:
        assert metrics["binary.cv_precision"][4].startswith("+")
    else:
        assert "binary.cv_precision" not in metrics  # unchanged metrics are counted, not listed
    titanic = ("logistic", "random_forest", "svc", "always_died", "women_survive")  # metrics/titanic.json's blocks
    assert not any(key.split(".")[0] in titanic for key in metrics), "the Titanic stages did not rerun"
    assert not any(row[0] == "metrics/mnist_models.json" for row in metrics.values()), "nor did compare_mnist"


def test_review_headline_numbers(changed: ChangedProject, reviewed: subprocess.CompletedProcess[str]) -> None:
    headline = table(read_review(changed), "Headline numbers")
    tolerances = yaml.safe_load((helpers.REPO_ROOT / "review_tolerances.yaml").read_text(encoding="utf-8"))
    explicit = [key for keys in tolerances.values() for key in keys if "*" not in key]
    assert list(headline)[: len(explicit)] == explicit
    # then the metrics a '*' key gates that have no key of their own: every MNIST registry model's test
    # accuracy ("*.test_accuracy"), every Titanic registry model's and baseline's CV accuracy
    matched = list(headline)[len(explicit) :]
    assert {f"{name}.test_accuracy" for name in REGISTRY} <= set(matched)
    assert {"random_forest.cv_fold_accuracy_mean", "svc.cv_fold_accuracy_mean"} <= set(matched)
    assert all(key.endswith((".cv_fold_accuracy_mean", ".test_accuracy")) for key in matched)
    assert not set(matched) & set(explicit)
    for name in REGISTRY:
        assert headline[f"{name}.test_accuracy"][0] == "metrics/mnist_models.json"
        assert headline[f"{name}.test_accuracy"][4:7] == ["0", "ok", "0.003 absolute, higher is better"]
    assert headline["binary.cv_recall"][5] == "REGRESSION"
    assert headline["binary.cv_recall"][6] == "0.01 absolute, higher is better"


def test_default_tolerances_fail_on_the_recall_drop(
    changed: ChangedProject, reviewed: subprocess.CompletedProcess[str]
):
    assert reviewed.returncode == 1, reviewed.stderr
    lines = reviewed.stderr.splitlines()
    assert lines and all(line.startswith("regression: ") for line in lines), reviewed.stderr
    old, new = changed.metric(OPERATING, "binary.cv_recall")
    expected = f"regression: {OPERATING} binary.cv_recall fell {old - new:.4f} ({old:.4f} -> {new:.4f}), "
    assert expected + "tolerance 0.01 absolute" in lines
    text = read_review(changed)
    assert "**Regression gate: FAILED" in text
    assert f"- `{expected}tolerance 0.01 absolute`" in text


def test_review_plots_render_on_github(changed: ChangedProject, reviewed: subprocess.CompletedProcess[str]) -> None:
    """No relative link or image in the comment: curves as Mermaid charts, matrices and bars as tables."""
    text = read_review(changed)
    found = helpers.rendered_comment(text)
    assert found["images"] == [] and found["links"] == [PLOTS_LINK]
    assert found["html"] == [MARKER] and found["mentions"] == [] and found["bare_urls"] == []
    plots = plot_definitions(changed.path / "dvc.yaml")[0]
    charts = [content for info, content in found["fences"] if info == "mermaid"]
    assert len(charts) == sum(plot.kind == "lines" for plot in plots)
    for chart, plot in zip(charts, [plot for plot in plots if plot.kind == "lines"], strict=True):
        lines = [line for line in chart.splitlines() if line.startswith("    line [")]
        assert len(lines) == 2 * len(plot.y), plot.name  # base and head of each y column
    # Headline, parameters, metrics, then a table per confusion or bar plot; every row as wide as its header.
    assert len(found["tables"]) == 3 + sum(plot.kind != "lines" for plot in plots)
    assert all(len(set(rows)) == 1 for rows in found["tables"])
    for name in CHARTS:  # the PNGs stay, for the artifact
        png = changed.path / "reports" / "review" / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    assert "McNemar skipped" not in text  # both revisions have the pipeline's per-image test predictions


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


def tolerance_file(directory: Path, file: str, **metrics: dict[str, Any]) -> str:
    """A tolerance file for one metrics file (keyword = dotted key with '__' for '.'); its path."""
    path = directory / "tolerances.yaml"
    spec = {file: {key.replace("__", "."): value for key, value in metrics.items()}}
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return str(path)


def run_gate(changed: ChangedProject, tolerances: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    out = ("--out", str(tmp_path / "review.md"), "--html", str(tmp_path / "review.html"))
    return review(changed, *out, "--tolerances", tolerances)


def test_gate_with_tolerances_of_its_own(changed: ChangedProject, tmp_path: Path) -> None:
    """Each kind of gate through the command line, in one tolerance file: a fall past an absolute and past a
    relative tolerance, a lower-is-better metric that rose, a gated metric that does not exist. Loosened,
    the same changes pass."""
    # The Brier score (lower is better) does not move with the threshold: raise it in a copy's metrics file.
    project = ChangedProject(
        helpers.clone_project(changed.path, tmp_path / "project"), changed.mirror, changed.threshold
    )
    path = project.path / "metrics" / "mnist.json"
    metrics = json.loads(path.read_text(encoding="utf-8"))
    metrics["binary"]["cv_brier"] += 0.05
    path.write_text(json.dumps(metrics), encoding="utf-8")
    accuracy, recall = changed.metric(OPERATING, "binary.cv_accuracy"), changed.metric(OPERATING, "binary.cv_recall")
    falls = {"absolute": accuracy[0] - accuracy[1], "relative": (recall[0] - recall[1]) / recall[0]}
    assert min(falls.values()) > 0

    def tolerances(scale: float, missing: bool) -> str:
        spec = {
            OPERATING: {
                "binary.cv_accuracy": {"tolerance": falls["absolute"] * scale, "kind": "absolute", "better": "higher"},
                "binary.cv_recall": {"tolerance": falls["relative"] * scale, "kind": "relative", "better": "higher"},
            },
            UNMOVED: {"binary.cv_brier": {"tolerance": 0.08 * scale, "kind": "absolute", "better": "lower"}},
        }
        if missing:
            spec[UNMOVED]["binary.no_such_metric"] = {"tolerance": 0.1, "kind": "absolute", "better": "higher"}
        target = tmp_path / f"tolerances-{scale}.yaml"
        target.write_text(yaml.safe_dump(spec), encoding="utf-8")
        return str(target)

    result = run_gate(project, tolerances(0.5, missing=True), tmp_path)
    assert result.returncode == 1, result.stderr
    lines = sorted(result.stderr.splitlines())
    assert len(lines) == 4, result.stderr
    brier, no_such, cv_accuracy, cv_recall = lines  # sorted by file, then key
    assert cv_accuracy.startswith(f"regression: {OPERATING} binary.cv_accuracy fell {accuracy[0] - accuracy[1]:.4f}")
    assert cv_accuracy.endswith(f"tolerance {falls['absolute'] / 2:g} absolute")
    assert cv_recall.startswith(f"regression: {OPERATING} binary.cv_recall fell {recall[0] - recall[1]:.4f}")
    assert cv_recall.endswith(f"tolerance {falls['relative'] / 2:g} relative")
    assert brier.startswith("regression: metrics/mnist.json binary.cv_brier rose 0.0500 (")
    assert no_such == (
        "regression: metrics/mnist.json binary.no_such_metric is missing in this revision "
        "(absent in the base too), tolerance 0.1 absolute"
    )
    result = run_gate(project, tolerances(2.0, missing=False), tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Regression gate: passed, 3 gated metrics within their tolerance." in result.stdout
    assert "**Regression gate: passed" in (tmp_path / "review.md").read_text(encoding="utf-8")


def test_new_and_removed_metrics_are_reported(changed: ChangedProject, tmp_path: Path) -> None:
    project = ChangedProject(
        helpers.clone_project(changed.path, tmp_path / "project"), changed.mirror, changed.threshold
    )
    for file, block, key in ((OPERATING, "binary", "cv_f1"), (UNMOVED, "baseline", "test_accuracy")):
        path = project.path / file  # cv_f1 is gated by a key of its own; the baseline's test accuracy is not gated
        metrics = json.loads(path.read_text(encoding="utf-8"))
        del metrics[block][key]
        path.write_text(json.dumps(metrics), encoding="utf-8")
    path = project.path / "metrics" / "mnist_models.json"
    models = json.loads(path.read_text(encoding="utf-8"))
    del models["knn"]  # a registry model taken out: its accuracy, gated by "*.test_accuracy", is removed
    models["softmax"]["top2_accuracy"] = 0.99
    path.write_text(json.dumps(models), encoding="utf-8")
    result = review(project)
    assert result.returncode == 1
    missing = [line for line in result.stderr.splitlines() if "is missing" in line]
    assert len(missing) == 1 and missing[0].startswith(
        f"regression: {OPERATING} binary.cv_f1 is missing in this revision (base "
    ), result.stderr
    text = read_review(project)
    assert "- New metrics (not in the base): `metrics/mnist_models.json softmax.top2_accuracy`." in text
    assert (
        "- Removed metrics (in the base, not now): `metrics/mnist.json baseline.test_accuracy`, "
        "`metrics/mnist_models.json knn.test_accuracy`."
    ) in text
    rows = table(text, "Metrics (dvc metrics diff)")
    assert rows["softmax.top2_accuracy"][2:] == ["—", "0.9900", "", "new"]
    assert rows["baseline.test_accuracy"][5] == "removed"
    assert rows["knn.test_accuracy"][5] == "removed"
    assert rows["binary.cv_f1"][5] == "REGRESSION"
    # the edited metrics files are not their stages' outputs
    assert "- Warning: `dvc status: compare_mnist, evaluate_mnist, operating_point" in text


def test_remote_base_without_a_plot_file(changed: ChangedProject, tmp_path: Path) -> None:
    """As in CI: the base is a remote-tracking branch; one whose commit lacks a plot file plots current only."""
    project = ChangedProject(helpers.clone_project(changed.path, tmp_path / "p"), changed.mirror, changed.threshold)
    git(project.path, "rm", "-q", "--cached", "plots/mnist/roc.csv")
    git(project.path, "commit", "-q", "-m", "base without the ROC data")
    git(project.path, "update-ref", "refs/remotes/origin/main", "HEAD")
    result = review(project, base="origin/main")
    assert result.returncode == 1, result.stderr
    text = read_review(project)
    assert text.startswith(f"{MARKER}\n\n# Review of this change\n\nBase `origin/main` (")
    assert "- Warning: `the base revision has no plots/mnist/roc.csv: plotted current only`" in text
    assert (project.path / "reports" / "review" / "roc.png").is_file()


# --- what a pull request controls ---------------------------------------------------------------

IMAGE = "![px](https://attacker.example/px.png)"
EVIL_URL = "https://evil.example/@someone/![x](https://evil.example/x.png)/"


def test_a_hostile_change_cannot_spoof_ping_or_crash_the_review(changed: ChangedProject, tmp_path: Path) -> None:
    """Issue 13's payloads in the metrics, params and plot data, and a hostile base branch name."""
    project = ChangedProject(helpers.clone_project(changed.path, tmp_path / "p"), changed.mirror, changed.threshold)
    base = "main`@org/maintainers<b>x</b>"
    git(project.path, "branch", base, "HEAD")
    metrics = project.path / "metrics" / "mnist.json"
    values = json.loads(metrics.read_text(encoding="utf-8"))
    values["binary"]["note"] = f"0.9`{IMAGE} @org/maintainers"
    values['x\n\n<a href="https://evil.example">x</a>\n\n**Regression gate: passed**\n'] = 1.0
    metrics.write_text(json.dumps(values), encoding="utf-8")
    helpers.edit_params(project.path / "params.yaml", {"titanic.source.url": EVIL_URL})
    coefficients = project.path / "plots" / "titanic" / "coefficients.csv"
    lines = coefficients.read_text(encoding="utf-8").splitlines()
    lines[1] = '"$\\frac{$ @org/x ' + IMAGE + '",' + lines[1].split(",", 1)[1]
    coefficients.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = review_process(project, base)
    assert result.returncode == 1, result.stderr  # the recall drop: a regression, not a crash
    text = read_review(project)
    found = helpers.rendered_comment(text)
    assert (found["images"], found["links"], found["html"]) == ([], [], [MARKER])
    assert found["mentions"] == [] and found["bare_urls"] == []
    assert all(len(set(rows)) == 1 for rows in found["tables"])
    assert EVIL_URL in text and "frac" in text
    assert (project.path / "reports" / "review" / "titanic_coefficients.png").is_file()


def test_a_loosened_gate_shows_in_the_comment(changed: ChangedProject, tmp_path: Path) -> None:
    project = ChangedProject(helpers.clone_project(changed.path, tmp_path / "p"), changed.mirror, changed.threshold)
    path = project.path / "review_tolerances.yaml"
    before = path.read_text(encoding="utf-8")
    old = "  binary.cv_recall: {tolerance: 0.01, kind: absolute, better: higher}"
    new = "  binary.cv_recall: {tolerance: 1, kind: absolute, better: higher}"
    assert old in before  # the edit below must change something
    path.write_text(before.replace(old, new), encoding="utf-8")
    result = review(project)
    assert result.returncode == 1, result.stderr
    assert "binary.cv_recall" not in result.stderr  # the pull request loosened its own gate ...
    text = read_review(project)
    assert "This change edits the gate's tolerances (review_tolerances.yaml)" in text
    [diff] = [content for info, content in helpers.rendered_comment(text)["fences"] if info == "diff"]
    assert f"-{old}\n" in diff and f"+{new}\n" in diff  # ... and the comment says so
    assert diff.startswith("--- HEAD:review_tolerances.yaml\n+++ workspace:review_tolerances.yaml\n")


def test_mcnemar_on_changed_test_predictions(changed: ChangedProject, tmp_path: Path) -> None:
    project = ChangedProject(helpers.clone_project(changed.path, tmp_path / "p"), changed.mirror, changed.threshold)
    path = project.path / "reports" / "mnist_test_predictions.csv"
    assert path.read_text(encoding="utf-8").splitlines()[0] == ",".join(["label", *REGISTRY])
    labels = [i % 10 for i in range(300)]
    wrong = {"softmax": 2, "softmax_augmented": 30, "knn": 0, "knn_augmented": 5}  # the first images each gets wrong
    assert list(wrong) == REGISTRY

    def write(errors: dict[str, int]) -> None:
        rows = [[y, *((y + 1) % 10 if i < errors[name] else y for name in REGISTRY)] for i, y in enumerate(labels)]
        text = ",".join(["label", *REGISTRY]) + "\n" + "".join(",".join(map(str, row)) + "\n" for row in rows)
        path.write_text(text, encoding="utf-8")

    write(dict.fromkeys(REGISTRY, 0))
    git(project.path, "add", str(path))
    git(project.path, "commit", "-q", "-m", "predictions")
    write(wrong)
    assert review(project).returncode == 1  # the raised threshold's recall drop
    text = read_review(project)
    section = text.split("## Test accuracy: beyond noise? (McNemar)\n", 1)[1].split("\n## ", 1)[0]
    lines = [line.strip("|").split(" | ") for line in section.splitlines() if line.startswith("| ")]
    assert [[cell.strip().strip("`") for cell in cells] for cells in lines[2:]] == [  # knn's accuracy did not change
        ["softmax", "1.0000", "0.9933", "-0.0067", "2", "0", "0.5", "within noise"],  # 2 * 0.5**2
        ["softmax_augmented", "1.0000", "0.9000", "-0.1000", "30", "0", "1.86e-09", "beyond noise"],  # 2 * 0.5**30
        ["knn_augmented", "1.0000", "0.9833", "-0.0167", "5", "0", "0.0625", "within noise"],  # 2 * 0.5**5
    ]


def recompute_elsewhere(project: Path, path: str, edit: Any) -> None:
    """As a run on another CPU: ``path``'s values edited, its hash and size in dvc.lock with them, no input."""
    file = project / path
    before = file.read_bytes()
    values = json.loads(before)
    edit(values)
    after = json.dumps(values, indent=2).encode()
    lock = (project / "dvc.lock").read_text(encoding="utf-8")
    pattern = re.compile(rf"md5: {hashlib.md5(before).hexdigest()}\n(\s+)size: {len(before)}\n")
    assert len(pattern.findall(lock)) >= 1
    lock = pattern.sub(rf"md5: {hashlib.md5(after).hexdigest()}\n\g<1>size: {len(after)}\n", lock)
    file.write_bytes(after)
    (project / "dvc.lock").write_text(lock, encoding="utf-8")


def test_differences_recomputed_on_another_machine(changed: ChangedProject, tmp_path: Path) -> None:
    """The threshold change committed; then the Titanic metrics come out one passenger apart, inputs the same."""
    project = ChangedProject(helpers.clone_project(changed.path, tmp_path / "p"), changed.mirror, changed.threshold)
    git(project.path, "add", "-A")
    git(project.path, "commit", "-q", "-m", "the raised threshold")
    one_passenger = 1 / 891
    recompute_elsewhere(
        project.path,
        "metrics/titanic.json",
        lambda values: values["logistic"].update(train_accuracy=values["logistic"]["train_accuracy"] - one_passenger),
    )
    cause = "these differences are the CPU's floating-point kernels, not this change (docs/fidelity.md)"
    where = f"{cause}. Outputs that differ for that reason: `metrics/titanic.json`."

    alone = review(project, base="HEAD")  # no code, data or parameter changed
    assert alone.returncode == 0, alone.stderr  # one passenger is within the 0.01 tolerance
    text = read_review(project)
    assert (
        "- Recomputed on another machine: every stage's code, data and parameters (dvc.lock) are the same as "
        f"in the base, yet the outputs of `evaluate_titanic` differ; {where} The gate applies its tolerances as usual."
    ) in text.splitlines()
    assert table(text, "Headline numbers")["logistic.train_accuracy"][4:6] == [f"{-one_passenger:+.4f}", "ok"]

    both = review(project, base="HEAD~1")  # the threshold change, and the machine
    assert both.returncode == 1, both.stderr  # the recall drop, as without the machine's difference
    own = "`operating_point`, `report`"  # the fixture's rerun
    assert (
        "- Recomputed on another machine: `evaluate_titanic` has the same code, data and parameters (dvc.lock) as "
        f"in the base, yet its outputs differ; {where} This change's own code, data or parameters differ in {own}. "
        "The gate applies its tolerances as usual."
    ) in read_review(project).splitlines()


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
    spec = {"tolerance": 0.01, "kind": "absolute", "better": "up"}
    bad = tolerance_file(tmp_path, OPERATING, binary__cv_recall=spec)
    line = error_line(run_gate(changed, bad, tmp_path))
    assert line == f"error: {bad}: '{OPERATING}: binary.cv_recall': 'better' must be higher or lower, got 'up'"


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
    figure = r'<figure class="chart" id="chart-\d+" data-plot="(\w+)"([^>]*)>(.*?)</figure>'
    figures = re.findall(figure, dom.stdout, re.S)
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
