"""Untrusted text made inert: what a pull request wrote is shown in the bot's comment, never acted on.

Such strings become code spans (a fence longer than any backtick run inside, control characters
folded, ``|`` escaped in tables), so they cannot become an image, link, mention or HTML, nor break
a table; matplotlib text has ``$`` escaped, so a label cannot start mathtext (docs/review.md).
"""

from __future__ import annotations

import re
import unicodedata

# A cell or line longer than this is cut: a comment has a size limit and a reader has patience.
MAX_CHARS = 200
_BACKTICKS = re.compile(r"`+")


def fold(text: str, limit: int = MAX_CHARS) -> str:
    """One line: control and line/paragraph separator characters become spaces; cut at ``limit``."""
    folded = "".join(" " if unicodedata.category(char) in ("Cc", "Zl", "Zp", "Cf") else char for char in str(text))
    return folded if len(folded) <= limit else folded[: limit - 1] + "…"


def _longest_backtick_run(text: str) -> int:
    return max((len(run) for run in _BACKTICKS.findall(text)), default=0)


def code(text: object, table: bool = False, limit: int = MAX_CHARS) -> str:
    """``text`` as one inline code span, never parsed as Markdown or HTML.

    ``table=True`` also escapes ``|``, which GFM splits cells on even inside a code span.
    """
    body = fold(str(text), limit)
    if not body:
        return "(empty)"
    fence = "`" * (_longest_backtick_run(body) + 1)
    if body.startswith(("`", " ")) or body.endswith(("`", " ")):  # a space CommonMark strips again
        body = f" {body} "
    if table:
        body = body.replace("|", "\\|")
    return f"{fence}{body}{fence}"


def code_block(text: str, info: str = "") -> str:
    """A fenced code block of ``text`` (kept multi-line): a fence longer than any backtick run inside."""
    lines = [fold(line, limit=MAX_CHARS * 2) for line in text.splitlines()]
    fence = "`" * max(3, _longest_backtick_run(text) + 1)
    return "\n".join([f"{fence}{info}", *lines, fence])


def mpl(text: object) -> str:
    """Text for a matplotlib label or title: one line, ``$`` escaped so mathtext never parses it."""
    return fold(str(text), limit=80).replace("$", r"\$")


# Mermaid strings: a small safe alphabet (no quotes, brackets, backticks, '%', '<', '>', '@').
_MERMAID_UNSAFE = re.compile(r"[^A-Za-z0-9 ,.()/+\-_=:]")


def mermaid(text: object) -> str:
    """Text for a Mermaid chart's title or axis label, reduced to characters Mermaid cannot misread."""
    return " ".join(_MERMAID_UNSAFE.sub(" ", fold(str(text), limit=80)).split()) or "-"
