"""Who is logged in and what they may do: users, password hashes, sessions, the login page and the server-side checks.

Design
------
- Passwords are hashed with werkzeug's scrypt (salted, memory-hard); the hash never leaves app_user.
- A login starts a server-side session (app/sessions.py): the browser's cookie (signed, HttpOnly, SameSite=Lax,
  Secure over HTTPS, gone when the browser closes) holds a random session id and the CSRF token, nothing else.
  Every request re-reads the session's user, role, scope and active flag, so a change by the admin applies at
  once; a change of password, role, scope or active flag ends the user's sessions.
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

import hmac
import html
import json
import secrets
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import flask
from sqlalchemy import Connection
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.security import check_password_hash, generate_password_hash

from app.i18n import LANGUAGES, current_lang, t
from app.sessions import end_session, end_user_sessions, session_user, start_session
from sql import queries
from sql.bulk import set_actor
from sql.engine import connect
from sql.errors import InputRefused, NotAllowed
from sql.settings import Settings, get_settings, secret_key_of

ROLES = ("planner", "inspector", "budget", "admin")
FAILURES_BEFORE_WAIT = 5
FIRST_WAIT_S = 15
LONGEST_WAIT_S = 15 * 60
NAME_MAX = 64
SESSION_ID = "sid"  # keys of Flask's signed cookie: the server-side session's id, the CSRF token, the language
CSRF = "csrf"
CSRF_FIELD = "csrf_token"  # the hidden field of every Flask form
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# Paths open without a session: the login page, the language switch and the static files it needs.
OPEN_PREFIXES = ("/login", "/lang/", "/assets/", "/_dash-component-suites/", "/_favicon.ico", "/healthz")
# A hash to check against when the name is unknown, so that a wrong name costs the same time as a wrong password.
_DUMMY_HASH = generate_password_hash("phusong-no-such-user")
_SERVER: flask.Flask | None = None  # the app's server, for background callbacks (they run in a forked process)


class AccessDenied(NotAllowed):
    """The logged-in user (or nobody) may not do this; shown as HTTP 403 (401 when nobody is logged in)."""

    def __init__(self, message: str, *, status: int = 403) -> None:
        super().__init__(message)
        self.status = status


class UserError(InputRefused):
    """A user could not be added or changed (name taken, unknown role, inspector without a scope ...).

    ``vi`` is the sentence the admin page shows (the English one is the CLI's)."""

    def __init__(self, message: str, vi: str | None = None) -> None:
        super().__init__(message)
        self.vi = vi or message


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
                password: str | None = None, active: bool | None = None, actor: str = "cli",
                address: str | None = None) -> None:
    """Change a user's role, scope, password or active flag (``None`` keeps a value).

    A change of password, role or scope, and a deactivation, end the user's sessions. Raise ``UserError`` for
    wrong input, and when it would lock out the one making it (``actor``) or the last active administrator.
    """
    name, password = nfc(name.strip()), nfc(password) if password else password
    current = conn.execute(queries.load("app_user_by_name"), {"name": name}).mappings().first()
    if current is None:
        raise UserError(f"no user named {name!r}", f"Không có người dùng tên '{name}'.")
    _check_user_input(name, role or current["role"],
                      current["scope_codes"] if scope_codes is None else scope_codes, password)
    _refuse_lock_out(conn, current, role=role, active=active, actor=actor)
    set_actor(conn, actor, address)
    conn.execute(queries.load("update_app_user"), {
        "name": name, "role": role, "scope_codes": None if scope_codes is None else list(scope_codes),
        "password_hash": generate_password_hash(password) if password else None, "active": active})
    if role is not None or scope_codes is not None or password or active is False:
        end_sessions(conn, name, actor=actor, address=address, reason="user changed")


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
    return LoginOutcome(User(row["name"], row["role"], tuple(row["scope_codes"])))


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


def _user_of_session(conn: Connection, session_id: str) -> User | None:
    row = session_user(conn, session_id)
    if row is None or not row["active"]:
        return None
    return User(row["name"], row["role"], tuple(row["scope_codes"]))


# ---------------------------------------------------------------------------------------------- checks

def current_user() -> User | None:
    """The user of this request's session (read from the database once per request), or None.

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
        if isinstance(session_id, str):
            with connect() as conn:
                user = _user_of_session(conn, session_id)
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


# ---------------------------------------------------------------------------------------------- Flask wiring

def install(server: flask.Flask, settings: Settings) -> None:
    """Set the session cookie, the login/logout/language routes, the checks before every request and the 403s."""
    global _SERVER
    _SERVER = server
    server.secret_key = secret_key_of(settings)
    # No PERMANENT session: the cookie ends with the browser; its signature is refused after the longest session.
    server.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                         SESSION_COOKIE_SECURE=settings.secure_cookies, SESSION_COOKIE_NAME="phusong_session",
                         PERMANENT_SESSION_LIFETIME=timedelta(seconds=settings.session_max_s),
                         MAX_CONTENT_LENGTH=40 * 1024 * 1024, PHUSONG_PUBLIC_URL=settings.public_url)
    if settings.proxy_count:
        n = settings.proxy_count
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    server.add_url_rule("/login", "login", _login_view, methods=["GET", "POST"])
    server.add_url_rule("/logout", "logout", _logout_view, methods=["POST"])
    server.add_url_rule("/lang/<code>", "lang", _lang_view)
    server.add_url_rule("/healthz", "healthz", lambda: "ok")
    server.before_request(_refuse_cross_site)
    server.before_request(_gate)
    server.after_request(_audit_download)
    server.register_error_handler(AccessDenied, _refused)


def client_address() -> str:
    """The client's address as this server sees it (through PHUSONG_PROXY_COUNT trusted proxies)."""
    return flask.request.remote_addr or "unknown"


def csrf_token() -> str:
    """This browser session's CSRF token, made on first use; every Flask form sends it back as ``csrf_token``."""
    token = flask.session.get(CSRF)
    if not isinstance(token, str) or not token:
        token = flask.session[CSRF] = secrets.token_urlsafe(32)
    return token


def _refuse_cross_site() -> Any:
    """Refuse state-changing requests from other sites: Dash callbacks by Origin and Sec-Fetch-Site (a browser
    always sends them on a cross-site POST), Flask forms also by the session's CSRF token."""
    request = flask.request
    if request.method in SAFE_METHODS:
        return None
    site = request.headers.get("Sec-Fetch-Site")
    origin = request.headers.get("Origin")
    if (site is not None and site not in ("same-origin", "none")) or (origin is not None and not _same_host(origin)):
        return _refused(AccessDenied(f"cross-site request refused (Origin {origin!r}, Sec-Fetch-Site {site!r})"))
    if request.path.startswith("/_dash-"):
        return None
    sent = request.form.get(CSRF_FIELD, "")
    expected = flask.session.get(CSRF)
    if isinstance(expected, str) and expected and hmac.compare_digest(sent, expected):
        return None
    if request.path == "/login":  # a form kept open too long, or a login forced on the user by another site
        return flask.Response(_login_html(t("form_expired")), status=400, mimetype="text/html")
    return _refused(AccessDenied(t("form_expired"), status=400))


def _same_host(origin: str) -> bool:
    host = urlsplit(origin).netloc.lower()
    public = flask.current_app.config.get("PHUSONG_PUBLIC_URL")
    return bool(host) and (host == flask.request.host.lower()
                           or (bool(public) and host == urlsplit(public).netloc.lower()))


def _gate() -> Any:
    path = flask.request.path
    if path.startswith(OPEN_PREFIXES) or current_user() is not None:
        return None
    if path.startswith("/_dash-update-component") or flask.request.method != "GET" or path.startswith("/download"):
        return _refused(AccessDenied("not logged in", status=401))
    return flask.redirect(f"/login?next={flask.request.full_path.rstrip('?')}")


def _refused(error: AccessDenied) -> Any:
    user = current_user()
    with connect() as conn:
        audit_event(conn, user.name if user else "anonymous", "refused", "request", flask.request.path[:300],
                    client_address(), {"status": error.status, "method": flask.request.method,
                                       "detail": str(error)[:300]})
    return flask.jsonify({"error": t("refused"), "detail": str(error)}), error.status


def _audit_download(response: flask.Response) -> flask.Response:
    """Every file served under /download/ is written to the audit log: who, what (path and query), from where."""
    if flask.request.path.startswith("/download/") and response.status_code == 200:
        user = current_user()
        with connect() as conn:
            audit_event(conn, user.name if user else "anonymous", "download", "download",
                        flask.request.path[:300], client_address(),
                        {"query": flask.request.query_string.decode(errors="replace")[:500]})
    return response


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
        address = client_address()
        with connect() as conn:
            outcome = authenticate(conn, name, password, address=address)
            if outcome.user is not None:
                session_id = start_session(conn, outcome.user.name, ip=address,
                                           user_agent=flask.request.headers.get("User-Agent"))
        if outcome.user is not None:
            # A new cookie altogether (session id and CSRF token): nothing chosen before the login carries over
            # but the language.
            lang = flask.session.get("lang")
            flask.session.clear()
            flask.session[SESSION_ID] = session_id
            csrf_token()
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
    """End the session here and in the database (POST with the CSRF token only: a link cannot log anyone out)."""
    session_id = flask.session.get(SESSION_ID)
    if isinstance(session_id, str):
        with connect() as conn:
            name = end_session(conn, session_id)
            if name:
                audit_event(conn, name, "logout", "session", name, client_address())
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
    <input type="hidden" name="{CSRF_FIELD}" value="{html.escape(csrf_token(), quote=True)}">
    <label class="form-label" for="login-name">{t("user_name")}</label>
    <input class="form-control mb-2" id="login-name" name="name" autocomplete="username" required autofocus>
    <label class="form-label" for="login-password">{t("password")}</label>
    <input class="form-control mb-3" id="login-password" name="password" type="password"
           autocomplete="current-password" required>
    <button class="btn btn-primary w-100" type="submit" id="login-submit">{t("login")}</button>
  </form>
  <p class="mt-3 small"><a href="/lang/{other}?next=/login">{t("language_switch")}</a></p>
</main></body></html>"""
