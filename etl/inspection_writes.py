"""Inspections written one at a time by the app (the Kiểm tra page, the offline page's sync): the photo checks
and the SQL write. The caller checks the user's role and scope first and brings the commune current after."""

from __future__ import annotations

import base64
import binascii
import io
from typing import Any

from PIL import Image, UnidentifiedImageError
from sqlalchemy import Connection

from sql import queries
from sql.bulk import set_actor
from sql.errors import InputRefused

MAX_PHOTO_BYTES = 5 * 1024 * 1024  # issue 6: JPEG/PNG up to 5 MB
STATUSES = ("operational", "degraded", "broken", "decommissioned", "planned")
# The first bytes of each accepted format: the content decides, never the file name or the browser's label.
_SIGNATURES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}


class InspectionInputError(InputRefused):
    """The form's values cannot be saved (unknown status, bad photo ...); the message is shown to the user."""


def decode_upload(contents: str | None) -> bytes | None:
    """The bytes of a dcc.Upload value ('data:<mime>;base64,<data>'), or None when nothing was chosen."""
    if not contents:
        return None
    try:
        return base64.b64decode(contents.split(",", 1)[1], validate=True)
    except (IndexError, binascii.Error) as exc:
        raise InspectionInputError("ảnh không đọc được (photo cannot be read)") from exc


def check_photo(photo: bytes) -> str:
    """Return the photo's MIME type when it is a JPEG or PNG of at most 5 MB that decodes; raise otherwise."""
    if len(photo) > MAX_PHOTO_BYTES:
        raise InspectionInputError(f"ảnh quá lớn: {len(photo) / 1e6:.1f} MB > 5 MB (photo too large)")
    mime = next((m for sig, m in _SIGNATURES.items() if photo.startswith(sig)), None)
    if mime is None:
        raise InspectionInputError("ảnh phải là JPEG hoặc PNG (photo must be JPEG or PNG)")
    try:
        with Image.open(io.BytesIO(photo)) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise InspectionInputError("ảnh bị hỏng (photo is damaged)") from exc
    return mime


def check_status(status: str) -> None:
    if status not in STATUSES:
        raise InspectionInputError(f"tình trạng không hợp lệ: {status!r}")


def facility_for_inspection(conn: Connection, facility_id: int) -> dict[str, Any] | None:
    """The facility with its commune and the commune's current class, or None when it does not exist."""
    row = conn.execute(queries.load("facility_for_inspection"), {"id": facility_id}).mappings().first()
    return dict(row) if row else None


def append_inspection(conn: Connection, inspector: str, facility_id: int, status: str, *, note: str | None = None,
                      photo: bytes | None = None, lon: float | None = None, lat: float | None = None,
                      submission_id: str | None = None) -> int | None:
    """Append one inspection by ``inspector`` (audited under that name) on ``conn``'s transaction; return its id,
    or None when ``submission_id`` was stored before (a double tap, a retried request: nothing added).

    The trigger on ``inspection`` applies its status to the facility when it is the latest."""
    check_status(status)
    mime = check_photo(photo) if photo else None
    set_actor(conn, inspector)
    return conn.execute(queries.load("insert_inspection"), {
        "facility_id": facility_id, "inspector": inspector, "inspected_at": None, "status_found": status,
        "note": (note or "").strip() or None, "photo": photo, "photo_mime": mime, "lon": lon, "lat": lat,
        "submission_id": submission_id}).scalar()

