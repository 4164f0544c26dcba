"""Sharing results through DVC remotes: a local directory and a real ``sshd`` on 127.0.0.1.

One module-wide clone A of the tiny pipeline (a clean ``dvc repro``) commits its results,
fits one experiment (``mnist.models.softmax.params.C``) and pushes everything with the run-cache to both
remotes through ``python -m pipelib.remote push``. Every test then starts a fresh clone B
from A's git history alone: empty cache, remotes from A's ``.dvc/config``, the SSH key in its
own ``.dvc/config.local``, and a data mirror with nothing in it, so any stage that needed the
raw data would fail. The SSH server runs with its own host key, client key and config on a
free port (tests/sshd.py); its slow twin (a delaying SFTP relay) is stopped or has its
client killed while files are in flight.

Both remotes receive the same push and serve a whole pull; the partial pull of a threshold
change runs on the local one and the run-cache restore of an experiment on the SSH one (DVC
treats both kinds alike in these).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import helpers
import pytest
import sshd
import workspaces

pytestmark = pytest.mark.skipif(
    sshd.sshd_binary() is None or sshd.sftp_server_binary() is None,
    reason="openssh-server is not installed (.ci/run installs it)",
)

REMOTES = ("local", "ssh")
EXPERIMENT_C = 0.01  # the softmax C that A tried and pushed, so B can restore it from the run-cache
SLOW_DELAY = 0.002  # seconds the slow server's SFTP relay waits before passing on each chunk (a push: about 4 s)
GIT = ["git", "-c", "user.name=test", "-c", "user.email=test@example.invalid", "-c", "commit.gpgsign=false"]


@dataclass(frozen=True)
class Shared:
    """Clone A after its push, the server, the two remote stores and what A holds."""

    a: Path
    root: Path
    mirror: Path
    server: sshd.SshServer
    stores: dict[str, Path]
    outputs: dict[str, bytes]  # every output of A's committed run, cached or not
    experiment_model: bytes  # models/mnist/softmax.skops fitted by A with C=EXPERIMENT_C

    @property
    def no_mirror(self) -> Path:
        """A data mirror with no data: a stage that had to fetch would fail."""
        path = self.root / "no-mirror"
        path.mkdir(exist_ok=True)
        return path

    def env(self, project: Path, mirror: Path) -> dict[str, str]:
        """The stage environment with a private HOME and no SSH agent: only the configured key can log in."""
        env = helpers.stage_env(mirror, project)
        env["HOME"] = str(self.root / "home")
        env["SSH_AUTH_SOCK"] = ""
        return env


def run(shared: Shared, project: Path, *argv: str, mirror: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``python ARGV`` in ``project``; stdout and stderr apart."""
    return subprocess.run(
        [sys.executable, *argv],
        cwd=project,
        env=shared.env(project, mirror or shared.no_mirror),
        capture_output=True,
        text=True,
        check=False,
    )


def dvc(shared: Shared, project: Path, *args: str, mirror: Path | None = None) -> str:
    """``dvc ARGS`` that must succeed; its output."""
    result = run(shared, project, "-m", "dvc", *args, mirror=mirror)
    assert result.returncode == 0, f"dvc {' '.join(args)} exited {result.returncode}:\n{result.stdout}{result.stderr}"
    return result.stdout + result.stderr


def remote(shared: Shared, project: Path, command: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m pipelib.remote COMMAND ARGS`` (the make targets' wrapper)."""
    return run(shared, project, "-m", "pipelib.remote", command, *args)


def local_config(project: Path, name: str, default: bool = False, **options: str | None) -> None:
    """What ``dvc remote modify --local NAME OPTION VALUE`` (``--unset`` for None) and ``dvc remote default --local``
    write to .dvc/config.local, through the DVC config API those commands use, in this process: a ``dvc``
    process each would cost 0.45 s. The shared project's remotes are added with the commands themselves."""
    from dvc.config import Config

    with Config(dvc_dir=str(project / ".dvc")).edit("local") as local:
        remote = local["remote"].setdefault(name, {})
        for option, value in options.items():
            if value is None:
                remote.pop(option, None)
            else:
                remote[option] = value
        if default:
            local["core"]["remote"] = name


def git(project: Path, *args: str) -> None:
    subprocess.run([*GIT, *args], cwd=project, check=True, capture_output=True)


def outputs(project: Path) -> dict[str, bytes]:
    """Every output file of every stage (directories expanded) and its bytes."""
    found: dict[str, bytes] = {}
    for command in workspaces.stage_commands(project / "dvc.yaml").values():
        for relative in command.outs:
            path = project / relative
            for item in sorted(path.rglob("*")) if path.is_dir() else [path] if path.exists() else []:
                if item.is_file():
                    found[item.relative_to(project).as_posix()] = item.read_bytes()
    return found


def workspace(project: Path) -> dict[str, bytes]:
    """The project's files and bytes, git's and DVC's own state aside (the cache is checked apart)."""
    return {
        name: data
        for name, data in workspaces.snapshot(project).items()
        if not name.startswith((".git/", ".dvc/tmp/", ".dvc/cache/"))
    }


def cache_objects(project: Path) -> dict[str, bytes]:
    """The local cache's object files (``files/md5/xx/yyyy``) and their bytes."""
    root = project / ".dvc" / "cache" / "files" / "md5"
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def assert_objects_sound(root: Path) -> int:
    """Every object under a cache or remote ``root`` hashes to its name (temporary files aside); how many."""
    count = 0
    for path in (root / "files" / "md5").rglob("*") if (root / "files" / "md5").exists() else []:
        if path.is_file() and not path.name.endswith(".tmp"):
            digest = hashlib.md5(path.read_bytes()).hexdigest()
            if not path.name.endswith(".dir"):  # a .dir listing's md5 is of its canonical JSON, not its bytes
                assert digest == path.parent.name + path.name, f"{path} is corrupt"
            count += 1
    return count


def object_names(root: Path) -> set[str]:
    """The objects (not temporary files) in a cache or remote ``root``."""
    found = (root / "files" / "md5").rglob("*")
    return {path.relative_to(root).as_posix() for path in found if path.is_file() and not path.name.endswith(".tmp")}


def lock_md5(project: Path, relative: str) -> str:
    """The md5 of an output recorded in ``project``'s dvc.lock."""
    for stage in workspaces.lock_outs(project).values():
        if relative in stage:
            return stage[relative]
    raise KeyError(relative)


def in_cache(project: Path, md5: str) -> bool:
    return (project / ".dvc" / "cache" / "files" / "md5" / md5[:2] / md5[2:]).exists()


def error_line(result: subprocess.CompletedProcess[str], remote_name: str) -> str:
    """The wrapper's single ``error:`` line (exit 2, nothing else on stderr), naming the remote."""
    line = workspaces.error_line(result)
    assert result.stderr.strip() == line, result.stderr
    assert f"remote '{remote_name}'" in line, line
    return line


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory, tiny_run: Path, tiny_mirror: Path) -> Iterator[Shared]:
    """A (a clone of the tiny run) committed, its experiment fitted, all pushed to both remotes."""
    root = tmp_path_factory.mktemp("remotes")
    (root / "home").mkdir()
    server = sshd.SshServer(root / "ssh").start()
    stores = {"local": root / "store-local", "ssh": root / "store-ssh"}
    for store in stores.values():
        store.mkdir()
    a = helpers.clone_project(tiny_run, root / "a")
    state = Shared(a, root, tiny_mirror, server, stores, {}, b"")
    try:
        dvc(state, a, "remote", "add", "local", str(stores["local"]))
        dvc(state, a, "remote", "add", "ssh", f"{server.url}{stores['ssh']}")
        dvc(state, a, "remote", "modify", "--local", "ssh", "keyfile", str(server.client_key))
        for name in REMOTES:  # the documented setup (docs/sharing.md): pulls check every object's hash
            dvc(state, a, "remote", "modify", name, "verify", "true")
        git(a, "add", "-A")
        git(a, "commit", "-q", "-m", "A's results")
        results = outputs(a)

        helpers.edit_params(a / "params.yaml", {"mnist.models.softmax.params.C": EXPERIMENT_C})
        ran = helpers.stages_run(dvc(state, a, "repro", mirror=tiny_mirror))
        assert "train_mnist@softmax" in ran, ran
        experiment = (a / "models" / "mnist" / "softmax.skops").read_bytes()
        assert experiment != results["models/mnist/softmax.skops"]
        # --run-cache sends the run records only: the outputs they name go with the workspace's push.
        push_both(state, a)
        git(a, "checkout", "--", ".")
        dvc(state, a, "checkout", "--force")
        assert outputs(a) == results
        push_both(state, a)
        yield Shared(a, root, tiny_mirror, server, stores, results, experiment)
    finally:
        server.stop()


def push_both(shared: Shared, project: Path) -> None:
    """``python -m pipelib.remote push`` to each remote."""
    for name in REMOTES:
        result = remote(shared, project, "push", "-r", name)
        assert result.returncode == 0, result.stderr
        assert "pushed" in result.stdout or "Everything is up to date" in result.stdout, result.stdout


def fresh_clone(shared: Shared, dest: Path, name: str, url: str | None = None) -> Path:
    """B: a git clone of A (no cache, no data), remote ``name`` its default, the SSH key in config.local."""
    subprocess.run(["git", "clone", "-q", str(shared.a), str(dest)], check=True, capture_output=True)
    keyfile = {"keyfile": str(shared.server.client_key)} if name == "ssh" else {}
    local_config(dest, name, default=True, **keyfile, **({"url": url} if url is not None else {}))
    assert not (dest / ".dvc" / "cache").exists()
    return dest


# --- a teammate's clone ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", REMOTES)
def test_pull_then_repro_runs_nothing(shared: Shared, tmp_path: Path, name: str) -> None:
    b = fresh_clone(shared, tmp_path / "b", name)
    result = remote(shared, b, "pull")
    assert result.returncode == 0, result.stderr
    assert helpers.stages_run(dvc(shared, b, "repro")) == set()
    assert json.loads(dvc(shared, b, "status", "--json")) == {}
    assert outputs(b) == shared.outputs


def test_threshold_change_pulls_only_what_the_operating_point_reads(shared: Shared, tmp_path: Path) -> None:
    b = fresh_clone(shared, tmp_path / "b", "local")
    helpers.edit_params(b / "params.yaml", {"mnist.evaluate.threshold": -1.0})
    ran = helpers.stages_run(dvc(shared, b, "repro", "--pull", "--allow-missing"))
    assert ran == {"operating_point", "report"}  # it applies the threshold to evaluate_mnist's saved scores
    details = json.loads((b / "reports" / "mnist_operating_point.json").read_text(encoding="utf-8"))
    assert details["binary"]["threshold"] == -1.0
    for relative in ("data/mnist/train_augmented.parquet", "data/mnist/train_shuffled.parquet", "models/binary.skops"):
        assert not (b / relative).exists(), relative
        assert not in_cache(b, lock_md5(b, relative)), f"{relative} was downloaded"


def test_pushed_experiment_is_restored_from_the_run_cache(shared: Shared, tmp_path: Path) -> None:
    """``dvc repro --pull``: the unchanged stages' outputs are pulled, A's fit restored from the run-cache.

    Not ``--allow-missing``: compare_mnist reads every registry model's predictions, a directory
    that several stages fill, and DVC pulls no dependency of a stage that must run (docs/sharing.md).
    """
    b = fresh_clone(shared, tmp_path / "b", "ssh")
    helpers.edit_params(b / "params.yaml", {"mnist.models.softmax.params.C": EXPERIMENT_C})
    output = dvc(shared, b, "repro", "--pull")
    assert "Stage 'train_mnist@softmax' is cached - skipping run" in output, output
    # the comparison and the report write uncached outputs, which travel by git, not the remote: they rerun.
    assert helpers.stages_run(output) <= {"compare_mnist", "report"}, output
    assert (b / "models" / "mnist" / "softmax.skops").read_bytes() == shared.experiment_model
    assert json.loads(dvc(shared, b, "status", "--json")) == {}


# --- faults --------------------------------------------------------------------------------------------


@pytest.fixture
def slow_server(shared: Shared) -> Iterator[sshd.SshServer]:
    """A second sshd (same keys, same stores) whose SFTP transfers crawl; stopped after the test."""
    server = sshd.SshServer(shared.root / "ssh", delay=SLOW_DELAY).start()
    try:
        yield server
    finally:
        server.stop()


def wait_for(condition: Callable[[], bool], process: subprocess.Popen[str], what: str) -> None:
    """Poll until ``condition``; fail if ``process`` ends first or a minute passes."""
    deadline = time.monotonic() + 60
    while not condition():
        assert process.poll() is None, f"finished before {what}:\n{process.communicate()[0]}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def start_remote(shared: Shared, project: Path, command: str) -> subprocess.Popen[str]:
    """``python -m pipelib.remote COMMAND`` in the background, in its own process group."""
    return subprocess.Popen(
        [sys.executable, "-m", "pipelib.remote", command],
        cwd=project,
        env=shared.env(project, shared.no_mirror),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def test_server_stopped_mid_pull(shared: Shared, tmp_path: Path, slow_server: sshd.SshServer) -> None:
    b = fresh_clone(shared, tmp_path / "b", "ssh", url=f"{slow_server.url}{shared.stores['ssh']}")
    before = workspace(b)
    pulling = start_remote(shared, b, "pull")
    wait_for(lambda: assert_objects_sound(b / ".dvc" / "cache") >= 1, pulling, "the first object arrived")
    slow_server.stop()
    stdout, stderr = pulling.communicate(timeout=120)
    line = error_line(subprocess.CompletedProcess(pulling.args, pulling.returncode, stdout, stderr), "ssh")
    assert f"127.0.0.1:{slow_server.port}" in line, line
    assert workspace(b) == before, workspaces.snapshot_changes(before, workspace(b))
    received = assert_objects_sound(b / ".dvc" / "cache")
    assert not list((b / ".dvc" / "cache").rglob("*.tmp")), "a partial download was left"

    local_config(b, "ssh", url=f"{shared.server.url}{shared.stores['ssh']}")
    result = remote(shared, b, "pull")
    assert result.returncode == 0, result.stderr
    assert outputs(b) == shared.outputs
    assert 1 <= received < assert_objects_sound(b / ".dvc" / "cache"), "the pull was not cut half-way"


def test_server_stopped_before_push(shared: Shared, tmp_path: Path, slow_server: sshd.SshServer) -> None:
    project = helpers.clone_project(shared.a, tmp_path / "a2")
    local_config(project, "ssh", url=f"{slow_server.url}{shared.stores['ssh']}")
    helpers.edit_params(project / "params.yaml", {"mnist.evaluate.threshold": 0.5})
    dvc(shared, project, "repro", mirror=shared.mirror)  # something new to push
    before, cache, store = workspace(project), cache_objects(project), workspaces.snapshot(shared.stores["ssh"])
    slow_server.stop()
    result = remote(shared, project, "push", "-r", "ssh")
    line = error_line(result, "ssh")
    assert "connection refused" in line, line
    assert workspace(project) == before
    assert cache_objects(project) == cache
    assert workspaces.snapshot(shared.stores["ssh"]) == store


def test_push_killed_half_way_then_rerun(shared: Shared, tmp_path: Path, slow_server: sshd.SshServer) -> None:
    store = tmp_path / "store"
    store.mkdir()
    project = helpers.clone_project(shared.a, tmp_path / "a2")
    local_config(project, "ssh", default=True, url=f"{slow_server.url}{store}")
    pushing = start_remote(shared, project, "push")
    wait_for(lambda: assert_objects_sound(store) >= 2, pushing, "two objects reached the remote")
    os.killpg(pushing.pid, signal.SIGKILL)
    pushing.communicate(timeout=60)
    full = object_names(shared.stores["ssh"])
    assert 2 <= assert_objects_sound(store) < len(full), "the push was not cut half-way"

    local_config(project, "ssh", url=f"{shared.server.url}{store}")
    result = remote(shared, project, "push")
    assert result.returncode == 0, result.stderr
    # Every object is sound and one the shared remote holds too (that one also has the pushed
    # experiment's model, which this clone never had); the clone below proves nothing is missing.
    assert assert_objects_sound(store) and object_names(store) <= full

    b = fresh_clone(shared, tmp_path / "b", "ssh", url=f"{shared.server.url}{store}")
    result = remote(shared, b, "pull")
    assert result.returncode == 0, result.stderr
    assert outputs(b) == shared.outputs


# --- misconfigured remotes -----------------------------------------------------------------------------

BAD_REMOTES = {
    # case: (remote, URL given the shared state, whether to leave out the key, expected words)
    "wrong-url": ("local", lambda s: str(s.root / "no-such-store"), False, "missing from the remote"),
    "missing-key": ("ssh", lambda s: f"{s.server.url}{s.stores['ssh']}", True, "authentication failed"),
    "unreachable": ("ssh", lambda s: f"ssh://{s.server.user}@127.0.0.1:{sshd.free_port()}/store", False, "refused"),
}


@pytest.mark.parametrize("case", sorted(BAD_REMOTES))
def test_misconfigured_remote_fails_in_one_line(shared: Shared, tmp_path: Path, case: str) -> None:
    name, url_of, keyless, words = BAD_REMOTES[case]
    url = url_of(shared)
    b = fresh_clone(shared, tmp_path / "b", name, url=url)
    if keyless:
        local_config(b, "ssh", keyfile=None)
    before = workspace(b)
    line = error_line(remote(shared, b, "pull"), name)
    assert words in line and url.split("@")[-1] in line, line
    assert workspace(b) == before
    assert cache_objects(b) == {}

    if case == "wrong-url":
        return  # a push to a new path creates it: not an error
    project = helpers.clone_project(shared.a, tmp_path / "a2")
    local_config(project, name, url=url, **({"keyfile": None} if keyless else {}))
    before, cache = workspace(project), cache_objects(project)
    line = error_line(remote(shared, project, "push", "-r", name), name)
    assert words in line, line
    assert workspace(project) == before and cache_objects(project) == cache


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root and setpriv")
def test_an_ssh_path_the_user_may_not_read_is_not_an_authentication_failure(shared: Shared, tmp_path: Path) -> None:
    """A real SFTP "Permission denied" after a good login: objects of mode 000, read by an SFTP server
    running as root without CAP_DAC_OVERRIDE (so modes bind it), on a copy of the SSH store."""
    store = tmp_path / "store"
    shutil.copytree(shared.stores["ssh"], store)
    for path in (store / "files" / "md5").rglob("*"):
        if path.is_file():
            path.chmod(0o000)
    server = sshd.SshServer(
        shared.root / "ssh", sftp_prefix=("setpriv", "--bounding-set=-dac_override,-dac_read_search", "--")
    ).start()
    try:
        b = fresh_clone(shared, tmp_path / "b", "ssh", url=f"{server.url}{store}")
        before = workspace(b)
        line = error_line(remote(shared, b, "pull"), "ssh")
    finally:
        server.stop()
    assert "failed: permission denied on the remote path (logged in, but its owner or mode refuses the user): " in line
    assert "authentication" not in line, line
    assert workspace(b) == before


def test_a_corrupt_object_on_the_remote_is_refused_naming_its_output(shared: Shared, tmp_path: Path) -> None:
    """The remote's object of models/binary.skops overwritten (on a copy of the local store): the pull fails in
    one line naming the model, which is neither in the workspace nor in the cache; everything else arrives."""
    store = tmp_path / "store"
    shutil.copytree(shared.stores["local"], store)
    md5 = lock_md5(shared.a, "models/binary.skops")
    (store / "files" / "md5" / md5[:2] / md5[2:]).write_bytes(b"not the model")
    b = fresh_clone(shared, tmp_path / "b", "local", url=str(store))
    line = error_line(remote(shared, b, "pull"), "local")
    assert line == (
        f"error: dvc pull from remote 'local' ({store}) failed: 1 output not checked out, an object corrupt "
        "(refused by verify) or missing: models/binary.skops [log: .dvc/tmp/remote-pull.log]"
    )
    assert not (b / "models" / "binary.skops").exists()
    assert not in_cache(b, md5)
    pulled = outputs(b)
    assert pulled == {name: data for name, data in shared.outputs.items() if name != "models/binary.skops"}


def test_no_remote_configured(shared: Shared, tmp_path: Path) -> None:
    project = tmp_path / "b"
    subprocess.run(["git", "clone", "-q", str(shared.a), str(project)], check=True, capture_output=True)
    line = workspaces.error_line(remote(shared, project, "push"))
    assert "no default remote" in line, line


def test_ssh_store_is_what_was_pushed(shared: Shared) -> None:
    """Both remotes hold the same objects, each sound, and the run-cache entries."""
    local, ssh = (shared.stores[name] for name in REMOTES)
    assert assert_objects_sound(local) and assert_objects_sound(ssh)
    assert object_names(local) == object_names(ssh) == object_names(shared.a / ".dvc" / "cache")
    runs = sorted(path.relative_to(local).as_posix() for path in (local / "runs").rglob("*") if path.is_file())
    assert runs and runs == sorted(
        path.relative_to(ssh).as_posix() for path in (ssh / "runs").rglob("*") if path.is_file()
    )
