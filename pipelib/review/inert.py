"""Untrusted text made inert: what a pull request wrote can be read in the review, never acted on.

The review's Markdown is posted by the CI bot, so a metric key, a value, a parameter, a file
name or a line of DVC output must not become an image, a link, a mention or HTML there, and
must not break the table it sits in. Every such string goes into a code span (GitHub renders
nothing inside one) whose backtick fence is longer than any backtick run in the text, with
newlines and other control characters folded to spaces and, in tables, ``|`` escaped. Longer
blocks (a diff) go into a fenced code block the same way. Text for matplotlib has its ``$``
escaped so a label cannot start mathtext (which raises on a malformed formula).
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
    """``text`` as one inline code span: shown verbatim, never parsed as Markdown or HTML.

    The fence is one backtick longer than the longest run inside; text that starts or ends
    with a backtick (or a space) is padded with a space, which CommonMark strips again.
    ``table=True`` also escapes ``|``, which GFM splits cells on even inside a code span.
    """
    body = fold(str(text), limit)
    if not body:
        return "(empty)"
    fence = "`" * (_longest_backtick_run(body) + 1)
    if body.startswith(("`", " ")) or body.endswith(("`", " ")):
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
