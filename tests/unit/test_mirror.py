"""Mirror files: only published checksums count unless the user opts in; read once; never outside the mirror."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import helpers
import numpy as np
import pytest

from pipelib.errors import PipelineError
from pipelib.mirror import read_inside
from pipelib.mnist.source import PUBLISHED_MD5, load_mirror
from pipelib.titanic.data import fetch_csv

IMAGES = "train-images-idx3-ubyte.gz"
OPENED: list[str] = []
_watching: list[Path] = []


def _audit(event: str, args: tuple) -> None:
    if event == "open" and _watching and isinstance(args[0], str | bytes | os.PathLike):
        name = os.fsdecode(args[0])
        if name.startswith(str(_watching[0])):
            OPENED.append(name)


sys.addaudithook(_audit)  # audit hooks cannot be removed; this one only records while _watching is set


@pytest.fixture
def mirror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small synthetic mirror with its own SHA256SUMS in each directory; DATA_MIRROR names it, no opt-in."""
    monkeypatch.delenv("DATA_MIRROR_TRUST_SUMS", raising=False)
    monkeypatch.setenv("DATA_MIRROR", str(tmp_path / "mirror"))
    helpers.write_mnist_mirror(tmp_path / "mirror", n_train=20, n_test=10, seed=5)
    helpers.write_titanic_mirror(tmp_path / "mirror", n_train=20, n_test=5, seed=5)
    return tmp_path / "mirror"


def test_a_mirrors_own_sums_are_ignored_without_opt_in(mirror: Path) -> None:
    hint = "this mirror's SHA256SUMS is used only with DATA_MIRROR_TRUST_SUMS=1"
    with pytest.raises(PipelineError, match=rf"{IMAGES}: md5 [0-9a-f]{{32}} does not match the recorded .*{hint}"):
        load_mirror(mirror / "mnist")
    with pytest.raises(PipelineError, match=rf"train\.csv: sha256 [0-9a-f]{{64}} does not match .*{hint}"):
        fetch_csv("train.csv", "https://invalid.example/", required=True)


def test_opting_in_uses_the_mirrors_sums(mirror: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATA_MIRROR_TRUST_SUMS", "1")
    pixels, _ = load_mirror(mirror / "mnist")
    np.testing.assert_array_equal(pixels, helpers.synthetic_digits(30, seed=5)[0])
    assert fetch_csv("train.csv", "https://invalid.example/", required=True) is not None
    monkeypatch.setenv("DATA_MIRROR_TRUST_SUMS", "0")
    with pytest.raises(PipelineError, match="does not match"):
        load_mirror(mirror / "mnist")
    monkeypatch.setenv("DATA_MIRROR_TRUST_SUMS", "yes")
    with pytest.raises(PipelineError, match=r"^DATA_MIRROR_TRUST_SUMS=yes: expected 1"):
        load_mirror(mirror / "mnist")


def test_published_checksums_hold_even_with_opt_in_when_no_list(mirror: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATA_MIRROR_TRUST_SUMS", "1")
    (mirror / "mnist" / "SHA256SUMS").unlink()
    with pytest.raises(PipelineError, match=f"does not match the recorded {PUBLISHED_MD5[IMAGES]}"):
        load_mirror(mirror / "mnist")


def test_a_symlink_leaving_the_mirror_is_refused(mirror: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Even with the mirror's sums trusted and matching, a file outside the mirror directory is not read."""
    monkeypatch.setenv("DATA_MIRROR_TRUST_SUMS", "1")
    outside = tmp_path / "elsewhere" / IMAGES
    outside.parent.mkdir()
    shutil.move(mirror / "mnist" / IMAGES, outside)
    (mirror / "mnist" / IMAGES).symlink_to(outside)
    with pytest.raises(PipelineError, match=rf"{IMAGES}: refused, a symlink to {outside}, outside the mirror"):
        load_mirror(mirror / "mnist")
    sums = mirror / "titanic" / "SHA256SUMS"
    shutil.move(sums, tmp_path / "elsewhere" / "SHA256SUMS")
    sums.symlink_to(tmp_path / "elsewhere" / "SHA256SUMS")
    with pytest.raises(PipelineError, match=r"SHA256SUMS: refused, a symlink"):
        fetch_csv("train.csv", "https://invalid.example/", required=True)


def test_a_symlink_inside_the_mirror_is_followed(mirror: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATA_MIRROR_TRUST_SUMS", "1")
    (mirror / "mnist" / "blobs").mkdir()
    shutil.move(mirror / "mnist" / IMAGES, mirror / "mnist" / "blobs" / IMAGES)
    (mirror / "mnist" / IMAGES).symlink_to(Path("blobs") / IMAGES)
    assert load_mirror(mirror / "mnist")[0].shape == (30, 784)


def test_each_file_is_opened_once(mirror: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hashed and parsed from one read: no window between the check and a second open."""
    monkeypatch.setenv("DATA_MIRROR_TRUST_SUMS", "1")
    OPENED.clear()
    _watching.append(mirror)
    try:
        load_mirror(mirror / "mnist")
        fetch_csv("train.csv", "https://invalid.example/", required=True)
    finally:
        _watching.clear()
    names = sorted(Path(name).relative_to(mirror).as_posix() for name in OPENED)
    expected = [f"mnist/{name}" for name in helpers.MNIST_FILES] + ["mnist/SHA256SUMS", "titanic/SHA256SUMS"]
    assert names == sorted([*expected, "titanic/train.csv"])


def test_special_and_oversized_files_are_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")  # reading would block forever
    with pytest.raises(PipelineError, match=r"pipe: not a regular file"):
        read_inside(tmp_path, "pipe", 100)
    (tmp_path / "big").write_bytes(bytes(101))
    with pytest.raises(PipelineError, match=r"big: 101 bytes, more than the 100 allowed"):
        read_inside(tmp_path, "big", 100)
    assert read_inside(tmp_path, "big", 101) == bytes(101)
