"""CSV cells as every CSV the project writes formats them: no text cell can start a spreadsheet formula.

File names and model files come from users, and a spreadsheet runs a cell starting with ``=``,
``+``, ``-`` or ``@``: such text gets a quote before it, in double quotes (OWASP's "CSV
Injection"). Numbers stay numbers (a negative score stays ``-0.25``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping

import numpy as np

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NEEDS_QUOTES = (",", '"', "\n", "\r")


def _printable(text: str) -> str:
    """Text that encodes as UTF-8: bytes a file name decoded with surrogateescape come back as ``\\xff``."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a lone surrogate no file name has
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def text_cell(text: str) -> str:
    """One text cell: quoted when it holds a separator, and ``"'..."`` when it would start a formula."""
    text = _printable(text)
    if text.startswith(FORMULA_STARTS):
        return "\"'" + text.replace('"', '""') + '"'
    if any(mark in text for mark in NEEDS_QUOTES):
        return '"' + text.replace('"', '""') + '"'
    return text


def column_cells(values: np.ndarray, float_cell: Callable[[float], str]) -> Iterable[str]:
    """A column's cells: floats by ``float_cell``, integers and booleans as Python prints them, text neutralised."""
    values = np.asarray(values)
    if values.dtype.kind == "f":
        return map(float_cell, values.tolist())
    if values.dtype.kind in "biu":
        return map(str, values.tolist())
    return (_any_cell(value, float_cell) for value in values.tolist())


def _any_cell(value: object, float_cell: Callable[[float], str]) -> str:
    """A cell of a mixed (object) column: numbers stay numbers, anything else is text."""
    if isinstance(value, float | np.floating):
        return float_cell(float(value))
    if isinstance(value, int | np.integer):  # bool included
        return str(value)
    return text_cell(str(value))


def csv_lines(columns: Mapping[str, np.ndarray], float_cell: Callable[[float], str]) -> Iterator[str]:
    """The rows of equal-length columns as CSV lines (no header, each ending in a newline)."""
    cells = [column_cells(values, float_cell) for values in columns.values()]
    return (",".join(row) + "\n" for row in zip(*cells, strict=True))


def header_line(names: Iterable[str]) -> str:
    """The header row, its names neutralised like any text cell."""
    return ",".join(text_cell(name) for name in names) + "\n"
