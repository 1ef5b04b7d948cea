"""The thread that makes items pages ahead (app/live_gis/ahead.py) says why a look failed instead of swallowing it,
keeps looking, and ends when told (as the coverage refresher does)."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from app.auth import User
from app.live_gis import ahead, pages
from app.live_gis.collections import COLLECTIONS
from sql.cluster import free_loopback_port
from sql.settings import get_settings


def _running() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "items-made-ahead" and t.is_alive()]


def test_a_failed_look_is_logged_and_the_watcher_stops(monkeypatch: pytest.MonkeyPatch,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    # Nothing listens there: reading the data version fails as with the database away.
    monkeypatch.setenv("PHUSONG_DATABASE_URL", f"postgresql+psycopg2://postgres@127.0.0.1:{free_loopback_port()}/x")
    get_settings.cache_clear()
    monkeypatch.setattr(ahead, "WATCH_S", 0.05)
    request = pages.PageRequest(COLLECTIONS["communes"], "http://127.0.0.1/ogcapi", (("limit", "10"),), 0,
                                User("stop-test", "planner", ()), "")
    caplog.set_level(logging.ERROR, logger="app.live_gis.ahead")
    try:
        for _ in range(2):  # asked twice: worth making ahead, so the watcher reads the version
            ahead.asked(request, lambda r: ([b"{}"], None))
        deadline = time.monotonic() + 30
        while not caplog.records and time.monotonic() < deadline:
            time.sleep(0.05)
        assert any("not made ahead" in r.getMessage() for r in caplog.records)
        assert len(_running()) == 1
        ahead.WATCHER.stop()
        assert not _running()
    finally:
        ahead.WATCHER.stop()
        ahead._ASKED.clear()
        get_settings.cache_clear()
