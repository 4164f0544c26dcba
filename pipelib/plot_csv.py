"""Plot data files for ``dvc plots``: small CSVs with fixed formatting."""

from __future__ import annotations

import os

import numpy as np

from pipelib.atomic import write_text


def write_csv(target: str | os.PathLike[str], columns: dict[str, np.ndarray]) -> None:
    """Write equal-length columns as CSV; floats with 6 significant digits so diffs stay readable."""
    names = list(columns)
    arrays = [np.asarray(columns[name]) for name in names]
    lines = [",".join(names)]
    for row in zip(*arrays, strict=True):
        lines.append(",".join(_cell(value) for value in row))
    write_text(target, "\n".join(lines) + "\n")


def _cell(value: object) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    return str(value)
