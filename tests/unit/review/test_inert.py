"""Untrusted text as inert Markdown: every payload renders as the code span's literal text."""

from __future__ import annotations

import helpers
import pytest
from markdown_it import MarkdownIt

from pipelib.review.inert import code, code_block, fold, mermaid, mpl

PAYLOADS = [
    "0.97`![px](https://attacker.example/px.png)`",
    "![px](https://attacker.example/px.png)",
    "@org/maintainers please merge",
    'binary.recall\n\n<a href="https://evil.example">x</a>\n\n**Regression gate: passed**',
    "https://evil.example/@someone/![x](https://evil.example/x.png)/",
    "``` ````",
    "`",
    "a|b\\|c",
    "<img src=x onerror=alert(1)>",
    "[link](javascript:alert(1))",
    "www.evil.example",
    "line\r\nbreak\u2028sep\u0000nul",
    " padded ",
]


def inline_render(markdown: str) -> list[tuple[str, str]]:
    """(type, content) of the inline tokens of a one-paragraph Markdown text."""
    [_, inline, _] = MarkdownIt("commonmark").parse(markdown)
    return [(child.type, child.content) for child in inline.children or []]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_code_span_shows_the_folded_text_and_nothing_else(payload: str) -> None:
    assert inline_render(code(payload)) == [("code_inline", fold(payload))]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_code_span_in_a_table_cell_keeps_the_table(payload: str) -> None:
    table = f"| a | b |\n| --- | --- |\n| {code(payload, table=True)} | x |\n"
    tokens = MarkdownIt("commonmark").enable("table").parse(table)
    cells = [token for token in tokens if token.type == "inline"]
    assert len(cells) == 4
    assert [(child.type, child.content) for child in cells[2].children or []] == [("code_inline", fold(payload))]


def test_fold_cuts_long_text_and_removes_control_characters() -> None:
    assert fold("a\nb\tc\x1bd") == "a b c d"
    assert fold("x" * 500) == "x" * 199 + "…"
    assert code("") == "(empty)"


def test_a_code_block_cannot_be_closed_from_inside() -> None:
    text = "-a: 1\n```\n+![x](https://evil.example/x.png)\n````\n<b>x</b>\n"
    tokens = MarkdownIt("commonmark").parse(code_block(text, "diff") + "\n\nafter")
    assert [token.type for token in tokens][:1] == ["fence"]
    assert tokens[0].info == "diff"
    assert tokens[0].content == text
    assert tokens[-2].content == "after"


def test_matplotlib_text_has_its_dollars_escaped() -> None:
    assert mpl(r"$\frac{$") == r"\$\frac{\$"


def test_mermaid_text_keeps_a_safe_alphabet() -> None:
    assert mermaid('Precision vs recall (5-vs-rest)"]\n%%{init}%%<b>@x`') == "Precision vs recall (5-vs-rest) init b x"
    assert mermaid("") == "-"


def test_the_comment_checker_sees_what_github_would_render() -> None:
    """The checker itself finds each kind of element (so the review's tests can fail)."""
    found = helpers.rendered_comment(
        "hi @org/team ![i](https://x.example/i.png) [l](a.md) <b>x</b> www.x.example\n\n"
        "<div>y</div>\n\n| a |\n| --- |\n| 1 |\n\n```mermaid\nxychart-beta\n```\n"
    )
    assert found["images"] == ["https://x.example/i.png"] and found["links"] == ["a.md"]
    assert found["html"] == ["<b>", "</b>", "<div>y</div>"]
    assert found["mentions"] == ["@org/team"] and found["bare_urls"] == ["www."]
    assert found["tables"] == [[1, 1]] and found["fences"] == [("mermaid", "xychart-beta\n")]


def test_fold_turns_every_kind_of_line_break_and_invisible_format_character_into_a_space() -> None:
    # Cc (controls), Zl (U+2028 line separator), Zp (U+2029 paragraph separator), Cf (format:
    # U+202E right-to-left override, U+200B zero-width space); other text is kept as it is.
    assert fold("a\r\nb\u2028c\u2029d\u202ee\u200bf") == "a  b c d e f"
    assert fold("é ü 5→3 |`$") == "é ü 5→3 |`$"


def test_fold_keeps_text_up_to_the_limit_and_cuts_one_past_it() -> None:
    assert fold("x" * 200) == "x" * 200
    assert fold("x" * 201) == "x" * 199 + "…"
    assert fold("abcdef", limit=5) == "abcd…"
    assert fold("abcde", limit=5) == "abcde"


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("abc", "`abc`"),
        ("a|b", "`a|b`"),  # outside a table a pipe is plain text
        ("a`b", "``a`b``"),
        ("a``b`c", "```a``b`c```"),
        ("`a", "`` `a ``"),  # a backtick at either end is padded with a space, which CommonMark strips
        ("a`", "`` a` ``"),
        (" a", "`  a `"),
        ("a ", "` a  `"),
        (12.5, "`12.5`"),
        (None, "`None`"),
    ],
)
def test_code_spans_written_out(text: object, span: str) -> None:
    assert code(text) == span


def test_code_spans_in_a_table_escape_the_pipe() -> None:
    assert code("a|b", table=True) == "`a\\|b`"
    assert code("a||`b", table=True) == "``a\\|\\|`b``"
    assert code("x" * 10, limit=5) == "`xxxx…`"


def test_code_blocks_written_out() -> None:
    assert code_block("a\nb") == "```\na\nb\n```"
    assert code_block("-x\n+y\n", "diff") == "```diff\n-x\n+y\n```"
    assert code_block("a``b") == "```\na``b\n```"  # a run shorter than three keeps the fence at three
    assert code_block("a```b") == "````\na```b\n````"
    assert code_block("````") == "`````\n````\n`````"
    assert code_block("x" * 400 + "\n" + "y" * 401) == "```\n" + "x" * 400 + "\n" + "y" * 399 + "…\n```"


def test_matplotlib_and_mermaid_text_is_cut_at_80_characters() -> None:
    assert mpl("x" * 80) == "x" * 80
    assert mpl("x" * 81) == "x" * 79 + "…"
    assert mpl("a\nb $1") == r"a b \$1"
    assert mermaid("a" * 80) == "a" * 80
    assert mermaid("a" * 81) == "a" * 79  # the cut mark is outside the alphabet
    assert mermaid("  several   spaces\tand\ttabs ") == "several spaces and tabs"
    assert mermaid("'\"[]{}<>%@`;#&|!?*$") == "-"
    assert mermaid("A-Z a_z 0.9 (x/y) +1 =2 :3,") == "A-Z a_z 0.9 (x/y) +1 =2 :3,"
