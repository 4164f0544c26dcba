"""Markdown tables, compared with tables written out by hand."""

from __future__ import annotations

from pipelib.markdown import markdown_rows


def test_table_by_hand() -> None:
    text = markdown_rows(["model", "accuracy"], [["softmax", "0.92"], ["binary", "0.97"]])
    assert text == "| model | accuracy |\n| --- | --- |\n| softmax | 0.92 |\n| binary | 0.97 |"


def test_header_only_and_one_column() -> None:
    assert markdown_rows(["a"], []) == "| a |\n| --- |"
