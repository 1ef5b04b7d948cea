"""Bulk writes through COPY: the fast path for loading thousands of rows into a staging table."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from psycopg2 import sql as pgsql
from sqlalchemy import Connection, text


def copy_rows(conn: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """COPY ``rows`` into ``table`` (``columns`` in order) on this connection's transaction; return the count.

    Table and column names are composed as quoted identifiers, never formatted into the statement. ``None``
    becomes NULL; geometries should come as hex EWKB strings (PostGIS parses them on input).
    """
    buffer = io.StringIO()
    writer = _csv_writer(buffer)
    count = 0
    for row in rows:
        writer.writerow(["\\N" if value is None else value for value in row])
        count += 1
    _copy_csv(conn, table, columns, buffer)
    return count


def copy_columns(
    conn: Connection, table: str, columns: Sequence[str], data: Sequence[Sequence[Any]]
) -> int:
    """:func:`copy_rows` of rows given column by column (``data[j]``: every row's value of ``columns[j]``).

    No Python object per row: NULLs are marked a column at a time (only in columns that hold a ``None``) and
    the csv module writes the rows straight from ``zip``.
    """
    if len(data) != len(columns):
        raise ValueError(f"{len(columns)} columns named, {len(data)} given")
    count = len(data[0]) if data else 0
    if any(len(values) != count for values in data):
        raise ValueError("the columns differ in length")
    marked = [["\\N" if v is None else v for v in values] if None in values else values for values in data]
    buffer = io.StringIO()
    _csv_writer(buffer).writerows(zip(*marked, strict=True))
    _copy_csv(conn, table, columns, buffer)
    return count


def _csv_writer(buffer: io.StringIO) -> Any:
    # "\r\n" as the terminator makes the csv module quote any value holding a lone "\r" too; with "\n" it
    # did not, and COPY read the "\r" as the end of the row (a survey cell with a carriage return).
    return csv.writer(buffer, lineterminator="\r\n")


def _copy_csv(conn: Connection, table: str, columns: Sequence[str], buffer: io.StringIO) -> None:
    buffer.seek(0)
    statement = pgsql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv, NULL '\\N')").format(
        pgsql.Identifier(table), pgsql.SQL(", ").join(pgsql.Identifier(c) for c in columns)
    )
    raw = conn.connection.dbapi_connection
    assert raw is not None
    cursor = raw.cursor()
    try:
        cursor.copy_expert(statement, buffer)
    finally:
        cursor.close()


def set_actor(conn: Connection, user: str) -> None:
    """Record ``user`` as the author of this transaction's writes in the audit log."""
    conn.execute(text("SELECT set_config('phusong.user', :u, true)"), {"u": user})


def copy_text_lines(conn: Connection, table: str, columns: Sequence[str], lines: Iterable[str]) -> int:
    """COPY pre-formatted rows (PostgreSQL text format: tab-separated, ``\\N`` for NULL, one per line).

    For wide rows the caller has already made safe (numbers, booleans, hex EWKB, escaped text): skips the csv
    module's quoting scan, which dominates when rows carry megabytes of geometry.
    """
    buffer = io.StringIO()
    count = 0
    for line in lines:
        buffer.write(line)
        buffer.write("\n")
        count += 1
    buffer.seek(0)
    statement = pgsql.SQL("COPY {} ({}) FROM STDIN").format(
        pgsql.Identifier(table), pgsql.SQL(", ").join(pgsql.Identifier(c) for c in columns)
    )
    raw = conn.connection.dbapi_connection
    assert raw is not None
    cursor = raw.cursor()
    try:
        cursor.copy_expert(statement, buffer)
    finally:
        cursor.close()
    return count


def copy_text_value(value: object) -> str:
    """Format one value for COPY text format: NULL as ``\\N``, booleans as t/f, text escaped."""
    if value is None or (isinstance(value, float) and value != value):  # NaN is stored as NULL
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, str):
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return str(value)


@contextmanager
def batch_audit(conn: Connection, batch_id: int) -> Iterator[None]:
    """Audit the inserts of this block as one ``bulk_insert`` row of batch ``batch_id`` (migration 0013).

    Only inserts whose every row carries ``batch_id`` are recorded that way; updates, deletes and any other
    insert stay audited row by row. The declaration ends with the block; on an error it ends with the
    transaction or savepoint the caller rolls back (a set_config is undone with it), as the failed
    transaction cannot run the reset.
    """
    conn.execute(text("SELECT set_config('phusong.audit_batch', :b, true)"), {"b": str(int(batch_id))})
    yield
    conn.execute(text("SELECT set_config('phusong.audit_batch', '', true)"))
