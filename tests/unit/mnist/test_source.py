"""Where MNIST comes from: the published checksums and size bound of the mirror, and OpenML.

OpenML is read through scikit-learn's own download cache, written here as files (the JSON
answers and the gzipped ARFF that ``fetch_openml`` caches), so no test touches the network;
a download that fails is one refused by an audit hook before any connection is made.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.error import HTTPError

import helpers
import numpy as np
import pytest

from pipelib.errors import PipelineError
from pipelib.mnist.source import PUBLISHED_MD5, load_mirror, load_mnist, load_openml

# --- the mirror ----------------------------------------------------------------------------------


def test_published_md5s_are_those_of_the_original_files() -> None:
    """As printed beside the four files in torchvision's MNIST class (and checked there)."""
    assert PUBLISHED_MD5 == {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    }


def test_an_images_file_past_the_bound_is_refused_unread(tmp_path: Path) -> None:
    """1,000,000 images of 784 bytes, gzipped, plus 1 %: 791,840,000 bytes; one more is refused."""
    directory = tmp_path / "mnist"
    directory.mkdir()
    path = directory / "train-images-idx3-ubyte.gz"
    with open(path, "wb") as stream:
        stream.truncate(791_840_001)  # a sparse file: nothing is written to disk
    with pytest.raises(PipelineError) as error:
        load_mirror(directory)
    assert str(error.value) == f"{path}: 791,840,001 bytes, more than the 791,840,000 allowed for this file"


def test_load_mnist_reads_a_configured_mirror(
    mnist_mirror: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATA_MIRROR", str(mnist_mirror))
    pixels, labels = load_mnist("not-used", 1)
    expected_pixels, expected_labels = helpers.synthetic_digits(80, seed=1)
    np.testing.assert_array_equal(pixels, expected_pixels)
    np.testing.assert_array_equal(labels, expected_labels)
    assert capsys.readouterr().err == f"fetch: reading MNIST from the mirror {mnist_mirror / 'mnist'}\n"


# --- OpenML --------------------------------------------------------------------------------------

WATCHING: list[dict[str, object]] = []


def _refuse_downloads(event: str, args: tuple) -> None:
    """While a test watches: note the socket timeout of every download, and refuse it as OpenML's HTTP 412."""
    if event == "urllib.Request" and WATCHING:
        WATCHING[0].setdefault("timeouts", []).append(socket.getdefaulttimeout())  # type: ignore[union-attr]
        raise HTTPError(args[0], 412, "Precondition Failed", None, None)  # type: ignore[arg-type]


sys.addaudithook(_refuse_downloads)  # hooks cannot be removed; this one acts only while WATCHING is set


@pytest.fixture
def downloads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, object]]:
    """An empty scikit-learn data home, every download refused; the socket timeout is 2.5 s before and after."""
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path / "scikit_learn_data"))
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(2.5)
    WATCHING.append({})
    try:
        yield WATCHING[0]
    finally:
        WATCHING.clear()
        socket.setdefaulttimeout(previous)


def test_a_failed_download_is_one_line_naming_the_mirror_variable(downloads: dict[str, object]) -> None:
    with pytest.raises(PipelineError) as error:
        load_openml("tiny", 3)
    assert str(error.value) == (
        "cannot download 'tiny' version 3 from OpenML (OpenMLError: Dataset tiny with version 3 not found.); "
        "offline, set DATA_MIRROR to a directory holding mnist/ with the four IDX .gz files"
    )
    assert downloads["timeouts"] == [60, 60]  # the version, then the deactivated version: 60 s each
    assert socket.getdefaulttimeout() == 2.5  # the caller's timeout is back


def write_openml_cache(data_home: Path, name: str, pixels: list[list[float]], labels: list[int]) -> None:
    """What ``fetch_openml(name, version=1)`` caches for a data set of numeric pixels and a nominal class."""
    columns = [f"pixel{index + 1}" for index in range(len(pixels[0]))]
    arff = (
        "\n".join(
            [f"@RELATION {name}"]
            + [f"@ATTRIBUTE {column} NUMERIC" for column in columns]
            + ["@ATTRIBUTE class {0,1,2,3,4,5,6,7,8,9}", "@DATA"]
            + [
                ",".join([*(f"{value:g}" for value in row), str(label)])
                for row, label in zip(pixels, labels, strict=True)
            ]
        ).encode()
        + b"\n"
    )
    feature = {"is_target": "false", "is_ignore": "false", "is_row_identifier": "false"}
    feature["number_of_missing_values"] = "0"
    answers = {
        f"api/v1/json/data/list/data_name/{name}/limit/2/data_version/1": {
            "data": {"dataset": [{"did": 7, "name": name, "version": 1, "status": "active", "format": "ARFF"}]}
        },
        "api/v1/json/data/7": {
            "data_set_description": {
                "id": "7",
                "name": name,
                "version": "1",
                "format": "ARFF",
                "status": "active",
                "file_id": "70",
                "default_target_attribute": "class",
                "md5_checksum": hashlib.md5(arff).hexdigest(),
                "url": f"https://www.openml.org/data/v1/download/70/{name}.arff",
            }
        },
        "api/v1/json/data/features/7": {
            "data_features": {
                "feature": [
                    {**feature, "index": str(index), "name": column, "data_type": "numeric"}
                    for index, column in enumerate(columns)
                ]
                + [
                    {
                        **feature,
                        "index": str(len(columns)),
                        "name": "class",
                        "data_type": "nominal",
                        "nominal_value": [str(digit) for digit in range(10)],
                        "is_target": "true",
                    }
                ]
            }
        },
        "api/v1/json/data/qualities/7": {
            "data_qualities": {"quality": [{"name": "NumberOfInstances", "value": f"{len(labels)}.0"}]}
        },
    }
    files = {path: json.dumps(answer).encode() for path, answer in answers.items()}
    files[f"data/v1/download/70/{name}.arff"] = arff
    for path, content in files.items():
        target = data_home / "openml" / "openml.org" / f"{path}.gz"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(gzip.compress(content, mtime=0))


def test_openml_pixels_and_labels_as_uint8(tmp_path: Path, downloads: dict[str, object]) -> None:
    write_openml_cache(tmp_path / "scikit_learn_data", "tiny", [[0, 255, 3], [17, 0, 254]], [5, 0])
    pixels, labels = load_openml("tiny", 1)
    assert pixels.dtype == np.uint8 and labels.dtype == np.uint8
    assert pixels.tolist() == [[0, 255, 3], [17, 0, 254]]
    assert labels.tolist() == [5, 0]
    assert "timeouts" not in downloads  # read from the cache, nothing downloaded
    assert socket.getdefaulttimeout() == 2.5


@pytest.mark.parametrize("bad", [-1, 256, 0.5])
def test_openml_pixels_outside_0_255_or_fractional_are_refused(
    tmp_path: Path, downloads: dict[str, object], bad: float
) -> None:
    write_openml_cache(tmp_path / "scikit_learn_data", "odd", [[0, 255], [bad, 9]], [1, 2])
    with pytest.raises(PipelineError) as error:
        load_openml("odd", 1)
    assert str(error.value) == "OpenML 'odd': pixels are not integers in 0-255"


def test_load_mnist_without_a_mirror_reads_openml(
    tmp_path: Path, downloads: dict[str, object], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DATA_MIRROR", raising=False)
    (tmp_path / "project").mkdir()
    monkeypatch.chdir(tmp_path / "project")  # no ../shared/data beside it
    assert not os.path.exists(tmp_path / "shared")
    write_openml_cache(tmp_path / "scikit_learn_data", "tiny_mnist", [[1, 2], [3, 4]], [9, 8])
    pixels, labels = load_mnist("tiny_mnist", 1)
    assert pixels.tolist() == [[1, 2], [3, 4]]
    assert labels.tolist() == [9, 8]
    assert capsys.readouterr().err == "fetch: downloading 'tiny_mnist' from OpenML\n"
