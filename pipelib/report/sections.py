"""The Markdown report: this run's numbers beside the seed notebook's published ones.

Only the inputs' contents go in (no dates, no paths of the machine), so the same metrics
give the same report and a pull request's diff of it shows what changed.
"""

from __future__ import annotations

from typing import Any

from pipelib import metrics
from pipelib.markdown import markdown_rows
from pipelib.report import seed
from pipelib.report.inputs import ReportInputs
from pipelib.report.sweep import sweep_section


def _number(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(header: list[str], rows: list[list[Any]]) -> str:
    """A Markdown table; numbers formatted to four decimals, counts with thousands separators."""
    return markdown_rows(header, [[_number(cell) for cell in row] for row in rows])


def _precise(value: Any) -> str:
    """This run's value beside a seed value: six significant digits, so 0.97525 shows as printed."""
    if isinstance(value, float) and not isinstance(value, bool):
        return f"{value:.6g}"
    return _number(value)


def _difference(ours: Any, seed: str | None) -> str:
    if seed is None or isinstance(ours, bool) or not isinstance(ours, (int, float)):
        return ""
    try:
        printed = int(seed) if isinstance(ours, int) and seed.lstrip("-").isdigit() else float(seed)
    except ValueError:
        return ""
    difference = ours - printed
    if difference == 0:
        return "0"
    return f"{difference:+,}" if isinstance(difference, int) else f"{difference:+.2g}"


def _compare(rows: list[tuple[str, Any, str | None]]) -> str:
    """metric | this run | seed (as printed) | difference."""
    return markdown_rows(
        ["metric", "this run", "seed (printed)", "difference"],
        [[name, _precise(ours), seed or "—", _difference(ours, seed)] for name, ours, seed in rows],
    )


def _fold_rows(label: str, folds: dict[str, float], printed: list[str]) -> list[tuple[str, Any, str | None]]:
    return [
        (f"{label}, {key.replace('_', ' ')}", value, printed[index] if index < len(printed) else None)
        for index, (key, value) in enumerate(sorted(folds.items()))
    ]


def _matrix(counts: dict[str, int]) -> str:
    """``[[tn, fp], [fn, tp]]`` as scikit-learn's confusion_matrix prints it."""
    return f"[[{counts['tn']}, {counts['fp']}], [{counts['fn']}, {counts['tp']}]]"


def _printed_matrix(rows: list[list[str]]) -> str:
    return "[" + ", ".join("[" + ", ".join(row) + "]" for row in rows) + "]"


def _shape(shape: list[int]) -> str:
    return f"({shape[0]}, {shape[1]})"


def _same(ours: str, printed: str) -> str:
    if "—" in (ours, printed):  # nothing to compare: a value the seed did not print or this run has not
        return ""
    return "same" if ours == printed else "differs"


DIGIT_PLURALS = ("zeros", "ones", "twos", "threes", "fours", "fives", "sixes", "sevens", "eights", "nines")


def _a_digit(digit: int) -> str:
    """``a 5``, ``an 8``: the digit as the baseline sentence says it."""
    return f"an {digit}" if digit == 8 else f"a {digit}"


def _seed_comparable(details: dict[str, Any]) -> bool:
    """Whether this run's binary classifier is the seed's (5-vs-rest), so its binary numbers compare."""
    return bool(details["binary"]["positive_digit"] == seed.POSITIVE_DIGIT)


def _binary_seed(comparable: bool, printed: str) -> str:
    """A seed value of the binary classifier, or "—" when this run's positive digit is not the seed's."""
    return printed if comparable else "—"


def _not_compared(digit: int) -> str:
    return (
        f" The seed's binary numbers are for {seed.POSITIVE_DIGIT}-vs-rest, so they are not compared with this "
        f"run's {digit}-vs-rest ones (— in their seed columns); the softmax rows and the data shapes are."
    )


SEED_MODELS = {"softmax": seed.SOFTMAX_TEST_ACCURACY, "softmax_augmented": seed.SOFTMAX_AUGMENTED_TEST_ACCURACY}


def mnist_section(
    headline: dict[str, Any], details: dict[str, Any], models: dict[str, Any], figure_dir: str, threshold_dir: str
) -> str:
    """The MNIST part of the report: the seed's numbers, its printed checks and walk-through, every model."""
    binary, binary_details = headline["binary"], details["binary"]
    baseline, baseline_details = headline["baseline"], details["baseline"]
    digit, comparable = binary_details["positive_digit"], _seed_comparable(details)

    folds = binary_details["cv_fold_accuracy"]
    rows = _fold_rows("CV accuracy", folds, seed.CV_ACCURACY if comparable else [])
    rows += _fold_rows(
        "always-negative baseline",
        baseline_details["cv_fold_accuracy"],
        seed.BASELINE_CV_ACCURACY if comparable else [],
    )
    pr_curve = binary_details["pr_curve"]
    rows += [
        ("precision", binary["cv_precision"], _binary_seed(comparable, seed.PRECISION)),
        ("recall", binary["cv_recall"], _binary_seed(comparable, seed.RECALL)),
        ("F1", binary["cv_f1"], None),
        ("ROC AUC", binary["cv_roc_auc"], None),
        (
            "always-negative baseline, precision",
            baseline_details["cv_precision"],
            _binary_seed(comparable, seed.BASELINE_PRECISION),
        ),
        (
            "always-negative baseline, recall",
            baseline_details["cv_recall"],
            _binary_seed(comparable, seed.BASELINE_RECALL),
        ),
        ("precision-recall curve: precisions", pr_curve["precisions"], _binary_seed(comparable, seed.PR_PRECISIONS)),
        ("precision-recall curve: thresholds", pr_curve["thresholds"], _binary_seed(comparable, seed.PR_THRESHOLDS)),
    ]
    rows += [
        (f"{name} test accuracy", models["headline"][name]["test_accuracy"], printed)
        for name, printed in SEED_MODELS.items()
        if name in models["headline"]
    ]
    matrices = markdown_rows(
        ["confusion matrix `[[TN, FP], [FN, TP]]`", "this run", "seed (printed)"],
        [
            [
                f"{digit}-vs-rest, cross-validated predictions",
                _matrix(binary_details["cv_confusion"]),
                _printed_matrix(seed.CONFUSION) if comparable else "—",
            ],
            [
                "always-negative baseline",
                _matrix(baseline_details["cv_confusion"]),
                _printed_matrix(seed.BASELINE_CONFUSION) if comparable else "—",
            ],
        ],
    )
    target = binary_details["at_target_precision"]
    reached = (
        f"The lowest threshold with precision ≥ {target['target']:.2f} is **{target['threshold']:.4f}**, "
        f"where recall is **{target['recall']:.4f}** (precision {target['precision']:.4f})."
        if "threshold" in target
        else f"No threshold reaches precision {target['target']:.2f}."
    )
    test = baseline_details["test_confusion"]
    return "\n\n".join(
        [
            "## MNIST",
            f"{digit}-vs-rest logistic regression, {len(folds)}-fold cross-validation; decision threshold "
            f"{binary_details['threshold']:g}. The seed column is the notebook's printed text; "
            "— where the seed printed nothing." + ("" if comparable else _not_compared(digit)),
            _compare(rows),
            matrices,
            reached,
            "On the held-out test set the binary classifier has accuracy "
            f"{binary['test_accuracy']:.4f}, precision {binary['test_precision']:.4f} and recall "
            f"{binary['test_recall']:.4f}. The always-negative baseline has accuracy {baseline['test_accuracy']:.4f} "
            f"there (it is right on all {test['tn']:,} images that are not {_a_digit(digit)}), precision "
            f"{baseline_details['test_precision']:g} and recall {baseline_details['test_recall']:g} "
            f"(it finds none of the {test['fn']:,} {DIGIT_PLURALS[digit]}).",
            _checks(details, models["details"]),
            _walkthrough(binary_details["walkthrough"], figure_dir, digit, comparable),
            "### The seed's figures",
            f"![a digit]({figure_dir}/some_digit.png) ![the first 100 digits]({figure_dir}/more_digits.png)",
            f"![precision vs recall]({figure_dir}/precision_vs_recall.png)",
            "Precision and recall against the threshold, marked at the decision threshold and at the threshold "
            "for the target precision (the x range is where the curves change; scores run far beyond it):",
            f"![precision and recall vs threshold]({threshold_dir}/precision_recall_vs_threshold.png)",
            f"![original, shifted down, shifted left]({figure_dir}/shifted_digit.png)",
            models_section(models["headline"], models["details"]),
            error_section(details, models["details"], figure_dir, threshold_dir),
            statistics_section(headline, details, figure_dir),
        ]
    )


def _checks(details: dict[str, Any], models: dict[str, Any]) -> str:
    checks, pr_curve = details["checks"], details["binary"]["pr_curve"]
    digit, comparable = details["binary"]["positive_digit"], _seed_comparable(details)

    first_binary = "[" + ", ".join(str(value) for value in checks["first_binary_predictions"]) + "]"
    first_softmax = str(models["models"].get("softmax", {}).get("first_train_predictions", "—"))
    augmented_rows = [model["train_rows"] for model in models["models"].values() if model["train"] == "train_shuffled"]
    augmented_shape = _shape([augmented_rows[0], checks["data_shape"][1]]) if augmented_rows else "—"
    rows = [
        ["data shape `X.shape`", _shape(checks["data_shape"]), seed.DATA_SHAPE],
        [
            f"{digit}-vs-rest `predict([X[0], X[1], X[2]])`",
            first_binary,
            _binary_seed(comparable, seed.FIRST_BINARY_PREDICTIONS),
        ],
        ["softmax `predict(X_train)[:10]`", first_softmax, seed.FIRST_SOFTMAX_PREDICTIONS],
        ["augmented set shape", augmented_shape, seed.AUGMENTED_SHAPE],
        ["`precisions.shape`", f"({pr_curve['precisions']},)", _binary_seed(comparable, f"({seed.PR_PRECISIONS},)")],
        ["`thresholds.shape`", f"({pr_curve['thresholds']},)", _binary_seed(comparable, f"({seed.PR_THRESHOLDS},)")],
    ]
    curve = "The precision-recall curve has one threshold per distinct out-of-fold score" + (
        ": the seed's run had 59,896 distinct scores; the notebook re-run on this data gives 60,000 (no ties), "
        "as this run does."
        if comparable
        else "."
    )
    return "\n\n".join(
        [
            "### The seed's printed checks",
            markdown_rows(["check", "this run", "seed (printed)", ""], [[*row, _same(row[1], row[2])] for row in rows]),
            curve,
        ]
    )


def _walkthrough(walk: dict[str, Any], figure_dir: str, digit: int, comparable: bool) -> str:
    row = walk["row"]
    cv = f"({walk['cv_predicted']}, {walk['positive']})"

    rows = [
        [f"label of `X_train[{row}]`", str(walk["label"]), "—"],
        [
            f"`y_train_pred[{row}], y_train_{digit}[{row}]` (CV prediction, truth)",
            cv,
            _binary_seed(comparable, seed.WALKTHROUGH_CV),
        ],
        [
            f"`decision_function([X_train[{row}]])`",
            f"{walk['score']:.8f}",
            _binary_seed(comparable, seed.WALKTHROUGH_SCORE),
        ],
    ]
    for decision in walk["decisions"]:
        threshold = decision["threshold"]
        printed = seed.WALKTHROUGH_DECISIONS.get(threshold, "—") if row == seed.WALKTHROUGH_ROW else "—"
        rows.append([f"score > {threshold:g}", f"[{decision['predicted']!s:>5}]", _binary_seed(comparable, printed)])
    kind = (
        "a false positive"
        if walk["cv_predicted"] and not walk["positive"]
        else "a false negative"
        if walk["positive"] and not walk["cv_predicted"]
        else "classified correctly"
    )
    return "\n\n".join(
        [
            f"### Threshold walk-through on `X_train[{row}]`",
            f"![X_train[{row}]]({figure_dir}/walkthrough_digit.png)",
            f"A {walk['label']}, and {kind} of the cross-validated predictions (out-of-fold score "
            f"{walk['cv_score']:.4f}). The model fitted on every training row scores it {walk['score']:.8f}: "
            "positive at one threshold, negative at the next, the seed's point that raising the threshold "
            "trades recall for precision.",
            markdown_rows(["", "this run", "seed (printed)"], rows),
        ]
    )


def models_section(headline: dict[str, Any], details: dict[str, Any]) -> str:
    """One row per mnist.models entry: test accuracy, its interval, McNemar against the reference model."""
    reference = details["reference"]
    rows = []
    for name, block in details["models"].items():
        test = block["mcnemar_vs_reference"]
        rows.append(
            [
                f"**{name}** (reference)" if name == reference else name,
                block["estimator"].rsplit(".", 1)[-1],
                f"{block['train']} ({block['train_rows']:,})",
                headline[name]["test_accuracy"],
                _interval(block),
                "—" if name == reference else f"{test['only_this_right']:,} / {test['only_reference_right']:,}",
                "—" if name == reference else f"{test['p_value']:.4g}",
            ]
        )
    return "\n\n".join(
        [
            "### Every model (`mnist.models`)",
            f"Test accuracy on the {details['n_test']:,} test images with its bootstrap 95% interval "
            "(`mnist.evaluate.bootstrap_samples` resamples, seed `mnist.evaluate.bootstrap_seed`), and McNemar's "
            f"exact test against the reference model {reference} on the same images: how many images only this "
            "model gets right, how many only the reference does, and the p-value (below 0.05: a difference "
            "beyond what chance alone gives).",
            markdown_rows(
                [
                    "model",
                    "estimator",
                    "trained on (images)",
                    "test accuracy",
                    "95% interval",
                    "only this / only reference right",
                    "McNemar p",
                ],
                [[cell if isinstance(cell, str) else _number(cell) for cell in row] for row in rows],
            ),
        ]
    )


def error_section(details: dict[str, Any], models: dict[str, Any], figure_dir: str, threshold_dir: str) -> str:
    """The chapter's error analysis of the reference model on the test set."""
    errors, positive = models["error_analysis"], details["binary"]["positive_digit"]
    digits = range(len(errors["precision"]))
    per_digit = table(
        ["digit", "test images", "precision", "recall"],
        [[digit, errors["support"][digit], errors["precision"][digit], errors["recall"][digit]] for digit in digits],
    )
    largest = ", ".join(
        f"{item['actual']}→{item['predicted']} ({item['count']}, {item['share']:.1%} of the {item['actual']}s)"
        for item in errors["largest"]
    )
    return "\n\n".join(
        [
            f"### Error analysis (test set, the reference model {models['reference']})",
            "The confusion matrix with each row divided by its digit's number of test images and the diagonal "
            "zeroed, as the chapter draws it: bright cells are frequent confusions. (The `confusion_normalized` "
            "DVC plot shows the misclassified images only, so its rows are shares of each digit's errors.)",
            f"![normalised confusion, diagonal zeroed]({figure_dir}/confusion_normalized.png)",
            f"Largest confusions (actual→predicted): {largest or 'none'}.",
            per_digit,
            f"Misclassified training digits of the {positive}-vs-rest classifier (cross-validated predictions), "
            "and the chapter's 3-versus-5 grid on the test set:",
            f"![{positive}-vs-rest false positives and false negatives]({threshold_dir}/binary_errors.png)",
            f"![3s and 5s, predicted as 3 or 5]({figure_dir}/errors_3_vs_5.png)",
        ]
    )


def _interval(block: dict[str, Any]) -> str:
    low, high = block["test_accuracy_interval"]
    return f"[{low:.4f}, {high:.4f}]"


def _calibration_table(calibration: dict[str, Any]) -> str:
    return table(
        ["mean predicted probability", "fraction positive", "rows"],
        [
            [mean, fraction, count]
            for mean, fraction, count in zip(
                calibration["mean_probability"], calibration["fraction_positive"], calibration["count"], strict=True
            )
        ],
    )


def statistics_section(headline: dict[str, Any], details: dict[str, Any], figure_dir: str) -> str:
    """How wide the binary classifier's test accuracy is, and whether its probabilities are honest."""
    digit = details["binary"]["positive_digit"]
    calibration = details["binary"]["calibration"]
    return "\n\n".join(
        [
            "### Statistics",
            f"The {digit}-vs-rest classifier's test accuracy at the decision threshold is "
            f"{headline['binary']['test_accuracy']:.4f}, bootstrap 95% interval {_interval(details['binary'])}.",
            f"**Calibration of the {digit}-vs-rest classifier**: Brier score {calibration['brier']:.4f} on its "
            "out-of-fold probabilities (lower is better; 0 is perfect).",
            f"![reliability curve, {digit}-vs-rest]({figure_dir}/calibration.png)",
            _calibration_table(calibration),
        ]
    )


def _seed_order(column: str) -> tuple[int, str]:
    """The seed's order of its value_counts() calls (Survived, Pclass, Sex, Embarked), others after."""
    order = list(seed.TITANIC_VALUE_COUNTS)
    return (order.index(column) if column in order else len(order), column)


def _data_summary(data: dict[str, Any]) -> str:
    columns = markdown_rows(
        ["column", "non-null (this data)", "seed (printed)"],
        [[name, f"{count:,}", seed.TITANIC_NON_NULL.get(name, "—")] for name, count in data["non_null"]],
    )
    counts = markdown_rows(
        ["column", "value", "count (this data)", "seed (printed)"],
        [
            [name, value, f"{count:,}", seed.TITANIC_VALUE_COUNTS.get(name, {}).get(value, "—")]
            for name, pairs in sorted(data["value_counts"].items(), key=lambda item: _seed_order(item[0]))
            for value, count in pairs
        ],
    )
    return "\n\n".join(
        [
            f"The training data has {data['n_rows']:,} rows and {data['n_columns']} columns "
            f"(seed: {seed.TITANIC_ROWS} entries, {seed.TITANIC_COLUMNS} columns); computed from the data:",
            columns,
            counts,
        ]
    )


BASELINE_LABELS = {"always_died": "always did not survive", "women_survive": "women survive, men do not"}
SIGNIFICANCE = 0.05


def _titanic_models_table(headline: dict[str, Any], models: dict[str, Any], reference: str) -> str:
    """One row per model and baseline; a metric a model cannot give is marked, and said why once below."""
    n_folds = len(models[reference]["cv_fold_accuracy"])
    columns = [
        ("training accuracy", "train_accuracy"),
        (f"{n_folds}-fold CV accuracy, mean", "cv_fold_accuracy_mean"),
        ("CV precision", "cv_precision"),
        ("CV recall", "cv_recall"),
        ("CV F1", "cv_f1"),
        ("CV ROC AUC", "cv_roc_auc"),
        ("CV Brier score", "cv_brier"),
    ]
    rows = []
    order = sorted(headline, key=lambda name: (name in BASELINE_LABELS, name != reference, name))
    for name, block in ((name, headline[name]) for name in order):
        label = f"{BASELINE_LABELS[name]} (baseline)" if name in BASELINE_LABELS else f"`{name}`"
        comparison = models.get(name, {}).get("mcnemar_vs_reference")
        mcnemar = (
            f"{comparison['only_this_right']} / {comparison['only_reference_right']}, p = {comparison['p_value']:.3g}"
            if comparison
            else "(reference)"
        )
        rows.append([label, *(block.get(key, "n/a") for _, key in columns), mcnemar])
    header = ["model", *(title for title, _ in columns), f"McNemar vs `{reference}`: only this / only it right"]
    return "\n\n".join(
        [
            table(header, rows),
            f"n/a: {metrics.NOT_AVAILABLE} (a ROC AUC needs a decision function or probabilities, a Brier score "
            "probabilities; the baselines are rules with neither).",
        ]
    )


def _beyond_rule(models: dict[str, Any], reference: str) -> str:
    """One sentence: is the reference model beyond the women-survive rule (McNemar on out-of-fold predictions)."""
    comparison = models["women_survive"]["mcnemar_vs_reference"]
    rule_right, model_right, p_value = (
        comparison["only_this_right"],
        comparison["only_reference_right"],
        comparison["p_value"],
    )
    verdict = "is beyond" if p_value < SIGNIFICANCE and model_right > rule_right else "is not shown to be beyond"
    return (
        f"`{reference}` {verdict} the women-survive rule: of the passengers they disagree on, {model_right} are right "
        f"only for the model and {rule_right} only for the rule (McNemar's exact test, p = {p_value:.3g}, "
        f"at the {SIGNIFICANCE:g} level)."
    )


def titanic_section(
    headline: dict[str, Any],
    details: dict[str, Any],
    extremes: list[dict[str, str]],
    coefficients: list[dict[str, str]],
) -> str:
    """The Titanic part of the report: data summary, every model beside the baselines, the reference's tables."""
    titanic, models = details["titanic"], details["models"]
    reference = titanic["reference"]
    shape = f"({titanic['n_rows']}, {titanic['n_features']})"
    feature_columns = [name for name in extremes[0] if name not in ("group", "PassengerId", "Score", "Survived")]
    header = ["PassengerId", "Score", "Survived", *feature_columns]

    def passengers(group: str) -> str:
        chosen = [row for row in extremes if row["group"] == group]
        return table(header, [[row[name] for name in header] for row in chosen])

    return "\n\n".join(
        [
            "## Titanic",
            _data_summary(details["data"]),
            f"Median-imputed numeric and most-frequent-imputed one-hot categorical features: a {shape} training "
            f"matrix (seed: `X_train.shape` {seed.TITANIC_SHAPE}). Every model of `titanic.models` and two baselines "
            "on the same folds; as in the book, the preprocessing is fitted once on every passenger and the "
            "estimator cross-validated on that matrix (docs/models.md).",
            _titanic_models_table(headline, models, reference),
            _beyond_rule(models, reference),
            "The seed prints no accuracy for its model; a re-run of the notebook on the same data "
            f"(scikit-learn 1.9.1) gave training accuracy {seed.RERUN_TITANIC_TRAIN_ACCURACY}. lbfgs stops at "
            "max_iter before it converges, so CPUs with other floating-point kernels stop at slightly different "
            "coefficients: 0.8047 on Intel, 0.8058 on AMD, one passenger apart (docs/fidelity.md).",
            f"Calibration of `{reference}`'s out-of-fold survival probabilities "
            "(also the `calibration_titanic` DVC plot):",
            _calibration_table(models[reference]["calibration"]),
            f"`{reference}`'s coefficients (on unscaled features):",
            table(["feature", "coefficient"], [[row["feature"], row["coefficient"]] for row in coefficients]),
            f"The {len(extremes) // 2} passengers `{reference}` is surest survived:",
            passengers("highest"),
            f"The {len(extremes) // 2} passengers `{reference}` is surest did not survive:",
            passengers("lowest"),
        ]
    )


def report(inputs: ReportInputs, figure_dir: str, threshold_dir: str) -> str:
    """The whole report; ``figure_dir`` and ``threshold_dir`` (the operating point's) relative to the report."""
    sections = [
        "# Classification report",
        'Generated by `dvc repro` from `params.yaml`. The "seed (printed)" columns hold what the seed notebook '
        "printed, as it printed it; this run's numbers come from the pipeline's outputs.",
        mnist_section(inputs.mnist, inputs.mnist_details, inputs.mnist_models, figure_dir, threshold_dir),
        titanic_section(inputs.titanic, inputs.titanic_details, inputs.extremes, inputs.coefficients),
        sweep_section(inputs.sweep, inputs.mnist_details["binary"]["positive_digit"]),
    ]
    return "\n\n".join(sections) + "\n"
