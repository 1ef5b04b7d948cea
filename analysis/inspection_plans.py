"""Inspection plans (kế hoạch kiểm tra, issue 23): which facility of a province is due in a period, who checks it,
by when, and whether it was done.

A plan's assignments are proposed here and stored by sql/migrations/0200; an inspection recorded in the period
completes its assignment there (a trigger on ``inspection``, whatever path wrote it), a withdrawn one reopens it.
The balancing of the load is a small pure core (``assign_communes``); the rest reads and writes through
sql/queries.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from analysis.reports import VN_TZ, parse_period
from sql import queries
from sql.bulk import set_actor
from sql.errors import Conflict, InputRefused, NotFound

DEFAULT_EVERY_DAYS = 90  # issue 23's example: a facility is looked at once a quarter
NO_INSPECTOR = "no_inspector_in_scope"
REASON_TEXT = {NO_INSPECTOR: "không có cán bộ kiểm tra nào phụ trách xã này (no inspector's scope holds this commune)"}
_EVERY = re.compile(r"^\s*(\d{1,4})\s*(d|w)?\s*$", re.IGNORECASE)


class InspectionPlanError(InputRefused):
    """A plan that cannot be made as asked (an unknown province or type, a bad period or interval)."""


class InspectionPlanExists(Conflict):
    """The province already has a plan for this period."""


class AssignmentNotChanged(Conflict):
    """A reassignment or removal that does not apply (done already, or the inspector's scope does not hold it)."""


def parse_every(text: str | int) -> int:
    """Days in an interval written '90d', '13w' or '90'; InspectionPlanError for anything else."""
    match = _EVERY.match(str(text))
    days = int(match[1]) * (7 if (match[2] or "d").lower() == "w" else 1) if match else 0
    if days <= 0:
        raise InspectionPlanError(f"khoảng kiểm tra không hợp lệ: {text!r} (an interval such as 90d or 13w)")
    return days


def today_vn() -> date:
    return datetime.now(VN_TZ).date()


# --------------------------------------------------------------------------------------------- the pure core

def assign_communes(due_per_commune: Mapping[str, int], holders: Mapping[str, Sequence[str]]) -> dict[str, str | None]:
    """Give each commune's due facilities to one inspector whose scope holds it, balancing the load.

    A commune stays with one inspector (one round of visits). The communes with the fewest possible inspectors
    are placed first, the largest first among those, each to the least loaded of its inspectors (ties: the
    name), as in longest-processing-time scheduling. A commune nobody holds gets None.
    """
    load: Counter[str] = Counter()
    chosen: dict[str, str | None] = {}
    order = sorted(due_per_commune, key=lambda c: (len(holders.get(c, ())) or 10**9, -due_per_commune[c], c))
    for commune in order:
        candidates = sorted(holders.get(commune, ()), key=lambda name: (load[name], name))
        chosen[commune] = candidates[0] if candidates else None
        if candidates:
            load[candidates[0]] += due_per_commune[commune]
    return chosen


@dataclass(frozen=True)
class Progress:
    """One line of a plan's progress: facilities due in the plan, done, overdue (open past their due date),
    still open (not yet due), and among the open ones those nobody is assigned."""

    key: str
    name: str
    due: int = 0
    done: int = 0
    overdue: int = 0
    open: int = 0
    unassigned: int = 0

    @property
    def done_share(self) -> float | None:
        return self.done / self.due if self.due else None


def summarise_progress(rows: Iterable[Mapping[str, Any]], today: date, *, by: str) -> list[Progress]:
    """Count assignment rows (status, due_date, inspector, commune_code, commune_name) per ``by``: 'commune',
    'inspector' or 'plan'. Removed assignments are not counted; overdue means open with a due date before today."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    names: dict[str, str] = {}
    for r in rows:
        if r["status"] == "removed":
            continue
        key = {"commune": r["commune_code"], "inspector": r["inspector"] or "", "plan": "plan"}[by]
        names[key] = {"commune": r.get("commune_name") or key, "inspector": key, "plan": "Tổng"}[by]
        c = counts[key]
        c["due"] += 1
        if r["status"] == "done":
            c["done"] += 1
        elif r["due_date"] < today:
            c["overdue"] += 1
        else:
            c["open"] += 1
        if r["status"] == "open" and not r["inspector"]:
            c["unassigned"] += 1
    return [Progress(k, names[k], c["due"], c["done"], c["overdue"], c["open"], c["unassigned"])
            for k, c in sorted(counts.items(), key=lambda kv: (kv[0] == "", _alphabetical(names[kv[0]])))]


def _alphabetical(name: str) -> str:
    """A sort key that puts Vietnamese names in dictionary order (Điện Biên Phủ among the D's, not after Z)."""
    plain = unicodedata.normalize("NFD", name.replace("Đ", "D").replace("đ", "d"))
    return "".join(ch for ch in plain if not unicodedata.combining(ch)).casefold()


# --------------------------------------------------------------------------------------------- creating a plan

@dataclass(frozen=True)
class PlanCreated:
    plan_id: int
    province: str
    period: str
    period_start: date
    period_end: date
    every_days: int
    assigned: Mapping[str, int]                       # inspector -> facilities
    unassigned: Mapping[str, int] = field(default_factory=dict)  # commune code -> facilities nobody holds
    priority: Mapping[int, int] = field(default_factory=dict)    # 0 open feedback, 1 broken, 2 other -> count

    @property
    def facilities(self) -> int:
        return sum(self.assigned.values()) + sum(self.unassigned.values())


def create_plan(conn: Connection, province: str, period: str, *, every_days: int = DEFAULT_EVERY_DAYS,
                types: Sequence[str] | None = None, created_by: str) -> PlanCreated:
    """Propose and store the assignments of ``province`` for ``period`` ('2027-Q1', '2027-01', '2027').

    Each facility due (not inspected within ``every_days`` before the period's last day, or never) goes to an
    inspector whose scope holds its commune, one inspector per commune, the load balanced
    (``assign_communes``); a commune no inspector holds is listed unassigned with the reason. Audited under
    ``created_by``. Raises InspectionPlanExists when the province has a plan for the period already.
    """
    span, types_list = _check_plan_request(conn, province, period, every_days, types)
    start, end = span.start, span.end - timedelta(days=1)  # the period's last day (Period.end is exclusive)
    set_actor(conn, created_by)
    plan_id = conn.execute(queries.load("inserted_inspection_plan"), {
        "province": province, "period": span.key, "period_start": start, "period_end": end,
        "every_days": every_days, "types": types_list, "created_by": created_by}).scalar()
    if plan_id is None:
        raise InspectionPlanExists(f"tỉnh {province} đã có kế hoạch kiểm tra {span.key} "
                                   f"(province {province} already has a plan for {span.key})")
    due = conn.execute(queries.load("inspection_plan_due_facilities"), {
        "province": province, "period_start": start, "period_end": end, "every_days": every_days,
        "types": types_list}).mappings().all()
    holders = {c: list(names) for c, names in _holders(conn, province).items()}
    chosen = assign_communes(Counter(r["commune_code"] for r in due), holders)
    inspectors = [chosen[r["commune_code"]] for r in due]
    conn.execute(queries.load("inserted_inspection_assignments"), {
        "plan_id": plan_id, "facility_ids": [r["facility_id"] for r in due],
        "communes": [r["commune_code"] for r in due], "inspectors": inspectors,
        "reasons": [None if name else NO_INSPECTOR for name in inspectors],
        "priorities": [r["priority"] for r in due], "due_dates": [r["due_date"] for r in due]})
    return PlanCreated(int(plan_id), province, span.key, start, end, every_days,
                       dict(Counter(name for name in inspectors if name)),
                       dict(Counter(r["commune_code"] for r, name in zip(due, inspectors, strict=True) if not name)),
                       dict(Counter(int(r["priority"]) for r in due)))


def _check_plan_request(conn: Connection, province: str, period: str, every_days: int,
                        types: Sequence[str] | None) -> tuple[Any, list[str] | None]:
    try:
        span = parse_period(period)
    except InputRefused as exc:
        raise InspectionPlanError(f"kỳ kế hoạch không hợp lệ: {period!r} (a period such as 2027-Q1)") from exc
    if every_days <= 0:
        raise InspectionPlanError(f"khoảng kiểm tra không hợp lệ: {every_days} ngày")
    if conn.execute(queries.load("province_by_code"), {"code": province}).first() is None:
        raise InspectionPlanError(f"không có tỉnh mã {province!r} (no 2025 province with this code)")
    if not types:
        return span, None
    known = set(conn.execute(queries.load("facility_type_codes")).scalars())
    unknown = sorted(set(types) - known)
    if unknown:
        raise InspectionPlanError(f"loại thiết chế không rõ: {', '.join(unknown)} (unknown facility type)")
    return span, sorted(set(types))


def _holders(conn: Connection, province: str) -> dict[str, list[str]]:
    """Commune code -> the active inspectors whose scope holds it."""
    holders: dict[str, list[str]] = defaultdict(list)
    for r in conn.execute(queries.load("inspectors_of_province"), {"province": province}).mappings():
        for commune in r["communes"]:
            holders[commune].append(r["inspector"])
    return holders


# --------------------------------------------------------------------------------------------- reading a plan

def plans_in_scope(conn: Connection, *, whole_country: bool, scope: Sequence[str], province: str | None = None,
                   period: str | None = None, plan_id: int | None = None) -> list[dict[str, Any]]:
    """Plans the user may see (every plan, or those of the provinces named in the scope), newest first."""
    return [dict(r) for r in conn.execute(queries.load("inspection_plans_in_scope"), {
        "whole_country": whole_country, "scope": list(scope), "province": province, "period": period,
        "plan_id": plan_id}).mappings()]


def inspectors_for_commune(conn: Connection, commune: str) -> list[str]:
    """The active inspectors whose scope holds ``commune``."""
    return list(conn.execute(queries.load("inspectors_of_commune"), {"code": commune}).scalars())


def find_plan(conn: Connection, province: str, period: str) -> dict[str, Any]:
    """The province's plan for ``period``; NotFound when there is none."""
    key = parse_period(period).key
    row = conn.execute(queries.load("inspection_plan_by_key"), {"province": province, "period": key}).mappings().first()
    if row is None:
        raise NotFound(f"tỉnh {province} chưa có kế hoạch kiểm tra {key} (no inspection plan for {key})")
    return dict(row)


def plan_assignments(conn: Connection, plan_id: int) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(queries.load("inspection_assignments_of_plan"), {"plan_id": plan_id})
            .mappings()]


@dataclass(frozen=True)
class PlanProgress:
    plan: Mapping[str, Any]
    as_of: date
    total: Progress
    by_commune: list[Progress]
    by_inspector: list[Progress]


def plan_progress(conn: Connection, plan: Mapping[str, Any], *, as_of: date | None = None) -> PlanProgress:
    """Done / due / overdue of one plan, in total, per commune and per inspector, on ``as_of`` (today)."""
    today = as_of or today_vn()
    rows = plan_assignments(conn, int(plan["id"]))
    total = summarise_progress(rows, today, by="plan")
    return PlanProgress(plan, today, total[0] if total else Progress("plan", "Tổng"),
                        summarise_progress(rows, today, by="commune"), summarise_progress(rows, today, by="inspector"))


def plan_completion(conn: Connection, province: str, period: str, *, as_of: date | None = None) -> Progress | None:
    """The totals of the province's plan for ``period`` (the periodic report's figures), or None without one."""
    key = parse_period(period).key
    row = conn.execute(queries.load("inspection_plan_by_key"), {"province": province, "period": key}).mappings().first()
    return None if row is None else plan_progress(conn, dict(row), as_of=as_of).total


def my_assignments(conn: Connection, inspector: str, *, today: date | None = None) -> list[dict[str, Any]]:
    """"Việc của tôi": the inspector's open assignments of plans already begun, overdue first."""
    return [dict(r) for r in conn.execute(queries.load("open_assignments_of_inspector"), {
        "inspector": inspector, "today": today or today_vn()}).mappings()]


# --------------------------------------------------------------------------------------------- editing a plan

def reassign(conn: Connection, plan_id: int, assignment_id: int, inspector: str, *, actor: str) -> None:
    """Give an open assignment to ``inspector`` (an active inspector whose scope holds its commune); audited."""
    set_actor(conn, actor)
    changed = conn.execute(queries.load("reassigned_assignment"), {
        "plan_id": plan_id, "assignment_id": assignment_id, "inspector": inspector}).first()
    if changed is None:
        raise AssignmentNotChanged(f"không giao lại được việc {assignment_id} cho {inspector}: việc đã xong hoặc xã "
                                   "ngoài phạm vi của cán bộ này (done already, or outside that inspector's scope)")


def remove_assignment(conn: Connection, plan_id: int, assignment_id: int, *, actor: str) -> None:
    """Take an open assignment out of the plan (kept as removed); audited."""
    set_actor(conn, actor)
    changed = conn.execute(queries.load("removed_assignment"), {
        "plan_id": plan_id, "assignment_id": assignment_id}).first()
    if changed is None:
        raise AssignmentNotChanged(f"không bỏ được việc {assignment_id}: việc đã xong hoặc đã bỏ "
                                   "(done or removed already)")
