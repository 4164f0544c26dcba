"""Markdown tables, shared by the report and the pull-request review."""

from __future__ import annotations


def markdown_rows(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table of cells already written as text."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)
