"""Progress lines with elapsed time on stderr, only when stderr is a terminal.

DVC runs stages with the user's terminal attached, so a long fit shows what it is doing;
logs and CI stay quiet.
"""

from __future__ import annotations

import os
import sys
import time

_STARTED = time.perf_counter()


def report(message: str) -> None:
    """Print ``[elapsed] message`` to stderr when it is a terminal (or PROGRESS=1)."""
    if sys.stderr.isatty() or os.environ.get("PROGRESS") == "1":
        print(f"[{time.perf_counter() - _STARTED:6.1f}s] {message}", file=sys.stderr, flush=True)
