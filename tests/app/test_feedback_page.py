"""The feedback page's callbacks as plain functions: list, overdue badge, entry, actions, privacy, scope."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from types import ModuleType

import pytest
from dash import html
from sqlalchemy import Connection

from etl.feedback import VN_TZ, Viewer
from tests.feedback_seed import centre, seed_world

pytestmark = pytest.mark.db
ADMIN = Viewer("admin1", "admin")
PLANNER = Viewer("planner91", "planner", ("91",))
INSP = Viewer("insp91001", "inspector", ("91001",))
BUDGET = Viewer("budget1", "budget")


@pytest.fixture()
def page() -> ModuleType:
    """The page module as Dash imports it (pages.feedback): pages register only inside an app."""
    from app.app import create_app

    create_app()
    return sys.modules["pages.feedback"]


@pytest.fixture()
def conn(db_conn: Connection, page: ModuleType, monkeypatch: pytest.MonkeyPatch) -> Connection:
    """The page's own connections replaced by the test's rolled-back one."""

    @contextmanager
    def _connect() -> Iterator[Connection]:
        yield db_conn

    monkeypatch.setattr(page, "connect", _connect)
    seed_world(db_conn)
    return db_conn


def _text(component: object) -> str:
    if isinstance(component, str | int | float):
        return str(component)
    children = getattr(component, "children", None)
    if children is None:
        return ""
    if isinstance(children, list | tuple):
        return " ".join(_text(c) for c in children)
    return _text(children)


def test_entry_then_actions_and_the_list_shows_each_step(conn: Connection, page: ModuleType) -> None:
    lon, lat = centre("91001")
    ok, message = page.save_entry(INSP, {"channel": "hotline", "category": "loudspeaker_broken", "lon": lon,
                                         "lat": lat, "text": "Loa bản Huổi Lếch không kêu", "contact": "0987"})
    assert ok, message
    fid = int(message.split("số ")[1].rstrip("."))
    assert page.apply_action(INSP, "assign", fid, assignee="insp91001")[1] == (
        "Không thực hiện được: Cán bộ kiểm tra không được thực hiện thao tác này.")
    assert page.apply_action(PLANNER, "assign", fid, assignee="insp91001") == (
        True, f"Phản ánh số {fid}: đã phân công.")
    assert page.apply_action(INSP, "answer", fid, answer="Đã thay loa")[0]
    assert page.apply_action(PLANNER, "close", fid)[0]
    rows, overdue = page.register_view(PLANNER)
    assert [r["status"] for r in rows] == ["closed"] and overdue == 0
    table = str(page.register_rows(rows, show_contact=False))
    assert "Đã đóng" in table and "Loa hỏng" in table and "Mường Nhé" in table and "0987" not in table


def test_the_form_explains_what_is_missing(conn: Connection, page: ModuleType) -> None:
    ok, message = page.save_entry(INSP, {"channel": "zalo", "category": "other", "text": "x"})
    assert (ok, message) == (False, "Chưa lưu: cần vị trí: nhập mã xã, tọa độ hoặc mã thiết chế")
    ok, message = page.save_entry(INSP, {"channel": "zalo", "category": "other", "text": "", "commune": "91001"})
    assert message == "Chưa lưu: chưa nhập nội dung phản ánh"
    ok, message = page.save_entry(INSP, {"channel": "zalo", "category": "other", "text": "x", "commune": "92001"})
    assert not ok and message == "Chưa lưu: Xã 92001 nằm ngoài phạm vi phụ trách của insp91001."
    ok, message = page.save_entry(BUDGET, {"channel": "zalo", "category": "other", "text": "x", "commune": "91001"})
    assert not ok and "Cán bộ tài chính không được" in message


def test_overdue_badge_scope_and_contact_column(conn: Connection, page: ModuleType) -> None:
    old = datetime.now(VN_TZ) - timedelta(days=20)
    for code in ("91001", "91002", "92001"):
        lon, lat = centre(code)
        page.save_entry(ADMIN, {"channel": "meeting", "category": "inaudible", "lon": lon, "lat": lat,
                                "text": f"nghe không rõ ở {code}", "contact": "Ông Quàng Văn B"})
    conn.exec_driver_sql("UPDATE feedback SET received_at = %(t)s", {"t": old})
    assert page.register_view(ADMIN)[1] == 3
    assert page.register_view(PLANNER)[1] == 2
    rows, overdue = page.register_view(INSP)
    assert overdue == 1 and [r["commune_code"] for r in rows] == ["91001"]
    register = page.register_rows(rows, show_contact=False)
    assert [r["overdue"] for r in register["rows"]] == [True] and register["overdue_label"] == "Quá hạn"
    assert "Liên hệ" not in register["header"] and "Ông Quàng Văn B" not in str(register)
    assert "Ông Quàng Văn B" in str(page.register_rows(page.register_view(ADMIN)[0], show_contact=True))
    assert all(r["reporter_contact"] is None for r in page.register_view(PLANNER)[0])
    points = page.points_for(rows)["features"]
    assert len(points) == 1 and points[0]["properties"]["colour"] == page.OVERDUE_COLOUR
    assert page.bounds_for(rows) is not None
    assert [f["properties"]["code"] for f in page.communes_outline(rows)["features"]] == ["91001"]
    filtered, _ = page.register_view(ADMIN, commune="91002", overdue_only=True)
    assert [r["commune_code"] for r in filtered] == ["91002"]


def test_layout_needs_a_login_and_hides_forms_from_budget(conn: Connection, page: ModuleType,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(page, "current_viewer", lambda: None)
    assert "đăng nhập" in _text(page.layout())
    monkeypatch.setattr(page, "current_viewer", lambda: BUDGET)
    budget_layout = str(page.layout())
    assert "fb-table" in budget_layout and "fb-new-save" not in budget_layout
    monkeypatch.setattr(page, "current_viewer", lambda: INSP)
    assert "fb-new-save" in str(page.layout())
    assert isinstance(page.layout(), html.Div)


def test_overdue_link_counts_the_scope_and_opens_the_filtered_register(conn: Connection, page: ModuleType,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from app.auth import User
    from app.components import common

    @contextmanager
    def _connect() -> Iterator[Connection]:
        yield conn

    monkeypatch.setattr(common, "connect", _connect)
    for code in ("91001", "91002", "92001"):
        lon, lat = centre(code)
        page.save_entry(ADMIN, {"channel": "hotline", "category": "other", "lon": lon, "lat": lat,
                                "text": f"phản ánh ở {code}"})
    conn.exec_driver_sql("UPDATE feedback SET received_at = %(t)s WHERE commune_code <> '91002'",
                         {"t": datetime.now(VN_TZ) - timedelta(days=16)})  # 91002's report is 0 days old
    planner = common.overdue_link(User("planner91", "planner", ("91",)))
    assert _text(planner) == "Quá hạn: 1 phản ánh" and planner.href == "/phan-anh?overdue=1"
    assert _text(common.overdue_link(User("admin1", "admin", ()))) == "Quá hạn: 2 phản ánh"
    assert _text(common.overdue_link(User("insp92", "inspector", ("92",)))) == "Quá hạn: 1 phản ánh"
    assert _text(common.overdue_link(User("x", "inspector", ("91002",)))) == "Quá hạn: 0 phản ánh"
    monkeypatch.setattr(page, "current_viewer", lambda: PLANNER)
    assert _find(page.layout(overdue="1"), "fb-filter-overdue").value == ["overdue"]
    assert _find(page.layout(), "fb-filter-overdue").value == []


def _find(component: object, wanted: str) -> object:
    if getattr(component, "id", None) == wanted:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list | tuple) else [children] if children is not None else []:
        found = _find(child, wanted)
        if found is not None:
            return found
    return None


def test_a_report_opens_with_the_people_it_may_be_assigned_to(conn: Connection, page: ModuleType) -> None:
    """The drawer's report and the assignee list: inspectors whose scope holds the commune, never one outside."""
    lon, lat = centre("91001")
    ok, message = page.save_entry(PLANNER, {"channel": "hotline", "category": "loudspeaker_broken", "lon": lon,
                                            "lat": lat, "text": "Loa không kêu"})
    fid = int(message.split("số ")[1].rstrip("."))
    report, people = page.report_detail(PLANNER, fid)
    names = [p["value"] for p in people]
    assert report["id"] == fid and "insp91001" in names and names.index("insp91001") < names.index("planner91")
    assert "Loa không kêu" in _text(page.detail_for(report))
    from app.auth import AccessDenied

    with pytest.raises(AccessDenied):
        page.report_detail(Viewer("planner92", "planner", ("92",)), fid)
