"""The regression gate's rules, the tolerance file's validation, and the command's exit codes, without DVC."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from typing import Any

import helpers
import pytest
import yaml

from pipelib.errors import PipelineError
from pipelib.review.__main__ import BAD_INPUT, BUG, run
from pipelib.review.gate import Change, Tolerance, gate, judge, parse_tolerances
from pipelib.review.plots import parse_csv


def dig(value: Any, dotted: str) -> Any:
    """``value[a][b]`` for ``dotted == "a.b"``."""
    for key in dotted.split("."):
        value = value[key]
    return value


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


def test_usage_errors_are_one_line_and_exit_2() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pipelib.review", "--bogus"], cwd=helpers.REPO_ROOT, capture_output=True, text=True
    )
    assert result.returncode == BAD_INPUT
    [line] = result.stderr.splitlines()
    assert line.startswith("error: python -m pipelib.review: ")


def crash() -> None:
    raise KeyError("a bug")


def bad_input() -> None:
    raise PipelineError("x.yaml: bad")


def test_a_bug_exits_3_not_1(capsys: pytest.CaptureFixture[str]) -> None:
    """Exit 1 means "regression, post the review": an uncaught exception must not look like one."""
    with pytest.raises(SystemExit) as exited:
        run(crash)
    assert exited.value.code == BUG == 3
    stderr = capsys.readouterr().err
    assert "Traceback" in stderr and "KeyError: 'a bug'" in stderr
    assert stderr.splitlines()[-1] == "error: the review crashed (a bug, not a regression); exit status 3"


def test_bad_input_exits_2_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        run(bad_input)
    assert exited.value.code == BAD_INPUT
    assert capsys.readouterr().err == "error: x.yaml: bad\n"
