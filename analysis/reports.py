"""Figures of the periodic reports (sơ kết / tổng kết): coverage snapshots by period and their comparison.

A snapshot copies every commune's coverage figures and facility counts under a period key ('2026-07', '2026-Q3',
'2026'), so a report "as of" a period gives the same numbers after later inspections. The report figures are
data (dataclasses); rendering them as PDF or XLSX is analysis/outputs' job (periodic.py).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

import shapely
from sqlalchemy import Connection

from sql import queries
from sql.bulk import set_actor
from sql.errors import InputRefused

VN_TZ = timezone(timedelta(hours=7))
# Answering a citizen within 15 days is on time (issue 7); the same default as the feedback register.
ANSWER_LIMIT_DAYS = 15
CLASSES = ("unserved", "underserved", "served")
CLASS_LABELS = {"unserved": "Chưa được phục vụ", "underserved": "Phục vụ chưa đầy đủ", "served": "Đã được phục vụ"}
_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
_PERIOD = re.compile(r"^(\d{4})(?:-Q([1-4])|-(0[1-9]|1[0-2]))?$")


class ReportError(InputRefused):
    """A report or snapshot that cannot be made; the message says what to do."""


@dataclass(frozen=True)
class Period:
    """A reporting period (Kỳ báo cáo): a month, a quarter (Quý) or a year; ``end`` is exclusive (Viet Nam time)."""

    key: str
    kind: str          # 'month', 'quarter' or 'year'
    start: date
    end: date

    @property
    def label_vi(self) -> str:
        if self.kind == "quarter":
            return f"Quý {_ROMAN[(self.start.month - 1) // 3 + 1]}/{self.start.year}"
        if self.kind == "month":
            return f"Tháng {self.start.month}/{self.start.year}"
        return f"Năm {self.start.year}"

    @property
    def review_vi(self) -> str:
        """Sơ kết for a month or quarter, Tổng kết for a year."""
        return "Tổng kết" if self.kind == "year" else "Sơ kết"

    @property
    def start_at(self) -> datetime:
        return datetime(self.start.year, self.start.month, self.start.day, tzinfo=VN_TZ)

    @property
    def end_at(self) -> datetime:
        return datetime(self.end.year, self.end.month, self.end.day, tzinfo=VN_TZ)

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        before = self.start - timedelta(days=1)
        if self.kind == "year":
            return parse_period(str(before.year))
        if self.kind == "quarter":
            return parse_period(f"{before.year}-Q{(before.month - 1) // 3 + 1}")
        return parse_period(f"{before.year}-{before.month:02d}")


def parse_period(text: str) -> Period:
    """Parse '2026-Q3', '2026-07' or '2026' into a Period; ReportError for anything else."""
    match = _PERIOD.match(text.strip())
    if not match:
        raise ReportError(f"'{text}' is not a period (expected a quarter 2026-Q3, a month 2026-07 or a year 2026)")
    year = int(match[1])
    if match[2]:
        q = int(match[2])
        start, end = date(year, 3 * q - 2, 1), _month_after(year, 3 * q)
        return Period(f"{year}-Q{q}", "quarter", start, end)
    if match[3]:
        m = int(match[3])
        return Period(f"{year}-{m:02d}", "month", date(year, m, 1), _month_after(year, m))
    return Period(str(year), "year", date(year, 1, 1), date(year + 1, 1, 1))


def _month_after(year: int, month: int) -> date:
    return date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)


# --- snapshots -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SnapshotResult:
    period: str
    communes: int
    facilities: int
    replaced: bool


def take_snapshot(conn: Connection, period: str, *, replace: bool = False, taken_by: str = "cli",
                  taken_at: datetime | None = None) -> SnapshotResult:
    """Copy the current coverage of every commune and the facility counts under ``period``.

    A period already snapshotted is kept unless ``replace`` is given: a report already sent must not change.
    """
    key = parse_period(period).key
    existing = conn.execute(queries.load("snapshot_exists"), {"period": key}).first()
    if existing is not None and not replace:
        taken = existing.taken_at.astimezone(VN_TZ)
        raise ReportError(f"period {key} already has a snapshot taken {taken:%d/%m/%Y %H:%M} "
                          f"({existing.communes} communes); give --replace to take it again")
    set_actor(conn, taken_by)
    if existing is not None:
        conn.execute(queries.load("deleted_snapshot"), {"period": key})
    communes = int(conn.execute(queries.load("inserted_snapshot"),
                                {"period": key, "taken_at": taken_at or datetime.now(VN_TZ)}).scalar_one())
    if communes == 0:
        raise ReportError("there are no coverage results to keep; run `phusong analyse` first")
    conn.execute(queries.load("inserted_snapshot_communes"), {"period": key})
    facilities = conn.execute(queries.load("inserted_snapshot_facilities"), {"period": key}).rowcount
    return SnapshotResult(key, communes, int(facilities), existing is not None)


def running_periods(today: date) -> list[str]:
    """The month, quarter and year that hold ``today`` (the periods still open)."""
    return [f"{today.year}-{today.month:02d}", f"{today.year}-Q{(today.month - 1) // 3 + 1}", str(today.year)]


def refresh_running_snapshots(conn: Connection, *, today: date | None = None,
                              taken_by: str = "analyse") -> list[SnapshotResult]:
    """Re-take the snapshots of the month, quarter and year still running (called after `phusong analyse`).

    A period's snapshot thus follows the analyses until the period ends and then stays as the last one taken in
    it: a report "as of" a past period is reproducible without anyone remembering to take a snapshot. Periods
    already ended are never touched here.
    """
    day = today or datetime.now(VN_TZ).date()
    return [take_snapshot(conn, key, replace=True, taken_by=taken_by) for key in running_periods(day)]


# --- report figures --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CommuneFigures:
    """One commune in one period's snapshot."""

    code: str
    name: str
    klass: str
    reason: str
    ntm_8_3: bool
    pop_total: float
    pop_covered: float
    villages_total: int
    villages_reached: int
    clusters_working: int
    clusters_broken: int


@dataclass(frozen=True)
class FeedbackFigures:
    """Citizen reports of a period (dates only, so a past period's figures never change)."""

    received: int = 0
    answered: int = 0                 # answers given in the period, whenever the report came in
    received_answered_on_time: int = 0  # of the reports received in the period: answered within the limit
    overdue_at_end: int = 0           # unanswered at the end of the period and older than the limit
    by_category: Mapping[str, int] = field(default_factory=dict)

    @property
    def on_time_share(self) -> float | None:
        return self.received_answered_on_time / self.received if self.received else None


@dataclass(frozen=True)
class PeriodFigures:
    """All province figures of one period."""

    period: Period
    communes: Sequence[CommuneFigures]
    clusters: Mapping[tuple[str, str], int]        # (status, technology) -> loudspeaker clusters
    stations: Mapping[str, int]                    # status -> commune radio stations
    inspections: int
    facilities_inspected: int
    feedback: FeedbackFigures
    feedback_by_commune: Mapping[str, int]

    @property
    def by_class(self) -> dict[str, int]:
        counted = Counter(c.klass for c in self.communes)
        return {k: counted.get(k, 0) for k in CLASSES}

    @property
    def ntm_8_3_passed(self) -> int:
        return sum(1 for c in self.communes if c.ntm_8_3)

    @property
    def pop_covered(self) -> float:
        return sum(c.pop_covered for c in self.communes)

    @property
    def pop_total(self) -> float:
        return sum(c.pop_total for c in self.communes)


@dataclass(frozen=True)
class CommuneChange:
    """A commune's row of the report table: now, before, and the change."""

    now: CommuneFigures
    before: CommuneFigures | None

    @property
    def class_changed(self) -> bool:
        return self.before is not None and self.before.klass != self.now.klass

    @property
    def pop_change(self) -> float | None:
        return None if self.before is None else self.now.pop_covered - self.before.pop_covered


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows; ``previous`` is None without a comparison period."""

    province_code: str
    province_name: str
    current: PeriodFigures
    previous: PeriodFigures | None
    rows: Sequence[CommuneChange]
    geometries: Mapping[str, Any]                  # commune code -> shapely geometry (EPSG:4326)
    snapshot_taken_at: datetime
    answer_limit_days: int = ANSWER_LIMIT_DAYS

    @property
    def class_change(self) -> dict[str, int | None]:
        if self.previous is None:
            return {k: None for k in CLASSES}
        before = self.previous.by_class
        return {k: v - before[k] for k, v in self.current.by_class.items()}

    @property
    def people_newly_reached(self) -> float | None:
        """Sum over communes of the increase in people reached (a commune that lost coverage counts 0)."""
        changes = [r.pop_change for r in self.rows if r.pop_change is not None]
        return None if self.previous is None else sum(max(0.0, c) for c in changes)

    @property
    def people_reached_change(self) -> float | None:
        return None if self.previous is None else self.current.pop_covered - self.previous.pop_covered


def compare_communes(current: Iterable[CommuneFigures], previous: Iterable[CommuneFigures] | None
                     ) -> list[CommuneChange]:
    """Pair each commune of the current period with itself in the previous one (None when it was not there)."""
    before = {c.code: c for c in previous or ()}
    return [CommuneChange(c, before.get(c.code)) for c in sorted(current, key=lambda c: c.code)]


def summarise_feedback(rows: Iterable[Mapping[Any, Any]], period: Period, *,
                       limit_days: int = ANSWER_LIMIT_DAYS) -> tuple[FeedbackFigures, dict[str, int]]:
    """Count a period's reports from their dates: received, answered, answered on time, overdue at the end."""
    start, end, limit = period.start_at, period.end_at, timedelta(days=limit_days)
    received = answered = on_time = overdue = 0
    categories: Counter[str] = Counter()
    by_commune: Counter[str] = Counter()
    for r in rows:
        got, ans = r["received_at"], r["answered_at"]
        known_answer = ans if ans is not None and ans < end else None
        if start <= got < end:
            received += 1
            categories[r["category"]] += 1
            by_commune[r["commune_code"]] += 1
            if known_answer is not None and known_answer - got <= limit:
                on_time += 1
        if known_answer is not None and known_answer >= start:
            answered += 1
        if got < end and known_answer is None and end - got > limit:
            overdue += 1
    return FeedbackFigures(received, answered, on_time, overdue, dict(categories)), dict(by_commune)


def period_figures(conn: Connection, province: str, period: Period, *,
                   limit_days: int = ANSWER_LIMIT_DAYS) -> PeriodFigures:
    """Load one period's figures for a province from its snapshot and the dated tables."""
    if conn.execute(queries.load("snapshot_exists"), {"period": period.key}).first() is None:
        raise ReportError(f"period {period.key} has no coverage snapshot; take one with "
                          f"`phusong report snapshot --period {period.key}` (at the end of the period)")
    params = {"period": period.key, "province": province}
    communes = [_commune_figures(r) for r in
                conn.execute(queries.load("snapshot_communes_in_province"), params).mappings()]
    clusters: Counter[tuple[str, str]] = Counter()
    stations: Counter[str] = Counter()
    for f in conn.execute(queries.load("snapshot_facilities_in_province"), params).mappings():
        if f["type"] == "loudspeaker_cluster":
            clusters[(f["status"], f["technology"])] += f["n"]
        elif f["type"] == "commune_radio_station":
            stations[f["status"]] += f["n"]
    window = {"province": province, "start": period.start_at, "end": period.end_at}
    inspected = conn.execute(queries.load("inspections_in_period"), window).all()
    feedback_rows = conn.execute(queries.load("feedback_in_period"), window).mappings().all()
    feedback, by_commune = summarise_feedback(feedback_rows, period, limit_days=limit_days)
    return PeriodFigures(period, communes, dict(clusters), dict(stations), sum(r.inspections for r in inspected),
                         sum(r.facilities for r in inspected), feedback, by_commune)


def _commune_figures(r: Mapping[Any, Any]) -> CommuneFigures:
    return CommuneFigures(r["commune_code"], r["name"] or r["commune_code"], r["class"], r["reason"], r["ntm_8_3"],
                          float(r["pop_total"] or 0), float(r["pop_covered"] or 0), r["villages_total"],
                          r["villages_reached"], r["clusters_working"], r["clusters_broken"])


def build_report(conn: Connection, province: str, period: str, compare: str | None = None, *,
                 limit_days: int = ANSWER_LIMIT_DAYS, map_tolerance_deg: float = 0.0005) -> ReportData:
    """Gather the figures of a province's report for ``period``, compared with ``compare`` when given."""
    found = conn.execute(queries.load("province_by_code"), {"code": province}).first()
    if found is None:
        raise ReportError(f"no 2025 province with code {province!r}")
    current_period = parse_period(period)
    current = period_figures(conn, province, current_period, limit_days=limit_days)
    if not current.communes:
        raise ReportError(f"the snapshot of {current_period.key} holds no commune of province {province}")
    previous = period_figures(conn, province, parse_period(compare), limit_days=limit_days) if compare else None
    taken_at = conn.execute(queries.load("snapshot_exists"), {"period": current_period.key}).one().taken_at
    geometries = {r.code: shapely.from_wkb(bytes(r.wkb)) for r in conn.execute(
        queries.load("province_communes_geometry"), {"province": province, "tolerance": map_tolerance_deg})}
    return ReportData(province, found.name, current, previous,
                      compare_communes(current.communes, previous.communes if previous else None),
                      geometries, taken_at, limit_days)
