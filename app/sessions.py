"""Server-side sessions: a random id in the browser's cookie, the rest in PostgreSQL (table ``sessions``).

Design
------
- The id is 32 random bytes; the table keeps only its SHA-256, so a copy of the table opens no session.
- A session lives until the user logs out, an admin changes the user's password, role, scope or active flag
  (``app.auth.update_user``), it is idle for ``session_idle_s`` (8 h) or older than ``session_max_s`` (24 h).
- Every web process reads the same table, so any process can end any session at once.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from sqlalchemy import Connection

from sql import queries
from sql.settings import get_settings

USER_AGENT_MAX = 300  # characters of the User-Agent header kept with a session


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


def end_session(conn: Connection, session_id: str) -> str | None:
    """End one session; return its user's name (None when it had ended already)."""
    return conn.execute(queries.load("ended_session"), {"id_hash": id_hash(session_id)}).scalar()


def end_user_sessions(conn: Connection, user_name: str) -> int:
    """End every session of ``user_name``; return how many were live or stale."""
    ended = conn.execute(queries.load("ended_user_sessions"), {
        "user_name": user_name, "idle_s": get_settings().session_idle_s}).scalars().all()
    return sum(1 for name in ended if name == user_name)


def list_sessions(conn: Connection, user_name: str) -> list[dict[str, Any]]:
    """The live sessions of ``user_name``: ref (8 hex digits of the hash), created, last seen, expiry, ip, agent."""
    return [dict(row) for row in conn.execute(queries.load("user_sessions"), {
        "user_name": user_name, "idle_s": get_settings().session_idle_s}).mappings()]
