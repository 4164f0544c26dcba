"""``python -m pipelib.predict`` on inputs nobody vetted, in-process through ``run_stage(main)``.

Each test is a row of the issue's table: a spreadsheet formula in a cell, memory claimed by
an input rather than held by it, a traceback or a hang instead of one ``error:`` line, an
output more readable than the user's umask allows. Every failure is exit status 2, one
line naming the file, and no output file.
"""

from __future__ import annotations

import gzip
import io
import os
import pickle
import signal
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import helpers
import numpy as np
import pyarrow.parquet as pq
import pytest
from PIL import Image
from sklearn.neighbors import KNeighborsClassifier

from pipelib import skops_file
from pipelib.csv_cells import text_cell
from pipelib.errors import PipelineError
from pipelib.mnist import models as mnist_models
from pipelib.mnist.dataset import mnist_table
from pipelib.mnist.idx import write_idx_images
from pipelib.model_checks import SURVIVAL, check_classes
from pipelib.plot_csv import write_csv
from pipelib.predict import digits as digits_module

HEADER = "PassengerId,Pclass,Name,Sex,Age,SibSp,Parch,Ticket,Fare,Cabin,Embarked\n"
PASSENGER = '892,3,"Kelly, Mr. James",male,34.5,0,0,330911,7.8292,,Q\n'


run = helpers.run_predict


def error_line(capsys: pytest.CaptureFixture[str], status: int, out: Path | None = None) -> str:
    """The run's one stderr line: exit status 2, no traceback, no output file."""
    err = capsys.readouterr().err
    assert status == 2, err
    assert err.count("\n") == 1 and err.startswith("error: "), err
    if out is not None:
        assert not out.exists()
    return err.strip()


def binary_model() -> Any:
    """score = pixel 0 - 100."""
    coef = np.zeros((1, 784))
    coef[0, 0] = 1.0
    return helpers.hand_digit_model(coef, np.array([-100.0]), np.array([False, True]))


@pytest.fixture
def binary(tmp_path: Path) -> Path:
    """score = pixel 0 - 100."""
    mnist_models.save(binary_model(), tmp_path / "binary.skops")
    return tmp_path / "binary.skops"


TITANIC_COEF = [0, 0, 0, 0, 0, 0, 0, 0.5, 0, 0, 0, 0]  # 0.5 * female - 0.25


@pytest.fixture
def titanic(tmp_path: Path) -> Path:
    """0.5 * female - 0.25."""
    skops_file.save(helpers.hand_titanic_model(TITANIC_COEF, -0.25), tmp_path / "logistic.skops")
    return tmp_path / "logistic.skops"


@pytest.fixture
def pngs(tmp_path: Path) -> Path:
    """A directory with one black 28 x 28 digit, ``a.png``."""
    directory = tmp_path / "pngs"
    directory.mkdir()
    Image.new("L", (28, 28)).save(directory / "a.png")
    return directory


def digit_model(path: Path, classes: np.ndarray, coef: np.ndarray | None = None) -> Path:
    """A softmax-shaped MNIST model file (zero coefficients unless given) with any ``classes``."""
    coef = np.zeros((len(classes), 784)) if coef is None else coef
    skops_file.save(helpers.hand_digit_model(coef, np.zeros(len(coef)), classes), path)
    return path


# --- no cell of a written CSV starts a formula ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ("=1+7", '"\'=1+7"'),
        ("+1+2", '"\'+1+2"'),
        ("-2", '"\'-2"'),
        ("@SUM(1+1)", '"\'@SUM(1+1)"'),
        ("\tx", '"\'\tx"'),
        ("\rx", '"\'\rx"'),
        ('=HYPERLINK("http://x","y")', '"\'=HYPERLINK(""http://x"",""y"")"'),
        ("a.png", "a.png"),
        ("a=b", "a=b"),
        ("Kelly, Mr. James", '"Kelly, Mr. James"'),
        ('say "hi"', '"say ""hi"""'),
        ("", ""),
    ],
)
def test_a_text_cell_never_starts_a_formula(text: str, cell: str) -> None:
    assert text_cell(text) == cell


def test_formula_file_names_are_neutralised_and_numbers_stay_numbers(
    tmp_path: Path, binary: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "names"
    directory.mkdir()
    for name in ['=HYPERLINK("x","y").png', "+1+2.png", "@SUM(1+1).png", "-3.png"]:
        Image.new("L", (28, 28)).save(directory / name)
    out = tmp_path / "p.csv"
    assert run(monkeypatch, "digits", directory, "--model", binary, "--out", out) == 0
    assert out.read_text(encoding="utf-8") == (
        "file,predicted,score\n"
        '"\'+1+2.png",False,-100.0\n'
        '"\'-3.png",False,-100.0\n'
        '"\'=HYPERLINK(""x"",""y"").png",False,-100.0\n'
        '"\'@SUM(1+1).png",False,-100.0\n'
    )


def test_plot_data_and_tables_neutralise_text_but_not_numbers(tmp_path: Path) -> None:
    """plot_csv.write_csv writes the plot data, the Titanic extremes table and submission.csv."""
    write_csv(tmp_path / "t.csv", {"feature": np.array(["=1+7", "Sex_male"]), "coefficient": np.array([-0.5, 2.0])})
    assert (tmp_path / "t.csv").read_text(encoding="utf-8") == 'feature,coefficient\n"\'=1+7",-0.5\nSex_male,2\n'


@pytest.mark.parametrize(
    "classes",
    [
        np.array(["=1+7", *map(str, range(1, 10))]),
        np.array([0] * 10),
        np.arange(10, 20),
        np.array([*range(9), -1]),
        np.array(["\ud800", *map(str, range(1, 10))]),
        np.array([*range(9), 11]),
        np.arange(10.0),
    ],
    ids=["formula", "ten-zeros", "not-digits", "negative", "lone-surrogate", "eleven", "floats"],
)
def test_model_classes_must_be_unique_digits(
    tmp_path: Path, pngs: Path, classes: np.ndarray, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    model = digit_model(tmp_path / "m.skops", classes)
    out = tmp_path / "p.csv"
    line = error_line(capsys, run(monkeypatch, "digits", pngs, "--model", model, "--out", out), out)
    assert line.startswith(f"error: {model}: classes ")
    assert line.endswith("expected digits 0-9 (or False, True), each once in increasing order")


def test_binary_classes_must_be_false_and_true(
    tmp_path: Path, pngs: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    model = digit_model(tmp_path / "m.skops", np.array([True, True]), np.zeros((1, 784)))
    line = error_line(capsys, run(monkeypatch, "digits", pngs, "--model", model, "--out", tmp_path / "p.csv"))
    assert line == (
        f"error: {model}: classes [True, True] are not expected digits 0-9 (or False, True), "
        "each once in increasing order"
    )


# --- memory bounded by what the input is --------------------------------------------------------


def test_blank_lines_count_towards_the_passenger_cap(
    tmp_path: Path, titanic: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    source = tmp_path / "blank.csv"
    source.write_text(HEADER + PASSENGER + "\n" * 10_000, encoding="utf-8")
    out = tmp_path / "p.csv"
    line = error_line(capsys, run(monkeypatch, "passengers", source, "--model", titanic, "--out", out), out)
    assert line == f"error: {source}: row 10001: more than the 10,000 passengers allowed"


def test_a_huge_passenger_file_is_refused_by_its_size(
    tmp_path: Path, titanic: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    source = tmp_path / "huge.csv"
    with open(source, "wb") as stream:  # sparse: 11 MB claimed, nothing stored
        stream.write(HEADER.encode())
        stream.truncate(11_000_000)
    line = error_line(capsys, run(monkeypatch, "passengers", source, "--model", titanic, "--out", tmp_path / "p.csv"))
    assert line == f"error: {source}: 11,000,000 bytes, more than the 10,485,760 allowed for this file"


def test_dev_zero_is_refused_at_once(
    tmp_path: Path, titanic: Path, binary: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    status = run(monkeypatch, "passengers", "/dev/zero", "--model", titanic, "--out", tmp_path / "p.csv")
    assert error_line(capsys, status) == "error: /dev/zero: not a regular file (a character device)"
    status = run(monkeypatch, "digits", "/dev/zero", "--model", binary, "--out", tmp_path / "p.csv")
    assert error_line(capsys, status) == "error: /dev/zero: not a regular file (a character device)"
    status = run(monkeypatch, "digits", tmp_path, "--model", "/dev/zero", "--out", tmp_path / "p.csv")
    assert error_line(capsys, status) == "error: /dev/zero: not a regular file (a character device)"


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_header(path: Path, width: int, height: int) -> Path:
    """A PNG announcing ``width`` x ``height`` 8-bit greyscale pixels, with no pixel data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(PNG_SIGNATURE + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))
    return path


@pytest.mark.parametrize(("width", "height"), [(16_777_216, 1), (1, 65_536), (4096, 255)])
def test_convert_refuses_a_long_thin_image_before_decoding(
    tmp_path: Path,
    binary: Path,
    width: int,
    height: int,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    (tmp_path / "in").mkdir()
    path = png_header(tmp_path / "in" / "line.png", width, height)
    status = run(monkeypatch, "digits", tmp_path / "in", "--model", binary, "--out", tmp_path / "p.csv", "--convert")
    assert error_line(capsys, status) == (
        f"error: {path}: {width} x {height} pixels, one side more than 16 times the other; crop it first"
    )


def write_parquet_in_groups(path: Path, pixels: np.ndarray, labels: np.ndarray, group_rows: int) -> None:
    pq.write_table(mnist_table(pixels, labels), path, row_group_size=group_rows)


def test_idx_and_parquet_are_predicted_a_block_at_a_time(
    tmp_path: Path, binary: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """Blocks of 2 rows over 5 images (and two parquet row groups of 3 and 2): the rows of one read, in order."""
    monkeypatch.setattr(digits_module, "BLOCK_ROWS", 2)
    pixels = np.zeros((5, 784), dtype=np.uint8)
    pixels[:, 0] = [150, 100, 101, 0, 255]
    write_idx_images(tmp_path / "images.gz", pixels)
    write_parquet_in_groups(tmp_path / "images.parquet", pixels, np.array([5, 1, 2, 0, 9], dtype=np.uint8), 3)
    out = tmp_path / "p.csv"
    assert run(monkeypatch, "digits", tmp_path / "images.gz", "--model", binary, "--out", out) == 0
    assert out.read_text(encoding="utf-8") == (
        "row,predicted,score\n0,True,50.0\n1,False,0.0\n2,True,1.0\n3,False,-100.0\n4,True,155.0\n"
    )
    progress = [line for line in capsys.readouterr().err.splitlines() if "predict:" in line]
    assert [line.split("] ", 1)[1] for line in progress] == ["predict: 5 of 5 images scored"]
    assert run(monkeypatch, "digits", tmp_path / "images.parquet", "--model", binary, "--out", out, "--invert") == 0
    assert out.read_text(encoding="utf-8") == (
        "row,label,predicted,score\n0,5,True,5.0\n1,1,True,55.0\n2,2,True,54.0\n3,0,True,155.0\n4,9,False,-100.0\n"
    )


def test_a_block_read_checks_labels_and_the_idx_length(
    tmp_path: Path, binary: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setattr(digits_module, "BLOCK_ROWS", 2)
    pixels = np.zeros((5, 784), dtype=np.uint8)
    write_parquet_in_groups(tmp_path / "bad.parquet", pixels, np.array([1, 2, 3, 4, 12], dtype=np.uint8), 3)
    out = tmp_path / "p.csv"
    status = run(monkeypatch, "digits", tmp_path / "bad.parquet", "--model", binary, "--out", out)
    assert error_line(capsys, status, out) == f"error: {tmp_path / 'bad.parquet'}: label 12 is not a digit 0-9"
    write_idx_images(tmp_path / "long.gz", pixels)
    append_gzip_member(tmp_path / "long.gz", b"\0")
    status = run(monkeypatch, "digits", tmp_path / "long.gz", "--model", binary, "--out", out)
    assert error_line(capsys, status, out) == (
        f"error: {tmp_path / 'long.gz'}: longer than the 3936 bytes a header of 5 images needs"
    )


def append_gzip_member(path: Path, data: bytes) -> None:
    """Longer decompressed content: a second gzip member after the first (gzip reads on through both)."""
    with open(path, "ab") as stream:
        stream.write(gzip.compress(data, mtime=0))


# --- every failure is one line ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "schema", [b"[" * 100_000 + b"]" * 100_000, b'{"content": ' + b"9" * 5_000 + b"}"], ids=["deep", "long"]
)
def test_a_schema_too_deep_or_a_number_too_long_is_one_line(
    tmp_path: Path, pngs: Path, schema: bytes, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    model = tmp_path / "m.skops"
    model.write_bytes(helpers.crafted_model(binary_model(), {"schema.json": schema}))
    line = error_line(capsys, run(monkeypatch, "digits", pngs, "--model", model, "--out", tmp_path / "p.csv"))
    assert line.startswith(f"error: {model}: not a readable model file (")


def dds(path: Path) -> Path:
    """A DDS header with a pixel format Pillow does not implement (its plugin raises NotImplementedError)."""
    header = struct.pack("<7I", 124, 0x1007, 28, 28, 0, 0, 0) + bytes(44)
    pixel_format = struct.pack("<2I4s5I", 32, 4, b"XXXX", 0, 0, 0, 0, 0)
    path.write_bytes(b"DDS " + header + pixel_format + struct.pack("<5I", 0x1000, 0, 0, 0, 0) + bytes(1000))
    return path


def spider(path: Path) -> Path:
    """A SPIDER image claiming to be inside a stack without one (its plugin raises AttributeError)."""
    buffer = io.BytesIO()
    Image.new("F", (28, 28)).save(buffer, format="SPIDER")
    data = bytearray(buffer.getvalue())
    data[26 * 4 : 27 * 4] = struct.pack(">f", 1.0)  # header word 27, imgnumber
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("craft", [dds, spider])
def test_other_image_formats_named_png_are_refused(
    tmp_path: Path, binary: Path, craft: object, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    (tmp_path / "in").mkdir()
    path = craft(tmp_path / "in" / "a.png")  # type: ignore[operator]
    for convert in ([], ["--convert"]):
        status = run(monkeypatch, "digits", tmp_path / "in", "--model", binary, "--out", tmp_path / "p.csv", *convert)
        assert error_line(capsys, status) == f"error: {path}: not a PNG image"


def test_a_file_name_that_is_not_utf8_is_written_escaped(
    tmp_path: Path, binary: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "odd"
    directory.mkdir()
    Image.new("L", (28, 28)).save(os.fsdecode(os.fsencode(directory) + b"/\xff.png"))
    out = tmp_path / "p.csv"
    assert run(monkeypatch, "digits", directory, "--model", binary, "--out", out) == 0
    assert out.read_text(encoding="utf-8") == "file,predicted,score\n\\xff.png,False,-100.0\n"


def test_an_odd_file_name_in_an_error_is_escaped_on_one_line(
    tmp_path: Path, binary: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    directory = tmp_path / "odd"
    directory.mkdir()
    Image.new("RGB", (28, 28)).save(os.fsdecode(os.fsencode(directory) + b"/a\nb\xff.png"), format="PNG")
    status = run(monkeypatch, "digits", directory, "--model", binary, "--out", tmp_path / "p.csv")
    assert error_line(capsys, status) == (
        f"error: {directory}/a\\nb\\udcff.png: mode RGB (colour), expected 8-bit greyscale (mode L); "
        "--convert turns it into greyscale"
    )


def test_out_is_checked_before_the_work_starts(
    tmp_path: Path, binary: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """Each bad --out is named although the input (not a file at all) would fail too, later."""
    missing_input = tmp_path / "nowhere.gz"
    (tmp_path / "file").write_text("x", encoding="utf-8")
    cases = {
        tmp_path: f"error: {tmp_path}: a directory, expected a file name",
        tmp_path / "file" / "p.csv": f"error: {tmp_path / 'file' / 'p.csv'}: cannot write ({tmp_path / 'file'} "
        "is not a directory)",
        tmp_path / "missing" / "p.csv": f"error: {tmp_path / 'missing' / 'p.csv'}: cannot write "
        f"(no directory {tmp_path / 'missing'})",
        tmp_path / ("x" * 256): f"error: {tmp_path / ('x' * 256)}: cannot write (File name too long)",
        Path("/proc/p.csv"): "error: /proc/p.csv: cannot write (",
    }
    for out, expected in cases.items():
        line = error_line(capsys, run(monkeypatch, "digits", missing_input, "--model", binary, "--out", out))
        assert line.startswith(expected)
    assert not (tmp_path / "missing").exists()


def test_a_name_of_255_bytes_is_written(
    tmp_path: Path, binary: Path, pngs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The temporary file beside it has a longer name than the target's; it is shortened to fit."""
    for length in (252, 255):
        out = tmp_path / ("é" * 2 + "x" * (length - 4))
        assert len(os.fsencode(out.name)) == length
        assert run(monkeypatch, "digits", pngs, "--model", binary, "--out", out) == 0
        assert out.read_text(encoding="utf-8") == "file,predicted,score\na.png,False,-100.0\n"
    assert sorted(path.name for path in tmp_path.iterdir() if path.name.endswith(".tmp")) == []


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    """A FIFO nobody writes to; a run that opens it for reading would block, so an alarm ends the test."""
    path = tmp_path / "fifo"
    os.mkfifo(path)

    def timed_out(signum: int, frame: object) -> None:
        raise TimeoutError("blocked on the FIFO")

    previous = signal.signal(signal.SIGALRM, timed_out)
    signal.alarm(10)
    yield path
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def test_a_fifo_is_refused_without_blocking(
    tmp_path: Path,
    fifo: Path,
    binary: Path,
    titanic: Path,
    pngs: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    out = tmp_path / "p.csv"
    expected = f"error: {fifo}: not a regular file (a FIFO)"
    assert error_line(capsys, run(monkeypatch, "digits", fifo, "--model", binary, "--out", out), out) == expected
    assert error_line(capsys, run(monkeypatch, "digits", pngs, "--model", fifo, "--out", out), out) == expected
    status = run(monkeypatch, "passengers", fifo, "--model", titanic, "--out", out)
    assert error_line(capsys, status, out) == expected


@pytest.mark.parametrize("kind", ["FIFO", "broken symlink", "/dev/zero"])
def test_an_entry_named_png_that_is_no_file_is_refused_without_blocking(
    tmp_path: Path,
    fifo: Path,
    binary: Path,
    pngs: Path,
    kind: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    """Not skipped (exit 0 with a row fewer): one line naming it, and no output."""
    entry = pngs / "b.png"
    if kind == "FIFO":
        fifo.rename(entry)  # the fixture's alarm ends a run that blocks on it
        expected = f"error: {entry}: not a regular file (a FIFO)"
    elif kind == "broken symlink":
        entry.symlink_to(pngs / "gone.png")
        expected = f"error: {entry}: a broken symlink"
    else:
        entry.symlink_to("/dev/zero")
        expected = f"error: {entry}: not a regular file (a character device)"
    out = tmp_path / "p.csv"
    assert error_line(capsys, run(monkeypatch, "digits", pngs, "--model", binary, "--out", out), out) == expected


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_a_threshold_that_is_not_finite_is_refused(
    tmp_path: Path, value: str, binary: Path, pngs: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "p.csv"
    status = run(monkeypatch, "digits", pngs, "--model", binary, "--out", out, f"--threshold={value}")
    assert error_line(capsys, status, out) == f"error: --threshold {value}: not a finite number"


@pytest.mark.parametrize("array", ["coef", "intercept"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_coefficients_are_refused(
    tmp_path: Path,
    array: str,
    bad: float,
    pngs: Path,
    titanic: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    weights, bias = np.zeros((10, 784)), np.zeros(10)
    (weights if array == "coef" else bias).flat[3] = bad
    model = tmp_path / "m.skops"
    skops_file.save(helpers.hand_digit_model(weights, bias, np.arange(10)), model)
    line = error_line(capsys, run(monkeypatch, "digits", pngs, "--model", model, "--out", tmp_path / "p.csv"))
    assert line == f"error: {model}: array '{array}_' holds NaN or infinite values"
    coef, intercept = list(TITANIC_COEF), -0.25
    if array == "coef":
        coef[7] = bad
    else:
        intercept = bad
    titanic = tmp_path / "bad.skops"
    skops_file.save(helpers.hand_titanic_model(coef, intercept), titanic)
    (tmp_path / "new.csv").write_text(HEADER + PASSENGER, encoding="utf-8")
    status = run(monkeypatch, "passengers", tmp_path / "new.csv", "--model", titanic, "--out", tmp_path / "p.csv")
    assert error_line(capsys, status) == f"error: {titanic}: array '{array}_' holds NaN or infinite values"


def test_a_knn_with_a_nan_training_image_is_refused(
    tmp_path: Path, pngs: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """A KNN's stored images decide its predictions as coefficients do: a NaN among them is refused."""
    pixels, labels = helpers.synthetic_digits(30, seed=2)
    model = KNeighborsClassifier(n_neighbors=1).fit(pixels.astype(np.float32), labels)
    model._fit_X[4, 100] = np.nan
    mnist_models.save(model, tmp_path / "knn.skops")
    status = run(monkeypatch, "digits", pngs, "--model", tmp_path / "knn.skops", "--out", tmp_path / "p.csv")
    assert error_line(capsys, status) == f"error: {tmp_path / 'knn.skops'}: array '_fit_X' holds NaN or infinite values"


# --- model files: refused before anything is unpacked or run ----------------------------------------


def lying_sizes() -> bytes:
    """The binary model's skops file with its schema.json declaring 1 TiB (its real content follows)."""
    entries = helpers.skops_entries(binary_model())
    listed = [
        (name, helpers.deflate(content), zlib.crc32(content), 2**40 if name == "schema.json" else len(content))
        for name, content in entries.items()
    ]
    return helpers.deflated_zip(listed)


def huge_coefficients() -> bytes:
    """The binary model's skops file with its coef_ entry's header claiming 2**45 float64 values, 8 bytes following."""
    coef = helpers.array_entry(helpers.skops_entries(binary_model()), "coef_")
    return helpers.crafted_model(binary_model(), {coef: helpers.npy_header((2**45,)) + bytes(8)})


def with_function() -> bytes:
    """A binary model carrying ``os.system`` as an attribute: skops would load it as a callable."""
    model = binary_model()
    model.callback = os.system
    return helpers.crafted_model(model, {})


MODEL_FILES: dict[str, tuple[Callable[[], bytes], str]] = {
    "pickle": (lambda: pickle.dumps(binary_model()), "refused, a pickle file (expected a skops zip archive)"),
    "deflate-bomb": (helpers.deflate_bomb, "its entries unpack to 1,677,727,"),
    "declared-1-tib": (lying_sizes, "its entries unpack to 1,099,511,6"),
    "npy-2-45-values": (huge_coefficients, "entry '0.npy' is 136 bytes, its header claims 281,474,976,710,784"),
    "too-many-entries": (
        lambda: helpers.crafted_model(binary_model(), {f"{index}.bin": b"" for index in range(10_000)}),
        "10,004 entries, more than the 10,000 a model file may hold",  # schema.json, coef_, intercept_, classes_
    ),
    "untrusted-type": (with_function, "refused, it holds the untrusted type posix.system"),
}


@pytest.mark.parametrize("case", sorted(MODEL_FILES))
def test_a_crafted_model_file_is_refused_in_one_line(
    tmp_path: Path, pngs: Path, case: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    craft, message = MODEL_FILES[case]
    model = tmp_path / "m.skops"
    model.write_bytes(craft())
    out = tmp_path / "p.csv"
    line = error_line(capsys, run(monkeypatch, "digits", pngs, "--model", model, "--out", out), out)
    assert line.startswith(f"error: {model}: {message}"), line


def test_the_bomb_is_a_well_formed_model_file_but_for_its_size() -> None:
    """Control: the bomb's entries agree with their headers, so only the bound on unpacked bytes refuses it."""
    bomb = helpers.deflate_bomb()
    assert len(bomb) < 2 * 1024**2
    with zipfile.ZipFile(io.BytesIO(bomb)) as archive:
        declared = sum(info.file_size for info in archive.infolist())
        assert declared > mnist_models.MAX_MODEL_BYTES
        with pytest.raises(PipelineError, match="unpack to"):
            skops_file._check_archive(archive, "bomb", mnist_models.MAX_MODEL_BYTES)
        skops_file._check_archive(archive, "bomb", declared)  # headers and sizes agree


# --- the output's permissions ----------------------------------------------------------------------


@pytest.fixture
def umask() -> Iterator[None]:
    previous = os.umask(0o077)
    yield
    os.umask(previous)


def test_a_new_output_follows_the_umask(
    tmp_path: Path, binary: Path, pngs: Path, umask: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "p.csv"
    assert run(monkeypatch, "digits", pngs, "--model", binary, "--out", out) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o664])
def test_a_replaced_output_keeps_its_mode(
    tmp_path: Path, binary: Path, pngs: Path, mode: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "p.csv"
    out.write_text("old\n", encoding="utf-8")
    out.chmod(mode)
    assert run(monkeypatch, "digits", pngs, "--model", binary, "--out", out) == 0
    assert stat.S_IMODE(out.stat().st_mode) == mode
    assert out.read_text(encoding="utf-8") == "file,predicted,score\na.png,False,-100.0\n"


@pytest.mark.parametrize(
    ("classes", "allowed"),
    [([0, 1], True), ([1, 0], False), ([1, 1], False), ([0, 2], False), ([False, True], False), (["0", "1"], False)],
)
def test_survival_classes_are_0_and_1_once_each(classes: list[object], allowed: bool) -> None:
    """The check a Titanic model's classes go through (a format that stores them: the estimator's classes_)."""
    try:
        check_classes(np.array(classes), SURVIVAL, "m", "0, 1")
    except PipelineError as error:
        assert not allowed
        assert str(error) == f"m: classes {classes!r} are not expected 0, 1, each once in increasing order"
    else:
        assert allowed


def test_numbers_in_a_mixed_column_stay_numbers(tmp_path: Path) -> None:
    """A pandas column of object dtype can hold numpy numbers: a negative one is a number, not a formula."""
    column = np.array([np.int64(-3), np.float64(-0.5), -2, "-x", True], dtype=object)
    write_csv(tmp_path / "t.csv", {"mixed": column})
    assert (tmp_path / "t.csv").read_text(encoding="utf-8") == 'mixed\n-3\n-0.5\n-2\n"\'-x"\nTrue\n'
