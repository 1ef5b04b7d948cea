"""One SQLAlchemy engine per URL and a transaction context manager.

The pool holds ``PHUSONG_DB_POOL_SIZE`` connections (default 5; `phusong serve --workers N --threads T` sets it to T,
so each thread keeps one instead of opening and closing connections past the fifth under load). A connection idle for
more than ``PING_AFTER_IDLE_S`` is tested before use (a restarted server or a dropped link: a fresh one is taken);
one used a moment ago is not (pool_pre_ping's round trip on every checkout was ~7 % of a web process's time under
bench.mixed_load). A connection broken while in use fails that request, and SQLAlchemy empties the pool then.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, exc

from sql.settings import Settings, get_settings

POOL_SIZE_ENV = "PHUSONG_DB_POOL_SIZE"
PING_AFTER_IDLE_S = 1.0


@lru_cache(maxsize=8)
def _engine_for(url: str) -> Engine:
    engine = create_engine(url, future=True, pool_size=int(os.environ.get(POOL_SIZE_ENV) or 5), max_overflow=10)

    def idle_from(_dbapi: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    def ping_after_idle(dbapi: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get("idle_since", 0.0) <= PING_AFTER_IDLE_S:
            return
        try:
            alive = engine.dialect.do_ping(dbapi)
        except engine.dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError() from error  # the pool tries again with a fresh connection
        if not alive:
            raise exc.DisconnectionError()

    event.listen(engine, "checkin", idle_from)
    event.listen(engine, "checkout", ping_after_idle)
    return engine


def get_engine(settings: Settings | None = None) -> Engine:
    """Return the engine for these settings (created once per process and URL)."""
    return _engine_for((settings or get_settings()).sqlalchemy_url)


@contextmanager
def connect(engine: Engine | None = None) -> Iterator[Connection]:
    """Open a connection inside one transaction: committed on success, rolled back on error."""
    with (engine or get_engine()).begin() as conn:
        yield conn
