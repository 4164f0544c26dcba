"""Parquet files between stages: fixed writer settings and checked schemas.

Writer settings are pinned (no timestamps, fixed compression and row-group size), so the
same data always gives the same bytes and DVC's cache is hit.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipelib.atomic import atomic_path
from pipelib.errors import PipelineError

# One row group holds up to a million images, so a training set reads back as one chunk
# that numpy can view without a copy.
ROW_GROUP_SIZE = 1 << 20


def use_system_allocator() -> None:
    """Let arrow return freed buffers to the OS at once (entry points call this).

    Arrow's default pool keeps freed buffers, which added a dead copy of the data set to
    every stage's peak memory.
    """
    pa.set_memory_pool(pa.system_memory_pool())


def write_table(table: pa.Table, target: str | os.PathLike[str]) -> None:
    """Write ``table`` to parquet atomically with the project's fixed writer settings."""
    with atomic_path(target) as tmp:
        pq.write_table(
            table,
            tmp,
            compression="zstd",
            compression_level=3,
            row_group_size=ROW_GROUP_SIZE,
            use_dictionary=False,
            write_statistics=True,
            write_page_checksum=True,
        )


def read_table(source: str | os.PathLike[str], schema: pa.Schema, columns: list[str] | None = None) -> pa.Table:
    """Read a parquet file and check it has ``schema``'s columns and types (extra columns are refused)."""
    source = Path(source)
    try:
        found = pq.read_schema(source)
    except FileNotFoundError:
        raise PipelineError(f"{source}: file not found (run the stage that writes it: dvc repro)") from None
    except (pa.ArrowInvalid, OSError) as error:
        raise PipelineError(f"{source}: not a readable parquet file ({error})") from None
    expected = {item.name: item.type for item in schema}
    got = {item.name: item.type for item in found}
    if list(got) != list(expected):
        raise PipelineError(f"{source}: columns {list(got)}, expected {list(expected)}")
    for name, kind in expected.items():
        if got[name] != kind:
            raise PipelineError(f"{source}: column '{name}' has type {got[name]}, expected {kind}")
    try:
        return pq.read_table(source, columns=columns, page_checksum_verification=True)
    except (pa.ArrowInvalid, OSError) as error:
        raise PipelineError(f"{source}: corrupt parquet data ({error})") from None
