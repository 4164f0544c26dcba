"""DVC stage scripts: each reads its params, calls ``pipelib``, writes its outputs.

Ctrl-C while a stage is still importing its libraries (the first second or two) ends it
with the same one line as an interrupt inside ``run_stage``, not a traceback of the import.
"""

from __future__ import annotations

import sys
from types import TracebackType


def _interrupt_hook(kind: type[BaseException], value: BaseException, traceback: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        print("error: interrupted", file=sys.stderr)
    else:
        sys.__excepthook__(kind, value, traceback)


sys.excepthook = _interrupt_hook
