"""The comparison of every registry model (pipelib.mnist.comparison) on hand-built predictions: confusion
counts, the chapter's error analysis with empty classes, a digit never predicted and ties, accuracies and
McNemar counts against the reference, and the files it reads and writes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import helpers
import numpy as np
import pytest

from pipelib import metrics
from pipelib.errors import PipelineError
from pipelib.mnist import comparison, predictions
from pipelib.params import BinaryEvaluateParams, MnistModelEntry, load_params
from pipelib.review.significance import parse_predictions

# --- confusion and error analysis -------------------------------------------------------------------


def test_confusion_counts_rows_actual_columns_predicted() -> None:
    labels = np.array([0, 0, 1, 2, 2, 2, 9])
    predicted = np.array([0, 1, 1, 2, 0, 2, 3])
    expected = np.zeros((10, 10), dtype=int)
    expected[0, 0], expected[0, 1], expected[1, 1], expected[2, 2], expected[2, 0], expected[9, 3] = 1, 1, 1, 2, 1, 1
    np.testing.assert_array_equal(comparison.confusion(labels, predicted), expected)
    assert comparison.confusion(labels[:0], predicted[:0]).tolist() == np.zeros((10, 10), dtype=int).tolist()


def test_error_analysis_with_empty_classes_and_a_digit_never_predicted() -> None:
    """Digits 3-9 have no test image; 2 is never predicted (its two images go to 0 and 1)."""
    labels = np.array([0, 0, 0, 0, 1, 1, 2, 2])
    predicted = np.array([0, 0, 1, 1, 1, 0, 0, 1])
    errors = comparison.error_analysis(comparison.confusion(labels, predicted))
    assert errors["confusion"][:3] == [[2, 2, *[0] * 8], [1, 1, *[0] * 8], [1, 1, *[0] * 8]]
    assert errors["support"] == [4, 2, 2, 0, 0, 0, 0, 0, 0, 0]
    # columns 0 and 1 each receive 4 predictions, 2 and 1 of them right; nothing is predicted 2-9
    assert errors["precision"] == [0.5, 0.25, *[0.0] * 8]
    assert errors["recall"] == [0.5, 0.5, *[0.0] * 8]
    normalized = [[0.0, 0.5, *[0.0] * 8], [0.5, *[0.0] * 9], [0.5, 0.5, *[0.0] * 8], *[[0.0] * 10] * 7]
    assert errors["normalized"] == normalized  # the diagonal zeroed, empty rows 0
    # four confusions all at half their digit: in digit order
    assert errors["largest"] == [
        {"actual": 0, "predicted": 1, "count": 2, "share": 0.5},
        {"actual": 1, "predicted": 0, "count": 1, "share": 0.5},
        {"actual": 2, "predicted": 0, "count": 1, "share": 0.5},
        {"actual": 2, "predicted": 1, "count": 1, "share": 0.5},
    ]


def test_the_largest_confusions_by_share_ties_in_digit_order_five_at_most() -> None:
    """Digits 0-5 each confused once with the next (mod 6) in two images (share 0.5, six ties); one 6 read as
    9 (share 1, count 1) comes first; 7 read as 8 in 3 of 10 images (count 3, share 0.3) comes after the ties."""
    labels = [*np.repeat(np.arange(6), 2), 6, *[7] * 10]
    predicted = [*(value for digit in range(6) for value in (digit, (digit + 1) % 6)), 9, *[8] * 3, *[7] * 7]
    errors = comparison.error_analysis(comparison.confusion(np.array(labels), np.array(predicted)))
    assert [(cell["actual"], cell["predicted"], cell["count"]) for cell in errors["largest"]] == [
        (6, 9, 1),
        (0, 1, 1),
        (1, 2, 1),
        (2, 3, 1),
        (3, 4, 1),
    ]
    assert [cell["share"] for cell in errors["largest"]] == [1.0, 0.5, 0.5, 0.5, 0.5]
    assert errors["normalized"][7][8] == 0.3


def test_normalized_values_are_rounded_to_six_places() -> None:
    labels = np.array([3, 3, 3])
    predicted = np.array([3, 5, 3])
    errors = comparison.error_analysis(comparison.confusion(labels, predicted))
    assert errors["normalized"][3][5] == 0.333333
    assert errors["largest"][0]["share"] == pytest.approx(1 / 3, abs=1e-15)


def test_no_errors_no_largest_confusions() -> None:
    labels = np.arange(10)
    errors = comparison.error_analysis(comparison.confusion(labels, labels))
    assert errors["largest"] == []
    assert errors["precision"] == errors["recall"] == [1.0] * 10


def test_error_analysis_counts_ties_and_an_empty_class() -> None:
    # Digit 9 is absent and never predicted; 2 -> 3 and 4 -> 1 both take half of their row: a tie in share.
    labels = np.array([0, 0, 0, 0, 2, 2, 4, 4, 1, 3])
    predicted = np.array([0, 0, 0, 1, 2, 3, 4, 1, 1, 3])
    errors = comparison.error_analysis(comparison.confusion(labels, predicted))
    confusion = np.array(errors["confusion"])
    assert confusion.shape == (10, 10)
    assert confusion[2, 3] == 1 and confusion[0, 1] == 1 and confusion.trace() == 7
    assert errors["normalized"][0][1] == 0.25
    assert [errors["normalized"][digit][digit] for digit in range(10)] == [0.0] * 10
    assert errors["normalized"][9] == [0.0] * 10  # empty class: a zero row, not NaN
    assert [(cell["actual"], cell["predicted"], cell["count"], cell["share"]) for cell in errors["largest"]] == [
        (2, 3, 1, 0.5),
        (4, 1, 1, 0.5),
        (0, 1, 1, 0.25),
    ]
    assert errors["recall"][9] == 0.0 and errors["precision"][9] == 0.0 and errors["support"][9] == 0
    assert errors["precision"][1] == pytest.approx(1 / 3)  # predicted 1 three times, right once
    assert errors["recall"][0] == 0.75


def test_error_analysis_keeps_the_five_largest_shares() -> None:
    # Six wrong cells: 7 -> 1 (the only 7: share 1), 8 -> 3 (1 of 2), 6 -> 0 (1 of 3), 2 -> 5 (1 of 4),
    # 4 -> 9 (1 of 5), 0 -> 6 (1 of 8): the sixth, smallest, is left out.
    pairs = [(7, 1), (8, 8), (8, 3), *[(6, 6)] * 2, (6, 0), *[(2, 2)] * 3, (2, 5), *[(4, 4)] * 4, (4, 9)]
    pairs += [*[(0, 0)] * 7, (0, 6)]
    labels, predicted = (np.array(column) for column in zip(*pairs, strict=True))
    errors = comparison.error_analysis(comparison.confusion(labels, predicted))
    assert [(cell["actual"], cell["predicted"], cell["count"], cell["share"]) for cell in errors["largest"]] == [
        (7, 1, 1, 1.0),
        (8, 3, 1, 0.5),
        (6, 0, 1, pytest.approx(1 / 3)),
        (2, 5, 1, 0.25),
        (4, 9, 1, 0.2),
    ]
    assert errors["normalized"][7] == [0.0, 1.0] + [0.0] * 8  # a digit seen once, and wrong
    assert errors["normalized"][0][6] == 0.125
    assert errors["support"] == [8, 0, 4, 0, 5, 0, 3, 1, 2, 0]
    assert errors["precision"][1] == 0.0 and errors["precision"][8] == 1.0  # 1 predicted once, wrongly; 8 once, rightly


# --- compare ----------------------------------------------------------------------------------------

LABELS = np.arange(10)
REFERENCE = np.array([0, 1, 2, 3, 4, 5, 6, 7, 0, 0])  # wrong on 8 and 9: 0.8
OTHER = np.array([1, 0, 3, 3, 4, 5, 6, 7, 8, 9])  # wrong on 0, 1 and 2: 0.7
REFERENCE_FACTS = {"train_rows": 300_000, "first_train_predictions": [5, 0, 4], "n_iter": 100}
OTHER_FACTS = {"train_rows": 60_000, "first_train_predictions": [5, 0, 9]}


def entry(estimator: str, params: dict[str, Any], train: str) -> MnistModelEntry:
    return MnistModelEntry(estimator=estimator, params=params, train=train, dtype="float64", matrix="dense", n_jobs=1)


ENTRIES = {
    "knn": entry("sklearn.neighbors.KNeighborsClassifier", {"n_neighbors": 4}, "train"),
    "softmax_augmented": entry("sklearn.linear_model.LogisticRegression", {"C": 10.0}, "train_shuffled"),
}


def settings(reference: str = "softmax_augmented") -> BinaryEvaluateParams:
    evaluate = load_params(helpers.REPO_ROOT / "params.yaml").mnist.evaluate
    return evaluate.model_copy(update={"reference": reference, "bootstrap_samples": 500, "bootstrap_seed": 0})


def test_compare_accuracies_and_mcnemar_against_the_reference() -> None:
    found = {"knn": (OTHER, OTHER_FACTS), "softmax_augmented": (REFERENCE, REFERENCE_FACTS)}
    headline, details = comparison.compare(LABELS, found, ENTRIES, settings())
    assert headline == {"knn": {"test_accuracy": 0.7}, "softmax_augmented": {"test_accuracy": 0.8}}
    assert list(headline) == list(details["models"]) == ["knn", "softmax_augmented"]  # the registry's order
    assert details["reference"] == "softmax_augmented"
    assert details["n_test"] == 10
    knn = details["models"]["knn"]
    assert knn["estimator"] == "sklearn.neighbors.KNeighborsClassifier"
    assert knn["train"] == "train"
    assert knn["train_rows"] == 60_000 and knn["first_train_predictions"] == [5, 0, 9]
    assert "n_iter" not in knn
    # only the KNN is right on images 8 and 9, only the reference on 0, 1 and 2: 2 * P(X <= 2), X ~ Bin(5, 1/2)
    assert knn["mcnemar_vs_reference"]["only_this_right"] == 2
    assert knn["mcnemar_vs_reference"]["only_reference_right"] == 3
    assert knn["mcnemar_vs_reference"]["p_value"] == pytest.approx(2 * (1 + 5 + 10) / 32)
    reference = details["models"]["softmax_augmented"]
    assert reference["mcnemar_vs_reference"] == {"only_this_right": 0, "only_reference_right": 0, "p_value": 1.0}
    assert reference["n_iter"] == 100 and reference["train"] == "train_shuffled"
    assert reference["confusion"][8][0] == reference["confusion"][9][0] == 1
    assert sum(map(sum, reference["confusion"])) == 10
    assert knn["confusion"][0][1] == knn["confusion"][1][0] == knn["confusion"][2][3] == 1
    for name, accuracy in (("knn", 0.7), ("softmax_augmented", 0.8)):
        low, high = details["models"][name]["test_accuracy_interval"]
        assert 0.0 <= low < accuracy < high <= 1.0
    assert set(details) == set(metrics.MNIST_MODELS_DETAIL_KEYS)  # what the report reads
    # the error analysis is the reference's: its two errors, both 8 and 9 read as 0
    largest = details["error_analysis"]["largest"]
    assert [(cell["actual"], cell["predicted"], cell["share"]) for cell in largest] == [(8, 0, 1.0), (9, 0, 1.0)]


def test_the_reference_can_be_any_entry() -> None:
    found = {"knn": (OTHER, OTHER_FACTS), "softmax_augmented": (REFERENCE, REFERENCE_FACTS)}
    _, details = comparison.compare(LABELS, found, ENTRIES, settings("knn"))
    test = details["models"]["softmax_augmented"]["mcnemar_vs_reference"]
    assert (test["only_this_right"], test["only_reference_right"]) == (3, 2)
    assert [(cell["actual"], cell["predicted"]) for cell in details["error_analysis"]["largest"]] == [
        (0, 1),
        (1, 0),
        (2, 3),
    ]


def test_a_model_right_everywhere_and_an_empty_test_set() -> None:
    found = {"knn": (LABELS, {}), "softmax_augmented": (LABELS, {})}
    headline, details = comparison.compare(LABELS, found, ENTRIES, settings())
    assert headline["knn"] == {"test_accuracy": 1.0}
    assert details["models"]["knn"]["test_accuracy_interval"] == [1.0, 1.0]
    empty = {"knn": (LABELS[:0], {}), "softmax_augmented": (LABELS[:0], {})}
    headline, details = comparison.compare(LABELS[:0], empty, ENTRIES, settings())
    assert headline["knn"] == {"test_accuracy": 0.0}
    assert details["n_test"] == 0
    assert details["models"]["knn"]["test_accuracy_interval"] == [0.0, 0.0]
    assert details["error_analysis"]["support"] == [0] * 10


# --- the files it reads and writes --------------------------------------------------------------------


def test_read_all_gives_the_labels_and_every_models_predictions(tmp_path: Path) -> None:
    predictions.write(tmp_path / "knn.parquet", LABELS, OTHER, OTHER_FACTS)
    predictions.write(tmp_path / "softmax_augmented.parquet", LABELS, REFERENCE, REFERENCE_FACTS)
    labels, found = comparison.read_all(tmp_path, ["knn", "softmax_augmented"])
    assert labels.tolist() == LABELS.tolist()
    assert list(found) == ["knn", "softmax_augmented"]
    assert found["knn"][0].tolist() == OTHER.tolist() and found["knn"][1] == OTHER_FACTS
    assert found["softmax_augmented"][0].tolist() == REFERENCE.tolist()


@pytest.mark.parametrize("other", [LABELS[::-1], LABELS[:9]], ids=["reordered", "shorter"])
def test_read_all_refuses_predictions_on_other_test_images(tmp_path: Path, other: np.ndarray) -> None:
    predictions.write(tmp_path / "knn.parquet", LABELS, OTHER, {})
    predictions.write(tmp_path / "softmax.parquet", other, other, {})
    with pytest.raises(PipelineError) as error:
        comparison.read_all(tmp_path, ["knn", "softmax"])
    assert str(error.value) == f"{tmp_path / 'softmax.parquet'}: scored other test images than knn (rerun dvc repro)"


def test_read_all_names_a_missing_file(tmp_path: Path) -> None:
    predictions.write(tmp_path / "knn.parquet", LABELS, OTHER, {})
    with pytest.raises(PipelineError, match=f"^{tmp_path / 'softmax.parquet'}: "):
        comparison.read_all(tmp_path, ["knn", "softmax"])


def test_test_predictions_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "mnist_test_predictions.csv"
    comparison.write_test_predictions(path, LABELS, {"knn": (OTHER, {}), "softmax_augmented": (REFERENCE, {})})
    assert path.read_text(encoding="utf-8").splitlines()[:3] == ["label,knn,softmax_augmented", "0,1,0", "1,0,1"]
    table = parse_predictions(path.read_text(encoding="utf-8"), str(path))  # as the review reads it
    assert list(table.models) == ["knn", "softmax_augmented"]
    assert table.labels.tolist() == LABELS.tolist()
    assert table.models["knn"].tolist() == OTHER.tolist()
    assert table.models["softmax_augmented"].tolist() == REFERENCE.tolist()


def test_the_plot_files_hold_every_prediction_and_the_errors(tmp_path: Path) -> None:
    comparison.write_plots(LABELS, REFERENCE, tmp_path / "confusion.csv", tmp_path / "errors.csv")
    confusion = (tmp_path / "confusion.csv").read_text(encoding="utf-8").splitlines()
    assert confusion[0] == "actual,predicted"
    assert confusion[1:] == [f"{label},{guess}" for label, guess in zip(LABELS, REFERENCE, strict=True)]
    assert (tmp_path / "errors.csv").read_text(encoding="utf-8").splitlines() == ["actual,predicted", "8,0", "9,0"]
