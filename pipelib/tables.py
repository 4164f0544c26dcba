"""Parquet files between stages: fixed writer settings and checked schemas.

Writer settings are pinned (no timestamps, fixed compression and row-group size), so the
same data always gives the same bytes and DVC's cache is hit.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
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


# Bytes a parquet page may spend beyond its values: page headers, definition levels.
PER_ROW_SLACK = 2
PER_CHUNK_SLACK = 64 * 1024
BATCH_BUFFER_BYTES = 1 << 20  # iter_batches: bytes of a column chunk read at a time
READ_BATCH_ROWS = 1 << 17  # read_table: rows per batch, pyarrow.dataset's default batch size
DEFAULT_TEXT_BYTES = 1024  # a text cell: 256 characters of up to 4 bytes each in UTF-8


def value_bytes(kind: pa.DataType, max_text_bytes: int) -> int:
    """Most bytes one value of ``kind`` takes in a parquet page before compression."""
    if pa.types.is_fixed_size_binary(kind):
        return kind.byte_width
    if pa.types.is_string(kind) or pa.types.is_binary(kind):
        return 4 + max_text_bytes  # a length prefix, then the bytes
    if pa.types.is_boolean(kind) or pa.types.is_integer(kind) or pa.types.is_floating(kind):
        return max(4, kind.bit_width // 8)  # parquet stores integers narrower than 32 bits as INT32
    raise TypeError(f"no size bound for parquet columns of type {kind}")


def check_size(source: Path, metadata: pq.FileMetaData, schema: pa.Schema, max_rows: int, max_text_bytes: int) -> None:
    """Refuse a file whose footer announces more rows, or larger columns, than the reader expects.

    The footer is all that has been read at this point: a small file that would unpack to
    a huge table is refused before a single page is decompressed.
    """
    rows = metadata.num_rows
    if not 0 <= rows <= max_rows:
        raise PipelineError(f"{source}: {rows:,} rows, more than the {max_rows:,} this file may hold")
    groups = [metadata.row_group(index) for index in range(metadata.num_row_groups)]
    if sum(group.num_rows for group in groups) != rows:
        raise PipelineError(f"{source}: its row groups do not add up to the {rows:,} rows its footer announces")
    if metadata.num_columns != len(schema):
        raise PipelineError(f"{source}: {metadata.num_columns} parquet columns, expected {len(schema)}")
    for index, item in enumerate(schema):
        size = sum(group.column(index).total_uncompressed_size for group in groups)
        limit = rows * (value_bytes(item.type, max_text_bytes) + PER_ROW_SLACK) + PER_CHUNK_SLACK * (len(groups) + 1)
        if not 0 <= size <= limit:
            raise PipelineError(
                f"{source}: column '{item.name}' unpacks to {size:,} bytes, more than {rows:,} rows of {item.type} take"
            )


@contextmanager
def _checked_parquet(
    source: Path, schema: pa.Schema, max_rows: int, max_text_bytes: int, **options: int
) -> Iterator[tuple[pa.NativeFile, pq.ParquetFile]]:
    """The open file and its parquet reader (``options``), schema and footer sizes checked (see :func:`read_table`)."""
    try:
        handle = pa.OSFile(str(source))
    except FileNotFoundError:
        raise PipelineError(f"{source}: file not found (run the stage that writes it: dvc repro)") from None
    except OSError as error:
        raise PipelineError(f"{source}: not a readable parquet file ({error})") from None
    with handle:
        try:
            parquet = pq.ParquetFile(handle, page_checksum_verification=True, **options)
            found = parquet.schema_arrow
        except (pa.ArrowInvalid, OSError) as error:
            raise PipelineError(f"{source}: not a readable parquet file ({error})") from None
        expected = {item.name: item.type for item in schema}
        got = {item.name: item.type for item in found}
        if list(got) != list(expected):
            raise PipelineError(f"{source}: columns {list(got)}, expected {list(expected)}")
        for name, kind in expected.items():
            if got[name] != kind:
                raise PipelineError(f"{source}: column '{name}' has type {got[name]}, expected {kind}")
        check_size(source, parquet.metadata, schema, max_rows, max_text_bytes)
        yield handle, parquet


def read_table(
    source: str | os.PathLike[str],
    schema: pa.Schema,
    *,
    max_rows: int,
    columns: list[str] | None = None,
    max_text_bytes: int = DEFAULT_TEXT_BYTES,
) -> pa.Table:
    """Read a parquet file with ``schema``'s columns and types (extra columns are refused).

    Before any data is read, the footer's row count must be at most ``max_rows`` and each
    column's unpacked size what that many rows of its type can take (text cells at most
    ``max_text_bytes``). The checks and the read use one open handle.
    """
    source = Path(source)
    with _checked_parquet(source, schema, max_rows, max_text_bytes) as (_, parquet):
        found = parquet.schema_arrow  # the checked columns, with the file's metadata
        selected = pa.schema([found.field(name) for name in columns], metadata=found.metadata) if columns else found
        try:
            # Batches of each row group, as pq.read_table cuts them (so a table written back has the same
            # bytes), without importing pyarrow.dataset and pandas as pq.read_table does: 0.25 s a stage.
            batches = [
                batch
                for group in range(parquet.num_row_groups)
                for batch in parquet.iter_batches(batch_size=READ_BATCH_ROWS, row_groups=[group], columns=columns)
            ]
            return pa.Table.from_batches(batches, schema=selected)
        except (pa.ArrowInvalid, OSError) as error:
            raise PipelineError(f"{source}: corrupt parquet data ({error})") from None


def iter_batches(
    source: str | os.PathLike[str], schema: pa.Schema, *, max_rows: int, batch_rows: int
) -> Iterator[tuple[int, pa.RecordBatch]]:
    """(the file's row count, a batch of at most ``batch_rows`` rows) in order, checked as :func:`read_table` checks.

    Only a batch's pages are held at a time, so memory does not grow with the file.
    """
    source = Path(source)
    # buffer_size: a column chunk is read a buffer at a time, not whole
    with _checked_parquet(source, schema, max_rows, DEFAULT_TEXT_BYTES, buffer_size=BATCH_BUFFER_BYTES) as (_, parquet):
        rows = parquet.metadata.num_rows
        try:
            for batch in parquet.iter_batches(batch_size=batch_rows, use_threads=False):
                yield rows, batch
        except (pa.ArrowInvalid, OSError) as error:
            raise PipelineError(f"{source}: corrupt parquet data ({error})") from None


def column_values(table: pa.Table, name: str) -> np.ndarray:
    """A fixed-width number or boolean column as one numpy array; check its null_count first (nulls are not masked).

    Read from arrow's buffers because arrow's own ``to_numpy`` starts its pandas bridge, which
    imports pandas: 0.25 s of the start of every stage that reads a table and uses no pandas.
    """
    column = table.column(name)
    kind = column.type
    if not (pa.types.is_boolean(kind) or pa.types.is_integer(kind) or pa.types.is_floating(kind)):
        raise TypeError(f"column '{name}' has type {kind}, not a fixed-width number or boolean")
    parts = []
    for chunk in column.chunks:
        data, start, size = chunk.buffers()[1], chunk.offset, len(chunk)
        if pa.types.is_boolean(kind):  # one bit per value, least significant first
            bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8), count=start + size, bitorder="little")
            parts.append(bits[start:].astype(bool))
        else:
            dtype = np.dtype(kind.to_pandas_dtype())
            parts.append(np.frombuffer(data, dtype=dtype, count=size, offset=start * dtype.itemsize))
    if not parts:
        return np.empty(0, dtype=bool if pa.types.is_boolean(kind) else kind.to_pandas_dtype())
    return parts[0] if len(parts) == 1 else np.concatenate(parts)
