"""The Markdown report: this run's numbers beside the seed notebook's published ones.

Only the inputs' contents go in (no dates, no paths of the machine), so the same metrics
give the same report and a pull request's diff of it shows what changed.
"""

from __future__ import annotations

from typing import Any

from pipelib.markdown import markdown_rows
from pipelib.report.inputs import ReportInputs

# The seed notebook's published numbers (../shared/seed/README.md).
SEED_MNIST = {
    "cv_accuracy": [0.97525, 0.97325, 0.9732],
    "baseline_cv_accuracy": [0.91125, 0.90855, 0.90915],
    "confusion": {"tn": 54039, "fp": 540, "fn": 1026, "tp": 4395},
    "precision": 0.8906,
    "recall": 0.8107,
    "pr_curve_thresholds": 59896,
    "softmax_test_accuracy": 0.9243,
    "softmax_augmented_test_accuracy": 0.9279,
}
SEED_TITANIC = {"n_rows": 891, "n_features": 12, "train_accuracy": 0.8047}


def _number(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(header: list[str], rows: list[list[Any]]) -> str:
    """A Markdown table; numbers formatted to four decimals, counts with thousands separators."""
    return markdown_rows(header, [[_number(cell) for cell in row] for row in rows])


def _difference(ours: Any, seed: Any) -> Any:
    if isinstance(ours, (int, float)) and isinstance(seed, (int, float)):
        return ours - seed if isinstance(ours, float) or isinstance(seed, float) else f"{ours - seed:+,}"
    return None


def _compare(rows: list[tuple[str, Any, Any]]) -> str:
    return table(
        ["metric", "this run", "seed", "difference"],
        [[name, ours, seed, _difference(ours, seed)] for name, ours, seed in rows],
    )


def _fold_rows(label: str, folds: dict[str, float], seed: list[float] | None) -> list[tuple[str, Any, Any]]:
    return [
        (f"{label}, {key.replace('_', ' ')}", value, seed[index] if seed and index < len(seed) else None)
        for index, (key, value) in enumerate(sorted(folds.items()))
    ]


def mnist_section(headline: dict[str, Any], details: dict[str, Any], figure_dir: str) -> str:
    """The MNIST part of the report."""
    binary, binary_details = headline["binary"], details["binary"]
    baseline_details = details["baseline"]
    folds = binary_details["cv_fold_accuracy"]
    rows = _fold_rows("CV accuracy", folds, SEED_MNIST["cv_accuracy"])
    rows += _fold_rows(
        "always-negative baseline", baseline_details["cv_fold_accuracy"], SEED_MNIST["baseline_cv_accuracy"]
    )
    for key in ("tn", "fp", "fn", "tp"):
        rows.append(
            (f"confusion {key} (CV predictions)", binary_details["cv_confusion"][key], SEED_MNIST["confusion"][key])
        )
    rows += [
        ("precision", binary["cv_precision"], SEED_MNIST["precision"]),
        ("recall", binary["cv_recall"], SEED_MNIST["recall"]),
        ("F1", binary["cv_f1"], None),
        ("ROC AUC", binary["cv_roc_auc"], None),
        (
            "precision-recall curve thresholds",
            binary_details["pr_curve"]["thresholds"],
            SEED_MNIST["pr_curve_thresholds"],
        ),
        ("softmax test accuracy", headline["softmax"]["test_accuracy"], SEED_MNIST["softmax_test_accuracy"]),
        (
            "softmax test accuracy, shift-augmented",
            headline["softmax_augmented"]["test_accuracy"],
            SEED_MNIST["softmax_augmented_test_accuracy"],
        ),
    ]
    target = binary_details["at_target_precision"]
    reached = (
        f"The lowest threshold with precision ≥ {target['target']:.2f} is **{target['threshold']:.4f}**, "
        f"where recall is **{target['recall']:.4f}** (precision {target['precision']:.4f})."
        if "threshold" in target
        else f"No threshold reaches precision {target['target']:.2f}."
    )
    return "\n\n".join(
        [
            "## MNIST",
            f"5-vs-rest logistic regression, {len(folds)}-fold cross-validation; decision threshold "
            f"{binary_details['threshold']:g}.",
            _compare(rows),
            reached,
            "On the held-out test set the binary classifier has accuracy "
            f"{binary['test_accuracy']:.4f}, precision {binary['test_precision']:.4f} and recall "
            f"{binary['test_recall']:.4f}; the always-negative baseline has precision and recall 0.",
            f"![a digit]({figure_dir}/some_digit.png) ![the first 100 digits]({figure_dir}/more_digits.png)",
            f"![precision vs recall]({figure_dir}/precision_vs_recall.png)",
            f"![precision and recall vs threshold]({figure_dir}/precision_recall_vs_threshold.png)",
            f"![original, shifted down, shifted left]({figure_dir}/shifted_digit.png)",
        ]
    )


def titanic_section(
    headline: dict[str, Any],
    details: dict[str, Any],
    extremes: list[dict[str, str]],
    coefficients: list[dict[str, str]],
) -> str:
    """The Titanic part of the report: metrics, coefficients and the most and least sure passengers."""
    titanic, titanic_details = headline["titanic"], details["titanic"]
    folds = titanic_details["cv_fold_accuracy"]
    rows: list[tuple[str, Any, Any]] = [
        ("training rows", titanic_details["n_rows"], SEED_TITANIC["n_rows"]),
        ("preprocessed features", titanic_details["n_features"], SEED_TITANIC["n_features"]),
        ("training accuracy", titanic["train_accuracy"], SEED_TITANIC["train_accuracy"]),
        (f"{len(folds)}-fold CV accuracy, mean", titanic["cv_fold_accuracy_mean"], None),
        ("CV precision", titanic["cv_precision"], None),
        ("CV recall", titanic["cv_recall"], None),
        ("CV F1", titanic["cv_f1"], None),
        ("CV ROC AUC", titanic["cv_roc_auc"], None),
    ]
    feature_columns = [name for name in extremes[0] if name not in ("group", "PassengerId", "Score", "Survived")]
    header = ["PassengerId", "Score", "Survived", *feature_columns]

    def passengers(group: str) -> str:
        chosen = [row for row in extremes if row["group"] == group]
        return table(header, [[row[name] for name in header] for row in chosen])

    return "\n\n".join(
        [
            "## Titanic",
            "Median-imputed numeric and most-frequent-imputed one-hot categorical features, "
            f"logistic regression; precision, recall and F1 from {len(folds)}-fold out-of-fold scores "
            f"at threshold {titanic_details['threshold']:g}.",
            _compare(rows),
            "Coefficients (on unscaled features):",
            table(["feature", "coefficient"], [[row["feature"], row["coefficient"]] for row in coefficients]),
            f"The {len(extremes) // 2} passengers the model is surest survived:",
            passengers("highest"),
            f"The {len(extremes) // 2} passengers the model is surest did not survive:",
            passengers("lowest"),
        ]
    )


def report(inputs: ReportInputs, figure_dir: str) -> str:
    """The whole report; ``figure_dir`` is the figures' directory relative to the report."""
    sections = [
        "# Classification report",
        "Generated by `dvc repro` from `params.yaml`; the seed column is the notebook's published value.",
        mnist_section(inputs.mnist, inputs.mnist_details, figure_dir),
        titanic_section(inputs.titanic, inputs.titanic_details, inputs.extremes, inputs.coefficients),
    ]
    return "\n\n".join(sections) + "\n"
