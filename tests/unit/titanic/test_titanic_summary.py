"""The seed's Titanic data summary (info() and value_counts()) computed from a hand-built frame."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelib.titanic.evaluation import summarize


def test_summary_counts_non_null_and_values_with_ties() -> None:
    frame = pd.DataFrame(
        {
            "PassengerId": [1, 2, 3, 4],
            "Survived": [0, 1, 1, 0],  # a tie: 0 and 1 twice each -> by value
            "Pclass": [3, 3, 1, 2],
            "Sex": ["male", "female", "male", "male"],
            "Age": [22.0, np.nan, 30.0, np.nan],
            "Embarked": ["S", None, "C", "S"],
        }
    )
    summary = summarize(frame)
    assert (summary.n_rows, summary.n_columns) == (4, 6)
    assert summary.non_null == {"PassengerId": 4, "Survived": 4, "Pclass": 4, "Sex": 4, "Age": 2, "Embarked": 3}
    assert list(summary.non_null) == list(frame.columns)
    assert summary.value_counts["Survived"] == [("0", 2), ("1", 2)]
    assert summary.value_counts["Pclass"] == [("3", 2), ("1", 1), ("2", 1)]
    assert summary.value_counts["Sex"] == [("male", 3), ("female", 1)]
    assert summary.value_counts["Embarked"] == [("S", 2), ("C", 1)]  # missing values are not counted
