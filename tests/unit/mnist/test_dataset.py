"""require_two_digits: a training set of fewer than two digits is refused as the data's fault, naming the file."""

from __future__ import annotations

import numpy as np
import pytest

from pipelib.errors import PipelineError
from pipelib.mnist.dataset import require_two_digits


def test_two_digits_give_their_counts() -> None:
    digits, counts = require_two_digits(np.array([7, 3, 7], np.uint8), "t.parquet", "a classifier needs")
    assert digits.tolist() == [3, 7] and counts.tolist() == [1, 2]


@pytest.mark.parametrize(
    ("labels", "held"),
    [([4, 4, 4], "only images of the digit 4 (3 rows)"), ([], "no images (0 rows)")],
)
def test_fewer_than_two_digits_are_refused(labels: list[int], held: str) -> None:
    with pytest.raises(PipelineError) as error:
        require_two_digits(np.array(labels, np.uint8), "t.parquet", "a classifier needs")
    assert str(error.value) == f"t.parquet: holds {held}: a classifier needs at least two digits"
