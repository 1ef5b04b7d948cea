"""One SQLAlchemy engine per URL and a transaction context manager."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Connection, Engine, create_engine

from sql.settings import Settings, get_settings


@lru_cache(maxsize=8)
def _engine_for(url: str) -> Engine:
    return create_engine(url, pool_pre_ping=True, future=True)


def get_engine(settings: Settings | None = None) -> Engine:
    """Return the engine for these settings (created once per process and URL)."""
    return _engine_for((settings or get_settings()).sqlalchemy_url)


@contextmanager
def connect(engine: Engine | None = None) -> Iterator[Connection]:
    """Open a connection inside one transaction: committed on success, rolled back on error."""
    with (engine or get_engine()).begin() as conn:
        yield conn
