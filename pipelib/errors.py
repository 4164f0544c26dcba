"""Expected failures (bad input, bad params): one line on stderr and exit status 2.

Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable


class PipelineError(Exception):
    """An expected failure: bad input data, a bad parameter, a missing source."""


def one_line(text: str) -> str:
    """``text`` with every unprintable character escaped (a newline or an undecodable byte in a file name)."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


def run_stage(main: Callable[[], None]) -> None:
    """Run a stage's ``main`` with logging set up; turn a PipelineError into one line and exit status 2."""
    from pipelib import log

    log.configure()
    try:
        main()
    except PipelineError as error:
        print(f"error: {one_line(str(error))}", file=sys.stderr)
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        raise SystemExit(130) from None
