"""sql/engine.py's pool (session 30, issue 22): a connection used a moment ago is handed out without a test round
trip (pool_pre_ping's SELECT 1 on every checkout), one idle for longer is tested first, and a connection the
server ended meanwhile is replaced without the caller seeing an error."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from sql import engine as engines

pytestmark = pytest.mark.db


def test_only_idle_connections_are_tested_and_a_dead_one_is_replaced(postgis_url: str,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    engine = engines._engine_for(postgis_url)
    pings: list[Any] = []
    real_ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda dbapi: pings.append(dbapi) or real_ping(dbapi))
    monkeypatch.setattr(engines, "PING_AFTER_IDLE_S", 0.5)
    with engines.connect(engine) as conn:
        first = conn.execute(text("SELECT pg_backend_pid()")).scalar()
    pings.clear()
    for _ in range(5):  # used a moment ago: no round trip before use
        with engines.connect(engine) as conn:
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar() == first
    assert pings == []
    killer = create_engine(postgis_url, poolclass=NullPool)
    with killer.begin() as other:  # the server ends the pooled connection (a restart, a dropped link)
        assert other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first}).scalar()
    killer.dispose()
    time.sleep(0.6)
    with engines.connect(engine) as conn:  # idle: tested, found dead, replaced; the caller sees nothing
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != first
    assert len(pings) >= 1
