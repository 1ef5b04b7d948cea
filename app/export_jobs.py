"""Long exports made by `phusong worker` instead of a web process (issue 22).

With separate workers (`phusong serve --workers N`, PHUSONG_COVERAGE_REFRESH=worker), every PDF and every
download of more than PHUSONG_EXPORT_WORKER_ROWS communes (default 20) is queued in export_job (migration 0240)
instead of being written by the web process, where a province's PDF or a national XLSX or GeoPackage would hold
a CPU for seconds and slow every other user. The same ask again (user, file, scope and data version: migration
0255) is the same job, so a file is made once however often it is asked for. The browser is sent to
/download/job/<id>, a small page that looks again every few seconds and starts the download when the file is
ready; a worker takes the job (FOR UPDATE SKIP LOCKED), re-reads its user's role and scope, builds the file with
the same code as a direct download (app/exports.py) and keeps it in the database, where any web process can send
it. A job is its user's own: anyone else gets 404. Finished jobs are deleted after a day.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from typing import Any

import flask
from sqlalchemy import Engine

from app.access import User, require
from app.downloads import content_disposition
from app.errors import error_page, error_text, status_of
from app.exports import EXPORT_ROLES, ExportEmptyError, ExportRequest, build_export
from app.i18n import current_lang
from sql import queries
from sql.engine import connect
from sql.errors import PhusongError

REFRESH_S = 3
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QueuedJob:
    id: int
    user_name: str
    request: ExportRequest


# ---------------------------------------------------------------------------------------------- the worker

def run_export_jobs(engine: Engine, *, at_most: int | None = None) -> int:
    """Make the queued exports (one at a time, each taken under a row lock; ``at_most`` of them when given);
    returns how many were made.
    Also deletes the files finished more than a day ago, and folds the data version's rows into one (migration
    0255: the version stays the same)."""
    made = 0
    with engine.begin() as conn:
        conn.execute(queries.load("expired_export_jobs"))
        conn.execute(queries.load("compacted_data_change"))
    while (at_most is None or made < at_most) and (job := _claim(engine)) is not None:
        _make(engine, job)
        made += 1
    return made


def _claim(engine: Engine) -> QueuedJob | None:
    with engine.begin() as conn:
        row = conn.execute(queries.load("claimed_export_job")).mappings().first()
    if row is None:
        return None
    request = ExportRequest(row["kind"], row["fmt"], row["province_code"], row["scenario_id"], row["lang"])
    return QueuedJob(int(row["id"]), row["user_name"], request)


def _make(engine: Engine, job: QueuedJob) -> None:
    """Build one job's file as its user (role and scope as they are now) and keep it, or keep why it failed."""
    try:
        user = _user_now(engine, job.user_name)
        built = build_export(user, job.request, engine=engine)
        content = built.path.read_bytes()
        built.path.unlink(missing_ok=True)
        with engine.begin() as conn:
            conn.execute(queries.load("finished_export_job"), {"id": job.id, "file_name": built.name,
                                                                "mime_type": built.mime_type, "content": content})
    except PhusongError as exc:  # the status a direct download gives (app/exports.py answers ExportEmptyError 404)
        _fail(engine, job.id, error_text(exc), 404 if isinstance(exc, ExportEmptyError) else status_of(exc))
    except Exception:  # logged with its traceback; the user reads one sentence with the job's number
        _log.exception("export job %s failed", job.id)
        _fail(engine, job.id, f"Không tạo được tệp (việc số {job.id}); xin báo quản trị viên.", 500)


def _user_now(engine: Engine, name: str) -> User:
    with engine.connect() as conn:
        row = conn.execute(queries.load("app_user_by_name"), {"name": name}).mappings().first()
    if row is None or not row["active"]:
        raise ExportEmptyError("tài khoản đã bị khoá hoặc không còn (the account is locked or gone)")
    return User(row["name"], row["role"], tuple(row["scope_codes"]))


def _fail(engine: Engine, job_id: int, message: str, status: int) -> None:
    with engine.begin() as conn:
        conn.execute(queries.load("failed_export_job"), {"id": job_id, "error": message, "status": status})


# ---------------------------------------------------------------------------------------------- routes

def register_routes(server: flask.Flask) -> None:
    server.add_url_rule("/download/job/<int:job_id>", "download_job", _job_page)
    server.add_url_rule("/download/job/<int:job_id>/file", "download_job_file", _job_file)


def _own_job(job_id: int) -> dict[str, Any]:
    user = require(*EXPORT_ROLES)
    with connect() as conn:
        row = conn.execute(queries.load("export_job_of_user"),
                           {"id": job_id, "user_name": user.name}).mappings().first()
    if row is None:  # someone else's job is as missing as one that never was
        raise ExportEmptyError("không có tệp này (no such download)")
    return dict(row)


def _job_page(job_id: int) -> Any:
    job = _own_job(job_id)
    if job["status"] == "failed":
        return error_page(job["error"] or "", job["error_status"] or 500)
    vi = current_lang() == "vi"
    if job["status"] == "done":
        file_url = f"/download/job/{job_id}/file"
        text = ("Tệp đã sẵn sàng và đang tải về. Nếu chưa thấy, bấm «Tải về»." if vi
                else "The file is ready and downloading. If it did not start, press “Download”.")
        return _page(text, refresh=f"0;url={file_url}", link=(file_url, "Tải về" if vi else "Download"), status=200)
    text = ("Tệp lớn đang được chuẩn bị ở máy chủ; trang này tự tải tệp về khi xong (thường dưới một phút)." if vi
            else "This large file is being prepared on the server; this page downloads it when ready "
                 "(usually under a minute).")
    return _page(text, refresh=str(REFRESH_S), link=None, status=202)


def _page(text: str, *, refresh: str, link: tuple[str, str] | None, status: int) -> flask.Response:
    """A small page that refreshes itself (a meta refresh: no script, so the CSP has nothing to allow)."""
    lang = current_lang()
    button = (f'<a class="btn btn-primary" id="export-job-file" href="{html.escape(link[0])}">{link[1]}</a>'
              if link else "")
    back = "Quay lại" if lang == "vi" else "Back"
    body = f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><meta http-equiv="refresh" content="{html.escape(refresh)}">
<title>phusong</title><link rel="stylesheet" href="/assets/vendor/bootstrap-5.3.3.min.css"></head>
<body class="bg-light"><main class="container" style="max-width: 640px; padding-top: 10vh">
<div class="alert alert-info" id="export-job-status">{html.escape(text)}</div>{button}
<p class="mt-3"><a href="/xuat-bao-cao">{back}</a></p></main></body></html>"""
    response = flask.Response(body, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


def _job_file(job_id: int) -> Any:
    user = require(*EXPORT_ROLES)
    with connect() as conn:
        row = conn.execute(queries.load("export_job_file"),
                           {"id": job_id, "user_name": user.name}).mappings().first()
    if row is None:
        raise ExportEmptyError("không có tệp này, hoặc tệp chưa xong (no such file, or not ready yet)")
    response = flask.Response(bytes(row["content"]), mimetype=row["mime_type"])
    response.headers["Content-Disposition"] = content_disposition(row["file_name"])
    response.headers["Cache-Control"] = "no-store"
    return response
