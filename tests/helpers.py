"""Helpers shared by the tests: small synthetic data, mirrors, project copies and DVC runs."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import threading
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from numpy.lib import format as npy_format

from pipelib.mnist.idx import write_idx_images, write_idx_labels

# A whole lbfgs fit against scikit-learn's: numpy's exp/log and scikit-learn's Cython loss take
# different SIMD paths per CPU (AVX-512 / AVX2), and lbfgs amplifies the loss's last-bit
# difference to ~2e-8 relative in the coefficients after 100 iterations (docs/testing.md).
FIT_RTOL, FIT_ATOL = 1e-6, 1e-9

# mnist.evaluate for the evaluation and operating-point unit tests (pipelib.params.BinaryEvaluateParams).
MNIST_EVALUATE: dict[str, Any] = {
    "threshold": 0.0,
    "target_precision": 0.75,
    "curve_points": 100,
    "walkthrough_row": 1,
    "walkthrough_threshold": 0.5,
    "calibration_bins": 10,
    "bootstrap_samples": 1000,
    "bootstrap_seed": 0,
    "reference": "softmax_augmented",
}

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
SIDE = 28
MNIST_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)
TITANIC_COLUMNS = [
    "PassengerId",
    "Survived",
    "Pclass",
    "Name",
    "Sex",
    "Age",
    "SibSp",
    "Parch",
    "Ticket",
    "Fare",
    "Cabin",
    "Embarked",
]
# The seed's preprocessed Titanic matrix (891, 12): its columns in the notebook's order, typed out.
TITANIC_FEATURES = [
    "Age",
    "SibSp",
    "Parch",
    "Fare",
    "Pclass_1",
    "Pclass_2",
    "Pclass_3",
    "Female",
    "Male",
    "Embarked_C",
    "Embarked_Q",
    "Embarked_S",
]
PROJECT_FILES = ("dvc.yaml", "params.yaml", ".dvcignore")
PROJECT_PACKAGES = ("pipelib", "stages")
# The review's flags, as the CI workflow passes them (tests/unit/review/test_review_workflow.py checks).
REVIEW_FLAGS = ("--out", "reports/review.md", "--html", "reports/review.html", "--tolerances", "review_tolerances.yaml")


# --- synthetic images -------------------------------------------------------------------------


def blob_images(n: int, seed: int) -> np.ndarray:
    """``n`` digit-like (n, 28, 28) uint8 images: a few bright Gaussian strokes on a zero background."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:SIDE, 0:SIDE]
    images = np.zeros((n, SIDE, SIDE), dtype=np.float64)
    for index in range(n):
        for _ in range(rng.integers(2, 6)):
            centre = rng.uniform(3, SIDE - 3, size=2)
            width = rng.uniform(1.0, 3.5)
            blob = np.exp(-((rows - centre[0]) ** 2 + (cols - centre[1]) ** 2) / (2 * width**2))
            images[index] += rng.uniform(150, 400) * blob
    images[images < 25] = 0  # MNIST-like: most pixels exactly 0
    return np.clip(np.rint(images), 0, 255).astype(np.uint8)


def _digit_templates(seed: int) -> np.ndarray:
    """One fixed (28, 28) float pattern of three blobs per digit 0-9."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:SIDE, 0:SIDE]
    templates = np.zeros((10, SIDE, SIDE))
    for digit in range(10):
        for _ in range(3):
            centre = rng.uniform(6, SIDE - 6, size=2)
            templates[digit] += 255 * np.exp(-((rows - centre[0]) ** 2 + (cols - centre[1]) ** 2) / (2 * 2.5**2))
    return np.clip(templates, 0, 255)


def synthetic_digits(n: int, seed: int, five_share: float = 0.15) -> tuple[np.ndarray, np.ndarray]:
    """Learnable MNIST stand-ins: (n, 784) uint8 label-dependent blob patterns plus jitter and noise.

    About ``five_share`` of the labels are 5; the other digits share the rest evenly.
    """
    rng = np.random.default_rng(seed)
    others = (1 - five_share) / 9
    labels = rng.choice(10, size=n, p=[five_share if digit == 5 else others for digit in range(10)]).astype(np.uint8)
    templates = _digit_templates(seed=12345)
    images = np.empty((n, SIDE, SIDE))
    for index, label in enumerate(labels):
        moved = np.roll(templates[label], shift=tuple(rng.integers(-1, 2, size=2)), axis=(0, 1))
        images[index] = moved + rng.normal(0, 25, size=(SIDE, SIDE))
    images[images < 30] = 0
    return np.clip(np.rint(images), 0, 255).astype(np.uint8).reshape(n, SIDE * SIDE), labels


# --- mirrors -------------------------------------------------------------------------------------


TRUST_SUMS = {"DATA_MIRROR_TRUST_SUMS": "1"}  # small test mirrors list their own files in SHA256SUMS


@contextmanager
def trusting_mirror_sums() -> Iterator[None]:
    """Opt in to mirrors' own SHA256SUMS for in-process calls (what stage_env does for stage runs)."""
    previous = os.environ.get("DATA_MIRROR_TRUST_SUMS")
    os.environ.update(TRUST_SUMS)
    try:
        yield
    finally:
        if previous is None:
            del os.environ["DATA_MIRROR_TRUST_SUMS"]
        else:
            os.environ["DATA_MIRROR_TRUST_SUMS"] = previous


def write_sha256sums(directory: Path, names: Iterable[str] | None = None) -> None:
    """Write ``directory/SHA256SUMS`` in ``sha256sum`` format for ``names`` (default: every file there)."""
    if names is None:
        names = sorted(path.name for path in directory.iterdir() if path.is_file() and path.name != "SHA256SUMS")
    lines = [f"{hashlib.sha256((directory / name).read_bytes()).hexdigest()}  {name}" for name in names]
    (directory / "SHA256SUMS").write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_mnist_mirror(root: Path, n_train: int, n_test: int, seed: int, checksums: bool = True) -> Path:
    """Write ``root/mnist/`` with the four IDX files of synthetic digits (and SHA256SUMS); return that dir."""
    directory = root / "mnist"
    directory.mkdir(parents=True, exist_ok=True)
    pixels, labels = synthetic_digits(n_train + n_test, seed)
    write_idx_images(directory / "train-images-idx3-ubyte.gz", pixels[:n_train])
    write_idx_labels(directory / "train-labels-idx1-ubyte.gz", labels[:n_train])
    write_idx_images(directory / "t10k-images-idx3-ubyte.gz", pixels[n_train:])
    write_idx_labels(directory / "t10k-labels-idx1-ubyte.gz", labels[n_train:])
    if checksums:
        write_sha256sums(directory, MNIST_FILES)
    return directory


def titanic_rows(n: int, seed: int, first_id: int = 1) -> list[dict[str, str]]:
    """``n`` Kaggle-layout passengers as CSV strings; every Pclass/Sex/Embarked value appears.

    Every seventh Age and every eleventh Embarked is missing; survival follows sex and class
    with some noise, so both classes are well represented.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for index in range(n):
        pclass = index % 3 + 1
        female = index % 2 == 0
        chance = (0.85 if female else 0.2) - 0.15 * (pclass - 1)
        rows.append(
            {
                "PassengerId": str(first_id + index),
                "Survived": str(int(rng.random() < chance)),
                "Pclass": str(pclass),
                "Name": f'Surname{index}, {"Mrs." if female else "Mr."} Given "Nick" Name',
                "Sex": "female" if female else "male",
                "Age": "" if index % 7 == 3 else f"{float(rng.integers(1, 70))}",
                "SibSp": str(int(rng.integers(0, 3))),
                "Parch": str(int(rng.integers(0, 3))),
                "Ticket": f"A/5 {21000 + index}",
                "Fare": f"{float(np.round(rng.uniform(5, 100) * (4 - pclass), 4))}",
                "Cabin": f"C{index}" if pclass == 1 else "",
                "Embarked": "" if index % 11 == 5 else "CQS"[(index // 3) % 3],
            }
        )
    return rows


def titanic_csv_text(rows: list[dict[str, str]], labelled: bool, drop: Iterable[str] = ()) -> str:
    """Rows as Titanic CSV text (LF line endings), without ``Survived`` when not ``labelled``, nor ``drop``."""
    dropped = set(drop) | (set() if labelled else {"Survived"})
    columns = [name for name in TITANIC_COLUMNS if name not in dropped]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def write_titanic_mirror(root: Path, n_train: int, n_test: int, seed: int) -> Path:
    """Write ``root/titanic/`` with train.csv, test.csv and SHA256SUMS; return that dir."""
    directory = root / "titanic"
    directory.mkdir(parents=True, exist_ok=True)
    train = titanic_rows(n_train, seed)
    test = titanic_rows(n_test, seed + 1, first_id=n_train + 1)
    (directory / "train.csv").write_text(titanic_csv_text(train, labelled=True), encoding="utf-8")
    (directory / "test.csv").write_text(titanic_csv_text(test, labelled=False), encoding="utf-8")
    write_sha256sums(directory, ["train.csv", "test.csv"])
    return directory


# --- model files ------------------------------------------------------------------------------

BOMB_BYTES = 1600 * 1024**2  # zeros one entry of the bomb inflates to: above every model file's bound (1,536 MiB)
_BOMB_LOCK = threading.Lock()
_BOMB: list[bytes] = []
_DOS_1980_01_01 = 0x21  # the zip date of 1980-01-01, the date skops_file writes


def npy_header(shape: tuple[int, ...], descr: str = "<f8") -> bytes:
    """An ``.npy`` header (format 1.0) announcing an array of ``shape`` and ``descr``."""
    buffer = io.BytesIO()
    npy_format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


def hand_digit_model(coef: np.ndarray, intercept: np.ndarray, classes: np.ndarray) -> Any:
    """An MNIST model as the training stage saves one: a LogisticRegression with hand-set coefficients."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression()
    model.coef_, model.intercept_, model.classes_ = np.asarray(coef), np.asarray(intercept), np.asarray(classes)
    model.n_features_in_ = model.coef_.shape[1]
    return model


def skops_entries(model: Any) -> dict[str, bytes]:
    """The entries of ``model``'s skops file as the pipeline writes it: name -> content."""
    import tempfile

    from pipelib import skops_file

    with tempfile.TemporaryDirectory() as directory:
        skops_file.save(model, Path(directory) / "model.skops")
        with zipfile.ZipFile(Path(directory) / "model.skops") as archive:
            return {info.filename: archive.read(info) for info in archive.infolist()}


def array_entry(entries: dict[str, bytes], attribute: str) -> str:
    """The name of the ``.npy`` entry holding an estimator's array ``attribute`` (``coef_``), from schema.json."""
    return str(json.loads(entries["schema.json"])["content"]["content"][attribute]["file"])


def crafted_model(model: Any, raw: dict[str, bytes]) -> bytes:
    """``model``'s skops file with the entries of ``raw`` (name -> content) replacing or added to its own."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in {**skops_entries(model), **raw}.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), content)
    return buffer.getvalue()


def deflated_zip(entries: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip of entries already deflated, (name, raw deflate data, crc32, unpacked size), Zip64 where needed.

    Written by hand (APPNOTE 4.3.7, 4.3.12, 4.5.3): zipfile can only deflate what it is given.
    """
    out, central = io.BytesIO(), []
    for name, data, crc, size in entries:
        offset, big = out.tell(), size >= 0xFFFFFFFF
        extra = struct.pack("<HHQQ", 1, 16, size, len(data)) if big else b""
        sizes = (0xFFFFFFFF, 0xFFFFFFFF) if big else (len(data), size)
        common = (45 if big else 20, 0, zipfile.ZIP_DEFLATED, 0, _DOS_1980_01_01, crc, *sizes, len(name), len(extra))
        out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", *common) + name.encode() + extra + data)
        central.append(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 45, *common, 0, 0, 0, 0o644 << 16, offset))
        central[-1] += name.encode() + extra
    directory, start = b"".join(central), out.tell()
    out.write(
        directory + struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(directory), start, 0)
    )
    return out.getvalue()


def deflate(data: bytes) -> bytes:
    """``data`` as a zip entry stores it deflated (raw deflate, no zlib header)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def deflate_bomb() -> bytes:
    """A binary MNIST model's skops file of about 1.7 MB whose ``coef_`` entry inflates to 1,600 MiB (made once).

    The entry is a consistent ``.npy`` of zeros, its header announcing the 1,600 MiB it holds. Each MiB
    of zeros is deflated once after a full flush (no reference to earlier data), so the same compressed
    block stands for every MiB: made in about a second, with no 1,600 MiB buffer.
    """
    with _BOMB_LOCK:
        if not _BOMB:
            block = bytes(1 << 20)
            header = npy_header((1, BOMB_BYTES // 8))
            compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
            first = compressor.compress(header) + compressor.flush(zlib.Z_FULL_FLUSH)
            zeros = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
            crc = zlib.crc32(header)
            for _ in range(BOMB_BYTES >> 20):
                crc = zlib.crc32(block, crc)
            data = first + zeros * (BOMB_BYTES >> 20) + compressor.flush()
            model = hand_digit_model(np.zeros((1, 784)), np.zeros(1), np.array([False, True]))
            entries = skops_entries(model)
            coef = array_entry(entries, "coef_")
            listed = [
                (name, data, crc, len(header) + BOMB_BYTES)
                if name == coef
                else (name, deflate(content), zlib.crc32(content), len(content))
                for name, content in entries.items()
            ]
            _BOMB.append(deflated_zip(listed))
        return _BOMB[0]


# --- params --------------------------------------------------------------------------------------


def get_dotted(mapping: dict[str, Any], dotted: str) -> Any:
    """``mapping[a][b][c]`` for ``dotted == "a.b.c"`` (DVC's way of naming a param)."""
    for key in dotted.split("."):
        mapping = mapping[key]
    return mapping


def set_dotted(mapping: dict[str, Any], dotted: str, value: Any) -> None:
    """Set ``mapping[a][b][c] = value`` for ``dotted == "a.b.c"``, creating nothing but the last key."""
    *parents, last = dotted.split(".")
    for key in parents:
        mapping = mapping[key]
    mapping[last] = value


def edit_params(path: Path, updates: dict[str, Any]) -> None:
    """Rewrite a params.yaml with dotted-key ``updates`` applied."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    for dotted, value in updates.items():
        set_dotted(raw, dotted, value)
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")


# --- project copies and DVC ----------------------------------------------------------------------


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False
    )


def _checked(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(result.args)} exited {result.returncode}:\n{result.stdout}")
    return result


def stage_env(mirror: Path, cwd: Path) -> dict[str, str]:
    """The environment for stage scripts and DVC: this venv first on PATH, the mirror (its SHA256SUMS
    trusted: test mirrors hold synthetic files), no analytics."""
    env = {key: value for key, value in os.environ.items() if key not in ("PROGRESS", "PYTHONPATH")}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["DATA_MIRROR"] = str(mirror)
    env.update(TRUST_SUMS)
    env["DVC_NO_ANALYTICS"] = "1"
    env["DVC_SITE_CACHE_DIR"] = str(cwd.parent / f".{cwd.name}-dvc-site-cache")
    return env


def copy_sources(dest: Path) -> Path:
    """Copy dvc.yaml, params.yaml, .dvcignore, pipelib/ and stages/ into ``dest`` (enough to run a stage)."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        shutil.copy2(REPO_ROOT / name, dest / name)
    for package in PROJECT_PACKAGES:
        shutil.copytree(REPO_ROOT / package, dest / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dest


def copy_project(dest: Path) -> Path:
    """Copy the project's pipeline files into a fresh git + DVC repository at ``dest``."""
    dest.mkdir(parents=True)
    _checked(_run(["git", "init", "-q"], dest))
    _checked(_run([sys.executable, "-m", "dvc", "init", "-q"], dest, stage_env(dest, dest)))
    shutil.copy2(REPO_ROOT / ".dvc" / "config", dest / ".dvc" / "config")
    shutil.copytree(REPO_ROOT / ".dvc" / "plots", dest / ".dvc" / "plots")  # dvc.yaml's custom plot templates
    # The ignore layout of data/ and models/: directories of several stages' outputs are ignored whole,
    # so DVC writes no .gitignore inside them and a clone lacks them (dvc.yaml, train_titanic).
    for ignore in [*(REPO_ROOT / "data").rglob(".gitignore"), *(REPO_ROOT / "models").rglob(".gitignore")]:
        if not any(line.endswith("/") for line in ignore.read_text(encoding="utf-8").splitlines()):
            continue  # only files DVC itself lists: it writes those again where a stage runs
        target = dest / ignore.relative_to(REPO_ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ignore, target)
    return copy_sources(dest)


def clone_project(source: Path, dest: Path) -> Path:
    """Copy a whole project copy (workspace, git, DVC cache and lock) except DVC's temporary state."""

    def ignore(directory: str, names: list[str]) -> set[str]:
        return {"tmp"} & set(names) if Path(directory).name == ".dvc" else set()

    shutil.copytree(source, dest, symlinks=True, ignore=ignore)
    return dest


def run_dvc(project: Path, mirror: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``dvc ARGS`` with this venv's DVC in ``project``; output is stdout and stderr merged."""
    result = _run([sys.executable, "-m", "dvc", *args], project, stage_env(mirror, project))
    return _checked(result) if check else result


def run_stage_script(
    project: Path, mirror: Path, stage: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m stages.<stage> ARGS`` (a dotted ``stage``: that module) in ``project``; stdout, stderr apart.

    ``env`` overrides variables of :func:`stage_env`.
    """
    module = stage if "." in stage else f"stages.{stage}"
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=project,
        env={**stage_env(mirror, project), **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )


RUNNING_STAGE = re.compile(r"Running stage '([^']+)'")


def stages_run(output: str) -> set[str]:
    """Names of the stages a ``dvc repro`` output says it ran."""
    return set(RUNNING_STAGE.findall(output))


def read_dvc_yaml(dvc_yaml: Path = REPO_ROOT / "dvc.yaml") -> dict[str, Any]:
    """The parsed dvc.yaml: the tests' one reader of it (stages, plots, artifacts)."""
    document = yaml.safe_load(dvc_yaml.read_text(encoding="utf-8"))
    assert isinstance(document, dict) and isinstance(document.get("stages"), dict), dvc_yaml
    return document


def foreach_items(dvc_yaml: Path, foreach: Any) -> dict[str, Any]:
    """A stage's ``foreach``: its mapping, or for ``${a.b}`` that mapping of the params.yaml beside dvc.yaml."""
    if isinstance(foreach, str):
        params = yaml.safe_load((dvc_yaml.parent / "params.yaml").read_text(encoding="utf-8"))
        return dict(get_dotted(params, foreach.removeprefix("${").removesuffix("}")))
    return dict(foreach)


def pipeline_stage_deps(dvc_yaml: Path) -> dict[str, set[str]]:
    """Every stage of a dvc.yaml (``foreach`` expanded to ``name@key``) with its dependency paths, unexpanded."""
    stages = read_dvc_yaml(dvc_yaml)["stages"]
    found: dict[str, set[str]] = {}
    for name, definition in stages.items():
        body = definition.get("do", definition)
        deps = {dep if isinstance(dep, str) else next(iter(dep)) for dep in body.get("deps", [])}
        foreach = foreach_items(dvc_yaml, definition["foreach"]) if "foreach" in definition else {}
        keys = [f"{name}@{key}" for key in foreach] if foreach else [name]
        found |= dict.fromkeys(keys, deps)
    return found


def pipeline_stage_names(dvc_yaml: Path) -> set[str]:
    """Every stage name of a dvc.yaml, ``foreach`` stages expanded to ``name@key``."""
    return set(pipeline_stage_deps(dvc_yaml))


# --- the review comment as GitHub would render it -----------------------------------------------

# GitHub turns these into links or pings in plain text (not in code): mentions, bare URLs, www.
MENTION = re.compile(r"(?<![\w`])@[A-Za-z0-9][A-Za-z0-9-]*(?:/[A-Za-z0-9_.-]+)?")
BARE_URL = re.compile(r"(?i)\b(?:https?://|www\.|mailto:)")


def rendered_comment(markdown: str) -> dict[str, Any]:
    """What a GFM renderer (markdown-it-py, CommonMark + tables) makes of a comment.

    ``images`` and ``links`` (their addresses), ``html`` (raw HTML blocks and tags), ``mentions``
    and ``bare_urls`` found in text outside code, ``tables`` (rows of cell counts) and ``fences``
    ((info, content) of fenced code blocks).
    """
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    found: dict[str, Any] = {"images": [], "links": [], "html": [], "mentions": [], "bare_urls": []}
    found["tables"], found["fences"] = [], []
    rows: list[int] = []
    cells = 0
    for token in tokens:
        if token.type == "html_block":
            found["html"].append(token.content.strip())
        elif token.type == "fence":
            found["fences"].append((token.info.strip(), token.content))
        elif token.type == "table_open":
            rows = []
        elif token.type == "tr_open":
            cells = 0
        elif token.type in ("th_open", "td_open"):
            cells += 1
        elif token.type == "tr_close":
            rows.append(cells)
        elif token.type == "table_close":
            found["tables"].append(rows)
        in_link = False
        for child in token.children or []:
            if child.type == "image":
                found["images"].append(child.attrGet("src"))
            elif child.type in ("link_open", "link_close"):
                in_link = child.type == "link_open"
                if in_link:
                    found["links"].append(child.attrGet("href"))
            elif child.type == "html_inline":
                found["html"].append(child.content)
            elif child.type == "text" and not in_link:
                found["mentions"] += MENTION.findall(child.content)
                found["bare_urls"] += BARE_URL.findall(child.content)
    return found


def hand_titanic_model(coef: list[float], intercept: float = 0.0) -> Any:
    """A Titanic model file's Pipeline with hand-set coefficients over the seed's 12 features (TITANIC_FEATURES):
    the preprocessing fitted on three passengers holding every category, then a logistic regression."""
    import pandas as pd
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    from pipelib.titanic.model import model_inputs, preprocessing

    every_category = pd.DataFrame(
        {"Pclass": [1, 2, 3], "Sex": ["female", "male", "male"], "Embarked": ["C", "Q", "S"]}
        | {name: [1.0, 2.0, 3.0] for name in ("Age", "SibSp", "Parch", "Fare")}
    )
    linear = LogisticRegression()
    linear.coef_, linear.intercept_ = np.array([coef], dtype=np.float64), np.array([intercept])
    linear.classes_, linear.n_features_in_ = np.array([0, 1]), len(coef)
    return Pipeline([("preprocess", preprocessing().fit(model_inputs(every_category))), ("model", linear)])


def run_predict(monkeypatch: Any, *argv: object) -> int:
    """``python -m pipelib.predict ARGV`` in-process (its ``run_stage(main)``); the exit status."""
    from pipelib.errors import run_stage
    from pipelib.predict.__main__ import main

    monkeypatch.setattr(sys, "argv", ["python -m pipelib.predict", *map(str, argv)])
    try:
        run_stage(main)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


# --- digits as the predict command reads and scores them, whole --------------------------------------


def read_digits(source: Path, convert: bool = False, invert: bool = False) -> Any:
    """All the images of a PNG directory, IDX or parquet file at once (``digit_blocks``, joined)."""
    from pipelib.predict.digits import Digits, digit_blocks

    _, blocks = digit_blocks(source, convert, invert)
    parts = list(blocks)
    labels = [part.labels for part in parts if part.labels is not None]
    ids = (
        [name for part in parts for name in part.ids]
        if parts[0].id_column == "file"
        else np.concatenate([part.ids for part in parts])
    )
    return Digits(
        parts[0].id_column,
        ids,
        np.concatenate([part.pixels for part in parts]),
        np.concatenate(labels) if labels else None,
    )


def predictions(model: Any, digits: Any, threshold: float | None = None) -> Any:
    """``prediction_columns`` as a pandas frame, one row per image."""
    import pandas as pd

    from pipelib.predict.digits import prediction_columns

    return pd.DataFrame(prediction_columns(model, digits, threshold))
