"""Model files from elsewhere (a DVC remote): sizes checked before anything is unpacked or allocated.

The payloads are the ones issue 13 found: a 522 KB ``.npz`` that inflates to a 512 MiB
array, and an ``.npy`` header claiming 2**45 elements (an uncaught MemoryError before).
Each must be refused with a PipelineError naming the file, and the refusal must cost
little memory (tracemalloc sees numpy's and zipfile's allocations).
"""

from __future__ import annotations

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
from pipelib.modelfile import load_arrays, save_arrays
from pipelib.params import ImageLogisticParams
from pipelib.titanic.model import TitanicModel

PEAK_LIMIT = 4 << 20  # bytes; the arrays refused below are 512 MiB and 256 TiB
TITANIC_ARRAYS = {
    "medians": np.zeros(4),
    "most_frequent": np.array(["1", "male", "S"]),
    "coef": np.zeros(12),
    "intercept": np.zeros(1),
    "categories_Pclass": np.array(["1", "2", "3"]),
    "categories_Sex": np.array(["female", "male"]),
    "categories_Embarked": np.array(["C", "Q", "S"]),
}


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


def test_titanic_text_header_with_huge_items_is_refused(tmp_path: Path) -> None:
    """3 strings of 10**8 characters each (1.2 GB) announced by a header of a few bytes."""
    path = tmp_path / "titanic.npz"
    arrays = {name: value for name, value in TITANIC_ARRAYS.items() if name != "most_frequent"}
    raw = {"most_frequent": helpers.npy_header((3,), "<U100000000") + bytes(12)}
    path.write_bytes(helpers.crafted_model(arrays, raw))
    with refused(path, re.escape("array 'most_frequent' claims shape (3,) of <U100000000")):
        TitanicModel.load(path)
    assert peak_while(lambda: TitanicModel.load(path)) < PEAK_LIMIT


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


def test_titanic_model_with_more_categories_than_the_csv_allows(tmp_path: Path) -> None:
    path = tmp_path / "titanic.npz"
    save_arrays(path, {**TITANIC_ARRAYS, "categories_Sex": np.array(["female", "male", "other"])}, {})
    with refused(path, re.escape("array 'categories_Sex' claims shape (3,)")):
        TitanicModel.load(path)


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
