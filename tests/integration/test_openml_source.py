"""The OpenML source, offline: scikit-learn's own ``fetch_openml`` reading its download cache.

These machines have no network, so the OpenML path is exercised through scikit-learn's
cache (``SCIKIT_LEARN_DATA``): ``fetch_openml`` reads a cached file instead of downloading
it, with everything else (the dataset search, its description, features, qualities, the
ARFF data file and its md5 check, the parsing) done by the real code. The test writes
such a cache for a small ``mnist_784`` made of synthetic digits, laid out as OpenML serves
the real one (784 numeric ``pixel1..pixel784`` columns, then a nominal ``class``; training
rows then test rows), and checks that the fetch stage's parquet file from OpenML equals
the one from a mirror of the same images byte for byte, as the pipeline issue requires.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import helpers
import numpy as np
import pytest

from pipelib.mnist.source import load_mirror

DATASET_ID = 554  # mnist_784's id on OpenML
FILE_ID = 52667
N_TRAIN, N_TEST = 120, 30


def write_cached(cache: Path, url_path: str, payload: bytes) -> None:
    """One file of scikit-learn's OpenML cache: the URL's path under ``openml/openml.org/``, gzipped."""
    target = cache / "openml" / "openml.org" / (url_path + ".gz")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(gzip.compress(payload, mtime=0))


def arff_text(pixels: np.ndarray, labels: np.ndarray) -> bytes:
    """The data set as ARFF, the format OpenML serves ``mnist_784`` in."""
    lines = ["@RELATION mnist_784", ""]
    lines += [f"@ATTRIBUTE pixel{number} NUMERIC" for number in range(1, pixels.shape[1] + 1)]
    lines += ["@ATTRIBUTE class {0,1,2,3,4,5,6,7,8,9}", "", "@DATA"]
    lines += [",".join(map(str, row.tolist())) + f",{label}" for row, label in zip(pixels, labels, strict=True)]
    return ("\n".join(lines) + "\n").encode()


def write_openml_cache(cache: Path, pixels: np.ndarray, labels: np.ndarray, md5: str | None = None) -> None:
    """Write the cached OpenML responses ``fetch_openml("mnist_784", version=1)`` reads."""
    data = arff_text(pixels, labels)
    download = f"data/v1/download/{FILE_ID}/mnist_784.arff"
    listing = {"data": {"dataset": [{"did": DATASET_ID, "name": "mnist_784", "version": 1, "status": "active"}]}}
    description = {
        "data_set_description": {
            "id": str(DATASET_ID),
            "name": "mnist_784",
            "version": "1",
            "format": "ARFF",
            "status": "active",
            "file_id": str(FILE_ID),
            "default_target_attribute": "class",
            "url": f"https://api.openml.org/{download}",
            "md5_checksum": md5 or hashlib.md5(data).hexdigest(),
        }
    }
    flags = {"is_ignore": "false", "is_row_identifier": "false", "number_of_missing_values": "0"}
    features = [
        {"index": str(index), "name": f"pixel{index + 1}", "data_type": "numeric", "is_target": "false", **flags}
        for index in range(pixels.shape[1])
    ]
    features.append(
        {
            "index": str(pixels.shape[1]),
            "name": "class",
            "data_type": "nominal",
            "nominal_value": [str(digit) for digit in range(10)],
            "is_target": "true",
            **flags,
        }
    )
    qualities = {"data_qualities": {"quality": [{"name": "NumberOfInstances", "value": f"{len(pixels)}.0"}]}}
    api = "api/v1/json/data"
    write_cached(cache, f"{api}/list/data_name/mnist_784/limit/2/data_version/1", json.dumps(listing).encode())
    write_cached(cache, f"{api}/{DATASET_ID}", json.dumps(description).encode())
    write_cached(cache, f"{api}/features/{DATASET_ID}", json.dumps({"data_features": {"feature": features}}).encode())
    write_cached(cache, f"{api}/qualities/{DATASET_ID}", json.dumps(qualities).encode())
    write_cached(cache, download, data)


def run_fetch(project: Path, out: str, mirror: Path | None, cache: Path) -> subprocess.CompletedProcess[str]:
    """The fetch stage's script, with ``mirror`` as DATA_MIRROR or with none configured or found."""
    env = helpers.stage_env(mirror or project, project)
    if mirror is None:
        del env["DATA_MIRROR"]
    env["SCIKIT_LEARN_DATA"] = str(cache)
    return subprocess.run(
        [sys.executable, "-m", "stages.fetch_mnist", "--out", out],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


class Sources(NamedTuple):
    """A project copy with no mirror beside it, a mirror of synthetic digits, an empty cache dir, the digits."""

    project: Path
    mirror_root: Path
    cache: Path
    pixels: np.ndarray
    labels: np.ndarray


@pytest.fixture
def sources(tmp_path: Path) -> Sources:
    project = helpers.copy_sources(tmp_path / "work" / "project")
    assert not (project.parent / "shared").exists()
    mirror_root = tmp_path / "mirror"
    helpers.write_mnist_mirror(mirror_root, N_TRAIN, N_TEST, seed=3)
    with helpers.trusting_mirror_sums():
        pixels, labels = load_mirror(mirror_root / "mnist")
    return Sources(project, mirror_root, tmp_path / "sklearn-cache", pixels, labels)


def test_openml_and_mirror_give_the_same_parquet_bytes(
    sources: Sources,
) -> None:
    project, mirror_root, cache, pixels, labels = sources
    write_openml_cache(cache, pixels, labels)

    from_openml = run_fetch(project, "openml.parquet", None, cache)
    assert from_openml.returncode == 0, from_openml.stderr
    assert "downloading 'mnist_784' from OpenML" in from_openml.stderr
    from_mirror = run_fetch(project, "mirror.parquet", mirror_root, cache)
    assert from_mirror.returncode == 0, from_mirror.stderr
    assert "reading MNIST from the mirror" in from_mirror.stderr

    assert (project / "openml.parquet").read_bytes() == (project / "mirror.parquet").read_bytes()
    from pipelib.mnist.dataset import read_mnist

    read_pixels, read_labels = read_mnist(project / "openml.parquet")
    assert np.array_equal(read_pixels, pixels) and np.array_equal(read_labels, labels)
    assert len(np.unique(labels)) == 10  # every class, so a label mix-up would show


def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Send the stage's HTTPS through a closed local port, so a download fails at once even where a network is."""
    for name in ("https_proxy", "HTTPS_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")


def test_a_corrupt_cached_download_is_not_used(sources: Sources, monkeypatch: pytest.MonkeyPatch) -> None:
    """scikit-learn drops a cached data file that fails its md5 and downloads it again; offline that is one line."""
    project, _, cache, pixels, labels = sources
    write_openml_cache(cache, pixels, labels, md5="0" * 32)  # the data file does not match its description
    cached_data = cache / "openml" / "openml.org" / f"data/v1/download/{FILE_ID}/mnist_784.arff.gz"
    assert cached_data.exists()
    no_network(monkeypatch)
    before = sorted(os.listdir(project))

    result = run_fetch(project, "openml.parquet", None, cache)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: cannot download 'mnist_784' version 1 from OpenML")
    assert "Traceback" not in result.stderr
    assert not cached_data.exists()
    assert sorted(os.listdir(project)) == before


def test_no_mirror_and_no_network_says_how_to_point_at_a_mirror(
    sources: Sources, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, _, cache, _, _ = sources  # an empty cache: fetch_openml must go to the network
    no_network(monkeypatch)
    result = run_fetch(project, "openml.parquet", None, cache)
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: cannot download 'mnist_784' version 1 from OpenML"), result.stderr
    assert "set DATA_MIRROR to a directory holding mnist/" in last
    assert "Traceback" not in result.stderr
    assert not (project / "openml.parquet").exists()
