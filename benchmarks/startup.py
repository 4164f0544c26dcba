"""Start-up cost of each stage script: a fresh interpreter importing ``stages.<name>``.

Measures the wall time of ``python -c "import stages.X"`` (interpreter start-up plus every
module the stage imports before it starts work) in a source tree, for every stage module and
``pipelib.predict`` (the prediction command), beside a bare interpreter. One more run with
``python -X importtime`` names the three packages that cost the most: each package's
cumulative import time, counted where the stage (or another package) first enters it, so a
package's figure includes whatever it imports in turn (scikit-learn's includes scipy and
pandas). ``--before REF`` also measures the tree of git revision REF, side by side, the two
trees alternating in each repeat.

    python benchmarks/startup.py [--repeats 3] [--before REF]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))  # run as a script: the benchmarks package
from benchmarks.project import PROJECT_FILES, SHARED_DATA, copy_project, stage_env  # noqa: E402

OWN_PACKAGES = ("stages", "pipelib")
PREDICT = "pipelib.predict.__main__"  # what `python -m pipelib.predict` runs


def stage_modules(root: Path) -> list[str]:
    stages = sorted(f"stages.{path.stem}" for path in (root / "stages").glob("*.py") if path.stem != "__init__")
    return [*stages, PREDICT]


def label(module: str) -> str:
    return "pipelib.predict" if module == PREDICT else module.removeprefix("stages.")


def probe(module: str | None, params: bool) -> str:
    """The ``-c`` program: import ``module`` (None: nothing), then read params.yaml as the stages do first."""
    lines = [f"import {module}" if module else "pass"]
    if params:
        lines.append("from pipelib.params import load_params; load_params()")
    return "; ".join(lines)


def run_seconds(root: Path, program: str) -> float:
    """Wall seconds of one fresh interpreter running ``program`` in ``root``."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", program], cwd=root, check=True)
    return time.perf_counter() - started


def import_tree(root: Path, module: str | None) -> list[tuple[int, int, str]]:
    """``-X importtime``'s lines, in its (post-)order: (indent, cumulative microseconds, module name)."""
    stderr = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", probe(module, params=False)],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    lines = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.removeprefix("import time:").split("|")
        lines.append((len(name) - len(name.lstrip()), int(cumulative), name.strip()))
    return lines


def heaviest(lines: list[tuple[int, int, str]], interpreter: set[str], top: int = 3) -> list[tuple[str, float]]:
    """The ``top`` packages by cumulative seconds of their entry points.

    A module is an entry point of its top-level package when the module that imported it (the
    next line with a smaller indent: the output lists children before their parent) belongs to
    another package. The project's own packages and what a bare interpreter loads are left out.
    """
    seconds: dict[str, float] = defaultdict(float)
    for index, (indent, cumulative, name) in enumerate(lines):
        package = name.split(".")[0]
        if package in OWN_PACKAGES or name in interpreter:
            continue
        parent = next((other for depth, _, other in lines[index + 1 :] if depth < indent), None)
        if parent is None or parent.split(".")[0] != package:
            seconds[package] += cumulative / 1e6
    return sorted(seconds.items(), key=lambda item: -item[1])[:top]


def export_tree(ref: str, dest: Path) -> Path:
    """The pipeline files of git revision ``ref`` (packages, dvc.yaml, params, DVC config), written under ``dest``."""
    paths = ["pipelib", "stages", *PROJECT_FILES, ".dvc/config", ".dvc/plots"]
    archive = subprocess.run(["git", "archive", ref, *paths], cwd=REPO_ROOT, capture_output=True, check=True).stdout
    dest.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


@dataclass(frozen=True)
class Startup:
    seconds: float  # median wall time of the import
    with_params: float | None  # median wall time of the import and load_params() (stages only)
    heaviest: list[tuple[str, float]]  # (package, cumulative import seconds)

    def cells(self) -> list[str]:
        heavy = ", ".join(f"{package} {seconds:.2f}" for package, seconds in self.heaviest)
        return [f"{self.seconds:.2f}", "" if self.with_params is None else f"{self.with_params:.2f}", heavy]


def measure(roots: dict[str, Path], module: str | None, repeats: int) -> dict[str, Startup]:
    """Per tree: median wall seconds of ``repeats`` runs (trees alternating) and the heaviest packages."""
    params = module is not None and "load_params(" in module_source(roots, module)
    seconds: dict[str, list[float]] = {name: [] for name in roots}
    with_params: dict[str, list[float]] = {name: [] for name in roots}
    for _ in range(repeats):
        for name, root in roots.items():
            seconds[name].append(run_seconds(root, probe(module, params=False)))
            if params:
                with_params[name].append(run_seconds(root, probe(module, params=True)))
    interpreter = {name for _, _, name in import_tree(REPO_ROOT, None)}
    return {
        name: Startup(
            statistics.median(seconds[name]),
            statistics.median(with_params[name]) if params else None,
            heaviest(import_tree(root, module), interpreter) if module else [],
        )
        for name, root in roots.items()
    }


def startup_table(repeats: int = 3, before: str | None = None) -> dict[str, dict[str, dict[str, object]]]:
    """Print the start-up table; return it as {module: {"now": {...}, "before": {...}}}."""
    with tempfile.TemporaryDirectory(prefix="startup-") as tmp:
        roots = {"now": REPO_ROOT}
        if before:
            roots = {"before": export_tree(before, Path(tmp) / "before"), "now": REPO_ROOT}
        print(f"\nstage start-up: a fresh interpreter importing the stage, median of {repeats}")
        print("(+ params: then load_params(), as a stage that reads params.yaml does first;")
        print("heaviest: the three packages with the largest cumulative -X importtime, in s)\n")
        columns = [f"before ({before})", "now"] if before else ["now"]
        print("| stage | " + " | ".join(f"{column} s | + params s | heaviest" for column in columns) + " |")
        print("| --- |" + " ---: | ---: | --- |" * len(columns))
        rows: dict[str, dict[str, dict[str, object]]] = {}
        for module in [None, *stage_modules(REPO_ROOT)]:
            present = {name: root for name, root in roots.items() if module is None or module_exists(root, module)}
            row = measure(present, module, repeats)
            line = [cell for name in roots for cell in (row[name].cells() if name in row else ["", "", ""])]
            print(f"| {label(module) if module else '(bare interpreter)'} | " + " | ".join(line) + " |", flush=True)
            rows[module or "python"] = {name: asdict(startup) for name, startup in row.items()}
    return rows


TITANIC_TARGET = "evaluate_titanic"
MIRROR = Path(os.environ.get("DATA_MIRROR", SHARED_DATA))


def stage_commands(output: str) -> list[str]:
    """The commands a ``dvc repro`` output says it ran (its ``> cmd`` lines)."""
    return [line.removeprefix("> ") for line in output.splitlines() if line.startswith("> ")]


def titanic_repro(repeats: int, before: str | None) -> dict[str, dict[str, float]]:
    """Print and return the medians of ``dvc repro -f evaluate_titanic`` on the real data, per tree.

    Each tree gets a scratch project (``benchmarks.project.copy_project``), run once to fill
    it, then forced ``repeats`` times, the trees alternating; then each stage command it ran
    is timed on its own (a fresh interpreter, no DVC), so that the rest is DVC's own work.
    """
    if not (MIRROR / "titanic").is_dir():
        raise SystemExit(f"{MIRROR / 'titanic'}: the real data is required (DATA_MIRROR)")
    with tempfile.TemporaryDirectory(prefix="startup-repro-") as tmp:
        sources = {"now": REPO_ROOT}
        if before:
            sources = {"before": export_tree(before, Path(tmp) / "before-tree"), "now": REPO_ROOT}
        projects = {name: copy_project(Path(tmp) / name, source) for name, source in sources.items()}
        commands: dict[str, list[str]] = {}
        for name, project in projects.items():
            commands[name] = stage_commands(dvc(project, "repro", TITANIC_TARGET))
        forced: dict[str, list[float]] = {name: [] for name in projects}
        bare: dict[str, list[float]] = {name: [] for name in projects}
        for _ in range(repeats):
            for name, project in projects.items():
                started = time.perf_counter()
                dvc(project, "repro", "-f", TITANIC_TARGET)
                forced[name].append(time.perf_counter() - started)
                started = time.perf_counter()
                for command in commands[name]:
                    subprocess.run(command, shell=True, cwd=project, env=stage_env(MIRROR, project), check=True)
                bare[name].append(time.perf_counter() - started)
        print(f"\n`dvc repro -f {TITANIC_TARGET}` on the real data, median of {repeats} (s)\n")
        print("| tree | stages | dvc repro -f | the stage commands alone | DVC's own |")
        print("| --- | ---: | ---: | ---: | ---: |")
        result = {}
        for name in projects:
            label = f"before ({before})" if name == "before" else "now"
            total, alone = statistics.median(forced[name]), statistics.median(bare[name])
            print(f"| {label} | {len(commands[name])} | {total:.2f} | {alone:.2f} | {total - alone:.2f} |", flush=True)
            result[name] = {"dvc_repro": total, "commands": alone}
    return result


def dvc(project: Path, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "dvc", *args],
        cwd=project,
        env=stage_env(MIRROR, project),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"dvc {' '.join(args)} exited {result.returncode}:\n{result.stdout}{result.stderr}")
    return result.stdout


def module_path(root: Path, module: str) -> Path:
    return (root / Path(*module.split("."))).with_suffix(".py")


def module_exists(root: Path, module: str) -> bool:
    return module_path(root, module).exists()


def module_source(roots: dict[str, Path], module: str) -> str:
    """The module's source in every tree: whether a stage reads params.yaml is read off its code."""
    return "".join(module_path(root, module).read_text(encoding="utf-8") for root in roots.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--before", default=None, help="git revision to compare with")
    parser.add_argument("--titanic", action="store_true", help=f"also time `dvc repro -f {TITANIC_TARGET}`")
    args = parser.parse_args()
    startup_table(args.repeats, args.before)
    if args.titanic:
        titanic_repro(args.repeats, args.before)


if __name__ == "__main__":
    main()
