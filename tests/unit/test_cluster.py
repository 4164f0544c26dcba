"""Where the sweep's tasks run: here, on a Dask scheduler named by address, or on a local cluster.

An in-process Dask cluster (threads, started once for the module) stands for a remote
scheduler; one test starts the local cluster of worker processes the stage starts itself.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterator
from typing import Any

import dask.config
import distributed
import pytest

from pipelib.cluster import dask_client, run_tasks, scheduler_address
from pipelib.errors import PipelineError


@pytest.fixture(scope="module")
def scheduler() -> Iterator[distributed.LocalCluster]:
    """Two single-threaded workers in this process, behind a scheduler listening on a local port."""
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        yield cluster


def test_the_scheduler_address_comes_from_dask_config() -> None:
    with dask.config.set({"scheduler-address": "tcp://192.0.2.1:8786"}):
        assert scheduler_address() == "tcp://192.0.2.1:8786"
    with dask.config.set({"scheduler-address": None}):
        assert scheduler_address() is None
    with dask.config.set({"scheduler-address": ""}):
        assert scheduler_address() is None


CALLS: list[tuple[Any, int]] = []


def record(item: Any, offset: int, scale: int) -> tuple[Any, int]:
    CALLS.append((item, threading.get_ident()))
    return item, item * scale + offset


def test_without_a_client_the_tasks_run_here_in_order() -> None:
    CALLS.clear()
    assert run_tasks(record, [3, 1, 2], {"offset": 10, "scale": 2}, None) == [(3, 16), (1, 12), (2, 14)]
    assert [(3, threading.get_ident()), (1, threading.get_ident()), (2, threading.get_ident())] == CALLS


def test_on_a_client_every_item_is_one_task_on_the_workers(
    scheduler: distributed.LocalCluster, progress_lines: list[str]
) -> None:
    """Results in the items' order; an item given twice runs twice (tasks are not merged as pure)."""
    CALLS.clear()
    with distributed.Client(scheduler, set_as_default=False) as client:
        results = run_tasks(record, [5, 4, 4, 1], {"offset": 1, "scale": 3}, client)
    assert results == [(5, 16), (4, 13), (4, 13), (1, 4)]
    assert sorted(item for item, _ in CALLS) == [1, 4, 4, 5]
    assert threading.get_ident() not in {thread for _, thread in CALLS}
    assert progress_lines == ["sweep: 4 tasks submitted"]


def test_a_named_scheduler_is_connected_to_not_made_the_default_and_closed_after(
    scheduler: distributed.LocalCluster, progress_lines: list[str]
) -> None:
    address = scheduler.scheduler_address
    with dask_client(7, address) as client:
        assert client.status == "running"
        assert len(client.scheduler_info()["workers"]) == 2  # the scheduler's workers, not 7 new ones
        with pytest.raises(ValueError, match="No clients found"):
            distributed.default_client()
        assert run_tasks(record, [2], {"offset": 0, "scale": 1}, client) == [(2, 2)]
    assert client.status == "closed"
    assert progress_lines[0] == f"sweep: on the Dask cluster at {address}"


def test_an_unreachable_scheduler_is_one_line_naming_it() -> None:
    with (
        dask.config.set({"distributed.comm.timeouts.connect": "0.5s"}),
        pytest.raises(PipelineError) as error,
        dask_client(1, "tcp://127.0.0.1:9"),
    ):
        pass
    message = str(error.value)
    assert "\n" not in message
    assert re.match(r"dask scheduler tcp://127\.0\.0\.1:9: cannot connect within 0\.5s \(.+\)$", message)


def test_without_an_address_a_local_cluster_of_single_threaded_processes(progress_lines: list[str]) -> None:
    with dask_client(1) as client:
        assert list(client.nthreads().values()) == [1]
        assert client.run(os.getpid) and os.getpid() not in client.run(os.getpid).values()  # another process
        quiet = [
            handler.level
            for handler in logging.getLogger("distributed").handlers
            if isinstance(handler, logging.StreamHandler)
        ]
        assert set(quiet) <= {logging.ERROR}  # Dask's own log lines below errors are silenced meanwhile
        with pytest.raises(ValueError, match="No clients found"):
            distributed.default_client()
    assert client.status == "closed"
    assert progress_lines == ["sweep: on a local Dask cluster of 1 single-threaded workers"]
