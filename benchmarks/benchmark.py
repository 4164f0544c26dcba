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

Then, on the data of the last repeat, the augmented softmax fit and the binary classifier's
four fits with one worker and with two, alternated in one process (``fit_workers.py``), and
each stage script's start-up cost now and at ``--startup-before`` (``startup.py``).

Real data from ``../shared/data`` (required); ``--sample N`` uses its first N training
images. ``--scale`` instead runs the pipeline once with every 1- and 2-pixel shift in 8
directions (17x the training set). The machine should be otherwise idle; when it is not,
the side-by-side ratios are still meaningful, the absolute times are not.

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

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.project import SHARED_DATA, copy_project, edit_params, stage_env, stages_run, write_sha256sums  # noqa: E402
from benchmarks.startup import startup_table  # noqa: E402

# Pipeline stages in DAG order, and which stages correspond to which notebook step.
STAGE_ORDER = [
    "fetch_mnist",
    "split_mnist",
    "augment",
    "shuffle",
    "train_binary",
    "train_mnist@softmax",
    "train_mnist@softmax_augmented",
    "evaluate_mnist",
    "operating_point",
    "compare_mnist",
    "figures_mnist",
    "fetch_titanic",
    "train_titanic@logistic",
    "evaluate_titanic",
    "sweep",
    "report",
]
# What the notebook does (and the seed's figures): the whole-run comparison. The sweep is work the
# notebook does not do; it is timed on its own and left out of the comparison.
SEED_TARGETS = ["operating_point", "compare_mnist", "figures_mnist", "evaluate_titanic"]
# The registry entries the seed has; the others (the book's KNNs, forest and SVC) are beyond the notebook.
SEED_MODELS = {"mnist.models": ("softmax", "softmax_augmented"), "titanic.models": ("logistic",)}
STEPS = [
    ("load MNIST", ["load"], ["fetch_mnist", "split_mnist"]),
    ("binary classifier, CV, metrics", ["binary_fits"], ["train_binary", "evaluate_mnist", "operating_point"]),
    ("softmax", ["softmax"], ["train_mnist@softmax"]),
    ("augment + shuffle", ["augment_shuffle"], ["augment", "shuffle"]),
    ("softmax, augmented", ["softmax_augmented"], ["train_mnist@softmax_augmented"]),
    ("Titanic", ["titanic"], ["fetch_titanic", "train_titanic@logistic", "evaluate_titanic"]),
    ("comparison, figures + report (pipeline only)", [], ["compare_mnist", "figures_mnist", "report"]),
]
SWEEP_STEP = ("sweep (not in the notebook, not in the total)", [], ["sweep"])
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
    """The data mirror to benchmark on (the real data, or its first ``sample`` images) and its training-set size."""
    if not SHARED_DATA.is_dir():
        raise SystemExit(f"error: {SHARED_DATA}: the real data mirror is needed for the benchmark")
    if sample is None:
        return SHARED_DATA, 60000
    import numpy as np

    from pipelib.mnist.idx import read_idx_images, read_idx_labels, write_idx_images, write_idx_labels

    mnist = root / "mirror" / "mnist"
    mnist.mkdir(parents=True)
    for prefix, count in (("train", sample), ("t10k", max(sample // 6, 100))):
        images = read_idx_images(SHARED_DATA / "mnist" / f"{prefix}-images-idx3-ubyte.gz")[:count]
        labels = read_idx_labels(SHARED_DATA / "mnist" / f"{prefix}-labels-idx1-ubyte.gz")[:count]
        write_idx_images(mnist / f"{prefix}-images-idx3-ubyte.gz", np.ascontiguousarray(images))
        write_idx_labels(mnist / f"{prefix}-labels-idx1-ubyte.gz", np.ascontiguousarray(labels))
    write_sha256sums(mnist)
    (root / "mirror" / "titanic").symlink_to(SHARED_DATA / "titanic")
    return root / "mirror", sample


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
    """A fresh project copy with an empty DVC cache, its params set for the data; of the registries only
    the seed's models (the book's exercise models are beyond the notebook: docs/models.md)."""
    project = copy_project(scratch / name)
    params = yaml.safe_load((project / "params.yaml").read_text())
    updates: dict[str, Any] = {"mnist.n_train": n_train}
    for key, names in SEED_MODELS.items():
        data_set, registry = key.split(".")
        updates[key] = {name: params[data_set][registry][name] for name in names}
    if shifts is not None:
        updates["mnist.augment.shifts"] = shifts
    edit_params(project / "params.yaml", updates)
    return project


def dvc(project: Path, mirror: Path, *args: str) -> Measured:
    env = stage_env(mirror, project)
    if mirror != SHARED_DATA:  # a --sample mirror's cut files are listed in its own SHA256SUMS
        env["DATA_MIRROR_TRUST_SUMS"] = "1"
    return measure([sys.executable, "-m", "dvc", *args], project, env)


def run_pipeline(mirror: Path, n_train: int, scratch: Path, shifts: list[list[int]] | None = None) -> dict[str, Any]:
    """(b): every stage on its own, then the whole DAG and the cached reruns in a second copy."""
    per_stage = new_project(scratch, "stages", mirror, n_train, shifts)
    stages = {stage: dvc(per_stage, mirror, "repro", "-s", stage) for stage in STAGE_ORDER}
    metrics = {
        name: json.loads((per_stage / "metrics" / f"{name}.json").read_text())
        for name in ("mnist", "mnist_operating_point", "mnist_models", "titanic")
    }
    details = [
        json.loads((per_stage / "reports" / f"{name}.json").read_text())
        for name in ("mnist_details", "mnist_operating_point")
    ]
    metrics["mnist_details"] = {**details[0], "binary": {**details[0]["binary"], **details[1]["binary"]}}

    whole = new_project(scratch, "whole", mirror, n_train, shifts)
    seed_part = dvc(whole, mirror, "repro", *SEED_TARGETS)
    sweep = dvc(whole, mirror, "repro", "sweep")
    report = dvc(whole, mirror, "repro")  # only the report is left once the sweep's metrics exist
    clean = Measured(seed_part.seconds + report.seconds, max(seed_part.peak_mb, report.peak_mb), seed_part.output)
    noop = dvc(whole, mirror, "repro")
    changes = {}
    for label, key, value in (
        ("threshold change", "mnist.evaluate.threshold", 1.0),
        ("target-precision change", "mnist.evaluate.target_precision", 0.95),
        ("softmax C change", "mnist.models.softmax.params.C", 5.0),
    ):
        edit_params(whole / "params.yaml", {key: value})
        changes[label] = dvc(whole, mirror, "repro")
    runs = {"stages": stages, "clean": clean, "sweep": sweep, "noop": noop, "changes": changes}
    return runs | {"metrics": metrics, "project": per_stage}


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
    sweep = median([run["sweep"].seconds for run in pipelines])
    print(f"\nsweep stage (apart from the comparison): {sweep:.1f} s from its inputs")
    last = pipelines[-1]["metrics"]
    print_metrics(notebooks[-1][1]["metrics"], last, last["mnist_details"])
    return {
        "rows": rows,
        "whole": {"notebook": notebook_total, "pipeline": clean, "notebook_peak_mb": notebook_peak},
        "pipeline_peak_mb": clean_peak,
    }


def folds(section: dict[str, Any]) -> list[float]:
    """Per-fold accuracies of a details section, in fold order."""
    return [section["cv_fold_accuracy"][key] for key in sorted(section["cv_fold_accuracy"])]


def print_metrics(notebook: dict[str, Any], pipeline: dict[str, Any], details: dict[str, Any]) -> None:
    """The notebook's numbers beside the pipeline's: headline metrics and, from the details file, folds and counts."""
    binary, counts = pipeline["mnist_operating_point"]["binary"], details["binary"]["cv_confusion"]
    rows = [
        ("CV accuracy per fold", notebook["binary_cv_accuracy"], list(details["binary"]["cv_fold_accuracy"].values())),
        (
            "baseline CV accuracy",
            notebook["never5_cv_accuracy"],
            list(details["baseline"]["cv_fold_accuracy"].values()),
        ),
        (
            "confusion tn fp fn tp",
            [count for row in notebook["confusion"] for count in row],
            [counts[k] for k in ("tn", "fp", "fn", "tp")],
        ),
        ("precision", notebook["precision"], binary["cv_precision"]),
        ("recall", notebook["recall"], binary["cv_recall"]),
        (
            "softmax test accuracy",
            notebook["softmax_test_accuracy"],
            pipeline["mnist_models"]["softmax"]["test_accuracy"],
        ),
        (
            "softmax augmented test accuracy",
            notebook["softmax_augmented_test_accuracy"],
            pipeline["mnist_models"]["softmax_augmented"]["test_accuracy"],
        ),
        (
            "Titanic training accuracy",
            notebook["titanic_train_accuracy"],
            pipeline["titanic"]["logistic"]["train_accuracy"],
        ),
    ]
    print("\n| metric | notebook | pipeline |\n| --- | --- | --- |")
    for label, left, right in rows:
        print(f"| {label} | {_fmt(left)} | {_fmt(right)} |")


def _fmt(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_fmt(item) for item in value)
    return f"{value:.5g}" if isinstance(value, float) else str(value)


def run_fit_workers(project: Path, mirror: Path, repeats: int) -> dict[str, float]:
    """One- against two-worker fits on a pipeline project's data: print medians and speed-ups."""
    env = stage_env(mirror, project) | {"PYTHONPATH": str(project)}
    command = [sys.executable, str(REPO_ROOT / "benchmarks" / "fit_workers.py"), "--repeats", str(repeats)]
    result = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"fit_workers.py exited {result.returncode}:\n{result.stderr[-3000:]}")
    times = {label: median(values) for label, values in json.loads(result.stdout).items()}
    print(f"\nfits alternated in one process, median of {repeats}\n")
    print("| fit | 1 worker s | 2 workers s | speed-up |\n| --- | ---: | ---: | ---: |")
    for name in ("softmax_augmented fit", "binary 4 fits"):
        one, two = times[f"{name}, 1 worker(s)"], times[f"{name}, 2 worker(s)"]
        print(f"| {name} | {one:.1f} | {two:.1f} | {one / two:.2f}x |")
    return times


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
    metrics = json.loads((project / "metrics" / "mnist_models.json").read_text())
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
    parser.add_argument(
        "--startup-before", default="655d794", help="git revision whose stage start-up to compare (before issue 12)"
    )
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
        summary["fits"] = run_fit_workers(pipelines[-1]["project"], mirror, args.repeats)
        summary["startup"] = startup_table(max(args.repeats, 3), args.startup_before)
        if args.json is not None:
            args.json.write_text(json.dumps(summary, indent=2, default=str) + "\n")


if __name__ == "__main__":
    main()
