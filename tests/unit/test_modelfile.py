"""Model files from elsewhere (a DVC remote): sizes checked before anything is unpacked or allocated.

The payloads are those a hostile model file can carry: a 522 KB ``.npz`` that inflates to a 512 MiB
array, and an ``.npy`` header claiming 2**45 elements (an uncaught MemoryError before).
Each must be refused with a PipelineError naming the file, and the refusal must cost
little memory (tracemalloc sees numpy's and zipfile's allocations).
"""

from __future__ import annotations

import pickle
import re
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import helpers
import numpy as np
import pytest

from pipelib.errors import PipelineError
from pipelib.mnist.fitting import LinearModel, load_model, save_model
from pipelib.modelfile import load_arrays, read_meta, save_arrays
from pipelib.params import ImageLogisticParams

PEAK_LIMIT = 4 << 20  # bytes; the arrays refused below are 512 MiB and 256 TiB


def peak_while(call: Callable[[], object]) -> int:
    """Peak traced memory (bytes) while ``call`` runs and raises its PipelineError."""
    tracemalloc.start()
    try:
        with pytest.raises(PipelineError):
            call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def refused(path: Path, pattern: str) -> pytest.RaisesExc:
    return pytest.raises(PipelineError, match="^" + re.escape(str(path)) + ": " + pattern)


def test_the_bomb_is_small_and_really_inflates_to_512_mib(tmp_path: Path) -> None:
    """Control: the payload is what the issue describes, read the way np.load reads it."""
    data = helpers.deflate_bomb()
    assert 500_000 < len(data) < 600_000
    path = tmp_path / "bomb.npz"
    path.write_bytes(data)
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo("coef.npy").file_size > 512 * 2**20


def test_deflate_bomb_is_refused_from_the_zip_directory(tmp_path: Path) -> None:
    path = tmp_path / "binary.npz"
    path.write_bytes(helpers.deflate_bomb())
    with refused(path, r"its entries unpack to 536,871,\d+ bytes, more than the [\d,]+ allowed"):
        load_model(path, 784)
    assert peak_while(lambda: load_model(path, 784)) < PEAK_LIMIT


@pytest.mark.parametrize("shape", [(2**45,), (2**15, 2**30), (8, 2**42)])
def test_npy_header_claiming_2_45_elements_is_refused_before_allocating(tmp_path: Path, shape: tuple) -> None:
    path = tmp_path / "softmax.npz"
    coef = helpers.npy_header(shape) + bytes(8)
    path.write_bytes(helpers.crafted_model({"intercept": np.zeros(10), "classes": np.arange(10)}, {"coef": coef}))
    with refused(path, re.escape(f"array 'coef' claims shape {shape} of <f8 ({2**45:,} elements of 8 bytes)")):
        load_model(path, 784)
    assert peak_while(lambda: load_model(path, 784)) < PEAK_LIMIT


def test_entry_larger_than_its_header_announces_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    raw = {"coef": helpers.npy_header((1, 3)) + bytes(8 * 3 + 8)}  # one value too many
    path.write_bytes(helpers.crafted_model({"intercept": np.zeros(1), "classes": np.array([0, 1])}, raw))
    with refused(path, r"entry 'coef\.npy' is 160 bytes, its header needs 152"):
        load_model(path, 3)


def test_more_classes_than_digits_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    model = LinearModel(np.zeros((11, 784)), np.zeros(11), np.arange(11), 1)
    save_model(
        path,
        model,
        ImageLogisticParams(C=10.0, max_iter=100, random_state=0, dtype="float64", matrix="sparse", n_jobs=1),
        100,
    )
    with refused(
        path, re.escape("array 'classes' claims shape (11,) of <i8 (11 elements of 8 bytes), more than the 10")
    ):
        load_model(path, 784)


def test_unexpected_and_repeated_entries_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "extra.npz"
    save_arrays(
        path, {"coef": np.zeros((1, 3)), "intercept": np.zeros(1), "classes": np.arange(2), "x": np.zeros(1)}, {}
    )
    with refused(path, "unexpected entry 'x.npy'"):
        load_model(path, 3)
    twice = tmp_path / "twice.npz"
    save_arrays(twice, {"coef": np.zeros((1, 3)), "intercept": np.zeros(1), "classes": np.arange(2)}, {})
    with pytest.warns(UserWarning, match="Duplicate name"), zipfile.ZipFile(twice, "a") as archive:
        archive.writestr("coef.npy", b"")
    with refused(twice, "entry 'coef.npy' appears twice"):
        load_model(twice, 3)


def test_meta_json_is_bounded(tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    save_arrays(
        path, {"coef": np.zeros((1, 3)), "intercept": np.zeros(1), "classes": np.arange(2)}, {"x": "y" * 70_000}
    )
    with refused(path, r"its entries unpack to 280,\d+ bytes"):
        load_model(path, 3)


def test_a_file_far_larger_than_any_model_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("coef.npy", np.random.default_rng(0).bytes(200_000))
    with refused(path, r"200,\d+ bytes, more than a linear model file can take"):
        load_model(path, 3)


def test_bounds_admit_every_real_model(tmp_path: Path) -> None:
    """The largest models the pipeline writes load: 10 x 784 softmax, binary, Fortran-ordered arrays."""
    path = tmp_path / "m.npz"
    coef = np.asfortranarray(np.random.default_rng(1).normal(size=(10, 784)))
    save_model(
        path,
        LinearModel(coef, np.ones(10), np.arange(10, dtype=np.uint8), 7),
        ImageLogisticParams(C=10.0, max_iter=100, random_state=0, dtype="float64", matrix="sparse", n_jobs=1),
        60000,
    )
    loaded = load_model(path, 784)
    np.testing.assert_array_equal(loaded.coef, coef)
    assert loaded.n_iter == 7 and loaded.classes.dtype == np.uint8
    arrays, meta = load_arrays(path, {"coef": 7840, "intercept": 10, "classes": 10})
    assert meta["n_rows"] == 60000 and arrays["coef"].flags.writeable


# --- every bound from both sides, on files built byte by byte ---------------------------------------
#
# The bounds (docs/trust.md): an array entry unpacks to at most a 1,024-byte .npy header plus
# 256 bytes an element; meta_json to 1,024 + 65,536 bytes (one text of 16,384 characters, 4 bytes
# each); the file to the sum of those, plus 1 %, plus 64 KiB of zip structure.

ONE = {"coef": 1}  # one array of one element: its entry at most 1,024 + 256 = 1,280 bytes
# the file: (1,280 + 66,560) = 67,840, plus 67,840 // 100 = 678, plus 65,536
MOST_FILE_BYTES = 134_054


def npy_entry(array: np.ndarray, header_bytes: int = 128, version: tuple[int, int] = (1, 0)) -> bytes:
    """An .npy file as the format's specification lays it out, its header padded to ``header_bytes``.

    ``\\x93NUMPY``, two version bytes, the header's length (2 bytes little-endian in version 1.0,
    4 in later ones), the header (a Python dict literal ending in a newline), then the values.
    """
    size_bytes = 2 if version == (1, 0) else 4
    header = f"{{'descr': '{array.dtype.str}', 'fortran_order': False, 'shape': {array.shape}, }}"
    header = header.ljust(header_bytes - 8 - size_bytes - 1) + "\n"
    length = len(header).to_bytes(size_bytes, "little")
    return b"\x93NUMPY" + bytes(version) + length + header.encode("ascii") + array.tobytes()


def write_zip(path: Path, entries: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, payload in entries.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), payload, compress_type=compression)
    return path


def meta_entry(text: str = "{}") -> bytes:
    return npy_entry(np.array(text))


def patch_directory(path: Path, entry: str, offset: int, value: bytes) -> None:
    """Overwrite bytes of ``entry``'s central directory record, ``offset`` bytes from its signature.

    APPNOTE 4.3.12: signature ``PK\\x01\\x02``, then at 6 the version needed to extract, at 8
    the general purpose flags, at 24 the uncompressed size, at 46 the file name.
    """
    data = bytearray(path.read_bytes())
    start = data.index(b"PK\x01\x02")
    while data[start + 46 : start + 46 + len(entry)] != entry.encode():
        start = data.index(b"PK\x01\x02", start + 4)
    data[start + offset : start + offset + len(value)] = value
    path.write_bytes(bytes(data))


def test_every_entry_at_its_largest_loads(tmp_path: Path) -> None:
    """Both entries exactly at their bounds: 1,280 and 66,560 bytes, their sum exactly the total allowed."""
    meta_text = '{"k": "' + "v" * 16_375 + '"}'  # 16,384 characters
    coef = npy_entry(np.array([b"x" * 256]), header_bytes=1024)
    meta = npy_entry(np.array(meta_text), header_bytes=1024)
    assert (len(coef), len(meta)) == (1280, 66_560)
    path = write_zip(tmp_path / "m.npz", {"coef.npy": coef, "meta_json.npy": meta})
    arrays, loaded_meta = load_arrays(path, ONE)
    assert arrays["coef"].tolist() == [b"x" * 256]
    assert loaded_meta == {"k": "v" * 16_375}
    assert read_meta(path) == {"k": "v" * 16_375}


def test_an_entry_one_byte_over_its_bound_is_refused(tmp_path: Path) -> None:
    coef = npy_entry(np.array([b"x" * 256]), header_bytes=1024) + b"\x00"
    path = write_zip(tmp_path / "m.npz", {"coef.npy": coef, "meta_json.npy": meta_entry()})
    with refused(path, re.escape("entry 'coef.npy' unpacks to 1,281 bytes, more than the 1,280 allowed") + "$"):
        load_arrays(path, ONE)


def test_meta_of_16384_characters_loads_and_16385_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    save_arrays(path, {"coef": np.zeros(1)}, {"k": "v" * 16_375})  # '{"k": "' + 16,375 + '"}': 16,384 characters
    assert load_arrays(path, ONE)[1] == {"k": "v" * 16_375}
    save_arrays(path, {"coef": np.zeros(1)}, {"k": "v" * 16_376})
    message = (
        "array 'meta_json' claims shape () of <U16385 (1 elements of 65540 bytes), more than the 1 of at most 65536"
    )
    with refused(path, re.escape(message)):
        load_arrays(path, ONE)


def test_file_size_bound_from_both_sides(tmp_path: Path) -> None:
    """At the bound the file is opened as a zip (and found not to be one); one byte more, it is not opened."""
    path = tmp_path / "m.npz"
    path.write_bytes(b"PK\x03\x04" + bytes(MOST_FILE_BYTES - 4))
    with refused(path, re.escape("not a readable model file (File is not a zip file)") + "$"):
        load_arrays(path, ONE)
    path.write_bytes(b"PK\x03\x04" + bytes(MOST_FILE_BYTES - 3))
    with refused(path, re.escape("134,055 bytes, more than a model file can take") + "$"):
        load_arrays(path, ONE)


@pytest.mark.parametrize("text", [b"x" * 256, "x" * 64], ids=["bytes-256", "text-64"])
def test_text_of_256_bytes_an_item_loads(tmp_path: Path, text: str | bytes) -> None:
    path = tmp_path / "m.npz"
    save_arrays(path, {"coef": np.array([text])}, {})
    assert load_arrays(path, ONE)[0]["coef"].tolist() == [text]


@pytest.mark.parametrize(
    ("text", "claim"), [(b"x" * 257, "|S257 (1 elements of 257 bytes)"), ("x" * 65, "<U65 (1 elements of 260 bytes)")]
)
def test_text_over_256_bytes_an_item_is_refused(tmp_path: Path, text: str | bytes, claim: str) -> None:
    path = tmp_path / "m.npz"
    save_arrays(path, {"coef": np.array([text])}, {})
    with refused(path, re.escape(f"array 'coef' claims shape (1,) of {claim}, more than the 1 of at most 256 allowed")):
        load_arrays(path, ONE)


def test_element_count_bound_from_both_sides(tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    save_arrays(path, {"coef": np.arange(3.0)}, {})
    assert load_arrays(path, {"coef": 3})[0]["coef"].tolist() == [0.0, 1.0, 2.0]
    save_arrays(path, {"coef": np.arange(4.0)}, {})
    with refused(path, re.escape("array 'coef' claims shape (4,) of <f8 (4 elements of 8 bytes), more than the 3 of")):
        load_arrays(path, {"coef": 3})


# --- the .npy and zip formats ------------------------------------------------------------------------


def test_npy_format_2_0_loads_and_3_0_is_refused(tmp_path: Path) -> None:
    path = write_zip(
        tmp_path / "m.npz", {"coef.npy": npy_entry(np.array([1.5, 2.5]), version=(2, 0)), "meta_json.npy": meta_entry()}
    )
    assert load_arrays(path, {"coef": 2})[0]["coef"].tolist() == [1.5, 2.5]
    write_zip(path, {"coef.npy": npy_entry(np.array([1.5, 2.5]), version=(3, 0)), "meta_json.npy": meta_entry()})
    with refused(path, re.escape("array 'coef' is not a readable .npy array (unsupported .npy format version 3.0)")):
        load_arrays(path, {"coef": 2})


@pytest.mark.parametrize(
    "array",
    [
        np.array([1 + 2j]),
        np.zeros(1, dtype=[("a", "<f8")]),
        np.zeros(1, dtype="V8"),
        np.array(["2024-01-01"], dtype="datetime64[D]"),
        np.array([5], dtype="timedelta64[s]"),
    ],
    ids=["complex", "structured", "raw-bytes", "datetime", "timedelta"],
)
def test_arrays_other_than_numbers_and_text_are_refused(tmp_path: Path, array: np.ndarray) -> None:
    path = tmp_path / "m.npz"
    save_arrays(path, {"coef": array}, {})
    with refused(path, re.escape("entry 'coef' is not a plain numeric or text array") + "$"):
        load_arrays(path, ONE)


def test_entry_shorter_than_its_directory_size_is_refused(tmp_path: Path) -> None:
    """Header and zip directory both say 4 values (160 bytes); the entry holds 2, with a matching CRC."""
    entry = npy_entry(np.zeros(4))[: 128 + 16]
    path = write_zip(tmp_path / "m.npz", {"coef.npy": entry, "meta_json.npy": meta_entry()})
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo("coef.npy").file_size == 144
    patch_directory(path, "coef.npy", 24, (160).to_bytes(4, "little"))
    with refused(path, re.escape("entry 'coef.npy' is truncated") + "$"):
        load_arrays(path, {"coef": 4})


def test_entry_name_without_npy_suffix_is_refused(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "m.npz", {"coef": npy_entry(np.zeros(1)), "meta_json.npy": meta_entry()})
    with refused(path, re.escape("unexpected entry 'coef' in the model file") + "$"):
        load_arrays(path, ONE)


def test_entry_compressed_otherwise_than_stored_or_deflated_is_refused(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "m.npz", {"coef.npy": npy_entry(np.zeros(1)), "meta_json.npy": meta_entry()})
    assert load_arrays(path, ONE)[0]["coef"].tolist() == [0.0]  # stored
    write_zip(path, {"coef.npy": npy_entry(np.zeros(1)), "meta_json.npy": meta_entry()}, zipfile.ZIP_BZIP2)
    with refused(path, re.escape("entry 'coef.npy' uses an unsupported compression method") + "$"):
        load_arrays(path, ONE)


def test_malformed_npy_header_is_refused(tmp_path: Path) -> None:
    bad = b"\x93NUMPY\x01\x00" + (20).to_bytes(2, "little") + b"this is no header!!\n"
    path = write_zip(tmp_path / "m.npz", {"coef.npy": bad, "meta_json.npy": meta_entry()})
    with refused(path, re.escape("array 'coef' is not a readable .npy array (")):
        load_arrays(path, ONE)
    write_zip(path, {"meta_json.npy": bad})
    with refused(path, re.escape("array 'meta_json' is not a readable .npy array (")):
        read_meta(path)


# --- what is not a model file at all --------------------------------------------------------------


def test_a_pickle_is_refused_by_its_first_byte(tmp_path: Path) -> None:
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps({"coef": [1.0]}, protocol=2))
    assert path.read_bytes()[:1] == b"\x80"  # the PROTO opcode, protocol 2 and later
    with refused(path, re.escape("refused, a pickle file (model files hold plain arrays only)") + "$"):
        load_arrays(path, ONE)
    with refused(path, re.escape("refused, a pickle file (model files hold plain arrays only)") + "$"):
        read_meta(path)


@pytest.mark.parametrize("content", [b"", b"\x93NUMPY", b"PK\x05\x06"])
def test_other_files_are_not_model_files(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "m.npz"
    path.write_bytes(content)
    with refused(path, re.escape("not a model file (expected a zip archive of .npy arrays)") + "$"):
        load_arrays(path, ONE)


@pytest.mark.parametrize("read", [lambda path: load_arrays(path, ONE), read_meta], ids=["load_arrays", "read_meta"])
def test_unreadable_and_broken_files(tmp_path: Path, read: Callable[[Path], object]) -> None:
    directory = tmp_path / "m.npz"
    directory.mkdir()
    with refused(directory, re.escape("not a regular file (a directory)") + "$"):
        read(directory)
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with refused(broken, re.escape("not a readable model file (File is not a zip file)") + "$"):
        read(broken)


@pytest.mark.parametrize("text", ["[1, 2]", "not json", '"text"'])
def test_meta_that_is_not_a_json_object_is_refused(tmp_path: Path, text: str) -> None:
    path = write_zip(tmp_path / "m.npz", {"coef.npy": npy_entry(np.zeros(1)), "meta_json.npy": meta_entry(text)})
    with refused(path, re.escape("'meta_json' is not a JSON object") + "$"):
        load_arrays(path, ONE)
    with refused(path, re.escape("'meta_json' is not a JSON object") + "$"):
        read_meta(path)


# --- read_meta: only the metadata, bounded the same way ------------------------------------------------


def test_read_meta_of_a_saved_model(tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    save_arrays(path, {"coef": np.zeros((2, 3)), "intercept": np.zeros(2)}, {"kind": "softmax", "n_rows": 60000})
    assert read_meta(path) == {"kind": "softmax", "n_rows": 60000}


def test_read_meta_without_meta(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "m.npz", {"coef.npy": npy_entry(np.zeros(1))})
    with refused(path, re.escape("model file lacks meta_json") + "$"):
        read_meta(path)


def test_read_meta_bounds(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "m.npz", {"meta_json.npy": npy_entry(np.array(["{}", "{}"]))})
    with refused(
        path, re.escape("array 'meta_json' claims shape (2,) of <U2 (2 elements of 8 bytes), more than the 1")
    ):
        read_meta(path)
    write_zip(path, {"meta_json.npy": meta_entry("{" + " " * 19_998 + "}")})  # 128 + 80,000 bytes
    with refused(path, re.escape("its entries unpack to 80,128 bytes, more than the 66,560 allowed") + "$"):
        read_meta(path)
    write_zip(path, {"meta_json.npy": meta_entry()}, zipfile.ZIP_BZIP2)
    with refused(path, re.escape("entry 'meta_json.npy' uses an unsupported compression method") + "$"):
        read_meta(path)


# --- what save_arrays writes ------------------------------------------------------------------------


def test_saved_entries_are_deflated_rw_r__r__and_dated_1980(tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    save_arrays(path, {"coef": np.zeros(3)}, {})
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            assert info.compress_type == 8  # deflate
            assert info.external_attr == 0x01A4_0000  # Unix mode 0o644 in the high 16 bits
            assert info.date_time == (1980, 1, 1, 0, 0, 0)


def test_meta_keys_are_saved_sorted(tmp_path: Path) -> None:
    """The same metadata, given in another order, gives the same bytes."""
    save_arrays(tmp_path / "a.npz", {"coef": np.zeros(3)}, {"b": 1, "a": 2})
    save_arrays(tmp_path / "b.npz", {"coef": np.zeros(3)}, {"a": 2, "b": 1})
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    assert list(load_arrays(tmp_path / "a.npz", {"coef": 3})[1]) == ["a", "b"]


# --- zip features a model file never uses: one line each, no traceback -----------------------------


@pytest.fixture
def plain_model(tmp_path: Path) -> Path:
    return write_zip(tmp_path / "m.npz", {"coef.npy": npy_entry(np.zeros(1)), "meta_json.npy": meta_entry()})


def test_an_encrypted_entry_is_refused(plain_model: Path) -> None:
    patch_directory(plain_model, "coef.npy", 8, (0x1).to_bytes(2, "little"))
    with refused(plain_model, re.escape("entry 'coef.npy' is encrypted") + "$"):
        load_arrays(plain_model, ONE)
    patch_directory(plain_model, "meta_json.npy", 8, (0x1).to_bytes(2, "little"))
    with refused(plain_model, re.escape("entry 'meta_json.npy' is encrypted") + "$"):
        read_meta(plain_model)


def test_other_flags_are_read(plain_model: Path) -> None:
    """Bits 1-3 (deflate options, data descriptor) and 11 (UTF-8 names) say nothing against reading."""
    patch_directory(plain_model, "coef.npy", 8, (0x080E).to_bytes(2, "little"))
    assert load_arrays(plain_model, ONE)[0]["coef"].tolist() == [0.0]


@pytest.mark.parametrize(
    ("flags", "reason"), [(0x20, "compressed patched data (flag bit 5)"), (0x40, "strong encryption (flag bit 6)")]
)
def test_zip_features_not_read_are_refused(plain_model: Path, flags: int, reason: str) -> None:
    patch_directory(plain_model, "coef.npy", 8, flags.to_bytes(2, "little"))
    with refused(plain_model, re.escape(f"not a readable model file ({reason})") + "$"):
        load_arrays(plain_model, ONE)


def test_a_newer_zip_version_is_refused(plain_model: Path) -> None:
    patch_directory(plain_model, "meta_json.npy", 6, (64).to_bytes(2, "little"))  # 6.4: past what zipfile reads
    for read in (lambda path: load_arrays(path, ONE), read_meta):
        with refused(plain_model, re.escape("not a readable model file (zip file version 6.4)") + "$"):
            read(plain_model)


def test_an_entry_name_that_is_not_the_utf8_its_flags_announce(plain_model: Path) -> None:
    patch_directory(plain_model, "coef.npy", 8, (0x800).to_bytes(2, "little"))
    patch_directory(plain_model, "coef.npy", 46, b"\xff")
    for read in (lambda path: load_arrays(path, ONE), read_meta):
        with refused(plain_model, re.escape("not a readable model file ('utf-8' codec can't decode byte 0xff in")):
            read(plain_model)
