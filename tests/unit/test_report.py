"""The report from hand-built metrics dicts: the Markdown is written out here by hand.

Every seed column holds what the seed notebook printed (its text, /work/shared/seed); every
"this run" value is worked out from the dicts below, so the report's formatting (six
significant digits beside the seed, four decimals in tables, thousands separators in counts)
and each difference can be checked by reading.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from pipelib.errors import PipelineError
from pipelib.report.inputs import ReportInputs, merged, read_csv, read_inputs
from pipelib.report.sections import _difference, mnist_section, report, statistics_section, table, titanic_section

FIGURES = "../plots/figures"
THRESHOLD_FIGURES = "../plots/operating_point"  # the operating_point stage's two figures

MNIST: dict[str, Any] = {
    "binary": {
        "cv_accuracy": 0.97,
        "cv_precision": 0.89,
        "cv_recall": 0.8107360265633647,
        "cv_f1": 0.85,
        "cv_fold_accuracy_mean": 0.97,
        "cv_roc_auc": 0.975,
        "cv_brier": 0.021,
        "test_accuracy": 0.9779,
        "test_precision": 0.9096,
        "test_recall": 0.8352,
        "test_f1": 0.87,
    },
    "baseline": {"cv_accuracy": 0.9, "test_accuracy": 0.9108},
}

MNIST_DETAILS: dict[str, Any] = {
    "binary": {
        "positive_digit": 5,
        "threshold": 0.0,
        # four folds: the seed printed three, so the fourth has nothing beside it
        "cv_fold_accuracy": {"fold_1": 0.97525, "fold_2": 0.9733, "fold_3": 0.9732, "fold_4": 0.97},
        "cv_confusion": {"tn": 54000, "fp": 579, "fn": 1000, "tp": 4421},
        "test_confusion": {"tn": 9034, "fp": 74, "fn": 147, "tp": 745},
        "pr_curve": {"precisions": 61001, "thresholds": 59897},
        "at_target_precision": {"target": 0.9, "threshold": 0.24466, "precision": 0.90006, "recall": 0.78417},
        "calibration": {
            "brier": 0.021063,
            "mean_probability": [0.007128911664997481, 0.9724],
            "fraction_positive": [0.007211815839070734, 0.9633],
            "count": [51998, 3021],
        },
        "test_accuracy_interval": [0.975, 0.9806],
        "walkthrough": {
            "row": 48,
            "label": 9,
            "cv_predicted": True,
            "positive": False,
            "cv_score": 0.7919182,
            "score": 0.22419040864689022,
            "decisions": [
                {"threshold": 0.0, "predicted": True},
                {"threshold": 0.5, "predicted": False},
                {"threshold": 1.0, "predicted": False},
            ],
        },
    },
    "baseline": {
        "cv_fold_accuracy": {"fold_1": 0.91125, "fold_2": 0.90855, "fold_3": 0.90915},
        "cv_confusion": {"tn": 54579, "fp": 0, "fn": 5421, "tp": 0},
        "cv_precision": 0.0,
        "cv_recall": 0.0,
        "test_confusion": {"tn": 9108, "fp": 0, "fn": 892, "tp": 0},
        "test_precision": 0.0,
        "test_recall": 0.0,
    },
    "checks": {"data_shape": [70000, 784], "first_binary_predictions": [True, False, False]},
}

LOGISTIC, KNN = "sklearn.linear_model.LogisticRegression", "sklearn.neighbors.KNeighborsClassifier"
SOFTMAX_FIRST = [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
MNIST_MODELS: dict[str, Any] = {  # metrics/mnist_models.json and reports/mnist_models.json
    "headline": {
        "softmax": {"test_accuracy": 0.9243},
        "softmax_augmented": {"test_accuracy": 0.93},
        "knn": {"test_accuracy": 0.9714},
    },
    "details": {
        "reference": "softmax_augmented",
        "n_test": 10000,
        "models": {
            "softmax": {
                "estimator": LOGISTIC,
                "train": "train",
                "train_rows": 60000,
                "n_iter": 100,
                "first_train_predictions": SOFTMAX_FIRST,
                "test_accuracy_interval": [0.9192, 0.929205],
                "mcnemar_vs_reference": {"only_this_right": 122, "only_reference_right": 158, "p_value": 0.036281},
            },
            "softmax_augmented": {
                "estimator": LOGISTIC,
                "train": "train_shuffled",
                "train_rows": 300000,
                "n_iter": 100,
                "first_train_predictions": [5, 0, 4, 1, 9, 2, 1, 3, 1, 4],
                "test_accuracy_interval": [0.9229975, 0.9328],
                "mcnemar_vs_reference": {"only_this_right": 0, "only_reference_right": 0, "p_value": 1.0},
            },
            "knn": {
                "estimator": KNN,
                "train": "train",
                "train_rows": 60000,
                "first_train_predictions": [5, 0, 4, 1, 9, 2, 1, 3, 1, 4],
                "test_accuracy_interval": [0.968, 0.9747],
                "mcnemar_vs_reference": {"only_this_right": 512, "only_reference_right": 77, "p_value": 1.5e-80},
            },
        },
        "error_analysis": {
            "precision": [0.95, 0.5],
            "recall": [0.9, 0.25],
            "support": [1000, 4],
            "largest": [
                {"actual": 1, "predicted": 0, "count": 3, "share": 0.75},
                {"actual": 0, "predicted": 1, "count": 100, "share": 0.1},
            ],
        },
    },
}

RATES = {"cv_accuracy": 0.798, "cv_precision": 0.75, "cv_recall": 0.7, "cv_f1": 0.724}
TITANIC: dict[str, Any] = {  # key-sorted, as json.dump writes it; the report puts the reference first
    "always_died": {"train_accuracy": 0.6162, **RATES, "cv_fold_accuracy_mean": 0.6162},
    "logistic": {
        "train_accuracy": 0.8058361391694725,
        **RATES,
        "cv_fold_accuracy_mean": 0.7980024968789013,
        "cv_roc_auc": 0.85,
        "cv_brier": 0.14378099910787348,
    },
    "svc": {"train_accuracy": 0.8328, **RATES, "cv_fold_accuracy_mean": 0.8249, "cv_roc_auc": 0.8386},
    "women_survive": {"train_accuracy": 0.7868, **RATES, "cv_fold_accuracy_mean": 0.7867},
}
FOLDS = {
    "cv_fold_accuracy": {f"fold_{n}": 0.8 for n in range(1, 6)},
    "cv_confusion": {"tn": 1, "fp": 2, "fn": 3, "tp": 4},
}

TITANIC_DETAILS: dict[str, Any] = {
    "titanic": {"reference": "logistic", "n_rows": 891, "n_features": 12},
    "models": {
        "logistic": {
            **FOLDS,
            "calibration": {
                "mean_probability": [0.0746, 0.9383],
                "fraction_positive": [0.1354, 0.9559],
                "count": [192, 68],
            },
        },
        "svc": {
            **FOLDS,
            "mcnemar_vs_reference": {"only_this_right": 40, "only_reference_right": 17, "p_value": 0.0031},
        },
        "always_died": {
            **FOLDS,
            "mcnemar_vs_reference": {"only_this_right": 30, "only_reference_right": 189, "p_value": 1.2e-29},
        },
        "women_survive": {
            **FOLDS,
            "mcnemar_vs_reference": {"only_this_right": 28, "only_reference_right": 39, "p_value": 0.2214},
        },
    },
    "data": {
        "n_rows": 891,
        "n_columns": 13,
        "non_null": [
            ["PassengerId", 891],
            ["Survived", 891],
            ["Pclass", 891],
            ["Name", 891],
            ["Sex", 891],
            ["Age", 715],
            ["SibSp", 891],
            ["Parch", 891],
            ["Ticket", 891],
            ["Fare", 891],
            ["Cabin", 204],
            ["Embarked", 889],
            ["Deck", 0],
        ],
        # JSON order (sorted keys); the report puts them in the seed's order, unknown columns last
        "value_counts": {
            "Embarked": [["S", 646], ["C", 168], ["Q", 77]],
            "Parch": [["0", 678], ["1", 118]],
            "Pclass": [["3", 491], ["1", 216], ["2", 184]],
            "Sex": [["male", 577], ["female", 314]],
            "Survived": [["0", 549], ["1", 342]],
        },
    },
}

EXTREMES = [
    {"group": "highest", "PassengerId": "259", "Score": "4.01802", "Survived": "1", "Age": "35", "Female": "1"},
    {"group": "lowest", "PassengerId": "160", "Score": "-4.78385", "Survived": "0", "Age": "28", "Female": "0"},
    {"group": "highest", "PassengerId": "701", "Score": "3.5308", "Survived": "1", "Age": "18", "Female": "1"},
    {"group": "lowest", "PassengerId": "852", "Score": "-3.93389", "Survived": "0", "Age": "74", "Female": "0"},
]
COEFFICIENTS = [{"feature": "Age", "coefficient": "-0.0368282"}, {"feature": "Female", "coefficient": "1.63833"}]

SWEEP: dict[str, Any] = {
    "softmax": {
        "best": {"C": 0.1, "scaling": "unit", "validation_accuracy": 0.9256, "test_accuracy": 0.9253},
        "seed_setting": {"C": 10.0, "scaling": "raw", "validation_accuracy": 0.9217, "test_accuracy": 0.9243},
    },
    "binary": {
        "best": {"C": 1.0, "scaling": "unit", "validation_accuracy": 0.975, "test_accuracy": 0.9781},
        "seed_setting": {"C": 1.0, "scaling": "raw", "validation_accuracy": 0.9742, "test_accuracy": 0.9779},
    },
}

EXPECTED_MNIST_HEAD = """\
## MNIST

5-vs-rest logistic regression, 4-fold cross-validation; decision threshold 0. The seed column is the \
notebook's printed text; — where the seed printed nothing.

| metric | this run | seed (printed) | difference |
| --- | --- | --- | --- |
| CV accuracy, fold 1 | 0.97525 | 0.97525 | 0 |
| CV accuracy, fold 2 | 0.9733 | 0.97325 | +5e-05 |
| CV accuracy, fold 3 | 0.9732 | 0.9732 | 0 |
| CV accuracy, fold 4 | 0.97 | — |  |
| always-negative baseline, fold 1 | 0.91125 | 0.91125 | 0 |
| always-negative baseline, fold 2 | 0.90855 | 0.90855 | 0 |
| always-negative baseline, fold 3 | 0.90915 | 0.90915 | 0 |
| precision | 0.89 | 0.8905775075987842 | -0.00058 |
| recall | 0.810736 | 0.8107360265633647 | 0 |
| F1 | 0.85 | — |  |
| ROC AUC | 0.975 | — |  |
| always-negative baseline, precision | 0 | 0 | 0 |
| always-negative baseline, recall | 0 | 0 | 0 |
| precision-recall curve: precisions | 61,001 | 59897 | +1,104 |
| precision-recall curve: thresholds | 59,897 | 59896 | +1 |
| softmax test accuracy | 0.9243 | 0.9243 | 0 |
| softmax_augmented test accuracy | 0.93 | 0.9279 | +0.0021 |

| confusion matrix `[[TN, FP], [FN, TP]]` | this run | seed (printed) |
| --- | --- | --- |
| 5-vs-rest, cross-validated predictions | [[54000, 579], [1000, 4421]] | [[54039, 540], [1026, 4395]] |
| always-negative baseline | [[54579, 0], [5421, 0]] | [[54579, 0], [5421, 0]] |

The lowest threshold with precision ≥ 0.90 is **0.2447**, where recall is **0.7842** (precision 0.9001).

On the held-out test set the binary classifier has accuracy 0.9779, precision 0.9096 and recall 0.8352. \
The always-negative baseline has accuracy 0.9108 there (it is right on all 9,108 images that are not a 5), \
precision 0 and recall 0 (it finds none of the 892 fives).

### The seed's printed checks

| check | this run | seed (printed) |  |
| --- | --- | --- | --- |
| data shape `X.shape` | (70000, 784) | (70000, 784) | same |
| 5-vs-rest `predict([X[0], X[1], X[2]])` | [True, False, False] | [True, False, False] | same |
| softmax `predict(X_train)[:10]` | [5, 0, 4, 1, 9, 2, 1, 3, 1, 4] | [5, 0, 4, 1, 9, 2, 1, 3, 1, 4] | same |
| augmented set shape | (300000, 784) | (300000, 784) | same |
| `precisions.shape` | (61001,) | (59897,) | differs |
| `thresholds.shape` | (59897,) | (59896,) | differs |

The precision-recall curve has one threshold per distinct out-of-fold score: the seed's run had 59,896 \
distinct scores; the notebook re-run on this data gives 60,000 (no ties), as this run does.

### Threshold walk-through on `X_train[48]`

![X_train[48]](../plots/figures/walkthrough_digit.png)

A 9, and a false positive of the cross-validated predictions (out-of-fold score 0.7919). The model fitted \
on every training row scores it 0.22419041: positive at one threshold, negative at the next, the seed's \
point that raising the threshold trades recall for precision.

|  | this run | seed (printed) |
| --- | --- | --- |
| label of `X_train[48]` | 9 | — |
| `y_train_pred[48], y_train_5[48]` (CV prediction, truth) | (True, False) | (True, False) |
| `decision_function([X_train[48]])` | 0.22419041 | 0.22419046 |
| score > 0 | [ True] | [ True] |
| score > 0.5 | [False] | [False] |
| score > 1 | [False] | — |

### The seed's figures

![a digit](../plots/figures/some_digit.png) ![the first 100 digits](../plots/figures/more_digits.png)

![precision vs recall](../plots/figures/precision_vs_recall.png)

Precision and recall against the threshold, marked at the decision threshold and at the threshold for the \
target precision (the x range is where the curves change; scores run far beyond it):

![precision and recall vs threshold](../plots/operating_point/precision_recall_vs_threshold.png)

![original, shifted down, shifted left](../plots/figures/shifted_digit.png)"""

EXPECTED_MODELS = """\
### Every model (`mnist.models`)

Test accuracy on the 10,000 test images with its bootstrap 95% interval (`mnist.evaluate.bootstrap_samples` \
resamples, seed `mnist.evaluate.bootstrap_seed`), and McNemar's exact test against the reference model \
softmax_augmented on the same images: how many images only this model gets right, how many only the reference \
does, and the p-value (below 0.05: a difference beyond what chance alone gives).

| model | estimator | trained on (images) | test accuracy | 95% interval | only this / only reference right \
| McNemar p |
| --- | --- | --- | --- | --- | --- | --- |
| softmax | LogisticRegression | train (60,000) | 0.9243 | [0.9192, 0.9292] | 122 / 158 | 0.03628 |
| **softmax_augmented** (reference) | LogisticRegression | train_shuffled (300,000) | 0.9300 | [0.9230, 0.9328] \
| — | — |
| knn | KNeighborsClassifier | train (60,000) | 0.9714 | [0.9680, 0.9747] | 512 / 77 | 1.5e-80 |"""

EXPECTED_ERRORS = """\
### Error analysis (test set, the reference model softmax_augmented)

The confusion matrix with each row divided by its digit's number of test images and the diagonal zeroed, as \
the chapter draws it: bright cells are frequent confusions. (The `confusion_normalized` DVC plot shows the \
misclassified images only, so its rows are shares of each digit's errors.)

![normalised confusion, diagonal zeroed](../plots/figures/confusion_normalized.png)

Largest confusions (actual→predicted): 1→0 (3, 75.0% of the 1s), 0→1 (100, 10.0% of the 0s).

| digit | test images | precision | recall |
| --- | --- | --- | --- |
| 0 | 1,000 | 0.9500 | 0.9000 |
| 1 | 4 | 0.5000 | 0.2500 |

Misclassified training digits of the 5-vs-rest classifier (cross-validated predictions), and the chapter's \
3-versus-5 grid on the test set:

![5-vs-rest false positives and false negatives](../plots/operating_point/binary_errors.png)

![3s and 5s, predicted as 3 or 5](../plots/figures/errors_3_vs_5.png)"""

EXPECTED_STATISTICS = """\
### Statistics

The 5-vs-rest classifier's test accuracy at the decision threshold is 0.9779, bootstrap 95% interval \
[0.9750, 0.9806].

**Calibration of the 5-vs-rest classifier**: Brier score 0.0211 on its out-of-fold probabilities (lower is \
better; 0 is perfect).

![reliability curve, 5-vs-rest](../plots/figures/calibration.png)

| mean predicted probability | fraction positive | rows |
| --- | --- | --- |
| 0.0071 | 0.0072 | 51,998 |
| 0.9724 | 0.9633 | 3,021 |"""

EXPECTED_TITANIC = """\
## Titanic

The training data has 891 rows and 13 columns (seed: 891 entries, 12 columns); computed from the data:

| column | non-null (this data) | seed (printed) |
| --- | --- | --- |
| PassengerId | 891 | 891 |
| Survived | 891 | 891 |
| Pclass | 891 | 891 |
| Name | 891 | 891 |
| Sex | 891 | 891 |
| Age | 715 | 714 |
| SibSp | 891 | 891 |
| Parch | 891 | 891 |
| Ticket | 891 | 891 |
| Fare | 891 | 891 |
| Cabin | 204 | 204 |
| Embarked | 889 | 889 |
| Deck | 0 | — |

| column | value | count (this data) | seed (printed) |
| --- | --- | --- | --- |
| Survived | 0 | 549 | 549 |
| Survived | 1 | 342 | 342 |
| Pclass | 3 | 491 | 491 |
| Pclass | 1 | 216 | 216 |
| Pclass | 2 | 184 | 184 |
| Sex | male | 577 | 577 |
| Sex | female | 314 | 314 |
| Embarked | S | 646 | 644 |
| Embarked | C | 168 | 168 |
| Embarked | Q | 77 | 77 |
| Parch | 0 | 678 | — |
| Parch | 1 | 118 | — |

Median-imputed numeric and most-frequent-imputed one-hot categorical features: a (891, 12) training matrix \
(seed: `X_train.shape` (891, 12)). Every model of `titanic.models` and two baselines on the same folds; as in the \
book, the preprocessing is fitted once on every passenger and the estimator cross-validated on that matrix \
(docs/models.md).

| model | training accuracy | 5-fold CV accuracy, mean | CV precision | CV recall | CV F1 | CV ROC AUC | \
CV Brier score | McNemar vs `logistic`: only this / only it right |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
| `logistic` | 0.8058 | 0.7980 | 0.7500 | 0.7000 | 0.7240 | 0.8500 | 0.1438 | (reference) |
| `svc` | 0.8328 | 0.8249 | 0.7500 | 0.7000 | 0.7240 | 0.8386 | n/a | 40 / 17, p = 0.0031 |
| always did not survive (baseline) | 0.6162 | 0.6162 | 0.7500 | 0.7000 | 0.7240 | n/a | n/a | 30 / 189, p = 1.2e-29 |
| women survive, men do not (baseline) | 0.7868 | 0.7867 | 0.7500 | 0.7000 | 0.7240 | n/a | n/a | 28 / 39, p = 0.221 |

n/a: not available for this model (a ROC AUC needs a decision function or probabilities, a Brier score \
probabilities; the baselines are rules with neither).

`logistic` is not shown to be beyond the women-survive rule: of the passengers they disagree on, 39 are right \
only for the model and 28 only for the rule (McNemar's exact test, p = 0.221, at the 0.05 level).

The seed prints no accuracy for its model; a re-run of the notebook on the same data (scikit-learn 1.9.1) \
gave training accuracy 0.8047. lbfgs stops at max_iter before it converges, so CPUs with other floating-point \
kernels stop at slightly different coefficients: 0.8047 on Intel, 0.8058 on AMD, one passenger apart \
(docs/fidelity.md).

Calibration of `logistic`'s out-of-fold survival probabilities (also the `calibration_titanic` DVC plot):

| mean predicted probability | fraction positive | rows |
| --- | --- | --- |
| 0.0746 | 0.1354 | 192 |
| 0.9383 | 0.9559 | 68 |

`logistic`'s coefficients (on unscaled features):

| feature | coefficient |
| --- | --- |
| Age | -0.0368282 |
| Female | 1.63833 |

The 2 passengers `logistic` is surest survived:

| PassengerId | Score | Survived | Age | Female |
| --- | --- | --- | --- | --- |
| 259 | 4.01802 | 1 | 35 | 1 |
| 701 | 3.5308 | 1 | 18 | 1 |

The 2 passengers `logistic` is surest did not survive:

| PassengerId | Score | Survived | Age | Female |
| --- | --- | --- | --- | --- |
| 160 | -4.78385 | 0 | 28 | 0 |
| 852 | -3.93389 | 0 | 74 | 0 |"""

EXPECTED_SWEEP = """\
## Beyond the seed's C: the sweep

Each grid point is fitted on the training set less a stratified validation part and scored on it;
the best point is chosen on validation accuracy alone, then refitted on the whole training set and
scored on the test set beside the seed's own setting, refitted the same way (`dvc plots show
plots/sweep/validation.csv` draws validation accuracy against C).

| model | point | C | pixels | validation accuracy | test accuracy |
| --- | --- | --- | --- | --- | --- |
| softmax (10 digits) | best on validation | 0.1 | divided by 255 | 0.9256 | 0.9253 |
| softmax (10 digits) | the seed's setting | 10 | raw 0-255 | 0.9217 | 0.9243 |
| 5-vs-rest | best on validation | 1 | divided by 255 | 0.9750 | 0.9781 |
| 5-vs-rest | the seed's setting | 1 | raw 0-255 | 0.9742 | 0.9779 |
"""

EXPECTED_REPORT = (
    "# Classification report\n\n"
    'Generated by `dvc repro` from `params.yaml`. The "seed (printed)" columns hold what the seed notebook '
    "printed, as it printed it; this run's numbers come from the pipeline's outputs.\n\n"
    f"{EXPECTED_MNIST_HEAD}\n\n{EXPECTED_MODELS}\n\n{EXPECTED_ERRORS}\n\n{EXPECTED_STATISTICS}\n\n"
    f"{EXPECTED_TITANIC}\n\n{EXPECTED_SWEEP}\n"
)

INPUTS = ReportInputs(MNIST, MNIST_DETAILS, MNIST_MODELS, TITANIC, TITANIC_DETAILS, EXTREMES, COEFFICIENTS, SWEEP)


def lines_starting(text: str, prefix: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(prefix)]


def test_the_whole_report_as_written_by_hand() -> None:
    assert report(INPUTS, FIGURES, THRESHOLD_FIGURES) == EXPECTED_REPORT


def test_the_mnist_section_is_its_parts_in_order() -> None:
    text = mnist_section(MNIST, MNIST_DETAILS, MNIST_MODELS, FIGURES, THRESHOLD_FIGURES)
    assert text == f"{EXPECTED_MNIST_HEAD}\n\n{EXPECTED_MODELS}\n\n{EXPECTED_ERRORS}\n\n{EXPECTED_STATISTICS}"


def test_the_titanic_section() -> None:
    assert titanic_section(TITANIC, TITANIC_DETAILS, EXTREMES, COEFFICIENTS) == EXPECTED_TITANIC


def test_table_cells_none_bool_float_int_and_text() -> None:
    assert table(["a", "b", "c", "d", "e"], [[None, True, 0.12345, 1234567, "x|y"]]) == (
        "| a | b | c | d | e |\n| --- | --- | --- | --- | --- |\n| — | True | 0.1235 | 1,234,567 | x|y |"
    )
    assert table(["n"], [[False], [0], [-1000]]) == "| n |\n| --- |\n| False |\n| 0 |\n| -1,000 |"


@pytest.mark.parametrize(
    ("ours", "printed", "expected"),
    [
        (3, "2", "+1"),
        (3, "-2", "+5"),  # an integer printed with a sign is still an integer
        (2, "3", "-1"),
        (3, "2.5", "+0.5"),  # an integer beside a printed float
        (1, "1.0", "0"),
        (0.5, "1", "-0.5"),
        (True, "1", ""),  # a yes/no value has no difference
        ("[1, 2]", "[1, 2]", ""),
        (1, None, ""),
        (1, "n/a", ""),  # a printed value that is no number
    ],
)
def test_difference_from_the_printed_value(ours: Any, printed: str | None, expected: str) -> None:
    assert _difference(ours, printed) == expected


@pytest.mark.parametrize(
    ("predicted", "positive", "kind"),
    [
        (True, False, "a false positive"),
        (False, True, "a false negative"),
        (True, True, "classified correctly"),
        (False, False, "classified correctly"),
    ],
)
def test_the_walkthrough_digit_is_named_by_its_cross_validated_outcome(
    predicted: bool, positive: bool, kind: str
) -> None:
    details = copy.deepcopy(MNIST_DETAILS)
    details["binary"]["walkthrough"].update(cv_predicted=predicted, positive=positive)
    text = mnist_section(MNIST, details, MNIST_MODELS, FIGURES, THRESHOLD_FIGURES)
    [line] = lines_starting(text, "A 9, and ")
    assert line.startswith(f"A 9, and {kind} of the cross-validated predictions (out-of-fold score 0.7919).")
    row = f"| `y_train_pred[48], y_train_5[48]` (CV prediction, truth) | ({predicted}, {positive}) | (True, False) |"
    assert row in text.splitlines()


def test_another_walkthrough_row_has_no_seed_decisions() -> None:
    details = copy.deepcopy(MNIST_DETAILS)
    details["binary"]["walkthrough"]["row"] = 7
    text = mnist_section(MNIST, details, MNIST_MODELS, FIGURES, THRESHOLD_FIGURES)
    assert lines_starting(text, "| score > ") == [
        "| score > 0 | [ True] | — |",
        "| score > 0.5 | [False] | — |",
        "| score > 1 | [False] | — |",
    ]
    assert "| `decision_function([X_train[7]])` | 0.22419041 | 0.22419046 |" in text.splitlines()


def test_a_target_precision_never_reached() -> None:
    details = copy.deepcopy(MNIST_DETAILS)
    details["binary"]["at_target_precision"] = {"target": 0.95}
    text = mnist_section(MNIST, details, MNIST_MODELS, FIGURES, THRESHOLD_FIGURES)
    assert "\n\nNo threshold reaches precision 0.95.\n\n" in text
    assert "The lowest threshold" not in text


def test_another_reference_model_is_marked_and_analysed() -> None:
    models = copy.deepcopy(MNIST_MODELS)
    models["details"]["reference"] = "knn"
    text = mnist_section(MNIST, MNIST_DETAILS, models, FIGURES, THRESHOLD_FIGURES)
    assert lines_starting(text, "| **") == [
        "| **knn** (reference) | KNeighborsClassifier | train (60,000) | 0.9714 | [0.9680, 0.9747] | — | — |"
    ]
    assert (
        "| softmax_augmented | LogisticRegression | train_shuffled (300,000) | 0.9300 | [0.9230, 0.9328] | 0 / 0 | 1 |"
        in (text.splitlines())
    )
    assert "### Error analysis (test set, the reference model knn)" in text.splitlines()
    assert "exact test against the reference model knn on the same images" in text


def test_a_registry_without_the_seeds_models_has_no_seed_rows() -> None:
    """Only the seed's softmax models have printed accuracies; the checks say — without them."""
    models = copy.deepcopy(MNIST_MODELS)
    for name in ("softmax", "softmax_augmented"):
        del models["headline"][name], models["details"]["models"][name]
    models["details"]["reference"] = "knn"
    text = mnist_section(MNIST, MNIST_DETAILS, models, FIGURES, THRESHOLD_FIGURES)
    assert "test accuracy | 0.9" not in text
    assert "| softmax `predict(X_train)[:10]` | — | [5, 0, 4, 1, 9, 2, 1, 3, 1, 4] |  |" in text.splitlines()
    assert "| augmented set shape | — | (300000, 784) |  |" in text.splitlines()
    models["details"]["models"]["knn"]["train"] = "train_shuffled"  # the augmented set's size: its training rows
    text = mnist_section(MNIST, MNIST_DETAILS, models, FIGURES, THRESHOLD_FIGURES)
    assert "| augmented set shape | (60000, 784) | (300000, 784) | differs |" in text.splitlines()


def test_calibration_lists_of_different_lengths_are_refused() -> None:
    details = copy.deepcopy(MNIST_DETAILS)
    details["binary"]["calibration"]["count"] = [51998]
    with pytest.raises(ValueError):
        statistics_section(MNIST, details, FIGURES)


# --- another positive digit: the seed's 5-vs-rest numbers are not put beside it ----------------


def digit_details(digit: int) -> dict[str, Any]:
    """MNIST_DETAILS as if ``mnist.positive_digit`` were ``digit`` (the numbers themselves kept)."""
    details = copy.deepcopy(MNIST_DETAILS)
    details["binary"]["positive_digit"] = digit
    return details


EXPECTED_DIGIT_3_INTRO = (
    "3-vs-rest logistic regression, 4-fold cross-validation; decision threshold 0. The seed column is the "
    "notebook's printed text; — where the seed printed nothing. The seed's binary numbers are for 5-vs-rest, "
    "so they are not compared with this run's 3-vs-rest ones (— in their seed columns); the softmax rows and "
    "the data shapes are."
)

EXPECTED_DIGIT_3_TABLES = """\
| metric | this run | seed (printed) | difference |
| --- | --- | --- | --- |
| CV accuracy, fold 1 | 0.97525 | — |  |
| CV accuracy, fold 2 | 0.9733 | — |  |
| CV accuracy, fold 3 | 0.9732 | — |  |
| CV accuracy, fold 4 | 0.97 | — |  |
| always-negative baseline, fold 1 | 0.91125 | — |  |
| always-negative baseline, fold 2 | 0.90855 | — |  |
| always-negative baseline, fold 3 | 0.90915 | — |  |
| precision | 0.89 | — |  |
| recall | 0.810736 | — |  |
| F1 | 0.85 | — |  |
| ROC AUC | 0.975 | — |  |
| always-negative baseline, precision | 0 | — |  |
| always-negative baseline, recall | 0 | — |  |
| precision-recall curve: precisions | 61,001 | — |  |
| precision-recall curve: thresholds | 59,897 | — |  |
| softmax test accuracy | 0.9243 | 0.9243 | 0 |
| softmax_augmented test accuracy | 0.93 | 0.9279 | +0.0021 |

| confusion matrix `[[TN, FP], [FN, TP]]` | this run | seed (printed) |
| --- | --- | --- |
| 3-vs-rest, cross-validated predictions | [[54000, 579], [1000, 4421]] | — |
| always-negative baseline | [[54579, 0], [5421, 0]] | — |"""

EXPECTED_DIGIT_3_CHECKS = """\
| check | this run | seed (printed) |  |
| --- | --- | --- | --- |
| data shape `X.shape` | (70000, 784) | (70000, 784) | same |
| 3-vs-rest `predict([X[0], X[1], X[2]])` | [True, False, False] | — |  |
| softmax `predict(X_train)[:10]` | [5, 0, 4, 1, 9, 2, 1, 3, 1, 4] | [5, 0, 4, 1, 9, 2, 1, 3, 1, 4] | same |
| augmented set shape | (300000, 784) | (300000, 784) | same |
| `precisions.shape` | (61001,) | — |  |
| `thresholds.shape` | (59897,) | — |  |

The precision-recall curve has one threshold per distinct out-of-fold score."""

EXPECTED_DIGIT_3_WALKTHROUGH = """\
|  | this run | seed (printed) |
| --- | --- | --- |
| label of `X_train[48]` | 9 | — |
| `y_train_pred[48], y_train_3[48]` (CV prediction, truth) | (True, False) | — |
| `decision_function([X_train[48]])` | 0.22419041 | — |
| score > 0 | [ True] | — |
| score > 0.5 | [False] | — |
| score > 1 | [False] | — |"""


def test_another_digit_shows_no_seed_binary_number_and_still_compares_softmax() -> None:
    text = mnist_section(MNIST, digit_details(3), MNIST_MODELS, FIGURES, THRESHOLD_FIGURES)
    paragraphs = text.split("\n\n")
    assert paragraphs[1] == EXPECTED_DIGIT_3_INTRO
    assert "\n\n".join(paragraphs[2:4]) == EXPECTED_DIGIT_3_TABLES
    assert EXPECTED_DIGIT_3_CHECKS in text
    assert EXPECTED_DIGIT_3_WALKTHROUGH in text
    assert paragraphs[5] == (
        "On the held-out test set the binary classifier has accuracy 0.9779, precision 0.9096 and recall 0.8352. "
        "The always-negative baseline has accuracy 0.9108 there (it is right on all 9,108 images that are not a 3), "
        "precision 0 and recall 0 (it finds none of the 892 threes)."
    )
    # No seed binary number anywhere (the seed's softmax accuracies and shapes are still there)
    for printed in ("0.97525 | 0", "0.97325", "0.91125 | 0", "0.8905775075987842", "0.8107360265633647", "59897 |"):
        assert printed not in text
    assert "[[54039, 540], [1026, 4395]]" not in text and "0.22419046" not in text
    assert "59,896" not in text


def test_another_digit_names_every_binary_label_by_it() -> None:
    inputs = dataclasses.replace(INPUTS, mnist_details=digit_details(3))
    text = report(inputs, FIGURES, THRESHOLD_FIGURES)
    assert [line for line in text.splitlines() if "5-vs-rest" in line] == [EXPECTED_DIGIT_3_INTRO]
    assert EXPECTED_DIGIT_3_INTRO.count("5-vs-rest") == 1  # only where it says what the seed's numbers are
    assert [line for line in text.splitlines() if "3-vs-rest" in line] == [
        EXPECTED_DIGIT_3_INTRO,
        "| 3-vs-rest, cross-validated predictions | [[54000, 579], [1000, 4421]] | — |",
        "| 3-vs-rest `predict([X[0], X[1], X[2]])` | [True, False, False] | — |  |",
        "Misclassified training digits of the 3-vs-rest classifier (cross-validated predictions), and the "
        "chapter's 3-versus-5 grid on the test set:",
        "![3-vs-rest false positives and false negatives](../plots/operating_point/binary_errors.png)",
        "The 3-vs-rest classifier's test accuracy at the decision threshold is 0.9779, bootstrap 95% interval "
        "[0.9750, 0.9806].",
        "**Calibration of the 3-vs-rest classifier**: Brier score 0.0211 on its out-of-fold probabilities (lower "
        "is better; 0 is perfect).",
        "![reliability curve, 3-vs-rest](../plots/figures/calibration.png)",
        "| 3-vs-rest | best on validation | 1 | divided by 255 | 0.9750 | 0.9781 |",
        "| 3-vs-rest | the seed's setting | 1 | raw 0-255 | 0.9742 | 0.9779 |",
    ]
    assert "not a 5" not in text and "fives" not in text


@pytest.mark.parametrize(
    ("digit", "not_one", "plural"),
    [
        (0, "not a 0", "zeros"),
        (1, "not a 1", "ones"),
        (2, "not a 2", "twos"),
        (3, "not a 3", "threes"),
        (4, "not a 4", "fours"),
        (5, "not a 5", "fives"),
        (6, "not a 6", "sixes"),
        (7, "not a 7", "sevens"),
        (8, "not an 8", "eights"),
        (9, "not a 9", "nines"),
    ],
)
def test_the_baseline_sentence_says_the_digit(digit: int, not_one: str, plural: str) -> None:
    text = mnist_section(MNIST, digit_details(digit), MNIST_MODELS, FIGURES, THRESHOLD_FIGURES)
    assert f"(it is right on all 9,108 images that are {not_one}), precision 0 and recall 0" in text
    assert f"(it finds none of the 892 {plural})." in text
    assert f"{digit}-vs-rest logistic regression, 4-fold cross-validation" in text
    assert "5-vs-rest" in text and "| softmax test accuracy | 0.9243 | 0.9243 | 0 |" in text


def test_the_seeds_digit_is_compared_as_before() -> None:
    text = mnist_section(MNIST, digit_details(5), MNIST_MODELS, FIGURES, THRESHOLD_FIGURES)
    assert "not compared" not in text
    assert "| CV accuracy, fold 2 | 0.9733 | 0.97325 | +5e-05 |" in text.splitlines()


# --- the inputs -----------------------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


EXTREMES_CSV = (
    "group,PassengerId,Score,Survived,Age,Female\n"
    "highest,259,4.01802,1,35,1\nlowest,160,-4.78385,0,28,0\nhighest,701,3.5308,1,18,1\nlowest,852,-3.93389,0,74,0\n"
)


# The binary classifier's two halves as evaluate_mnist and operating_point write them, typed in:
# together they are MNIST and MNIST_DETAILS above.
MNIST_FILE: dict[str, Any] = {  # metrics/mnist.json: what no threshold changes
    "binary": {"cv_fold_accuracy_mean": 0.97, "cv_roc_auc": 0.975, "cv_brier": 0.021},
    "baseline": {"cv_accuracy": 0.9, "test_accuracy": 0.9108},
}
MNIST_OPERATING_FILE: dict[str, Any] = {  # metrics/mnist_operating_point.json
    "binary": {
        "cv_accuracy": 0.97,
        "cv_precision": 0.89,
        "cv_recall": 0.8107360265633647,
        "cv_f1": 0.85,
        "test_accuracy": 0.9779,
        "test_precision": 0.9096,
        "test_recall": 0.8352,
        "test_f1": 0.87,
    }
}
MNIST_OPERATING_DETAILS_FILE: dict[str, Any] = {  # reports/mnist_operating_point.json
    "binary": {
        "threshold": 0.0,
        "cv_confusion": {"tn": 54000, "fp": 579, "fn": 1000, "tp": 4421},
        "test_confusion": {"tn": 9034, "fp": 74, "fn": 147, "tp": 745},
        "at_target_precision": {"target": 0.9, "threshold": 0.24466, "precision": 0.90006, "recall": 0.78417},
        "test_accuracy_interval": [0.975, 0.9806],
        "walkthrough": {
            "cv_predicted": True,
            "decisions": [
                {"threshold": 0.0, "predicted": True},
                {"threshold": 0.5, "predicted": False},
                {"threshold": 1.0, "predicted": False},
            ],
        },
    }
}


def threshold_free(details: dict[str, Any]) -> dict[str, Any]:
    """reports/mnist_details.json of ``details``: without what the operating point's file holds."""
    free = copy.deepcopy(details)
    for key in ("threshold", "cv_confusion", "test_confusion", "at_target_precision", "test_accuracy_interval"):
        del free["binary"][key]
    del free["binary"]["walkthrough"]["cv_predicted"], free["binary"]["walkthrough"]["decisions"]
    return free


@pytest.fixture
def input_files(tmp_path: Path) -> dict[str, Path]:
    """The eleven input files, written from the dicts above."""
    return {
        "mnist": write(tmp_path / "mnist.json", json.dumps(MNIST_FILE)),
        "mnist_details": write(tmp_path / "mnist_details.json", json.dumps(threshold_free(MNIST_DETAILS))),
        "titanic": write(tmp_path / "titanic.json", json.dumps(TITANIC)),
        "titanic_details": write(tmp_path / "titanic_details.json", json.dumps(TITANIC_DETAILS)),
        "extremes": write(tmp_path / "extremes.csv", EXTREMES_CSV),
        "coefficients": write(tmp_path / "coefficients.csv", "feature,coefficient\nAge,-0.0368282\nFemale,1.63833\n"),
        "sweep": write(tmp_path / "sweep.json", json.dumps(SWEEP)),
        "mnist_models": write(tmp_path / "mnist_models.json", json.dumps(MNIST_MODELS["headline"])),
        "mnist_models_details": write(tmp_path / "mnist_models_details.json", json.dumps(MNIST_MODELS["details"])),
        "mnist_operating": write(tmp_path / "mnist_operating_point.json", json.dumps(MNIST_OPERATING_FILE)),
        "mnist_operating_details": write(
            tmp_path / "mnist_operating_point_details.json", json.dumps(MNIST_OPERATING_DETAILS_FILE)
        ),
    }


def test_read_inputs_takes_each_file_for_its_part(input_files: dict[str, Path]) -> None:
    inputs = read_inputs(**input_files)
    assert inputs == INPUTS
    assert report(inputs, FIGURES, THRESHOLD_FIGURES) == EXPECTED_REPORT
    with pytest.raises(dataclasses.FrozenInstanceError):
        inputs.sweep = {}  # type: ignore[misc]


def test_the_halves_typed_in_are_the_whole() -> None:
    """The dicts the report's tests use are the two halves' files merged: the operating point's keys are MNIST's."""
    assert set(MNIST_FILE["binary"]) | set(MNIST_OPERATING_FILE["binary"]) == set(MNIST["binary"])
    assert not set(MNIST_FILE["binary"]) & set(MNIST_OPERATING_FILE["binary"])
    assert merged(threshold_free(MNIST_DETAILS), MNIST_OPERATING_DETAILS_FILE) == MNIST_DETAILS


@pytest.mark.parametrize(
    ("file", "key"),
    [
        ("mnist", "binary.cv_roc_auc"),
        ("mnist_operating", "binary.test_f1"),
        ("mnist_operating", "binary.cv_precision"),
        ("mnist_operating_details", "binary.threshold"),
        ("mnist_operating_details", "binary.test_accuracy_interval"),
        ("mnist_operating_details", "binary.walkthrough.decisions"),
        ("mnist_operating_details", "binary.walkthrough.cv_predicted"),
    ],
)
def test_read_inputs_names_a_missing_key_of_either_half(input_files: dict[str, Path], file: str, key: str) -> None:
    """A file of either half without a key the report shows: one line naming the file and the key."""
    contents = {
        "mnist": MNIST_FILE,
        "mnist_operating": MNIST_OPERATING_FILE,
        "mnist_operating_details": MNIST_OPERATING_DETAILS_FILE,
    }
    data = copy.deepcopy(contents[file])
    *parents, last = key.split(".")
    block = data
    for part in parents:
        block = block[part]
    del block[last]
    path = write(input_files[file], json.dumps(data))
    with pytest.raises(PipelineError) as error:
        read_inputs(**input_files)
    assert str(error.value) == f"{path}: lacks the metric '{key}' (rerun dvc repro)"


def test_the_operating_points_file_decides_the_threshold(input_files: dict[str, Path]) -> None:
    """A details file of an older layout, still holding a threshold, does not override the operating point's."""
    stale = copy.deepcopy(MNIST_DETAILS)
    stale["binary"]["threshold"] = 0.5
    stale["binary"]["walkthrough"]["cv_predicted"] = False
    write(input_files["mnist_details"], json.dumps(stale))
    assert read_inputs(**input_files).mnist_details == MNIST_DETAILS


def test_merged_adds_the_second_mappings_keys_at_every_depth() -> None:
    first = {"a": 1, "b": {"c": 2, "d": {"e": 3}}, "keep": [1]}
    second = {"b": {"d": {"f": 4}, "g": 5}, "h": 6}
    assert merged(first, second) == {"a": 1, "b": {"c": 2, "d": {"e": 3, "f": 4}, "g": 5}, "keep": [1], "h": 6}
    # neither input is changed
    assert first == {"a": 1, "b": {"c": 2, "d": {"e": 3}}, "keep": [1]}
    assert second == {"b": {"d": {"f": 4}, "g": 5}, "h": 6}
    assert merged({}, {}) == {}
    assert merged(first, {}) == first and merged({}, second) == second


def test_merged_takes_the_seconds_value_where_both_are_not_mappings() -> None:
    assert merged({"a": 1}, {"a": 2}) == {"a": 2}
    assert merged({"a": [1, 2]}, {"a": [3]}) == {"a": [3]}  # lists are values, not merged
    assert merged({"a": {"b": 1}}, {"a": 7}) == {"a": 7}  # a mapping replaced by a number
    assert merged({"a": 7}, {"a": {"b": 1}}) == {"a": {"b": 1}}  # and the other way
    assert merged({"a": None}, {"a": {"b": 1}}) == {"a": {"b": 1}}


def test_merged_copies_what_it_merges_into() -> None:
    first: dict[str, Any] = {"binary": {"threshold": 0.0}}
    out = merged(first, {"binary": {"cv_f1": 0.5}})
    out["binary"]["cv_f1"] = 1.0
    out["binary"]["threshold"] = 2.0
    assert first == {"binary": {"threshold": 0.0}}


def test_read_inputs_refuses_details_without_the_positive_digit(input_files: dict[str, Path]) -> None:
    details = threshold_free(MNIST_DETAILS)
    del details["binary"]["positive_digit"]
    path = write(input_files["mnist_details"], json.dumps(details))
    with pytest.raises(PipelineError) as error:
        read_inputs(**input_files)
    assert str(error.value) == f"{path}: lacks the metric 'binary.positive_digit' (rerun dvc repro)"


@pytest.mark.parametrize(
    ("digit", "shown"), [(-1, "-1"), (10, "10"), ("3", "'3'"), (True, "True"), (None, "None"), (3.0, "3.0")]
)
def test_read_inputs_refuses_a_positive_digit_that_is_no_digit(
    input_files: dict[str, Path], digit: Any, shown: str
) -> None:
    details = threshold_free(MNIST_DETAILS)
    details["binary"]["positive_digit"] = digit
    path = write(input_files["mnist_details"], json.dumps(details))
    with pytest.raises(PipelineError) as error:
        read_inputs(**input_files)
    assert str(error.value) == f"{path}: 'binary.positive_digit' must be a digit 0-9, got {shown}"


@pytest.mark.parametrize("digit", [0, 9])
def test_read_inputs_takes_digits_zero_and_nine(input_files: dict[str, Path], digit: int) -> None:
    write(input_files["mnist_details"], json.dumps(threshold_free(digit_details(digit))))
    assert read_inputs(**input_files).mnist_details["binary"]["positive_digit"] == digit


@pytest.mark.parametrize(
    ("name", "text", "columns", "leading"),
    [
        (
            "extremes.csv",
            "group,PassengerId,Survived,Score\nhighest,1,1,2.0\n",
            "['group', 'PassengerId', 'Survived', 'Score']",
            "['group', 'PassengerId', 'Score', 'Survived']",
        ),
        (
            "extremes.csv",
            "PassengerId,Score,Survived\n1,2.0,1\n",
            "['PassengerId', 'Score', 'Survived']",
            "['group', 'PassengerId', 'Score', 'Survived']",
        ),
        (
            "coefficients.csv",
            "coefficient,feature\n1.0,Age\n",
            "['coefficient', 'feature']",
            "['feature', 'coefficient']",
        ),
        ("coefficients.csv", "feature\nAge\n", "['feature']", "['feature', 'coefficient']"),
    ],
)
def test_read_inputs_refuses_csv_files_in_another_layout(
    input_files: dict[str, Path], name: str, text: str, columns: str, leading: str
) -> None:
    path = write(input_files["mnist"].parent / name, text)
    with pytest.raises(PipelineError) as error:
        read_inputs(**input_files)
    assert str(error.value) == f"{path}: columns {columns}, expected them to start with {leading}"


def test_read_csv_keeps_rows_and_text_as_written(tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", 'feature,coefficient\n"Name, with comma",1e-3\nÄge,-0\n')
    assert read_csv(path, ["feature"]) == [
        {"feature": "Name, with comma", "coefficient": "1e-3"},
        {"feature": "Äge", "coefficient": "-0"},
    ]
    crlf = write(tmp_path / "crlf.csv", 'feature,coefficient\r\n"two\r\nlines",1\r\n')
    assert read_csv(crlf, ["feature", "coefficient"]) == [{"feature": "two\r\nlines", "coefficient": "1"}]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("feature,coefficient\n", "no data rows"),
        ("", "columns [], expected them to start with ['feature', 'coefficient']"),
        ("feature,coefficient\nAge,1\nFare\n", "row 2 does not have the header's 2 fields"),
        ("feature,coefficient\nAge,1,2\n", "row 1 does not have the header's 2 fields"),
    ],
)
def test_read_csv_refuses_with_one_line_naming_the_file(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path / "coefficients.csv", text)
    with pytest.raises(PipelineError) as error:
        read_csv(path, ["feature", "coefficient"])
    assert str(error.value) == f"{path}: {message}"


def test_read_csv_of_a_missing_or_binary_file(tmp_path: Path) -> None:
    with pytest.raises(PipelineError) as error:
        read_csv(tmp_path / "none.csv", ["feature"])
    assert str(error.value) == f"{tmp_path / 'none.csv'}: file not found (run dvc repro)"
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"feature\n\xff\xfe\n")
    with pytest.raises(PipelineError, match=r"b\.csv: not a readable CSV file \("):
        read_csv(binary, ["feature"])


def test_read_inputs_needs_every_titanic_model_of_the_details_in_the_metrics(input_files: dict[str, Path]) -> None:
    headline = copy.deepcopy(TITANIC)
    del headline["svc"]["cv_f1"]
    path = write(input_files["titanic"], json.dumps(headline))
    with pytest.raises(PipelineError) as error:
        read_inputs(**input_files)
    assert str(error.value) == f"{path}: lacks the metric 'svc.cv_f1' (rerun dvc repro)"
    details = copy.deepcopy(TITANIC_DETAILS)
    details["titanic"]["reference"] = "forest"
    path = write(input_files["titanic_details"], json.dumps(details))
    with pytest.raises(PipelineError) as error:
        read_inputs(**input_files)
    assert str(error.value) == f"{path}: 'models' lacks the reference model 'forest' or its calibration"


def test_read_inputs_needs_every_registry_model_of_the_details_in_the_metrics(input_files: dict[str, Path]) -> None:
    headline = copy.deepcopy(MNIST_MODELS["headline"])
    del headline["knn"]
    path = write(input_files["mnist_models"], json.dumps(headline))
    with pytest.raises(PipelineError) as error:
        read_inputs(**input_files)
    assert str(error.value) == f"{path}: lacks the metric 'knn.test_accuracy' (rerun dvc repro)"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"reference": "forest"}, "'models' lacks the reference model 'forest'"),
        ({"models": []}, "'models' lacks the reference model 'softmax_augmented'"),
    ],
)
def test_read_inputs_refuses_registry_details_without_the_reference(
    input_files: dict[str, Path], change: dict[str, Any], message: str
) -> None:
    path = write(input_files["mnist_models_details"], json.dumps({**MNIST_MODELS["details"], **change}))
    with pytest.raises(PipelineError) as error:
        read_inputs(**input_files)
    assert str(error.value) == f"{path}: {message}"


def test_read_inputs_names_a_missing_registry_detail_key(input_files: dict[str, Path]) -> None:
    details = copy.deepcopy(MNIST_MODELS["details"])
    del details["n_test"]
    path = write(input_files["mnist_models_details"], json.dumps(details))
    with pytest.raises(PipelineError) as error:
        read_inputs(**input_files)
    assert str(error.value) == f"{path}: lacks the metric 'n_test' (rerun dvc repro)"
