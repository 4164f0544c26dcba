"""Mutation testing of the library on the fast unit tests: ``make mutation`` (not run in CI: minutes).

Each library module is parsed with ``ast``; every mutation site gives one mutant, a copy of
the module with one small change:

* operators: ``+``/``-``, ``*``/``/``, ``//``, ``%``, ``**``, shifts, ``&``/``|``/``^``;
  ``and``/``or``; a unary ``not``, ``-`` or ``~`` dropped;
* comparisons: ``<``/``<=``, ``>``/``>=``, ``==``/``!=``, ``in``/``not in``, ``is``/``is not``;
* constants, module-level ones included: an integer or float plus one, ``True``/``False``
  swapped, a string or bytes literal wrapped in ``XX``;
* removed statements: an expression statement (a call) or a ``raise`` replaced by ``pass``,
  an ``if`` whose test is replaced by ``False`` (the check removed).

Docstrings, annotations and f-strings (message wording) are not mutated.
Each mutant is run against the module's own unit tests, the files under ``tests/unit`` that
import it, with ``-m "not integration" -x`` and a timeout (three times the clean run plus
ten seconds): a failing test kills it, a pass lets it survive. The mutant is served by an
import hook (``tools.mutant_loader``), so the work tree is never modified.

mutmut is not used: mutmut 3 mutates only code inside functions (its docs send you to mutmut 2
for anything else), so the IDX magic numbers, the item cap, the schemas and the row-group size,
the constants the published formats rest on, would never be mutated.

    python -m tools.mutation                          # every library module
    python -m tools.mutation pipelib/mnist/idx.py     # some modules
    python -m tools.mutation --jobs 2 --out reports/mutation.md
"""

from __future__ import annotations

import argparse
import ast
import copy
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "pipelib"
UNIT_TESTS = ROOT / "tests" / "unit"

BINARY_SWAPS: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Div,
    ast.Mod: ast.Div,
    ast.Pow: ast.Mult,
    ast.LShift: ast.RShift,
    ast.RShift: ast.LShift,
    ast.BitAnd: ast.BitOr,
    ast.BitOr: ast.BitAnd,
    ast.BitXor: ast.BitAnd,
}
COMPARE_SWAPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}


@dataclass(frozen=True)
class Mutant:
    """One change to a module: replace the source between two (line, column) positions with ``text``."""

    line: int
    original: str  # the line as it was, for the report
    start: tuple[int, int]
    end: tuple[int, int]
    text: str
    what: str


@dataclass(frozen=True)
class Outcome:
    """A mutant and how its test run ended: killed (a test failed), timeout, error (no import) or survived."""

    mutant: Mutant
    status: str


def _segment(node: ast.AST) -> tuple[tuple[int, int], tuple[int, int]]:
    return (node.lineno, node.col_offset), (node.end_lineno or node.lineno, node.end_col_offset or 0)  # type: ignore[attr-defined]


def _unparsed(node: ast.expr, **changes: object) -> str:
    changed = copy.deepcopy(node)
    for name, value in changes.items():
        setattr(changed, name, value)
    return f"({ast.unparse(changed)})"


def _is_ellipsis(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is Ellipsis


def _skipped_nodes(tree: ast.Module) -> set[int]:
    """ids of nodes never mutated: docstrings, annotations, f-string parts, ``__future__`` imports."""
    skipped: set[int] = set()

    def skip(node: ast.AST | None) -> None:
        if node is not None:
            skipped.update(id(child) for child in ast.walk(node))

    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                skip(body[0])
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            skip(node.returns)
            for arg in [
                *node.args.posonlyargs,
                *node.args.args,
                *node.args.kwonlyargs,
                node.args.vararg,
                node.args.kwarg,
            ]:
                if arg is not None:
                    skip(arg.annotation)
        elif isinstance(node, ast.AnnAssign):
            skip(node.annotation)
        elif isinstance(node, ast.JoinedStr):
            skip(node)  # messages; and a literal put back inside an f-string could clash with its quotes
        elif isinstance(node, ast.ImportFrom) or (isinstance(node, ast.Expr) and _is_ellipsis(node.value)):
            skip(node)
    return skipped


def mutants(source: str) -> list[Mutant]:
    """Every mutant of a module's source, in source order."""
    tree = ast.parse(source)
    lines = source.splitlines()
    skipped = _skipped_nodes(tree)
    found: list[Mutant] = []

    def add(node: ast.AST, text: str, what: str) -> None:
        start, end = _segment(node)
        found.append(Mutant(start[0], lines[start[0] - 1].strip(), start, end, text, what))

    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.BinOp) and type(node.op) in BINARY_SWAPS:
            new = BINARY_SWAPS[type(node.op)]
            add(node, _unparsed(node, op=new()), f"{type(node.op).__name__} -> {new.__name__}")
        elif isinstance(node, ast.BoolOp):
            new_bool = ast.Or if isinstance(node.op, ast.And) else ast.And
            add(node, _unparsed(node, op=new_bool()), f"{type(node.op).__name__} -> {new_bool.__name__}")
        elif isinstance(node, ast.UnaryOp) and not isinstance(node.op, ast.UAdd):
            add(node, f"({ast.unparse(node.operand)})", f"{type(node.op).__name__} removed")
        elif isinstance(node, ast.Compare):
            for index, op in enumerate(node.ops):
                if type(op) in COMPARE_SWAPS:
                    ops = list(node.ops)
                    ops[index] = COMPARE_SWAPS[type(op)]()
                    add(node, _unparsed(node, ops=ops), f"{type(op).__name__} -> {type(ops[index]).__name__}")
        elif isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool):
                add(node, repr(not value), f"{value} -> {not value}")
            elif isinstance(value, int | float):
                add(node, repr(value + 1), f"{value!r} -> {value + 1!r}")
            elif isinstance(value, str | bytes):
                wrapped = "XX" + value + "XX" if isinstance(value, str) else b"XX" + value + b"XX"
                add(node, repr(wrapped), "string wrapped in XX")
        elif isinstance(node, ast.Expr | ast.AugAssign | ast.Raise):
            add(node, "pass", f"{type(node).__name__} statement removed")
        elif isinstance(node, ast.If):
            add(node.test, "False", "if-test replaced by False")
    return sorted(found, key=lambda mutant: (mutant.start, mutant.end, mutant.what))


def apply(source: str, mutant: Mutant) -> str:
    """The source with one mutant applied (positions are UTF-8 byte columns, as ``ast`` gives them)."""
    lines = source.encode("utf-8").splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    data = source.encode("utf-8")
    start = offsets[mutant.start[0] - 1] + mutant.start[1]
    end = offsets[mutant.end[0] - 1] + mutant.end[1]
    return (data[:start] + mutant.text.encode("utf-8") + data[end:]).decode("utf-8")


def module_name(path: Path) -> str:
    """``pipelib/mnist/idx.py`` -> ``pipelib.mnist.idx``."""
    return ".".join(path.resolve().relative_to(ROOT).with_suffix("").parts)


def imported_modules(test_file: Path) -> set[str]:
    """Dotted names a test file imports (``from a.b import c`` counts as ``a.b`` and ``a.b.c``)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(test_file.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def unit_tests_of(module: str) -> list[Path]:
    """The module's own unit tests: every ``tests/unit`` file that imports it.

    A module no test imports (a helper of other modules) is tested by the files that import
    a library module importing it, directly or through others.
    """
    tests = sorted(path for path in UNIT_TESTS.rglob("test_*.py") if module in imported_modules(path))
    if tests:
        return tests
    users = {module}
    for _ in range(5):
        users |= {module_name(path) for path in library_modules() if users & imported_modules(path)}
    return sorted(path for path in UNIT_TESTS.rglob("test_*.py") if users & imported_modules(path))


def third_party_imports() -> list[str]:
    """Modules of other packages that the library and its unit tests import (``scipy.stats``, ...)."""
    own = {"pipelib", "stages", "tools", "helpers", "workspaces", "conftest", "__future__"}
    tests = ROOT / "tests"
    files = [*library_modules(), *UNIT_TESTS.rglob("*.py"), tests / "helpers.py", tests / "conftest.py"]
    names = {name for path in files for name in imported_modules(path)}
    return sorted(name for name in names if name.split(".")[0] not in own | set(sys.stdlib_module_names))


def preload() -> None:
    """Import pytest and the third-party libraries once, before forking: each test run then starts in a second.

    Nothing of the project is imported here, so every forked run imports the library afresh
    (with its mutant) and collects its tests from scratch.
    """
    import importlib

    import pytest  # noqa: F401

    for name in third_party_imports():
        try:
            importlib.import_module(name)
        except ImportError:
            continue


def _child(module: str, tests: list[Path], source_file: str, workdir: str) -> None:
    """In a forked process: run the tests against the mutant in ``source_file`` (never returns)."""
    code = 3
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.chdir(workdir)  # whatever a mutant writes to its cwd lands there, and is removed
        sys.path.insert(0, str(ROOT))
        os.environ["MUTANT_MODULE"] = module
        os.environ["MUTANT_SOURCE"] = source_file
        import pytest

        arguments = ["-x", "-q", "--no-header", "-p", "no:cacheprovider", "-p", "tools.mutant_loader"]
        code = int(pytest.main([*arguments, "-m", "not integration", *map(str, tests)]))
    finally:
        os._exit(code)


def run_all(module: str, tests: list[Path], sources: list[str | None], timeout: float, jobs: int) -> list[str]:
    """'passed', 'failed', 'timeout' or 'error' for the tests run against each source (None: the real module).

    Up to ``jobs`` forked test runs at a time; one that outlives ``timeout`` seconds is killed.
    """
    results: list[str] = [""] * len(sources)
    running: dict[int, tuple[int, float, str, str]] = {}
    waiting = list(range(len(sources)))
    while waiting or running:
        while waiting and len(running) < jobs:
            index = waiting.pop(0)
            with tempfile.NamedTemporaryFile("w", suffix=".py", encoding="utf-8", delete=False) as handle:
                handle.write(sources[index] or "")
            workdir = tempfile.mkdtemp(prefix="mutant-")
            pid = os.fork()
            if pid == 0:
                _child(module if sources[index] is not None else "", tests, handle.name, workdir)
            running[pid] = (index, time.monotonic(), handle.name, workdir)
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            for child, (index, started, _, _) in running.items():
                if time.monotonic() - started > timeout:
                    os.kill(child, signal.SIGKILL)
                    results[index] = "timeout"
            time.sleep(0.02)
            continue
        index, _, name, workdir = running.pop(pid)
        os.unlink(name)
        shutil.rmtree(workdir, ignore_errors=True)
        if not results[index]:
            code = os.waitstatus_to_exitcode(status)
            results[index] = {0: "passed", 1: "failed"}.get(code, "error")
    return results


def survivors_in(report_file: Path) -> dict[str, set[tuple[int, str]]]:
    """(line, mutation) of each survivor a previous report lists, by module path relative to the root."""
    found: dict[str, set[tuple[int, str]]] = {}
    module = ""
    for line in report_file.read_text(encoding="utf-8").splitlines():
        heading = re.fullmatch(r"### `(.+)`", line)
        survivor = re.match(r"- line (\d+), (.+?): `", line)
        if heading:
            module = heading.group(1)
        elif survivor and module:
            found.setdefault(module, set()).add((int(survivor.group(1)), survivor.group(2)))
    return found


def test_module(
    path: Path, jobs: int, only: set[tuple[int, str]] | None = None
) -> tuple[list[Path], list[Outcome], float]:
    """The module's unit tests, every mutant's outcome (or those ``only`` names) and the clean run's seconds."""
    module = module_name(path)
    tests = unit_tests_of(module)
    source = path.read_text(encoding="utf-8")
    found = [mutant for mutant in mutants(source) if only is None or (mutant.line, mutant.what) in only]
    if not tests:
        return tests, [Outcome(mutant, "no tests") for mutant in found], 0.0
    started = time.monotonic()
    (clean,) = run_all(module, tests, [None], timeout=1800, jobs=1)
    seconds = time.monotonic() - started
    if clean != "passed":
        raise SystemExit(f"error: the unit tests of {module} do not pass unmutated ({clean})")
    statuses = run_all(module, tests, [apply(source, mutant) for mutant in found], 3 * seconds + 10, jobs)
    names = {"failed": "killed", "passed": "survived"}
    return (
        tests,
        [Outcome(mutant, names.get(status, status)) for mutant, status in zip(found, statuses, strict=True)],
        seconds,
    )


def report(results: dict[Path, tuple[list[Path], list[Outcome], float]]) -> str:
    """The Markdown report: one row per module, then each surviving mutant with its line before and after."""
    rows = [
        "| module | mutants | killed | timeout/error | survived | score | unit tests |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    details: list[str] = []
    total = killed_total = 0
    for path, (tests, outcomes, _) in results.items():
        relative = path.resolve().relative_to(ROOT).as_posix()
        killed = sum(outcome.status in {"killed", "timeout", "error"} for outcome in outcomes)
        other = sum(outcome.status in {"timeout", "error"} for outcome in outcomes)
        survivors = [outcome.mutant for outcome in outcomes if outcome.status in {"survived", "no tests"}]
        score = f"{100 * killed / len(outcomes):.0f} %" if outcomes else "-"
        names = ", ".join(test.relative_to(ROOT).as_posix() for test in tests) or "none"
        rows.append(f"| `{relative}` | {len(outcomes)} | {killed} | {other} | {len(survivors)} | {score} | {names} |")
        total += len(outcomes)
        killed_total += killed
        if survivors:
            details.append(f"\n### `{relative}`\n")
            for mutant in survivors:
                details.append(f"- line {mutant.line}, {mutant.what}: `{mutant.original}`")
    if total:
        rows.append(
            f"| all | {total} | {killed_total} | | {total - killed_total} | {100 * killed_total / total:.0f} % | |"
        )
    header = (
        "# Mutation testing (`make mutation`)\n\n"
        "Each mutant run against the module's own unit tests (`tests/unit`, not integration); docs/mutation.md.\n\n"
    )
    return header + "\n".join(rows) + "\n\n## Surviving mutants\n" + ("\n".join(details) or "\nnone") + "\n"


def library_modules() -> list[Path]:
    """Every library module with code (package ``__init__`` files are empty)."""
    return sorted(path for path in LIBRARY.rglob("*.py") if path.name != "__init__.py")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", type=Path, help="library files (default: every module of pipelib/)")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "mutation.md")
    parser.add_argument("--jobs", type=int, default=1, help="mutants tested at once")
    parser.add_argument("--list", action="store_true", help="print the mutants, run nothing")
    parser.add_argument(
        "--retry", type=Path, help="a previous report: run only the mutants it lists as survivors (a partial score)"
    )
    args = parser.parse_args(argv)
    paths = args.modules or library_modules()
    if args.list:
        for path in paths:
            for mutant in mutants(path.read_text(encoding="utf-8")):
                print(f"{path}:{mutant.line}: {mutant.what}: {mutant.text}")
        return 0
    retry = survivors_in(args.retry) if args.retry else None
    if retry is not None and not args.modules:
        paths = [ROOT / relative for relative in sorted(retry)]
    preload()
    results = {}
    for path in paths:
        only = None if retry is None else retry.get(path.resolve().relative_to(ROOT).as_posix(), set())
        tests, outcomes, seconds = test_module(path, args.jobs, only)
        survived = sum(outcome.status in {"survived", "no tests"} for outcome in outcomes)
        print(f"{path}: {len(outcomes)} mutants, {survived} survived (clean run {seconds:.1f} s)", flush=True)
        results[path] = (tests, outcomes, seconds)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report(results), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
