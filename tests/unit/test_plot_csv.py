"""Plot data CSVs for ``dvc plots``: the text is written out here, cell by cell."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipelib.plot_csv import write_csv


def test_columns_as_csv_text(tmp_path: Path) -> None:
    path = tmp_path / "curve.csv"
    write_csv(
        path,
        {
            "threshold": np.array([0.5, 1 / 3, 1234567.0, -2.0]),
            "count": np.array([1, 20, 300, 0]),
            "label": np.array(["a", "b", "c", "d"]),
            "precision": np.array([0.1, 0.25, 1.0, 0.0], dtype=np.float32),
        },
    )
    # floats: 6 significant digits ("%.6g"); integers and text as they are; "\n" line ends, one at the end
    lines = [
        b"threshold,count,label,precision",
        b"0.5,1,a,0.1",
        b"0.333333,20,b,0.25",
        b"1.23457e+06,300,c,1",
        b"-2,0,d,0",
    ]
    assert path.read_bytes() == b"".join(line + b"\n" for line in lines)


def test_no_rows_is_a_header_line(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    write_csv(path, {"fpr": np.array([]), "tpr": np.array([])})
    assert path.read_bytes() == b"fpr,tpr\n"


def test_columns_of_different_lengths_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    with pytest.raises(ValueError):
        write_csv(path, {"x": np.arange(3), "y": np.arange(2)})
    assert not path.exists()
