"""The report's section on the hyperparameter sweep (metrics/sweep.json)."""

from __future__ import annotations

from typing import Any

from pipelib.markdown import markdown_rows

MODEL_NAMES = {"softmax": "softmax (10 digits)"}  # the binary model is named by its positive digit
SCALING_NAMES = {"raw": "raw 0-255", "unit": "divided by 255"}


def _accuracy(value: float | None) -> str:
    return "not on the grid" if value is None else f"{value:.4f}"


def sweep_section(metrics: dict[str, Any], positive_digit: int) -> str:
    """Best grid point and the seed's setting for each model, validation and test accuracy side by side.

    ``positive_digit`` names the binary model: the sweep stage reads the same ``mnist.positive_digit``
    as the evaluation, whose details file the report takes it from.
    """
    rows = []
    for model, result in metrics.items():
        for label, setting in (("best on validation", result["best"]), ("the seed's setting", result["seed_setting"])):
            rows.append(
                [
                    f"{positive_digit}-vs-rest" if model == "binary" else MODEL_NAMES.get(model, model),
                    label,
                    f"{setting['C']:g}",
                    SCALING_NAMES.get(setting["scaling"], setting["scaling"]),
                    _accuracy(setting["validation_accuracy"]),
                    _accuracy(setting["test_accuracy"]),
                ]
            )
    table = markdown_rows(["model", "point", "C", "pixels", "validation accuracy", "test accuracy"], rows)
    return "\n".join(
        [
            "## Beyond the seed's C: the sweep",
            "",
            "Each grid point is fitted on the training set less a stratified validation part and scored on it;",
            "the best point is chosen on validation accuracy alone, then refitted on the whole training set and",
            "scored on the test set beside the seed's own setting, refitted the same way (`dvc plots show",
            "plots/sweep/validation.csv` draws validation accuracy against C).",
            "",
            table,
            "",
        ]
    )
