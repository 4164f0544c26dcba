"""The hashed lock files: every package pinned and hashed, in step with requirements*.txt.

``make`` installs only from requirements-build-lock.txt and requirements-lock.txt with
``pip install --require-hashes``; those are written by ``make lock`` (uv pip compile
--generate-hashes). These tests fail when someone adds or bumps a requirement without
rerunning ``make lock``, or edits a lock by hand and leaves a package without its hash.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import helpers
import pytest
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

ROOT = helpers.REPO_ROOT
LOCKS = ("requirements-build-lock.txt", "requirements-lock.txt")
INPUTS = ("requirements.txt", "requirements-dev.txt", "requirements-build.txt")
SHA256 = re.compile(r"--hash=sha256:[0-9a-f]{64}")


@dataclass(frozen=True)
class Locked:
    """One requirement of a lock file: its line (continuations joined), name, version, hashes."""

    line: str
    name: str
    version: str | None
    hashes: tuple[str, ...]


def logical_lines(text: str) -> list[str]:
    """The requirement lines of a pip requirements file, comments dropped, ``\\`` continuations joined."""
    joined = re.sub(r"\\\n", " ", text)
    lines = (re.sub(r"(^|\s)#.*$", "", line).strip() for line in joined.splitlines())
    return [line for line in lines if line]


def parse_lock(text: str) -> list[Locked]:
    """Each line of a lock file; a line that is no exact ``name==version`` pin gets version None."""
    entries = []
    for line in logical_lines(text):
        hashes = tuple(re.findall(r"--hash=\S+", line))
        spec = re.sub(r"\s*--hash=\S+", "", line).strip()
        try:
            requirement = Requirement(spec)
        except InvalidRequirement:
            entries.append(Locked(line, spec, None, hashes))  # -e, -r, URLs, options: not a pin
            continue
        specifiers = list(requirement.specifier)
        exact = len(specifiers) == 1 and specifiers[0].operator == "==" and "*" not in specifiers[0].version
        version = specifiers[0].version if exact else None
        entries.append(Locked(line, canonicalize_name(requirement.name), version, hashes))
    return entries


def lock_problems(text: str) -> list[str]:
    """What keeps ``pip install --require-hashes`` from installing exactly these files."""
    problems = []
    for entry in parse_lock(text):
        if entry.version is None:
            problems.append(f"{entry.line}: not pinned with ==")
        if not entry.hashes or not all(SHA256.fullmatch(h) for h in entry.hashes):
            problems.append(f"{entry.line.split()[0]}: no sha256 hash")
    return problems


def pins(path: Path) -> dict[str, str]:
    """The ``name==version`` pins of a requirements file and those it includes with -r (not -c)."""
    found: dict[str, str] = {}
    for line in logical_lines(path.read_text(encoding="utf-8")):
        if line.startswith("-c "):
            continue  # constraints.txt: checked on its own, and may pin what nothing needs any more
        if line.startswith("-r "):
            found.update(pins(path.parent / line.split(maxsplit=1)[1]))
            continue
        requirement = Requirement(line)
        [specifier] = requirement.specifier
        assert specifier.operator == "==", f"{path.name}: {line} is not pinned with =="
        found[canonicalize_name(requirement.name)] = specifier.version
    return found


def locked_versions(name: str) -> dict[str, str]:
    return {e.name: e.version or "" for e in parse_lock((ROOT / name).read_text(encoding="utf-8"))}


# --- the checker itself, on hand-built lock texts ---

GOOD_HASH = "--hash=sha256:" + "ab" * 32


def test_checker_accepts_a_hashed_pin() -> None:
    text = f"numpy==2.4.6 \\\n    {GOOD_HASH} \\\n    {GOOD_HASH.replace('ab', 'cd')}\n    # via -r requirements.txt\n"
    assert lock_problems(text) == []
    [entry] = parse_lock(text)
    assert (entry.name, entry.version, len(entry.hashes)) == ("numpy", "2.4.6", 2)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("numpy==2.4.6\n", "numpy==2.4.6: no sha256 hash"),
        ("numpy==2.4.6 --hash=md5:0123\n", "numpy==2.4.6: no sha256 hash"),
        (f"numpy>=2 {GOOD_HASH}\n", "not pinned with =="),
        (f"numpy==2.* {GOOD_HASH}\n", "not pinned with =="),
        (f"numpy {GOOD_HASH}\n", "not pinned with =="),
        ("-e .\n", "not pinned with =="),
        (f"pip==26.3 {GOOD_HASH}\nsetuptools==84.2.1 \\\n  # via -r requirements-build.txt\n", "setuptools==84.2.1"),
    ],
)
def test_checker_refuses_a_requirement_without_pin_or_hash(text: str, problem: str) -> None:
    problems = lock_problems(text)
    assert problems and any(problem in p for p in problems), problems


# --- the committed files ---


@pytest.mark.parametrize("name", LOCKS)
def test_every_locked_requirement_is_pinned_and_hashed(name: str) -> None:
    text = (ROOT / name).read_text(encoding="utf-8")
    assert parse_lock(text), f"{name} lists no requirement"
    assert lock_problems(text) == []


@pytest.mark.parametrize("name", INPUTS)
def test_the_lock_has_every_requirement_at_its_pin(name: str) -> None:
    locked = locked_versions("requirements-lock.txt")
    stale = {n: v for n, v in pins(ROOT / name).items() if locked.get(n) != v}
    assert not stale, f"{name} pins {stale} but requirements-lock.txt has others or none: run `make lock`"


def test_the_lock_agrees_with_constraints() -> None:
    locked = locked_versions("requirements-lock.txt")
    constraints = pins(ROOT / "constraints.txt")
    differ = {n: (v, locked[n]) for n, v in constraints.items() if n in locked and locked[n] != v}
    assert not differ, f"(constraints.txt, lock) versions differ: {differ}: run `make lock`"
    named = {n for name in INPUTS for n in pins(ROOT / name)}
    unpinned = sorted(set(locked) - set(constraints) - named)
    assert not unpinned, f"locked but pinned in no requirements*.txt or constraints.txt: {unpinned}: pin them there"


def test_pip_and_setuptools_are_installed_first_from_their_own_lock() -> None:
    build = locked_versions("requirements-build-lock.txt")
    assert set(build) == {"pip", "setuptools"}
    assert build == {n: v for n, v in locked_versions("requirements-lock.txt").items() if n in build}


def test_make_installs_only_hashed_or_local_packages() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    installs = [line.strip() for line in makefile.splitlines() if re.search(r"\bpip install\b", line)]
    assert len(installs) == 3, installs
    for line in installs:
        hashed = "--require-hashes" in line and re.search(r"-r requirements(-build)?-lock\.txt\b", line)
        local = {"--no-index", "--no-deps", "--no-build-isolation"} <= set(line.split())
        assert hashed or local, f"Makefile: {line}"
    assert "--upgrade" not in makefile
    recipe = re.search(r"^\$\(VENV\)/\.installed:(.*)\n", makefile, re.M)
    assert recipe and set(LOCKS) <= set(recipe.group(1).split())  # a new lock reinstalls


def test_make_lock_writes_both_locks_with_hashes() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8").replace("\\\n", " ")
    command = re.search(r"^LOCK := (.*)$", makefile, re.M)
    assert command and "uv pip compile" in command.group(1) and "--generate-hashes" in command.group(1)
    recipe = re.search(r"^lock:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert recipe
    assert "$(LOCK) requirements-build.txt -o requirements-build-lock.txt" in recipe.group(1)
    assert "$(LOCK) requirements-dev.txt -o requirements-lock.txt" in recipe.group(1)
    for lock in LOCKS:
        assert (
            (ROOT / lock)
            .read_text(encoding="utf-8")
            .startswith("# This file was autogenerated by uv via the following command:\n#    make lock\n")
        )
