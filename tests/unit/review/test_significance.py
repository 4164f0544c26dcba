"""McNemar on base and head test predictions, on hand-built prediction files."""

from __future__ import annotations

import dataclasses

import pytest

from pipelib.errors import PipelineError
from pipelib.review import significance
from pipelib.review.significance import Comparison, compare, parse_predictions
from pipelib.stats import McNemar


def predictions(rows: list[tuple[int, int, int]]) -> str:
    return "label,softmax,softmax_augmented\n" + "".join(f"{a},{b},{c}\n" for a, b, c in rows)


def test_a_change_of_one_image_in_many_is_noise_and_of_many_is_not() -> None:
    labels = [i % 10 for i in range(200)]
    base = parse_predictions(predictions([(y, y, y) for y in labels]), "base")
    # softmax: 1 image newly wrong; softmax_augmented: 20 newly wrong, none newly right.
    head_rows = [(y, (y + 1) % 10 if i == 0 else y, (y + 1) % 10 if i < 20 else y) for i, y in enumerate(labels)]
    comparisons, notes = compare(base, parse_predictions(predictions(head_rows), "head"))
    assert notes == []
    by_model = {item.model: item for item in comparisons}
    small, large = by_model["softmax"], by_model["softmax_augmented"]
    assert (small.base_accuracy, small.head_accuracy) == (1.0, 0.995)
    assert (small.test.only_first_right, small.test.only_second_right) == (1, 0)
    assert small.test.p_value == 1.0 and not small.beyond_noise  # 2 * P(X <= 0 | n=1) = 1
    assert large.test.p_value == pytest.approx(2 * 0.5**20) and large.beyond_noise


def test_unchanged_accuracy_is_not_listed_and_a_new_model_is_noted() -> None:
    base = parse_predictions("label,softmax\n1,1\n2,3\n", "base")
    head = parse_predictions("label,softmax,new\n1,1,1\n2,3,2\n", "head")
    assert compare(base, head) == ([], ["model new is new: no base predictions to compare"])


def test_another_test_set_is_skipped() -> None:
    base = parse_predictions("label,softmax\n1,1\n", "base")
    head = parse_predictions("label,softmax\n2,2\n", "head")
    assert compare(base, head)[1] == ["the base and head test labels differ (another test set): McNemar skipped"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "expected a header with 'label'"),
        ("digit,softmax\n1,1\n", "expected a header with 'label'"),
        ("label,softmax\n1\n", "line 2 has 1 cells, expected 2"),
        ("label,softmax\n1,x\n", "every cell must be an integer label"),
    ],
)
def test_bad_files_name_the_file(text: str, message: str) -> None:
    with pytest.raises(PipelineError, match=f"^preds.csv \\(main\\): {message}"):
        parse_predictions(text, "preds.csv (main)")


def test_beyond_noise_is_strictly_below_five_percent() -> None:
    def at(p_value: float) -> bool:
        return Comparison("softmax", 0.9, 0.8, McNemar(10, 1, p_value)).beyond_noise

    assert at(0.0499) and not at(0.05) and not at(0.5)


def test_discordant_counts_of_a_hand_built_pair() -> None:
    # 8 images: both right on 0-2, only base right on 3-5, only head right on 6, both wrong on 7.
    labels = [0, 1, 2, 3, 4, 5, 6, 7]
    base = [0, 1, 2, 3, 4, 5, 0, 0]
    head = [0, 1, 2, 0, 0, 0, 6, 0]
    text = "label,m\n"
    [comparison], notes = compare(
        parse_predictions(text + "".join(f"{y},{p}\n" for y, p in zip(labels, base, strict=True)), "base"),
        parse_predictions(text + "".join(f"{y},{p}\n" for y, p in zip(labels, head, strict=True)), "head"),
    )
    assert notes == []
    assert (comparison.model, comparison.base_accuracy, comparison.head_accuracy) == ("m", 0.75, 0.5)
    # n = 4 discordant, 1 way against 3: 2 * P(X <= 1 | 4, 1/2) = 2 * 5/16
    assert (comparison.test.only_first_right, comparison.test.only_second_right) == (3, 1)
    assert comparison.test.p_value == pytest.approx(0.625)
    assert not comparison.beyond_noise


def test_a_single_image_that_changed_is_compared() -> None:
    base = parse_predictions("label,softmax\n3,3\n", "base")
    head = parse_predictions("label,softmax\n3,5\n", "head")
    assert compare(base, head) == ([Comparison("softmax", 1.0, 0.0, McNemar(1, 0, 1.0))], [])


def test_empty_predictions_and_test_sets_of_another_size_are_skipped() -> None:
    empty = parse_predictions("label,softmax\n", "base")
    assert empty.labels.shape == (0,) and empty.models["softmax"].shape == (0,)
    assert compare(empty, empty) == ([], ["the test predictions are empty: McNemar skipped"])
    two = parse_predictions("label,softmax\n1,1\n2,2\n", "base")
    three = parse_predictions("label,softmax\n1,1\n2,2\n3,0\n", "head")
    assert compare(two, three) == ([], ["the base and head test labels differ (another test set): McNemar skipped"])
    assert compare(three, two)[1] == ["the base and head test labels differ (another test set): McNemar skipped"]


def test_columns_are_read_by_name_wherever_the_label_is() -> None:
    parsed = parse_predictions("a,label,b\n1,2,3\n4,5,6\n", "f")
    assert parsed.labels.tolist() == [2, 5]
    assert {name: column.tolist() for name, column in parsed.models.items()} == {"a": [1, 4], "b": [3, 6]}


def test_a_duplicated_column_and_a_long_row_are_refused() -> None:
    with pytest.raises(PipelineError, match=r"^f: expected a header with 'label' and one column per model$"):
        parse_predictions("label,m,m\n1,1,1\n", "f")
    with pytest.raises(PipelineError, match=r"^f: line 3 has 3 cells, expected 2$"):
        parse_predictions("label,m\n1,1\n1,1,1\n", "f")


def test_parsed_predictions_and_comparisons_are_immutable() -> None:
    parsed = parse_predictions("label,m\n1,1\n", "f")
    with pytest.raises(dataclasses.FrozenInstanceError):
        parsed.labels = parsed.labels  # type: ignore[misc]
    comparison = Comparison("m", 1.0, 0.0, McNemar(1, 0, 1.0))
    with pytest.raises(dataclasses.FrozenInstanceError):
        comparison.model = "n"  # type: ignore[misc]


def test_the_row_cap_is_inclusive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(significance, "MAX_ROWS", 3)
    assert parse_predictions("label\n1\n2\n3\n", "f").labels.tolist() == [1, 2, 3]
    with pytest.raises(PipelineError, match=r"^f: more than 3 rows$"):
        parse_predictions("label\n1\n2\n3\n4\n", "f")


def test_a_file_of_more_than_a_million_rows_is_refused() -> None:
    """The real cap: 1,000,001 rows are refused while reading (1,000,000 are read: the test above, scaled down)."""
    with pytest.raises(PipelineError, match=r"^f: more than 1,000,000 rows$"):
        parse_predictions("label\n" + "7\n" * 1_000_001, "f")
