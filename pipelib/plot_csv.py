"""Plot data files for ``dvc plots``: small CSVs with fixed formatting."""

from __future__ import annotations

import os

import numpy as np

from pipelib.atomic import write_text
from pipelib.csv_cells import csv_lines, header_line


def write_csv(target: str | os.PathLike[str], columns: dict[str, np.ndarray]) -> None:
    """Write equal-length columns as CSV; floats with 6 significant digits so diffs stay readable.

    Text cells are neutralised against spreadsheet formulas (:mod:`pipelib.csv_cells`).
    """
    write_text(target, header_line(columns) + "".join(csv_lines(columns, _float_cell)))


def _float_cell(value: float) -> str:
    return f"{value:.6g}"
