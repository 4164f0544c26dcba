"""The sweep on Dask: the same bytes serially, on a local cluster, and on a cluster of separate
processes (``dask scheduler`` + two ``dask worker``), also when a worker is killed mid-sweep; an
unreachable scheduler is one error line naming it, and nothing is written."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import helpers
import numpy as np
import pytest

from pipelib.cluster import dask_client
from pipelib.metrics import sweep_headline as sweep_metrics
from pipelib.mnist.dataset import write_mnist
from pipelib.mnist.sweep import grid, run_sweep, validation_curves

WORKER = [sys.executable, "-m", "distributed.cli.dask_worker"]
SETTINGS: dict[str, Any] = {
    "validation_fraction": 0.25,
    "seed": 1,
    "positive_digit": 5,
    "max_iter": 20,
    "reference_c": {"softmax": 10.0, "binary": 1.0},
}
SWEEP_PARAMS = {
    "mnist.sweep.C": [0.01, 1.0, 100.0],
    "mnist.sweep.max_iter": 60,
    "mnist.sweep.validation_fraction": 0.25,
    "mnist.sweep.workers": 2,
}


def small_sets(n_train: int, n_test: int) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    pixels, labels = helpers.synthetic_digits(n_train + n_test, seed=5)
    return (pixels[:n_train], labels[:n_train]), (pixels[n_train:], labels[n_train:])


def test_serial_and_local_dask_cluster_give_the_same_results() -> None:
    train, test = small_sets(300, 100)
    points = grid(["softmax", "binary"], [0.01, 1.0], ["raw", "unit"])
    serial = run_sweep(train, test, points, **SETTINGS)
    with dask_client(workers=2) as client:
        distributed = run_sweep(train, test, points, client=client, **SETTINGS)
    assert json.dumps(sweep_metrics(serial)) == json.dumps(sweep_metrics(distributed))
    for name, column in validation_curves(serial).items():
        np.testing.assert_array_equal(column, validation_curves(distributed)[name])


# --- the sweep stage, run as DVC runs it, against clusters started from the command line ---


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's sources with a small train/test pair and a small, quick sweep grid."""
    root = helpers.copy_sources(tmp_path_factory.mktemp("sweep") / "project")
    train, test = small_sets(1200, 300)
    (root / "data" / "mnist").mkdir(parents=True)
    write_mnist(*train, root / "data" / "mnist" / "train.parquet")
    write_mnist(*test, root / "data" / "mnist" / "test.parquet")
    helpers.edit_params(root / "params.yaml", SWEEP_PARAMS)
    return root


def sweep_command(out: Path) -> list[str]:
    return [
        sys.executable, "-m", "stages.sweep", "--train", "data/mnist/train.parquet", "--test",
        "data/mnist/test.parquet", "--metrics", str(out / "sweep.json"), "--plot", str(out / "validation.csv"),
    ]  # fmt: skip


def sweep_env(project: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("DASK_")}
    return {**env, "PYTHONPATH": str(project), **extra}


def run_sweep_stage(project: Path, out: Path, **env: str) -> subprocess.CompletedProcess[str]:
    out.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        sweep_command(out), cwd=project, env=sweep_env(project, **env), capture_output=True, text=True, timeout=600
    )


def outputs(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in ("sweep.json", "validation.csv")}


@pytest.fixture(scope="module")
def local_outputs(project: Path) -> dict[str, bytes]:
    """The stage's outputs on its default local cluster."""
    result = run_sweep_stage(project, project / "out-local")
    assert result.returncode == 0, result.stderr
    return outputs(project / "out-local")


class Cluster:
    """``dask scheduler`` and ``dask worker`` processes on 127.0.0.1, stopped at the end."""

    def __init__(self, project: Path) -> None:
        self.project = project
        self.address = f"tcp://127.0.0.1:{free_port()}"
        self.workers: list[subprocess.Popen[bytes]] = []
        dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
        port = self.address.rsplit(":", 1)[1]
        self.scheduler = self._start([*dask, "--host", "127.0.0.1", "--port", port, "--no-dashboard"])
        self._wait_for_scheduler()

    def _start(self, command: list[str]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            command, cwd=self.project, env=sweep_env(self.project), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def _wait_for_scheduler(self) -> None:
        host, port = "127.0.0.1", int(self.address.rsplit(":", 1)[1])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex((host, port)) == 0:
                    return
            time.sleep(0.1)
        raise AssertionError("the dask scheduler did not start listening")

    def add_worker(self) -> subprocess.Popen[bytes]:
        worker = self._start([*WORKER, self.address, "--nthreads", "1", "--no-nanny", "--no-dashboard"])
        self.workers.append(worker)
        return worker

    def wait_for_workers(self, count: int) -> None:
        from distributed import Client

        with Client(self.address, timeout="30s", set_as_default=False) as client:
            client.wait_for_workers(count, timeout=120)

    def stop(self) -> None:
        for process in [*self.workers, self.scheduler]:
            process.kill()
            process.wait()


@pytest.fixture
def cluster(project: Path) -> Iterator[Cluster]:
    started = Cluster(project)
    try:
        started.add_worker()
        started.add_worker()
        started.wait_for_workers(2)
        yield started
    finally:
        started.stop()


def test_a_cluster_started_from_the_command_line_gives_the_same_bytes(
    project: Path, cluster: Cluster, local_outputs: dict[str, bytes]
) -> None:
    result = run_sweep_stage(project, project / "out-cli", DASK_SCHEDULER_ADDRESS=cluster.address)
    assert result.returncode == 0, result.stderr
    assert f"on the Dask cluster at {cluster.address}" in result.stderr
    assert outputs(project / "out-cli") == local_outputs


def test_a_worker_killed_mid_sweep_changes_nothing(
    project: Path, cluster: Cluster, local_outputs: dict[str, bytes]
) -> None:
    out = project / "out-killed"
    out.mkdir()
    stage = subprocess.Popen(
        sweep_command(out),
        cwd=project,
        env=sweep_env(project, DASK_SCHEDULER_ADDRESS=cluster.address),
        stderr=subprocess.PIPE,
        text=True,
    )
    assert stage.stderr is not None
    lines = []
    for line in stage.stderr:  # the stage's own signal: its tasks are on the cluster
        lines.append(line)
        if "tasks submitted" in line:
            os.kill(cluster.workers[0].pid, signal.SIGKILL)
            break
    rest = stage.stderr.read()
    assert stage.wait(timeout=600) == 0, "".join(lines) + rest
    assert cluster.workers[0].wait() == -signal.SIGKILL
    assert outputs(out) == local_outputs


def test_an_unreachable_scheduler_is_one_line_and_writes_nothing(project: Path) -> None:
    address = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there
    out = project / "out-unreachable"
    started = time.monotonic()
    result = run_sweep_stage(
        project, out, DASK_SCHEDULER_ADDRESS=address, DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT="3s"
    )
    assert result.returncode == 2
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1 and address in error_lines[0], result.stderr
    assert "Traceback" not in result.stderr
    assert time.monotonic() - started < 120  # bounded by the connect timeout, not hanging
    assert list(out.iterdir()) == []
