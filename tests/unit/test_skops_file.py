"""Model files with skops: round trip, the same bytes for the same fit, bounds and trust checked before reading."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import helpers
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


@pytest.mark.parametrize("metric", [{"metric": "manhattan"}, {"p": 1}, {"metric": "chebyshev"}, {}])
def test_a_knn_tree_of_an_array_free_metric_loads(tmp_path: Path, metric: dict[str, object]) -> None:
    from sklearn.neighbors import KNeighborsClassifier

    model = KNeighborsClassifier(n_neighbors=3, algorithm="kd_tree", **metric).fit(ROWS, TARGET)
    skops_file.save(model, tmp_path / "m.skops")
    loaded = skops_file.load(tmp_path / "m.skops", skops_file.ESTIMATOR_TYPES)
    np.testing.assert_array_equal(loaded.predict_proba(ROWS), model.predict_proba(ROWS))


def test_a_knn_tree_of_a_metric_with_arrays_is_not_saved(tmp_path: Path) -> None:
    """Minkowski weights set its distance loop's bound: a crafted file could make it read out of bounds, so load
    refuses the type; save refuses it first, naming the params, and writes nothing."""
    from sklearn.neighbors import KNeighborsClassifier

    model = KNeighborsClassifier(n_neighbors=3, algorithm="kd_tree", p=3).fit(ROWS, TARGET)
    with pytest.raises(PipelineError) as error:
        skops_file.save(model, tmp_path / "m.skops", "mnist.models.knn.params")
    assert str(error.value) == (
        "params.yaml: 'mnist.models.knn.params' gives a model holding "
        "sklearn.metrics._dist_metrics.MinkowskiDistance64, a type model files may not hold (docs/trust.md)"
    )
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "m.skops").write_bytes(skops_file.sio.dumps(model))  # what save refused: load refuses it too
    with pytest.raises(PipelineError, match=re.escape("type sklearn.metrics._dist_metrics.MinkowskiDistance64") + "$"):
        skops_file.load(tmp_path / "m.skops", skops_file.ESTIMATOR_TYPES)


def test_a_fresh_process_trusts_skops_defaults_and_no_more(tmp_path: Path) -> None:
    """A stage process imports skops without its estimator list (to start faster); loading must still trust
    every scikit-learn estimator skops trusts by default, and still refuse what skops refuses."""
    columns = ColumnTransformer([("num", StandardScaler(), [0])], remainder="passthrough")
    skops_file.save(
        Pipeline([("preprocess", columns), ("model", LogisticRegression())]).fit(ROWS, TARGET), tmp_path / "a"
    )
    skops_file.save(Pipeline([("f", FunctionTransformer(os.system)), ("model", LogisticRegression())]), tmp_path / "b")
    load = "from pipelib import skops_file; import sys; print(type(skops_file.load(sys.argv[1], ())).__name__)"
    loaded = subprocess.run(
        [sys.executable, "-c", load, tmp_path / "a"], capture_output=True, text=True, cwd=helpers.REPO_ROOT
    )
    assert (loaded.returncode, loaded.stdout) == (0, "Pipeline\n"), loaded.stderr
    refused = subprocess.run(
        [sys.executable, "-c", load, tmp_path / "b"], capture_output=True, text=True, cwd=helpers.REPO_ROOT
    )
    assert "refused, it holds the untrusted type posix.system" in refused.stderr


def test_the_first_load_lists_the_estimators_skops_trusts_by_default(tmp_path: Path) -> None:
    """In this process too skops may have been imported without its list: emptied, the first load refills it with
    every scikit-learn estimator (skops's definition: sklearn.utils.all_estimators(), sklearn's own modules)."""
    from sklearn.utils import all_estimators
    from skops.io import _trusted_types

    skops_file.save(forest(), tmp_path / "m.skops")
    names = _trusted_types.SKLEARN_ESTIMATOR_TYPE_NAMES
    saved = names[:]
    expected = {
        f"{cls.__module__}.{cls.__name__}" for _, cls in all_estimators() if cls.__module__.startswith("sklearn.")
    }
    names.clear()
    try:
        assert type(skops_file.load(tmp_path / "m.skops", TRUSTED)).__name__ == "Pipeline"
        assert set(names) == expected and len(names) == len(expected) > 100
        assert "sklearn.ensemble._forest.RandomForestClassifier" in names
    finally:
        names[:] = saved


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


# --- what save writes -------------------------------------------------------------------------------


def test_saved_entries_are_deflated_rw_r__r__and_dated_1980(tmp_path: Path) -> None:
    skops_file.save(forest(), tmp_path / "m.skops")
    with zipfile.ZipFile(tmp_path / "m.skops") as archive:
        for info in archive.infolist():
            assert info.compress_type == zipfile.ZIP_DEFLATED
            assert info.external_attr == 0o644 << 16  # Unix mode in the high 16 bits
            assert info.date_time == (1980, 1, 1, 0, 0, 0)


# --- hostile files: refused in one line, before anything large is unpacked or allocated ---------------

PEAK_LIMIT = 8 << 20  # bytes; the arrays refused below are 512 MiB and 256 TiB


def peak_while(call: Callable[[], object]) -> int:
    """Peak traced memory (bytes) while ``call`` runs and raises its PipelineError."""
    tracemalloc.start()
    try:
        with pytest.raises(PipelineError):
            call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_2_mb_file_inflating_to_1600_mib_costs_little_to_refuse(tmp_path: Path) -> None:
    path = tmp_path / "bomb.skops"
    path.write_bytes(helpers.deflate_bomb())
    assert path.stat().st_size < 2_000_000
    refused(path, "its entries unpack to 1,67")
    # the file itself is read whole, its entries are not unpacked
    assert peak_while(lambda: skops_file.load(path, TRUSTED, max_unpacked=2 << 20)) < PEAK_LIMIT


def test_a_header_claiming_2_45_values_costs_little_to_refuse(tmp_path: Path) -> None:
    skops_file.save(forest(), tmp_path / "m.skops")
    with zipfile.ZipFile(tmp_path / "m.skops") as archive:
        npy = next(name for name in archive.namelist() if name.endswith(".npy"))
    crafted = rewritten(tmp_path / "m.skops", tmp_path / "huge.skops", {npy: helpers.npy_header((2**45,)) + bytes(8)})
    refused(crafted, "entry ", max_unpacked=2 << 20)
    assert peak_while(lambda: skops_file.load(crafted, TRUSTED, max_unpacked=2 << 20)) < PEAK_LIMIT


def npy(array: np.ndarray) -> bytes:
    stream = io.BytesIO()
    np.save(stream, array)
    return stream.getvalue()


def test_an_entry_longer_than_its_header_announces_is_refused(tmp_path: Path) -> None:
    skops_file.save(forest(), tmp_path / "m.skops")
    entry = npy(np.zeros(3)) + bytes(8)  # one value too many
    crafted = rewritten(tmp_path / "m.skops", tmp_path / "long.skops", {"extra.npy": entry})
    refused(crafted, f"entry 'extra.npy' is {len(entry):,} bytes, its header claims {len(entry) - 8:,}")


def test_an_object_array_is_refused_by_its_header(tmp_path: Path) -> None:
    skops_file.save(forest(), tmp_path / "m.skops")
    stream = io.BytesIO()
    npy_format.write_array_header_1_0(stream, {"descr": "|O", "fortran_order": False, "shape": (1,)})
    entry = stream.getvalue() + bytes(8)
    crafted = rewritten(tmp_path / "m.skops", tmp_path / "object.skops", {"object.npy": entry})
    refused(crafted, f"entry 'object.npy' is {len(entry):,} bytes")


def test_a_file_larger_than_any_model_is_refused_by_its_size(tmp_path: Path) -> None:
    bound = 1000
    path = tmp_path / "big.skops"
    path.write_bytes(bytes(bound + 2**20 + 1))
    refused(path, f"{bound + 2**20 + 1:,} bytes, more than the {bound + 2**20:,} allowed", max_unpacked=bound)
    path.write_bytes(bytes(bound + 2**20))  # at the bound: read, and refused for what it is
    refused(path, "not a model file (expected a skops zip archive)", max_unpacked=bound)


def test_an_entry_given_twice_is_refused(tmp_path: Path) -> None:
    skops_file.save(forest(), tmp_path / "m.skops")
    twice = tmp_path / "twice.skops"
    twice.write_bytes((tmp_path / "m.skops").read_bytes())
    with pytest.warns(UserWarning, match="Duplicate name"), zipfile.ZipFile(twice, "a") as archive:
        archive.writestr("schema.json", "{}")
    refused(twice, "not a skops model file (no schema.json, or an entry given twice)")


def patch_directory(path: Path, entry: str, offset: int, value: bytes) -> None:
    """Overwrite bytes of ``entry``'s central directory record, ``offset`` bytes from its signature
    (APPNOTE 4.3.12: ``PK\\x01\\x02``, at 8 the general purpose flags, at 46 the file name)."""
    data = bytearray(path.read_bytes())
    start = data.index(b"PK\x01\x02")
    while data[start + 46 : start + 46 + len(entry)] != entry.encode():
        start = data.index(b"PK\x01\x02", start + 4)
    data[start + offset : start + offset + len(value)] = value
    path.write_bytes(bytes(data))


def test_encrypted_and_otherwise_compressed_entries_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.skops"
    skops_file.save(forest(), path)
    bzip2 = tmp_path / "bzip2.skops"
    with zipfile.ZipFile(path) as archive, zipfile.ZipFile(bzip2, "w") as out:
        for info in archive.infolist():
            out.writestr(info.filename, archive.read(info), compress_type=zipfile.ZIP_BZIP2)
    refused(bzip2, "entry 'schema.json' is encrypted or uses an unsupported compression")
    patch_directory(path, "schema.json", 8, (0x1).to_bytes(2, "little"))
    refused(path, "entry 'schema.json' is encrypted or uses an unsupported compression")


def test_zip_features_not_read_are_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "m.skops"
    skops_file.save(forest(), path)
    patch_directory(path, "schema.json", 8, (0x20).to_bytes(2, "little"))
    refused(path, "not a readable model file (NotImplementedError: compressed patched data (flag bit 5))")
