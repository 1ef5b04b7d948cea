"""Bulk writes through COPY: the fast path for loading thousands of rows into a staging table."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import psycopg2
import pyarrow as pa
import pyarrow.compute as pc
from psycopg2 import sql as pgsql
from sqlalchemy import Connection, text

from sql import queries


def copy_rows(conn: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """COPY ``rows`` into ``table`` (``columns`` in order) on this connection's transaction; return the count.

    Table and column names are composed as quoted identifiers, never formatted into the statement. ``None``
    becomes NULL; geometries should come as hex EWKB strings (PostGIS parses them on input).
    """
    buffer = io.StringIO()
    # "\r\n" as the terminator makes the csv module quote any value holding a lone "\r" too; with "\n" it
    # did not, and COPY read the "\r" as the end of the row (a survey cell with a carriage return).
    writer = csv.writer(buffer, lineterminator="\r\n")
    count = 0
    for row in rows:
        writer.writerow(["\\N" if value is None else value for value in row])
        count += 1
    buffer.seek(0)
    copy_stream(conn, table, columns, buffer, copy_format="csv")
    return count


def copy_columns(
    conn: Connection,
    table: str,
    columns: Sequence[str],
    data: Sequence[Sequence[Any] | np.ndarray[Any, Any] | pa.Array],
    rows: np.ndarray[Any, Any] | Iterable[np.ndarray[Any, Any]] | None = None,
) -> int:
    """:func:`copy_rows` of rows given column by column (``data[j]``: every row's value of ``columns[j]``, a list,
    a numpy array or an arrow array; a bytes array holds ASCII text, e.g. :func:`ewkb_points_hex`); return how
    many rows went.

    ``rows`` picks the rows to send and their order (numpy columns only): an index array, or index arrays one
    chunk at a time, each asked for as the previous chunk is sent (the caller may fill the columns' values for a
    chunk's rows meanwhile).

    No Python call per value where a column allows: each column is formatted at once for COPY's text format by
    arrow (:func:`copy_text_value`'s rules: NULL as ``\\N``, booleans t/f, text escaped; NaN is NULL), and the
    rows are joined by arrow too: 0.1 s for 200,000 facilities, where a Python string per cell and per row took
    ~1.1 s and the csv module ~1.5 s (bench/etl.py).
    The rows go in chunks, each picked and formatted as the previous one is sent: PostgreSQL parses and stores
    a chunk (on the other core) while the next is made, instead of waiting for the whole text.
    """
    if len(data) != len(columns):
        raise ValueError(f"{len(columns)} columns named, {len(data)} given")
    length = len(data[0]) if data else 0
    if any(len(values) != length for values in data):
        raise ValueError("the columns differ in length")
    if rows is not None and not all(isinstance(values, np.ndarray | pa.Array) for values in data):
        raise TypeError("rows picks from numpy and arrow arrays only")
    parts: Iterable[slice | np.ndarray[Any, Any]]
    if rows is None:
        parts = (slice(start, start + COPY_CHUNK_ROWS) for start in range(0, length, COPY_CHUNK_ROWS))
    elif isinstance(rows, np.ndarray):
        parts = (rows[start : start + COPY_CHUNK_ROWS] for start in range(0, len(rows), COPY_CHUNK_ROWS))
    else:
        parts = rows
    sent = 0

    def chunks() -> Iterator[bytes]:
        nonlocal sent
        for part in parts:
            formatted = [_copy_text_column(_pick(values, part)) for values in data]
            if formatted and len(formatted[0]):  # an empty chunk would read as the end of the data
                sent += len(formatted[0])
                yield _copy_text_lines(formatted)

    copy_stream(conn, table, columns, _Chunks(chunks()), copy_format="text")
    return sent


COPY_CHUNK_ROWS = 10_000  # ~1.5 MB of a facility survey: big enough to amortise, small enough to overlap
EWKB_POINT_HEX = np.dtype("S50")  # what ewkb_points_hex gives: 25 bytes of a point with an SRID, in hex


def _pick(
    values: Sequence[Any] | np.ndarray[Any, Any] | pa.Array, part: slice | np.ndarray[Any, Any]
) -> Sequence[Any] | np.ndarray[Any, Any] | pa.Array:
    if isinstance(values, np.ndarray):
        return values[part]
    if isinstance(values, pa.Array) and isinstance(part, np.ndarray):
        return values.take(pa.array(part, type=pa.int64()))
    assert isinstance(part, slice)  # copy_columns refuses index arrays over lists
    return values[part]


class _Chunks:
    """A read()-able stream over chunks of COPY data, for psycopg2's copy_expert (which sends whatever read()
    gives).

    An exception raised while a chunk is made (a refusal decided mid-COPY) is kept in ``failed``: psycopg2 turns
    it into ``QueryCanceled: COPY from stdin failed: error in .read() call``, and :func:`copy_stream` raises the
    kept one again instead, so the user sees the refusal, not a database error.
    """

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self.failed: BaseException | None = None

    def read(self, size: int = -1) -> bytes:
        try:
            return next(self._chunks, b"")
        except BaseException as exc:
            self.failed = exc
            raise


def _copy_text_column(values: Sequence[Any] | np.ndarray[Any, Any] | pa.Array) -> pa.Array:
    """One column in COPY text format (:func:`copy_text_value`'s rules) as an arrow string array without nulls,
    made in C where arrow types the column at once (text, integers, floats, booleans, ASCII bytes); any other
    column (mixed kinds, dates...) value by value (:func:`_text_column`).

    Floats are written in their shortest form that reads back as the same double ("30", "1e-7"), as
    ``repr`` would but without its ".0": the server stores the same number.
    """
    if isinstance(values, np.ndarray) and values.dtype.kind == "S":  # fixed-width ASCII (hex EWKB)
        width, count = values.dtype.itemsize, len(values)
        offsets = np.arange(0, (count + 1) * width, width, dtype=np.int32)
        return pa.StringArray.from_buffers(count, pa.py_buffer(offsets), pa.py_buffer(values.tobytes()))
    if isinstance(values, pa.Array):
        typed = values
    else:
        try:
            typed = pa.array(values, from_pandas=True)  # None and NaN: null
        except (pa.ArrowException, OverflowError):
            typed = None
    kind = typed.type if typed is not None else None
    if kind is None or not (pa.types.is_string(kind) or pa.types.is_integer(kind) or pa.types.is_floating(kind)
                            or pa.types.is_boolean(kind) or pa.types.is_null(kind)):
        return pa.array(_text_column(list(values)), type=pa.string())
    assert typed is not None
    if pa.types.is_string(kind):
        if _has_special(typed):
            for special, escaped in (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r")):
                typed = pc.replace_substring(typed, special, escaped)
        text_values = typed
    elif pa.types.is_boolean(kind):
        text_values = pc.if_else(typed, "t", "f")
    elif pa.types.is_null(kind):
        text_values = pa.nulls(len(typed), pa.string())
    else:
        text_values = pc.cast(typed, pa.string())
    return pc.fill_null(text_values, "\\N") if text_values.null_count else text_values


def _has_special(cells: pa.Array) -> bool:
    """Whether any cell may hold a character COPY's text format escapes: looked for in the array's bytes at once
    (bytes of the buffer outside the array's cells only make the caller escape what needs none)."""
    data = cells.buffers()[2]
    if data is None:
        return False
    raw = data.to_pybytes()
    return any(special.encode() in raw for special in _SPECIAL)


def _copy_text_lines(columns: Sequence[pa.Array]) -> bytes:
    """Rows of COPY's text format (cells joined by tabs, each row ended by a newline) of formatted columns, as
    UTF-8 bytes: joined by arrow in C, without a Python string per row or per cell."""
    ended = pc.binary_join_element_wise(columns[-1], "", "\n")  # the last cell and the row's end
    lines = pc.binary_join_element_wise(*columns[:-1], ended, "\t") if len(columns) > 1 else ended
    offsets, data = lines.buffers()[1:3]
    assert offsets is not None and data is not None
    start, end = (int(b) for b in np.frombuffer(offsets, dtype=np.int32)[[lines.offset, lines.offset + len(lines)]])
    return data.slice(start, end - start).to_pybytes()


_SPECIAL = ("\\", "\t", "\n", "\r")  # what COPY's text format escapes


def _text_column(values: Sequence[Any]) -> list[str]:
    """One column in COPY text format, as :func:`copy_text_value` would give each value."""
    kinds = set(map(type, values)) - {type(None)}
    if len(kinds) <= 1:  # one type (True == 1 == 1.0 would share a key below)
        distinct = set(values)
        if 4 * len(distinct) < len(values):  # a code, a year, a constant: each distinct value formatted once
            formatted = {v: copy_text_value(v) for v in distinct}
            return list(map(formatted.__getitem__, values))
    nulls = None in values
    if kinds <= {str}:
        present = [v for v in values if v is not None] if nulls else values
        joined = "".join(present)
        if not any(c in joined for c in _SPECIAL):
            return ["\\N" if v is None else v for v in values] if nulls else list(values)
    elif kinds <= {int}:
        return ["\\N" if v is None else str(v) for v in values] if nulls else list(map(str, values))
    elif kinds <= {float}:
        if all(map(math.isfinite, (v for v in values if v is not None) if nulls else values)):
            return ["\\N" if v is None else repr(v) for v in values] if nulls else list(map(repr, values))
    elif kinds == {bool} and not nulls:
        return ["t" if v else "f" for v in values]
    return [copy_text_value(v) for v in values]


def ewkb_points_hex(x: np.ndarray[Any, Any], y: np.ndarray[Any, Any], srid: int) -> np.ndarray[Any, Any]:
    """Points as hex EWKB (what PostGIS reads for a geometry in COPY), made with numpy in one go: an array of
    fixed-width ASCII bytes (``copy_columns`` sends them as text; ``.astype(str)`` makes them str).

    ~0.03 s for 200,000 points where shapely's writer takes ~0.4 s. Little-endian: byte order 1, type
    0x20000001 (a point with an SRID), the SRID, then x and y as float64.
    """
    record = np.dtype([("order", "u1"), ("type", "<u4"), ("srid", "<u4"), ("x", "<f8"), ("y", "<f8")])
    points = np.empty(len(x), dtype=record)
    points["order"], points["type"], points["srid"] = 1, 0x20000001, srid
    points["x"], points["y"] = x, y
    if not len(points):
        return np.zeros(0, dtype=EWKB_POINT_HEX)
    return np.frombuffer(points.tobytes().hex().encode("ascii"), dtype=EWKB_POINT_HEX)


def analyze_after_load(conn: Connection, table: str, rows_written: int) -> bool:
    """Refresh the planner statistics of ``table`` when a load wrote ``rows_written`` of its rows, as many as
    autovacuum would analyze it for; return whether it did (migration 0090).

    Call it at the end of a load, in its transaction: without it the first queries after a big load (the
    first recompute, the map) plan as if the table were empty until autovacuum comes by, a minute or more
    later; a national recompute read its inputs in 84 s instead of 3 s (issue 24).
    """
    analyzed: bool = conn.execute(
        queries.load("analyzed_after_load"), {"table_name": table, "rows_written": rows_written}
    ).scalar_one()
    return analyzed


def set_actor(conn: Connection, user: str, address: str | None = None) -> None:
    """Record ``user`` (and the client ``address``, when known) as the author of this transaction's audited writes."""
    conn.execute(text("SELECT set_config('phusong.user', :u, true), set_config('phusong.address', :a, true)"),
                 {"u": user, "a": address or ""})


_COPY_OPTIONS = {
    "text": pgsql.SQL(""),
    "csv": pgsql.SQL(" WITH (FORMAT csv, NULL '\\N')"),
    "binary": pgsql.SQL(" WITH (FORMAT binary)"),
}


def copy_stream(
    conn: Connection, table: str, columns: Sequence[str], stream: io.IOBase | _Chunks, *, copy_format: str
) -> None:
    """Send ``stream`` (anything with read()) to ``COPY table (columns) FROM STDIN`` in ``copy_format``
    ("text", "csv" or "binary") on this connection's transaction.

    Table and column names are composed as quoted identifiers, never formatted into the statement. An error
    raised by ``stream``'s read() (a :class:`_Chunks`) comes out as itself, not as the COPY's cancellation.
    """
    statement = pgsql.SQL("COPY {} ({}) FROM STDIN{}").format(
        pgsql.Identifier(table), pgsql.SQL(", ").join(pgsql.Identifier(c) for c in columns),
        _COPY_OPTIONS[copy_format],
    )
    raw = conn.connection.dbapi_connection
    assert raw is not None
    cursor = raw.cursor()
    try:
        cursor.copy_expert(statement, stream)
    except psycopg2.Error:
        failed = getattr(stream, "failed", None)
        if failed is not None:  # the COPY was cancelled by an error raised in read(): that one is the answer
            raise failed from None
        raise
    finally:
        cursor.close()


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
