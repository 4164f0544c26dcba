"""Every stage on bad parameters and corrupt inputs: refused with one line, nothing written or changed.

Each case copies a prepared scratch project (every stage's inputs valid, see
``workspaces.write_stage_inputs``), breaks one thing, runs the stage with the command line
dvc.yaml gives it, and checks: exit status 2, exactly one final ``error: ...`` line on
stderr, no traceback, the line names the key or file and what is wrong, and not a byte of
the project changed: outputs absent before stay absent, outputs present before
(``existing=True``: stand-ins for a previous run's, bytes no stage writes) keep their bytes,
and no temporary file is left.

The cases call each stage's ``main`` in this process (``workspaces.run_stage_in_process``:
the same ``run_stage`` wrapper, argv, working directory and environment), which spares a
stage subprocess's 1.5-3 s of imports per case; a few cases, one per kind of input, also
run the real ``python -m stages.<name>`` and must give the same exit status and line, and
the oversized-input cases run it to measure the stage process's memory.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import pickle
import shutil
import struct
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import helpers
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import workspaces
from numpy.lib import format as npy_format
from sklearn.linear_model import LogisticRegression

from pipelib import skops_file
from pipelib.mnist import models as mnist_models
from pipelib.tables import write_table

Breaks = Callable[[Path, Path], None]  # (project, mirror) -> None: break one thing in place
EARLIER_OUTPUT = b"the output of an earlier run\n"
BOMB_SHAPE = (280_000, 784)  # float64: 1.76 GB, more than pipelib.mnist.models.MAX_MODEL_BYTES


@dataclass(frozen=True)
class Case:
    """One bad input: the stage that reads it, how to break it, and what the error line must say."""

    id: str
    stage: str  # a dvc.yaml stage name
    breaks: Breaks
    expect: str  # text of the error line; ``{mirror}`` is the case's data mirror
    existing: bool = False  # stand-ins for an earlier run's outputs are in place (else none are)
    env: tuple[tuple[str, str], ...] = ()  # environment variables set for the stage
    xfail: str = ""  # why the case still fails: a fix outside the files this test's author may change


# --- ways to break things -------------------------------------------------------------------------


def params(updates: dict[str, Any]) -> Breaks:
    """params.yaml with dotted-key ``updates``."""
    return lambda project, mirror: helpers.edit_params(project / "params.yaml", updates)


def params_text(edit: Callable[[str], str]) -> Breaks:
    """params.yaml's text edited."""

    def breaks(project: Path, mirror: Path) -> None:
        path = project / "params.yaml"
        path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")

    return breaks


def idx_payload(name: str, edit: Callable[[bytes], bytes]) -> Breaks:
    """A mirror IDX file's decompressed bytes edited, recompressed and re-listed in SHA256SUMS."""

    def breaks(project: Path, mirror: Path) -> None:
        path = mirror / "mnist" / name
        with gzip.open(path, "rb") as stream:
            data = stream.read()
        with gzip.GzipFile(path, "wb", mtime=0) as stream:
            stream.write(edit(data))
        helpers.write_sha256sums(path.parent, helpers.MNIST_FILES)

    return breaks


def file_bytes(relative: str, edit: Callable[[bytes], bytes], in_mirror: bool = False, resum: bool = False) -> Breaks:
    """A project (or mirror) file's bytes edited; ``resum`` re-lists the mirror directory's SHA256SUMS."""

    def breaks(project: Path, mirror: Path) -> None:
        path = (mirror if in_mirror else project) / relative
        path.write_bytes(edit(path.read_bytes()))
        if resum:
            names = sorted(item.name for item in path.parent.iterdir() if item.name != "SHA256SUMS")
            helpers.write_sha256sums(path.parent, names)

    return breaks


def titanic_csv(
    name: str, edit: Callable[[list[dict[str, str]]], None], drop: tuple[str, ...] = (), delimiter: str = ","
) -> Breaks:
    """A mirror Titanic CSV's rows edited in place (columns dropped, ``delimiter`` between cells), re-summed."""

    def breaks(project: Path, mirror: Path) -> None:
        path = mirror / "titanic" / name
        reader = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")))
        rows = list(reader)
        edit(rows)
        columns = [column for column in reader.fieldnames or [] if column not in drop]
        buffer = io.StringIO()
        writer = csv.DictWriter(
            buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n", delimiter=delimiter
        )
        writer.writeheader()
        writer.writerows(rows)
        path.write_text(buffer.getvalue(), encoding="utf-8")
        helpers.write_sha256sums(path.parent, ["train.csv", "test.csv"])

    return breaks


def set_cell(row: int, column: str, value: str) -> Callable[[list[dict[str, str]]], None]:
    """Set one CSV cell (row 1 is the first data row)."""

    def edit(rows: list[dict[str, str]]) -> None:
        rows[row - 1][column] = value

    return edit


def with_second_fare(data: bytes) -> bytes:
    """A CSV with a second Fare column appended (7.5 in every row)."""
    header, *rows = data.decode("utf-8").splitlines()
    return "".join(line + "\n" for line in [header + ",Fare", *(row + ",7.5" for row in rows)]).encode("utf-8")


def blank_column(column: str) -> Callable[[list[dict[str, str]]], None]:
    """Empty one CSV column in every row."""

    def edit(rows: list[dict[str, str]]) -> None:
        for row in rows:
            row[column] = ""

    return edit


def parquet(relative: str, edit: Callable[[pa.Table], pa.Table]) -> Breaks:
    """A parquet file between stages rewritten (with the project's writer) after ``edit``."""

    def breaks(project: Path, mirror: Path) -> None:
        path = project / relative
        write_table(edit(pq.read_table(path)), path)

    return breaks


def replace_column(name: str, values: Callable[[pa.Table], pa.Array]) -> Callable[[pa.Table], pa.Table]:
    """A table edit: column ``name`` replaced by ``values(table)`` (field type from the new array)."""
    return lambda table: table.set_column(table.schema.get_field_index(name), name, values(table))


def model_file(relative: str, write: Callable[[Path], None]) -> Breaks:
    """A model file replaced by what ``write`` puts at its path."""
    return lambda project, mirror: write(project / relative)


def text_file(relative: str, text: str) -> Breaks:
    """A project file replaced by ``text``."""
    return lambda project, mirror: (project / relative).write_text(text, encoding="utf-8")


def csv_without(relative: str, column: str) -> Breaks:
    """A CSV written by a stage, one column removed."""

    def breaks(project: Path, mirror: Path) -> None:
        path = project / relative
        rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
        columns = [name for name in rows[0] if name != column]
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        path.write_text(buffer.getvalue(), encoding="utf-8")

    return breaks


Edit = Callable[[bytes], bytes]


def header(magic: int | None = None, count: int | None = None, dims: tuple[int, int] | None = None) -> Edit:
    """An IDX payload edit replacing header fields (the payload stays as it is)."""

    def edit(data: bytes) -> bytes:
        fields = list(struct.unpack(">II", data[:8]))
        if magic is not None:
            fields[0] = magic
        if count is not None:
            fields[1] = count
        rest = data[8:]
        if dims is not None:
            rest = struct.pack(">II", *dims) + rest[8:]
        return struct.pack(">II", *fields) + rest

    return edit


def flip_middle(data: bytes) -> bytes:
    """Sixteen bytes in the middle of a file inverted (in a data page, for these files)."""
    middle = len(data) // 2
    return data[:middle] + bytes(byte ^ 0xFF for byte in data[middle : middle + 16]) + data[middle + 16 :]


def with_nan_score(table: pa.Table) -> pa.Table:
    scores = table.column("score").to_numpy().copy()
    scores[3] = np.nan
    return table.set_column(table.schema.get_field_index("score"), "score", pa.array(scores, pa.float64()))


def with_precision_above_1(table: pa.Table) -> pa.Table:
    precision = table.column("precision").to_numpy().copy()
    precision[1] = 1.25
    return table.set_column(table.schema.get_field_index("precision"), "precision", pa.array(precision, pa.float64()))


def json_without(relative: str, dotted: str) -> Breaks:
    """A JSON file a stage wrote, one dotted key removed."""

    def breaks(project: Path, mirror: Path) -> None:
        path = project / relative
        data = json.loads(path.read_text(encoding="utf-8"))
        *parents, last = dotted.split(".")
        inner = helpers.get_dotted(data, ".".join(parents)) if parents else data
        del inner[last]
        path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")

    return breaks


def pickled_binary_model(path: Path) -> None:
    """The binary model pickled (what joblib and pickle write) where a skops file belongs."""
    model = workspaces.linear_model(2, seed=1)
    path.write_bytes(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))


def copied(source: str, target: str) -> Breaks:
    """A project file replaced by a copy of another."""
    return lambda project, mirror: shutil.copyfile(project / source, project / target)


def narrow_binary_model(path: Path) -> None:
    """A binary LogisticRegression fitted on 100 features, not 784 pixels."""
    features = np.random.default_rng(0).normal(size=(20, 100))
    mnist_models.save(LogisticRegression().fit(features, np.arange(20) % 2 == 0), path)


def binary_model_with(**attributes: Any) -> Callable[[Path], None]:
    """The workspace's binary model with some fitted attributes replaced."""

    def write(path: Path) -> None:
        model = workspaces.linear_model(2, seed=1)
        for name, value in attributes.items():
            setattr(model, name, value)
        skops_file.save(model, path)

    return write


def _raw_zip(entries: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip of already deflated entries (name, deflated bytes, CRC-32, unpacked size), dated 1980-01-01."""
    local, central = io.BytesIO(), io.BytesIO()
    for name, deflated, crc, size in entries:
        encoded, offset = name.encode(), local.tell()
        fields = (20, 0, zipfile.ZIP_DEFLATED, 0, 33, crc, len(deflated), size, len(encoded))
        local.write(struct.pack("<4s5HIIIHH", b"PK\x03\x04", *fields, 0) + encoded + deflated)
        central.write(struct.pack("<4s6HIIIHHHHHII", b"PK\x01\x02", 20, *fields, 0, 0, 0, 0, 0, offset) + encoded)
    count, directory = len(entries), central.getvalue()
    end = struct.pack("<4s4HIIH", b"PK\x05\x06", 0, 0, count, count, len(directory), local.tell(), 0)
    return local.getvalue() + directory + end


def _deflated_zeros(prefix: bytes, zeros: int) -> tuple[bytes, int]:
    """(raw deflate of ``prefix`` then ``zeros`` zero bytes, its CRC-32), deflating one MiB of zeros only once.

    A full flush ends each block byte-aligned with nothing referring back, so the one MiB's
    deflated bytes repeated are a valid stream of that many MiB of zeros.
    """
    block = bytes(1 << 20)
    whole, rest = divmod(zeros, len(block))
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = compressor.compress(prefix) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeated = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    tail = compressor.compress(bytes(rest)) + compressor.flush()
    crc = zlib.crc32(prefix)
    for _ in range(whole):
        crc = zlib.crc32(block, crc)
    return head + repeated * whole + tail, zlib.crc32(bytes(rest), crc)


def skops_deflate_bomb(path: Path) -> None:
    """The model file with its coefficients swapped for 1.7 GB of zeros in 1.7 MB: more than any MNIST model holds."""
    with zipfile.ZipFile(path) as archive:
        files = {info.filename: archive.read(info) for info in archive.infolist()}
    header = io.BytesIO()
    npy_format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": BOMB_SHAPE})
    [coefficients] = [name for name, data in files.items() if name.endswith(".npy") and len(data) > 784 * 8]
    zeros = 8 * BOMB_SHAPE[0] * BOMB_SHAPE[1]
    entries = []
    for name, data in files.items():
        if name == coefficients:
            entries.append((name, *_deflated_zeros(header.getvalue(), zeros), len(header.getvalue()) + zeros))
        else:
            compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
            entries.append((name, compressor.compress(data) + compressor.flush(), zlib.crc32(data), len(data)))
    path.write_bytes(_raw_zip(entries))


def huge_titanic_array(path: Path) -> None:
    """The Titanic model file with its first array's header claiming 2**45 float64 values (8 bytes follow)."""
    with zipfile.ZipFile(path) as archive:
        entries = {info.filename: archive.read(info) for info in archive.infolist()}
    entries["0.npy"] = helpers.npy_header((2**45,)) + bytes(8)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)


def titanic_rows(count: int) -> Callable[[pa.Table], pa.Table]:
    """A table edit: the passengers repeated to ``count`` rows, names padded to 250 characters (well under 1 MB
    on disk, hundreds of MB once read)."""

    def edit(table: pa.Table) -> pa.Table:
        if "Name" in table.column_names:  # padded before repeating: 500,000 Python strings take seconds
            names = pa.array([name.ljust(250, ".") for name in table.column("Name").to_pylist()], pa.string())
            table = table.set_column(table.schema.get_field_index("Name"), "Name", names)
        return table.take(np.arange(count) % table.num_rows)

    return edit


def symlink_out(relative: str) -> Breaks:
    """A mirror file moved out of the mirror and replaced by a symlink to it (its SHA256SUMS still matches)."""

    def breaks(project: Path, mirror: Path) -> None:
        outside = mirror.parent / "outside" / Path(relative).name
        outside.parent.mkdir(exist_ok=True)
        shutil.move(mirror / relative, outside)
        (mirror / relative).symlink_to(outside)

    return breaks


def predictions_of(name: str) -> str:
    """A registry model's test predictions, as its train_mnist stage writes them."""
    return f"data/mnist/predictions/{name}.parquet"


def digits_with(table: pa.Table, value: int) -> pa.Array:
    """The table's ``predicted`` column with its first value replaced."""
    predicted = table.column("predicted").to_numpy().copy()
    predicted[0] = value
    return pa.array(predicted, pa.uint8())


def without_fives(table: pa.Table) -> pa.Array:
    """The table's labels with every 5 made a 4."""
    labels = table.column("label").to_numpy()
    return pa.array(np.where(labels == 5, 4, labels).astype(np.uint8))


def nothing(project: Path, mirror: Path) -> None:
    """Nothing broken: the case changes the environment instead."""


# --- the cases ------------------------------------------------------------------------------------

TRAIN = "data/mnist/train.parquet"
TITANIC_TRAIN = "data/titanic/train.parquet"
TITANIC_OOF = "data/titanic/out_of_fold/logistic.parquet"
TITANIC_MODEL = "models/titanic/logistic.skops"
BINARY_MODEL = "models/binary.skops"
TEST_SCORES = "data/mnist/binary_test_scores.parquet"
CURVE = "data/mnist/binary_pr_curve.parquet"
KNN_ENTRY = {
    "estimator": "sklearn.neighbors.KNeighborsClassifier",
    "train": "train",
    "dtype": "float32",
    "matrix": "dense",
    "n_jobs": 1,
}
HIST_BOOSTING = "sklearn.ensemble.HistGradientBoostingClassifier"
IMAGES, LABELS = "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"
TEST_IMAGES, TEST_LABELS = "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"

CASES = [
    # params.yaml: checked in one place (pipelib/params.py) before a stage reads anything
    Case(
        "params-unknown-key",
        "train_binary",
        params({"mnist.binary.foo": 1}),
        "error: params.yaml: unknown key 'mnist.binary.foo' (allowed: C, max_iter, random_state, dtype",
    ),
    Case(
        "params-binary-C-zero",
        "train_binary",
        params({"mnist.binary.C": 0}),
        "error: params.yaml: 'mnist.binary.C' must be a number > 0, got 0.0",
        existing=True,
    ),
    Case(
        "params-softmax-C-negative",
        "train_mnist@softmax",
        params({"mnist.models.softmax.params.C": -1}),
        "error: params.yaml: 'mnist.models.softmax.params' refused by scikit-learn: The 'C' parameter of "
        "LogisticRegression must be a float in the range (0.0, inf]. Got -1 instead.",
    ),
    Case(
        "params-titanic-C-zero",
        "train_titanic@logistic",
        params({"titanic.models.logistic.params.C": 0.0}),
        "'titanic.models.logistic.params' refused by scikit-learn: The 'C' parameter of LogisticRegression must be",
        existing=True,
    ),
    Case(
        "params-threshold-not-a-number",
        "operating_point",
        params({"mnist.evaluate.threshold": "high"}),
        "'mnist.evaluate.threshold' must be a finite number, got 'high'",
        existing=True,
    ),
    Case(
        "params-target-precision-0",
        "operating_point",
        params({"mnist.evaluate.target_precision": 0}),
        "'mnist.evaluate.target_precision' must be a number in (0, 1], got 0.0",
    ),
    Case(
        "params-target-precision-1.5",
        "operating_point",
        params({"mnist.evaluate.target_precision": 1.5}),
        "'mnist.evaluate.target_precision' must be a number in (0, 1], got 1.5",
    ),
    Case(
        "params-shift-larger-than-image",
        "augment",
        params({"mnist.augment.shifts": [[1, 0], [28, 0]]}),
        "'mnist.augment.shifts' must be a list of [dx, dy] integer pairs with |dx|, |dy| < 28, got [[1, 0], [28, 0]]",
        existing=True,
    ),
    Case(
        "params-binary-cv-folds-1",
        "train_binary",
        params({"mnist.binary.cv_folds": 1}),
        "'mnist.binary.cv_folds' must be an integer in [2, 255], got 1",
    ),
    Case(
        "params-binary-cv-folds-above-class-count",
        "train_binary",
        params({"mnist.binary.cv_folds": 50}),
        "'mnist.binary.cv_folds' must be at most",
        existing=True,
    ),
    Case(
        "params-titanic-cv-folds-above-class-count",
        "train_titanic@logistic",
        params({"titanic.cv_folds": 25}),
        "'titanic.cv_folds' must be at most",
    ),
    Case(
        "params-n-train-0",
        "split_mnist",
        params({"mnist.n_train": 0}),
        "'mnist.n_train' must be an integer >= 1, got 0",
    ),
    Case(
        "params-n-train-all-rows",
        "split_mnist",
        params({"mnist.n_train": 80}),
        "'mnist.n_train' must be between 1 and 79 for data/mnist/mnist.parquet, got 80",
        existing=True,
    ),
    Case(
        "params-bool-as-int",
        "split_mnist",
        params({"mnist.n_train": True}),
        "'mnist.n_train' must be an integer >= 1, got True",
    ),
    Case(
        "params-invalid-yaml",
        "shuffle",
        params_text(lambda text: text.replace("shifts:", "shifts: [", 1)),
        "error: params.yaml: not valid YAML at line",
        existing=True,
    ),
    Case(
        "params-duplicate-key",
        "augment",
        params_text(lambda text: text.replace("mnist:\n", "mnist:\n  n_train: 5\n", 1)),
        "error: params.yaml: line 6: key 'mnist.n_train' is given twice",
    ),
    Case(
        "params-http-url",
        "fetch_titanic",
        params({"titanic.source.url": "http://example.com/titanic/"}),
        "'titanic.source.url' must be an https:// URL, got 'http://example.com/titanic/'",
    ),
    Case(
        "params-empty-mnist-registry",
        "train_mnist@knn",
        params({"mnist.models": {}}),
        "error: params.yaml: 'mnist.models' must be a mapping of at least one model entry (docs/models.md), "
        "got {{}}",  # braces doubled: the text is formatted with the mirror
    ),
    Case(
        "params-empty-titanic-registry",
        "train_titanic@logistic",
        params({"titanic.models": {}}),
        "error: params.yaml: 'titanic.models' must be a mapping of at least one model entry (docs/models.md), "
        "got {{}}",  # braces doubled: the text is formatted with the mirror
        existing=True,
    ),
    Case(
        "params-estimator-whose-model-file-skops-refuses",  # it would train, then predict refuse its file
        "train_mnist@knn",
        params({"mnist.models.knn": {**KNN_ENTRY, "estimator": HIST_BOOSTING, "params": {}}}),
        f"error: params.yaml: 'mnist.models.knn.estimator' cannot be {HIST_BOOSTING}: its fitted trees are "
        "TreePredictor objects, a type skops does not trust, so its model file would be refused when loaded",
    ),
    Case(
        "params-sweep-validation-fraction-0.99",  # 60 training rows: 60 to validate, none to fit
        "sweep",
        params({"mnist.sweep.validation_fraction": 0.99}),
        "error: params.yaml: 'mnist.sweep.validation_fraction' of 0.99 splits the 60 rows of "
        f"{TRAIN} into 0 to fit and 60 to validate: each part needs at least one image of each of its 10 digits",
        existing=True,
    ),
    Case(
        "params-sweep-validation-fraction-0.001",
        "sweep",
        params({"mnist.sweep.validation_fraction": 0.001}),
        "error: params.yaml: 'mnist.sweep.validation_fraction' of 0.001 splits the 60 rows of "
        f"{TRAIN} into 59 to fit and 1 to validate",
    ),
    # hyperparameters scikit-learn refuses only against the data, when fitting or scoring
    Case(
        "sklearn-knn-more-neighbours-than-training-images",
        "train_mnist@knn",
        params({"mnist.models.knn.params": {"n_neighbors": 1000}}),
        "error: params.yaml: 'mnist.models.knn.params' refused by scikit-learn when scoring: Expected n_neighbors "
        "<= n_samples_fit, but n_neighbors = 1000, n_samples_fit = 60, n_samples = 10",
        existing=True,
    ),
    Case(
        "sklearn-knn-mahalanobis-without-its-matrix",
        "train_mnist@knn",
        params({"mnist.models.knn.params": {"metric": "mahalanobis"}}),
        "error: params.yaml: 'mnist.models.knn.params' refused by scikit-learn when scoring: The 'VI' parameter "
        "is required for the mahalanobis metric when Y is passed.",
    ),
    Case(
        "sklearn-l1-penalty-with-lbfgs",
        "train_mnist@softmax",
        params({"mnist.models.softmax.params": {"C": 10.0, "penalty": "l1"}}),
        "error: params.yaml: 'mnist.models.softmax.params' refused by scikit-learn when fitting: Solver lbfgs "
        "supports only 'l2' or None penalties, got l1 penalty.",
    ),
    Case(
        "sklearn-titanic-l1-penalty-with-lbfgs",
        "train_titanic@logistic",
        params({"titanic.models.logistic.params": {"C": 1.0, "penalty": "l1"}}),
        "error: params.yaml: 'titanic.models.logistic.params' refused by scikit-learn when fitting fold 1 of 3 "
        "(titanic.cv_folds; 20 training rows): Solver lbfgs supports only 'l2' or None penalties, got l1 penalty.",
        existing=True,
    ),
    Case(
        "sklearn-titanic-knn-more-neighbours-than-fold-rows",  # 30 passengers, 3 folds: 20 to fit, 10 to score
        "train_titanic@svc",
        params(
            {
                "titanic.models.svc": {
                    "estimator": KNN_ENTRY["estimator"],
                    "params": {"n_neighbors": 25},
                    "preprocess": [],
                }
            }
        ),
        "error: params.yaml: 'titanic.models.svc.params' refused by scikit-learn when scoring fold 1 of 3 "
        "(titanic.cv_folds; 20 training rows): Expected n_neighbors <= n_samples_fit, but n_neighbors = 25, "
        "n_samples_fit = 20, n_samples = 10",
    ),
    Case(
        "sklearn-titanic-radius-without-neighbours",
        "train_titanic@svc",
        params(
            {
                "titanic.models.svc.estimator": "sklearn.neighbors.RadiusNeighborsClassifier",
                "titanic.models.svc.params": {"radius": 1.0},
            }
        ),
        "error: params.yaml: 'titanic.models.svc.params' refused by scikit-learn when scoring fold 1 of 3 "
        "(titanic.cv_folds; 20 training rows): No neighbors found for test samples array([",
        existing=True,
    ),
    # training sets without two classes: the data's fault, said of the file, not of a fold count
    Case(
        "binary-train-without-the-positive-digit",
        "train_binary",
        parquet(TRAIN, replace_column("label", without_fives)),
        f"error: {TRAIN}: holds no image of the positive digit 5 (mnist.positive_digit) among its 60 rows (the "
        "classifier needs rows of both classes)",
        existing=True,
    ),
    Case(
        "binary-train-of-one-image",  # mnist.n_train: 1, and that image a 5
        "train_binary",
        parquet(TRAIN, lambda table: table.slice(0, 1)),
        f"error: {TRAIN}: holds no image of a digit other than 5 among its 1 row (the classifier needs rows of both "
        "classes)",
    ),
    Case(
        "mnist-train-of-one-digit",
        "train_mnist@softmax",
        parquet(TRAIN, replace_column("label", lambda table: pa.array(np.full(table.num_rows, 3, np.uint8)))),
        f"error: {TRAIN}: holds only images of the digit 3 (60 rows): a classifier needs at least two digits",
        existing=True,
    ),
    Case(
        "titanic-train-nobody-survived",
        "train_titanic@logistic",
        parquet(TITANIC_TRAIN, replace_column("Survived", lambda table: pa.array(np.zeros(table.num_rows, np.int8)))),
        f"error: {TITANIC_TRAIN}: holds no passenger who survived (Survived 1) among its 30 rows (the classifier "
        "needs rows of both classes)",
    ),
    # the MNIST mirror: checksums, then every IDX header and length
    Case(
        "idx-wrong-magic",
        "fetch_mnist",
        idx_payload(IMAGES, header(magic=2049)),
        f"error: {{mirror}}/mnist/{IMAGES}: IDX magic 2049, expected 2051 (an image file)",
        existing=True,
    ),
    Case(
        "idx-wrong-image-dims",
        "fetch_mnist",
        idx_payload(TEST_IMAGES, header(dims=(32, 24))),
        f"error: {{mirror}}/mnist/{TEST_IMAGES}: images are 32x24, expected 28x28",
    ),
    Case(
        "idx-truncated-gz",
        "fetch_mnist",
        file_bytes(f"mnist/{LABELS}", lambda data: data[: len(data) // 2], in_mirror=True, resum=True),
        f"error: {{mirror}}/mnist/{LABELS}: not a complete gzip file",
    ),
    Case(
        "idx-truncated-payload",
        "fetch_mnist",
        idx_payload(TEST_IMAGES, lambda data: data[:-100]),
        f"error: {{mirror}}/mnist/{TEST_IMAGES}: 15596 bytes, header of 20 images needs 15696",
        existing=True,
    ),
    Case(
        "idx-label-count-not-image-count",
        "fetch_mnist",
        idx_payload(TEST_LABELS, lambda data: header(count=19)(data)[:-1]),
        f"error: {{mirror}}/mnist/{TEST_LABELS}: 19 labels for 20 images",
    ),
    Case(
        "idx-label-not-a-digit",
        "fetch_mnist",
        idx_payload(LABELS, lambda data: data[:8] + bytes([10]) + data[9:]),
        f"error: {{mirror}}/mnist/{LABELS}: label 10 is not a digit 0-9",
    ),
    Case(
        "mnist-mirror-checksum-mismatch",
        "fetch_mnist",
        file_bytes(f"mnist/{IMAGES}", flip_middle, in_mirror=True),
        f"error: {{mirror}}/mnist/{IMAGES}: sha256 ",
        existing=True,
    ),
    Case(
        "mnist-mirror-file-missing",
        "fetch_mnist",
        lambda project, mirror: (mirror / "mnist" / TEST_LABELS).unlink(),
        f"error: {{mirror}}/mnist/{TEST_LABELS}: file not found in the mirror",
    ),
    Case(
        "mnist-mirror-own-sums-not-opted-in",  # the small mirror's files match only its own SHA256SUMS
        "fetch_mnist",
        nothing,
        f"error: {{mirror}}/mnist/{IMAGES}: md5 ",
        existing=True,
        env=(("DATA_MIRROR_TRUST_SUMS", "0"),),
    ),
    Case(
        "mnist-mirror-symlink-out",
        "fetch_mnist",
        symlink_out(f"mnist/{TEST_LABELS}"),
        f"error: {{mirror}}/mnist/{TEST_LABELS}: refused, a symlink to",
    ),
    # the Titanic mirror: checksums, then every CSV value
    Case(
        "titanic-mirror-checksum-mismatch",
        "fetch_titanic",
        file_bytes("titanic/train.csv", lambda data: data.replace(b"female", b"male", 1), in_mirror=True),
        "error: {mirror}/titanic/train.csv: sha256 ",
        existing=True,
    ),
    Case(
        "titanic-mirror-own-sums-not-opted-in",
        "fetch_titanic",
        nothing,
        "error: {mirror}/titanic/train.csv: sha256 ",
        env=(("DATA_MIRROR_TRUST_SUMS", ""),),
    ),
    Case(
        "titanic-mirror-symlink-out",
        "fetch_titanic",
        symlink_out("titanic/test.csv"),
        "error: {mirror}/titanic/test.csv: refused, a symlink to",
        existing=True,
    ),
    Case(
        "titanic-csv-missing-column",
        "fetch_titanic",
        titanic_csv("train.csv", lambda rows: None, drop=("Age",)),
        "error: {mirror}/titanic/train.csv: missing required column(s) Age",
    ),
    Case(
        "titanic-csv-age-not-a-number",
        "fetch_titanic",
        titanic_csv("train.csv", set_cell(3, "Age", "abc")),
        "error: {mirror}/titanic/train.csv: row 3, column 'Age': 'abc' is not a decimal number (ASCII digits",
    ),
    Case(
        "titanic-csv-semicolon-separated",  # European Excel's "CSV": not "missing" every column
        "fetch_titanic",
        titanic_csv("train.csv", lambda rows: None, delimiter=";"),
        "error: {mirror}/titanic/train.csv: the file is separated by ';' where ',' is expected",
    ),
    Case(
        "titanic-csv-column-twice",
        "fetch_titanic",
        file_bytes("titanic/test.csv", with_second_fare, in_mirror=True, resum=True),
        "error: {mirror}/titanic/test.csv: column 'Fare' appears 2 times in the header (columns 9, 12)",
    ),
    Case(
        "titanic-csv-unknown-sex",
        "fetch_titanic",
        titanic_csv("train.csv", set_cell(5, "Sex", "unknown")),
        "error: {mirror}/titanic/train.csv: row 5, column 'Sex': 'unknown' is not one of female, male",
        existing=True,
    ),
    Case(
        "titanic-csv-survived-2",
        "fetch_titanic",
        titanic_csv("train.csv", set_cell(2, "Survived", "2")),
        "error: {mirror}/titanic/train.csv: row 2, column 'Survived': '2' is not one of 0, 1",
    ),
    Case(
        "titanic-csv-fare-1e200",  # accepted, it overflowed the SVC's StandardScaler: "Input X contains NaN"
        "fetch_titanic",
        titanic_csv("train.csv", set_cell(2, "Fare", "1e200")),
        "error: {mirror}/titanic/train.csv: row 2, column 'Fare': '1e200' is not a fare from 0 to 1,000,000",
    ),
    Case(
        "titanic-csv-age-with-underscore",  # Python's float() reads '2_8' as 28.0
        "fetch_titanic",
        titanic_csv("test.csv", set_cell(4, "Age", "2_8")),
        "error: {mirror}/titanic/test.csv: row 4, column 'Age': '2_8' is not a decimal number",
    ),
    Case(
        "titanic-csv-embarked-blank-everywhere",  # trained "successfully", then the model was refused as holding NaN
        "fetch_titanic",
        titanic_csv("train.csv", blank_column("Embarked")),
        "error: {mirror}/titanic/train.csv: column 'Embarked' is empty in every row; training needs some values",
    ),
    Case(
        "titanic-csv-not-utf8",
        "fetch_titanic",
        file_bytes("titanic/train.csv", lambda data: data.replace(b"Surname4,", b"Surn\xe9me4,"), True, resum=True),
        "error: {mirror}/titanic/train.csv: not UTF-8 text (invalid continuation byte at byte",
    ),
    Case(
        "titanic-csv-field-too-large",
        "fetch_titanic",
        titanic_csv("train.csv", set_cell(4, "Ticket", "x" * 200_000)),
        "error: {mirror}/titanic/train.csv: line 5 is not readable as CSV (field larger than field limit (131072))",
    ),
    Case(
        "titanic-test-csv-bad-class",  # train.csv is fine: train.parquet must not be written either
        "fetch_titanic",
        titanic_csv("test.csv", set_cell(1, "Pclass", "4")),
        "error: {mirror}/titanic/test.csv: row 1, column 'Pclass': '4' is not one of 1, 2, 3",
        existing=True,
    ),
    # parquet files between stages: schema (names, types), bytes, values
    Case(
        "parquet-missing-column",
        "augment",
        parquet(TRAIN, lambda table: table.drop_columns(["pixels"])),
        f"error: {TRAIN}: columns ['label'], expected ['label', 'pixels']",
    ),
    Case(
        "parquet-wrong-dtype",
        "shuffle",
        parquet(
            "data/mnist/train_augmented.parquet",
            replace_column("label", lambda table: table.column("label").cast(pa.int64())),
        ),
        "error: data/mnist/train_augmented.parquet: column 'label' has type int64, expected uint8",
        existing=True,
    ),
    Case(
        "parquet-corrupt-bytes",
        "train_mnist@softmax",
        file_bytes(TRAIN, flip_middle),
        f"error: {TRAIN}: corrupt parquet data",
        existing=True,
    ),
    Case(
        "parquet-truncated",
        "split_mnist",
        file_bytes("data/mnist/mnist.parquet", lambda data: data[: len(data) // 2]),
        "error: data/mnist/mnist.parquet: not a readable parquet file",
    ),
    Case(
        "parquet-label-not-a-digit",
        "augment",
        parquet(TRAIN, replace_column("label", lambda table: pa.array([12] * table.num_rows, pa.uint8()))),
        f"error: {TRAIN}: label 12 is not a digit 0-9",
    ),
    Case(
        "titanic-parquet-wrong-dtype",
        "train_titanic@logistic",
        parquet(TITANIC_TRAIN, replace_column("Age", lambda table: table.column("Age").cast(pa.string()))),
        f"error: {TITANIC_TRAIN}: column 'Age' has type string, expected double",
    ),
    Case(
        "titanic-parquet-fare-1e200",  # a parquet file not written by fetch_titanic: checked again
        "train_titanic@svc",
        parquet(TITANIC_TRAIN, replace_column("Fare", lambda table: pa.array([1e200] * table.num_rows, pa.float64()))),
        f"error: {TITANIC_TRAIN}: column 'Fare' has a value that is not a finite number from 0 to 1,000,000",
    ),
    Case(
        "titanic-parquet-age-missing-everywhere",
        "train_titanic@logistic",
        parquet(TITANIC_TRAIN, replace_column("Age", lambda table: pa.nulls(table.num_rows, pa.float64()))),
        f"error: {TITANIC_TRAIN}: column 'Age' is empty in every row; training needs some values to fill the missing",
        existing=True,
    ),
    Case(
        "titanic-parquet-survived-2",
        "train_titanic@logistic",
        parquet(
            TITANIC_TRAIN,
            replace_column("Survived", lambda table: pa.array([2] * table.num_rows, pa.int8())),
        ),
        f"error: {TITANIC_TRAIN}: column 'Survived' has value 2 (allowed: 0, 1)",
        existing=True,
    ),
    Case(
        "titanic-parquet-500000-rows",  # a few hundred KB that would read back as 500,000 rows
        "train_titanic@logistic",
        parquet(TITANIC_TRAIN, titanic_rows(500_000)),
        f"error: {TITANIC_TRAIN}: 500,000 rows, more than the 10,000 this file may hold",
        existing=True,
    ),
    Case(
        "titanic-scores-500000-rows",
        "evaluate_titanic",
        parquet(TITANIC_OOF, titanic_rows(500_000)),
        f"error: {TITANIC_OOF}: 500,000 rows, more than the 10,000 this file may hold",
    ),
    # files that must agree with each other
    Case(
        "titanic-scores-passengers-differ",
        "evaluate_titanic",
        parquet(TITANIC_OOF, lambda table: table.slice(0, table.num_rows - 1)),
        f"error: {TITANIC_OOF}: its 29 passengers do not match the 30 of {TITANIC_TRAIN}",
        existing=True,
    ),
    Case(
        "titanic-scores-nan",
        "evaluate_titanic",
        parquet(TITANIC_OOF, with_nan_score),
        f"error: {TITANIC_OOF}: column 'score' is neither complete and finite nor absent",
    ),
    Case(
        "titanic-test-parquet-truncated",  # read last; nothing may have been written before it
        "evaluate_titanic",
        file_bytes("data/titanic/test.parquet", lambda data: data[:100]),
        "error: data/titanic/test.parquet: not a readable parquet file",
        existing=True,
    ),
    Case(
        "mnist-scores-nan",
        "evaluate_mnist",
        parquet("data/mnist/binary_cv_scores.parquet", with_nan_score),
        "error: data/mnist/binary_cv_scores.parquet: scores file has non-finite scores",
    ),
    Case(
        "figures-scores-rows-differ",
        "figures_mnist",
        parquet("data/mnist/binary_cv_scores.parquet", lambda table: table.slice(0, 59)),
        f"error: data/mnist/binary_cv_scores.parquet: 59 rows, but {TRAIN} has 60",
        existing=True,
    ),
    # the operating point's inputs: what evaluate_mnist saved, and the training images
    Case(
        "operating-point-test-scores-nan",
        "operating_point",
        parquet(TEST_SCORES, with_nan_score),
        f"error: {TEST_SCORES}: scores file has non-finite scores",
        existing=True,
    ),
    Case(
        "operating-point-curve-precision-above-1",
        "operating_point",
        parquet(CURVE, with_precision_above_1),
        f"error: {CURVE}: not a precision-recall curve",
    ),
    Case(
        "operating-point-details-lack-the-walkthrough-score",
        "operating_point",
        json_without("reports/mnist_details.json", "binary.walkthrough.score"),
        "error: reports/mnist_details.json: lacks the metric 'binary.walkthrough.score'",
        existing=True,
    ),
    Case(
        "operating-point-train-of-another-run",  # the scores are of 60 training rows, these 20 images are not them
        "operating_point",
        copied("data/mnist/test.parquet", TRAIN),
        f"error: data/mnist/binary_cv_scores.parquet: 60 rows, but {TRAIN} has 20",
    ),
    # model files
    Case(
        "model-not-a-zip",
        "evaluate_titanic",
        model_file(TITANIC_MODEL, lambda path: path.write_bytes(b"coef,intercept\n1,2\n")),
        f"error: {TITANIC_MODEL}: not a model file (expected a skops zip archive)",
    ),
    Case(
        "mnist-model-not-a-zip",
        "evaluate_mnist",
        model_file(BINARY_MODEL, lambda path: path.write_bytes(b"coef,intercept\n1,2\n")),
        f"error: {BINARY_MODEL}: not a model file (expected a skops zip archive)",
        existing=True,
    ),
    Case(
        "mnist-model-pickle",
        "evaluate_mnist",
        model_file(BINARY_MODEL, pickled_binary_model),
        f"error: {BINARY_MODEL}: refused, a pickle file (expected a skops zip archive)",
    ),
    Case(
        "mnist-model-feature-count",
        "evaluate_mnist",
        model_file(BINARY_MODEL, narrow_binary_model),
        f"error: {BINARY_MODEL}: not a fitted MNIST model (classes_ and 784 input pixels expected)",
        existing=True,
    ),
    Case(
        "mnist-softmax-model-as-binary",
        "evaluate_mnist",
        copied("models/mnist/softmax.skops", BINARY_MODEL),
        f"error: {BINARY_MODEL}: a 10-class model, expected a binary one",
    ),
    Case(
        "mnist-titanic-model-as-binary",
        "evaluate_mnist",
        copied(TITANIC_MODEL, BINARY_MODEL),
        f"error: {BINARY_MODEL}: a Titanic model, expected an MNIST model",
        existing=True,
    ),
    Case(
        "mnist-model-two-digits-as-binary",  # digits are allowed classes, two of them still not a binary model
        "evaluate_mnist",
        model_file(BINARY_MODEL, binary_model_with(classes_=np.array([3, 7]))),
        f"error: {BINARY_MODEL}: a 2-class model, expected a binary one",
    ),
    Case(
        "mnist-model-nan-coefficient",
        "evaluate_mnist",
        model_file(BINARY_MODEL, binary_model_with(coef_=np.full((1, 784), np.nan))),
        f"error: {BINARY_MODEL}: array 'coef_' holds NaN or infinite values",
        existing=True,
    ),
    Case(
        "mnist-model-text-coefficients",
        "evaluate_mnist",
        model_file(BINARY_MODEL, binary_model_with(coef_=np.full((1, 784), "0.5"))),
        f"error: {BINARY_MODEL}: array 'coef_' is not floating-point numbers",
    ),
    Case(
        "model-deflate-bomb",  # 1.7 MB that inflates to 1.76 GB, past the largest MNIST model (a KNN's images)
        "evaluate_mnist",
        model_file(BINARY_MODEL, skops_deflate_bomb),
        f"error: {BINARY_MODEL}: its entries unpack to 1,756,166,717 bytes, more than the 1,610,612,736 allowed",
        existing=True,
    ),
    Case(
        "model-not-a-titanic-pipeline",
        "evaluate_titanic",
        model_file(TITANIC_MODEL, lambda path: skops_file.save(LogisticRegression(), path)),
        f"error: {TITANIC_MODEL}: not a Titanic model (expected a Pipeline of preprocess and model)",
        existing=True,
    ),
    Case(
        "model-npy-header-2-45-elements",
        "evaluate_titanic",
        model_file(TITANIC_MODEL, huge_titanic_array),
        f"error: {TITANIC_MODEL}: entry '0.npy' is 136 bytes, its header claims 281,474,976,710,784",
    ),
    Case(
        "titanic-model-deflate-bomb",  # 1.7 MB that inflates to 1,600 MiB
        "evaluate_titanic",
        model_file(TITANIC_MODEL, lambda path: path.write_bytes(helpers.deflate_bomb())),
        f"error: {TITANIC_MODEL}: its entries unpack to 1,677,7",
    ),
    # the registry models' test predictions, compared
    Case(
        "compare-predictions-missing",
        "compare_mnist",
        lambda project, mirror: (project / predictions_of("knn")).unlink(),
        f"error: {predictions_of('knn')}: file not found (run the stage that writes it: dvc repro)",
        existing=True,
    ),
    Case(
        "compare-predictions-other-test-images",
        "compare_mnist",
        parquet(predictions_of("knn"), lambda table: table.take(np.roll(np.arange(table.num_rows), 1))),
        f"error: {predictions_of('knn')}: scored other test images than softmax (rerun dvc repro)",
    ),
    Case(
        "compare-predictions-label-10",
        "compare_mnist",
        parquet(predictions_of("softmax"), replace_column("predicted", lambda table: digits_with(table, 10))),
        f"error: {predictions_of('softmax')}: predictions must be digits 0-9 with nothing missing",
        existing=True,
    ),
    Case(
        "compare-registry-entry-not-trained",  # a new mnist.models entry, its train_mnist stage not run
        "compare_mnist",
        params({"mnist.models.knn_three": {**KNN_ENTRY, "params": {"n_neighbors": 3}}}),
        f"error: {predictions_of('knn_three')}: file not found (run the stage that writes it: dvc repro)",
    ),
    Case(
        "figures-reference-predictions-other-test-images",  # it reads mnist.evaluate.reference's file only
        "figures_mnist",
        parquet(predictions_of("softmax_augmented"), lambda table: table.take(np.roll(np.arange(table.num_rows), 1))),
        f"error: {predictions_of('softmax_augmented')}: its labels are not those of data/mnist/test.parquet",
    ),
    # the report's inputs: metrics JSON and CSVs
    Case(
        "report-csv-missing-column",
        "report",
        csv_without("reports/titanic_extremes.csv", "Score"),
        "error: reports/titanic_extremes.csv: columns ['group', 'PassengerId', 'Survived',",
    ),
    Case(
        "report-metrics-not-json",
        "report",
        text_file("metrics/mnist.json", '{"binary": {'),
        "error: metrics/mnist.json: not valid JSON",
        existing=True,
    ),
    Case(
        "report-metrics-lack-a-key",
        "report",
        text_file("metrics/titanic.json", '{"logistic": {}}\n'),
        "error: metrics/titanic.json: lacks the metric 'always_died.train_accuracy'",
    ),
    Case(
        "report-sweep-metrics-lack-a-key",
        "report",
        text_file("metrics/sweep.json", '{"softmax": {"best": {"C": 0.1}}}\n'),
        "error: metrics/sweep.json: lacks the metric 'softmax.best.scaling'",
    ),
    Case(
        "report-operating-point-lacks-a-key",
        "report",
        text_file("metrics/mnist_operating_point.json", '{"binary": {"cv_accuracy": 0.9}}\n'),
        "error: metrics/mnist_operating_point.json: lacks the metric 'binary.cv_precision'",
        existing=True,
    ),
    Case(
        "report-details-lack-a-key",
        "report",
        text_file("reports/mnist_details.json", '{"binary": {}}\n'),
        "error: reports/mnist_details.json: lacks the metric 'binary.positive_digit'",
    ),
]


# --- running the cases ----------------------------------------------------------------------------


Runner = Callable[[Path, Path, workspaces.StageCommand, dict[str, str]], subprocess.CompletedProcess[str]]


def run_subprocess(
    project: Path, mirror: Path, command: workspaces.StageCommand, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """The real entry point: ``python -m stages.<module> ARGS`` in ``project``."""
    return helpers.run_stage_script(project, mirror, command.module, *command.args, env={**command.dvc_env, **env})


@dataclass(frozen=True)
class Outcome:
    """A case's stage run and the project's files before and after it."""

    result: subprocess.CompletedProcess[str]
    before: dict[str, bytes]
    after: dict[str, bytes]
    mirror: Path


def prepare_outputs(project: Path, outs: tuple[str, ...], existing: bool) -> None:
    """Remove the stage's outputs, or (``existing``) put an earlier run's in place: bytes no stage would write."""
    for relative in outs:
        path = project / relative
        if path.is_dir():
            shutil.rmtree(path)
        path.unlink(missing_ok=True)
        if existing:
            target = path / "earlier.png" if not Path(relative).suffix else path  # a directory output
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(EARLIER_OUTPUT)


def run_case(case: Case, workspace: tuple[Path, Path], root: Path, run: Runner) -> Outcome:
    """Copy the workspace, break it as the case says and run the case's stage with ``run``."""
    command = workspaces.stage_commands(workspace[0] / "dvc.yaml")[case.stage]
    project = shutil.copytree(workspace[0], root / "project")
    mirror = shutil.copytree(workspace[1], root / "mirror")
    case.breaks(project, mirror)
    prepare_outputs(project, command.outs, case.existing)
    before = workspaces.snapshot(project)
    result = run(project, mirror, command, dict(case.env))
    return Outcome(result, before, workspaces.snapshot(project), mirror)


def refused_line(case: Case, outcome: Outcome) -> str:
    """The case's one error line, once checked: it says what the case expects, and nothing was touched."""
    line = workspaces.error_line(outcome.result)
    assert case.expect.format(mirror=outcome.mirror) in line
    changes = workspaces.snapshot_changes(outcome.before, outcome.after)
    assert not changes, f"{case.stage} failed but touched files: {changes}"
    if case.existing:
        outs = workspaces.stage_commands()[case.stage].outs
        assert any(name.startswith(outs) for name in outcome.before), "the case should have earlier outputs"
    return line


def test_case_ids_are_unique() -> None:
    assert len({case.id for case in CASES}) == len(CASES) >= 25


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(case, id=case.id, marks=[pytest.mark.xfail(reason=case.xfail, strict=True)] if case.xfail else [])
        for case in CASES
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(
    case: Case, stage_workspace: tuple[Path, Path], tmp_path: Path
) -> None:
    refused_line(case, run_case(case, stage_workspace, tmp_path, workspaces.run_stage_in_process))


# One case per kind of input (params, mirror IDX and CSV, parquet between stages, model file,
# registry predictions, report JSON, the operating point's curve), across eight stages, plus the one that
# sets an environment variable.
ENTRY_POINT_CASES = [
    "params-unknown-key",
    "idx-wrong-magic",
    "mnist-mirror-own-sums-not-opted-in",
    "titanic-csv-unknown-sex",
    "parquet-wrong-dtype",
    "model-not-a-zip",
    "compare-predictions-other-test-images",
    "operating-point-curve-precision-above-1",
    "report-metrics-not-json",
]


@pytest.mark.parametrize("case_id", ENTRY_POINT_CASES)
def test_the_real_entry_point_refuses_with_the_same_line(
    case_id: str, stage_workspace: tuple[Path, Path], tmp_path: Path
) -> None:
    """``python -m stages.<name>`` gives the exit status, stderr and untouched files the in-process call gives."""
    case = next(case for case in CASES if case.id == case_id)
    outcomes = {
        how: run_case(case, stage_workspace, tmp_path / how, run)
        for how, run in (("in-process", workspaces.run_stage_in_process), ("subprocess", run_subprocess))
    }
    lines = {
        how: refused_line(case, outcome).replace(str(outcome.mirror), "{mirror}") for how, outcome in outcomes.items()
    }
    assert lines["in-process"] == lines["subprocess"]
    assert outcomes["in-process"].result.stdout == outcomes["subprocess"].result.stdout == ""


# --- refusing oversized input costs little memory -----------------------------------------------------

MEASURE = (
    "import atexit, re, runpy, sys\n"
    "report, module = sys.argv[1:3]\n"
    "def peak():\n"
    "    status = open('/proc/self/status').read()\n"
    "    open(report, 'w').write(re.search(r'VmHWM:\\s*(\\d+) kB', status).group(1))\n"
    "atexit.register(peak)\n"
    "sys.argv = [module, *sys.argv[3:]]\n"
    "runpy.run_module(module, run_name='__main__', alter_sys=True)\n"
)
OVERSIZED = [
    "model-deflate-bomb",
    "titanic-model-deflate-bomb",
    "model-npy-header-2-45-elements",
    "titanic-parquet-500000-rows",
]
PEAK_RSS_MIB = 400  # the stage's libraries alone take about 150 MiB; the refused payloads read would add 500+


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="needs Linux's /proc for VmHWM")
@pytest.mark.parametrize("case_id", OVERSIZED)
def test_oversized_input_is_refused_in_little_memory(
    case_id: str, stage_workspace: tuple[Path, Path], tmp_path: Path
) -> None:
    """The stage's peak resident memory stays near its imports'.

    Measured as VmHWM in the stage's own process: getrusage's ru_maxrss would also count the
    pytest process it was forked from (Linux keeps the maximum across fork and exec).
    """
    case = next(case for case in CASES if case.id == case_id)
    command = workspaces.stage_commands(stage_workspace[0] / "dvc.yaml")[case.stage]
    project = shutil.copytree(stage_workspace[0], tmp_path / "project")
    case.breaks(project, stage_workspace[1])
    report = tmp_path / "maxrss"
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, str(report), f"stages.{command.module}", *command.args],
        cwd=project,
        env={**helpers.stage_env(stage_workspace[1], project), **command.dvc_env},
        capture_output=True,
        text=True,
        check=False,
    )
    peak_mib = int(report.read_text(encoding="utf-8")) / 1024
    print(f"{case_id}: {peak_mib:.0f} MiB")
    assert case.expect in workspaces.error_line(result)
    assert peak_mib < PEAK_RSS_MIB, f"{case.stage} peaked at {peak_mib:.0f} MiB refusing {case_id}"
