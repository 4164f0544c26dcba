"""Start-up cost of each stage script: a fresh interpreter importing ``stages.<name>``.

Measures the wall time of ``python -c "import stages.X"`` (interpreter start-up plus every
module the stage imports before it starts work) in a source tree, and which heavy libraries
that loads. ``--before REF`` also measures the tree of git revision REF, side by side.

    python benchmarks/startup.py [--repeats 5] [--before REF]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("sklearn", "matplotlib", "pandas", "scipy", "pyarrow")
PROBE = (
    "import importlib, json, sys; importlib.import_module(sys.argv[1]); "
    "print(json.dumps([m for m in {heavy} if m in sys.modules]))"
)


def stage_modules(root: Path) -> list[str]:
    return sorted(f"stages.{path.stem}" for path in (root / "stages").glob("*.py") if path.stem != "__init__")


def measure(root: Path, module: str, repeats: int) -> tuple[float, list[str]]:
    """Median wall seconds of a fresh interpreter importing ``module`` in ``root``, and the heavy libraries loaded."""
    seconds, loaded = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-c", PROBE.format(heavy=HEAVY), module],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        )
        seconds.append(time.perf_counter() - started)
        loaded = json.loads(result.stdout)
    return statistics.median(seconds), loaded


def export_tree(ref: str, dest: Path) -> Path:
    """The ``pipelib`` and ``stages`` packages of git revision ``ref``, written under ``dest``."""
    archive = subprocess.run(
        ["git", "archive", ref, "pipelib", "stages"], cwd=REPO_ROOT, capture_output=True, check=True
    ).stdout
    dest.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def startup_table(repeats: int, before: str | None) -> dict[str, dict[str, object]]:
    """Print the start-up table; return it as {module: {"after": s, "before": s, ...}}."""
    with tempfile.TemporaryDirectory(prefix="startup-") as tmp:
        old_root = export_tree(before, Path(tmp) / "before") if before else None
        baseline, _ = measure(REPO_ROOT, "sys", repeats)
        print(f"\nstage start-up (median of {repeats}; a bare interpreter takes {baseline:.2f} s)\n")
        head = f"| stage | before ({before}) s | loads | now s | loads |" if before else "| stage | now s | loads |"
        print(head)
        print("| --- |" + " ---: | --- |" * (2 if before else 1))
        rows: dict[str, dict[str, object]] = {}
        for module in stage_modules(REPO_ROOT):
            now, now_loaded = measure(REPO_ROOT, module, repeats)
            row: dict[str, object] = {"now": now, "now_loads": now_loaded}
            cells = f"{now:.2f} | {', '.join(now_loaded)} |"
            if old_root is not None and (old_root / "stages" / f"{module.split('.')[1]}.py").exists():
                old, old_loaded = measure(old_root, module, repeats)
                row |= {"before": old, "before_loads": old_loaded}
                cells = f"{old:.2f} | {', '.join(old_loaded)} | " + cells
            elif old_root is not None:
                cells = " | | " + cells
            print(f"| {module.split('.')[1]} | {cells}", flush=True)
            rows[module] = row
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--before", default=None, help="git revision to compare with")
    args = parser.parse_args()
    startup_table(args.repeats, args.before)


if __name__ == "__main__":
    main()
