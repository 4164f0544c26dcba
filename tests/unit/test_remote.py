"""pipelib.remote: DVC's failure output cut to one cause; the remote's name and URL from DVC's config.

The outputs below are DVC 3.67's own, captured from the runs in tests/integration/test_remotes.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import helpers
import pytest

from pipelib.errors import PipelineError
from pipelib.remote import (
    arguments,
    dvc_command,
    hide_password,
    main,
    remote_kind,
    remote_of,
    run,
    summarize,
)

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
    assert summarize("push", "23 files pushed\n", 0, "ssh") is None


def test_refused_connection_is_one_cause() -> None:
    assert summarize("push", REFUSED_PUSH, 255, "ssh") == (
        "connection refused (is the server up?): [Errno 111] Connect call failed ('127.0.0.1', 36695)"
    )


def test_denied_login_names_it_once() -> None:
    assert summarize("pull", DENIED_PULL, 1, "ssh") == (
        "authentication failed: Permission denied for user root on host 127.0.0.1"
    )


# "Permission denied" from each kind of remote, captured from real runs (root without CAP_DAC_OVERRIDE, below).
LOCAL_DENIED_PUSH = """\
ERROR: unexpected error - [Errno 13] Permission denied: '/s/files'

Having any troubles? Hit us up at https://dvc.org/support, we are always happy to help!
"""
LOCAL_DENIED_PULL = """\
ERROR: unexpected error - [Errno 13] Permission denied: '/s/files/md5/76/4efa883dda1e11db47671c4a3bbd9e'
"""
SFTP_DENIED_PULL = """\
ERROR: failed to transfer '764efa883dda1e11db47671c4a3bbd9e' - Permission denied
ERROR: failed to pull data from the cloud - 1 files failed to download
"""
LOCAL_DIRECTORY = "permission denied on the remote directory (its owner or mode)"
SSH_PATH = "permission denied on the remote path (logged in, but its owner or mode refuses the user)"


@pytest.mark.parametrize(
    ("command", "output", "kind", "cause"),
    [
        ("push", LOCAL_DENIED_PUSH, "local", f"{LOCAL_DIRECTORY}: [Errno 13] Permission denied: '/s/files'"),
        (
            "pull",
            LOCAL_DENIED_PULL,
            "local",
            f"{LOCAL_DIRECTORY}: [Errno 13] Permission denied: '/s/files/md5/76/4efa883dda1e11db47671c4a3bbd9e'",
        ),
        ("pull", SFTP_DENIED_PULL, "ssh", f"{SSH_PATH}: Permission denied"),
        ("pull", DENIED_PULL, "ssh", "authentication failed: Permission denied for user root on host 127.0.0.1"),
        # a remote reached over HTTP(S) or a cloud API: "Permission denied" is its refusal of the credentials
        ("pull", SFTP_DENIED_PULL, "https", "authentication failed: Permission denied"),
        ("push", LOCAL_DENIED_PUSH, "webdavs", "authentication failed: [Errno 13] Permission denied: '/s/files'"),
    ],
)
def test_permission_denied_is_named_by_the_kind_of_remote(command: str, output: str, kind: str, cause: str) -> None:
    assert summarize(command, output, 1, kind) == cause


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("/mnt/team/dvc-store", "local"),
        ("../store", "local"),
        ("file:///mnt/store", "local"),
        ("ssh://alice@host/store", "ssh"),
        ("SSH://alice@host/store", "ssh"),
        ("https://store.example.org/dvc", "https"),
        ("s3://bucket/path", "s3"),
    ],
)
def test_remote_kind(url: str, kind: str) -> None:
    assert remote_kind(url) == kind


# A pull from a remote with ``verify = true`` whose object of data/x.txt was overwritten (DVC 3.67, a real run):
# DVC drops the object that fails verification without a word and fails the checkout of its output.
CORRUPT_PULL = """\
A       one.txt
4 files fetched and 1 file added
ERROR: failed to pull data from the cloud - Checkout failed for following targets:
data
Is your cache up to date?
<https://error.dvc.org/missing-files>
"""


def test_a_failed_checkout_names_its_targets() -> None:
    assert summarize("pull", CORRUPT_PULL, 1, "local") == (
        "1 output not checked out, an object corrupt (refused by verify) or missing: data"
    )
    many = CORRUPT_PULL.replace("data\n", "".join(f"models/mnist/model_{index:02}.skops\n" for index in range(12)))
    assert summarize("pull", many, 1, "ssh") == (
        "12 outputs not checked out, an object corrupt (refused by verify) or missing: "
        + ", ".join(f"models/mnist/model_{index:02}.skops" for index in range(4))
        + " and 8 more"
    )


def test_missing_objects_are_counted() -> None:
    assert (
        summarize("pull", MISSING_PULL, 1, "local")
        == "2 files are missing from the remote (a wrong URL, or never pushed?)"
    )


def test_push_with_missing_objects_fails_though_dvc_exits_0() -> None:
    cause = summarize("push", MISSING_PUSH, 0, "ssh")
    assert cause is not None and cause.startswith("1 files are in neither the local cache nor the remote")


def test_an_unknown_error_keeps_dvc_s_words_on_one_line() -> None:
    cause = summarize("fetch", "ERROR: unexpected error - something\nodd happened\n", 255, "ssh")
    assert cause == "something"
    assert summarize("fetch", "", 3, "ssh") == "dvc fetch exited 3"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A DVC project (no SCM) with a default remote with a credential in .dvc/config and another remote."""
    (tmp_path / ".dvc").mkdir()
    (tmp_path / ".dvc" / "config").write_text(
        "[core]\n    no_scm = True\n    remote = shared\n"
        "['remote \"shared\"']\n    url = https://bob:secret@store.example.org/dvc\n"
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


@pytest.mark.parametrize(
    ("line", "cause"),
    [
        (
            "ERROR: failed to connect to ssh (/s) - [Errno -2] Name or service not known",
            "unknown host: [Errno -2] Name or service not known",
        ),
        ("ERROR: unexpected error - getaddrinfo failed", "unknown host: getaddrinfo failed"),
        (
            "ERROR: unexpected error - Unable to locate credentials",
            "missing credentials: Unable to locate credentials",
        ),
        ("ERROR: unexpected error - NoCredentialsError", "missing credentials: NoCredentialsError"),
        (
            "ERROR: failed to pull data from the cloud - Connection lost",
            "connection lost: Connection lost",
        ),
        ("ERROR: unexpected error - [Errno 32] Broken pipe", "connection lost: [Errno 32] Broken pipe"),
        (
            "ERROR: failed to push data to the cloud - connection timed out",
            "timed out: connection timed out",
        ),
        ("ERROR: unexpected error - Connection refused", "connection refused (is the server up?): Connection refused"),
        ("ERROR: unexpected error - Authentication failed.", "authentication failed: Authentication failed."),
    ],
)
def test_each_known_cause_is_named(line: str, cause: str) -> None:
    assert summarize("pull", f"{line}\n", 1, "ssh") == cause


def test_the_first_known_cause_wins_over_dvc_s_wrapper_lines() -> None:
    output = (
        "ERROR: failed to fetch data from the cloud - 3 files failed to download\n"
        "ERROR: failed to transfer 'md5/ab/cd' - timeout\n"
    )
    assert summarize("fetch", output, 1, "ssh") == "timed out: timeout"
    assert summarize(
        "fetch", "WARNING: x\nERROR: failed to fetch data from the cloud - 3 files failed\n", 1, "ssh"
    ) == ("3 files failed")


def test_missing_objects_of_a_successful_pull_and_repeated_hashes() -> None:
    output = "md5: " + "a" * 32 + "\nmd5: " + "a" * 32 + "\nmd5: " + "b" * 32 + "\nnot md5: " + "c" * 32 + "\n"
    assert summarize("pull", output, 0, "ssh") == "2 files are missing from the remote (a wrong URL, or never pushed?)"
    assert summarize("push", output, 0, "ssh") == (
        "2 files are in neither the local cache nor the remote (run dvc repro or dvc pull first)"
    )
    assert summarize("fetch", output, 0, "ssh") == "2 files are missing from the remote (a wrong URL, or never pushed?)"
    assert summarize("push", "md5: " + "A" * 32 + "\nERROR: stop\n", 1, "ssh") == "stop"  # hashes are lower-case hex


def test_missing_objects_of_dvc_2_files_are_counted_too() -> None:
    """DVC 3 names the objects of a DVC 2 ``.dvc`` file (no ``hash: md5``) ``md5-dos2unix``: still missing."""
    output = (
        "WARNING: Some of the cache files do not exist neither locally nor on remote. Missing cache files:\n"
        "md5-dos2unix: 0123456789abcdef0123456789abcdef\n"
        "Everything is up to date.\n"
    )
    assert summarize("push", output, 0, "ssh") == (
        "1 files are in neither the local cache nor the remote (run dvc repro or dvc pull first)"
    )


def test_a_failure_with_nothing_recognised() -> None:
    assert summarize("push", "some output\n", 1, "ssh") == "dvc push exited 1"
    assert summarize("push", "ERROR: a\nERROR: b\n", 1, "ssh") == "a"
    assert summarize("push", "WARNING: a\n", 0, "ssh") is None


def test_causes_are_cut_to_one_line_of_200_characters() -> None:
    assert summarize("pull", "ERROR: " + "x" * 200 + "\n", 1, "ssh") == "x" * 200
    assert summarize("pull", "ERROR: " + "x" * 201 + "\n", 1, "ssh") == "x" * 197 + "..."
    assert summarize("pull", "ERROR: a  b\tc\n", 1, "ssh") == "a b c"
    assert summarize("pull", "ERROR: one: two\n", 1, "ssh") == "one: two"
    assert summarize("pull", "ERROR: same: same\n", 1, "ssh") == "same"  # DVC repeats a cause after a colon


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("ssh://alice:pw@host.example:2222/store", "ssh://alice@host.example:2222/store"),
        ("https://bob:secret@store.example.org/dvc", "https://bob@store.example.org/dvc"),
        ("s3://bucket/path", "s3://bucket/path"),
        ("ssh://carol@host.example/store", "ssh://carol@host.example/store"),
        # a password DVC takes as it is, unencoded: every character of it hidden
        ("ssh://alice:s3cr/etpw@host/path", "ssh://alice@host/path"),
        ("ssh://alice:a@b/c?e:f@host.example:22/store", "ssh://alice@host.example:22/store"),
        ("https://:token/x@store.example.org/dvc", "https://store.example.org/dvc"),
        ("ssh://alice:@host/store", "ssh://alice@host/store"),
        # no user information: unchanged, an @ in the path included
        ("ssh://host.example/store@2024", "ssh://host.example/store@2024"),
        ("/mnt/team/dvc@store", "/mnt/team/dvc@store"),
        # a port, then an @ in the path: as "user:password@" as "alice:1234/5678@host" is; hidden, to be safe
        ("ssh://host.example:2222/store@2024", "ssh://host.example@2024"),
    ],
)
def test_remote_urls_are_shown_without_a_password(project: Path, url: str, shown: str) -> None:
    (project / ".dvc" / "config.local").write_text(f"['remote \"shared\"']\n    url = {url}\n", encoding="utf-8")
    assert remote_of(project, None) == ("shared", shown)


@pytest.mark.parametrize(
    ("text", "url", "shown"),
    [
        (
            "Port could not be cast to integer value as 's3cr'",
            "ssh://alice:s3cr/etpw@h/p",
            "Port could not be cast to integer value as '***'",
        ),
        ("bad netloc alice:s3cr/etpw@h", "ssh://alice:s3cr/etpw@h/p", "bad netloc alice:***@h"),
        ("'etpw@h' and 'a@b' and 'c'", "https://:a@b/c@h/p", "'etpw@h' and '***@***' and '***'"),
        ("ssh: permission denied for alice", "ssh://alice:pw@h/p", "ssh: permission denied for alice"),
        ("a password word: pwd, pw.", "ssh://alice:pw@h/p", "a password word: ***d, ***."),  # whole: anywhere
        ("s3cr", "ssh://alice@h/s3cr", "s3cr"),  # no password in the URL: nothing to hide
        ("s3cr", "/mnt/s3cr", "s3cr"),
    ],
)
def test_dvc_s_words_lose_every_piece_of_the_password(text: str, url: str, shown: str) -> None:
    assert hide_password(text, url) == shown


def test_a_password_with_a_slash_is_in_no_error_line(project: Path) -> None:
    """DVC's own error for an unencoded ``/`` in the password quotes a piece of it; the wrapper's line does not."""
    (project / ".dvc" / "config.local").write_text(
        "['remote \"shared\"']\n    url = ssh://alice:s3cr/etpw@127.0.0.1:1/store\n", encoding="utf-8"
    )
    with pytest.raises(PipelineError) as error:
        run("push", None, [], project)
    line = str(error.value)
    assert line.startswith("dvc push to remote 'shared' (ssh://alice@127.0.0.1:1/store) failed: "), line
    assert "s3cr" not in line and "etpw" not in line, line
    log = (project / ".dvc" / "tmp" / "remote-push.log").read_text(encoding="utf-8")
    # masked before the line is made or cut: DVC's words are hidden in the log too, the piece it took for a port
    assert "s3cr" not in log and "etpw" not in log and "'***'" in log


def test_remote_of_outside_a_dvc_project_or_without_a_default(
    tmp_path_factory: pytest.TempPathFactory, project: Path
) -> None:
    outside = tmp_path_factory.mktemp("outside")
    with pytest.raises(PipelineError) as error:
        remote_of(outside, None)
    assert str(error.value) == f"{outside}: not a DVC project (no .dvc directory)"
    (project / ".dvc" / "config").write_text("['remote \"other\"']\n    url = /mnt/other\n", encoding="utf-8")
    with pytest.raises(PipelineError) as error:
        remote_of(project, None)
    assert str(error.value) == "no DVC remote given (-r NAME) and no default remote: see docs/sharing.md"
    assert remote_of(project, "other") == ("other", "/mnt/other")
    with pytest.raises(PipelineError) as error:
        remote_of(project, "shared")
    assert str(error.value) == "remote 'shared' is not configured in .dvc/config or .dvc/config.local"


def test_a_configuration_dvc_cannot_read_is_one_line(project: Path) -> None:
    (project / ".dvc" / "config").write_text("[core\nbroken", encoding="utf-8")
    with pytest.raises(PipelineError, match=r"^the DVC configuration cannot be read \("):
        remote_of(project, None)


def test_the_dvc_command_lines() -> None:
    assert dvc_command("push", "shared", []) == [sys.executable, "-m", "dvc", "push", "-r", "shared", "--run-cache"]
    assert dvc_command("pull", "shared", ["-j", "2", "models/a.npz"]) == [
        *(sys.executable, "-m", "dvc", "pull", "-r", "shared"),
        *("-j", "2", "models/a.npz"),
    ]
    assert dvc_command("fetch", "s", []) == [sys.executable, "-m", "dvc", "fetch", "-r", "s"]


@pytest.mark.parametrize(
    ("argv", "parsed"),
    [
        (["push"], ("push", None, [])),
        (["pull", "-r", "shared"], ("pull", "shared", [])),
        (["fetch", "--remote", "s", "a.dvc", "b"], ("fetch", "s", ["a.dvc", "b"])),
        (["pull", "models/a.npz", "-j", "4", "--force"], ("pull", None, ["-j", "4", "--force", "models/a.npz"])),
    ],
)
def test_arguments(argv: list[str], parsed: tuple[str, str | None, list[str]]) -> None:
    assert arguments(argv) == parsed


def test_arguments_refused_and_the_help(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    for argv in (["status"], []):
        with pytest.raises(SystemExit) as stop:
            arguments(argv)
        assert stop.value.code == 2
        assert capsys.readouterr().err.startswith(
            "usage: python -m pipelib.remote [-h] [-r REMOTE] {push,pull,fetch} [targets ...]\n"
        )
    with pytest.raises(SystemExit):
        arguments(["--help"])
    help_text = capsys.readouterr().out
    assert "\n\n``python -m pipelib.remote push|pull|fetch [-r NAME]``: DVC's transfers, failing in one line.\n" in (
        help_text
    )
    assert "{push,pull,fetch}" in help_text
    assert "-r REMOTE, --remote REMOTE\n" in help_text or "-r, --remote REMOTE" in help_text
    assert "remote name (default: the project's default remote)" in help_text
    assert "targets" in help_text and "what to transfer (default: everything)" in help_text


def test_main_outside_a_dvc_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["python -m pipelib.remote", "pull"])
    with pytest.raises(PipelineError, match="not a DVC project"):
        main()


def local_remote(project: Path) -> Path:
    """Make a directory beside the project the default remote (empty: it does not exist yet)."""
    store = project.parent / f"{project.name}-store"
    (project / ".dvc" / "config").write_text(
        f"[core]\n    no_scm = True\n    remote = local\n['remote \"local\"']\n    url = {store}\n    verify = true\n",
        encoding="utf-8",
    )
    return store


def test_a_push_or_pull_of_what_neither_side_has_fails_in_one_line_and_keeps_dvc_s_output(project: Path) -> None:
    store = local_remote(project)
    md5 = "0123456789abcdef0123456789abcdef"
    (project / "data.txt.dvc").write_text(
        f"outs:\n- md5: {md5}\n  size: 2\n  hash: md5\n  path: data.txt\n", encoding="utf-8"
    )
    with pytest.raises(PipelineError) as error:
        run("push", None, [], project)  # DVC itself warns and exits 0
    assert str(error.value) == (
        f"dvc push to remote 'local' ({store}) failed: 1 files are in neither the local cache nor the remote "
        "(run dvc repro or dvc pull first) [log: .dvc/tmp/remote-push.log]"
    )
    with pytest.raises(PipelineError) as error:
        run("pull", "local", [], project)
    assert str(error.value) == (
        f"dvc pull from remote 'local' ({store}) failed: 1 files are missing from the remote "
        "(a wrong URL, or never pushed?) [log: .dvc/tmp/remote-pull.log]"
    )
    assert f"md5: {md5}" in (project / ".dvc" / "tmp" / "remote-pull.log").read_text(encoding="utf-8")


def test_main_pushes_to_the_default_remote_and_prints_dvc_s_output(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    local_remote(project)
    monkeypatch.chdir(project)
    monkeypatch.setattr(sys, "argv", ["python -m pipelib.remote", "push"])
    main()
    printed = capsys.readouterr().out
    assert "Everything is up to date." in printed
    assert (project / ".dvc" / "tmp" / "remote-push.log").read_text(encoding="utf-8") == printed


def without_dac_override(project: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """``python -m pipelib.remote ARGV`` as root without CAP_DAC_OVERRIDE (and DAC_READ_SEARCH): file modes bind it."""
    env = {**os.environ, "PYTHONPATH": str(helpers.REPO_ROOT)}  # this checkout's pipelib, not an installed one
    return subprocess.run(
        [
            "setpriv",
            "--bounding-set=-dac_override,-dac_read_search",
            "--",
            sys.executable,
            "-m",
            "pipelib.remote",
            *argv,
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root and setpriv (util-linux)")
def test_a_local_remote_directory_that_refuses_the_user_is_not_an_authentication_failure(project: Path) -> None:
    """A real EACCES on a local remote: a read-only directory refuses a push, an unreadable object a pull."""
    store = local_remote(project)
    (project / "data.txt").write_text("hi\n", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "dvc", "add", "-q", "data.txt"], cwd=project, check=True)
    store.mkdir(mode=0o555)
    store.chmod(0o555)  # whatever the umask
    pushed = without_dac_override(project, "push")
    assert (pushed.returncode, pushed.stdout) == (2, "")
    assert pushed.stderr == (
        f"error: dvc push to remote 'local' ({store}) failed: {LOCAL_DIRECTORY}: "
        f"[Errno 13] Permission denied: '{store / 'files'}' [log: .dvc/tmp/remote-push.log]\n"
    )
    assert list(store.iterdir()) == []

    store.chmod(0o755)
    run("push", None, [], project)
    (obj,) = (path for path in (store / "files" / "md5").rglob("*") if path.is_file())  # md5 of "hi\n"
    assert obj.relative_to(store).as_posix() == "files/md5/76/4efa883dda1e11db47671c4a3bbd9e"
    obj.chmod(0o000)
    shutil.rmtree(project / ".dvc" / "cache")
    (project / "data.txt").unlink()
    pulled = without_dac_override(project, "pull")
    assert (pulled.returncode, pulled.stdout) == (2, "")
    assert pulled.stderr == (
        f"error: dvc pull from remote 'local' ({store}) failed: {LOCAL_DIRECTORY}: "
        f"[Errno 13] Permission denied: '{obj}' [log: .dvc/tmp/remote-pull.log]\n"
    )
    assert not (project / "data.txt").exists()


def corrupt_a_pushed_object(project: Path) -> tuple[Path, Path]:
    """data/x.txt and data/y.txt (a directory output) and one.txt pushed to the local remote, then the remote's
    object of data/x.txt overwritten and the local cache and the files removed: a teammate's fresh pull."""
    store = local_remote(project)
    (project / "data").mkdir()
    (project / "data" / "x.txt").write_text("hello\n", encoding="utf-8")
    (project / "data" / "y.txt").write_text("world\n", encoding="utf-8")
    (project / "one.txt").write_text("one\n", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "dvc", "add", "-q", "data", "one.txt"], cwd=project, check=True)
    run("push", None, [], project)
    corrupt = store / "files" / "md5" / "b1" / "946ac92492d2347c6235b4d2611184"  # md5 of "hello\n"
    corrupt.write_bytes(b"garbage\n")
    shutil.rmtree(project / ".dvc" / "cache")
    shutil.rmtree(project / "data")
    (project / "one.txt").unlink()
    return store, corrupt


def test_a_corrupt_object_on_a_verifying_remote_fails_the_pull_naming_its_output(project: Path) -> None:
    store, _ = corrupt_a_pushed_object(project)
    with pytest.raises(PipelineError) as error:
        run("pull", None, [], project)
    assert str(error.value) == (
        f"dvc pull from remote 'local' ({store}) failed: 1 output not checked out, an object corrupt "
        "(refused by verify) or missing: data [log: .dvc/tmp/remote-pull.log]"
    )
    assert not (project / "data").exists()  # no garbage in the workspace
    assert (project / "one.txt").read_text(encoding="utf-8") == "one\n"  # the sound output is checked out
    cache = project / ".dvc" / "cache" / "files" / "md5"
    assert not (cache / "b1" / "946ac92492d2347c6235b4d2611184").exists()  # nor in the cache


def test_a_remote_that_does_not_verify_is_refused_before_a_pull(project: Path) -> None:
    """Without ``verify`` DVC pulls the same corrupt object into the workspace with exit status 0."""
    store, _ = corrupt_a_pushed_object(project)
    (project / ".dvc" / "config.local").write_text("['remote \"local\"']\n    verify = false\n", encoding="utf-8")
    for command in ("pull", "fetch"):
        with pytest.raises(PipelineError) as error:
            run(command, None, [], project)
        assert str(error.value) == (
            f"dvc {command} from remote 'local' ({store}) refused: the remote does not verify what it downloads, "
            "so a corrupt object would reach the workspace unnoticed; run dvc remote modify local verify true "
            "and commit .dvc/config (docs/sharing.md)"
        )
    assert not (project / ".dvc" / "tmp" / "remote-pull.log").exists()  # refused before DVC ran
    assert not (project / "data").exists() and not (project / ".dvc" / "cache").exists()
    (project / "extra.txt").write_text("pushed\n", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "dvc", "add", "-q", "extra.txt"], cwd=project, check=True)
    assert "1 file pushed" in run("push", None, [], project)  # a push downloads nothing: not refused
