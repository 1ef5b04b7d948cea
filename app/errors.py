"""What a user sees when something fails, decided in this one place for the whole web app.

- An error phusong raises on purpose (``sql.errors.PhusongError``: input refused, not found, not allowed,
  conflict, set-up) is shown as its own sentence (:func:`error_text`: the user's language when the error
  carries it, never a server path), with the status of its branch (:data:`STATUS`); nothing is logged.
  Pages that put a refusal next to the form they refused call :func:`error_text`; what no page catches lands in
  :func:`install`'s Flask handler or in Dash's ``on_error`` (:func:`on_callback_error`), which say the same.
- Anything else is unexpected: one sentence with a reference number; the details (traceback, paths, ids) go to
  the error log, out/phusong-error.log, under the same number (issue 14 item 10).

The CLI handles the same root in one place too (app/cli.py: exit code 1; usage errors 2), and writes its
crashes to the same log.
"""

from __future__ import annotations

import html
import secrets
import traceback
from datetime import datetime
from pathlib import Path
from typing import Any

import flask
from werkzeug.exceptions import HTTPException

from app.i18n import current_lang
from sql.errors import Conflict, InputRefused, NotAllowed, NotFound, PhusongError, SetupError
from sql.settings import get_settings

# Kept short: a reference the user reads out on the phone to the administrator, who greps the log for it.
_MESSAGES = {
    "vi": "Đã có lỗi xảy ra, thao tác chưa được thực hiện. Mã lỗi: {ref} (báo cho quản trị viên).",
    "en": "Something went wrong and nothing was done. Error reference: {ref} (tell your administrator).",
}
ERROR_ALERT_ID = "app-error"  # the alert in the frame of every page (app/app.py)
NOT_FOUND = {"vi": "Không tìm thấy trang hoặc tệp này.", "en": "There is no such page or file."}
#: The HTTP status of each branch of the error root (the first that matches; InputRefused and the root: 400).
STATUS: tuple[tuple[type[PhusongError], int], ...] = (
    (NotAllowed, 403), (NotFound, 404), (Conflict, 409), (SetupError, 503), (InputRefused, 400),
)


def log_error(exc: BaseException, *, where: str = "") -> str:
    """Append the exception's traceback to the error log under a fresh reference; return the reference."""
    ref = secrets.token_hex(4).upper()
    out_dir = get_settings().out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    with (out_dir / "phusong-error.log").open("a", encoding="utf-8") as handle:
        handle.write(f"--- {datetime.now().isoformat(timespec='seconds')} ref {ref} {where}\n")
        handle.write("".join(traceback.format_exception(exc)))
    return ref


def user_message(ref: str) -> str:
    """The one sentence a user sees for an unexpected failure, in their language, with the reference."""
    return _MESSAGES[current_lang()].format(ref=ref)


def error_text(exc: BaseException, filename: str = "", path: Path | None = None) -> str:
    """The one sentence a user reads for an error raised on purpose: in Vietnamese when the page is and the error
    carries it (``exc.vi``), and never the server's path of an uploaded file (``path``, named ``filename``)."""
    text = getattr(exc, "vi", None) if current_lang() == "vi" else None
    text = text if isinstance(text, str) and text else str(exc)
    if path is not None:
        text = text.replace(str(path), filename).replace(path.name, filename)
    return text


def status_of(exc: PhusongError) -> int:
    """The HTTP status of an error raised on purpose, by its branch."""
    return next((status for branch, status in STATUS if isinstance(exc, branch)), 400)


def error_page(message: str, status: int) -> flask.Response:
    """A small HTML page with one sentence (never a file: a failed download shows this, with its status)."""
    lang = current_lang()
    back = "Quay lại" if lang == "vi" else "Back"
    body = f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>phusong</title>
<link rel="stylesheet" href="/assets/vendor/bootstrap-5.3.3.min.css"></head>
<body class="bg-light"><main class="container" style="max-width: 640px; padding-top: 10vh">
<div class="alert alert-danger" id="error-message">{html.escape(message)}</div>
<a href="/">{back}</a></main></body></html>"""
    response = flask.Response(body, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


def install(server: flask.Flask) -> None:
    """Answer an error raised on purpose that no route caught with its sentence and its branch's status, and
    every unexpected exception with one sentence and a reference (the details in the log). A handler for a more
    particular class (app.auth's AccessDenied) still wins: Flask looks along the class's ancestors."""
    server.register_error_handler(PhusongError, _refused)
    server.register_error_handler(Exception, _unexpected)


def _refused(exc: PhusongError) -> Any:
    if flask.request.path.startswith("/_dash"):
        return flask.jsonify({"error": error_text(exc)}), status_of(exc)
    return error_page(error_text(exc), status_of(exc))


def _unexpected(exc: Exception) -> Any:
    if isinstance(exc, HTTPException):  # 404, 405 ...: their own status, no traceback to keep
        if exc.code == 404:
            return error_page(NOT_FOUND[current_lang()], 404)
        return exc
    ref = log_error(exc, where=f"{flask.request.method} {flask.request.path}")
    if flask.request.path.startswith("/_dash"):
        return flask.jsonify({"error": user_message(ref)}), 500
    return error_page(user_message(ref), 500)


def on_callback_error(exc: Exception) -> None:
    """Dash's ``on_error`` for every callback: show the sentence in the frame's alert (ERROR_ALERT_ID): an error
    raised on purpose as its own sentence, anything else logged and shown with its reference.

    Refusals keep their 401/403 (app.auth's handler); the callback's own outputs are left as they were.
    """
    import dash

    from app.auth import AccessDenied

    if isinstance(exc, AccessDenied):
        raise exc
    if isinstance(exc, PhusongError):
        dash.set_props(ERROR_ALERT_ID, {"children": error_text(exc), "is_open": True})
        return
    ref = log_error(exc, where="callback")
    dash.set_props(ERROR_ALERT_ID, {"children": user_message(ref), "is_open": True})
