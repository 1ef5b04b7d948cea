"""Where the read-only queries of /tiles and /ogcapi go: a streaming replica when ``PHUSONG_READ_DATABASE_URL``
names one (README: Deploying for a province or the whole country), else the primary.

A replica is at most a few seconds behind the primary (streaming replication); tiles and items pages are checked
against versions read from the same replica (app/live_gis/tile_versions.py, pages.py), so what is kept is never
newer than what the replica shows, and at most as far behind the primary as the replica is. Token checks and
their audit rows stay on the primary: a revoked token must stop at once, and a replica cannot be written.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Connection, Engine, create_engine

from sql.engine import connect
from sql.settings import to_psycopg2_url

READ_URL_ENV = "PHUSONG_READ_DATABASE_URL"


@contextmanager
def read_connect() -> Iterator[Connection]:
    """A read transaction on the replica (or on the primary when none is configured)."""
    url = os.environ.get(READ_URL_ENV)
    if not url:
        with connect() as conn:
            yield conn
        return
    with connect(_replica(url)) as conn:
        yield conn


@lru_cache(maxsize=2)
def _replica(url: str) -> Engine:
    return create_engine(to_psycopg2_url(url), pool_pre_ping=True)
