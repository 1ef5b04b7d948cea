"""Reading big query results through COPY ... TO STDOUT: one CSV stream the server writes and pandas parses in C."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from psycopg2 import extensions
from psycopg2 import sql as pgsql
from sqlalchemy import Connection, TextClause


def copy_query_csv(conn: Connection, query: TextClause, binds: Mapping[str, Any]) -> io.BytesIO:
    """Return the rows of ``query`` (a named query, :func:`sql.queries.load`) as CSV with a header line.

    On this connection's transaction. For 10^5 rows and more: 200,000 facilities come in 0.4 s this way
    (pandas.read_csv included) where row fetches made 2.6 million Python objects in 0.9 s. NULL is an
    empty unquoted field, bytea comes as ``\\x`` hex. COPY takes no bind parameters: psycopg2 binds them
    by its own quoting (``mogrify``, what it does for every ``execute``), never by formatting by hand.
    """
    compiled = query.compile(dialect=conn.dialect)
    raw = conn.connection.dbapi_connection
    assert raw is not None
    cursor = raw.cursor()
    try:
        bound = cursor.mogrify(str(compiled), dict(binds)).decode(extensions.encodings[raw.encoding])
        # The query may end in a comment line: the closing parenthesis goes on a line of its own.
        statement = pgsql.SQL("COPY ({}\n) TO STDOUT WITH (FORMAT csv, HEADER)").format(pgsql.SQL(bound))
        buffer = io.BytesIO()
        cursor.copy_expert(statement, buffer)
    finally:
        cursor.close()
    buffer.seek(0)
    return buffer
