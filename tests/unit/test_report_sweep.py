"""The sweep's report section from a hand-written metrics dict."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pipelib.errors import PipelineError
from pipelib.report.inputs import read_sweep
from pipelib.report.sweep import sweep_section

METRICS = {
    "softmax": {
        "best": {"C": 0.1, "scaling": "unit", "validation_accuracy": 0.925, "test_accuracy": 0.9261},
        "seed_setting": {"C": 10.0, "scaling": "raw", "validation_accuracy": 0.9187, "test_accuracy": 0.9243},
    },
    "binary": {
        "best": {"C": 0.01, "scaling": "raw", "validation_accuracy": 0.9757, "test_accuracy": 0.978},
        "seed_setting": {"C": 1.0, "scaling": "raw", "validation_accuracy": None, "test_accuracy": 0.9779},
    },
}


def test_one_row_per_model_and_setting_with_both_accuracies() -> None:
    text = sweep_section(METRICS, 5)
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert rows == [
        "| softmax (10 digits) | best on validation | 0.1 | divided by 255 | 0.9250 | 0.9261 |",
        "| softmax (10 digits) | the seed's setting | 10 | raw 0-255 | 0.9187 | 0.9243 |",
        "| 5-vs-rest | best on validation | 0.01 | raw 0-255 | 0.9757 | 0.9780 |",
        "| 5-vs-rest | the seed's setting | 1 | raw 0-255 | not on the grid | 0.9779 |",
    ]


def test_the_whole_section_as_written_by_hand() -> None:
    assert sweep_section(METRICS, 5) == (
        "## Beyond the seed's C: the sweep\n"
        "\n"
        "Each grid point is fitted on the training set less a stratified validation part and scored on it;\n"
        "the best point is chosen on validation accuracy alone, then refitted on the whole training set and\n"
        "scored on the test set beside the seed's own setting, refitted the same way (`dvc plots show\n"
        "plots/sweep/validation.csv` draws validation accuracy against C).\n"
        "\n"
        "| model | point | C | pixels | validation accuracy | test accuracy |\n"
        "| --- | --- | --- | --- | --- | --- |\n"
        "| softmax (10 digits) | best on validation | 0.1 | divided by 255 | 0.9250 | 0.9261 |\n"
        "| softmax (10 digits) | the seed's setting | 10 | raw 0-255 | 0.9187 | 0.9243 |\n"
        "| 5-vs-rest | best on validation | 0.01 | raw 0-255 | 0.9757 | 0.9780 |\n"
        "| 5-vs-rest | the seed's setting | 1 | raw 0-255 | not on the grid | 0.9779 |\n"
    )


def test_a_model_or_scaling_the_section_does_not_know_is_shown_by_its_key() -> None:
    point = {"C": 1e-05, "scaling": "standard", "validation_accuracy": 0.5, "test_accuracy": None}
    text = sweep_section({"svm": {"best": point, "seed_setting": point}}, 5)
    assert text.splitlines()[-2:] == [
        "| svm | best on validation | 1e-05 | standard | 0.5000 | not on the grid |",
        "| svm | the seed's setting | 1e-05 | standard | 0.5000 | not on the grid |",
    ]


def test_the_binary_model_is_named_by_its_positive_digit() -> None:
    rows = [line for line in sweep_section(METRICS, 3).splitlines() if line.startswith("| ") and "---" not in line]
    assert rows[3:] == [
        "| 3-vs-rest | best on validation | 0.01 | raw 0-255 | 0.9757 | 0.9780 |",
        "| 3-vs-rest | the seed's setting | 1 | raw 0-255 | not on the grid | 0.9779 |",
    ]
    assert rows[1:3] == [
        "| softmax (10 digits) | best on validation | 0.1 | divided by 255 | 0.9250 | 0.9261 |",
        "| softmax (10 digits) | the seed's setting | 10 | raw 0-255 | 0.9187 | 0.9243 |",
    ]


SWEPT = {"C": 0.1, "scaling": "unit", "validation_accuracy": 0.9, "test_accuracy": 0.91}


@pytest.mark.parametrize("models", [["softmax"], ["binary"], ["softmax", "binary"]])
def test_a_sweep_of_either_model_or_both_is_read_whole(tmp_path: Path, models: list[str]) -> None:
    """mnist.sweep.models may name one model: its file holds that model's keys only."""
    data = {model: {"best": SWEPT, "seed_setting": {**SWEPT, "validation_accuracy": None}} for model in models}
    (tmp_path / "sweep.json").write_text(json.dumps(data), encoding="utf-8")
    assert read_sweep(tmp_path / "sweep.json") == data


@pytest.mark.parametrize(
    ("data", "lacking"),
    [
        ({}, "softmax.best.C"),  # neither model
        ({"binary": {"best": SWEPT}}, "binary.seed_setting.C"),
        ({"softmax": {"best": SWEPT, "seed_setting": {"C": 1.0}}}, "softmax.seed_setting.scaling"),
    ],
)
def test_a_sweep_file_lacking_a_key_of_a_model_it_holds_is_refused(
    tmp_path: Path, data: dict[str, Any], lacking: str
) -> None:
    (tmp_path / "sweep.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(PipelineError) as caught:
        read_sweep(tmp_path / "sweep.json")
    assert str(caught.value) == f"{tmp_path / 'sweep.json'}: lacks the metric '{lacking}' (rerun dvc repro)"
