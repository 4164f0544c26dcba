"""MNIST as (70000, 784) uint8 pixels and uint8 labels in OpenML ``mnist_784`` row order.

Two sources give the same arrays: a local mirror of the four original IDX files (checked
against their published md5s, or the mirror's own SHA256SUMS when the user opts in) and
OpenML through scikit-learn, for users with a network.
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import numpy as np

from pipelib.errors import PipelineError
from pipelib.mirror import MIRROR_ENV, find_mirror, mirror_checksums, read_verified
from pipelib.mnist.dataset import MAX_ITEMS, PIXELS
from pipelib.mnist.idx import read_idx_images, read_idx_labels

# md5 of the files published on Yann LeCun's MNIST page (the ones torchvision checks).
PUBLISHED_MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
DOWNLOAD_TIMEOUT_SECONDS = 60
DOWNLOAD_RETRIES = 3
# An IDX file of MAX_ITEMS images, gzipped: incompressible pixels grow by well under 1%.
MAX_IDX_GZ_BYTES = MAX_ITEMS * PIXELS * 101 // 100


def load_mirror(directory: Path) -> tuple[np.ndarray, np.ndarray]:
    """Train then test images and labels from a mirror of the four IDX ``.gz`` files.

    Each file is read once and checksummed before it is parsed, so the bytes parsed are
    the bytes checked.
    """
    checksums = mirror_checksums(directory, PUBLISHED_MD5, "md5")
    data = {name: read_verified(directory, name, checksums, MAX_IDX_GZ_BYTES) for name in PUBLISHED_MD5}
    parts = []
    for prefix in ("train", "t10k"):
        images_name, labels_name = f"{prefix}-images-idx3-ubyte.gz", f"{prefix}-labels-idx1-ubyte.gz"
        images = read_idx_images(directory / images_name, data=data.pop(images_name))
        labels = read_idx_labels(directory / labels_name, data=data.pop(labels_name))
        if len(images) != len(labels):
            raise PipelineError(
                f"{directory / f'{prefix}-labels-idx1-ubyte.gz'}: {len(labels)} labels for {len(images)} images"
            )
        parts.append((images, labels))
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def load_openml(name: str, version: int) -> tuple[np.ndarray, np.ndarray]:
    """Download (or read from scikit-learn's download cache) an OpenML image data set."""
    from sklearn.datasets import fetch_openml

    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_SECONDS)
    try:
        pixels, target = fetch_openml(
            name, version=version, as_frame=False, return_X_y=True, n_retries=DOWNLOAD_RETRIES, parser="liac-arff"
        )
    except (OSError, ValueError) as error:  # network, HTTP (URLError is an OSError) and OpenML errors
        raise PipelineError(
            f"cannot download '{name}' version {version} from OpenML ({type(error).__name__}: {error}); "
            f"offline, set {MIRROR_ENV} to a directory holding mnist/ with the four IDX .gz files"
        ) from None
    finally:
        socket.setdefaulttimeout(previous)
    if pixels.min() < 0 or pixels.max() > 255 or not np.array_equal(pixels, np.round(pixels)):
        raise PipelineError(f"OpenML '{name}': pixels are not integers in 0-255")
    return pixels.astype(np.uint8), np.asarray(target).astype(np.int64).astype(np.uint8)


def load_mnist(openml_name: str, openml_version: int) -> tuple[np.ndarray, np.ndarray]:
    """MNIST from the mirror when one is configured or found, else from OpenML (stderr says which)."""
    mirror = find_mirror("mnist")
    if mirror is not None:
        print(f"fetch: reading MNIST from the mirror {mirror}", file=sys.stderr)
        return load_mirror(mirror)
    print(f"fetch: downloading '{openml_name}' from OpenML", file=sys.stderr)
    return load_openml(openml_name, openml_version)
