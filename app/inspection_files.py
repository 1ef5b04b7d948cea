"""Files of the inspectors' work served by Flask (issue 21): an inspection's photo (whole or as a thumbnail) and
the Kobo/ODK form to inspect offline. Every one checks the user's role and scope; a photo of a commune outside
the scope is as missing as one that does not exist (404)."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Any

import flask
from PIL import Image

from app.auth import ROLES, AccessDenied, communes_in_scope, require, scope_binds
from app.downloads import opened_and_unlinked
from app.inspections import INSPECTING_ROLES
from etl.kobo_form import write_kobo_form
from sql import queries
from sql.engine import connect

THUMB_PX = 240  # the long side of a thumbnail in the facility page's history
FORM_CHOICES_LIMIT = 20_000  # an inspector's communes hold a few hundred; an admin's form stays loadable
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def register_routes(server: flask.Flask) -> None:
    server.add_url_rule("/download/inspection-photo/<int:inspection_id>.jpg", "inspection_photo", _photo)
    server.add_url_rule("/download/kobo-form.xlsx", "kobo_form", _kobo_form)


def _kobo_form() -> Any:
    """The XLSForm for KoboToolbox / ODK Collect with the user's facilities as choices (inspectors, admins)."""
    user = require(*INSPECTING_ROLES)
    with connect() as conn:
        facilities = [dict(r) for r in conn.execute(queries.load("facility_codes_in_scope"),
                                                    {**scope_binds(user), "limit": FORM_CHOICES_LIMIT}).mappings()]
    with tempfile.NamedTemporaryFile(prefix="phusong-form-", suffix=".xlsx", delete=False) as handle:
        path = Path(handle.name)
    write_kobo_form(path, facilities)
    return flask.send_file(opened_and_unlinked(path), mimetype=XLSX, as_attachment=True,
                           download_name="phusong_mau_kiem_tra.xlsx", max_age=0)


def _photo(inspection_id: int) -> Any:
    """The photo of one inspection (?size=thumb: a small JPEG), for every role within its scope."""
    user = require(*ROLES)
    with connect() as conn:
        row = conn.execute(queries.load("inspection_photo"), {"id": inspection_id}).mappings().first()
        if row is None or not communes_in_scope(user, [row["commune_code"]], conn=conn):
            raise AccessDenied(f"no photo {inspection_id} in {user.name}'s scope", status=404)
    data, mime = bytes(row["photo"]), row["photo_mime"]
    if flask.request.args.get("size") == "thumb":
        data, mime = _thumbnail(data), "image/jpeg"
    response = flask.make_response(data)
    response.headers["Content-Type"] = mime
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _thumbnail(photo: bytes) -> bytes:
    with Image.open(io.BytesIO(photo)) as image:
        image = image.convert("RGB")
        image.thumbnail((THUMB_PX, THUMB_PX))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=80)
    return out.getvalue()
