"""Passenger CSVs that are not there, not files or written by Excel; survival by a hand-written model."""

from __future__ import annotations

from pathlib import Path

import helpers
import numpy as np
import pytest

from pipelib.errors import PipelineError
from pipelib.predict.passengers import predictions, read_passenger_csv

HEADER = "PassengerId,Pclass,Name,Sex,Age,SibSp,Parch,Ticket,Fare,Cabin,Embarked"
ROWS = [
    '892,3,"Kelly, Mr. James",male,34.5,0,0,330911,7.8292,,Q',
    '893,3,"Wilkes, Mrs. James (Ellen Needs)",female,47,1,0,363272,7,,S',
    '894,2,"Myles, Mr. Thomas Francis",male,62,0,0,240276,9.6875,,Q',
    '896,1,"Hirvonen, Mrs. Alexander",female,22,1,1,3101298,12.2875,,S',
]
# 0.5 * female + 0.25 * first class - 0.25 * Embarked_Q: Kelly -0.25, Wilkes 0.5, Myles -0.25, Hirvonen 0.75
COEF = np.array([0, 0, 0, 0, 0.25, 0, 0, 0.5, 0, 0, -0.25, 0])
MODEL = helpers.hand_titanic_model(COEF.tolist())


def kaggle_csv(path: Path, rows: list[str] = ROWS, prefix: bytes = b"", newline: str = "\n") -> Path:
    path.write_bytes(prefix + newline.join([HEADER, *rows, ""]).encode("utf-8"))
    return path


def test_survival_is_a_score_above_zero_by_default(tmp_path: Path) -> None:
    passengers = read_passenger_csv(kaggle_csv(tmp_path / "test.csv"))
    table = predictions(MODEL, passengers)
    assert list(table.columns) == ["PassengerId", "Survived", "score", "probability"]
    assert table["PassengerId"].tolist() == [892, 893, 894, 896]
    assert table["score"].tolist() == [-0.25, 0.5, -0.25, 0.75]
    assert table["Survived"].tolist() == [0, 1, 0, 1]
    assert predictions(MODEL, passengers, threshold=0.5)["Survived"].tolist() == [0, 0, 0, 1]  # 0.5 is not above
    assert predictions(MODEL, passengers, threshold=-0.25)["Survived"].tolist() == [0, 1, 0, 1]


def test_a_score_of_exactly_zero_is_not_survival(tmp_path: Path) -> None:
    passengers = read_passenger_csv(kaggle_csv(tmp_path / "test.csv", [ROWS[2].replace(",Q", ",S")]))
    table = predictions(MODEL, passengers)
    assert (table["score"].tolist(), table["Survived"].tolist()) == ([0.0], [0])


def test_columns_empty_for_every_passenger_are_filled_as_in_training(tmp_path: Path) -> None:
    """The hand model's preprocessing was fitted on Age and Fare 1, 2, 3 and ports C, Q, S: medians 2, port C."""
    model = helpers.hand_titanic_model([0.5, 0, 0, 0.25, 0, 0, 0, 0, 0, 1.0, 0, 0])  # Age, Fare, Embarked_C
    blank = [
        '892,3,"Kelly, Mr. James",male,,0,0,330911,,,',
        '893,3,"Wilkes, Mrs. James (Ellen Needs)",female,,1,0,363272,,,',
        '894,2,"Myles, Mr. Thomas Francis",male,,0,0,240276,,,',
        '896,1,"Hirvonen, Mrs. Alexander",female,,1,1,3101298,,,',
    ]
    passengers = read_passenger_csv(kaggle_csv(tmp_path / "blank.csv", blank))
    assert predictions(model, passengers)["score"].tolist() == [0.5 * 2 + 0.25 * 2 + 1.0] * 4


def test_an_excel_csv_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    passengers = read_passenger_csv(kaggle_csv(tmp_path / "excel.csv", prefix=b"\xef\xbb\xbf"))
    assert passengers["PassengerId"].tolist() == [892, 893, 894, 896]


@pytest.mark.parametrize("newline", ["\r\n", "\r"], ids=["windows-crlf", "old-mac-cr"])
def test_excel_line_endings_are_read_as_the_fetch_stage_reads_them(tmp_path: Path, newline: str) -> None:
    """Excel's "CSV (MS-DOS)" ends lines with CR LF, old Mac Excel's "CSV (Macintosh)" with CR alone."""
    passengers = read_passenger_csv(kaggle_csv(tmp_path / "excel.csv", newline=newline))
    assert passengers["PassengerId"].tolist() == [892, 893, 894, 896]
    assert passengers["Name"].tolist()[0] == "Kelly, Mr. James"
    assert passengers["Embarked"].tolist() == ["Q", "S", "Q", "S"]  # the last cell of each line, no CR left in it
    assert passengers["Fare"].tolist() == [7.8292, 7.0, 9.6875, 12.2875]


def test_what_european_excel_writes_is_named_and_spaced_column_names_are_read(tmp_path: Path) -> None:
    """Excel's "CSV" where the decimal separator is a comma: ';' between cells, decimal commas."""
    path = tmp_path / "excel.csv"
    path.write_bytes(
        b"PassengerId;Pclass;Name;Sex;Age;SibSp;Parch;Ticket;Fare;Cabin;Embarked\r\n"
        b"892;3;Kelly, Mr. James;male;34,5;0;0;330911;7,8292;;Q\r\n"
    )
    with pytest.raises(PipelineError, match=r"excel\.csv: the file is separated by ';' where ',' is expected$"):
        read_passenger_csv(path)
    spaced = tmp_path / "spaced.csv"  # "PassengerId, Pclass, Name, ..."
    spaced.write_text("\n".join([HEADER.replace(",", ", "), *ROWS, ""]), encoding="utf-8")
    passengers = read_passenger_csv(spaced)
    assert passengers["PassengerId"].tolist() == [892, 893, 894, 896]
    assert passengers["Fare"].tolist() == [7.8292, 7.0, 9.6875, 12.2875]


def test_a_missing_file_and_a_directory_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match=r"nowhere\.csv: no such file$"):
        read_passenger_csv(tmp_path / "nowhere.csv")
    (tmp_path / "folder.csv").mkdir()
    with pytest.raises(PipelineError, match=r"folder\.csv: not a regular file \(a directory\)$"):
        read_passenger_csv(tmp_path / "folder.csv")


def test_a_file_that_is_not_utf8_names_the_byte(tmp_path: Path) -> None:
    kaggle_csv(tmp_path / "latin1.csv", [ROWS[0].replace("Kelly", "Kelly\xe9")])
    (tmp_path / "latin1.csv").write_bytes((tmp_path / "latin1.csv").read_bytes().replace("é".encode(), b"\xe9"))
    offset = len(HEADER) + 1 + len('892,3,"Kelly')
    with pytest.raises(
        PipelineError, match=rf"latin1\.csv: not UTF-8 text \(invalid continuation byte at byte {offset}\)$"
    ):
        read_passenger_csv(tmp_path / "latin1.csv")
