"""The feedback register: the flow with its state checks, scope and privacy rules, overdue count, inspectors' queue."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from etl.feedback import (
    VN_TZ,
    FeedbackError,
    FeedbackFilter,
    FeedbackIn,
    FeedbackPermissionError,
    FeedbackStateError,
    Viewer,
    answer_feedback,
    assign_feedback,
    close_feedback,
    count_overdue,
    get_feedback,
    inspection_queue,
    list_feedback,
    record_feedback,
)
from tests.feedback_seed import centre, seed_world

pytestmark = pytest.mark.db

ADMIN = Viewer("admin1", "admin")
PLANNER = Viewer("planner91", "planner", ("91",))
INSP = Viewer("insp91001", "inspector", ("91001",))
INSP92 = Viewer("insp92", "inspector", ("92",))
BUDGET = Viewer("budget1", "budget")
T0 = datetime(2026, 9, 1, 8, 0, tzinfo=VN_TZ)


def _report(conn: Connection, commune: str = "91001", *, by: Viewer = ADMIN, category: str = "other",
            facility_id: int | None = None, at: datetime = T0, contact: str | None = "0912 345 678") -> int:
    lon, lat = centre(commune)
    return record_feedback(conn, by, FeedbackIn(received_at=at, channel="hotline", category=category,
                                                text="Loa ở bản không kêu", lon=lon, lat=lat,
                                                facility_id=facility_id, reporter_contact=contact))


def test_the_full_flow_is_recorded_dated_and_audited(db_conn: Connection) -> None:
    seed_world(db_conn)
    fid = _report(db_conn, by=INSP)
    assign_feedback(db_conn, PLANNER, fid, "insp91001", at=T0 + timedelta(days=1))
    answer_feedback(db_conn, INSP, fid, "Đã sửa cụm loa, nghe rõ", at=T0 + timedelta(days=3))
    close_feedback(db_conn, PLANNER, fid, at=T0 + timedelta(days=4))
    row = get_feedback(db_conn, ADMIN, fid)
    assert row["status"] == "closed" and row["commune_code"] == "91001" and row["days_open"] == 4
    steps = db_conn.execute(text("SELECT from_status, to_status, actor FROM feedback_status_history "
                                 "WHERE feedback_id = :id ORDER BY id"), {"id": fid}).all()
    assert [(s.from_status, s.to_status) for s in steps] == [
        (None, "received"), ("received", "assigned"), ("assigned", "answered"), ("answered", "closed")]
    actors = db_conn.execute(text("SELECT \"user\" FROM audit_log WHERE entity = 'feedback' AND entity_id = :id "
                                  "ORDER BY id"), {"id": str(fid)}).scalars().all()
    assert actors == ["insp91001", "planner91", "insp91001", "planner91"]


def test_moves_out_of_order_are_refused_by_the_register_and_by_the_database(db_conn: Connection) -> None:
    seed_world(db_conn)
    fid = _report(db_conn)
    with pytest.raises(FeedbackStateError, match="cannot become 'Đã trả lời'"):
        answer_feedback(db_conn, ADMIN, fid, "xong")
    with pytest.raises(FeedbackStateError, match="cannot become 'Đã đóng'"):
        close_feedback(db_conn, ADMIN, fid)
    savepoint = db_conn.begin_nested()
    with pytest.raises(DBAPIError, match="cannot go from received to closed"):
        db_conn.execute(text("UPDATE feedback SET status = 'closed', answer = 'x', answered_at = now(), "
                             "closed_at = now(), assigned_to = 'admin1' WHERE id = :id"), {"id": fid})
    savepoint.rollback()
    assign_feedback(db_conn, ADMIN, fid, "insp91001")
    answer_feedback(db_conn, ADMIN, fid, "xong")
    close_feedback(db_conn, ADMIN, fid)
    with pytest.raises(FeedbackStateError):
        assign_feedback(db_conn, ADMIN, fid, "insp91001")


def test_commune_comes_from_the_point_even_when_another_is_typed(db_conn: Connection) -> None:
    seed_world(db_conn)
    lon, lat = centre("91002")
    fid = record_feedback(db_conn, ADMIN, FeedbackIn(channel="zalo", category="inaudible", text="Không nghe rõ",
                                                     commune_code="91001", lon=lon, lat=lat))
    assert get_feedback(db_conn, ADMIN, fid)["commune_code"] == "91002"
    with pytest.raises(FeedbackError, match="in no loaded commune; were longitude and latitude swapped"):
        record_feedback(db_conn, ADMIN, FeedbackIn(channel="zalo", category="other", text="x", lon=108.0, lat=12.0))
    with pytest.raises(ValidationError, match="needs a place"):
        FeedbackIn(channel="zalo", category="other", text="x")
    with pytest.raises(ValidationError, match="in the future"):
        FeedbackIn(channel="zalo", category="other", text="x", commune_code="91001",
                   received_at=datetime.now(VN_TZ) + timedelta(days=3))


def test_an_inspector_sees_and_acts_only_in_scope(db_conn: Connection) -> None:
    seed_world(db_conn)
    inside, other_commune, other_province = _report(db_conn, "91001"), _report(db_conn, "91002"), \
        _report(db_conn, "92001")
    assert {r["id"] for r in list_feedback(db_conn, INSP)} == {inside}
    assert {r["id"] for r in list_feedback(db_conn, PLANNER)} == {inside, other_commune}
    assert {r["id"] for r in list_feedback(db_conn, INSP92)} == {other_province}
    assert {r["id"] for r in list_feedback(db_conn, BUDGET)} >= {inside, other_commune, other_province}
    assert list_feedback(db_conn, Viewer("nobody", "inspector", ())) == []
    with pytest.raises(FeedbackPermissionError, match="outside your scope"):
        get_feedback(db_conn, INSP, other_commune)
    with pytest.raises(FeedbackPermissionError, match="outside the scope"):
        record_feedback(db_conn, INSP, FeedbackIn(channel="meeting", category="content", text="x",
                                                  commune_code="92001"))
    with pytest.raises(FeedbackPermissionError, match="has no scope over commune 91002"):
        assign_feedback(db_conn, PLANNER, other_commune, "insp91001")
    with pytest.raises(FeedbackPermissionError, match="may not assign"):
        assign_feedback(db_conn, INSP, inside, "insp91001")
    with pytest.raises(FeedbackPermissionError, match="outside the scope"):
        assign_feedback(db_conn, PLANNER, other_province, "insp92")
    with pytest.raises(FeedbackPermissionError, match="budget officer may not record"):
        _report(db_conn, by=BUDGET)
    assign_feedback(db_conn, PLANNER, inside, "planner91")
    with pytest.raises(FeedbackPermissionError, match="assigned to planner91, not to insp91001"):
        answer_feedback(db_conn, INSP, inside, "xong")


def test_reporter_contact_is_shown_to_admin_only(db_conn: Connection) -> None:
    seed_world(db_conn)
    fid = _report(db_conn)
    assert get_feedback(db_conn, ADMIN, fid)["reporter_contact"] == "0912 345 678"
    for viewer in (PLANNER, INSP, BUDGET):
        assert get_feedback(db_conn, viewer, fid)["reporter_contact"] is None


def test_overdue_count_follows_the_15_day_limit(db_conn: Connection) -> None:
    seed_world(db_conn)
    as_of = datetime(2026, 10, 1, 12, 0, tzinfo=VN_TZ)
    old_open = _report(db_conn, at=as_of - timedelta(days=20))
    _report(db_conn, at=as_of - timedelta(days=10))                         # open but within 15 days
    old_answered = _report(db_conn, at=as_of - timedelta(days=30))          # answered late, not overdue now
    assign_feedback(db_conn, ADMIN, old_answered, "insp91001", at=as_of - timedelta(days=29))
    answer_feedback(db_conn, ADMIN, old_answered, "Đã xử lý", at=as_of - timedelta(days=5))
    old_assigned = _report(db_conn, "91002", at=as_of - timedelta(days=16))  # assigned, not answered: overdue
    assign_feedback(db_conn, ADMIN, old_assigned, "planner91", at=as_of - timedelta(days=15))
    _report(db_conn, "92001", at=as_of - timedelta(days=40))                # overdue, other province
    assert count_overdue(db_conn, ADMIN, as_of=as_of) == 3
    assert count_overdue(db_conn, PLANNER, as_of=as_of) == 2
    assert count_overdue(db_conn, INSP, as_of=as_of) == 1
    assert count_overdue(db_conn, PLANNER, as_of=as_of, overdue_days=7) == 3
    listed = list_feedback(db_conn, INSP, FeedbackFilter(overdue_only=True), as_of=as_of)
    assert [r["id"] for r in listed] == [old_open] and listed[0]["days_open"] == 20


def test_a_broken_report_puts_its_facility_first_in_the_inspection_queue(db_conn: Connection) -> None:
    ids = seed_world(db_conn)
    db_conn.execute(text("UPDATE facility SET last_inspected_at = :t WHERE id = :id"),
                    {"t": T0 - timedelta(days=400), "id": ids["91001"]})
    assert [r["id"] for r in inspection_queue(db_conn, PLANNER)][-1] == ids["91001"]   # inspected: last
    _report(db_conn, "91003", category="loudspeaker_broken", facility_id=ids["91003"])
    _report(db_conn, "91002", category="wrong_schedule", facility_id=ids["91002"])   # not urgent
    queue = inspection_queue(db_conn, PLANNER)
    assert queue[0]["id"] == ids["91003"] and queue[0]["open_reports"] == 1
    assert {r["commune_code"] for r in queue} == {"91001", "91002", "91003"}
    near = inspection_queue(db_conn, PLANNER, lon=centre("91001")[0], lat=centre("91001")[1])
    assert [r["id"] for r in near][:2] == [ids["91003"], ids["91001"]]
    assert [r["id"] for r in inspection_queue(db_conn, INSP)] == [ids["91001"]]
