"""Typed Titanic parquet files read back: the CSV parser's checks repeated on what another stage wrote.

Each file is a hand-built three-passenger table written with the project's writer; one
value at a time is made wrong, and the refusal names the file, the column and the value.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from pipelib.errors import PipelineError
from pipelib.tables import write_table
from pipelib.titanic.data import TEST_SCHEMA, TRAIN_SCHEMA
from pipelib.titanic.frames import read_passengers

GOOD: dict[str, list[Any]] = {
    "PassengerId": [1, 2, 3],
    "Survived": [0, 1, 1],
    "Pclass": [3, 1, 2],
    "Name": ["Braund, Mr. Owen Harris", "Cumings, Mrs. John Bradley", "Heikkinen, Miss. Laina"],
    "Sex": ["male", "female", "female"],
    "Age": [22.0, None, 0.42],
    "SibSp": [1, 0, 0],
    "Parch": [0, 0, 2],
    "Ticket": ["A/5 21171", None, "STON/O2. 3101282"],
    "Fare": [7.25, 0.0, None],
    "Cabin": [None, "C85", None],
    "Embarked": ["S", None, "Q"],
}


def write(path: Path, labelled: bool = True, **changes: list[Any]) -> Path:
    schema = TRAIN_SCHEMA if labelled else TEST_SCHEMA
    columns = {**GOOD, **changes}
    write_table(pa.table({name: columns[name] for name in schema.names}, schema=schema), path)
    return path


def test_a_good_file_reads_back_with_its_missing_values(tmp_path: Path) -> None:
    frame = read_passengers(write(tmp_path / "train.parquet"), labelled=True)
    assert list(frame.columns) == list(GOOD)
    for name, values in GOOD.items():
        got = [
            None if value is None or (isinstance(value, float) and math.isnan(value)) else value
            for value in frame[name]
        ]
        assert got == values, name


def test_an_unlabelled_file_is_checked_without_survived(tmp_path: Path) -> None:
    frame = read_passengers(write(tmp_path / "test.parquet", labelled=False), labelled=False)
    assert "Survived" not in frame.columns and len(frame) == 3
    with pytest.raises(PipelineError, match=r"test\.parquet: column 'Pclass' has value 4 \(allowed: 1, 2, 3\)$"):
        read_passengers(write(tmp_path / "test.parquet", labelled=False, Pclass=[1, 4, 2]), labelled=False)


@pytest.mark.parametrize(
    ("column", "values", "message"),
    [
        ("Survived", [0, 2, 1], "column 'Survived' has value 2 (allowed: 0, 1)"),
        ("Pclass", [4, 1, 0], "column 'Pclass' has value 0 (allowed: 1, 2, 3)"),  # the first in text order
        ("Sex", ["male", "other", "female"], "column 'Sex' has value 'other' (allowed: female, male)"),
        ("Embarked", ["S", None, "X"], "column 'Embarked' has value 'X' (allowed: C, Q, S)"),
        ("Name", ["A", None, "C"], "column 'Name' has missing values"),
        ("Pclass", [3, None, 1], "column 'Pclass' has missing values"),
        ("Survived", [None, 1, 0], "column 'Survived' has missing values"),
        ("PassengerId", [1, 2, None], "column 'PassengerId' has missing values"),
        ("PassengerId", [7, 3, 7], "column 'PassengerId' has duplicate values"),
        ("Age", [22.0, -1.0, None], "column 'Age' has a value that is not a finite number from 0 to 150"),
        ("Age", [22.0, 150.5, None], "column 'Age' has a value that is not a finite number from 0 to 150"),
        ("Fare", [1.0, math.inf, 0.0], "column 'Fare' has a value that is not a finite number from 0 to 1,000,000"),
        ("Fare", [-0.01, 1.0, 0.0], "column 'Fare' has a value that is not a finite number from 0 to 1,000,000"),
        ("Fare", [1e200, 1.0, 0.0], "column 'Fare' has a value that is not a finite number from 0 to 1,000,000"),
        ("SibSp", [0, -1, 0], "column 'SibSp' has a value that is not a finite number >= 0"),
        ("Parch", [0, 0, -2], "column 'Parch' has a value that is not a finite number >= 0"),
    ],
)
def test_a_bad_value_is_one_line_naming_file_and_column(
    tmp_path: Path, column: str, values: list[Any], message: str
) -> None:
    path = write(tmp_path / "train.parquet", **{column: values})
    with pytest.raises(PipelineError, match="^" + re.escape(f"{path}: {message}") + "$"):
        read_passengers(path, labelled=True)


@pytest.mark.parametrize("column", ["Age", "Fare", "Embarked"])
def test_training_passengers_need_a_value_in_each_imputed_column(tmp_path: Path, column: str) -> None:
    """All three missing: nothing for the imputer to learn; passengers to predict may lack them all."""
    path = write(tmp_path / "train.parquet", **{column: [None, None, None]})
    message = f"{path}: column '{column}' is empty in every row; training needs some values to fill the missing ones"
    with pytest.raises(PipelineError, match="^" + re.escape(message) + "$"):
        read_passengers(path, labelled=True)
    path = write(tmp_path / "test.parquet", labelled=False, **{column: [None, None, None]})
    assert read_passengers(path, labelled=False)[column].isna().all()


def test_training_passengers_may_lack_every_ticket_and_cabin(tmp_path: Path) -> None:
    """The model reads neither column."""
    path = write(tmp_path / "train.parquet", Ticket=[None, None, None], Cabin=[None, None, None])
    assert len(read_passengers(path, labelled=True)) == 3


def test_zero_fractions_and_the_bounds_are_accepted(tmp_path: Path) -> None:
    path = write(
        tmp_path / "train.parquet", Age=[0.0, 0.5, 150.0], Fare=[0.0, 1e6, 0.5], SibSp=[0, 0, 0], Parch=[0, 0, 0]
    )
    frame = read_passengers(path, labelled=True)
    assert frame["Age"].tolist() == [0.0, 0.5, 150.0] and frame["Fare"].tolist() == [0.0, 1e6, 0.5]


def test_text_cells_are_bounded_by_256_characters_of_four_bytes(tmp_path: Path) -> None:
    """1,000 names of 1,024 bytes (256 four-byte characters) fit; 1,000 of 1,200 bytes do not."""
    ids = list(range(1, 1001))
    rows = {
        "PassengerId": ids,
        "Survived": [0] * 1000,
        "Pclass": [3] * 1000,
        "Sex": ["male"] * 1000,
        "Age": [30.0] * 1000,
        "SibSp": [0] * 1000,
        "Parch": [0] * 1000,
        "Ticket": [None] * 1000,
        "Fare": [7.25] * 1000,
        "Cabin": [None] * 1000,
        "Embarked": ["S"] * 1000,
    }
    widest = "\U0001d11e" * 256  # MUSICAL SYMBOL G CLEF: 4 bytes in UTF-8
    path = write(tmp_path / "wide.parquet", **rows, Name=[widest] * 1000)
    assert read_passengers(path, labelled=True)["Name"].iloc[-1] == widest
    path = write(tmp_path / "wider.parquet", **rows, Name=["x" * 1200] * 1000)
    with pytest.raises(
        PipelineError, match=r"wider\.parquet: column 'Name' unpacks to [\d,]+ bytes, more than 1,000 rows"
    ):
        read_passengers(path, labelled=True)
