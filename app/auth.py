"""Who is logged in and what they may do: users, password hashes, sessions, the login page and the server-side checks.

Design
------
- Passwords are hashed with werkzeug's scrypt (salted, memory-hard); the hash never leaves app_user.
- A login starts a server-side session (app/sessions.py): the browser's cookie (signed, HttpOnly, SameSite=Lax,
  Secure over HTTPS, gone when the browser closes) holds a random session id and the CSRF token, nothing else.
  Requests re-read the session's user, role, scope and active flag (a process keeps them at most 1 s), so a
  change by the admin applies at once in its process and within a second in the others; a change of password,
  role, scope or active flag ends the user's sessions.
- Failed logins are counted per (name, client address): after 5 in a row that pair waits 15 s, doubling up to
  15 minutes, while the right password from another address still works. Failures across every address past
  a threshold write an alarm row into the audit log.
- Every POST to a Flask route carries the session's CSRF token (the login form included); Dash's callbacks are
  refused when the browser says they come from another site (Origin, Sec-Fetch-Site).
- A request without a session reaches only /login and static files. Every callback and download then calls
  ``require(role, ..., communes=[...])``, which raises ``AccessDenied`` (HTTP 403) when the role or the scope
  does not fit. Scopes are province or commune codes; an empty scope is the whole country for planners, budget
  officers and admins, and nothing for an inspector.
- Logins, failed logins, logouts, refusals (401/403), downloads and the ends of sessions are written to audit_log
  with the client address; user changes are audited by the table's trigger with the address too.
- Nobody deactivates or demotes themselves or the last active administrator (here, so the CLI obeys as well).
"""

from __future__ import annotations

import json
import secrets
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import flask
from sqlalchemy import Connection
from werkzeug.security import check_password_hash, generate_password_hash

# Re-exported: the session's user and the role/scope checks live in app/access.py, the login routes in app/login.py.
from app.access import (  # noqa: F401
    SESSION_ID,
    AccessDenied,
    User,
    communes_in_scope,
    current_user,
    may_see_page,
    require,
    scope_binds,
)
from app.sessions import end_user_sessions, forget_kept
from sql import queries
from sql.bulk import set_actor
from sql.errors import InputRefused
from sql.settings import get_settings

ROLES = ("planner", "inspector", "budget", "admin")
FAILURES_BEFORE_WAIT = 5
FIRST_WAIT_S = 15
LONGEST_WAIT_S = 15 * 60
NAME_MAX = 64
CSRF = "csrf"
CSRF_FIELD = "csrf_token"  # the hidden field of every Flask form
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# Paths open without a session: the login page, the language switch and the static files it needs.
OPEN_PREFIXES = ("/login", "/lang/", "/assets/", "/_dash-component-suites/", "/_favicon.ico", "/healthz")
_TEMPORARY_LETTERS = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud or copied by hand
# A hash to check against when the name is unknown, so that a wrong name costs the same time as a wrong password.
_DUMMY_HASH = generate_password_hash("phusong-no-such-user")
# Called after a change of a user's password, role, scope, active flag or "must change the password": what a
# process keeps about users' access (the token checks of app/live_gis/tokens.py) is dropped there and then.
_ACCESS_CHANGED: list[Callable[[], None]] = [forget_kept]  # the sessions this process keeps (app/sessions.py)


class UserError(InputRefused):
    """A user could not be added or changed (name taken, unknown role, inspector without a scope ...).

    ``vi`` is the sentence the admin page shows (the English one is the CLI's)."""

    def __init__(self, message: str, vi: str | None = None) -> None:
        super().__init__(message)
        self.vi = vi or message


@dataclass(frozen=True)
class LoginOutcome:
    user: User | None
    wait_s: int = 0  # > 0: too many failures, try again after this many seconds


# ---------------------------------------------------------------------------------------------- users (library)

def add_user(conn: Connection, name: str, password: str, *, role: str, scope_codes: Sequence[str] = (),
             actor: str = "cli", address: str | None = None) -> User:
    """Create a user with a hashed password; raise ``UserError`` when the name is taken or the input is wrong.

    Names and passwords are NFC-normalised (a name typed with combining accents is the same name), and a name
    differing from an existing one only by case is taken.
    """
    name, password = nfc(name.strip()), nfc(password)
    _check_user_input(name, role, scope_codes, password)
    taken = conn.execute(queries.load("app_user_name_taken"), {"name": name}).scalar()
    if taken is not None:
        raise UserError(f"user {taken!r} exists already (names are compared without case)",
                        f"Tên đăng nhập '{taken}' đã có (không phân biệt chữ hoa, chữ thường).")
    set_actor(conn, actor, address)
    row = conn.execute(queries.load("insert_app_user"), {
        "name": name, "password_hash": generate_password_hash(password), "role": role,
        "scope_codes": list(scope_codes)}).first()
    if row is None:
        raise UserError(f"user {name!r} exists already (use `phusong users set` to change it)")
    return User(name, role, tuple(scope_codes))


def update_user(conn: Connection, name: str, *, role: str | None = None, scope_codes: Sequence[str] | None = None,
                password: str | None = None, active: bool | None = None, must_change: bool | None = None,
                actor: str = "cli", address: str | None = None) -> str:
    """Change a user's role, scope, password or active flag (``None`` keeps a value); return the user's name as
    stored (``name`` is found as names are compared: NFC, without case).

    A change of password, role or scope, and a deactivation, end the user's sessions. Raise ``UserError`` for
    wrong input, and when it would lock out the one making it (``actor``) or the last active administrator.
    """
    password = nfc(password) if password else password
    current = find_user(conn, name)
    name = current["name"]
    _check_user_input(name, role or current["role"],
                      current["scope_codes"] if scope_codes is None else scope_codes, password)
    _refuse_lock_out(conn, current, role=role, active=active, actor=actor)
    set_actor(conn, actor, address)
    conn.execute(queries.load("update_app_user"), {
        "name": name, "role": role, "scope_codes": None if scope_codes is None else list(scope_codes),
        "password_hash": generate_password_hash(password) if password else None, "active": active,
        "must_change": must_change})
    if role is not None or scope_codes is not None or password or active is False:
        end_sessions(conn, name, actor=actor, address=address, reason="user changed")
    for forget in _ACCESS_CHANGED:
        forget()
    return str(name)


def when_access_changes(forget: Callable[[], None]) -> None:
    """Have ``forget`` called after every change of a user in this process (it drops what it cached about users'
    access: a reset password or a deactivation stops a cached token check at once, as a revocation does)."""
    if forget not in _ACCESS_CHANGED:
        _ACCESS_CHANGED.append(forget)


def find_user(conn: Connection, name: str) -> Any:
    """The stored row of the user ``name`` as a person types it: NFC, spaces around ignored, without case (as
    add_user keeps names unique); the exact name first, should an older database hold two names differing by
    case only. ``UserError`` when there is no such user, or when the case alone cannot tell two apart."""
    name = nfc((name or "").strip())
    found = conn.execute(queries.load("app_users_by_name_any_case"), {"name": name}).mappings().all()
    if not found:
        raise UserError(f"no user named {name!r}", f"Không có người dùng tên '{name}'.")
    if len(found) > 1 and found[0]["name"] != name:
        both = ", ".join(r["name"] for r in found)
        raise UserError(f"{name!r} could be {both}: type the name with its exact case",
                        f"'{name}' có thể là {both}: hãy gõ đúng chữ hoa, chữ thường.")
    return found[0]


def change_role_scope(conn: Connection, name: str, *, role: str, scope_codes: Sequence[str], actor: str,
                      address: str | None = None) -> bool:
    """Give user ``name`` this role and scope; return False when both were so already (nothing written).

    Only what changed is passed to ``update_user``, so the user's sessions end when the role or scope changes."""
    current = find_user(conn, name)
    new_role = role if role != current["role"] else None
    new_scope = list(scope_codes) if sorted(scope_codes) != sorted(current["scope_codes"]) else None
    if new_role is None and new_scope is None:
        return False
    update_user(conn, current["name"], role=new_role, scope_codes=new_scope, actor=actor, address=address)
    return True


def reset_password(conn: Connection, name: str, *, actor: str, address: str | None = None) -> str:
    """Give user ``name`` a new temporary password, to be changed at their next login; return it (to be shown once,
    to the administrator, and stored nowhere but as a hash). Their sessions end; audited."""
    temporary = "-".join("".join(secrets.choice(_TEMPORARY_LETTERS) for _ in range(4)) for _ in range(3))
    name = update_user(conn, name, password=temporary, must_change=True, actor=actor, address=address)
    audit_event(conn, actor, "password_reset", "app_user", name, address)
    return temporary


def change_own_password(conn: Connection, name: str, current: str, new: str, *, address: str | None = None) -> None:
    """A user's own change of password: the current one checked, the new one at least 8 characters and different.

    Clears "must change the password"; every session of the user ends (the caller starts the new one)."""
    row = conn.execute(queries.load("app_user_by_name"), {"name": name}).mappings().first()
    if row is None or not check_password_hash(row["password_hash"], nfc(current)):
        raise UserError("the current password is wrong", "Mật khẩu hiện tại không đúng.")
    if nfc(new) == nfc(current):
        raise UserError("the new password must differ from the current one",
                        "Mật khẩu mới phải khác mật khẩu hiện tại.")
    update_user(conn, name, password=new, must_change=False, actor=name, address=address)
    audit_event(conn, name, "password_changed", "app_user", name, address)


def end_sessions(conn: Connection, name: str, *, actor: str, address: str | None = None,
                 reason: str = "ended") -> int:
    """End every session of user ``name`` (audited when there was one); return how many ended."""
    ended = end_user_sessions(conn, name)
    if ended:
        audit_event(conn, actor, "sessions_ended", "session", name, address, {"sessions": ended, "reason": reason})
    return ended


def _refuse_lock_out(conn: Connection, current: Any, *, role: str | None, active: bool | None, actor: str) -> None:
    """No one deactivates or demotes themselves, and the last active administrator stays one."""
    demoted = role is not None and role != current["role"]
    if not (demoted or active is False):
        return
    if current["name"] == actor:
        raise UserError("you cannot deactivate or demote yourself: ask another administrator",
                        "Bạn không thể tự khóa hay tự hạ quyền của mình: hãy nhờ một quản trị viên khác.")
    if current["role"] == "admin" and current["active"]:
        admins = set(conn.execute(queries.load("active_admins_locked")).scalars())
        if not admins - {current["name"]}:
            raise UserError(f"{current['name']} is the last active administrator: "
                            "make another user an administrator first",
                            f"{current['name']} là quản trị viên cuối cùng đang hoạt động: hãy cho người khác "
                            "làm quản trị viên trước.")


def check_scope_codes(conn: Connection, codes: Sequence[str]) -> list[str]:
    """``codes`` stripped, when each is a loaded 2025 province or commune; ``UserError`` naming the others.

    The admin page checks every scope it is sent (a browser can send any code, whatever its picker offered)."""
    codes = list(dict.fromkeys(c.strip() for c in codes if c and c.strip()))
    unknown = list(conn.execute(queries.load("unknown_scope_codes"), {"codes": codes}).scalars())
    if unknown:
        listed = ", ".join(unknown[:10]) + ("…" if len(unknown) > 10 else "")
        raise UserError(f"unknown province or commune code(s): {listed}",
                        f"Không có tỉnh hay xã nào mang mã {listed} trong dữ liệu đã nạp.")
    return codes


def list_users(conn: Connection) -> list[dict[str, Any]]:
    """Every user (no hashes), by name."""
    return [dict(row) for row in conn.execute(queries.load("app_users")).mappings()]


def _check_user_input(name: str, role: str, scope_codes: Sequence[str], password: str | None) -> None:
    if not name or len(name) > 64 or any(ch.isspace() for ch in name):
        raise UserError(f"user name {name!r}: 1 to 64 characters without spaces",
                        "Tên đăng nhập cần từ 1 đến 64 ký tự, không có dấu cách.")
    if role not in ROLES:
        raise UserError(f"role {role!r}: expected one of {', '.join(ROLES)}", "Vai trò không hợp lệ.")
    if role == "inspector" and not scope_codes:
        raise UserError("an inspector needs a scope: --scope with commune or province codes",
                        "Cán bộ kiểm tra cần phạm vi: nhập mã xã hoặc mã tỉnh.")
    if password is not None and len(password) < 8:
        raise UserError("the password needs at least 8 characters", "Mật khẩu cần ít nhất 8 ký tự.")


def nfc(text: str) -> str:
    """One Unicode form for names and passwords: "Hà" typed as H + a + combining grave is "Hà" (NFC)."""
    return unicodedata.normalize("NFC", text)


def parse_scope(text: str | None) -> list[str]:
    """'11, 01234 ' -> ['11', '01234']."""
    return [code.strip() for code in (text or "").replace(";", ",").split(",") if code.strip()]


# ---------------------------------------------------------------------------------------------- logging in

def wait_after_failures(failed_logins: int) -> int:
    """Seconds a (name, address) pair must wait after ``failed_logins`` failures in a row (0 below 5)."""
    if failed_logins < FAILURES_BEFORE_WAIT:
        return 0
    return min(FIRST_WAIT_S * 2 ** (failed_logins - FAILURES_BEFORE_WAIT), LONGEST_WAIT_S)


def authenticate(conn: Connection, name: str, password: str, *, address: str = "",
                 now: datetime | None = None) -> LoginOutcome:
    """Check a name and password from client ``address``; audit the try; make the pair wait after 5 failures.

    Only the (name, address) pair waits: the same name from another address is checked as usual.
    """
    now = now or datetime.now(UTC)
    name, password = nfc(name.strip())[:NAME_MAX], nfc(password)
    throttle = conn.execute(queries.load("login_throttle"), {"name": name, "address": address}).mappings().one()
    wait = wait_after_failures(throttle["failures"] or 0)
    left = wait - (now - throttle["last_failed_at"]).total_seconds() if wait else 0
    if left > 0:
        _login_failed(conn, name, address, "throttled")
        return LoginOutcome(None, wait_s=int(left) + 1)
    row = conn.execute(queries.load("app_user_by_name"), {"name": name}).mappings().first()
    if row is None:
        check_password_hash(_DUMMY_HASH, password)
        _login_failed(conn, name, address, "unknown user")
        conn.execute(queries.load("recorded_login_failure"), {"name": name, "address": address})
        return LoginOutcome(None)
    if not row["active"] or not check_password_hash(row["password_hash"], password):
        set_actor(conn, "login", address)
        conn.execute(queries.load("record_failed_login"), {"name": row["name"]})
        conn.execute(queries.load("recorded_login_failure"), {"name": name, "address": address})
        _login_failed(conn, name, address, "inactive" if not row["active"] else "password")
        return LoginOutcome(None)
    conn.execute(queries.load("cleared_login_failures"), {"name": name, "address": address})
    if row["failed_logins"]:
        set_actor(conn, "login", address)
        conn.execute(queries.load("reset_failed_logins"), {"name": row["name"]})
    audit_event(conn, row["name"], "login", "login", row["name"], address)
    return LoginOutcome(User(row["name"], row["role"], tuple(row["scope_codes"]), row["must_change_password"]))


def _login_failed(conn: Connection, name: str, address: str, reason: str) -> None:
    """Audit a failed login, then raise the global alarm when failures across addresses pass the threshold."""
    settings = get_settings()
    audit_event(conn, name, "login_failed", "login", name, address, {"reason": reason})
    conn.execute(queries.load("inserted_login_alarm"), {
        "threshold": settings.login_alarm_failures, "window_s": settings.login_alarm_window_s})


def audit_event(conn: Connection, user: str, action: str, entity: str, entity_id: str | None,
                address: str | None, details: dict[str, Any] | None = None) -> None:
    """One audit row for an event that changes no table row: a login, a logout, a refusal, a download."""
    conn.execute(queries.load("inserted_audit_event"), {
        "user": user, "action": action, "entity": entity, "entity_id": entity_id, "address": address or None,
        "details": json.dumps(details, ensure_ascii=False) if details else None})


def client_address() -> str:
    """The client's address as this server sees it (through PHUSONG_PROXY_COUNT trusted proxies)."""
    return flask.request.remote_addr or "unknown"


def csrf_token() -> str:
    """This browser session's CSRF token, made on first use; every Flask form sends it back as ``csrf_token``."""
    token = flask.session.get(CSRF)
    if not isinstance(token, str) or not token:
        token = flask.session[CSRF] = secrets.token_urlsafe(32)
    return token
