"""The regression gate's rules, the tolerance file's validation, and the command's exit codes, without DVC."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import helpers
import pytest
import yaml

from pipelib.errors import PipelineError
from pipelib.metrics import MNIST_HEADLINE, MNIST_OPERATING_HEADLINE
from pipelib.review.__main__ import BAD_INPUT, BUG, run
from pipelib.review.gate import (
    Change,
    Tolerance,
    gate,
    judge,
    load_tolerances,
    number,
    parse_tolerances,
    tolerance_for,
)
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
    mnist = {"binary.cv_roc_auc", "binary.cv_fold_accuracy_mean"}  # what no threshold changes
    operating = {"binary.cv_" + key for key in ("accuracy", "precision", "recall", "f1")}  # at the threshold
    titanic = {f"logistic.{key}" for key in ("train_accuracy", "cv_fold_accuracy_mean", "cv_precision", "cv_recall")}
    titanic |= {"logistic.cv_roc_auc", "*.cv_fold_accuracy_mean"}
    assert set(tolerances) == {("metrics/mnist.json", key) for key in mnist} | {
        ("metrics/mnist_operating_point.json", key) for key in operating
    } | {("metrics/titanic.json", key) for key in titanic} | {("metrics/mnist_models.json", "*.test_accuracy")}
    # The MNIST keys are in the headline their stage writes (evaluate_mnist's, operating_point's).
    declared = {"metrics/mnist.json": MNIST_HEADLINE, "metrics/mnist_operating_point.json": MNIST_OPERATING_HEADLINE}
    for file, key in tolerances:
        assert file not in declared or key in declared[file], (file, key)
    # The metric keys exist in the committed metrics files; the pattern gates every Titanic model.
    titanic_metrics = json.loads((helpers.REPO_ROOT / "metrics/titanic.json").read_text(encoding="utf-8"))
    models = yaml.safe_load((helpers.REPO_ROOT / "params.yaml").read_text(encoding="utf-8"))["titanic"]["models"]
    for name in models:
        change = Change("metrics/titanic.json", f"{name}.cv_fold_accuracy_mean", 0.8, 0.7)
        assert judge(change, tolerance_for(change, tolerances)).failed, name
    assert set(models) <= set(titanic_metrics)
    # The pattern gates every MNIST registry model's test accuracy (compare_mnist's metrics file).
    params = yaml.safe_load((helpers.REPO_ROOT / "params.yaml").read_text(encoding="utf-8"))
    for name in params["mnist"]["models"]:
        change = Change("metrics/mnist_models.json", f"{name}.test_accuracy", 0.95, 0.94)
        assert judge(change, tolerance_for(change, tolerances)).failed, name
        within = Change("metrics/mnist_models.json", f"{name}.test_accuracy", 0.95, 0.948)
        assert not judge(within, tolerance_for(within, tolerances)).failed, name
    for file, key in tolerances:
        if "*" in key:
            continue
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


# --- edges of the rules, messages and the tolerance file, by hand ----------------------------------


LOWER = Tolerance(0.01, "absolute", "lower")


@pytest.mark.parametrize(
    ("old", "new", "tolerance", "status"),
    [
        # No worsening allowed: a change of 1e-12 is float noise from the subtraction, more is not.
        (1e-12, 0.0, Tolerance(0.0, "absolute", "higher"), "ok"),
        (1.1e-12, 0.0, Tolerance(0.0, "absolute", "higher"), "regression"),
        (0.3, 0.1 + 0.2, Tolerance(0.0, "absolute", "lower"), "ok"),  # 0.30000000000000004
        # Exactly the tolerance, from both sides, in both directions (binary fractions: exact).
        (0.5, 0.25, Tolerance(0.25, "absolute", "higher"), "ok"),
        (0.5, 0.2499, Tolerance(0.25, "absolute", "higher"), "regression"),
        (0.25, 0.5, Tolerance(0.25, "absolute", "lower"), "ok"),
        (0.25, 0.5001, Tolerance(0.25, "absolute", "lower"), "regression"),
        # Relative: a share of the base's size, also for a negative base (a log-likelihood).
        (0.5, 0.375, Tolerance(0.25, "relative", "higher"), "ok"),
        (0.5, 0.3749, Tolerance(0.25, "relative", "higher"), "regression"),
        (-4.0, -5.0, Tolerance(0.25, "relative", "higher"), "ok"),
        (-4.0, -5.01, Tolerance(0.25, "relative", "higher"), "regression"),
        (4.0, 5.0, Tolerance(0.25, "relative", "lower"), "ok"),
        (4.0, 5.01, Tolerance(0.25, "relative", "lower"), "regression"),
        # Counts: integers work like floats.
        (1200, 1250, Tolerance(50, "absolute", "lower"), "ok"),
        (1200, 1251, Tolerance(50, "absolute", "lower"), "regression"),
        # Not numbers: a gated value that is text or a bool fails; an ungated one is just shown.
        (0.9, "0.9", HIGHER, "regression"),
        ("0.9", 0.9, HIGHER, "regression"),
        (0.9, True, HIGHER, "regression"),
        (0.9, "0.9", None, "not gated"),
    ],
)
def test_judge_edges(old: Any, new: Any, tolerance: Tolerance | None, status: str) -> None:
    assert judge(Change("m.json", "a", old, new), tolerance).status == status


@pytest.mark.parametrize(
    ("change", "tolerance", "message"),
    [
        (
            Change("m.json", "loss", 0.25, 0.5),
            LOWER,
            "regression: m.json loss rose 0.2500 (0.2500 -> 0.5000), tolerance 0.01 absolute",
        ),
        (
            Change("m.json", "errors", 1200, 1300),
            Tolerance(50, "absolute", "lower"),
            "regression: m.json errors rose 100 (1,200 -> 1,300), tolerance 50 absolute",
        ),
        (
            Change("m.json", "loss", 4.0, 5.0),
            Tolerance(0.1, "relative", "lower"),
            "regression: m.json loss rose 1.0000 = 25.00% of base (4.0000 -> 5.0000), tolerance 0.1 relative",
        ),
        (  # a relative tolerance of a zero base: no share of it to show
            Change("m.json", "gain", 0.0, -0.01),
            Tolerance(0.5, "relative", "higher"),
            "regression: m.json gain fell 0.0100 (0 -> -0.0100), tolerance 0.5 relative",
        ),
        (
            Change("m.json", "tiny", 0.0005, 0.0001),
            Tolerance(0.0001, "absolute", "higher"),
            "regression: m.json tiny fell 0.0004 (0.0005 -> 0.0001), tolerance 0.0001 absolute",
        ),
        (
            Change("m.json", "a", 0.9, None),
            HIGHER,
            "regression: m.json a is missing in this revision (base 0.9000), tolerance 0.01 absolute",
        ),
        (
            Change("m.json", "a", "x", None),
            HIGHER,
            "regression: m.json a is missing in this revision (base 'x'), tolerance 0.01 absolute",
        ),
        (
            Change("m.json", "a", None, None),
            HIGHER,
            "regression: m.json a is missing in this revision (absent in the base too), tolerance 0.01 absolute",
        ),
        (Change("m.json", "a", 0.9, "0.9"), HIGHER, "regression: m.json a is not a number ('0.9')"),
    ],
)
def test_regression_messages(change: Change, tolerance: Tolerance, message: str) -> None:
    verdict = judge(change, tolerance)
    assert (verdict.status, verdict.failed, verdict.message) == ("regression", True, message)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "—"),
        ("x", "'x'"),
        (True, "True"),
        (1234567, "1,234,567"),
        (0, "0"),
        (0.001, "0.0010"),  # the bound: four decimals from here up
        (0.00099, "0.00099"),
        (-0.00099, "-0.00099"),
        (0.5, "0.5000"),
        (-12.34567, "-12.3457"),
    ],
)
def test_number(value: Any, text: str) -> None:
    assert number(value) == text


def test_verdicts_and_changes_are_values() -> None:
    change = Change("m.json", "a", 0.5, 0.75)
    assert change.difference == 0.25 and Change("m.json", "a", 3, 1).difference == -2
    for old, new in [(1, None), (None, 1), ("1", 2), (1, "2"), (None, None)]:
        assert Change("m.json", "a", old, new).difference is None
    verdict = judge(change, HIGHER)
    assert (verdict.status, verdict.failed, verdict.message) == ("ok", False, "")
    assert len({change, Change("m.json", "a", 0.5, 0.75)}) == 1  # frozen: hashable, comparable
    assert len({verdict, judge(Change("m.json", "a", 0.5, 0.75), HIGHER)}) == 1
    assert len({HIGHER, Tolerance(0.01, "absolute", "higher")}) == 1
    assert HIGHER.describe() == "0.01 absolute" and Tolerance(0.25, "relative", "lower").describe() == "0.25 relative"


def test_gate_keeps_the_order_and_appends_gated_metrics_found_nowhere() -> None:
    metrics = [Change("m.json", "b", 1.0, 0.5), Change("m.json", "a", 1.0, 1.0), Change("n.json", "c", None, 2)]
    tolerances = {("n.json", "x"): HIGHER, ("m.json", "a"): HIGHER, ("m.json", "y"): LOWER}
    verdicts = gate(metrics, tolerances)
    assert [(v.change.file, v.change.key, v.status) for v in verdicts] == [
        ("m.json", "b", "not gated"),
        ("m.json", "a", "ok"),
        ("n.json", "c", "new"),
        ("n.json", "x", "regression"),
        ("m.json", "y", "regression"),
    ]
    assert [v.tolerance for v in verdicts] == [None, HIGHER, None, HIGHER, LOWER]
    assert gate([], {}) == []


GOOD = {"tolerance": 0.5, "kind": "absolute", "better": "higher"}


def test_parse_tolerances_reads_every_setting() -> None:
    raw = {
        "m.json": {"a.b": GOOD, "c": {"tolerance": 0, "kind": "relative", "better": "lower"}},
        "n.json": {"d": {"better": "lower", "kind": "absolute", "tolerance": 3}},
    }
    assert parse_tolerances(raw, "t.yaml") == {
        ("m.json", "a.b"): Tolerance(0.5, "absolute", "higher"),
        ("m.json", "c"): Tolerance(0.0, "relative", "lower"),
        ("n.json", "d"): Tolerance(3.0, "absolute", "lower"),
    }
    [tolerance] = parse_tolerances({"n.json": {"d": raw["n.json"]["d"]}}, "t.yaml").values()
    assert type(tolerance.tolerance) is float


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({}, "t.yaml: expected a mapping of metrics files to their gated metrics"),
        (["m.json"], "t.yaml: expected a mapping of metrics files to their gated metrics"),
        ({"m.json": {}}, "t.yaml: 'm.json' must map metric keys to tolerances"),
        ({1: {"a": GOOD}}, "t.yaml: 1 must map metric keys to tolerances"),
        ({"m.json": {1: GOOD}}, "t.yaml: 'm.json: 1' must be a mapping with tolerance, kind, better"),
        ({"m.json": {"a": {"kind": "absolute", "better": "higher"}}}, "t.yaml: 'm.json: a': missing 'tolerance'"),
        ({"m.json": {"a": {"tolerance": 1, "better": "higher"}}}, "t.yaml: 'm.json: a': missing 'kind'"),
        ({"m.json": {"a": {**GOOD, "tolerance": math.inf}}}, "'tolerance' must be a number >= 0, got inf"),
        ({"m.json": {"a": {**GOOD, "tolerance": math.nan}}}, "'tolerance' must be a number >= 0, got nan"),
        ({"m.json": {"a": {**GOOD, "tolerance": -0.001}}}, "'tolerance' must be a number >= 0, got -0.001"),
        ({"m.json": {"a": {**GOOD, "tolerance": "0.1"}}}, "'tolerance' must be a number >= 0, got '0.1'"),
        ({"m.json": {"a": GOOD}, "n.json": None}, "t.yaml: 'n.json' must map metric keys to tolerances"),
    ],
)
def test_parse_tolerances_refuses_more(raw: Any, message: str) -> None:
    with pytest.raises(PipelineError, match=re.escape(message)):
        parse_tolerances(raw, "t.yaml")


def test_load_tolerances(tmp_path: Path) -> None:
    text = "# the gate\nm.json:\n  a: {tolerance: 0.01, kind: absolute, better: higher}  # é\n"
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    assert load_tolerances(path) == ({("m.json", "a"): HIGHER}, text)
    assert load_tolerances(str(path))[1] == text


def test_load_tolerances_refuses_with_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "none.yaml"
    with pytest.raises(PipelineError, match=f"^{re.escape(str(missing))}: tolerance file not found$"):
        load_tolerances(missing)
    with pytest.raises(PipelineError, match=r": cannot read the tolerance file \(IsADirectoryError\)$"):
        load_tolerances(tmp_path)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("m.json:\n  a: {tolerance: 0.01, kind: absolute, better: higher}  # \xe9\n".encode("latin-1"))
    with pytest.raises(PipelineError, match=r"latin\.yaml: cannot read the tolerance file \(UnicodeDecodeError\)$"):
        load_tolerances(latin)
    broken = tmp_path / "broken.yaml"
    broken.write_text("m.json: {a: [\n", encoding="utf-8")
    with pytest.raises(PipelineError, match=r"broken\.yaml: not valid YAML \(") as raised:
        load_tolerances(broken)
    assert "\n" not in str(raised.value)
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(PipelineError, match=r"empty\.yaml: expected a mapping of metrics files"):
        load_tolerances(empty)


def test_a_pattern_is_the_default_of_the_metrics_it_matches() -> None:
    """``*.acc`` gates ``new_model.acc`` (no edit for a new entry); a key of its own wins; a pattern is never
    "missing"; a metric it matches that disappears is removed, not a regression; other files are not matched."""
    strict = Tolerance(0.0, "absolute", "higher")
    tolerances = {("m.json", "*.acc"): HIGHER, ("m.json", "seed.acc"): strict}
    metrics = [
        Change("m.json", "new_model.acc", 0.90, 0.85),  # fell 0.05 > 0.01: caught by the pattern
        Change("m.json", "other.acc", 0.90, 0.895),  # within 0.01
        Change("m.json", "seed.acc", 0.90, 0.895),  # its own key: no fall allowed
        Change("m.json", "gone.acc", 0.90, None),  # an entry taken out of the registry
        Change("m.json", "new_model.auc", 0.9, 0.1),  # no pattern matches
        Change("n.json", "x.acc", 0.9, 0.1),  # another file
        Change("m.json", "added.acc", None, 0.5),
    ]
    verdicts = gate(metrics, tolerances)
    assert [(v.change.key, v.status) for v in verdicts] == [
        ("new_model.acc", "regression"),
        ("other.acc", "ok"),
        ("seed.acc", "regression"),
        ("gone.acc", "removed"),
        ("new_model.auc", "not gated"),
        ("x.acc", "not gated"),
        ("added.acc", "new"),
    ]
    assert [v.tolerance for v in verdicts] == [HIGHER, HIGHER, strict, None, None, None, HIGHER]
