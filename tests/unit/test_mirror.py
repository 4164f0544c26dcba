"""Mirror files: only published checksums count unless the user opts in; read once; never outside the mirror."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import helpers
import numpy as np
import pytest

from pipelib.errors import PipelineError
from pipelib.mirror import (
    Checksums,
    find_mirror,
    mirror_checksums,
    parse_checksum_list,
    read_inside,
    read_verified,
    trusts_mirror_sums,
)
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


# --- finding the mirror ---------------------------------------------------------------------------


def test_data_mirror_names_the_mirror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "m" / "mnist").mkdir(parents=True)
    monkeypatch.setenv("DATA_MIRROR", str(tmp_path / "m"))
    monkeypatch.chdir(tmp_path)  # no ../shared/data from here
    assert find_mirror("mnist") == tmp_path / "m" / "mnist"
    with pytest.raises(PipelineError) as caught:
        find_mirror("titanic")
    assert str(caught.value) == f"DATA_MIRROR={tmp_path / 'm'}: no 'titanic' directory in this mirror"


@pytest.mark.parametrize("setting", [None, ""], ids=["unset", "empty"])
def test_shared_data_beside_the_project_is_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: str | None
) -> None:
    if setting is None:
        monkeypatch.delenv("DATA_MIRROR", raising=False)
    else:
        monkeypatch.setenv("DATA_MIRROR", setting)
    (tmp_path / "shared" / "data" / "mnist").mkdir(parents=True)
    (tmp_path / "project").mkdir()
    monkeypatch.chdir(tmp_path / "project")
    assert find_mirror("mnist") == tmp_path.resolve() / "shared" / "data" / "mnist"
    assert find_mirror("titanic") is None


@pytest.mark.parametrize(("value", "trusted"), [(None, False), ("", False), ("0", False), ("1", True)])
def test_opting_in_to_a_mirrors_sums(monkeypatch: pytest.MonkeyPatch, value: str | None, trusted: bool) -> None:
    if value is None:
        monkeypatch.delenv("DATA_MIRROR_TRUST_SUMS", raising=False)
    else:
        monkeypatch.setenv("DATA_MIRROR_TRUST_SUMS", value)
    assert trusts_mirror_sums() is trusted


@pytest.mark.parametrize("value", ["yes", " 1", "true", "01"])
def test_other_opt_in_values_are_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("DATA_MIRROR_TRUST_SUMS", value)
    with pytest.raises(PipelineError) as caught:
        trusts_mirror_sums()
    assert str(caught.value) == f"DATA_MIRROR_TRUST_SUMS={value}: expected 1 (use a mirror's own SHA256SUMS) or 0"


# --- reading one file -------------------------------------------------------------------------------


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PipelineError) as caught:
        read_inside(tmp_path, "absent.gz", 100)
    assert str(caught.value) == f"{tmp_path / 'absent.gz'}: file not found in the mirror"


def test_a_symlink_loop(tmp_path: Path) -> None:
    (tmp_path / "loop").symlink_to("loop")
    with pytest.raises(PipelineError, match="^" + re.escape(f"{tmp_path / 'loop'}: not readable (")):
        read_inside(tmp_path, "loop", 100)


def test_a_socket_cannot_be_opened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # a short relative name: socket paths are limited to ~100 bytes
    with socket.socket(socket.AF_UNIX) as server:
        server.bind("s")
        with pytest.raises(PipelineError) as caught:
            read_inside(tmp_path, "s", 100)
    assert str(caught.value) == f"{tmp_path / 's'}: not readable (No such device or address)"


OSTYPE = Path("/proc/sys/kernel/ostype")


@pytest.mark.skipif(not OSTYPE.is_file(), reason="Linux's /proc only")
def test_a_file_longer_than_its_stated_size() -> None:
    """/proc files state a size of 0 and hold more: the bound holds on what is read, not on the stated size."""
    assert OSTYPE.stat().st_size == 0
    assert read_inside(OSTYPE.parent, "ostype", 6) == b"Linux\n"
    with pytest.raises(PipelineError) as caught:
        read_inside(OSTYPE.parent, "ostype", 5)
    assert str(caught.value) == f"{OSTYPE}: more than the 5 bytes allowed for this file"


# --- checksum lists -----------------------------------------------------------------------------------

# Published test vectors: SHA-256 (FIPS 180-2) and MD5 (RFC 1321) of b"abc"
ABC_SHA256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
ABC_MD5 = "900150983cd24fb0d6963f7d28e17f72"


def test_checksum_list_in_sha256sum_format(tmp_path: Path) -> None:
    text = f"{ABC_SHA256.upper()}  abc.gz\n\n   \n{'0' * 64} *XYZ.csv\n"
    assert parse_checksum_list(text, tmp_path / "SHA256SUMS") == {"abc.gz": ABC_SHA256, "XYZ.csv": "0" * 64}
    assert parse_checksum_list("", tmp_path / "SHA256SUMS") == {}


@pytest.mark.parametrize(
    "line",
    [f"{ABC_SHA256[:-1]}  abc.gz", f"{ABC_SHA256}0  abc.gz", f"{ABC_SHA256}  a b.gz", ABC_SHA256, "abc.gz"],
    ids=["63-digits", "65-digits", "three-fields", "no-name", "no-sum"],
)
def test_checksum_list_line_refused_by_number(tmp_path: Path, line: str) -> None:
    listing = tmp_path / "SHA256SUMS"
    with pytest.raises(PipelineError) as caught:
        parse_checksum_list(f"{ABC_SHA256}  abc.gz\n{line}\n", listing)
    assert str(caught.value) == f"{listing}: line 2 is not '<sha256>  <file name>'"


@pytest.mark.parametrize(
    ("line", "name"),
    [
        (f"{ABC_SHA256}  ./abc.gz", "abc.gz"),  # sha256sum ./abc.gz
        (f"{ABC_SHA256} *abc.gz", "abc.gz"),  # sha256sum -b abc.gz
        (f"{ABC_SHA256} *./abc.gz", "abc.gz"),  # sha256sum -b ./abc.gz
        (f"{ABC_SHA256}  ././abc.gz", "abc.gz"),
        (f"{ABC_SHA256} abc.gz", "abc.gz"),  # BSD sha256 -r: one space, no mode mark
        (f"{ABC_SHA256}\tabc.gz", "abc.gz"),
        (f"{ABC_SHA256}  *star.gz", "*star.gz"),  # text mode, a name that begins with *
        (f"{ABC_SHA256} **star.gz", "*star.gz"),  # binary mode, the same name
    ],
    ids=["dot-slash", "binary", "binary-dot-slash", "dot-slash-twice", "bsd", "tab", "text-star", "binary-star"],
)
def test_checksum_list_names_as_sha256sum_writes_them(tmp_path: Path, line: str, name: str) -> None:
    assert parse_checksum_list(line + "\n", tmp_path / "SHA256SUMS") == {name: ABC_SHA256}


@pytest.mark.parametrize(
    "name", ["../abc.gz", "./../abc.gz", "/tmp/abc.gz", "sub/abc.gz", "./sub/abc.gz", ".//abc.gz", "..", ".", "./"]
)
@pytest.mark.parametrize("mark", [" ", "*"], ids=["text", "binary"])
def test_checksum_list_entries_outside_the_directory_are_refused(tmp_path: Path, name: str, mark: str) -> None:
    listing = tmp_path / "SHA256SUMS"
    with pytest.raises(PipelineError) as caught:
        parse_checksum_list(f"{ABC_SHA256}  abc.gz\n{ABC_SHA256} {mark}{name}\n", listing)
    assert str(caught.value) == (
        f"{listing}: line 2 lists '{name}', not a file in this directory (a name, or ./name, expected)"
    )


def test_checksum_list_with_one_file_twice(tmp_path: Path) -> None:
    listing = tmp_path / "SHA256SUMS"
    assert parse_checksum_list(f"{ABC_SHA256}  abc.gz\n{ABC_SHA256}  ./abc.gz\n", listing) == {"abc.gz": ABC_SHA256}
    with pytest.raises(PipelineError) as caught:
        parse_checksum_list(f"{ABC_SHA256}  abc.gz\n{'0' * 64}  ./abc.gz\n", listing)
    assert str(caught.value) == f"{listing}: line 2 lists abc.gz again, with another sha256"


@pytest.fixture
def plain_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A mirror directory holding abc.gz (the bytes b"abc"), no SHA256SUMS, no opt-in."""
    monkeypatch.delenv("DATA_MIRROR_TRUST_SUMS", raising=False)
    directory = tmp_path / "mnist"
    directory.mkdir()
    (directory / "abc.gz").write_bytes(b"abc")
    return directory


def test_published_sums_without_a_list(plain_dir: Path) -> None:
    checksums = mirror_checksums(plain_dir, {"abc.gz": ABC_MD5}, "md5")
    assert checksums == Checksums({"abc.gz": ABC_MD5}, "md5", ignored_list=False)
    assert read_verified(plain_dir, "abc.gz", checksums, 3) == b"abc"
    with pytest.raises(dataclasses.FrozenInstanceError):
        checksums.algorithm = "sha256"  # type: ignore[misc]


def test_a_list_without_opt_in_is_ignored(plain_dir: Path) -> None:
    (plain_dir / "SHA256SUMS").write_text(f"{ABC_SHA256}  abc.gz\n", encoding="utf-8")
    checksums = mirror_checksums(plain_dir, {"abc.gz": ABC_MD5}, "md5")
    assert checksums == Checksums({"abc.gz": ABC_MD5}, "md5", ignored_list=True)


def test_an_opted_in_list_is_used(plain_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATA_MIRROR_TRUST_SUMS", "1")
    (plain_dir / "SHA256SUMS").write_text(f"{ABC_SHA256}  abc.gz\n", encoding="utf-8")
    checksums = mirror_checksums(plain_dir, {"abc.gz": ABC_MD5}, "md5")
    assert checksums == Checksums({"abc.gz": ABC_SHA256}, "sha256", ignored_list=False)
    assert read_verified(plain_dir, "abc.gz", checksums, 3) == b"abc"


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="needs GNU coreutils' sha256sum")
@pytest.mark.parametrize("command", ["sha256sum ./*.gz", "sha256sum -b ./*.gz", "sha256sum -b *.gz", "sha256sum *.gz"])
def test_an_opted_in_list_written_by_sha256sum(plain_dir: Path, monkeypatch: pytest.MonkeyPatch, command: str) -> None:
    """The list sha256sum itself writes in the directory, with or without ./ and -b: abc.gz is read and verified."""
    monkeypatch.setenv("DATA_MIRROR_TRUST_SUMS", "1")
    listing = subprocess.run(["sh", "-c", command], cwd=plain_dir, capture_output=True, check=True).stdout
    (plain_dir / "SHA256SUMS").write_bytes(listing)
    checksums = mirror_checksums(plain_dir, {"abc.gz": ABC_MD5}, "md5")
    assert checksums == Checksums({"abc.gz": ABC_SHA256}, "sha256", ignored_list=False)
    assert read_verified(plain_dir, "abc.gz", checksums, 3) == b"abc"


def test_an_opted_in_list_naming_a_file_outside_is_refused(plain_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A sum for ../abc.gz (where a matching file lies) is no sum for the mirror's own abc.gz: the list is refused."""
    monkeypatch.setenv("DATA_MIRROR_TRUST_SUMS", "1")
    (plain_dir.parent / "abc.gz").write_bytes(b"abc")
    (plain_dir / "SHA256SUMS").write_text(f"{ABC_SHA256}  ../abc.gz\n", encoding="utf-8")
    with pytest.raises(PipelineError) as caught:
        mirror_checksums(plain_dir, {"abc.gz": ABC_MD5}, "md5")
    listing = plain_dir / "SHA256SUMS"
    expected = f"{listing}: line 1 lists '../abc.gz', not a file in this directory (a name, or ./name, expected)"
    assert str(caught.value) == expected


def test_an_opted_in_list_that_is_not_utf8(plain_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATA_MIRROR_TRUST_SUMS", "1")
    (plain_dir / "SHA256SUMS").write_bytes(f"{ABC_SHA256}  abc\xe9.gz\n".encode("latin-1"))
    with pytest.raises(PipelineError) as caught:
        mirror_checksums(plain_dir, {}, "md5")
    assert str(caught.value) == f"{plain_dir / 'SHA256SUMS'}: not UTF-8 text, expected '<sha256>  <file name>' lines"


def test_an_opted_in_list_of_at_most_64_kib(plain_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """65,536 bytes (one line, then blank lines) are read; 65,537 are refused unread."""
    monkeypatch.setenv("DATA_MIRROR_TRUST_SUMS", "1")
    line = f"{ABC_SHA256}  abc.gz\n"
    listing = plain_dir / "SHA256SUMS"
    listing.write_text(line + "\n" * (65_536 - len(line)), encoding="utf-8")
    assert mirror_checksums(plain_dir, {}, "md5").sums == {"abc.gz": ABC_SHA256}
    listing.write_text(line + "\n" * (65_537 - len(line)), encoding="utf-8")
    with pytest.raises(PipelineError) as caught:
        mirror_checksums(plain_dir, {}, "md5")
    assert str(caught.value) == f"{listing}: 65,537 bytes, more than the 65,536 allowed for this file"


def test_a_file_missing_from_the_mirror_and_the_list(plain_dir: Path) -> None:
    with pytest.raises(PipelineError) as caught:
        read_verified(plain_dir, "absent.gz", Checksums({"abc.gz": ABC_MD5}, "md5"), 100)
    assert str(caught.value) == f"{plain_dir / 'absent.gz'}: file not found in the mirror"


def test_a_file_without_a_recorded_sum(plain_dir: Path) -> None:
    with pytest.raises(PipelineError) as caught:
        read_verified(plain_dir, "abc.gz", Checksums({"other.gz": ABC_SHA256}, "sha256"), 100)
    assert str(caught.value) == f"{plain_dir / 'abc.gz'}: no recorded sha256 checksum for this file"


@pytest.mark.parametrize("ignored_list", [False, True])
def test_a_mismatch_names_both_sums(plain_dir: Path, ignored_list: bool) -> None:
    (plain_dir / "abc.gz").write_bytes(b"abd")
    with pytest.raises(PipelineError) as caught:
        read_verified(plain_dir, "abc.gz", Checksums({"abc.gz": ABC_MD5}, "md5", ignored_list), 100)
    hint = "; this mirror's SHA256SUMS is used only with DATA_MIRROR_TRUST_SUMS=1" if ignored_list else ""
    message = str(caught.value)
    assert re.fullmatch(
        re.escape(f"{plain_dir / 'abc.gz'}: md5 ")
        + f"(?!{ABC_MD5})[0-9a-f]{{32}}"
        + re.escape(f" does not match the recorded {ABC_MD5} (a corrupt or different file{hint})"),
        message,
    ), message
