"""Parquet files between stages: round trips, byte-identical rewrites, schema checks, atomic writes."""

from __future__ import annotations

import os
import re
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import helpers
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelib.atomic import atomic_path, write_json, write_text
from pipelib.errors import PipelineError
from pipelib.mnist.dataset import MNIST_SCHEMA, mnist_table, read_mnist, read_mnist_labels, write_mnist
from pipelib.tables import column_values, iter_batches, read_table, use_system_allocator, value_bytes, write_table


@pytest.fixture
def digits() -> tuple[np.ndarray, np.ndarray]:
    """200 synthetic digits and labels."""
    return helpers.synthetic_digits(200, seed=0)


@pytest.fixture
def mnist_file(tmp_path: Path, digits: tuple[np.ndarray, np.ndarray]) -> Path:
    """The digits written with :func:`write_mnist`."""
    path = tmp_path / "mnist.parquet"
    write_mnist(*digits, path)
    return path


def raises_naming(path: Path, pattern: str = "") -> pytest.RaisesExc:
    """``pytest.raises(PipelineError)`` whose message names the file (and matches ``pattern``)."""
    return pytest.raises(PipelineError, match=re.escape(str(path)) + ".*" + pattern)


def test_round_trip(mnist_file: Path, digits: tuple[np.ndarray, np.ndarray]) -> None:
    pixels, labels = read_mnist(mnist_file)
    assert pixels.dtype == np.uint8
    assert labels.dtype == np.uint8
    assert pixels.shape == (200, 784)
    assert labels.shape == (200,)
    np.testing.assert_array_equal(pixels, digits[0])
    np.testing.assert_array_equal(labels, digits[1])
    np.testing.assert_array_equal(read_mnist_labels(mnist_file), digits[1])


def test_round_trip_of_empty_and_sliced_tables(tmp_path: Path, digits: tuple[np.ndarray, np.ndarray]) -> None:
    pixels, labels = digits
    write_mnist(pixels[:0], labels[:0], tmp_path / "empty.parquet")
    empty_pixels, empty_labels = read_mnist(tmp_path / "empty.parquet")
    assert empty_pixels.shape == (0, 784)
    assert empty_labels.shape == (0,)
    write_mnist(pixels[::3], labels[::3], tmp_path / "strided.parquet")  # a non-contiguous view
    np.testing.assert_array_equal(read_mnist(tmp_path / "strided.parquet")[0], pixels[::3])


def test_written_schema(mnist_file: Path) -> None:
    assert pq.read_schema(mnist_file).remove_metadata() == MNIST_SCHEMA


def test_same_data_gives_same_bytes(tmp_path: Path, digits: tuple[np.ndarray, np.ndarray]) -> None:
    write_mnist(*digits, tmp_path / "a.parquet")
    write_mnist(digits[0].copy(), digits[1].copy(), tmp_path / "b.parquet")
    write_mnist(*digits, tmp_path / "a.parquet")  # overwrite in place
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()


def test_mnist_table_refuses_wrong_arrays(digits: tuple[np.ndarray, np.ndarray]) -> None:
    pixels, labels = digits
    with pytest.raises(TypeError):
        mnist_table(pixels.astype(np.int64), labels)
    with pytest.raises(ValueError, match="784"):
        mnist_table(pixels[:, :783], labels)
    with pytest.raises(ValueError):
        mnist_table(pixels, labels[:-1])


def test_extra_column_refused(tmp_path: Path, digits: tuple[np.ndarray, np.ndarray]) -> None:
    table = mnist_table(*digits).append_column("extra", pa.array(np.zeros(200, dtype=np.uint8)))
    path = tmp_path / "extra.parquet"
    pq.write_table(table, path)
    with raises_naming(path, "extra"):
        read_mnist(path)


def test_missing_column_refused(tmp_path: Path, digits: tuple[np.ndarray, np.ndarray]) -> None:
    path = tmp_path / "labels-only.parquet"
    pq.write_table(mnist_table(*digits).select(["label"]), path)
    with raises_naming(path, "pixels"):
        read_mnist(path)


def test_wrong_dtype_refused(tmp_path: Path, digits: tuple[np.ndarray, np.ndarray]) -> None:
    table = mnist_table(*digits)
    table = table.set_column(0, "label", pa.array(digits[1].astype(np.int64)))
    path = tmp_path / "int64-labels.parquet"
    pq.write_table(table, path)
    with raises_naming(path, "'label' has type int64"):
        read_mnist(path)


def test_variable_length_pixels_refused(tmp_path: Path, digits: tuple[np.ndarray, np.ndarray]) -> None:
    table = pa.table(
        {"label": pa.array(digits[1]), "pixels": pa.array([list(row) for row in digits[0]], pa.list_(pa.uint8()))}
    )
    path = tmp_path / "list-pixels.parquet"
    pq.write_table(table, path)
    with raises_naming(path, "'pixels'"):
        read_mnist(path)


def test_label_above_nine_refused(tmp_path: Path, digits: tuple[np.ndarray, np.ndarray]) -> None:
    labels = digits[1].copy()
    labels[7] = 12
    path = tmp_path / "bad-label.parquet"
    write_mnist(digits[0], labels, path)
    with raises_naming(path, "12"):
        read_mnist(path)


def test_missing_values_refused(tmp_path: Path, digits: tuple[np.ndarray, np.ndarray]) -> None:
    table = mnist_table(*digits)
    labels = pa.array([None, *digits[1][1:].tolist()], type=pa.uint8())
    path = tmp_path / "null-label.parquet"
    pq.write_table(table.set_column(0, "label", labels), path)
    with raises_naming(path, "missing"):
        read_mnist(path)
    with raises_naming(path, "missing"):
        read_mnist_labels(path)


@pytest.mark.parametrize("keep", [0, 10, 1000, -8])
def test_truncated_file_refused(mnist_file: Path, keep: int) -> None:
    data = mnist_file.read_bytes()
    mnist_file.write_bytes(data[:keep])
    with raises_naming(mnist_file):
        read_mnist(mnist_file)


def test_corrupt_bytes_never_read_back_as_other_data(mnist_file: Path, digits: tuple[np.ndarray, np.ndarray]) -> None:
    """Flipping any 8 bytes gives a PipelineError naming the file, or (metadata hit) the same data."""
    original = mnist_file.read_bytes()
    silently_wrong = []
    for start in range(4, len(original) - 12, len(original) // 150):
        data = bytearray(original)
        data[start : start + 8] = bytes(byte ^ 0xFF for byte in data[start : start + 8])
        mnist_file.write_bytes(bytes(data))
        try:
            pixels, labels = read_mnist(mnist_file)
        except PipelineError as error:
            assert str(mnist_file) in str(error)
            continue
        if not (np.array_equal(pixels, digits[0]) and np.array_equal(labels, digits[1])):
            silently_wrong.append(start)
    assert not silently_wrong, f"corrupt bytes at {len(silently_wrong)} offsets read back as different data"


def test_not_parquet_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.parquet"
    path.write_text("label,pixels\n1,2\n", encoding="utf-8")
    with raises_naming(path, "not a readable parquet"):
        read_mnist(path)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.parquet"
    with raises_naming(path, "not found"):
        read_table(path, MNIST_SCHEMA, max_rows=10)


def test_a_directory_is_not_a_readable_parquet_file(tmp_path: Path) -> None:
    with raises_naming(tmp_path, "not a readable parquet file"):
        read_table(tmp_path, MNIST_SCHEMA, max_rows=10)


def test_iter_batches_gives_the_rows_in_order_with_the_file_row_count(
    mnist_file: Path, digits: tuple[np.ndarray, np.ndarray]
) -> None:
    batches = list(iter_batches(mnist_file, MNIST_SCHEMA, max_rows=200, batch_rows=64))
    assert [(rows, batch.num_rows) for rows, batch in batches] == [(200, 64), (200, 64), (200, 64), (200, 8)]
    labels = np.concatenate([batch.column("label").to_numpy() for _, batch in batches])
    np.testing.assert_array_equal(labels, digits[1])
    with raises_naming(mnist_file, "200 rows, more than the 199"):
        next(iter_batches(mnist_file, MNIST_SCHEMA, max_rows=199, batch_rows=64))


def test_iter_batches_refuses_corrupt_pages_in_one_line(mnist_file: Path) -> None:
    """A page's bytes flipped: its checksum fails as the batch is read, and the error names the file."""
    data = bytearray(mnist_file.read_bytes())
    middle = len(data) // 2  # inside the pixels column's pages, far from the footer
    data[middle : middle + 8] = bytes(byte ^ 0xFF for byte in data[middle : middle + 8])
    mnist_file.write_bytes(bytes(data))
    with raises_naming(mnist_file, "corrupt parquet data"):
        list(iter_batches(mnist_file, MNIST_SCHEMA, max_rows=200, batch_rows=64))


def test_many_narrow_values_fit_their_bound(tmp_path: Path) -> None:
    """200,000 int8 values are 800,000 bytes unpacked (parquet INT32): within 200,000 rows of 4 bytes plus slack, and
    more than the per-chunk slack alone could cover (so the bound grows with the rows, 4 bytes and more each)."""
    path = tmp_path / "narrow.parquet"
    schema = pa.schema([("x", pa.int8())])
    write_table(pa.table({"x": pa.array(np.arange(200_000) % 100, pa.int8())}, schema=schema), path)
    size = pq.ParquetFile(path).metadata.row_group(0).column(0).total_uncompressed_size
    assert 800_000 <= size < 200_000 * 5
    np.testing.assert_array_equal(
        column_values(read_table(path, schema, max_rows=200_000), "x"), np.arange(200_000) % 100
    )


# --- atomic writes -------------------------------------------------------------------------------


def test_atomic_writes_leave_no_temp_files(tmp_path: Path, digits: tuple[np.ndarray, np.ndarray]) -> None:
    write_mnist(*digits, tmp_path / "out" / "mnist.parquet")
    write_text(tmp_path / "out" / "note.txt", "hello\n")
    write_json(tmp_path / "out" / "m.json", {"b": 1, "a": [1.5]})
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == ["m.json", "mnist.parquet", "note.txt"]
    assert (tmp_path / "out" / "m.json").read_text(encoding="utf-8") == '{\n  "a": [\n    1.5\n  ],\n  "b": 1\n}\n'


def test_failure_inside_atomic_path_keeps_old_file(tmp_path: Path) -> None:
    target = tmp_path / "result.txt"
    target.write_text("old\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match="killed"), atomic_path(target) as tmp:
        tmp.write_text("new but incomplete", encoding="utf-8")
        raise RuntimeError("killed mid-write")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert [path.name for path in tmp_path.iterdir()] == ["result.txt"]


def test_failed_parquet_write_keeps_old_file(mnist_file: Path) -> None:
    before = mnist_file.read_bytes()
    with pytest.raises(ValueError):
        write_mnist(np.zeros((3, 784), dtype=np.uint8), np.zeros(2, dtype=np.uint8), mnist_file)
    assert mnist_file.read_bytes() == before
    assert [path.name for path in mnist_file.parent.iterdir()] == [mnist_file.name]


def test_atomic_path_replaces_on_success(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "result.txt"
    with atomic_path(target) as tmp:
        assert tmp.parent == target.parent
        assert tmp != target
        tmp.write_text("new\n", encoding="utf-8")
        assert not target.exists()
    assert target.read_text(encoding="utf-8") == "new\n"
    assert (target.stat().st_mode & 0o777) == 0o644


def test_a_name_of_255_bytes_is_written_and_of_256_refused(tmp_path: Path) -> None:
    """255 bytes is the most one file name may take on Linux and macOS (NAME_MAX); the temporary name fits too."""
    write_text(tmp_path / ("é" * 127 + "x"), "kept\n")  # 2 * 127 + 1 = 255 bytes in UTF-8
    assert (tmp_path / ("é" * 127 + "x")).read_text(encoding="utf-8") == "kept\n"
    with raises_naming(tmp_path / ("x" * 256), re.escape("cannot write (File name too long)")):
        write_text(tmp_path / ("x" * 256), "")
    assert [path.name for path in tmp_path.iterdir()] == ["é" * 127 + "x"]


def test_targets_that_cannot_be_written_are_refused_before_any_work(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("", encoding="utf-8")
    cases = {
        tmp_path: re.escape(": a directory, expected a file name"),
        tmp_path / "missing" / "out.csv": re.escape(f"cannot write (no directory {tmp_path / 'missing'})"),
        tmp_path / "file" / "out.csv": re.escape(f"cannot write ({tmp_path / 'file'} is not a directory)"),
        Path("/proc/pipelib-out.csv"): re.escape("cannot write ("),  # no file can be created in /proc, root or not
    }
    for target, message in cases.items():
        with raises_naming(target, message), atomic_path(target, make_parents=False):
            pytest.fail("the body ran")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["file"]


def test_atomic_writes_leave_no_file_descriptor_open(tmp_path: Path) -> None:
    before = set(Path("/proc/self/fd").iterdir())
    for index in range(20):
        write_text(tmp_path / f"{index}.txt", "x\n")
    assert set(Path("/proc/self/fd").iterdir()) == before


def test_a_new_file_gets_the_mode_the_umask_leaves(tmp_path: Path) -> None:
    previous = os.umask(0o027)
    try:
        write_text(tmp_path / "new.txt", "x\n")
    finally:
        os.umask(previous)
    assert (tmp_path / "new.txt").stat().st_mode & 0o777 == 0o640


# --- bounds from the footer, checked before any page is read ----------------------------------


def write_blank_images(path: Path, rows: int, per_group: int = 50_000) -> None:
    """``rows`` all-zero images (the issue's payload), written a row group at a time to keep memory small."""
    blank = mnist_table(np.zeros((per_group, 784), dtype=np.uint8), np.zeros(per_group, dtype=np.uint8))
    with pq.ParquetWriter(path, MNIST_SCHEMA, compression="zstd") as writer:
        for start in range(0, rows, per_group):
            writer.write_table(blank.slice(0, min(per_group, rows - start)))


def arrow_peak_while(call: Callable[[], object]) -> int:
    """Peak bytes arrow allocates while ``call`` runs (raising its PipelineError)."""
    pool = pa.proxy_memory_pool(pa.default_memory_pool())
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pool)
    try:
        with pytest.raises(PipelineError):
            call()
    finally:
        pa.set_memory_pool(previous)
    return pool.max_memory()


def test_small_file_of_500000_rows_is_refused_before_reading(tmp_path: Path) -> None:
    """About 400 KB on disk, 392 MB of pixels once read: refused from the footer alone."""
    path = tmp_path / "train.parquet"
    write_blank_images(path, 500_000)
    assert path.stat().st_size < 1 << 20
    with raises_naming(path, "500,000 rows, more than the 100,000 this file may hold"):
        read_mnist(path, max_rows=100_000)
    assert arrow_peak_while(lambda: read_mnist(path, max_rows=100_000)) < 1 << 20
    tracemalloc.start()
    try:
        with pytest.raises(PipelineError):
            read_mnist(path, max_rows=100_000)
        assert tracemalloc.get_traced_memory()[1] < 1 << 20
    finally:
        tracemalloc.stop()


def test_a_file_at_its_row_bound_reads(mnist_file: Path, digits: tuple[np.ndarray, np.ndarray]) -> None:
    pixels, _ = read_mnist(mnist_file, max_rows=200)
    np.testing.assert_array_equal(pixels, digits[0])
    with raises_naming(mnist_file, "200 rows, more than the 199"):
        read_mnist_labels(mnist_file, max_rows=199)


def test_text_column_larger_than_its_rows_can_take_is_refused(tmp_path: Path) -> None:
    """1,000 rows is within bounds; 5,000-byte names are not (at most 1,024 bytes a cell)."""
    path = tmp_path / "names.parquet"
    schema = pa.schema([("Name", pa.string())])
    write_table(pa.table({"Name": [f"{index:05d}" + "x" * 4995 for index in range(1000)]}, schema=schema), path)
    with raises_naming(path, r"column 'Name' unpacks to 5,0\d\d,\d+ bytes, more than 1,000 rows of string take"):
        read_table(path, schema, max_rows=10_000, max_text_bytes=1024)
    assert read_table(path, schema, max_rows=10_000, max_text_bytes=5000).num_rows == 1000


def test_value_bytes_bound_every_type_the_pipeline_writes() -> None:
    assert value_bytes(pa.binary(784), 0) == 784
    assert value_bytes(pa.uint8(), 0) == 4  # parquet INT32
    assert value_bytes(pa.float64(), 0) == 8
    assert value_bytes(pa.bool_(), 0) == 4
    assert value_bytes(pa.string(), 100) == 104
    with pytest.raises(TypeError):
        value_bytes(pa.list_(pa.uint8()), 0)


# --- the writer's fixed settings and the reader's edge cases, checked against literal values ------


def test_a_row_group_holds_two_to_the_twentieth_rows(tmp_path: Path) -> None:
    """1,048,576 rows fit one row group, so a training set reads back as one chunk; one more starts a second."""
    path = tmp_path / "rows.parquet"
    write_table(pa.table({"x": pa.array(np.zeros(1_048_577, dtype=np.uint8))}), path)
    metadata = pq.ParquetFile(path).metadata
    assert [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)] == [1_048_576, 1]


def test_writer_settings_are_visible_in_the_file(mnist_file: Path) -> None:
    """zstd, no dictionary pages (784-byte cells never repeat), statistics written."""
    column = pq.ParquetFile(mnist_file).metadata.row_group(0).column(1)
    assert column.compression == "ZSTD"
    assert not column.has_dictionary_page
    assert column.is_stats_set


def test_use_system_allocator_switches_arrow_to_the_system_pool() -> None:
    before = pa.default_memory_pool()
    try:
        use_system_allocator()
        assert pa.default_memory_pool().backend_name == "system"
    finally:
        pa.set_memory_pool(before)


def test_mnist_table_refuses_non_uint8_labels_and_non_flat_pixels(digits: tuple[np.ndarray, np.ndarray]) -> None:
    pixels, labels = digits
    with pytest.raises(TypeError, match=r"^MNIST pixels and labels must be uint8$"):
        mnist_table(pixels, labels.astype(np.int64))
    with pytest.raises(ValueError, match="784"):
        mnist_table(pixels.reshape(200, 28, 28), labels)
    with pytest.raises(ValueError, match="784"):
        mnist_table(pixels.reshape(-1), labels)
    table = mnist_table(pixels[:1], labels[:1])
    assert table.schema == pa.schema([("label", pa.uint8()), ("pixels", pa.binary(784))])
    assert table.column("pixels")[0].as_py() == pixels[0].tobytes()


def test_missing_pixels_refused(tmp_path: Path, digits: tuple[np.ndarray, np.ndarray]) -> None:
    table = mnist_table(*digits)
    cells = pa.array([None, *(row.tobytes() for row in digits[0][1:])], type=pa.binary(784))
    path = tmp_path / "null-pixels.parquet"
    pq.write_table(table.set_column(1, "pixels", cells), path)
    with raises_naming(path, "missing"):
        read_mnist(path)


def test_several_row_groups_read_back_in_order(tmp_path: Path, digits: tuple[np.ndarray, np.ndarray]) -> None:
    """A file written by another tool in row groups of 64 reads back whole, each chunk at its place."""
    path = tmp_path / "chunked.parquet"
    pq.write_table(mnist_table(*digits), path, row_group_size=64)
    assert pq.ParquetFile(path).metadata.num_row_groups == 4
    pixels, labels = read_mnist(path)
    np.testing.assert_array_equal(pixels, digits[0])
    np.testing.assert_array_equal(labels, digits[1])


def test_one_image_round_trips(tmp_path: Path, digits: tuple[np.ndarray, np.ndarray]) -> None:
    write_mnist(digits[0][:1], digits[1][:1], tmp_path / "one.parquet")
    pixels, labels = read_mnist(tmp_path / "one.parquet")
    assert pixels.shape == (1, 784)
    assert labels.tolist() == [int(digits[1][0])]
    np.testing.assert_array_equal(pixels, digits[0][:1])


def test_labels_nine_read_ten_refused(tmp_path: Path, digits: tuple[np.ndarray, np.ndarray]) -> None:
    pixels = digits[0][:2]
    write_mnist(pixels, np.array([0, 9], dtype=np.uint8), tmp_path / "nine.parquet")
    np.testing.assert_array_equal(read_mnist(tmp_path / "nine.parquet")[1], [0, 9])
    write_mnist(pixels, np.array([0, 10], dtype=np.uint8), tmp_path / "ten.parquet")
    with raises_naming(tmp_path / "ten.parquet", "label 10 is not a digit 0-9"):
        read_mnist(tmp_path / "ten.parquet")


def test_read_table_selects_columns(mnist_file: Path, digits: tuple[np.ndarray, np.ndarray]) -> None:
    table = read_table(mnist_file, MNIST_SCHEMA, max_rows=1000, columns=["label"])
    assert table.column_names == ["label"]
    np.testing.assert_array_equal(table.column("label").to_numpy(), digits[1])


def test_atomic_temporary_file_is_hidden_beside_the_target(tmp_path: Path) -> None:
    """``.<name>.<random>.tmp``: the pattern .gitignore and the interruption tests rely on."""
    target = tmp_path / "result.txt"
    with atomic_path(target) as tmp:
        assert tmp.name.startswith(".result.txt.") and tmp.name.endswith(".tmp")
        assert tmp.exists()
        tmp.write_text("x", encoding="utf-8")
    assert not tmp.exists()


def test_atomic_writes_twice_into_a_new_directory(tmp_path: Path) -> None:
    write_text(tmp_path / "a" / "b" / "one.txt", "1\n")
    write_text(tmp_path / "a" / "b" / "two.txt", "2\n")
    write_text(tmp_path / "a" / "b" / "one.txt", "3\n")
    assert sorted(path.name for path in (tmp_path / "a" / "b").iterdir()) == ["one.txt", "two.txt"]
    assert (tmp_path / "a" / "b" / "one.txt").read_text(encoding="utf-8") == "3\n"


def test_write_text_is_utf8(tmp_path: Path) -> None:
    write_text(tmp_path / "u.txt", "Zoë ≥ 9\n")
    assert (tmp_path / "u.txt").read_bytes() == "Zoë ≥ 9\n".encode()


def test_the_interruption_hook_is_off_unless_both_variables_are_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the signal file and a matching pattern together stop a write (tests/integration/test_interrupted.py)."""
    signal_file = tmp_path / "signal"
    monkeypatch.setenv("PIPELIB_SIGNAL_FILE", str(signal_file))
    write_text(tmp_path / "a.txt", "a\n")
    monkeypatch.setenv("PIPELIB_SIGNAL_AT", str(tmp_path / "other.txt"))
    write_text(tmp_path / "b.txt", "b\n")
    monkeypatch.delenv("PIPELIB_SIGNAL_FILE")
    monkeypatch.setenv("PIPELIB_SIGNAL_AT", str(tmp_path / "*"))
    write_text(tmp_path / "c.txt", "c\n")
    assert not signal_file.exists()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a.txt", "b.txt", "c.txt"]


def test_the_interruption_hook_signals_then_waits_before_the_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With both variables set, a matching write is complete in its temporary file, names it, then waits.

    The wait (``time.sleep``) is replaced by one that raises, as the test's signal would.
    """
    import os

    import pipelib.atomic

    signal_file = tmp_path / "signal"
    target = tmp_path / "out" / "result.txt"
    monkeypatch.setenv("PIPELIB_SIGNAL_FILE", str(signal_file))
    monkeypatch.setenv("PIPELIB_SIGNAL_AT", str(tmp_path / "out" / "*.txt"))
    seen: list[tuple[str, str, bool]] = []

    class Interrupted(Exception):
        pass

    def interrupted(seconds: float) -> None:
        pid, temp = signal_file.read_text(encoding="utf-8").split()
        seen.append((pid, Path(temp).read_text(encoding="utf-8"), target.exists()))
        raise Interrupted

    monkeypatch.setattr(pipelib.atomic.time, "sleep", interrupted)
    with pytest.raises(Interrupted):
        write_text(target, "complete\n")
    assert seen == [(str(os.getpid()), "complete\n", False)]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out", "signal"]  # no half-written signal file
    assert list((tmp_path / "out").iterdir()) == []  # the temporary file was removed on the way out


def test_a_one_chunk_file_is_read_without_copying_the_pixels(mnist_file: Path) -> None:
    """The training set is read as a view of arrow's buffer (its memory counted once), not a concatenated copy."""
    pixels, _ = read_mnist(mnist_file)
    root = pixels
    while isinstance(root.base, np.ndarray):
        root = root.base
    assert not root.flags.owndata


# --- column_values: numbers and booleans straight from arrow's buffers ------------------------------


def test_column_values_of_every_number_type_and_of_booleans() -> None:
    table = pa.table(
        {
            "u8": pa.array([0, 255, 7], pa.uint8()),
            "i64": pa.array([-(2**40), 0, 2**40], pa.int64()),
            "f32": pa.array([0.5, -1.25, 3.0], pa.float32()),
            "f64": pa.array([float("nan"), 1e300, -0.0], pa.float64()),
            "flag": pa.array([True, False, True]),
        }
    )
    assert column_values(table, "u8").dtype == np.uint8 and column_values(table, "u8").tolist() == [0, 255, 7]
    assert column_values(table, "i64").tolist() == [-(2**40), 0, 2**40]
    assert column_values(table, "f32").dtype == np.float32 and column_values(table, "f32").tolist() == [0.5, -1.25, 3]
    f64 = column_values(table, "f64")
    assert np.isnan(f64[0]) and f64[1:].tolist() == [1e300, 0.0] and np.signbit(f64[2])
    flag = column_values(table, "flag")
    assert flag.dtype == bool and flag.tolist() == [True, False, True]


def test_column_values_of_sliced_and_several_chunks() -> None:
    """Offsets inside a chunk (also inside a byte of booleans) and chunks joined in order."""
    bits = [index % 3 == 0 for index in range(20)]  # True, False, False, True, ...
    numbers = list(range(20))
    whole = pa.table({"flag": pa.array(bits), "n": pa.array(numbers, pa.int32())})
    assert not column_values(whole, "n").flags.owndata  # one chunk: a view of arrow's buffer, no copy
    sliced = whole.slice(5, 9)  # starts at bit 5 of the first byte, ends inside the second
    assert column_values(sliced, "flag").tolist() == bits[5:14]
    assert column_values(sliced, "n").tolist() == numbers[5:14]
    chunked = pa.concat_tables([whole.slice(3, 4), whole.slice(11, 6), whole.slice(0, 0), whole.slice(19, 1)])
    assert chunked.column("flag").num_chunks == 4
    assert column_values(chunked, "flag").tolist() == bits[3:7] + bits[11:17] + bits[19:20]
    assert column_values(chunked, "n").tolist() == numbers[3:7] + numbers[11:17] + numbers[19:20]


def test_column_values_of_no_rows_keep_their_type() -> None:
    empty = pa.table({"flag": pa.array([], pa.bool_()), "x": pa.array([], pa.float32())})
    empty = pa.Table.from_batches([], schema=empty.schema)  # no chunk at all
    assert empty.column("x").num_chunks == 0
    assert column_values(empty, "flag").dtype == bool and len(column_values(empty, "flag")) == 0
    assert column_values(empty, "x").dtype == np.float32 and len(column_values(empty, "x")) == 0


def test_column_values_refuses_other_types() -> None:
    table = pa.table({"text": ["a"], "pixels": pa.array([b"ab"], pa.binary(2))})
    for name in ("text", "pixels"):
        with pytest.raises(TypeError, match=f"column '{name}'"):
            column_values(table, name)


def test_read_table_cuts_batches_of_two_to_the_seventeenth_rows_per_row_group(tmp_path: Path) -> None:
    """pq.read_table's batches, so that a table read and written back keeps its bytes."""
    rows = 131_072 + 5
    table = pa.table({"label": pa.array(np.arange(rows) % 10, pa.uint8())})
    path = tmp_path / "labels.parquet"
    pq.write_table(table, path, row_group_size=rows - 2)  # two row groups: rows - 2, then 2
    got = read_table(path, table.schema, max_rows=rows)
    assert [len(chunk) for chunk in got.column("label").chunks] == [131_072, 3, 2]
    assert got.equals(table)
