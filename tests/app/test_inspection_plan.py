"""Issue 23, inspection plans on the demo province: every due facility assigned once to an inspector whose scope
holds it, an inspection (app save, offline sync, bulk insert) completes its assignment and a withdrawal reopens it,
overdue ones in the status and the periodic report, and the CLI."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, create_engine, text

from analysis.inspection_plans import (
    AssignmentNotChanged,
    InspectionPlanExists,
    create_plan,
    find_plan,
    my_assignments,
    plan_assignments,
    plan_progress,
    reassign,
    remove_assignment,
)
from app.auth import add_user

pytestmark = pytest.mark.db
PROVINCE = "11"
ROLLED_BACK_PERIOD = "2026-12"  # plans made in these tests are rolled back; the committed ones use other periods


@pytest.fixture()
def conn(demo_database: str) -> Iterator[Connection]:
    """A connection to the demo database whose transaction is rolled back: nothing here is seen by other tests."""
    engine = create_engine(demo_database)
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            yield connection
        finally:
            transaction.rollback()
    engine.dispose()


def _due_facilities(conn: Connection, every_days: int, last_day: date) -> set[int]:
    """The due facilities, counted independently of the plan's query."""
    return set(conn.execute(text(
        "SELECT f.id FROM facility f JOIN commune c ON c.code = f.commune_code WHERE c.province_code = :p "
        "AND f.status NOT IN ('decommissioned', 'planned') AND (f.last_inspected_at IS NULL "
        "OR (f.last_inspected_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date <= :last - :every)"),
        {"p": PROVINCE, "last": last_day, "every": every_days}).scalars())


def test_a_plan_assigns_every_due_facility_once_to_an_inspector_whose_scope_holds_it(conn: Connection) -> None:
    add_user(conn, "kt_tinh_a", "mat-khau-dai-a", role="inspector", scope_codes=[PROVINCE])
    add_user(conn, "kt_tinh_b", "mat-khau-dai-b", role="inspector", scope_codes=[PROVINCE])
    made = create_plan(conn, PROVINCE, ROLLED_BACK_PERIOD, every_days=90, created_by="pytest")
    rows = plan_assignments(conn, made.plan_id)
    facilities = [r["facility_id"] for r in rows]
    assert len(facilities) == len(set(facilities)) == made.facilities > 0
    assert set(facilities) == _due_facilities(conn, 90, date(2026, 12, 31))
    for r in rows:  # assigned to someone whose scope holds the commune (every commune is held: province scopes)
        assert r["inspector"] and conn.execute(text(
            "SELECT commune_in_scope(:c, scope_codes) AND role = 'inspector' FROM app_user WHERE name = :n"),
            {"c": r["commune_code"], "n": r["inspector"]}).scalar_one(), r
    loads = [n for name, n in made.assigned.items() if name.startswith("kt_tinh_")]
    biggest_commune = max(sum(1 for r in rows if r["commune_code"] == c) for c in {r["commune_code"] for r in rows})
    assert len(loads) == 2 and abs(loads[0] - loads[1]) <= biggest_commune, made.assigned
    # priority order: a facility with an open citizen report comes first
    reported = set(conn.execute(text("SELECT facility_id FROM feedback WHERE status IN ('received', 'assigned')"))
                   .scalars())
    assert all(r["priority"] == 0 for r in rows if r["facility_id"] in reported)
    assert [r["priority"] for r in rows if r["status"] == "open"] == sorted(
        r["priority"] for r in rows if r["status"] == "open")
    audited = conn.execute(text("SELECT count(*) FROM audit_log WHERE entity = 'inspection_assignment' "
                                "AND action = 'insert' AND \"user\" = 'pytest' AND after->>'plan_id' = :p"),
                           {"p": str(made.plan_id)}).scalar_one()
    assert audited == len(rows)
    with pytest.raises(InspectionPlanExists):
        create_plan(conn, PROVINCE, ROLLED_BACK_PERIOD, created_by="pytest")


def test_communes_no_inspector_holds_are_listed_unassigned_with_the_reason(conn: Connection) -> None:
    # Only the demo's inspector (2 of the 45 communes): inspectors other tests created may hold the whole province
    # (this transaction is rolled back).
    conn.execute(text("UPDATE app_user SET active = false WHERE role = 'inspector' AND name <> 'kiemtra'"))
    made = create_plan(conn, PROVINCE, ROLLED_BACK_PERIOD, every_days=90, types=["loudspeaker_cluster"],
                       created_by="pytest")
    rows = plan_assignments(conn, made.plan_id)
    assert {r["type"] for r in rows} == {"loudspeaker_cluster"}
    held = set(conn.execute(text(
        "SELECT c.code FROM commune c JOIN app_user u ON u.role = 'inspector' AND u.active "
        "AND (c.code = ANY (u.scope_codes) OR c.province_code = ANY (u.scope_codes)) WHERE c.province_code = :p"),
        {"p": PROVINCE}).scalars())
    unassigned = {r["commune_code"] for r in rows if r["inspector"] is None}
    assert unassigned and not unassigned & held  # the demo's inspector holds 2 of the 45 communes
    assert all(r["unassigned_reason"] == "no_inspector_in_scope" for r in rows if r["inspector"] is None)
    assert {r["commune_code"] for r in rows if r["inspector"] == "kiemtra"} <= {"03160", "03162"}


def test_an_inspection_completes_its_assignment_and_a_withdrawal_reopens_it(conn: Connection) -> None:
    from etl.inspection_writes import OfflineInspection, append_inspection, store_offline_inspection

    made = create_plan(conn, PROVINCE, ROLLED_BACK_PERIOD, every_days=3650, created_by="pytest")
    open_rows = [r for r in plan_assignments(conn, made.plan_id) if r["status"] == "open"]
    first, second, third, fourth = (r["facility_id"] for r in open_rows[:4])
    now = datetime.now(UTC)
    saved = append_inspection(conn, "kiemtra", first, "operational", inspected_at=now)  # the app's save
    synced, _ = store_offline_inspection(conn, "kiemtra", OfflineInspection(  # the offline page's sync
        "6f1c2b1e-0000-4000-8000-00000000f00d", second, "broken", now - timedelta(hours=1)))
    conn.execute(text(  # an upload's bulk insert: one statement, two rows
        "INSERT INTO inspection (facility_id, inspector, inspected_at, status_found, source) "
        "VALUES (:a, 'kobo', :at, 'operational', 'kobo'), (:b, 'kobo', :at, 'degraded', 'kobo')"),
        {"a": third, "b": fourth, "at": now})
    state = {r["facility_id"]: r for r in plan_assignments(conn, made.plan_id)}
    assert state[first]["status"] == "done" and state[first]["inspection_id"] == saved
    assert state[second]["status"] == "done" and state[second]["inspection_id"] == synced
    assert state[third]["status"] == state[fourth]["status"] == "done"
    # an inspection before the period completes nothing
    old = [r["facility_id"] for r in open_rows[4:5]][0]
    append_inspection(conn, "kiemtra", old, "operational", inspected_at=datetime(2026, 11, 1, tzinfo=UTC))
    assert {r["facility_id"]: r for r in plan_assignments(conn, made.plan_id)}[old]["status"] == "open"
    conn.execute(text("UPDATE inspection SET withdrawn_at = now(), withdrawn_by = 'kiemtra' WHERE id = :i"),
                 {"i": saved})
    reopened = {r["facility_id"]: r for r in plan_assignments(conn, made.plan_id)}[first]
    assert reopened["status"] == "open" and reopened["inspection_id"] is None


def test_reassigning_keeps_to_the_inspectors_scope_and_removing_is_audited(conn: Connection) -> None:
    made = create_plan(conn, PROVINCE, ROLLED_BACK_PERIOD, every_days=90, created_by="pytest")
    add_user(conn, "kt_xa_khac", "mat-khau-dai-c", role="inspector", scope_codes=["03127"])  # came later
    rows = plan_assignments(conn, made.plan_id)
    in_03160 = next(r for r in rows if r["commune_code"] == "03160" and r["status"] == "open")
    with pytest.raises(AssignmentNotChanged):  # 03160 is outside that inspector's scope
        reassign(conn, made.plan_id, in_03160["id"], "kt_xa_khac", actor="quyhoach")
    in_03127 = next(r for r in rows if r["commune_code"] == "03127" and r["status"] == "open")
    reassign(conn, made.plan_id, in_03127["id"], "kt_xa_khac", actor="quyhoach")
    remove_assignment(conn, made.plan_id, in_03160["id"], actor="quyhoach")
    after = {r["id"]: r for r in plan_assignments(conn, made.plan_id)}
    assert after[in_03127["id"]]["inspector"] == "kt_xa_khac" and after[in_03160["id"]]["status"] == "removed"
    with pytest.raises(AssignmentNotChanged):
        remove_assignment(conn, made.plan_id, in_03160["id"], actor="quyhoach")
    assert conn.execute(text("SELECT count(*) FROM audit_log WHERE entity = 'inspection_assignment' "
                             "AND \"user\" = 'quyhoach' AND action = 'update'")).scalar_one() == 2


def test_overdue_assignments_show_in_the_progress_and_in_my_list(conn: Connection) -> None:
    made = create_plan(conn, PROVINCE, ROLLED_BACK_PERIOD, every_days=90, created_by="pytest")
    progress = plan_progress(conn, {"id": made.plan_id}, as_of=date(2027, 1, 2))  # after the period: all late
    total = progress.total
    assert total.due == made.facilities and total.overdue == total.due - total.done > 0
    assert sum(p.overdue for p in progress.by_commune) == sum(p.overdue for p in progress.by_inspector) == total.overdue
    mine = my_assignments(conn, "kiemtra", today=date(2027, 1, 2))
    assert mine and all(r["overdue"] for r in mine)
    assert {r["commune_code"] for r in mine} <= {"03160", "03162"}


def test_the_cli_creates_a_plan_and_prints_its_status(demo_database: str, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli import main
    from sql.settings import get_settings

    monkeypatch.setenv("PHUSONG_DATABASE_URL", demo_database)
    get_settings.cache_clear()
    engine = create_engine(demo_database)  # only the demo's inspector, as above; the others are set back after
    with engine.begin() as c:
        others = c.execute(text("UPDATE app_user SET active = false WHERE role = 'inspector' AND active "
                                "AND name <> 'kiemtra' RETURNING name")).scalars().all()
    try:
        assert main(["inspection-plan", "create", "--province", PROVINCE, "--period", "2027-Q2", "--every", "90d",
                     "--types", "loudspeaker_cluster,commune_radio_station"]) == 0
    finally:
        with engine.begin() as c:
            c.execute(text("UPDATE app_user SET active = true WHERE name = ANY(:n)"), {"n": list(others)})
        engine.dispose()
    created = capsys.readouterr().out
    assert "facilities due" in created and "unassigned: " in created and "kiemtra:" in created
    assert main(["inspection-plan", "create", "--province", PROVINCE, "--period", "2027-Q2"]) == 1
    assert "already has a plan" in capsys.readouterr().err
    assert main(["inspection-plan", "status", "--province", PROVINCE, "--period", "2027-Q2",
                 "--as-of", "2027-07-01"]) == 0
    status = capsys.readouterr().out
    assert "per commune:" in status and "per inspector:" in status and "kiemtra" in status
    total_line = next(line for line in status.splitlines() if line.strip().startswith("total"))
    assert "overdue    0" not in total_line  # after the quarter every open one is late
    get_settings.cache_clear()


def test_the_periodic_report_gains_the_plans_completion(conn: Connection) -> None:
    from openpyxl import load_workbook

    from analysis.outputs.periodic import report_bytes

    period = conn.execute(text("SELECT period FROM coverage_snapshot WHERE period LIKE '%-Q%' "
                               "ORDER BY period DESC LIMIT 1")).scalar_one()
    try:
        plan_id = create_plan(conn, PROVINCE, period, every_days=3650, created_by="pytest").plan_id
    except InspectionPlanExists:  # the browser test's plan of this period, committed before
        plan_id = find_plan(conn, PROVINCE, period)["id"]
    conn.execute(text("UPDATE inspection_assignment SET due_date = :d WHERE plan_id = :p"),
                 {"d": date.today() - timedelta(days=2), "p": plan_id})
    rows = [r for r in plan_assignments(conn, plan_id) if r["status"] != "removed"]
    book = load_workbook(io.BytesIO(report_bytes(conn, PROVINCE, period, fmt="xlsx")))
    figures = {row[0]: row[1] for row in book["Tổng hợp"].iter_rows(values_only=True) if row and row[0]}
    done = sum(r["status"] == "done" for r in rows)
    assert figures["Kế hoạch kiểm tra: thiết chế phải kiểm tra"] == len(rows) > 0
    assert figures["Kế hoạch kiểm tra: đã kiểm tra"] == done
    assert figures["Kế hoạch kiểm tra: quá hạn"] == len(rows) - done > 0
    assert "Kế hoạch kiểm tra" in _pdf_text(report_bytes(conn, PROVINCE, period, fmt="pdf"))


def _pdf_text(pdf: bytes) -> str:
    import subprocess

    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def test_the_app_role_completes_and_reassigns(demo_database: str) -> None:
    """The web app writes as phusong_app (least rights): the completion trigger and a reassignment work there."""
    from etl.inspection_writes import append_inspection
    from tests.app.conftest import as_app_role
    from tests.app.plan_helpers import demo_plan

    plan_id = demo_plan(demo_database)
    engine = create_engine(as_app_role(demo_database))
    with engine.connect() as app_conn:
        transaction = app_conn.begin()
        try:
            first, second = app_conn.execute(text(
                "SELECT id, facility_id FROM inspection_assignment WHERE plan_id = :p AND status = 'open' "
                "AND inspector = 'kiemtra' ORDER BY id DESC LIMIT 2"), {"p": plan_id}).all()
            append_inspection(app_conn, "kiemtra", first.facility_id, "operational", inspected_at=datetime.now(UTC))
            reassign(app_conn, plan_id, second.id, "kiemtra", actor="quantri")
            remove_assignment(app_conn, plan_id, second.id, actor="quantri")
            states = dict(app_conn.execute(text("SELECT id, status FROM inspection_assignment WHERE id IN (:a, :b)"),
                                           {"a": first.id, "b": second.id}).all())
            assert states == {first.id: "done", second.id: "removed"}
        finally:
            transaction.rollback()
    engine.dispose()


def test_the_page_reassigns_and_removes_within_the_scope(flask_client: Any, demo_database: str) -> None:
    """As the page does it: the inspectors offered hold the commune; a removal is audited under the user."""
    from tests.app.plan_helpers import demo_plan
    from tests.app.test_route_scope import _login, _name, _payload

    plan_id = demo_plan(demo_database)
    engine = create_engine(demo_database)
    with engine.connect() as c:
        row = dict(c.execute(text(
            "SELECT id, commune_code FROM inspection_assignment WHERE plan_id = :p AND status = 'open' "
            "AND commune_code = '03162' ORDER BY id DESC LIMIT 1"), {"p": plan_id}).mappings().one())
    callbacks = {_name(e): (k, e) for k, e in flask_client.dash_app.callback_map.items()}
    selected = {"iplan-grid.selectedRows": [{**row, "open": True}], "iplan-plan.value": plan_id}
    _login(flask_client, "admin")
    offered = flask_client.post("/_dash-update-component", json=_payload(
        *callbacks["pages.inspection_plan.pick_assignment"], selected)).get_json()["response"]
    assert {"label": "kiemtra", "value": "kiemtra"} in offered["iplan-inspector"]["options"]
    payload = _payload(*callbacks["pages.inspection_plan.change_assignment"],
                       {**selected, "iplan-reassign.n_clicks": None, "iplan-remove.n_clicks": 1})
    payload["changedPropIds"] = ["iplan-remove.n_clicks"]  # the remove button was pressed
    removed = flask_client.post("/_dash-update-component", json=payload)
    assert removed.status_code == 200 and "iplan-changed-message" in removed.get_data(as_text=True)
    with engine.connect() as c:
        assert c.execute(text("SELECT status FROM inspection_assignment WHERE id = :i"),
                         {"i": row["id"]}).scalar_one() == "removed"
        assert c.execute(text("SELECT \"user\" FROM audit_log WHERE entity = 'inspection_assignment' "
                              "AND entity_id = :i AND action = 'update' ORDER BY id DESC LIMIT 1"),
                         {"i": str(row["id"])}).scalar_one() == "quantri"
    engine.dispose()
