"""The sweep's report section from a hand-written metrics dict."""

from __future__ import annotations

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
    text = sweep_section(METRICS)
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert rows == [
        "| softmax (10 digits) | best on validation | 0.1 | divided by 255 | 0.9250 | 0.9261 |",
        "| softmax (10 digits) | the seed's setting | 10 | raw 0-255 | 0.9187 | 0.9243 |",
        "| 5-vs-rest | best on validation | 0.01 | raw 0-255 | 0.9757 | 0.9780 |",
        "| 5-vs-rest | the seed's setting | 1 | raw 0-255 | not on the grid | 0.9779 |",
    ]
