"""Saving an inspection from the app: check the photo, append the inspection, bring its commune current (in the
request through analysis.refresh, or right after it by the worker of app/coverage_refresh.py)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from analysis.refresh import bring_current
from app.auth import AccessDenied, User, require
from etl.inspection_writes import (
    MAX_PHOTO_BYTES,
    STATUSES,
    InspectionInputError,
    append_inspection,
    check_photo,
    check_status,
    decode_upload,
    facility_for_inspection,
)
from sql import queries
from sql.engine import connect, get_engine

# The photo checks and the SQL write live in etl/inspection_writes.py (issue 20); these names stay importable here.
__all__ = ["MAX_PHOTO_BYTES", "STATUSES", "InspectionInputError", "check_photo", "decode_upload"]
INSPECTING_ROLES = ("inspector", "admin")
# Issue 21: farther than this from the facility, the form warns that it may be the wrong one (a phone's fix in the
# hills is usually within 50 m; a loudspeaker cluster serves a few hundred metres).
FAR_FROM_FACILITY_M = 500
_EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG): haversine within 0.5 % of the spheroid, enough for a warning


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


def record_inspection(user: User, facility_id: int, status: str, *, note: str | None = None,
                      photo: bytes | None = None, lon: float | None = None, lat: float | None = None,
                      submission_id: str | None = None, recompute_now: bool = True,
                      inspected_at: Any = None) -> SavedInspection:
    """Append an inspection by ``user``, then recompute its commune's coverage (now, or by the caller's worker).

    Refuses (``AccessDenied``) a facility outside the user's scope and roles that may not inspect. Two saves of
    one facility are both kept; the later inspection decides its status (the trigger on ``inspection``).
    """
    check_status(status)
    with connect() as conn:  # the inspection is committed first: nothing recorded in the field is lost
        facility = facility_for_inspection(conn, facility_id)
        if facility is None:
            raise AccessDenied(f"facility {facility_id} does not exist")
        require(*INSPECTING_ROLES, communes=[facility["commune_code"]], conn=conn)
        new_id = append_inspection(conn, user.name, facility_id, status, note=note, photo=photo, lon=lon, lat=lat,
                                   submission_id=submission_id, inspected_at=inspected_at)
        code = facility["commune_code"]
        # Left to the worker: the class as this transaction sees it (stale since the save); one connection per save.
        after = None if recompute_now else conn.execute(queries.load("commune_class"), {"code": code}).mappings().one()
    if after is None:  # its own commune only (~0.03 s): never a national recompute inside a request
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
