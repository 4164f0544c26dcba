"""Progress lines on stderr, which DVC shows wherever a stage runs, with the time since the stage began.

``PIPELINE_LOG_LEVEL=WARNING`` quiets them.
"""

from __future__ import annotations

import logging
import os
import sys

LOGGER = logging.getLogger("pipelib")
LEVEL_ENV = "PIPELINE_LOG_LEVEL"


class _ElapsedFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"[{record.relativeCreated / 1000:6.1f}s] {record.getMessage()}"


def configure(level: str | None = None) -> None:
    """Send the library's log lines to stderr at ``level`` (default: $PIPELINE_LOG_LEVEL or INFO)."""
    name = (level or os.environ.get(LEVEL_ENV) or "INFO").upper()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_ElapsedFormatter())
    LOGGER.handlers[:] = [handler]
    LOGGER.setLevel(name if name in logging.getLevelNamesMapping() else "INFO")
    LOGGER.propagate = False


def progress(message: str) -> None:
    """One progress line (INFO)."""
    LOGGER.info(message)
