"""Inspections written one at a time by the app (the Kiểm tra page, the offline page's sync): the photo checks
and the SQL write. The caller checks the user's role and scope first and brings the commune current after."""

from __future__ import annotations

import base64
import binascii
import io
import uuid
from dataclasses import dataclass
from datetime import datetime
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
                      submission_id: str | None = None, inspected_at: Any = None) -> int | None:
    """Append one inspection by ``inspector`` at ``inspected_at`` (the real visit time; None: now), audited under
    that name, on ``conn``'s transaction; return its id,
    or None when ``submission_id`` was stored before (a double tap, a retried request: nothing added).

    The trigger on ``inspection`` applies its status to the facility when it is the latest."""
    check_status(status)
    mime = check_photo(photo) if photo else None
    set_actor(conn, inspector)
    return conn.execute(queries.load("insert_inspection"), {
        "facility_id": facility_id, "inspector": inspector, "inspected_at": inspected_at, "status_found": status,
        "note": (note or "").strip() or None, "photo": photo, "photo_mime": mime, "lon": lon, "lat": lat,
        "submission_id": submission_id}).scalar()


# ------------------------------------------------------------------------------------ the offline page (issue 20)

MAX_PHOTOS = 3


@dataclass(frozen=True)
class OfflineInspection:
    """One inspection recorded on the offline page, as the phone sends it."""

    client_uuid: str
    facility_id: int
    status: str
    inspected_at: datetime
    note: str | None = None
    photos: tuple[bytes, ...] = ()
    lon: float | None = None
    lat: float | None = None
    accuracy_m: float | None = None
    base_version: int | None = None  # the facility's version in the area pack the phone worked from


def parse_client_uuid(value: Any) -> str:
    """The canonical text of a UUID made on the phone; raise ``InspectionInputError`` for anything else."""
    try:
        return str(uuid.UUID(str(value)))
    except (ValueError, TypeError, AttributeError) as exc:
        raise InspectionInputError(f"mã phiếu không hợp lệ (bad inspection id): {str(value)[:40]!r}") from exc


def store_offline_inspection(conn: Connection, inspector: str, item: OfflineInspection, *,
                             address: str | None = None) -> tuple[int, bool]:
    """Store ``item`` once: (its inspection id, True) the first time, (the stored one's id, False) after.

    The facility row is locked, so two sends of one facility are judged in turn. When the facility changed since
    the phone's pack (its version grew) and another inspector's inspection decides its status, the new one
    keeps a link to it (``conflict_with``): both are kept, the later inspection decides (the trigger of 0006).
    Photos (at most 3) go in the same transaction: a send cut halfway stores nothing, a repeated one nothing new.
    """
    check_status(item.status)
    if len(item.photos) > MAX_PHOTOS:
        raise InspectionInputError(f"tối đa {MAX_PHOTOS} ảnh (at most {MAX_PHOTOS} photos)")
    mimes = [check_photo(photo) for photo in item.photos]
    existing = conn.execute(queries.load("offline_inspection_outcome"), {"client_uuid": item.client_uuid}).first()
    if existing is not None:
        return int(existing.id), False
    facility = conn.execute(queries.load("facility_locked_for_sync"), {"id": item.facility_id}).mappings().first()
    if facility is None:
        raise InspectionInputError(f"không có thiết chế {item.facility_id} (no such facility)")
    changed = item.base_version is not None and facility["version"] > item.base_version
    conflict_with = (facility["last_id"] if changed and facility["last_inspector"] not in (None, inspector)
                     else None)
    set_actor(conn, inspector, address)
    new_id = conn.execute(queries.load("inserted_offline_inspection"), {
        "facility_id": item.facility_id, "inspector": inspector, "inspected_at": item.inspected_at,
        "status_found": item.status, "note": (item.note or "").strip()[:2000] or None,
        "photo": item.photos[0] if item.photos else None, "photo_mime": mimes[0] if mimes else None,
        "lon": item.lon, "lat": item.lat, "accuracy_m": item.accuracy_m, "client_uuid": item.client_uuid,
        "base_version": item.base_version, "conflict_with": conflict_with}).scalar()
    if new_id is None:  # the same UUID committed by a concurrent send meanwhile
        stored = conn.execute(queries.load("offline_inspection_outcome"), {"client_uuid": item.client_uuid}).one()
        return int(stored.id), False
    for position, (photo, mime) in enumerate(zip(item.photos, mimes, strict=True), start=1):
        conn.execute(queries.load("inserted_inspection_photo"), {
            "inspection_id": new_id, "position": position, "photo": photo, "photo_mime": mime})
    return int(new_id), True


def offline_outcome(conn: Connection, client_uuid: str) -> dict[str, Any] | None:
    """What became of a stored offline inspection: its id, the facility's status now, and the other inspector's
    change it met (who, when, status, whether that one decides), or None when it is not stored."""
    row = conn.execute(queries.load("offline_inspection_outcome"), {"client_uuid": client_uuid}).mappings().first()
    return dict(row) if row else None
