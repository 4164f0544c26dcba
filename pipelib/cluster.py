"""Where the hyperparameter sweep's tasks run: in process, a local Dask cluster, or a named one.

The scheduler is not a parameter (it does not change the results): Dask's own configuration names
it (``DASK_SCHEDULER_ADDRESS``); with none, a local cluster is started for the run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from pipelib.errors import PipelineError
from pipelib.log import progress

Result = TypeVar("Result")


def scheduler_address() -> str | None:
    """The configured Dask scheduler, if any (environment or Dask config file)."""
    import dask.config

    address = dask.config.get("scheduler-address", None)
    return str(address) if address else None


@contextmanager
def dask_client(workers: int, address: str | None = None) -> Iterator[Any]:
    """A connected ``distributed.Client``: to ``address``, or to a fresh local cluster of ``workers``.

    An unreachable scheduler is one error line, after Dask's ``distributed.comm.timeouts.connect``.
    """
    import dask.config
    from distributed import Client, LocalCluster

    if address:
        timeout = dask.config.get("distributed.comm.timeouts.connect")
        try:
            client = Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError) as error:
            raise PipelineError(f"dask scheduler {address}: cannot connect within {timeout} ({error})") from None
        progress(f"sweep: on the Dask cluster at {address}")
        with client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=40,
        ) as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        progress(f"sweep: on a local Dask cluster of {workers} single-threaded workers")
        yield client


def run_tasks(
    function: Callable[..., Result], items: Sequence[Any], shared: dict[str, Any], client: Any | None
) -> list[Result]:
    """``function(item, **shared)`` for every item in order: here, or one task each on ``client``.

    ``shared`` (the data) goes to every worker once; Dask reruns a task whose worker died
    elsewhere, so the results do not depend on where they ran.
    """
    if client is None:
        return [function(item, **shared) for item in items]
    scattered = {name: client.scatter(value, broadcast=True, hash=False) for name, value in shared.items()}
    futures = [client.submit(function, item, **scattered, pure=False) for item in items]
    progress(f"sweep: {len(futures)} tasks submitted")
    return list(client.gather(futures))
