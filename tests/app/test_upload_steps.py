"""Issue 21, uploads: the column step, the encoding choice, the rejected rows as XLSX and "Hoàn tác lần tải này",
in Chromium at 1366×768 and 390×844 against the demo database (as phusong_app), and the XLSX route's refusals."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from etl.facilities import load_facilities
from tests.app.conftest import log_in, screenshot, wait_until
from tests.app.test_auth import _as
from tests.etl.test_formats import _cp1258

pytestmark = pytest.mark.db
SIZES = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}


def _demo_place(url: str) -> tuple[str, float, float]:
    """A commune of the demo by name and a point inside it."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            row = conn.execute(text(
                "SELECT name, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM admin_unit "
                "WHERE code = '03160' AND level = 'commune' AND version = '2025'")).one()
        return str(row[0]), float(row[1]), float(row[2])
    finally:
        engine.dispose()


def _count(url: str, sql: str, **binds: Any) -> Any:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), binds).scalar_one()
    finally:
        engine.dispose()


def test_a_loads_rejected_rows_download_as_xlsx_for_admins_only(flask_client: Any, demo_database: str,
                                                               tmp_path: Path) -> None:
    import openpyxl

    path = tmp_path / "khao_sat_loi.csv"
    path.write_text("Mã thiết chế,Loại thiết chế,Xã,Kinh độ,Vĩ độ\n"
                    "XL-1,Loa kéo di động,Xã Mường Nhé,103.1,22.2\nXL-2,Nhà văn hóa,Xã Mường Nhé,abc,22.2\n",
                    encoding="utf-8")
    engine = create_engine(demo_database)
    with engine.begin() as conn:  # every row rejected: the load writes its batch and rejects, no facility
        result = load_facilities(conn, path, loaded_by="quantri")
    engine.dispose()
    assert result.loaded == 0 and result.rejected == 2 and result.batch_id is not None
    url = f"/download/load-rejects/{result.batch_id}.xlsx"
    _as(flask_client, "quantri")
    answer = flask_client.get(url)
    assert answer.status_code == 200 and "dong_bi_loai" in answer.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(answer.data))
    sheet = book.worksheets[0]
    header, *body = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert header == ["Dòng trong tệp", "Trường", "Giá trị", "Lý do", "Mã lý do", "Mức"]
    assert {r[0] for r in body} == {2, 3} and all(isinstance(r[0], int) for r in body)  # typed row numbers
    assert {"Loa kéo di động", "abc"} <= {r[2] for r in body}
    assert all(r[4] and r[5] == "Bị loại" for r in body)
    reasons = " ".join(r[3] for r in body)
    assert "không" in reasons or "Không" in reasons, reasons  # the reasons in Vietnamese
    everything = " ".join(str(c) for s in book.worksheets for r in s.iter_rows(values_only=True) for c in r if c)
    assert str(tmp_path) not in everything and "/uploads/" not in everything  # no server path
    assert "Tham số" in book.sheetnames
    _as(flask_client, "kiemtra")
    assert flask_client.get(url).status_code == 403  # an inspector may not
    assert flask_client.get("/download/load-rejects/987654321.xlsx").status_code == 403
    _as(flask_client, "quantri")
    assert flask_client.get("/download/load-rejects/987654321.xlsx").status_code == 404
    with flask_client.session_transaction() as session:
        session.clear()
    assert flask_client.get(url).status_code == 401


@pytest.mark.parametrize("size", SIZES)
def test_the_column_step_then_undo_this_load(browser: Any, app_url: str, demo_database: str, size: str,
                                             tmp_path: Path) -> None:
    commune, lon, lat = _demo_place(demo_database)
    codes = [f"UPL-{size}-1", f"UPL-{size}-2"]
    # cp1258 with a header the loader does not know for the type: refused until the encoding and column are chosen.
    survey = tmp_path / f"khao_sat_{size}.csv"
    survey.write_bytes(_cp1258("Số hiệu,Phân nhóm CS,Địa danh,Xã,Kinh độ,Vĩ độ\n"
                        f"{codes[0]},Nhà văn hóa,Nhà văn hóa thử,{commune},{lon:.5f},{lat:.5f}\n"
                        f"{codes[1]},Thư viện,Thư viện thử,{commune},{lon + 0.0005:.5f},{lat:.5f}\n"
                               ))
    before = _count(demo_database, "SELECT count(*) FROM facility")
    page = log_in(browser, app_url, "admin", viewport=SIZES[size])
    page.goto(f"{app_url}/quan-tri")
    page.wait_for_selector("#admin-upload", state="attached", timeout=60_000)
    page.set_input_files("#admin-upload input[type=file]", str(survey))
    page.wait_for_selector("#admin-preview-refused", timeout=60_000)
    assert "UTF-8" in page.inner_text("#admin-preview-refused")  # said without a flag or a path
    assert "--" not in page.inner_text("#admin-preview-refused")
    page.select_option("#admin-encoding", "cp1258")
    page.wait_for_selector("#admin-columns-missing", timeout=60_000)  # read now; the type column not recognised
    assert "Loại thiết chế" in page.inner_text("#admin-columns-missing")
    type_list = "select[id*='\"field\":\"type\"']"
    page.select_option(type_list, "Phân nhóm CS")
    page.select_option("select[id*='\"field\":\"external_id\"']", "Số hiệu")
    page.wait_for_selector("#admin-columns-complete", timeout=60_000)  # the type is chosen now: no warning left
    wait_until(page, "() => (document.querySelector('#admin-preview-fine') || {}).textContent === '2 hợp lệ'"
                     " && !document.querySelector('#admin-confirm').disabled")
    screenshot(page, f"admin_upload_columns_{size}")
    page.click("#admin-confirm")
    page.wait_for_selector("#admin-load-done", timeout=240_000)  # the load, then the communes it touched recomputed
    stored = _count(demo_database, "SELECT count(*) FROM facility WHERE external_id = ANY(:c)", c=codes)
    assert stored == 2
    batch = _count(demo_database, "SELECT batch_id FROM facility WHERE external_id = :c", c=codes[0])
    wait_until(page, "(b) => !!document.querySelector(`button[id*='\"batch\":${b}']`)", arg=batch)
    screenshot(page, f"admin_upload_loaded_{size}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(f"button[id*='\"batch\":{batch}']")
    page.wait_for_selector("#admin-undo-done", timeout=60_000)
    assert f"lần tải {batch}" in page.inner_text("#admin-undo-done")
    assert _count(demo_database, "SELECT count(*) FROM facility") == before
    assert _count(demo_database, "SELECT undone_by FROM load_batch WHERE id = :b", b=batch) == "quantri"
    screenshot(page, f"admin_upload_undone_{size}")
    page.context.close()


def test_the_previews_rejected_rows_download_as_xlsx(flask_client: Any) -> None:
    """Before anything is loaded: the preview's rejected rows as a workbook, read as the preview read the file."""
    import base64
    import json

    import openpyxl

    from tests.app.test_upload_recheck import _recheck

    bad = "Mã thiết chế,Loại thiết chế,Kinh độ,Vĩ độ\nP-1,Loa kéo di động,103.1,22.2\n".encode()
    _as(flask_client, "quantri")
    previewed = _recheck(flask_client, "facilities", bad)
    token = previewed.get_json()["response"]["admin-upload-token"]["data"]
    assert token and "admin-rejects-download" in json.dumps(previewed.get_json(), ensure_ascii=False)
    state = {"admin-upload-token.data": token, "admin-upload.filename": "sai.csv", "admin-kind.value": "facilities",
             "admin-encoding.value": "", "admin-mapping.data": None}
    payload = {"output": "admin-rejects-file.data", "outputs": {"id": "admin-rejects-file", "property": "data"},
               "inputs": [{"id": "admin-rejects-download", "property": "n_clicks", "value": 1}],
               "state": [{"id": k.split(".")[0], "property": k.split(".")[1], "value": v} for k, v in state.items()],
               "changedPropIds": ["admin-rejects-download.n_clicks"]}
    sent = flask_client.post("/_dash-update-component", json=payload).get_json()["response"]["admin-rejects-file"]
    assert sent["data"]["filename"] == "dong_bi_loai_sai.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(sent["data"]["content"])))
    body = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)][1:]
    assert body and body[0][0] == 2 and "Loa kéo di động" in {r[2] for r in body}
    assert dict(book["Tham số"].iter_rows(values_only=True))["Lần tải"] == "xem trước"
    _as(flask_client, "kiemtra")
    assert flask_client.post("/_dash-update-component", json=payload).status_code == 403


def test_undoing_a_load_later_work_depends_on_is_refused_in_one_sentence(flask_client: Any,
                                                                         demo_database: str) -> None:
    """The demo survey's load: a facility of it inspected since, so its undo is refused and nothing changes."""
    engine = create_engine(demo_database)
    with engine.begin() as conn:
        batch = conn.execute(text("SELECT min(id) FROM load_batch WHERE kind = 'facilities' AND undone_at IS NULL "
                                  "AND loaded_by = 'demo'")).scalar_one()
        conn.execute(text(  # a facility far from the inspector tests' communes, inspected a month ago
            "INSERT INTO inspection (facility_id, inspector, inspected_at, status_found, source) "
            "SELECT id, 'kiemtra', now() - interval '30 days', status, 'app' FROM facility WHERE batch_id = :b "
            "AND commune_code NOT IN ('03160', '03162') ORDER BY id DESC LIMIT 1"), {"b": batch})
    engine.dispose()
    before = _count(demo_database, "SELECT count(*) FROM facility")
    payload = {"output": "..admin-undo-result.children...admin-loads.children..",
               "outputs": [{"id": "admin-undo-result", "property": "children"},
                           {"id": "admin-loads", "property": "children"}],
               "inputs": [{"id": "admin-undo-confirm", "property": "submit_n_clicks", "value": 1}],
               "state": [{"id": "admin-undo-batch", "property": "data", "value": batch}],
               "changedPropIds": ["admin-undo-confirm.submit_n_clicks"]}
    _as(flask_client, "kiemtra")
    assert flask_client.post("/_dash-update-component", json=payload).status_code == 403
    _as(flask_client, "quantri")
    answer = flask_client.post("/_dash-update-component", json=payload)
    said = str(answer.get_json()["response"]["admin-undo-result"]["children"])
    assert answer.status_code == 200 and "admin-undo-refused" in said
    assert f"Không thể hoàn tác lần tải {batch}" in said and "--" not in said
    assert _count(demo_database, "SELECT count(*) FROM facility") == before
    assert _count(demo_database, "SELECT undone_at FROM load_batch WHERE id = :b", b=batch) is None


def _undo_as_admin(client: Any, batch: int) -> str:
    """Confirm "Hoàn tác lần tải này" for ``batch`` as the administrator; what the page says."""
    payload = {"output": "..admin-undo-result.children...admin-loads.children..",
               "outputs": [{"id": "admin-undo-result", "property": "children"},
                           {"id": "admin-loads", "property": "children"}],
               "inputs": [{"id": "admin-undo-confirm", "property": "submit_n_clicks", "value": 1}],
               "state": [{"id": "admin-undo-batch", "property": "data", "value": batch}],
               "changedPropIds": ["admin-undo-confirm.submit_n_clicks"]}
    _as(client, "quantri")
    answer = client.post("/_dash-update-component", json=payload)
    assert answer.status_code == 200
    return str(answer.get_json()["response"])


def test_the_undo_button_undoes_a_villages_load_and_an_inspections_load(flask_client: Any, demo_database: str,
                                                                         tmp_path: Path) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from etl.inspections import load_inspections
    from etl.villages import load_villages

    _commune, lon, lat = _demo_place(demo_database)
    villages = tmp_path / "thon_moi.csv"
    villages.write_text(f"Mã,Tên thôn,Kinh độ,Vĩ độ\nUNDO-V-1,Bản Hoàn Tác,{lon:.5f},{lat:.5f}\n", encoding="utf-8")
    engine = create_engine(demo_database)
    with engine.begin() as conn:
        village_batch = load_villages(conn, villages, loaded_by="quantri").batch_id
        facility = conn.execute(text(  # far from the inspector tests' communes, never inspected
            "SELECT id, external_id, status FROM facility f WHERE commune_code NOT IN ('03160', '03162') "
            "AND external_id IS NOT NULL AND status = 'operational' "
            "AND NOT EXISTS (SELECT 1 FROM inspection i WHERE i.facility_id = f.id) ORDER BY id DESC LIMIT 1"
        )).mappings().one()
        today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%d/%m/%Y")
        found = tmp_path / "kiem_tra.csv"
        found.write_text(f"Mã thiết chế,Ngày kiểm tra,Người kiểm tra,Tình trạng\n{facility['external_id']},{today},"
                         "An,Hỏng\n", encoding="utf-8")
        inspection_batch = load_inspections(conn, found, loaded_by="quantri").batch_id
    engine.dispose()
    status = "SELECT status FROM facility WHERE id = :f"
    assert _count(demo_database, status, f=facility["id"]) == "broken"
    loads = _undo_as_admin(flask_client, int(village_batch or 0))
    assert f"Đã hoàn tác lần tải {village_batch}: xoá 1 thôn" in loads
    assert _count(demo_database, "SELECT count(*) FROM village WHERE external_id = 'UNDO-V-1'") == 0
    said = _undo_as_admin(flask_client, int(inspection_batch or 0))
    assert f"Đã hoàn tác lần tải {inspection_batch}: rút lại 1 lần kiểm tra" in said
    assert _count(demo_database, status, f=facility["id"]) == "operational"
    assert _count(demo_database, "SELECT count(withdrawn_at) FROM inspection WHERE batch_id = :b",
                  b=inspection_batch) == 1
