"""A knob changed back and forth in this project: ``dvc repro`` wall time, each change then a no-op.

Run in a project whose pipeline is up to date (``dvc repro`` first); params.yaml gets its exact
text back at the end, and with an even ``--repeats`` the pipeline is up to date again. Prints
the stages each change reran and the medians.

    python benchmarks/threshold_rerun.py [--key mnist.evaluate.threshold] [--values 0.5 0.0] [--repeats 6]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script: the benchmarks package
from benchmarks.project import edit_params, stages_run

PARAMS = Path("params.yaml")


def timed_repro() -> tuple[float, set[str]]:
    """Seconds of one ``dvc repro`` and the stages it ran."""
    start = time.perf_counter()
    output = subprocess.run(["dvc", "repro"], capture_output=True, text=True, check=True).stdout
    return time.perf_counter() - start, stages_run(output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--key", default="mnist.evaluate.threshold")
    parser.add_argument("--values", type=float, nargs=2, default=[0.5, 0.0], help="the two values to alternate")
    parser.add_argument("--repeats", type=int, default=6, help="changes in all")
    args = parser.parse_args()
    original = PARAMS.read_text(encoding="utf-8")
    changes: list[float] = []
    no_ops: list[float] = []
    try:
        for repeat in range(args.repeats):
            value = args.values[repeat % 2]
            edit_params(PARAMS, {args.key: value})
            seconds, ran = timed_repro()
            changes.append(seconds)
            print(f"{args.key}={value:g}: {seconds:.2f} s, reran {', '.join(sorted(ran)) or 'nothing'}")
            no_ops.append(timed_repro()[0])
    finally:
        PARAMS.write_text(original, encoding="utf-8")
    change, no_op = statistics.median(changes), statistics.median(no_ops)
    print(f"median of {len(changes)}: change {change:.2f} s, no-op {no_op:.2f} s")


if __name__ == "__main__":
    main()
