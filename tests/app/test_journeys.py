"""Each role's journey through the served app in Debian's Chromium, with no internet; screenshots in out/screenshots."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from analysis.refresh import bring_current
from etl.feedback import Viewer, count_overdue
from sql.bulk import set_actor
from tests.app.conftest import log_in, screenshot

pytestmark = [pytest.mark.db, pytest.mark.browser]

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True,
         "permissions": ["geolocation"]}
WIDE_CLUSTER = "Cụm loa thử nghiệm Nậm Kè"


@pytest.fixture(scope="module")
def nam_ke_one_repair_from_served(demo_database: str) -> dict[str, float]:
    """Nậm Kè (03162, in the inspector's scope) one repair away from a better class: its station was found
    working by an earlier inspection, and a broken IP cluster with a 30 km reach stands in it. Returns where."""
    engine = create_engine(demo_database)
    with engine.begin() as conn:
        set_actor(conn, "test-setup")
        conn.execute(text(
            "INSERT INTO facility (external_id, type, technology, name, commune_code, geom, status) "
            "SELECT 'TEST-03162-DAI', 'commune_radio_station', 'wired', 'Đài thử nghiệm Nậm Kè', code, "
            "ST_PointOnSurface(geom), 'broken' FROM commune WHERE code = '03162' AND NOT EXISTS "
            "(SELECT 1 FROM facility WHERE commune_code = '03162' AND type = 'commune_radio_station')"))
        conn.execute(text(
            "INSERT INTO inspection (facility_id, inspector, inspected_at, status_found, source) "
            "SELECT id, 'test-setup', now() - interval '1 day', 'operational', 'app' FROM facility "
            "WHERE commune_code = '03162' AND type = 'commune_radio_station'"))
        point = conn.execute(text(
            "INSERT INTO facility (external_id, type, technology, name, commune_code, geom, status, radius_m) "
            "SELECT 'TEST-03162-WIDE', 'loudspeaker_cluster', 'ip', :name, code, ST_PointOnSurface(geom), "
            "'broken', 30000 FROM commune WHERE code = '03162' "
            "RETURNING ST_X(geom) AS longitude, ST_Y(geom) AS latitude"), {"name": WIDE_CLUSTER}).mappings().one()
        bring_current(conn, communes=["03162"])
    engine.dispose()
    return dict(point)


def test_planner_finds_a_commune_without_diacritics_and_reads_its_reason(browser: Any, app_url: str,
                                                                        demo_database: str) -> None:
    engine = create_engine(demo_database)
    with engine.connect() as conn:
        reason, passed = conn.execute(text(
            "SELECT reason, ntm_8_3 FROM coverage_commune WHERE commune_code = '03160'")).one()
        overdue = count_overdue(conn, Viewer("quyhoach", "planner"))
    engine.dispose()
    page = log_in(browser, app_url, "planner", viewport={"width": 1366, "height": 850})
    page.goto(app_url)
    page.wait_for_selector("#map-main .leaflet-overlay-pane canvas", timeout=30_000)
    assert "45 xã/phường/đặc khu" in page.inner_text("#map-commune-count")
    assert page.locator("nav").inner_text().count("Bản đồ phủ sóng") == 1
    # A click on the map opens the commune under it (facilities hidden: their clusters would take the click).
    page.click("#map-layers label:has-text('Thiết chế')")
    page.wait_for_timeout(500)
    box = page.locator("#map-main").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector("#map-panel-name", timeout=20_000)
    page.fill("#map-search", "Muong Nhe")
    page.click("text=Mường Nhé · Điện Biên")
    page.wait_for_selector("#map-panel-name:text-is('Mường Nhé')", timeout=20_000)
    assert page.inner_text("#map-panel-reason").strip()
    assert page.inner_text("#map-panel-reason") == reason and reason
    assert "Cụm loa" in page.inner_text("#map-panel-facilities")
    assert page.inner_text("#map-panel-verdict") == ("Đạt" if passed else "Chưa đạt")
    page.wait_for_timeout(1000)  # the fly to the commune
    screenshot(page, "map_planner_commune")
    # The overdue citizen reports of the planner's scope (the whole country), a link to the filtered register.
    assert page.inner_text("#overdue-link") == f"Quá hạn: {overdue} phản ánh" and overdue > 0
    page.click("#overdue-link")
    page.wait_for_url("**/phan-anh?overdue=1")
    page.wait_for_selector("#fb-filter-overdue input:checked")
    page.wait_for_selector("#fb-table tbody tr")
    assert page.locator("#fb-table tbody tr").count() == min(overdue, 300)
    assert page.blocked == []  # type: ignore[attr-defined]
    page.context.close()


def test_inspector_on_a_phone_records_an_inspection_and_sees_the_class_change(
        browser: Any, app_url: str, demo_database: str, tmp_path: Path,
        nam_ke_one_repair_from_served: dict[str, float]) -> None:
    photo = tmp_path / "loa.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "JPEG")
    photo.write_bytes(buffer.getvalue())
    audited_before = _inspections_audited(demo_database)  # other tests of the session inspect too
    page = log_in(browser, app_url, "inspector", geolocation=nam_ke_one_repair_from_served, **PHONE)
    page.goto(f"{app_url}/kiem-tra")
    page.wait_for_selector("#insp-items .list-group-item", timeout=30_000)
    assert "Gần nhất ở trên cùng" in page.inner_text("#insp-location-text")
    listed = page.inner_text("#insp-items")
    assert "Nậm Kè" in listed and "Điện Biên Phủ" not in listed  # only the inspector's communes
    screenshot(page, "inspection_phone_list")
    first = page.locator("#insp-items .list-group-item").first
    assert WIDE_CLUSTER in first.inner_text()  # nearest first: we stand beside it
    first.click()
    page.wait_for_selector("#insp-form-view", state="visible")
    page.click("label:has-text('Hoạt động')")
    page.fill("#insp-note", "Đã sửa, loa kêu rõ")
    page.set_input_files("#insp-photo input[type=file]", str(photo))
    page.wait_for_selector("text=loa.jpg")
    screenshot(page, "inspection_phone_form")
    page.click("#insp-save")
    page.wait_for_selector("#insp-saved", timeout=30_000)
    assert "Đã lưu" in page.inner_text("#insp-saved")
    # The commune's coverage is recomputed right after the save; the page follows it.
    # (a locator, not wait_for_function: its string predicate is eval'd in the page, which the CSP refuses)
    expect(page.locator("#insp-result-class")).not_to_contain_text("tính lại", timeout=30_000)
    change = page.inner_text("#insp-result-class")
    assert change.startswith("Xã Nậm Kè (03162): Chưa được phục vụ → "), change
    assert "Chưa được phục vụ" not in change.split("→")[1], change
    screenshot(page, "inspection_phone_saved")
    engine = create_engine(demo_database)
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT i.status_found, i.note, i.photo_mime, length(i.photo) > 0, i.geom_reported IS NOT NULL, "
            "f.status, i.inspector, cc.class <> 'unserved' FROM inspection i "
            "JOIN facility f ON f.id = i.facility_id JOIN coverage_commune cc ON cc.commune_code = f.commune_code "
            "WHERE f.name = :name ORDER BY i.id DESC LIMIT 1"), {"name": WIDE_CLUSTER}).one()
    engine.dispose()
    assert row == ("operational", "Đã sửa, loa kêu rõ", "image/jpeg", True, True, "operational", "kiemtra", True)
    assert _inspections_audited(demo_database) == audited_before + 1
    page.context.close()


def _inspections_audited(demo_database: str) -> int:
    engine = create_engine(demo_database)
    with engine.connect() as conn:
        count = conn.execute(text("""SELECT count(*) FROM audit_log WHERE "user" = 'kiemtra'
                                     AND entity = 'inspection'""")).scalar_one()
    engine.dispose()
    return int(count)


def test_pages_refuse_roles_they_are_not_for(browser: Any, app_url: str) -> None:
    page = log_in(browser, app_url, "budget", viewport={"width": 1280, "height": 800})
    assert page.locator("#nav-inspection").count() == 0
    page.goto(f"{app_url}/kiem-tra")
    page.wait_for_selector("#page-no-access", timeout=20_000)
    page.context.close()


def test_inspector_uploads_an_offline_odk_export_kept_to_their_communes(
        browser: Any, app_url: str, demo_database: str, tmp_path: Path) -> None:
    engine = create_engine(demo_database)
    with engine.connect() as conn:
        mine, theirs = (conn.execute(text(
            "SELECT external_id, status FROM facility WHERE commune_code = ANY(:c) AND type = 'cultural_house' "
            "AND external_id IS NOT NULL ORDER BY id LIMIT 1"), {"c": codes}).one() for codes in
            (["03160", "03162"], ["03127"]))
    export = tmp_path / "odk_kiem_tra.csv"  # ODK Central's shape; statuses as the form's choice names
    export.write_text(
        "SubmissionDate,kiem_tra-ma_thiet_che,kiem_tra-tinh_trang,meta-instanceID,KEY,SubmitterName\n"
        f"2026-11-20T03:00:00.000Z,{mine[0]},{mine[1]},uuid:off-1,uuid:off-1,kiemtra\n"
        f"2026-11-20T04:00:00.000Z,{theirs[0]},hong,uuid:off-2,uuid:off-2,kiemtra\n", encoding="utf-8")
    page = log_in(browser, app_url, "inspector", **PHONE)
    assert page.url.endswith("/kiem-tra")  # an inspector's work starts here
    page.set_input_files("#insp-upload input[type=file]", str(export))
    page.wait_for_selector("#insp-upload-preview-rejects", timeout=60_000)
    assert page.inner_text("#insp-upload-preview-rejected") == "1 bị loại"
    assert "ngoài các xã bạn phụ trách kiểm tra" in page.inner_text("#insp-upload-preview-rejects")
    assert "odk_kiem_tra.csv: đọc 2 dòng" in page.inner_text("#insp-upload-preview")  # its name, not our path
    screenshot(page, "inspection_phone_offline_upload")
    page.click("#insp-upload-confirm")
    page.wait_for_selector("#insp-upload-done", timeout=60_000)
    assert "đã nạp mới 1" in page.inner_text("#insp-upload-done")
    with engine.connect() as conn:
        stored = conn.execute(text(
            "SELECT f.external_id, i.inspector FROM inspection i JOIN facility f ON f.id = i.facility_id "
            "WHERE i.submission_id IN ('uuid:off-1', 'uuid:off-2')")).all()
    engine.dispose()
    assert [tuple(r) for r in stored] == [(mine[0], "kiemtra")]
    page.context.close()
