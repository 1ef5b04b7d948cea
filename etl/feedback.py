"""The citizen feedback register (issue 7): record, assign, answer and close reports, with scope and privacy rules.

Every write runs in the caller's transaction under ``set_actor`` (so the audit log names the person), checks the
caller's role and scope here, and is guarded again by the database (migration 0060), which refuses a move the
flow does not allow. Reads filter by scope and hide the reporter's contact from everyone but an admin in SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import Connection

from etl.errors import CellRefused
from etl.messages import register_labels
from sql import queries
from sql.bulk import set_actor
from sql.errors import Conflict, NotAllowed, PhusongError

VN_TZ = timezone(timedelta(hours=7))
# 15 days to answer a citizen: the default limit of issue 7; every function takes it as a parameter.
OVERDUE_DAYS = 15

Channel = Literal["hotline", "zalo", "web_form", "meeting", "source_app"]
Category = Literal["loudspeaker_broken", "inaudible", "wrong_schedule", "content", "other"]
Status = Literal["received", "assigned", "answered", "closed"]

STATUSES: tuple[str, ...] = ("received", "assigned", "answered", "closed")

# The words users read (GLOSSARY.md), Vietnamese and English.
CHANNEL_LABELS = {
    "hotline": ("Đường dây nóng", "Hotline"), "zalo": ("Zalo", "Zalo"),
    "web_form": ("Cổng thông tin", "Web portal"), "meeting": ("Họp dân", "Village meeting"),
    "source_app": ("Ứng dụng nguồn", "Source-system app"),
}
CATEGORY_LABELS = {
    "loudspeaker_broken": ("Loa hỏng", "Loudspeaker broken"), "inaudible": ("Không nghe rõ", "Inaudible"),
    "wrong_schedule": ("Sai lịch phát", "Wrong schedule"), "content": ("Nội dung", "Content"),
    "other": ("Khác", "Other"),
}
STATUS_LABELS = {
    "received": ("Tiếp nhận", "Received"), "assigned": ("Đã phân công", "Assigned"),
    "answered": ("Đã trả lời", "Answered"), "closed": ("Đã đóng", "Closed"),
}
OVERDUE_LABEL = ("Quá hạn", "Overdue")
register_labels({code: pair[0] for labels in (CHANNEL_LABELS, CATEGORY_LABELS, STATUS_LABELS)
                 for code, pair in labels.items()})

# The flow; the same moves are in the feedback_transition table that the database trigger checks.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "received": ("assigned",), "assigned": ("assigned", "answered"), "answered": ("answered", "closed"),
    "closed": (),
}
_ROLES_WHO_MANAGE = ("admin", "planner")           # assign and close
_ROLES_WHO_ANSWER = ("admin", "planner", "inspector")
_ROLES_WHO_RECORD = ("admin", "planner", "inspector")
_ASSIGNABLE_ROLES = ("admin", "planner", "inspector")
_ROLE_VI = {"planner": "Cán bộ quy hoạch", "inspector": "Cán bộ kiểm tra", "budget": "Cán bộ tài chính",
            "admin": "Quản trị viên"}


class FeedbackError(PhusongError):
    """A register action that cannot be done; the message says why in one sentence, ``vi`` in Vietnamese."""

    def __init__(self, message: str, vi: str | None = None, *, code: str = "", **values: Any) -> None:
        super().__init__(message)
        self.vi = vi or message
        self.code = code or "invalid_value"  # the reason code of etl/messages.py when a feedback import row shows it
        self.values: dict[str, Any] = values or {"kind": "report"}


class FeedbackPermissionError(FeedbackError, NotAllowed):
    """The user's role or scope does not allow this action on this report."""


class FeedbackStateError(FeedbackError, Conflict):
    """The report's status does not allow this action (for example answering a report not yet assigned)."""


@dataclass(frozen=True)
class Viewer:
    """Who is acting: the app's logged-in user or the CLI's operator. ``scope_codes``: province or commune codes."""

    name: str
    role: str
    scope_codes: tuple[str, ...] = ()

    @property
    def whole_country(self) -> bool:
        # issue 6: an empty scope is the whole country for planner/budget/admin; an inspector needs a scope.
        return not self.scope_codes and self.role != "inspector"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def scope_params(self) -> dict[str, Any]:
        return {"whole_country": self.whole_country, "scope_codes": list(self.scope_codes)}


class FeedbackIn(BaseModel):
    """A new report as the form or an import gives it. A point (lon/lat, EPSG:4326) decides the commune."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    received_at: datetime | None = None
    channel: Channel
    category: Category
    text: str = Field(min_length=1, max_length=5000)
    commune_code: str | None = None
    facility_id: int | None = None
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    reporter_contact: str | None = Field(default=None, max_length=200)

    @field_validator("received_at")
    @classmethod
    def _zoned(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=VN_TZ)   # a date without a zone is Viet Nam time
        if value > datetime.now(VN_TZ) + timedelta(days=1):
            raise CellRefused("received_in_future")
        return value

    @model_validator(mode="after")
    def _placed(self) -> FeedbackIn:
        if (self.lon is None) != (self.lat is None):
            raise CellRefused("coordinates_half")
        if self.lon is None and not self.commune_code and self.facility_id is None:
            raise CellRefused("report_needs_place")
        return self


@dataclass(frozen=True)
class Placement:
    """Where a report was placed, and how: 'point', 'facility' or 'commune' (the code as given)."""

    commune_code: str
    commune_name: str
    province_code: str | None
    method: str
    note: str = ""


def now_vn() -> datetime:
    return datetime.now(VN_TZ)


def place_feedback(conn: Connection, entry: FeedbackIn) -> Placement:
    """Find the report's commune: the commune holding its point, else its facility's, else the code given."""
    if entry.lon is not None and entry.lat is not None:
        found = conn.execute(queries.load("commune_at_point"), {"lon": entry.lon, "lat": entry.lat}).first()
        if found is None:
            raise FeedbackError(f"the point (lon {entry.lon}, lat {entry.lat}) is in no loaded commune; "
                                "were longitude and latitude swapped?",
                                f"Điểm (kinh độ {entry.lon}, vĩ độ {entry.lat}) không thuộc xã nào đã nạp; "
                                "kinh độ và vĩ độ có bị đảo không?", code="report_point_in_no_commune",
                                lon=str(entry.lon), lat=str(entry.lat))
        note = ""
        if entry.commune_code and entry.commune_code != found.code:
            note = f"commune {entry.commune_code} given, but the point lies in {found.code} {found.name}: point used"
        return Placement(found.code, found.name, found.province_code, "point", note)
    if entry.facility_id is not None:
        facility = _facility(conn, entry.facility_id)
        commune = _commune(conn, facility.commune_code)
        return Placement(commune.code, commune.name, commune.province_code, "facility")
    assert entry.commune_code is not None
    commune = _commune(conn, entry.commune_code)
    return Placement(commune.code, commune.name, commune.province_code, "commune")


def record_feedback(conn: Connection, viewer: Viewer, entry: FeedbackIn) -> int:
    """Record a new report (status Tiếp nhận) in this transaction and return its id."""
    _require_role(viewer, _ROLES_WHO_RECORD, "record a report")
    if entry.facility_id is not None:
        _facility(conn, entry.facility_id)
    place = place_feedback(conn, entry)
    _require_scope(conn, viewer, place.commune_code)
    set_actor(conn, viewer.name)
    return int(conn.execute(queries.load("inserted_feedback"), {
        "received_at": entry.received_at or now_vn(), "channel": entry.channel, "commune_code": place.commune_code,
        "facility_id": entry.facility_id, "lon": entry.lon, "lat": entry.lat, "category": entry.category,
        "text": entry.text, "reporter_contact": entry.reporter_contact or None, "status": "received",
        "assigned_to": None, "assigned_at": None, "answer": None, "answered_at": None, "closed_at": None,
        "batch_id": None, "created_by": viewer.name, "external_ref": None,
    }).scalar_one())


def assign_feedback(conn: Connection, viewer: Viewer, feedback_id: int, assignee: str,
                    *, at: datetime | None = None) -> None:
    """Assign (or re-assign) a report to a user whose scope holds its commune (Đã phân công)."""
    _require_role(viewer, _ROLES_WHO_MANAGE, "assign a report")
    row = _locked(conn, feedback_id)
    _require_scope(conn, viewer, row.commune_code)
    _require_move(row, "assigned")
    user = conn.execute(queries.load("feedback_assignee"), {"name": assignee}).first()
    if user is None or not user.active:
        raise FeedbackError(f"no active user named {assignee!r}",
                            f"Không có người dùng đang hoạt động tên '{assignee}'.")
    if user.role not in _ASSIGNABLE_ROLES:
        raise FeedbackPermissionError(f"{assignee} is a {user.role} officer and cannot answer reports",
                                      f"{assignee} là {_ROLE_VI.get(user.role, user.role)}, không xử lý phản ánh.")
    target = Viewer(user.name, user.role, tuple(user.scope_codes or ()))
    if not _in_scope(conn, target, row.commune_code):
        raise FeedbackPermissionError(f"{assignee} has no scope over commune {row.commune_code}; "
                                      "assign the report to someone who covers it",
                                      f"{assignee} không phụ trách xã {row.commune_code}; hãy phân công cho "
                                      "người phụ trách xã này.")
    set_actor(conn, viewer.name)
    conn.execute(queries.load("assigned_feedback"),
                 {"id": feedback_id, "assignee": assignee, "at": at or now_vn()})


def answer_feedback(conn: Connection, viewer: Viewer, feedback_id: int, answer: str,
                    *, at: datetime | None = None) -> None:
    """Record the answer given to the citizen (Đã trả lời): by the assignee, or a planner or admin in scope."""
    _require_role(viewer, _ROLES_WHO_ANSWER, "answer a report")
    row = _locked(conn, feedback_id)
    _require_scope(conn, viewer, row.commune_code)
    if viewer.role == "inspector" and row.assigned_to != viewer.name:
        raise FeedbackPermissionError(f"report {feedback_id} is assigned to {row.assigned_to or 'nobody'}, "
                                      f"not to {viewer.name}",
                                      f"Phản ánh số {feedback_id} được phân công cho "
                                      f"{row.assigned_to or 'chưa ai'}, không phải {viewer.name}.")
    _require_move(row, "answered")
    if not answer.strip():
        raise FeedbackError("the answer is empty", "Chưa có nội dung trả lời.")
    when = at or now_vn()
    if when < row.received_at:
        raise FeedbackError(f"the answer date {when:%d/%m/%Y} is before the report was received "
                            f"({row.received_at.astimezone(VN_TZ):%d/%m/%Y})",
                            f"Ngày trả lời {when:%d/%m/%Y} trước ngày tiếp nhận "
                            f"{row.received_at.astimezone(VN_TZ):%d/%m/%Y}.")
    set_actor(conn, viewer.name)
    conn.execute(queries.load("answered_feedback"), {"id": feedback_id, "answer": answer.strip(), "at": when})


def close_feedback(conn: Connection, viewer: Viewer, feedback_id: int, *, at: datetime | None = None) -> None:
    """Close an answered report (Đã đóng)."""
    _require_role(viewer, _ROLES_WHO_MANAGE, "close a report")
    row = _locked(conn, feedback_id)
    _require_scope(conn, viewer, row.commune_code)
    _require_move(row, "closed")
    set_actor(conn, viewer.name)
    conn.execute(queries.load("closed_feedback"), {"id": feedback_id, "at": at or now_vn()})


@dataclass(frozen=True)
class FeedbackFilter:
    """Filters of the register list; None means any."""

    status: str | None = None
    category: str | None = None
    commune_code: str | None = None
    feedback_id: int | None = None
    overdue_only: bool = False


def list_feedback(conn: Connection, viewer: Viewer, filters: FeedbackFilter | None = None, *,
                  as_of: datetime | None = None, overdue_days: int = OVERDUE_DAYS,
                  limit: int = 1000) -> list[dict[str, Any]]:
    """Reports in the viewer's scope, newest first, with ``days_open`` and ``overdue`` as of ``as_of``.

    ``reporter_contact`` is None for everyone but an admin (filtered in the query itself).
    """
    f = filters or FeedbackFilter()
    rows = conn.execute(queries.load("feedback_in_scope"), {
        **viewer.scope_params(), "show_contact": viewer.is_admin, "as_of": as_of or now_vn(),
        "overdue_days": overdue_days, "status": f.status, "category": f.category, "commune_code": f.commune_code,
        "feedback_id": f.feedback_id, "overdue_only": f.overdue_only, "limit": limit,
    }).mappings().all()
    return [dict(r) for r in rows]


def get_feedback(conn: Connection, viewer: Viewer, feedback_id: int) -> dict[str, Any]:
    """One report as the viewer may see it; FeedbackPermissionError when it is outside their scope."""
    rows = list_feedback(conn, viewer, FeedbackFilter(feedback_id=feedback_id), limit=1)
    if not rows:
        raise FeedbackPermissionError(f"report {feedback_id} does not exist or is outside your scope",
                                      f"Không có phản ánh số {feedback_id} trong phạm vi của bạn.")
    return rows[0]


def count_overdue(conn: Connection, viewer: Viewer, *, as_of: datetime | None = None,
                  overdue_days: int = OVERDUE_DAYS) -> int:
    """How many reports in the viewer's scope are overdue (not answered within ``overdue_days``)."""
    return int(conn.execute(queries.load("feedback_overdue_count"), {
        **viewer.scope_params(), "as_of": as_of or now_vn(), "overdue_days": overdue_days}).scalar_one())


def inspection_queue(conn: Connection, viewer: Viewer, *, lon: float | None = None, lat: float | None = None,
                     commune: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Facilities in the viewer's scope in visiting order: open broken/inaudible reports first, then nearest
    (when a location is given) or least recently inspected. See sql/queries/inspection_queue.sql."""
    rows = conn.execute(queries.load("inspection_queue"), {
        "whole_country": viewer.whole_country, "scope": list(viewer.scope_codes), "commune": commune,
        "lon": lon, "lat": lat if lon is not None else None, "limit": limit, "offset": 0,
        "folded": None, "types": None, "statuses": None,
    }).mappings().all()
    return [dict(r) for r in rows]


# --- helpers --------------------------------------------------------------------------------------------------

def _require_role(viewer: Viewer, roles: Sequence[str], action: str) -> None:
    if viewer.role not in roles:
        raise FeedbackPermissionError(f"a {viewer.role} officer may not {action}",
                                      f"{_ROLE_VI.get(viewer.role, viewer.role)} không được thực hiện thao tác này.")


def _in_scope(conn: Connection, viewer: Viewer, commune_code: str | None) -> bool:
    if viewer.whole_country:
        return True
    if not viewer.scope_codes or commune_code is None:
        return False
    return bool(conn.execute(queries.load("commune_in_scope"),
                             {"code": commune_code, "scope_codes": list(viewer.scope_codes)}).scalar_one())


def _require_scope(conn: Connection, viewer: Viewer, commune_code: str | None) -> None:
    if not _in_scope(conn, viewer, commune_code):
        raise FeedbackPermissionError(f"commune {commune_code} is outside the scope of {viewer.name}",
                                      f"Xã {commune_code} nằm ngoài phạm vi phụ trách của {viewer.name}.")


def _require_move(row: Any, to_status: str) -> None:
    if to_status not in TRANSITIONS.get(row.status, ()):
        now_vi, to_vi = STATUS_LABELS[row.status][0], STATUS_LABELS[to_status][0]
        raise FeedbackStateError(f"report {row.id} is '{now_vi}' ({row.status}); it cannot become "
                                 f"'{to_vi}' ({to_status})",
                                 f"Phản ánh số {row.id} đang ở trạng thái '{now_vi}', không chuyển sang "
                                 f"'{to_vi}' được.")


def _locked(conn: Connection, feedback_id: int) -> Any:
    row = conn.execute(queries.load("feedback_for_update"), {"id": feedback_id}).first()
    if row is None:
        raise FeedbackError(f"no report with id {feedback_id}", f"Không có phản ánh số {feedback_id}.")
    return row


def _facility(conn: Connection, facility_id: int) -> Any:
    row = conn.execute(queries.load("facility_for_feedback"), {"id": facility_id}).first()
    if row is None:
        raise FeedbackError(f"no facility with id {facility_id}", f"Không có thiết chế mã {facility_id}.",
                            code="report_no_such_facility", id=facility_id)
    return row


def _commune(conn: Connection, code: str) -> Any:
    row = conn.execute(queries.load("commune_by_code"), {"code": code}).first()
    if row is None:
        raise FeedbackError(f"no 2025 commune with code {code!r}", f"Không có xã mã '{code}'.",
                            code="report_no_such_commune", commune_code=code)
    return row
