"""Benchmark: peak memory and time of ``python -m pipelib.predict`` per input kind, at the inputs' bounds.

Each case builds its input in a scratch directory (small files that claim or hold a lot:
a gzipped IDX of 1,000,000 blank images, a parquet of 2,000,000 in two row groups, a
passengers CSV of 10 MB, PNGs for ``--convert``), runs the real entry point under
``/usr/bin/time`` and reads its peak resident memory (``%M``) and wall time. Refused inputs are measured too:
they must fail fast and small. Prints one table (median of the repeats).

    python benchmarks/predict_memory.py [--repeats 1]
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import struct
import subprocess
import sys
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import pandas as pd  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from pipelib.mnist import models as mnist_models  # noqa: E402
from pipelib.mnist.dataset import mnist_table  # noqa: E402
from pipelib.mnist.fitting import LinearModel  # noqa: E402
from pipelib.params import TitanicModelEntry  # noqa: E402
from pipelib.titanic import model as titanic_model  # noqa: E402

HEADER = "PassengerId,Pclass,Name,Sex,Age,SibSp,Parch,Ticket,Fare,Cabin,Embarked\n"


def models(root: Path) -> tuple[Path, Path]:
    """A softmax MNIST model (ten score columns: the widest output) and a Titanic model, as skops files."""
    rng = np.random.default_rng(0)
    softmax = LinearModel(rng.normal(size=(10, 784)), np.zeros(10), np.arange(10), 1).fitted(LogisticRegression())
    mnist_models.save(softmax, root / "softmax.skops")
    passengers = pd.DataFrame(
        {
            "Pclass": [1, 2, 3] * 4,
            "Sex": ["female", "male"] * 6,
            "Embarked": ["C", "Q", "S"] * 4,
            "Age": rng.uniform(1, 80, 12),
            "SibSp": rng.integers(0, 4, 12),
            "Parch": rng.integers(0, 3, 12),
            "Fare": rng.uniform(5, 100, 12),
        }
    )
    entry = TitanicModelEntry(estimator="sklearn.linear_model.LogisticRegression", params={}, preprocess=[])
    fitted = titanic_model.fit_quietly(
        titanic_model.build(entry), titanic_model.model_inputs(passengers), np.arange(12) % 2
    )
    titanic_model.save(fitted, root / "titanic.skops")
    return root / "softmax.skops", root / "titanic.skops"


def idx(root: Path, count: int) -> Path:
    path = root / f"images{count}.gz"
    with gzip.GzipFile(path, "wb", mtime=0) as stream:
        stream.write(struct.pack(">IIII", 2051, count, 28, 28))
        block = bytes(784 * 10_000)
        for _ in range(count // 10_000):
            stream.write(block)
    return path


def parquet(root: Path, count: int) -> Path:
    path = root / f"images{count}.parquet"
    half = count // 2
    table = mnist_table(np.zeros((half, 784), dtype=np.uint8), np.zeros(half, dtype=np.uint8))
    with pq.ParquetWriter(path, table.schema, compression="zstd") as writer:
        writer.write_table(table, row_group_size=half)
        writer.write_table(table, row_group_size=half)
    return path


def passengers(root: Path, rows: int, blank: bool) -> Path:
    path = root / ("blank.csv" if blank else f"passengers{rows}.csv")
    line = "\n" if blank else None
    with open(path, "w", encoding="utf-8") as stream:
        stream.write(HEADER)
        for number in range(rows):
            stream.write(line or f'{number},3,"Kelly, Mr. James",male,34.5,0,0,330911,7.8292,,Q\n')
    return path


def png_convert(root: Path, width: int, height: int, mode: str) -> Path:
    directory = root / f"png-{width}x{height}-{mode}"
    directory.mkdir()
    if width * height <= 4096 * 4096:
        Image.new(mode, (width, height), (200,) * len(mode)).save(directory / "a.png")
        return directory

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    (directory / "a.png").write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    )
    return directory


def measure(argv: list[str], scratch: Path) -> tuple[float, float, int, str]:
    """(seconds, peak resident MB, exit status, last stderr line) of ``python -m pipelib.predict ARGV``.

    Through ``/usr/bin/time``: a child forked from this process would start its peak at this
    process's size (the inputs built here), one forked from ``time`` at almost nothing.
    """
    report = scratch / "time.txt"
    command = ["/usr/bin/time", "-o", str(report), "-f", "%M %e", sys.executable, "-m", "pipelib.predict", *argv]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    kilobytes, seconds = report.read_text(encoding="ascii").split()[-2:]
    last = (result.stderr.strip().splitlines() or [""])[-1]
    return float(seconds), int(kilobytes) / 1024, result.returncode, last


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--repeats", type=int, default=1)
    repeats = options.parse_args().repeats
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        softmax, titanic = models(root)
        out = root / "out.csv"
        cases: dict[str, Callable[[], list[str]]] = {
            "digits, 1 PNG (the libraries' footprint)": lambda: ["digits", png_convert(root, 28, 28, "L")],
            "digits, gzipped IDX of 1,000,000 images": lambda: ["digits", idx(root, 1_000_000)],
            "digits, the same with --invert": lambda: ["digits", root / "images1000000.gz", "--invert"],
            "digits, parquet of 2,000,000 rows (2 row groups)": lambda: ["digits", parquet(root, 2_000_000)],
            "digits --convert, 4096 x 4096 RGBA PNG": lambda: [
                "digits",
                png_convert(root, 4096, 4096, "RGBA"),
                "--convert",
            ],
            "digits --convert, 1 x 16,777,216 PNG (refused)": lambda: [
                "digits",
                png_convert(root, 1, 16_777_216, "L"),
                "--convert",
            ],
            "passengers, 10,000 rows": lambda: ["passengers", passengers(root, 10_000, blank=False)],
            "passengers, 10 MB of blank lines (refused)": lambda: [
                "passengers",
                passengers(root, 10_000_000, blank=True),
            ],
            "passengers, /dev/zero (refused)": lambda: ["passengers", "/dev/zero"],
        }
        rows = []
        for name, build in cases.items():
            argv = [str(item) for item in build()]
            model = titanic if argv[0] == "passengers" else softmax
            runs = [measure([*argv, "--model", str(model), "--out", str(out)], root) for _ in range(repeats)]
            seconds = statistics.median(run[0] for run in runs)
            peak = statistics.median(run[1] for run in runs)
            status, last = runs[-1][2], runs[-1][3]
            outcome = "ok" if status == 0 else last.split(": ")[-1][:60]
            rows.append((name, peak, seconds, status, outcome))
    print("| input | peak RSS (MB) | seconds | exit | outcome |\n| --- | ---: | ---: | ---: | --- |")
    for name, peak, seconds, status, outcome in rows:
        print(f"| {name} | {peak:,.0f} | {seconds:.1f} | {status} | {outcome} |")


if __name__ == "__main__":
    main()
