"""The Kaggle Titanic CSV parser on small hand-written files: every value typed, every refusal one line.

The rows are Kaggle's own (passengers 1, 2, 6, 10, 62 and 180 of train.csv), so every
expected value below can be read off the file; the refusals name the file, the row
(1 = the first data row) and the column, with the wording docs/predict.md shows.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pyarrow as pa
import pytest

from pipelib.errors import PipelineError
from pipelib.titanic.data import CONVERTERS, IMPUTED_OPTIONAL, TEST_SCHEMA, TRAIN_SCHEMA, parse_passengers
from pipelib.titanic.model import CATEGORICAL, NUMERIC

HEADER = "PassengerId,Survived,Pclass,Name,Sex,Age,SibSp,Parch,Ticket,Fare,Cabin,Embarked"
ROWS = [
    '1,0,3,"Braund, Mr. Owen Harris",male,22,1,0,A/5 21171,7.25,,S',
    '2,1,1,"Cumings, Mrs. John Bradley (Florence Briggs Thayer)",female,38,1,0,PC 17599,71.2833,C85,C',
    '6,0,3,"Moran, Mr. James",male,,0,0,330877,8.4583,,Q',
    '10,1,2,"Nasser, Mrs. Nicholas (Adele Achem)",female,14,1,0,237736,30.0708,,C',
    '62,1,1,"Icard, Miss. Amelie",female,38,0,0,113572,80,B28,',
    '180,0,3,"Leonard, Mr. Lionel",male,36,0,0,LINE,0,,S',
]
# Kaggle's columns and the types they are read as, written out from the data set's description
TRAIN_FIELDS = [
    ("PassengerId", pa.int32()),
    ("Survived", pa.int8()),
    ("Pclass", pa.int8()),
    ("Name", pa.string()),
    ("Sex", pa.string()),
    ("Age", pa.float64()),
    ("SibSp", pa.int16()),
    ("Parch", pa.int16()),
    ("Ticket", pa.string()),
    ("Fare", pa.float64()),
    ("Cabin", pa.string()),
    ("Embarked", pa.string()),
]
EXPECTED = {
    "PassengerId": [1, 2, 6, 10, 62, 180],
    "Survived": [0, 1, 0, 1, 1, 0],
    "Pclass": [3, 1, 3, 2, 1, 3],
    "Name": [
        "Braund, Mr. Owen Harris",
        "Cumings, Mrs. John Bradley (Florence Briggs Thayer)",
        "Moran, Mr. James",
        "Nasser, Mrs. Nicholas (Adele Achem)",
        "Icard, Miss. Amelie",
        "Leonard, Mr. Lionel",
    ],
    "Sex": ["male", "female", "male", "female", "female", "male"],
    "Age": [22.0, 38.0, None, 14.0, 38.0, 36.0],
    "SibSp": [1, 1, 0, 1, 0, 0],
    "Parch": [0, 0, 0, 0, 0, 0],
    "Ticket": ["A/5 21171", "PC 17599", "330877", "237736", "113572", "LINE"],
    "Fare": [7.25, 71.2833, 8.4583, 30.0708, 80.0, 0.0],
    "Cabin": [None, "C85", None, None, "B28", None],
    "Embarked": ["S", "C", "Q", "C", None, "S"],
}


def csv_text(rows: list[str] = ROWS, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def with_value(column: str, value: str, row: int = 1) -> str:
    """The hand-written train.csv with ``column`` of data row ``row`` (1-based) set to ``value``, every cell quoted."""
    rows = [next(csv.reader([line])) for line in ROWS]
    rows[row - 1][HEADER.split(",").index(column)] = value
    return csv_text([",".join('"' + cell.replace('"', '""') + '"' for cell in cells) for cells in rows])


def refused(message: str) -> pytest.RaisesExc:
    return pytest.raises(PipelineError, match="^" + re.escape(message) + "$")


def test_kaggle_rows_are_typed_as_written(tmp_path: Path) -> None:
    path = tmp_path / "train.csv"
    path.write_text(csv_text(), encoding="utf-8")
    table = parse_passengers(path.read_text(encoding="utf-8"), str(path), TRAIN_SCHEMA)
    assert [(field.name, field.type) for field in table.schema] == TRAIN_FIELDS
    assert table.to_pydict() == EXPECTED  # quoted commas kept in the Name, empty cells missing


def test_the_test_file_has_every_column_but_survived() -> None:
    header = HEADER.replace(",Survived", "")
    rows = [re.sub(r"^(\d+),\d,", r"\1,", line) for line in ROWS]
    table = parse_passengers(csv_text(rows, header), "test.csv", TEST_SCHEMA)
    assert [(field.name, field.type) for field in table.schema] == [f for f in TRAIN_FIELDS if f[0] != "Survived"]
    assert table.to_pydict() == {name: values for name, values in EXPECTED.items() if name != "Survived"}


def test_columns_in_any_order_and_extra_columns_are_ignored() -> None:
    header = "Embarked,Comment,Cabin,Fare,Ticket,Parch,SibSp,Age,Sex,Name,Pclass,Survived,PassengerId"
    row = 'S,"ignored, really",,7.25,A/5 21171,0,1,22,male,"Braund, Mr. Owen Harris",3,0,1'
    table = parse_passengers(csv_text([row], header), "train.csv", TRAIN_SCHEMA)
    assert table.column_names == [name for name, _ in TRAIN_FIELDS]
    assert table.to_pylist() == [{name: values[0] for name, values in EXPECTED.items()}]


def test_a_byte_order_mark_is_not_part_of_the_first_column_name(tmp_path: Path) -> None:
    """Excel's "CSV UTF-8" starts the file with U+FEFF; the header is still PassengerId, Survived, ..."""
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + csv_text().encode("utf-8"))
    table = parse_passengers(path.read_text(encoding="utf-8"), str(path), TRAIN_SCHEMA)
    assert table.to_pydict() == EXPECTED


def test_values_are_stripped_and_blank_lines_skipped() -> None:
    rows = ["", ' 1 , 0 , 3 ,"Braund, Mr. Owen Harris", male , 22 ,1,0, A/5 21171 ,7.25, , S ', "", ""]
    table = parse_passengers(csv_text(rows), "train.csv", TRAIN_SCHEMA)
    assert table.to_pylist() == [{name: values[0] for name, values in EXPECTED.items()}]
    # a blank line still counts as a line: the row numbers are those of the file (row n = line n + 1)
    rows = [ROWS[0], "", ROWS[1].replace(",female,", ",Female,")]
    with refused("train.csv: row 3, column 'Sex': 'Female' is not one of female, male"):
        parse_passengers(csv_text(rows), "train.csv", TRAIN_SCHEMA)


NOT_DECIMAL = "is not a decimal number (ASCII digits with at most one '.' and an optional exponent, as 7.25 or 1e2)"


@pytest.mark.parametrize(
    ("column", "value", "error"),
    [
        ("Age", "twenty", f"'twenty' {NOT_DECIMAL}"),
        ("Age", "-0.5", "'-0.5' is not an age from 0 to 150"),
        ("Age", "150.01", "'150.01' is not an age from 0 to 150"),
        ("Age", "1e300", "'1e300' is not an age from 0 to 150"),
        ("Fare", "1000000.5", "'1000000.5' is not a fare from 0 to 1,000,000"),
        ("Fare", "1e200", "'1e200' is not a fare from 0 to 1,000,000"),
        ("Fare", "1e400", "'1e400' is not a fare from 0 to 1,000,000"),  # beyond float64: read as inf
        ("Fare", "-7.25", "'-7.25' is not a fare from 0 to 1,000,000"),
        # what Python's float() reads, but no spreadsheet writes for a number
        ("Fare", "nan", f"'nan' {NOT_DECIMAL}"),
        ("Fare", "inf", f"'inf' {NOT_DECIMAL}"),
        ("Fare", "Infinity", f"'Infinity' {NOT_DECIMAL}"),
        ("Age", "2_8", f"'2_8' {NOT_DECIMAL}"),  # float() gives 28.0
        ("Fare", "7_25", f"'7_25' {NOT_DECIMAL}"),  # float() gives 725.0
        ("Age", "\uff13\uff10", f"'\uff13\uff10' {NOT_DECIMAL}"),  # fullwidth 30: float() gives 30.0
        ("Age", "\u0663\u0660", f"'\u0663\u0660' {NOT_DECIMAL}"),  # Arabic-Indic 30
        ("Fare", "7,25", f"'7,25' {NOT_DECIMAL}"),  # a decimal comma
        ("Fare", "7.2.5", f"'7.2.5' {NOT_DECIMAL}"),
        ("Fare", "0x1f", f"'0x1f' {NOT_DECIMAL}"),
        ("Fare", "1e", f"'1e' {NOT_DECIMAL}"),
        ("Fare", ".", f"'.' {NOT_DECIMAL}"),
        ("SibSp", "1_0", f"'1_0' {NOT_DECIMAL}"),  # float() gives 10.0
        ("SibSp", "1.5", "'1.5' is not a whole number"),
        ("SibSp", "one", f"'one' {NOT_DECIMAL}"),
        ("Parch", "-1", "'-1' is not a count >= 0"),
        ("PassengerId", "1e", f"'1e' {NOT_DECIMAL}"),
        ("Pclass", "0", "'0' is not one of 1, 2, 3"),
        ("Pclass", "4", "'4' is not one of 1, 2, 3"),
        ("Survived", "2", "'2' is not one of 0, 1"),
        ("Survived", "-1", "'-1' is not one of 0, 1"),
        ("Sex", "Male", "'Male' is not one of female, male"),
        ("Embarked", "s", "'s' is not one of C, Q, S"),
        ("Embarked", "CQ", "'CQ' is not one of C, Q, S"),
    ],
)
def test_a_wrong_value_is_one_line_naming_file_row_and_column(column: str, value: str, error: str) -> None:
    with refused(f"mirror/train.csv: row 2, column '{column}': {error}"):
        parse_passengers(with_value(column, value, row=2), "mirror/train.csv", TRAIN_SCHEMA)


@pytest.mark.parametrize(
    ("column", "value", "typed"),
    [
        ("Age", "0", 0.0),
        ("Age", "0.42", 0.42),  # Kaggle's youngest passenger
        ("Age", "150", 150.0),
        ("Age", "80.", 80.0),
        ("Age", ".5", 0.5),
        ("Age", "+22", 22.0),
        ("Fare", "0", 0.0),
        ("Fare", "512.3292", 512.3292),  # Kaggle's dearest ticket
        ("Fare", "1e6", 1_000_000.0),
        ("Fare", "7.25E0", 7.25),
        ("Fare", "1000000.0", 1_000_000.0),
        ("SibSp", "0", 0),
        ("Parch", "0", 0),
        ("Parch", "6.0", 6),  # a whole number written as a float
        ("Pclass", "1", 1),
        ("Pclass", "3", 3),
        ("Survived", "0", 0),
        ("Survived", "1", 1),
        ("Sex", "female", "female"),
        ("Embarked", "Q", "Q"),
        ("PassengerId", "2147483647", 2147483647),  # the largest int32
        ("SibSp", "32767", 32767),  # the largest int16
    ],
)
def test_values_at_the_edges_are_accepted(column: str, value: str, typed: object) -> None:
    table = parse_passengers(with_value(column, value, row=3), "train.csv", TRAIN_SCHEMA)
    assert table.column(column).to_pylist()[2] == typed


@pytest.mark.parametrize(("column", "value"), [("PassengerId", "2147483648"), ("Parch", "32768")])
def test_a_value_beyond_its_column_type_is_refused(column: str, value: str) -> None:
    with pytest.raises(PipelineError, match=r"^train\.csv: value out of range for its column type \("):
        parse_passengers(with_value(column, value), "train.csv", TRAIN_SCHEMA)


@pytest.mark.parametrize("column", ["PassengerId", "Survived", "Pclass", "Name", "Sex", "SibSp", "Parch"])
def test_an_empty_required_value_is_refused(column: str) -> None:
    with refused(f"train.csv: row 4, column '{column}': missing value"):
        parse_passengers(with_value(column, " ", row=4), "train.csv", TRAIN_SCHEMA)


@pytest.mark.parametrize("column", ["Age", "Ticket", "Fare", "Cabin", "Embarked"])
def test_an_empty_optional_value_is_missing(column: str) -> None:
    table = parse_passengers(with_value(column, "", row=2), "train.csv", TRAIN_SCHEMA)
    expected = list(EXPECTED[column])
    expected[1] = None
    assert table.column(column).to_pylist() == expected


def test_text_of_256_characters_is_kept_and_257_refused() -> None:
    name = "Rothes, the Countess. of (Lucy Noel Martha Dyer-Edwards) " * 5  # 290 characters
    table = parse_passengers(with_value("Name", name[:256]), "train.csv", TRAIN_SCHEMA)
    assert table.column("Name").to_pylist()[0] == name[:256]
    for column in ("Name", "Ticket", "Cabin"):
        with refused(f"train.csv: row 1, column '{column}': {name[:40]!r}... is longer than 256 characters"):
            parse_passengers(with_value(column, name[:257]), "train.csv", TRAIN_SCHEMA)


def blank_everywhere(columns: list[str], header: str = HEADER) -> str:
    """The hand-written rows (as in ``header``'s layout) with ``columns`` empty in every row."""
    names = header.split(",")
    rows = []
    for line in ROWS:
        cells = dict(zip(HEADER.split(","), next(csv.reader([line])), strict=True))
        cells |= dict.fromkeys(columns, "")
        rows.append(",".join('"' + cells[name] + '"' for name in names))
    return csv_text(rows, header)


@pytest.mark.parametrize("column", ["Age", "Fare", "Embarked"])
def test_training_passengers_need_a_value_in_each_column_the_model_imputes(column: str) -> None:
    with refused(
        f"train.csv: column '{column}' is empty in every row; training needs some values to fill the missing ones"
    ):
        parse_passengers(blank_everywhere([column]), "train.csv", TRAIN_SCHEMA)


def test_passengers_to_predict_may_lack_every_imputed_value_and_training_every_cabin() -> None:
    header = HEADER.replace(",Survived", "")
    table = parse_passengers(blank_everywhere(["Age", "Fare", "Embarked"], header), "test.csv", TEST_SCHEMA)
    assert table.column("Age").null_count == table.column("Embarked").null_count == len(ROWS)
    table = parse_passengers(blank_everywhere(["Ticket", "Cabin"]), "train.csv", TRAIN_SCHEMA)
    assert table.column("Cabin").null_count == len(ROWS)


def test_the_imputed_optional_columns_are_those_the_model_imputes() -> None:
    """The parser's list is the model's columns that may be empty (the parser does not import scikit-learn)."""
    imputed = [name for name in [*NUMERIC, *CATEGORICAL] if CONVERTERS[name][1]]
    assert sorted(imputed) == sorted(IMPUTED_OPTIONAL) == ["Age", "Embarked", "Fare"]


def test_a_bad_value_is_shown_whole_up_to_40_characters() -> None:
    forty = "x" * 40
    with refused(f"train.csv: row 1, column 'Age': '{forty}' {NOT_DECIMAL}"):
        parse_passengers(with_value("Age", forty), "train.csv", TRAIN_SCHEMA)
    with refused(f"train.csv: row 1, column 'Age': '{forty}'... {NOT_DECIMAL}"):
        parse_passengers(with_value("Age", forty + "y"), "train.csv", TRAIN_SCHEMA)


@pytest.mark.parametrize(
    ("drop", "missing"), [(["Sex"], "Sex"), (["Fare", "PassengerId"], "PassengerId, Fare"), (["Embarked"], "Embarked")]
)
def test_missing_columns_are_named_in_kaggle_order(tmp_path: Path, drop: list[str], missing: str) -> None:
    names = [name for name in HEADER.split(",") if name not in drop]
    path = tmp_path / "new.csv"
    path.write_text(csv_text([",".join("1" for _ in names)], ",".join(names)), encoding="utf-8")
    with refused(f"{path}: missing required column(s) {missing}"):
        parse_passengers(path.read_text(encoding="utf-8"), str(path), TRAIN_SCHEMA)


def test_column_names_are_stripped_as_values_are() -> None:
    """``PassengerId, Survived, ...`` (a space after each comma) names the same columns."""
    for header in (HEADER.replace(",", ", "), " " + HEADER.replace(",", " ,\t") + " "):
        assert parse_passengers(csv_text(header=header), "train.csv", TRAIN_SCHEMA).to_pydict() == EXPECTED


@pytest.mark.parametrize(("separator", "shown"), [(";", "';'"), ("\t", "tabs")])
def test_a_file_separated_otherwise_is_named_so(separator: str, shown: str) -> None:
    """European Excel's "CSV" (';') and "Text (Tab delimited)": one line saying so, not every column missing."""
    rows = [separator.join(next(csv.reader([line]))) for line in ROWS]  # Kaggle's names hold no ';' or tab
    text = csv_text(rows, HEADER.replace(",", separator))
    with refused(f"excel.csv: the file is separated by {shown} where ',' is expected"):
        parse_passengers(text, "excel.csv", TRAIN_SCHEMA)
    with refused(f"excel.csv: the file is separated by {shown} where ',' is expected"):  # names padded too
        parse_passengers(text.replace(separator, " " + separator + " "), "excel.csv", TRAIN_SCHEMA)


def test_a_column_named_twice_is_refused() -> None:
    """Which Age would be meant is not for the parser to guess; an extra column named twice is ignored as before."""
    text = csv_text([line + ",30" for line in ROWS], HEADER + ",Age")
    with refused("train.csv: column 'Age' appears 2 times in the header (columns 6, 13)"):
        parse_passengers(text, "train.csv", TRAIN_SCHEMA)
    text = csv_text([line + ",30" for line in ROWS], HEADER + ", Age ")
    with refused("train.csv: column 'Age' appears 2 times in the header (columns 6, 13)"):
        parse_passengers(text, "train.csv", TRAIN_SCHEMA)
    text = csv_text([line + ",a,b" for line in ROWS], HEADER + ",Comment,Comment")
    assert parse_passengers(text, "train.csv", TRAIN_SCHEMA).to_pydict() == EXPECTED


@pytest.mark.parametrize("text", ["", "\n", "\n\n"])
def test_an_empty_file_is_refused(text: str) -> None:
    with refused("empty.csv: empty file, expected a header row"):
        parse_passengers(text, "empty.csv", TRAIN_SCHEMA)


@pytest.mark.parametrize("text", [HEADER, HEADER + "\n", HEADER + "\n\n\n"])
def test_a_header_without_rows_is_refused(text: str) -> None:
    with refused("train.csv: no data rows"):
        parse_passengers(text, "train.csv", TRAIN_SCHEMA)


def test_a_row_with_too_many_or_too_few_fields_is_refused() -> None:
    with refused("train.csv: row 2 has 13 fields, the header has 12"):
        parse_passengers(csv_text([ROWS[0], ROWS[1] + ",extra"]), "train.csv", TRAIN_SCHEMA)
    with refused("train.csv: row 1 has 11 fields, the header has 12"):
        parse_passengers(csv_text([ROWS[0].rsplit(",", 1)[0]]), "train.csv", TRAIN_SCHEMA)


def test_duplicate_passenger_ids_are_refused() -> None:
    with refused("train.csv: column 'PassengerId' has duplicate values"):
        parse_passengers(csv_text([*ROWS, ROWS[3]]), "train.csv", TRAIN_SCHEMA)


def test_text_that_is_not_csv_names_its_line() -> None:
    """A field longer than the csv module's limit (131,072 characters) is a CSV error, not a crash."""
    text = csv_text([ROWS[0], ROWS[1], '3,1,3,"' + "x" * 140_000 + '",female,26,0,0,1,7.9,,S'])
    with pytest.raises(PipelineError, match=r"^train\.csv: line 4 is not readable as CSV \(field larger than"):
        parse_passengers(text, "train.csv", TRAIN_SCHEMA)


def passengers_csv(n: int) -> str:
    """``n`` valid passengers, ids 1..n."""
    return csv_text([f"{i},0,3,Name {i},male,30,0,0,,7.25,,S" for i in range(1, n + 1)])


def test_ten_thousand_passengers_are_accepted_and_one_more_refused() -> None:
    assert parse_passengers(passengers_csv(10_000), "big.csv", TRAIN_SCHEMA).num_rows == 10_000
    with refused("big.csv: row 10001: more than the 10,000 passengers allowed"):
        parse_passengers(passengers_csv(10_001), "big.csv", TRAIN_SCHEMA)
