"""An inspector's own inspections of the day: undone within a few minutes, or corrected the same day (issue 21).

Inspections stay append-only (migration 0150): undoing withdraws one (``withdrawn_at``), correcting withdraws it
and appends the corrected one (``corrects_id``). The database then gives the facility back the status its latest
remaining inspection found; the facility change marks its commune stale, and the caller's usual write path
(app/coverage_refresh.py) brings the commune current. Role and scope are the caller's to check; these functions
check that the inspection is the inspector's own, made in the app, and recent enough.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from sql import queries
from sql.bulk import set_actor
from sql.errors import InputRefused, NotFound

UNDO_MINUTES = 5  # a destructive status saved by mistake can be undone this long
LOCAL_TIME = ZoneInfo("Asia/Ho_Chi_Minh")  # "the day" is the inspector's day in Viet Nam
CORRECTABLE_STATUSES = ("operational", "degraded", "broken", "decommissioned")
MAX_NOTE_CHARS = 2000


class InspectionNotCorrectable(NotFound):
    """The inspection is not this inspector's, not from today (or past the undo minutes), or withdrawn before."""


class CorrectionRefused(InputRefused):
    """The corrected values cannot be saved (unknown status, a visit time in the future ...)."""


@dataclass(frozen=True)
class Withdrawn:
    inspection_id: int
    facility_id: int
    corrected_by: int | None = None  # the correction appended in its place, if any


def start_of_day(now: datetime | None = None) -> datetime:
    """Midnight of today in Viet Nam, as an aware datetime."""
    local = (now or datetime.now(LOCAL_TIME)).astimezone(LOCAL_TIME)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def own_inspections_today(conn: Connection, inspector: str) -> list[dict[str, Any]]:
    """The inspections ``inspector`` saved in the app today, newest first (withdrawn ones marked)."""
    found = conn.execute(queries.load("own_inspections_since"), {"inspector": inspector, "since": start_of_day()})
    return [dict(r) for r in found.mappings()]


def undo_inspection(conn: Connection, inspector: str, inspection_id: int) -> Withdrawn:
    """Withdraw an inspection ``inspector`` saved less than UNDO_MINUTES ago (audited as theirs)."""
    since = datetime.now(LOCAL_TIME) - timedelta(minutes=UNDO_MINUTES)
    return _withdraw(conn, inspector, inspection_id, since)


def correct_inspection(conn: Connection, inspector: str, inspection_id: int, *, status: str, note: str | None,
                       inspected_at: datetime) -> Withdrawn:
    """Replace an inspection ``inspector`` saved today by a corrected one (status, note, visit time)."""
    if status not in CORRECTABLE_STATUSES:
        raise CorrectionRefused(f"tình trạng không hợp lệ: {status!r} (unknown status)")
    check_visit_time(inspected_at)
    withdrawn = _withdraw(conn, inspector, inspection_id, start_of_day())
    new_id = conn.execute(queries.load("insert_inspection_correction"), {
        "corrects": inspection_id, "inspected_at": inspected_at, "status_found": status,
        "note": (note or "").strip()[:MAX_NOTE_CHARS] or None}).scalar_one()
    return Withdrawn(withdrawn.inspection_id, withdrawn.facility_id, int(new_id))


def check_visit_time(inspected_at: datetime) -> None:
    """A visit time is refused in the future (a minute of clock drift allowed) or before yesterday's start."""
    if inspected_at.tzinfo is None:
        inspected_at = inspected_at.replace(tzinfo=LOCAL_TIME)
    now = datetime.now(LOCAL_TIME)
    if inspected_at > now + timedelta(minutes=1):
        raise CorrectionRefused("Thời điểm kiểm tra không thể ở tương lai. (The visit time cannot be in the future.)")
    if inspected_at < start_of_day(now) - timedelta(days=30):
        raise CorrectionRefused("Thời điểm kiểm tra quá xa (hơn 30 ngày). (The visit time is more than 30 days ago.)")


def _withdraw(conn: Connection, inspector: str, inspection_id: int, since: datetime) -> Withdrawn:
    set_actor(conn, inspector)
    row = conn.execute(queries.load("withdraw_own_inspection"),
                       {"id": inspection_id, "inspector": inspector, "since": since}).mappings().first()
    if row is None:
        raise InspectionNotCorrectable(
            "Không thể sửa hoặc hoàn tác lần kiểm tra này (không phải của bạn, đã quá hạn hoặc đã hoàn tác). "
            "(This inspection cannot be changed: not yours, too old or already undone.)")
    return Withdrawn(int(row["id"]), int(row["facility_id"]))


def facility_of_inspection(conn: Connection, inspection_id: int) -> dict[str, Any] | None:
    """The facility and commune an inspection belongs to (for the caller's scope check), or None."""
    row = conn.execute(queries.load("inspection_facility"), {"id": inspection_id}).mappings().first()
    return dict(row) if row else None
