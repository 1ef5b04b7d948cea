"""Session 30 (issue 22): a web process keeps what it read of a session for at most a second (app/sessions.py), so
a request costs no session query while the user clicks; an end of the session in another process applies within
that second, and in the process that ends it at once."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from sqlalchemy import text

from app import sessions
from app.auth import add_user
from tests.app.conftest import session_as

pytestmark = pytest.mark.db
URL = "/map-data/classes.json?v=1"  # any page of a planner: 200 with a session, 302 to /login without


def _planner() -> str:
    from sql.engine import connect

    name = f"t-kept-{uuid.uuid4().hex[:8]}"
    with connect() as conn:
        add_user(conn, name, "mat-khau-dai", role="planner", actor="test")
    return name


def _end_elsewhere(session_id: str) -> None:
    """End the session as another web process (or the CLI) would: straight in the database."""
    from sql.engine import connect

    with connect() as conn:
        ended = conn.execute(text("UPDATE sessions SET expires_at = now() - interval '1 second' "
                                  "WHERE id_hash = :h RETURNING 1"), {"h": sessions.id_hash(session_id)}).all()
    assert ended


def test_an_end_in_another_process_applies_within_a_second(flask_client: Any,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    session_id = session_as(flask_client, _planner())
    monkeypatch.setattr(sessions, "KEPT_S", 60.0)  # as if the next request came within the second
    assert flask_client.get(URL).status_code == 200
    _end_elsewhere(session_id)
    assert flask_client.get(URL).status_code == 200  # kept: no query for this request
    monkeypatch.setattr(sessions, "KEPT_S", 1.0)
    time.sleep(1.0)
    refused = flask_client.get(URL)
    assert refused.status_code == 302 and "/login" in refused.headers["Location"]


def test_an_end_in_this_process_applies_at_once(flask_client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from sql.engine import connect

    monkeypatch.setattr(sessions, "KEPT_S", 60.0)
    session_id = session_as(flask_client, _planner())
    assert flask_client.get(URL).status_code == 200
    with connect() as conn:
        assert sessions.end_session(conn, session_id) is not None
    assert flask_client.get(URL).status_code == 302
