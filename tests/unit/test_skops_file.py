"""Model files with skops: round trip, the same bytes for the same fit, bounds and trust checked before reading."""

from __future__ import annotations

import io
import os
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
from numpy.lib import format as npy_format
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from pipelib import skops_file
from pipelib.errors import PipelineError

ROWS = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0], [4.0, 1.0], [5.0, 0.0]])
TARGET = np.array([0, 0, 0, 1, 1, 1])
TRUSTED = ("numpy.dtype", "sklearn.tree._tree.Tree")


def forest() -> Pipeline:
    model = RandomForestClassifier(n_estimators=3, random_state=0)
    return Pipeline([("scale", StandardScaler()), ("model", model)]).fit(ROWS, TARGET)


def refused(path: Path, message: str, **bounds: int) -> None:
    with pytest.raises(PipelineError, match="^" + re.escape(f"{path}: {message}")):
        skops_file.load(path, TRUSTED, **bounds)


def rewritten(source: Path, target: Path, extra: dict[str, bytes]) -> Path:
    """A copy of a skops file with entries added or replaced."""
    with zipfile.ZipFile(source) as archive:
        entries = {info.filename: archive.read(info) for info in archive.infolist()}
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in {**entries, **extra}.items():
            archive.writestr(name, content)
    return target


def test_round_trip_predicts_the_same(tmp_path: Path) -> None:
    model = forest()
    skops_file.save(model, tmp_path / "m.skops")
    loaded = skops_file.load(tmp_path / "m.skops", TRUSTED)
    np.testing.assert_array_equal(loaded.predict_proba(ROWS), model.predict_proba(ROWS))
    assert [name for name, _ in loaded.steps] == ["scale", "model"]


def test_the_same_fit_gives_the_same_bytes(tmp_path: Path) -> None:
    skops_file.save(forest(), tmp_path / "a.skops")
    skops_file.save(forest(), tmp_path / "b.skops")  # new objects at other addresses, saved at another time
    assert (tmp_path / "a.skops").read_bytes() == (tmp_path / "b.skops").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.skops") as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert archive.namelist()[0] == "schema.json"
        assert sorted(archive.namelist()[1:], key=lambda name: int(name.split(".")[0])) == archive.namelist()[1:]
    refit = Pipeline([("scale", StandardScaler()), ("model", RandomForestClassifier(n_estimators=3, random_state=1))])
    skops_file.save(refit.fit(ROWS, TARGET), tmp_path / "c.skops")  # control: another fit, other bytes
    assert (tmp_path / "c.skops").read_bytes() != (tmp_path / "a.skops").read_bytes()


def test_a_type_beyond_skops_defaults_needs_naming(tmp_path: Path) -> None:
    path = tmp_path / "m.skops"
    skops_file.save(forest(), path)
    message = f"{path}: refused, it holds the untrusted type sklearn.tree._tree.Tree"
    with pytest.raises(PipelineError, match="^" + re.escape(message) + "$"):
        skops_file.load(path, ())


def test_a_function_inside_a_model_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "m.skops"
    skops_file.save(Pipeline([("f", FunctionTransformer(os.system)), ("model", LogisticRegression())]), path)
    refused(path, "refused, it holds the untrusted type posix.system")


def test_a_deflate_bomb_is_refused_before_it_is_unpacked(tmp_path: Path) -> None:
    skops_file.save(forest(), tmp_path / "m.skops")
    bomb = rewritten(tmp_path / "m.skops", tmp_path / "bomb.skops", {"zeros.bin": bytes(8 * 1024**2)})
    assert bomb.stat().st_size < 100_000  # 8 MiB of zeros deflate to a few kB
    refused(bomb, "its entries unpack to", max_unpacked=4 * 1024**2)


def test_a_huge_npy_header_is_refused_before_anything_is_allocated(tmp_path: Path) -> None:
    skops_file.save(forest(), tmp_path / "m.skops")
    with zipfile.ZipFile(tmp_path / "m.skops") as archive:
        npy = next(name for name in archive.namelist() if name.endswith(".npy"))
    header = io.BytesIO()
    npy_format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (2**45,)})
    crafted = rewritten(tmp_path / "m.skops", tmp_path / "huge.skops", {npy: header.getvalue() + bytes(8)})
    refused(crafted, f"entry '{npy}' is {len(header.getvalue()) + 8:,} bytes, its header claims")
    long = io.BytesIO()
    npy_format.write_array_header_2_0(long, {"descr": "<f8", "fortran_order": False, "shape": (1,), "x": "a" * 9000})
    crafted = rewritten(tmp_path / "m.skops", tmp_path / "long.skops", {npy: long.getvalue() + bytes(8)})
    refused(crafted, "not a readable model file (ValueError: Header info length")


def test_too_many_entries_and_files_that_are_no_skops_zip_are_refused(tmp_path: Path) -> None:
    skops_file.save(forest(), tmp_path / "m.skops")
    many = {f"x{index}.bin": b"" for index in range(skops_file.MAX_ENTRIES)}
    refused(rewritten(tmp_path / "m.skops", tmp_path / "many.skops", many), "10,0")
    pickle = tmp_path / "p.skops"
    pickle.write_bytes(b"\x80\x04K\x01.")
    refused(pickle, "refused, a pickle file (expected a skops zip archive)")
    (tmp_path / "text.skops").write_text("not a model", encoding="utf-8")
    refused(tmp_path / "text.skops", "not a model file (expected a skops zip archive)")
    empty_zip = tmp_path / "z.skops"
    with zipfile.ZipFile(empty_zip, "w") as archive:
        archive.writestr("other.json", "{}")
    refused(empty_zip, "not a skops model file (no schema.json")
    refused(tmp_path / "absent.skops", "model file not found")
    truncated = tmp_path / "t.skops"
    truncated.write_bytes((tmp_path / "m.skops").read_bytes()[:500])
    refused(truncated, "not a readable model file")


def test_a_column_transformer_pipeline_round_trips(tmp_path: Path) -> None:
    columns = ColumnTransformer([("num", StandardScaler(), [0])], remainder="passthrough")
    model = Pipeline([("preprocess", columns), ("model", LogisticRegression())]).fit(ROWS, TARGET)
    skops_file.save(model, tmp_path / "m.skops")
    loaded = skops_file.load(tmp_path / "m.skops", TRUSTED)
    np.testing.assert_array_equal(loaded.decision_function(ROWS), model.decision_function(ROWS))
