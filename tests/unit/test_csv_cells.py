"""CSV cells: separators quoted, formula starts neutralised (OWASP's CSV Injection), numbers left as numbers.

Expected cells are typed out by hand from RFC 4180's quoting (a cell holding a comma, a double
quote or a line break is quoted, its quotes doubled) and OWASP's advice (a leading quote).
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from pipelib.csv_cells import column_cells, csv_lines, header_line, text_cell


def two_places(value: float) -> str:
    return f"{value:.2f}"


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ("plain", "plain"),
        ("a,b", '"a,b"'),
        ('say "hi"', '"say ""hi"""'),
        ("two\nlines", '"two\nlines"'),
        ("carriage\rreturn", '"carriage\rreturn"'),
        ("=1+1", '"\'=1+1"'),
        ("+1", '"\'+1"'),
        ("-0.25", '"\'-0.25"'),  # text that looks like a number is still text here
        ("@sum", '"\'@sum"'),
        ("\tx", '"\'\tx"'),
        ('=HYPERLINK("x")', '"\'=HYPERLINK(""x"")"'),
    ],
)
def test_text_cells(text: str, cell: str) -> None:
    assert text_cell(text) == cell


def test_undecodable_bytes_and_lone_surrogates_are_written_escaped() -> None:
    assert text_cell(os.fsdecode(b"a\xffb.png")) == "a\\xffb.png"
    assert text_cell("x\ud800y") == "x\\ud800y"
    assert text_cell("é") == "é"


def test_column_cells_keep_numbers_and_neutralise_text() -> None:
    assert list(column_cells(np.array([0.5, -0.25], dtype=np.float32), two_places)) == ["0.50", "-0.25"]
    assert list(column_cells(np.array([3, -1]), two_places)) == ["3", "-1"]
    assert list(column_cells(np.array([7], dtype=np.uint8), two_places)) == ["7"]
    assert list(column_cells(np.array([True, False]), two_places)) == ["True", "False"]
    mixed = np.array([1.5, 2, "=x", True, "a,b"], dtype=object)
    assert list(column_cells(mixed, two_places)) == ["1.50", "2", '"\'=x"', "True", '"a,b"']


def test_csv_lines_and_header() -> None:
    columns = {"name": np.array(["a", "=b"]), "score": np.array([0.125, -1.0])}
    assert list(csv_lines(columns, two_places)) == ["a,0.12\n", '"\'=b",-1.00\n']
    assert header_line(["name", "-score"]) == 'name,"\'-score"\n'
    with pytest.raises(ValueError):
        list(csv_lines({"a": np.array([1, 2]), "b": np.array([1])}, two_places))
