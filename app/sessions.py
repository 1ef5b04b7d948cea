"""Server-side sessions: a random id in the browser's cookie, the rest in PostgreSQL (table ``sessions``).

Design
------
- The id is 32 random bytes; the table keeps only its SHA-256, so a copy of the table opens no session.
- A session lives until the user logs out, an admin changes the user's password, role, scope or active flag
  (``app.auth.update_user``), it is idle for ``session_idle_s`` (8 h) or older than ``session_max_s`` (24 h).
- Every web process reads the same table, so any process can end any session: a process keeps what it read of a
  session for at most ``KEPT_S`` (1 s, as app/live_gis/tokens.py keeps a token check), so an end in another
  process applies there within a second, and at once in the process that ended it (``forget_kept``). Under
  bench.mixed_load the check was one query and one pooled connection per request, each click of a page asking
  several callbacks at once.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from typing import Any

from sqlalchemy import Connection

from sql import queries
from sql.engine import connect
from sql.settings import get_settings

USER_AGENT_MAX = 300  # characters of the User-Agent header kept with a session
KEPT_S = 1.0  # how long a process keeps what it read of a session (an end elsewhere applies here within it)
KEPT_MAX = 20_000  # sessions a process keeps; forgotten all at once past it
_kept: dict[str, tuple[float, dict[str, Any] | None]] = {}
_kept_lock = threading.Lock()


def id_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def start_session(conn: Connection, user_name: str, *, ip: str | None, user_agent: str | None) -> str:
    """Store a new session of ``user_name`` and return its id (for the cookie; shown nowhere else)."""
    session_id = secrets.token_urlsafe(32)
    conn.execute(queries.load("inserted_session"), {
        "id_hash": id_hash(session_id), "user_name": user_name, "max_s": get_settings().session_max_s,
        "ip": ip, "user_agent": (user_agent or "")[:USER_AGENT_MAX] or None})
    return session_id


def session_user(conn: Connection, session_id: str) -> dict[str, Any] | None:
    """The user row (name, role, scope_codes, active) of a live session, or None (unknown, idle, expired)."""
    row = conn.execute(queries.load("session_user"), {
        "id_hash": id_hash(session_id), "idle_s": get_settings().session_idle_s}).mappings().first()
    return dict(row) if row else None


def session_user_kept(session_id: str) -> dict[str, Any] | None:
    """``session_user`` as this process read it less than ``KEPT_S`` ago, or read now (its own connection)."""
    now = time.monotonic()
    with _kept_lock:
        found = _kept.get(session_id)
    if found is not None and now - found[0] < KEPT_S:
        return found[1]
    with connect() as conn:
        row = session_user(conn, session_id)
    with _kept_lock:
        if len(_kept) >= KEPT_MAX:
            _kept.clear()
        _kept[session_id] = (now, row)
    return row


def forget_kept() -> None:
    """Forget every session this process keeps (a session ended or a user changed here: it applies at once)."""
    with _kept_lock:
        _kept.clear()


def end_session(conn: Connection, session_id: str) -> str | None:
    """End one session; return its user's name (None when it had ended already)."""
    forget_kept()
    return conn.execute(queries.load("ended_session"), {"id_hash": id_hash(session_id)}).scalar()


def end_user_sessions(conn: Connection, user_name: str) -> int:
    """End every session of ``user_name``; return how many were live or stale."""
    forget_kept()
    ended = conn.execute(queries.load("ended_user_sessions"), {
        "user_name": user_name, "idle_s": get_settings().session_idle_s}).scalars().all()
    return sum(1 for name in ended if name == user_name)


def list_sessions(conn: Connection, user_name: str) -> list[dict[str, Any]]:
    """The live sessions of ``user_name``: ref (8 hex digits of the hash), created, last seen, expiry, ip, agent."""
    return [dict(row) for row in conn.execute(queries.load("user_sessions"), {
        "user_name": user_name, "idle_s": get_settings().session_idle_s}).mappings()]
