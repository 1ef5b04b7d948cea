"""Who is logged in and what they may do: users, password hashes, the login page and the server-side checks.

Design
------
- Passwords are hashed with werkzeug's scrypt (salted, memory-hard); the hash never leaves app_user.
- The login puts only the user's name in Flask's signed session cookie (HttpOnly, SameSite=Lax). Every request
  re-reads the user's role, scope and active flag from app_user, so a change by the admin applies at once.
- After 5 failed logins in a row a name must wait before the next try: 15 s, then doubling up to 15 minutes.
- A request without a session reaches only /login and static files. Every callback and download then calls
  ``require(role, ..., communes=[...])``, which raises ``AccessDenied`` (HTTP 403) when the role or the scope
  does not fit. Scopes are province or commune codes; an empty scope is the whole country for planners, budget
  officers and admins, and nothing for an inspector.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import flask
from sqlalchemy import Connection
from werkzeug.security import check_password_hash, generate_password_hash

from app.i18n import LANGUAGES, current_lang, t
from sql import queries
from sql.bulk import set_actor
from sql.engine import connect

ROLES = ("planner", "inspector", "budget", "admin")
FAILURES_BEFORE_WAIT = 5
FIRST_WAIT_S = 15
LONGEST_WAIT_S = 15 * 60
SESSION_USER = "user"
# Paths open without a session: the login page, the language switch and the static files it needs.
OPEN_PREFIXES = ("/login", "/lang/", "/assets/", "/_dash-component-suites/", "/_favicon.ico", "/healthz")
# A hash to check against when the name is unknown, so that a wrong name costs the same time as a wrong password.
_DUMMY_HASH = generate_password_hash("phusong-no-such-user")
_SERVER: flask.Flask | None = None  # the app's server, for background callbacks (they run in a forked process)


class AccessDenied(Exception):
    """The logged-in user (or nobody) may not do this; shown as HTTP 403 (401 when nobody is logged in)."""

    def __init__(self, message: str, *, status: int = 403) -> None:
        super().__init__(message)
        self.status = status


class UserError(ValueError):
    """A user could not be added or changed (name taken, unknown role, inspector without a scope ...)."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    scope_codes: tuple[str, ...]

    @property
    def whole_country(self) -> bool:
        return not self.scope_codes and self.role != "inspector"


@dataclass(frozen=True)
class LoginOutcome:
    user: User | None
    wait_s: int = 0  # > 0: too many failures, try again after this many seconds


# ---------------------------------------------------------------------------------------------- users (library)

def add_user(conn: Connection, name: str, password: str, *, role: str, scope_codes: Sequence[str] = (),
             actor: str = "cli") -> User:
    """Create a user with a hashed password; raise ``UserError`` when the name is taken or the input is wrong."""
    name = name.strip()
    _check_user_input(name, role, scope_codes, password)
    set_actor(conn, actor)
    row = conn.execute(queries.load("insert_app_user"), {
        "name": name, "password_hash": generate_password_hash(password), "role": role,
        "scope_codes": list(scope_codes)}).first()
    if row is None:
        raise UserError(f"user {name!r} exists already (use `phusong users set` to change it)")
    return User(name, role, tuple(scope_codes))


def update_user(conn: Connection, name: str, *, role: str | None = None, scope_codes: Sequence[str] | None = None,
                password: str | None = None, active: bool | None = None, actor: str = "cli") -> None:
    """Change a user's role, scope, password or active flag (``None`` keeps a value)."""
    current = conn.execute(queries.load("app_user_by_name"), {"name": name}).mappings().first()
    if current is None:
        raise UserError(f"no user named {name!r}")
    _check_user_input(name, role or current["role"],
                      current["scope_codes"] if scope_codes is None else scope_codes, password)
    set_actor(conn, actor)
    conn.execute(queries.load("update_app_user"), {
        "name": name, "role": role, "scope_codes": None if scope_codes is None else list(scope_codes),
        "password_hash": generate_password_hash(password) if password else None, "active": active})


def list_users(conn: Connection) -> list[dict[str, Any]]:
    """Every user (no hashes), by name."""
    return [dict(row) for row in conn.execute(queries.load("app_users")).mappings()]


def _check_user_input(name: str, role: str, scope_codes: Sequence[str], password: str | None) -> None:
    if not name or len(name) > 64 or any(ch.isspace() for ch in name):
        raise UserError(f"user name {name!r}: 1 to 64 characters without spaces")
    if role not in ROLES:
        raise UserError(f"role {role!r}: expected one of {', '.join(ROLES)}")
    if role == "inspector" and not scope_codes:
        raise UserError("an inspector needs a scope: --scope with commune or province codes")
    if password is not None and len(password) < 8:
        raise UserError("the password needs at least 8 characters")


def parse_scope(text: str | None) -> list[str]:
    """'11, 01234 ' -> ['11', '01234']."""
    return [code.strip() for code in (text or "").replace(";", ",").split(",") if code.strip()]


# ---------------------------------------------------------------------------------------------- logging in

def wait_after_failures(failed_logins: int) -> int:
    """Seconds a name must wait after ``failed_logins`` failures in a row (0 below 5)."""
    if failed_logins < FAILURES_BEFORE_WAIT:
        return 0
    return min(FIRST_WAIT_S * 2 ** (failed_logins - FAILURES_BEFORE_WAIT), LONGEST_WAIT_S)


def authenticate(conn: Connection, name: str, password: str, *, now: datetime | None = None) -> LoginOutcome:
    """Check a name and password; count failures and make the name wait after 5 of them."""
    now = now or datetime.now(UTC)
    row = conn.execute(queries.load("app_user_by_name"), {"name": name.strip()}).mappings().first()
    if row is None:
        check_password_hash(_DUMMY_HASH, password)
        return LoginOutcome(None)
    wait = wait_after_failures(row["failed_logins"])
    if wait and row["last_failed_at"] is not None:
        left = wait - (now - row["last_failed_at"]).total_seconds()
        if left > 0:
            return LoginOutcome(None, wait_s=int(left) + 1)
    if not row["active"] or not check_password_hash(row["password_hash"], password):
        set_actor(conn, "login")
        conn.execute(queries.load("record_failed_login"), {"name": row["name"]})
        return LoginOutcome(None)
    if row["failed_logins"]:
        set_actor(conn, "login")
        conn.execute(queries.load("reset_failed_logins"), {"name": row["name"]})
    return LoginOutcome(User(row["name"], row["role"], tuple(row["scope_codes"])))


def load_user(conn: Connection, name: str) -> User | None:
    """The active user ``name`` as stored now, or None."""
    row = conn.execute(queries.load("app_user_by_name"), {"name": name}).mappings().first()
    if row is None or not row["active"]:
        return None
    return User(row["name"], row["role"], tuple(row["scope_codes"]))


# ---------------------------------------------------------------------------------------------- checks

def current_user() -> User | None:
    """The user of this request (read from app_user once per request), or None.

    Background callbacks run in another process without Flask's request: there the session cookie comes from
    Dash's callback context and is verified with the same key.
    """
    if not flask.has_request_context():
        name = _name_from_callback_cookie()
        if not name:
            return None
        with connect() as conn:
            return load_user(conn, name)
    if "phusong_user" not in flask.g:
        name = flask.session.get(SESSION_USER)
        user = None
        if name:
            with connect() as conn:
                user = load_user(conn, name)
        flask.g.phusong_user = user
    return flask.g.phusong_user


def _name_from_callback_cookie() -> str | None:
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
    return data.get(SESSION_USER)


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


# ---------------------------------------------------------------------------------------------- Flask wiring

def install(server: flask.Flask, *, secret_key: str) -> None:
    """Set the session cookie, the login/logout/language routes, the gate before every request and the 403s."""
    global _SERVER
    _SERVER = server
    server.secret_key = secret_key
    server.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                         SESSION_COOKIE_NAME="phusong_session", MAX_CONTENT_LENGTH=40 * 1024 * 1024)
    server.add_url_rule("/login", "login", _login_view, methods=["GET", "POST"])
    server.add_url_rule("/logout", "logout", _logout_view, methods=["GET", "POST"])
    server.add_url_rule("/lang/<code>", "lang", _lang_view)
    server.add_url_rule("/healthz", "healthz", lambda: "ok")
    server.before_request(_gate)
    server.register_error_handler(AccessDenied, _refused)


def _gate() -> Any:
    path = flask.request.path
    if path.startswith(OPEN_PREFIXES) or current_user() is not None:
        return None
    if path.startswith("/_dash-update-component") or flask.request.method != "GET" or path.startswith("/download"):
        return _refused(AccessDenied("not logged in", status=401))
    return flask.redirect(f"/login?next={flask.request.full_path.rstrip('?')}")


def _refused(error: AccessDenied) -> Any:
    return flask.jsonify({"error": t("refused"), "detail": str(error)}), error.status


# Where each role's work starts: an inspector opens the app on a phone in the field to check facilities,
# a budget officer to export; planners and administrators start from the coverage map.
_HOME_BY_ROLE = {"inspector": "/kiem-tra", "budget": "/xuat-bao-cao"}


def home_of(user: User) -> str:
    return _HOME_BY_ROLE.get(user.role, "/")


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an absolute URL (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
        return "/"
    return target


def _login_view() -> Any:
    message = ""
    if flask.request.method == "POST":
        name = flask.request.form.get("name", "")
        password = flask.request.form.get("password", "")
        with connect() as conn:
            outcome = authenticate(conn, name, password)
        if outcome.user is not None:
            lang = flask.session.get("lang")
            flask.session.clear()
            flask.session[SESSION_USER] = outcome.user.name
            if lang:
                flask.session["lang"] = lang
            asked = flask.request.args.get("next")
            return flask.redirect(_safe_next(asked) if asked and asked != "/" else home_of(outcome.user))
        if outcome.wait_s:
            message = (f"Quá nhiều lần đăng nhập sai. Vui lòng thử lại sau {outcome.wait_s} giây."
                       if current_lang() == "vi" else
                       f"Too many failed logins. Please try again in {outcome.wait_s} s.")
        else:
            message = ("Tên đăng nhập hoặc mật khẩu không đúng." if current_lang() == "vi"
                       else "Wrong user name or password.")
    status = 401 if message else 200
    return flask.Response(_login_html(message), status=status, mimetype="text/html")


def _logout_view() -> Any:
    lang = flask.session.get("lang")
    flask.session.clear()
    if lang:
        flask.session["lang"] = lang
    return flask.redirect("/login")


def _lang_view(code: str) -> Any:
    if code in LANGUAGES:
        flask.session["lang"] = code
    target = flask.request.args.get("next")
    if not target and flask.request.referrer:
        target = urlsplit(flask.request.referrer).path
    return flask.redirect(_safe_next(target))


def _login_html(message: str) -> str:
    lang = current_lang()
    other = "en" if lang == "vi" else "vi"
    next_path = html.escape(_safe_next(flask.request.args.get("next")), quote=True)
    alert = f'<div class="alert alert-danger py-2" id="login-error">{html.escape(message)}</div>' if message else ""
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{t("login")} — phusong</title>
<link rel="stylesheet" href="/assets/vendor/bootstrap-5.3.3.min.css">
<link rel="stylesheet" href="/assets/phusong.css">
</head><body class="bg-light">
<main class="container" style="max-width: 380px; padding-top: 12vh">
  <h1 class="h4 mb-1">phusong</h1>
  <p class="text-muted small">{t("app_title")}</p>
  <form method="post" action="/login?next={next_path}" class="card card-body shadow-sm" id="login-form">
    <h2 class="h5">{t("login")}</h2>
    {alert}
    <label class="form-label" for="login-name">{t("user_name")}</label>
    <input class="form-control mb-2" id="login-name" name="name" autocomplete="username" required autofocus>
    <label class="form-label" for="login-password">{t("password")}</label>
    <input class="form-control mb-3" id="login-password" name="password" type="password"
           autocomplete="current-password" required>
    <button class="btn btn-primary w-100" type="submit" id="login-submit">{t("login")}</button>
  </form>
  <p class="mt-3 small"><a href="/lang/{other}?next=/login">{t("language_switch")}</a></p>
</main></body></html>"""
