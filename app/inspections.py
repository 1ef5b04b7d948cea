"""Saving an inspection from the app: check the photo, append the inspection, bring its commune current (in the
request through analysis.refresh, or right after it by the worker of app/coverage_refresh.py)."""

from __future__ import annotations

import base64
import binascii
import io
import math
from dataclasses import dataclass
from typing import Any

from PIL import Image, UnidentifiedImageError

from analysis.refresh import bring_current
from app.auth import AccessDenied, User, require
from sql import queries
from sql.bulk import set_actor
from sql.engine import connect, get_engine
from sql.errors import InputRefused

MAX_PHOTO_BYTES = 5 * 1024 * 1024  # issue 6: JPEG/PNG up to 5 MB
STATUSES = ("operational", "degraded", "broken", "decommissioned", "planned")
INSPECTING_ROLES = ("inspector", "admin")
# Issue 21: farther than this from the facility, the form warns that it may be the wrong one (a phone's fix in the
# hills is usually within 50 m; a loudspeaker cluster serves a few hundred metres).
FAR_FROM_FACILITY_M = 500
_EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG): haversine within 0.5 % of the spheroid, enough for a warning
# The first bytes of each accepted format: the content decides, never the file name or the browser's label.
_SIGNATURES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}


class InspectionInputError(InputRefused):
    """The form's values cannot be saved (unknown status, bad photo ...); the message is shown to the user."""


@dataclass(frozen=True)
class SavedInspection:
    inspection_id: int | None      # None: this submission was saved before (a double tap), nothing added
    facility_id: int
    commune_code: str
    class_before: str | None
    class_after: str | None
    stale: bool                    # the commune still waits for its recomputation
    commune_name: str = ""
    facility_name: str = ""


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


def record_inspection(user: User, facility_id: int, status: str, *, note: str | None = None,
                      photo: bytes | None = None, lon: float | None = None, lat: float | None = None,
                      submission_id: str | None = None, recompute_now: bool = True,
                      inspected_at: Any = None) -> SavedInspection:
    """Append an inspection by ``user``, then recompute its commune's coverage (now, or by the caller's worker).

    Refuses (``AccessDenied``) a facility outside the user's scope and roles that may not inspect. Two saves of
    one facility are both kept; the later inspection decides its status (the trigger on ``inspection``).
    """
    if status not in STATUSES:
        raise InspectionInputError(f"tình trạng không hợp lệ: {status!r}")
    mime = check_photo(photo) if photo else None
    with connect() as conn:  # the inspection is committed first: nothing recorded in the field is lost
        facility = conn.execute(queries.load("facility_for_inspection"), {"id": facility_id}).mappings().first()
        if facility is None:
            raise AccessDenied(f"facility {facility_id} does not exist")
        require(*INSPECTING_ROLES, communes=[facility["commune_code"]], conn=conn)
        set_actor(conn, user.name)
        new_id = conn.execute(queries.load("insert_inspection"), {
            "facility_id": facility_id, "inspector": user.name, "inspected_at": inspected_at, "status_found": status,
            "note": (note or "").strip() or None, "photo": photo, "photo_mime": mime, "lon": lon, "lat": lat,
            "submission_id": submission_id}).scalar()
    code = facility["commune_code"]
    if recompute_now:  # its own commune only (~0.03 s): never a national recompute inside a request
        bring_current(get_engine(), communes=[code])
    with connect() as conn:
        after = conn.execute(queries.load("commune_class"), {"code": code}).mappings().one()
    return SavedInspection(new_id, facility_id, code, facility["commune_class"], after["class"], bool(after["stale"]),
                           facility["commune_name"], facility["name"] or "")


def commune_class(code: str) -> tuple[str | None, bool]:
    """(class, still stale) of one commune now."""
    with connect() as conn:
        row = conn.execute(queries.load("commune_class"), {"code": code}).mappings().one()
    return row["class"], bool(row["stale"])


def location_from_store(data: Any) -> tuple[float | None, float | None]:
    """(lon, lat) from the page's location store, or (None, None)."""
    if isinstance(data, dict) and data.get("lon") is not None and data.get("lat") is not None:
        return float(data["lon"]), float(data["lat"])
    return None, None


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres between two WGS 84 points (degrees), by the haversine formula."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_M * math.asin(math.sqrt(h))
