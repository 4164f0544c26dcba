"""Benchmark: a threshold-only change reproduced with a warm cache (pulled from a remote) and a cold one.

Project A runs the whole pipeline on a synthetic mirror, commits and pushes its outputs and
run-cache to a local-directory remote. Then, each in a fresh ``git clone`` of A, with
``mnist.evaluate.threshold`` changed:

* cold: no remote, empty cache, the data mirror: ``dvc repro`` runs the pipeline from the data;
* warm: ``dvc pull`` first (timed apart), then ``dvc repro`` (operating_point and report);
* on demand: ``dvc repro --pull --allow-missing`` from an empty cache, fetching only what the
  two stages read.

It prints the median wall time of each step over the repeats.

    python benchmarks/remote_cache.py [--repeats 3] [--mnist 200,50] [--titanic 40,10]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from tests import helpers  # noqa: E402

GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid", "-c", "commit.gpgsign=false"]
THRESHOLD = {"mnist.evaluate.threshold": -1.0}


def timed(project: Path, mirror: Path, *args: str) -> tuple[float, str]:
    """Wall time of ``dvc ARGS`` (which must succeed) and its output."""
    started = time.perf_counter()
    result = helpers.run_dvc(project, mirror, *args)
    return time.perf_counter() - started, result.stdout


def clone(source: Path, dest: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(source), str(dest)], check=True)
    helpers.edit_params(dest / "params.yaml", THRESHOLD)
    return dest


def one_repeat(root: Path, a: Path, mirror: Path, empty: Path) -> dict[str, float]:
    """The four timings of one repeat, each in its own fresh clone of A."""
    times: dict[str, float] = {}
    cold = clone(a, root / "cold")
    helpers.run_dvc(cold, mirror, "remote", "remove", "store")
    times["cold: dvc repro (from the data)"], output = timed(cold, mirror, "repro")
    # every stage but figures_mnist, whose inputs come out byte-identical and outputs are in git
    assert {"fetch_mnist", "train_binary", "operating_point", "report"} <= helpers.stages_run(output), output

    warm = clone(a, root / "warm")
    times["warm: dvc pull"], _ = timed(warm, empty, "pull")
    times["warm: dvc repro (after the pull)"], output = timed(warm, empty, "repro")
    assert helpers.stages_run(output) == {"operating_point", "report"}, output

    lazy = clone(a, root / "lazy")
    times["on demand: dvc repro --pull --allow-missing"], output = timed(
        lazy, empty, "repro", "--pull", "--allow-missing"
    )
    assert helpers.stages_run(output) == {"operating_point", "report"}, output
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--mnist", default="200,50", help="synthetic training,test digits")
    parser.add_argument("--titanic", default="40,10", help="synthetic training,test passengers")
    args = parser.parse_args()
    n_train, n_test = (int(part) for part in args.mnist.split(","))
    passengers, test_passengers = (int(part) for part in args.titanic.split(","))

    with tempfile.TemporaryDirectory(prefix="remote-bench-") as scratch:
        root = Path(scratch)
        mirror = root / "mirror"
        helpers.write_mnist_mirror(mirror, n_train, n_test, seed=0)
        helpers.write_titanic_mirror(mirror, passengers, test_passengers, seed=0)
        empty = root / "empty-mirror"
        empty.mkdir()
        a = helpers.copy_project(root / "a")
        helpers.edit_params(
            a / "params.yaml",
            {
                "mnist.n_train": n_train,
                "mnist.figures.shift_example": min(123, n_train - 1),
                "titanic.cv_folds": 3,
            },
        )
        helpers.run_dvc(a, mirror, "repro")
        (root / "store").mkdir()
        helpers.run_dvc(a, mirror, "remote", "add", "-d", "store", str(root / "store"))
        subprocess.run([*GIT, "add", "-A"], cwd=a, check=True)
        subprocess.run([*GIT, "commit", "-q", "-m", "A"], cwd=a, check=True)
        helpers.run_dvc(a, mirror, "push", "--run-cache")

        runs: list[dict[str, float]] = []
        for repeat in range(args.repeats):
            runs.append(one_repeat(root / f"repeat-{repeat}", a, mirror, empty))
    print(
        f"synthetic mirror: {n_train}+{n_test} digits, {passengers}+{test_passengers} passengers;",
        f"{args.repeats} repeats",
    )
    print("| step | median s | min s |")
    print("| --- | ---: | ---: |")
    for step in runs[0]:
        values = [run[step] for run in runs]
        print(f"| {step} | {statistics.median(values):.1f} | {min(values):.1f} |")


if __name__ == "__main__":
    main()
