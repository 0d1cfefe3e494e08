"""The child process of :mod:`.sqlite_arrow`: it reads SQLite into Arrow with ADBC's driver.

This module runs only in children (``python -c "...arrow_child import serve; serve()" FD``):
ADBC's SQLite driver links its own copy of SQLite, which must never be loaded next to the
server's (:mod:`.sqlite_arrow` says why). It imports nothing of Bocage, so that a child costs
an interpreter, pyarrow and the driver, and nothing else.

The protocol, over one socket (``multiprocessing.connection.Connection`` messages):

- the child sends :data:`HELLO` once it has imported what it needs;
- the server sends a job (JSON, :func:`_run`); the child opens its read transaction and
  answers :data:`READY`, then sends record batches (Arrow IPC messages of the job's
  ``schema``; with ``lines``, each batch's NDJSON lines instead: :mod:`.arrow_lines`),
  :data:`END` after each range, :data:`DONE` at the end, or
  :data:`ERROR` followed by the reason; then it waits for the next job;
- the child ends when the server's end of the socket closes (the server ended, or killed
  it: a client left mid-export).
"""

from __future__ import annotations

import base64
import json
from multiprocessing.connection import Connection
from typing import Any, NamedTuple
from urllib.parse import quote

from bocage.plugins.opendata.processes import HELLO, connect

READY = b"R"
END = b"E"
DONE = b"D"
ERROR = b"X"
#: The types a column is read as: SQLite's storage classes, as the statement casts them.
STORAGE = {"i": "int64", "f": "float64", "t": "string"}


class Sending(NamedTuple):
    """How a job's batches are sent (:func:`_send`): read as ``storage`` (the storage
    classes), sent as ``declared`` (the export's types), or as their NDJSON ``lines``."""

    storage: Any
    declared: Any
    lines: bool


def serve() -> None:
    """A child's life: jobs one after the other until the server's end closes."""
    connection = connect()
    # ADBC's driver manager and driver without their DB-API module, which imports
    # pyarrow.dataset: 25 MiB a child for nothing (imported before HELLO: jobs start at once)
    import adbc_driver_manager  # noqa: F401
    import adbc_driver_sqlite  # noqa: F401
    import pyarrow  # noqa: F401

    try:
        connection.send_bytes(HELLO)
        while True:
            job = json.loads(connection.recv_bytes())
            try:
                _run(connection, job)
            except ConnectionError:
                raise
            except Exception as error:  # the statement's, the file's: the server falls back
                connection.send_bytes(ERROR + str(error).encode())
    except (EOFError, ConnectionError, KeyboardInterrupt):
        return


def _run(connection: Connection, job: dict[str, Any]) -> None:
    """One export's reads, in one read transaction (one snapshot): ``READY`` once it is
    open, then each range's batches in key order (``ranges``: the statement's rows with
    ``?1 < key <= ?2``) or the statement's batches (no ranges)."""
    import adbc_driver_manager as manager
    import adbc_driver_sqlite
    import pyarrow as pa

    storage = pa.schema([(f"c{i}", STORAGE[s]) for i, s in enumerate(job["storage"])])
    declared = pa.ipc.read_schema(pa.py_buffer(base64.b64decode(job["schema"])))
    sending = Sending(storage, declared, bool(job.get("lines")))
    with (
        adbc_driver_sqlite.connect(f"file:{quote(job['path'])}?mode=rw") as database,
        manager.AdbcConnection(database) as sqlite,  # autocommit: BEGIN is ours
        manager.AdbcStatement(sqlite) as statement,
    ):
        for sql in ("PRAGMA query_only=ON", f"PRAGMA busy_timeout={int(job['busy_ms'])}"):
            _update(statement, sql)
        _update(statement, "BEGIN")
        _query(statement, "SELECT count(*) FROM sqlite_schema").read_all()  # the snapshot
        connection.send_bytes(READY)
        rows = str(int(job["rows"]))
        statement.set_options(**{"adbc.sqlite.query.batch_rows": rows})
        if job["ranges"] is None:
            for batch in _query(statement, job["sql"]):
                _send(connection, _unflagged(batch, job["flags"]), sending)
            connection.send_bytes(END)
        else:
            for low, high in job["ranges"]:
                _read_range(connection, statement, job, low, high, sending)
                connection.send_bytes(END)
        _update(statement, "ROLLBACK")
        connection.send_bytes(DONE)
    pa.default_memory_pool().release_unused()  # an idle child gives its batches back


def _update(statement: Any, sql: str) -> None:
    statement.set_sql_query(sql)
    statement.execute_update()


def _query(statement: Any, sql: str, parameters: Any = None) -> Any:
    """The reader of ``sql``'s batches (``parameters``: a one-row record batch to bind)."""
    import pyarrow as pa

    statement.set_sql_query(sql)
    if parameters is not None:
        statement.bind(parameters)
    handle, _ = statement.execute_query()
    return pa.RecordBatchReader.from_stream(handle)


def _read_range(
    connection: Connection,
    statement: Any,
    job: dict[str, Any],
    low: Any,
    high: Any,
    sending: Sending,
) -> None:
    """The rows ``low < key <= high``, ``job["rows"]`` at a time: each statement (``LIMIT``)
    is read as exactly one batch, whose types ADBC infers from that batch alone, and the
    next starts after its last key (column ``job["key"]``, dropped when it is not a field).
    ``None``: no end (a float infinity, which SQLite compares with every integer and still
    seeks in the key's index)."""
    import pyarrow as pa

    sql, rows, key = job["sql"], int(job["rows"]), int(job["key"])
    after = float("-inf") if low is None else low
    end = float("inf") if high is None else high
    while True:
        bounds = pa.record_batch([pa.array([after]), pa.array([end])], names=["low", "high"])
        table = _query(statement, sql, bounds).read_all()
        if table.num_rows:
            after = table.column(key)[-1].as_py()
            if key == len(sending.storage):  # the key is not a field
                table = table.drop_columns([table.column_names[key]])
            for batch in table.to_batches():
                _send(connection, batch, sending)
        if table.num_rows < rows:
            return


def _unflagged(batch: Any, flags: list[list[int]]) -> Any:
    """A batch of a statement read at once (no ranges): a column that may be null is read
    with a stand-in value (typed in every batch, so ADBC infers the same type from any first
    batch) and a bit of a flag column (``flags``: the column's ``[flag column, bit]``, the
    flag columns last) says that it is null."""
    import pyarrow as pa
    import pyarrow.compute as pc

    width = batch.num_columns - len({flag for flag, _ in flags if flag >= 0})
    columns = []
    for i in range(width):
        column = batch.column(i)
        flag, bit = flags[i]
        if flag >= 0:
            nulls = pc.not_equal(pc.bit_wise_and(batch.column(width + flag), 1 << bit), 0)
            column = pc.if_else(nulls, pa.scalar(None, column.type), column)
        columns.append(column)
    return pa.RecordBatch.from_arrays(columns, names=[f"c{i}" for i in range(width)])


def _send(connection: Connection, batch: Any, sending: Sending) -> None:
    """``batch`` as the export's schema (``sending.declared``), or its NDJSON lines. A column
    null in every row of its batch is the only one ADBC may have typed otherwise than its
    storage class (as integers); dates and times are converted from their text (UTC),
    booleans from 0 and 1, here rather than in the server, which writes the Parquet
    meanwhile."""
    import pyarrow as pa

    storage, declared, lines = sending
    columns = []
    for column, stored, wanted in zip(batch.columns, storage.types, declared.types, strict=True):
        if column.type != stored:
            if column.null_count != len(column):
                raise TypeError(f"a column of {column.type} where {stored} was cast")
            column = pa.nulls(len(column), wanted)
        elif stored != wanted:
            if pa.types.is_timestamp(wanted) and wanted.tz is not None:
                column = column.cast(pa.timestamp(wanted.unit))
            column = column.cast(wanted)
        columns.append(column)
    typed = pa.RecordBatch.from_arrays(columns, schema=declared)
    if lines:
        from bocage.plugins.opendata.arrow_lines import ndjson, slices

        for part in slices(typed):
            if data := ndjson(part):
                connection.send_bytes(data)
        return
    connection.send_bytes(memoryview(typed.serialize()))
