"""pipelib.remote: DVC's failure output cut to one cause; the remote's name and URL from DVC's config.

The outputs below are DVC 3.67's own, captured from the runs in tests/integration/test_remotes.py.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pipelib.errors import PipelineError
from pipelib.remote import remote_of, summarize

REFUSED_PUSH = """\
ERROR: failed to transfer '/p/a/.dvc/cache/runs/69/6969/8a31' - [Errno 111] Connect call failed ('127.0.0.1', 36695)
ERROR: failed to transfer '/p/a/.dvc/cache/runs/af/aff7/ee62' - [Errno 111] Connect call failed ('127.0.0.1', 36695)
ERROR: unexpected error - [Errno 111] Connect call failed ('127.0.0.1', 36695)

Having any troubles? Hit us up at https://dvc.org/support, we are always happy to help!
"""
DENIED_PULL = """\
ERROR: failed to connect to ssh (/s/files/md5) - Permission denied for user root on host 127.0.0.1: \
Permission denied for user root on host 127.0.0.1
ERROR: failed to pull data from the cloud - 14 files failed to download
"""
MISSING_PULL = """\
WARNING: Some of the cache files do not exist neither locally nor on remote. Missing cache files:
md5: ffc01fd5d6a3e348dd7f4bf479d9546f
md5: 032ebaf22f36c4da72064c0e15eb9cb2
Everything is up to date.
ERROR: failed to pull data from the cloud - Checkout failed for following targets:
models/softmax.npz
data/mnist/train.parquet
Is your cache up to date?
<https://error.dvc.org/missing-files>
"""
MISSING_PUSH = """\
WARNING: Some of the cache files do not exist neither locally nor on remote. Missing cache files:
md5: bd4d7b7bd685ec33887a3fcf2a9c2951
Everything is up to date.
"""


def test_success_is_not_a_failure() -> None:
    assert summarize("push", "23 files pushed\n", 0) is None


def test_refused_connection_is_one_cause() -> None:
    assert summarize("push", REFUSED_PUSH, 255) == (
        "connection refused (is the server up?): [Errno 111] Connect call failed ('127.0.0.1', 36695)"
    )


def test_denied_login_names_it_once() -> None:
    assert summarize("pull", DENIED_PULL, 1) == (
        "authentication failed: Permission denied for user root on host 127.0.0.1"
    )


def test_missing_objects_are_counted() -> None:
    assert summarize("pull", MISSING_PULL, 1) == "2 files are missing from the remote (a wrong URL, or never pushed?)"


def test_push_with_missing_objects_fails_though_dvc_exits_0() -> None:
    cause = summarize("push", MISSING_PUSH, 0)
    assert cause is not None and cause.startswith("1 files are in neither the local cache nor the remote")


def test_an_unknown_error_keeps_dvc_s_words_on_one_line() -> None:
    cause = summarize("fetch", "ERROR: unexpected error - something\nodd happened\n", 255)
    assert cause == "something"
    assert summarize("fetch", "", 3) == "dvc fetch exited 3"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A DVC project (no SCM) with a default remote in .dvc/config and a credential in .dvc/config.local."""
    subprocess.run([sys.executable, "-m", "dvc", "init", "-q", "--no-scm"], cwd=tmp_path, check=True)
    (tmp_path / ".dvc" / "config").write_text(
        "[core]\n    remote = shared\n['remote \"shared\"']\n    url = https://bob:secret@store.example.org/dvc\n"
        "['remote \"other\"']\n    url = /mnt/other\n",
        encoding="utf-8",
    )
    return tmp_path


def test_remote_of_reads_the_default_and_hides_the_password(project: Path) -> None:
    assert remote_of(project, None) == ("shared", "https://bob@store.example.org/dvc")
    assert remote_of(project, "other") == ("other", "/mnt/other")


def test_remote_of_an_unknown_name(project: Path) -> None:
    with pytest.raises(PipelineError, match="remote 'nope' is not configured"):
        remote_of(project, "nope")
