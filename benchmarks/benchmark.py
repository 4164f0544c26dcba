"""Benchmark: the notebook's way against the DVC pipeline, side by side on the same data.

Each repeat runs, one after the other on the same machine and data:

* (a) ``benchmarks/notebook_way.py``: the seed notebook as a faithful script;
* (b) the pipeline in a fresh project copy with an empty DVC cache: every stage on its own
  (``dvc repro -s STAGE`` in DAG order), then, in another fresh copy, the whole
  ``dvc repro`` from clean, a no-op ``dvc repro``, a decision-threshold change, a
  target-precision change and a change of one model's ``C``.

Wall time comes from the clock, peak memory from ``wait4`` (the largest resident set of the
process and its children, so a stage's figure includes DVC's own process). It prints the
medians of the repeats, the ratio notebook/pipeline per step, and both runs' metrics.

Real data from ``../shared/data`` when it is there; ``--sample N`` (or no real data) uses
the first N training images (a synthetic set without real data). ``--scale`` instead runs
the pipeline once with every 1- and 2-pixel shift in 8 directions (17x the training set).

    python benchmarks/benchmark.py [--repeats 3] [--sample N] [--scale] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from tests.helpers import (  # noqa: E402
    SHARED_DATA,
    copy_project,
    edit_params,
    stage_env,
    stages_run,
    write_mnist_mirror,
    write_titanic_mirror,
)

# Pipeline stages in DAG order, and which stages correspond to which notebook step.
STAGE_ORDER = [
    "fetch_mnist",
    "split_mnist",
    "augment",
    "shuffle",
    "train_binary",
    "train_softmax@softmax",
    "train_softmax@softmax_augmented",
    "evaluate_mnist",
    "figures_mnist",
    "fetch_titanic",
    "train_titanic",
    "evaluate_titanic",
    "report",
]
STEPS = [
    ("load MNIST", ["load"], ["fetch_mnist", "split_mnist"]),
    ("binary classifier, CV, metrics", ["binary_fits"], ["train_binary", "evaluate_mnist"]),
    ("softmax", ["softmax"], ["train_softmax@softmax"]),
    ("augment + shuffle", ["augment_shuffle"], ["augment", "shuffle"]),
    ("softmax, augmented", ["softmax_augmented"], ["train_softmax@softmax_augmented"]),
    ("Titanic", ["titanic"], ["fetch_titanic", "train_titanic", "evaluate_titanic"]),
    ("figures + report (pipeline only)", [], ["figures_mnist", "report"]),
]
SCALE_SHIFTS = [[dx, dy] for dx in (-2, -1, 0, 1, 2) for dy in (-2, -1, 0, 1, 2) if (dx, dy) != (0, 0)]
SCALE_SHIFTS = [pair for pair in SCALE_SHIFTS if 0 in pair or abs(pair[0]) == abs(pair[1])]


@dataclass(frozen=True)
class Measured:
    seconds: float
    peak_mb: float
    output: str


def measure(command: list[str], cwd: Path, env: dict[str, str]) -> Measured:
    """Run a command; its wall time, the peak RSS of it and its children, and its output."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = process.stdout.read() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {process.returncode}:\n{output[-3000:]}")
    return Measured(seconds, usage.ru_maxrss / 1024, output)


def prepare_mirror(root: Path, sample: int | None) -> tuple[Path, int]:
    """The data mirror to benchmark on and its training-set size."""
    if SHARED_DATA.is_dir() and sample is None:
        return SHARED_DATA, 60000
    n_train = sample or 3000
    if SHARED_DATA.is_dir():
        import numpy as np

        from pipelib.mnist.idx import read_idx_images, read_idx_labels, write_idx_images, write_idx_labels
        from tests.helpers import write_sha256sums

        mnist = root / "mirror" / "mnist"
        mnist.mkdir(parents=True)
        for prefix, count in (("train", n_train), ("t10k", max(n_train // 6, 100))):
            images = read_idx_images(SHARED_DATA / "mnist" / f"{prefix}-images-idx3-ubyte.gz")[:count]
            labels = read_idx_labels(SHARED_DATA / "mnist" / f"{prefix}-labels-idx1-ubyte.gz")[:count]
            write_idx_images(mnist / f"{prefix}-images-idx3-ubyte.gz", np.ascontiguousarray(images))
            write_idx_labels(mnist / f"{prefix}-labels-idx1-ubyte.gz", np.ascontiguousarray(labels))
        write_sha256sums(mnist)
        (root / "mirror" / "titanic").symlink_to(SHARED_DATA / "titanic")
        return root / "mirror", n_train
    write_mnist_mirror(root / "mirror", n_train, max(n_train // 6, 100), seed=0)
    write_titanic_mirror(root / "mirror", 400, 100, seed=0)
    return root / "mirror", n_train


def run_notebook(mirror: Path, n_train: int, scratch: Path) -> tuple[Measured, dict[str, Any]]:
    """(a): the notebook's way, timed as a whole and per step."""
    result_file = scratch / "notebook.json"
    command = [
        sys.executable,
        str(REPO_ROOT / "benchmarks" / "notebook_way.py"),
        "--mnist-dir",
        str(mirror / "mnist"),
        "--titanic-dir",
        str(mirror / "titanic"),
        "--json",
        str(result_file),
    ]
    if n_train != 60000:
        command += ["--limit", str(n_train)]
    measured = measure(command, REPO_ROOT, dict(os.environ))
    return measured, json.loads(result_file.read_text())


def new_project(scratch: Path, name: str, mirror: Path, n_train: int, shifts: list[list[int]] | None) -> Path:
    """A fresh project copy with an empty DVC cache, its params set for the data."""
    project = copy_project(scratch / name)
    updates: dict[str, Any] = {"mnist.n_train": n_train}
    if shifts is not None:
        updates["mnist.augment.shifts"] = shifts
    edit_params(project / "params.yaml", updates)
    return project


def dvc(project: Path, mirror: Path, *args: str) -> Measured:
    return measure([sys.executable, "-m", "dvc", *args], project, stage_env(mirror, project))


def run_pipeline(mirror: Path, n_train: int, scratch: Path, shifts: list[list[int]] | None = None) -> dict[str, Any]:
    """(b): every stage on its own, then the whole DAG and the cached reruns in a second copy."""
    per_stage = new_project(scratch, "stages", mirror, n_train, shifts)
    stages = {stage: dvc(per_stage, mirror, "repro", "-s", stage) for stage in STAGE_ORDER}
    metrics = {name: json.loads((per_stage / "metrics" / f"{name}.json").read_text()) for name in ("mnist", "titanic")}

    whole = new_project(scratch, "whole", mirror, n_train, shifts)
    clean = dvc(whole, mirror, "repro")
    noop = dvc(whole, mirror, "repro")
    changes = {}
    for label, key, value in (
        ("threshold change", "mnist.evaluate.threshold", 1.0),
        ("target-precision change", "mnist.evaluate.target_precision", 0.95),
        ("softmax C change", "mnist.softmax.C", 5.0),
    ):
        edit_params(whole / "params.yaml", {key: value})
        changes[label] = dvc(whole, mirror, "repro")
    return {"stages": stages, "clean": clean, "noop": noop, "changes": changes, "metrics": metrics}


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def print_comparison(notebooks: list[tuple[Measured, dict[str, Any]]], pipelines: list[dict[str, Any]]) -> dict:
    """The table of medians and ratios, and both runs' metrics."""
    rows = []
    for label, steps, stages in STEPS:
        notebook = median([sum(result["steps"][step] for step in steps) for _, result in notebooks]) if steps else None
        pipeline = median([sum(run["stages"][stage].seconds for stage in stages) for run in pipelines])
        peak = median([max(run["stages"][stage].peak_mb for stage in stages) for run in pipelines])
        rows.append((label, notebook, pipeline, peak))
    notebook_total = median([measured.seconds for measured, _ in notebooks])
    notebook_peak = median([measured.peak_mb for measured, _ in notebooks])
    clean = median([run["clean"].seconds for run in pipelines])
    clean_peak = median([run["clean"].peak_mb for run in pipelines])
    print(f"\nmedians of {len(pipelines)} run(s); peak = largest resident set of the process and its children\n")
    print("| step | notebook s | pipeline s | notebook/pipeline | pipeline peak MB |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for label, notebook, pipeline, peak in rows:
        ratio = f"{notebook / pipeline:.1f}x" if notebook else ""
        shown = f"{notebook:.1f}" if notebook is not None else ""
        print(f"| {label} | {shown} | {pipeline:.1f} | {ratio} | {peak:.0f} |")
    print(
        f"| **whole run from clean** | {notebook_total:.1f} | {clean:.1f} "
        f"| {notebook_total / clean:.1f}x | {clean_peak:.0f} |"
    )
    print(
        f"\nnotebook peak RSS {notebook_peak:.0f} MB; largest pipeline stage {clean_peak:.0f} MB "
        f"({clean_peak / notebook_peak:.2f} of the notebook's)"
    )
    print(f"no-op dvc repro: {median([run['noop'].seconds for run in pipelines]):.2f} s")
    for label in pipelines[0]["changes"]:
        seconds = median([run["changes"][label].seconds for run in pipelines])
        ran = sorted(stages_run(pipelines[-1]["changes"][label].output))
        print(f"{label}: {seconds:.2f} s, reran {', '.join(ran)}")
    print_metrics(notebooks[-1][1]["metrics"], pipelines[-1]["metrics"])
    return {
        "rows": rows,
        "whole": {"notebook": notebook_total, "pipeline": clean, "notebook_peak_mb": notebook_peak},
        "pipeline_peak_mb": clean_peak,
    }


def print_metrics(notebook: dict[str, Any], pipeline: dict[str, Any]) -> None:
    binary = pipeline["mnist"]["binary"]
    folds = [value for key, value in sorted(binary["cv_accuracy"].items()) if key.startswith("fold_")]
    baseline = pipeline["mnist"]["baseline_never_positive"]["cv_accuracy"]
    confusion = [count for row in notebook["confusion"] for count in row]
    rows = [
        ("CV accuracy per fold", notebook["binary_cv_accuracy"], folds),
        (
            "baseline CV accuracy",
            notebook["never5_cv_accuracy"],
            [v for k, v in sorted(baseline.items()) if k != "mean"],
        ),
        (
            "confusion tn fp fn tp",
            confusion,
            [binary[k] for k in ("tn", "fp", "fn", "tp")],
        ),
        ("precision", notebook["precision"], binary["precision"]),
        ("recall", notebook["recall"], binary["recall"]),
        ("softmax test accuracy", notebook["softmax_test_accuracy"], pipeline["mnist"]["softmax"]["test_accuracy"]),
        (
            "softmax augmented test accuracy",
            notebook["softmax_augmented_test_accuracy"],
            pipeline["mnist"]["softmax_augmented"]["test_accuracy"],
        ),
        (
            "Titanic training accuracy",
            notebook["titanic_train_accuracy"],
            pipeline["titanic"]["titanic"]["train_accuracy"],
        ),
    ]
    print("\n| metric | notebook | pipeline |\n| --- | --- | --- |")
    for label, left, right in rows:
        print(f"| {label} | {_fmt(left)} | {_fmt(right)} |")


def _fmt(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_fmt(item) for item in value)
    return f"{value:.5g}" if isinstance(value, float) else str(value)


def run_scale(mirror: Path, n_train: int, scratch: Path) -> None:
    """The pipeline with every 1- and 2-pixel shift in 8 directions: time and peak per stage."""
    project = new_project(scratch, "scale", mirror, n_train, SCALE_SHIFTS)
    print(f"{len(SCALE_SHIFTS)} shifts: {(len(SCALE_SHIFTS) + 1) * n_train:,} training images\n")
    print("| stage | seconds | peak MB |\n| --- | ---: | ---: |")
    total = 0.0
    for stage in STAGE_ORDER:
        measured = dvc(project, mirror, "repro", "-s", stage)
        total += measured.seconds
        print(f"| {stage} | {measured.seconds:.1f} | {measured.peak_mb:.0f} |", flush=True)
    metrics = json.loads((project / "metrics" / "mnist.json").read_text())
    print(f"| total | {total:.1f} | |")
    print(
        f"\nsoftmax test accuracy on the {len(SCALE_SHIFTS) + 1}x set: {metrics['softmax_augmented']['test_accuracy']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sample", type=int, default=None, help="use the first N training images")
    parser.add_argument("--scale", action="store_true", help="run the 17x augmentation once instead")
    parser.add_argument("--json", type=Path, default=None, help="also write the summary as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="benchmark-") as tmp:
        scratch = Path(tmp)
        mirror, n_train = prepare_mirror(scratch, args.sample)
        print(f"data: {mirror} ({n_train:,} training images)", flush=True)
        if args.scale:
            run_scale(mirror, n_train, scratch)
            return
        notebooks, pipelines = [], []
        for repeat in range(1, args.repeats + 1):
            notebooks.append(run_notebook(mirror, n_train, scratch))
            print(f"repeat {repeat}: notebook {notebooks[-1][0].seconds:.1f} s", flush=True)
            run_dir = scratch / f"run{repeat}"
            run_dir.mkdir()
            pipelines.append(run_pipeline(mirror, n_train, run_dir))
            print(f"repeat {repeat}: pipeline from clean {pipelines[-1]['clean'].seconds:.1f} s", flush=True)
        summary = print_comparison(notebooks, pipelines)
        if args.json is not None:
            args.json.write_text(json.dumps(summary, indent=2, default=str) + "\n")


if __name__ == "__main__":
    main()
