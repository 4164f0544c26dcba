"""McNemar on base and head test predictions, on hand-built prediction files."""

from __future__ import annotations

import pytest

from pipelib.errors import PipelineError
from pipelib.review.significance import compare, parse_predictions


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
