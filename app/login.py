"""The Flask wiring of logins: the session cookie, the login/logout/language routes, the checks before every
request (cross-site refusal, the login gate), the 403 handler and the download audit.

Split out of app/auth.py; see its docstring for the design.
"""

from __future__ import annotations

import hmac
import html
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlsplit

import flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app.access import SESSION_ID, AccessDenied, User, current_user, set_server
from app.auth import (
    CSRF,
    CSRF_FIELD,
    OPEN_PREFIXES,
    SAFE_METHODS,
    UserError,
    audit_event,
    authenticate,
    change_own_password,
    client_address,
    csrf_token,
)
from app.errors import error_text
from app.i18n import LANGUAGES, current_lang, t
from app.sessions import end_session, start_session
from sql.engine import connect
from sql.settings import Settings, secret_key_of

CHANGE_PASSWORD = "/doi-mat-khau"

# ---------------------------------------------------------------------------------------------- Flask wiring

def install(server: flask.Flask, settings: Settings) -> None:
    """Set the session cookie, the login/logout/language routes, the checks before every request and the 403s."""
    set_server(server)
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
    server.add_url_rule(CHANGE_PASSWORD, "change_password", _change_password_view, methods=["GET", "POST"])
    server.add_url_rule("/lang/<code>", "lang", _lang_view)
    server.add_url_rule("/healthz", "healthz", lambda: "ok")
    server.before_request(_refuse_cross_site)
    server.before_request(_gate)
    server.after_request(_audit_download)
    server.register_error_handler(AccessDenied, _refused)


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
    if path.startswith(OPEN_PREFIXES):
        return None
    user = current_user()
    if user is not None and user.must_change_password and not path.startswith((CHANGE_PASSWORD, "/logout")):
        return _to_password_change(path)
    if user is not None:
        return None
    if path.startswith("/_dash-update-component") or flask.request.method != "GET" or path.startswith("/download"):
        return _refused(AccessDenied("not logged in", status=401))
    return flask.redirect(f"/login?next={flask.request.full_path.rstrip('?')}")


def _to_password_change(path: str) -> Any:
    """A temporary password (reset by an admin): the change form first; every other call and download refused."""
    if path.startswith("/_dash-update-component") or flask.request.method != "GET" or path.startswith("/download"):
        return _refused(AccessDenied(_say("Cần đổi mật khẩu tạm trước khi làm việc khác.",
                                          "Change the temporary password first.")))
    if path.startswith("/_dash-"):  # the layout and dependencies of a page that is not shown
        return _refused(AccessDenied("password change first"))
    return flask.redirect(f"{CHANGE_PASSWORD}?next={flask.request.full_path.rstrip('?')}")


def _say(vi: str, en: str) -> str:
    return vi if current_lang() == "vi" else en


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
            _new_cookie(session_id)
            asked = flask.request.args.get("next")
            target = _safe_next(asked) if asked and asked != "/" else home_of(outcome.user)
            if outcome.user.must_change_password:  # the temporary password an admin gave: changed before anything
                return flask.redirect(f"{CHANGE_PASSWORD}?next={quote(target)}")
            return flask.redirect(target)
        if outcome.wait_s:
            message = (f"Quá nhiều lần đăng nhập sai. Vui lòng thử lại sau {outcome.wait_s} giây."
                       if current_lang() == "vi" else
                       f"Too many failed logins. Please try again in {outcome.wait_s} s.")
        else:
            message = ("Tên đăng nhập hoặc mật khẩu không đúng." if current_lang() == "vi"
                       else "Wrong user name or password.")
    status = 401 if message else 200
    return flask.Response(_login_html(message), status=status, mimetype="text/html")


def _new_cookie(session_id: str) -> None:
    """A new cookie altogether (session id and CSRF token): nothing chosen before carries over but the language."""
    lang = flask.session.get("lang")
    flask.session.clear()
    flask.session[SESSION_ID] = session_id
    csrf_token()
    if lang:
        flask.session["lang"] = lang


def _change_password_view() -> Any:
    """The user's own change of password (from the account page, or forced after an admin's reset): the current
    password, the new one twice. Every session of the user ends; this browser gets a new one and goes on."""
    user = current_user()
    if user is None:  # the gate sends nobody here without a session
        return flask.redirect("/login")
    message = ""
    if flask.request.method == "POST":
        form = flask.request.form
        new = form.get("new_password", "")
        try:
            if new != form.get("new_password_again", ""):
                raise UserError("the two new passwords differ", "Hai lần nhập mật khẩu mới không giống nhau.")
            with connect() as conn:
                change_own_password(conn, user.name, form.get("password", ""), new, address=client_address())
                session_id = start_session(conn, user.name, ip=client_address(),
                                           user_agent=flask.request.headers.get("User-Agent"))
        except UserError as exc:
            message = error_text(exc)
        else:
            _new_cookie(session_id)
            asked = flask.request.args.get("next")
            return flask.redirect(_safe_next(asked) if asked and asked != "/" else home_of(user))
    page = _password_html(message, forced=user.must_change_password)
    return flask.Response(page, status=400 if message else 200, mimetype="text/html")


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


def _page_html(title: str, body: str, *, here: str) -> str:
    """The frame of the pages outside Dash (log-in, change of password): Bootstrap, the title, the language link."""
    lang = current_lang()
    other = "en" if lang == "vi" else "vi"
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} — phusong</title>
<link rel="stylesheet" href="/assets/vendor/bootstrap-5.3.3.min.css">
<link rel="stylesheet" href="/assets/phusong.css">
</head><body class="bg-light">
<main class="container" style="max-width: 380px; padding-top: 12vh">
  <h1 class="h4 mb-1">phusong</h1>
  <p class="text-muted small">{t("app_title")}</p>
  {body}
  <p class="mt-3 small"><a href="/lang/{other}?next={here}">{t("language_switch")}</a></p>
</main></body></html>"""


def _password_html(message: str, *, forced: bool) -> str:
    next_path = html.escape(_safe_next(flask.request.args.get("next")), quote=True)
    alert = f'<div class="alert alert-danger py-2" id="password-error">{html.escape(message)}</div>' if message else ""
    title = _say("Đổi mật khẩu", "Change the password")
    why = _say("Quản trị viên đã đặt lại mật khẩu của bạn: hãy đổi mật khẩu tạm trước khi làm việc.",
               "An administrator reset your password: change the temporary one before you go on.") if forced else ""
    token = html.escape(csrf_token(), quote=True)

    def field(name: str, label: str, complete: str) -> str:
        return (f'<label class="form-label" for="password-{name}">{label}</label>'
                f'<input class="form-control mb-2" id="password-{name}" name="{name}" type="password" '
                f'autocomplete="{complete}" required>')

    return _page_html(title, f"""
  <form method="post" action="{CHANGE_PASSWORD}?next={next_path}" class="card card-body shadow-sm" id="password-form">
    <h2 class="h5">{title}</h2>
    <p class="small" id="password-why">{why}</p>
    {alert}
    <input type="hidden" name="{CSRF_FIELD}" value="{token}">
    {field("password", _say("Mật khẩu hiện tại (mật khẩu tạm)", "Current (temporary) password"), "current-password")}
    {field("new_password", _say("Mật khẩu mới (ít nhất 8 ký tự)", "New password (8 characters or more)"),
           "new-password")}
    {field("new_password_again", _say("Nhập lại mật khẩu mới", "The new password again"), "new-password")}
    <button class="btn btn-primary w-100 mt-2" type="submit" id="password-submit">{title}</button>
  </form>
  <form method="post" action="/logout" class="mt-2">
    <input type="hidden" name="{CSRF_FIELD}" value="{token}">
    <button class="btn btn-link btn-sm p-0" type="submit" id="password-logout">{_say("Đăng xuất", "Log out")}</button>
  </form>""", here=CHANGE_PASSWORD)


def _login_html(message: str) -> str:
    next_path = html.escape(_safe_next(flask.request.args.get("next")), quote=True)
    alert = f'<div class="alert alert-danger py-2" id="login-error">{html.escape(message)}</div>' if message else ""
    return _page_html(t("login"), f"""
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
  </form>""", here="/login")
