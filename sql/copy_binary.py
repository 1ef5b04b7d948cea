"""COPY ... FROM STDIN in PostgreSQL's binary format: rows whose geometries come as EWKB bytes.

The server reads a binary EWKB field with PostGIS's own receive function, without parsing text: for the
national coverage (3,321 rows, ~40 MB of geometry) 0.2 s of server CPU instead of 0.35 s for the same rows as
hex EWKB text, half the bytes, and no hex to make.
"""

from __future__ import annotations

import io
import json
import math
import struct
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection

from sql import queries
from sql.bulk import copy_stream

_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)  # no OIDs, no header extension
_TRAILER = struct.pack(">h", -1)
_NULL = struct.pack(">i", -1)
_EPOCH = date(2000, 1, 1).toordinal()


def _text(value: Any) -> bytes:
    data = str(value).encode("utf-8")
    return struct.pack(">i", len(data)) + data


def _jsonb(value: Any) -> bytes:
    data = b"\x01" + (value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)).encode("utf-8")
    return struct.pack(">i", len(data)) + data


# The binary form of each column type phusong sends this way (PostgreSQL's *_send functions), by pg_type name.
_ENCODERS: dict[str, Callable[[Any], bytes]] = {
    "text": _text,
    "int8": lambda v: struct.pack(">iq", 8, int(v)),
    "int4": lambda v: struct.pack(">ii", 4, int(v)),
    "float8": lambda v: struct.pack(">id", 8, float(v)),
    "bool": lambda v: struct.pack(">ib", 1, bool(v)),
    "date": lambda v: struct.pack(">ii", 4, v.toordinal() - _EPOCH),
    "jsonb": _jsonb,
}


def copy_binary_rows(
    conn: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """COPY ``rows`` into ``table`` (``columns`` in order) in binary format, on this connection's transaction.

    Values by the column's type (text, bigint, integer, double precision, boolean, date, jsonb as a JSON
    string or object); ``bytes`` go as they are, the type's binary form the caller made (EWKB for a
    geometry). ``None`` and NaN are NULL. Returns the count. Table and column names are composed as quoted
    identifiers, never formatted into the statement.
    """
    encoders = _column_encoders(conn, table, columns)
    buffer = io.BytesIO()
    buffer.write(_SIGNATURE)
    field_count = struct.pack(">h", len(columns))
    count = 0
    for row in rows:
        buffer.write(field_count)
        for value, encode in zip(row, encoders, strict=True):
            buffer.write(_binary_value(value, encode))
        count += 1
    buffer.write(_TRAILER)
    buffer.seek(0)
    copy_stream(conn, table, columns, buffer, copy_format="binary")
    return count


def _binary_value(value: Any, encode: Callable[[Any], bytes] | None) -> bytes:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return _NULL
    if isinstance(value, bytes):
        return struct.pack(">i", len(value)) + value
    if encode is None:
        raise TypeError(f"no binary COPY form for {value!r}: give this column's values as bytes")
    return encode(value)


def _column_encoders(
    conn: Connection, table: str, columns: Sequence[str]
) -> list[Callable[[Any], bytes] | None]:
    """Each column's encoder from its type in the catalog (None for a type only sent as bytes)."""
    rows = conn.execute(queries.load("table_column_types"), {"table_name": table}).all()
    types = {str(r.column_name): str(r.type_name) for r in rows}
    missing = [c for c in columns if c not in types]
    if missing:
        raise KeyError(f"table {table!r} has no column {', '.join(map(repr, missing))}")
    return [_ENCODERS.get(types[c]) for c in columns]
