"""The rejected rows of a load as a workbook (issue 21), for administrators: /download/load-rejects/<batch>.xlsx.

Loads are not tied to a commune (a file may span provinces), so the rule is the upload page's: administrators
only; an unknown load is 404. The preview's rejected rows (before anything is loaded) are downloaded by the page's
own callback (app/pages/admin_upload.py), from the same workbook writer (etl/reject_workbook.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import flask

from app.auth import AccessDenied, require
from app.downloads import content_disposition
from app.i18n import current_lang
from etl.reject_workbook import batch_issues, rejects_workbook
from sql.engine import connect

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def register_routes(server: flask.Flask) -> None:
    server.add_url_rule("/download/load-rejects/<int:batch_id>.xlsx", "load_rejects", _load_rejects)


def _load_rejects(batch_id: int) -> Any:
    user = require("admin")
    with connect() as conn:
        found = batch_issues(conn, batch_id)
    if found is None:
        raise AccessDenied(f"no load {batch_id} for {user.name}", status=404)
    file, issues = found
    data = rejects_workbook(issues, file=Path(file).name, batch=batch_id, lang=current_lang())
    response = flask.make_response(data)
    response.headers["Content-Type"] = XLSX
    response.headers["Content-Disposition"] = content_disposition(f"dong_bi_loai_lan_tai_{batch_id}.xlsx")
    response.headers["Cache-Control"] = "private, no-store"
    return response
