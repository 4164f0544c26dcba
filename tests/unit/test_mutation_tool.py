"""tools/mutation.py: which mutants a source gives, and reading a report's survivors back for --retry."""

from __future__ import annotations

from pathlib import Path

from tools.mutation import apply, mutants, survivors_in


def test_mutants_of_a_small_module() -> None:
    source = 'LIMIT = 3\n\n\ndef over(x):\n    """Docstrings are left alone."""\n    return x + 1 > LIMIT\n'
    found = {(mutant.line, mutant.what): apply(source, mutant) for mutant in mutants(source)}
    assert set(found) == {(1, "3 -> 4"), (6, "Add -> Sub"), (6, "1 -> 2"), (6, "Gt -> GtE")}
    assert "LIMIT = 4\n" in found[(1, "3 -> 4")]
    assert "return (x - 1) > LIMIT" in found[(6, "Add -> Sub")]
    assert "x + 1 >= LIMIT" in found[(6, "Gt -> GtE")]


def test_survivors_are_read_back_per_module(tmp_path: Path) -> None:
    report = tmp_path / "mutation.md"
    report.write_text(
        "# Mutation testing\n\n| module | mutants |\n| --- | ---: |\n| `pipelib/a.py` | 2 |\n\n"
        "## Surviving mutants\n\n### `pipelib/a.py`\n\n- line 12, Add -> Sub: `x = a + b`\n"
        "- line 30, string wrapped in XX: `name = 'a: b'`\n\n### `pipelib/mnist/b.py`\n\n"
        "- line 4, if-test replaced by False: `if not rows:`\n",
        encoding="utf-8",
    )
    assert survivors_in(report) == {
        "pipelib/a.py": {(12, "Add -> Sub"), (30, "string wrapped in XX")},
        "pipelib/mnist/b.py": {(4, "if-test replaced by False")},
    }
