"""Who is logged in and what their role and scope let them do: the session's user, ``require`` and the scope checks.

Split out of app/auth.py (whose names still re-export these); see its docstring for the design.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import flask
from sqlalchemy import Connection

from app.sessions import session_user, session_user_kept
from sql import queries
from sql.engine import connect
from sql.errors import NotAllowed

SESSION_ID = "sid"  # keys of Flask's signed cookie: the server-side session's id, the CSRF token, the language
_SERVER: flask.Flask | None = None  # the app's server, for background callbacks (they run in a forked process)


class AccessDenied(NotAllowed):
    """The logged-in user (or nobody) may not do this; shown as HTTP 403 (401 when nobody is logged in)."""

    def __init__(self, message: str, *, status: int = 403) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class User:
    name: str
    role: str
    scope_codes: tuple[str, ...]
    must_change_password: bool = False  # a temporary password set by an admin: only the change form until changed

    @property
    def whole_country(self) -> bool:
        return not self.scope_codes and self.role != "inspector"


def _user_of_session(conn: Connection, session_id: str) -> User | None:
    return _user_of_row(session_user(conn, session_id))


def _user_of_row(row: dict[str, Any] | None) -> User | None:
    if row is None or not row["active"]:
        return None
    return User(row["name"], row["role"], tuple(row["scope_codes"]), bool(row.get("must_change_password")))


# ---------------------------------------------------------------------------------------------- checks

def current_user() -> User | None:
    """The user of this request's session (read from the database, kept by the process at most 1 s), or None.

    Background callbacks run in another process without Flask's request: there the session cookie comes from
    Dash's callback context and is verified with the same key.
    """
    if not flask.has_request_context():
        session_id = _session_id_from_callback_cookie()
        if not session_id:
            return None
        with connect() as conn:
            return _user_of_session(conn, session_id)
    if "phusong_user" not in flask.g:
        session_id = flask.session.get(SESSION_ID)
        user = None
        if isinstance(session_id, str):  # kept by this process for at most a second (app/sessions.py)
            user = _user_of_row(session_user_kept(session_id))
        flask.g.phusong_user = user
    return flask.g.phusong_user


def _session_id_from_callback_cookie() -> str | None:
    import dash

    if _SERVER is None:
        return None
    try:
        cookie = dash.callback_context.cookies.get(_SERVER.config["SESSION_COOKIE_NAME"])
    except Exception:  # no callback running: no user
        return None
    serializer = _SERVER.session_interface.get_signing_serializer(_SERVER)  # type: ignore[attr-defined]
    if not cookie or serializer is None:
        return None
    try:
        data = serializer.loads(cookie, max_age=int(_SERVER.permanent_session_lifetime.total_seconds()))
    except Exception:  # a forged or expired cookie is nobody
        return None
    session_id = data.get(SESSION_ID)
    return session_id if isinstance(session_id, str) else None


def require(*roles: str, communes: Iterable[str] | None = None, conn: Connection | None = None) -> User:
    """Return the logged-in user when their role is one of ``roles`` and every commune is in their scope.

    Raise ``AccessDenied`` otherwise. Call it first in every callback and download.
    """
    user = current_user()
    if user is None:
        raise AccessDenied("not logged in", status=401)
    if roles and user.role not in roles:
        raise AccessDenied(f"{user.name} ({user.role}) may not do this")
    codes = sorted({c for c in (communes or ()) if c})
    if codes and not communes_in_scope(user, codes, conn=conn) >= set(codes):
        raise AccessDenied(f"{user.name}: commune(s) {', '.join(codes)} outside their scope")
    return user


def communes_in_scope(user: User, codes: Sequence[str], *, conn: Connection | None = None) -> set[str]:
    """The subset of ``codes`` the user may see and act on."""
    if user.whole_country:
        return set(codes)
    if not user.scope_codes:
        return set()
    binds = {"codes": list(codes), "scope": list(user.scope_codes)}
    if conn is not None:
        return set(conn.execute(queries.load("communes_in_scope"), binds).scalars())
    with connect() as own:
        return set(own.execute(queries.load("communes_in_scope"), binds).scalars())


def scope_binds(user: User) -> dict[str, Any]:
    """Binds for queries that filter by scope: ``:whole_country`` and ``:scope`` (text[])."""
    return {"whole_country": user.whole_country, "scope": list(user.scope_codes)}


def may_see_page(user: User | None, roles: Sequence[str]) -> bool:
    return user is not None and user.role in roles


def set_server(server: flask.Flask) -> None:
    """Remember the app's server, whose cookie settings background callbacks verify the session cookie with."""
    global _SERVER
    _SERVER = server
