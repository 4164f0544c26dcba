"""The stage entry point (one ``error:`` line, exit 2; Ctrl-C exit 130) and the progress log on stderr."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest

from pipelib import log
from pipelib.errors import PipelineError, run_stage


@pytest.fixture(autouse=True)
def restore_logger(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Leave the library's logger as it was; no PIPELINE_LOG_LEVEL from the caller's environment."""
    monkeypatch.delenv("PIPELINE_LOG_LEVEL", raising=False)
    saved = (log.LOGGER.handlers[:], log.LOGGER.level, log.LOGGER.propagate)
    yield
    log.LOGGER.handlers[:], log.LOGGER.level, log.LOGGER.propagate = saved[0], saved[1], saved[2]


def test_a_pipeline_error_is_one_line_and_exit_status_2(capsys: pytest.CaptureFixture[str]) -> None:
    def main() -> None:
        raise PipelineError("params.yaml: 'seed' must be an integer")

    with pytest.raises(SystemExit) as exit_info:
        run_stage(main)
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == "error: params.yaml: 'seed' must be an integer\n"


def test_ctrl_c_is_one_line_and_exit_status_130(capsys: pytest.CaptureFixture[str]) -> None:
    def main() -> None:
        raise KeyboardInterrupt

    with pytest.raises(SystemExit) as exit_info:
        run_stage(main)
    assert exit_info.value.code == 130  # 128 + SIGINT, as a shell reports it
    assert capsys.readouterr().err == "error: interrupted\n"


def test_a_bug_keeps_its_traceback() -> None:
    def main() -> None:
        raise ZeroDivisionError("a bug")

    with pytest.raises(ZeroDivisionError):
        run_stage(main)


def test_a_stage_runs_with_progress_lines_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    ran = []

    def main() -> None:
        log.progress("fitting")
        logging.getLogger("pipelib.mnist.fitting").info("from a library module")
        ran.append(True)

    run_stage(main)
    assert ran == [True]
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    assert re.fullmatch(r"\[ *\d+\.\ds\] fitting", lines[0]), lines
    assert re.fullmatch(r"\[ *\d+\.\ds\] from a library module", lines[1]), lines
    assert not log.LOGGER.propagate  # not printed twice by a root handler


@pytest.mark.parametrize(
    ("argument", "environment", "expected"),
    [
        (None, None, logging.INFO),
        ("debug", None, logging.DEBUG),
        (None, "warning", logging.WARNING),
        ("error", "warning", logging.ERROR),
        ("chatty", None, logging.INFO),
    ],
)
def test_level(monkeypatch: pytest.MonkeyPatch, argument: str | None, environment: str | None, expected: int) -> None:
    if environment is not None:
        monkeypatch.setenv("PIPELINE_LOG_LEVEL", environment)
    log.configure(argument)
    assert log.LOGGER.level == expected
    assert len(log.LOGGER.handlers) == 1


def test_warning_level_quiets_progress(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PIPELINE_LOG_LEVEL", "WARNING")
    log.configure()
    log.progress("quiet")
    assert capsys.readouterr().err == ""
