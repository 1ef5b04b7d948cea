"""Office journeys in Debian's Chromium: the budget officer's downloads, the admin's upload with a bad row, the
planner's plan, the English switch. Downloads are opened as a user would open them, with no network."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from pypdf import PdfReader

from tests.app.conftest import log_in, screenshot, wait_until

pytestmark = [pytest.mark.db, pytest.mark.browser]

OFFICE = {"viewport": {"width": 1366, "height": 850}, "accept_downloads": True}
SURVEY_WITH_A_BAD_ROW = (
    "Mã thiết chế,Tên thiết chế,Loại thiết chế,Công nghệ,Xã/Phường,Thôn/Bản,Kinh độ,Vĩ độ,Tình trạng\n"
    "UP-1,Cụm loa mới 1,Cụm loa truyền thanh,Không dây (FM),Mường Nhé,,102.43,22.20,Hoạt động\n"
    "UP-2,Cụm loa mới 2,Cụm loa truyền thanh,Không dây (FM),Mường Nhé,,abc,22.21,Hoạt động\n"
    "UP-3,Cụm loa mới 3,Cụm loa truyền thanh,Không dây (FM),Mường Nhé,,102.44,22.22,Hoạt động\n")


def _download(page: Any, selector: str, folder: Path) -> Path:
    with page.expect_download(timeout=60_000) as info:
        page.click(selector)
    target = folder / info.value.suggested_filename
    info.value.save_as(target)
    return target


def test_budget_officer_downloads_the_report_and_the_offline_map(browser: Any, app_url: str,
                                                                 tmp_path: Path) -> None:
    page = log_in(browser, app_url, "budget", **OFFICE)
    page.goto(f"{app_url}/xuat-bao-cao")
    page.wait_for_selector("#exports-xlsx")
    page.click("#exports-scenario")
    page.click("text=Điện Biên - 1,5 tỷ đồng (demo)")
    page.wait_for_selector("#exports-scenario-xlsx")
    # Issue 21: a preview of what will be downloaded, plain labels, no CLI commands on the page.
    page.wait_for_selector("#exports-preview-table")
    assert "Số liệu tính đến" in page.inner_text("#exports-as-of")
    body = page.inner_text("body")
    assert "Dữ liệu GIS cho QGIS" in body and "CSV cho Excel" in body
    assert not any(f"phusong {c}" in body for c in ("report", "analyse", "export", "plan", "load"))
    screenshot(page, "exports_budget")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "exports_budget_phone")
    page.set_viewport_size({"width": 1366, "height": 768})
    workbook = openpyxl.load_workbook(_download(page, "#exports-xlsx", tmp_path))
    assert workbook.sheetnames == ["Tổng hợp", "Khoảng trống phủ sóng", "Theo tỉnh", "Phương án", "Dự toán",
                                   "Tham số"]
    communes = list(workbook["Khoảng trống phủ sóng"].iter_rows(values_only=True))
    assert communes[0][:2] == ("Mã xã", "Xã") and len(communes) == 46
    assert "Mường Nhé" in {row[1] for row in communes}
    assert workbook["Phương án"].max_row > 1  # the demo scenario's actions
    assert workbook["Theo tỉnh"]["B2"].value == "Điện Biên"
    assert workbook["Dự toán"].cell(workbook["Dự toán"].max_row, 2).value == "Tổng cộng"

    pdf = _download(page, "#exports-pdf", tmp_path)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Báo cáo phủ sóng thông tin cơ sở" in text and "Mường Nhé" in text and "Tiêu chí 8.3" in text
    # Issue 17: a method section in Vietnamese, not raw JSON or server paths; metadata; the data date.
    assert "Phương pháp và tham số" in text and "Số liệu tính đến" in text
    assert '{"coverage"' not in text and "/work/" not in text and "/tmp/" not in text
    info = PdfReader(pdf).metadata
    assert info is not None and info.title.startswith("Báo cáo phủ sóng thông tin cơ sở") and info.author == "phusong"
    assert info.subject and "/StructTreeRoot" in PdfReader(pdf).trailer["/Root"]

    standalone = _download(page, "#exports-map", tmp_path)
    html = standalone.read_text(encoding="utf-8")
    assert "<script src=" not in html and '<link rel="stylesheet" href=' not in html
    offline = browser.new_context(offline=True).new_page()
    requests: list[str] = []
    offline.on("request", lambda r: requests.append(r.url) if not r.url.startswith("file:") else None)
    offline.goto(standalone.as_uri())
    offline.wait_for_selector("path.leaflet-interactive", timeout=30_000)
    assert offline.locator("path.leaflet-interactive").count() >= 45
    assert "Chưa được phục vụ" in offline.inner_text("body")
    # Issue 17: a title, lang="vi", the data date and a source line.
    assert offline.title().startswith("Báo cáo phủ sóng thông tin cơ sở")
    assert offline.get_attribute("html", "lang") == "vi"
    assert "Số liệu tính đến" in offline.inner_text("#phusong-data-date")
    assert "Nguồn:" in offline.inner_text("#phusong-source")
    offline.screenshot(path=str(tmp_path / "offline-map.png"))
    screenshot(offline, "exports_standalone_map_offline")
    assert [u for u in requests if not u.startswith("data:")] == []
    offline.context.close()

    # The periodic report (Sơ kết / Tổng kết) of the province, for the newest period with a coverage snapshot.
    page.click("#exports-province")
    page.locator("[role=option]", has_text="Điện Biên").first.click()
    page.wait_for_selector("#exports-periodic-pdf")
    page.keyboard.press("Escape")  # close the province menu before the screenshot
    assert page.inner_text("#exports-period")  # the newest period is chosen
    screenshot(page, "exports_periodic_report")
    report = openpyxl.load_workbook(_download(page, "#exports-periodic-xlsx", tmp_path))
    assert report.sheetnames[0] == "Tổng hợp" and "Điện Biên" in report["Tổng hợp"]["A1"].value
    periodic = _download(page, "#exports-periodic-pdf", tmp_path)
    assert periodic.name.startswith("phusong_bao_cao_dinh_ky_11_")
    # Issue 17: "Điện Biên" keeps its D in the ASCII name (filename*, the UTF-8 name, is what Chromium uses).
    csv_excel = _download(page, "#exports-csv-excel", tmp_path)
    assert csv_excel.name.startswith("phusong_khoang_trong_Điện_Biên_") or \
        csv_excel.name.startswith("phusong_khoang_trong_Dien_Bien_")
    with csv_excel.open(encoding="utf-8-sig") as handle:
        assert handle.readline().startswith("Mã xã;Xã;")
    # The running period is provisional and can be brought up to now (as phusong_app, audited).
    assert "chưa kết thúc" in page.inner_text("#exports-provisional")
    page.click("#exports-snapshot-current")
    page.wait_for_selector("#exports-snapshot-updated", timeout=60_000)
    text = subprocess.run(["pdftotext", "-layout", str(periodic), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Điện Biên" in text and "Tổng hợp so với kỳ trước" in text and "Mường Nhé" in text
    page.context.close()


def test_admin_previews_a_survey_with_a_bad_row_then_loads_it(browser: Any, app_url: str, tmp_path: Path) -> None:
    survey = tmp_path / "khao_sat_bo_sung.csv"
    survey.write_text(SURVEY_WITH_A_BAD_ROW, encoding="utf-8")
    page = log_in(browser, app_url, "admin", **OFFICE)
    page.goto(f"{app_url}/quan-tri")
    assert page.inner_text("#overdue-link").startswith("Quá hạn: ")  # citizen reports overdue in the admin's scope
    assert page.get_attribute("#overdue-link", "href") == "/phan-anh?overdue=1"
    page.set_input_files("#admin-upload input[type=file]", str(survey))
    page.wait_for_selector("#admin-preview-rejects", timeout=60_000)
    wait_until(page, "document.querySelector('#admin-preview-rejected')?.innerText === '1 bị loại'")
    assert page.inner_text("#admin-preview-fine") == "2 hợp lệ"
    rejects = page.inner_text("#admin-preview-rejects")
    assert "3" in rejects and "Kinh độ" in rejects and "abc" in rejects and "Không phải là số" in rejects
    screenshot(page, "admin_upload_preview")
    page.click("#admin-confirm")
    page.wait_for_selector("#admin-load-done", timeout=120_000)
    assert "đã nạp mới 2" in page.inner_text("#admin-load-done")
    page.click("text=Nhật ký thay đổi")
    page.wait_for_selector("#admin-audit-table")
    assert "quantri" in page.inner_text("#admin-audit-table")
    screenshot(page, "admin_audit_log")
    page.context.close()


def test_planner_runs_saves_and_compares_a_plan_in_english(browser: Any, app_url: str) -> None:
    page = log_in(browser, app_url, "planner", **OFFICE)
    page.goto(f"{app_url}/ke-hoach")
    page.click("#nav-lang")
    page.wait_for_selector("#nav-lang:text-is('Tiếng Việt')")
    assert "Investment plan" in page.inner_text("nav")
    page.fill("#plan-budget", "500000000")
    page.click("#plan-run")
    page.wait_for_selector("#plan-actions", timeout=180_000)
    assert "Budget (VND): 500,000,000" in page.inner_text("#plan-totals")
    page.fill("#plan-name", "Thử 500 triệu")
    page.click("#plan-save")
    page.wait_for_selector("#plan-saved")
    page.click("#plan-compare-a")
    page.locator("[role=option]", has_text="Thử 500 triệu").first.click()
    page.click("#plan-compare-b")
    page.locator("[role=option]", has_text="Điện Biên - 1,5 tỷ đồng (demo)").first.click()
    page.wait_for_selector("#plan-compare-totals")
    screenshot(page, "planning_compare_english")
    page.click("#nav-lang")  # back to Vietnamese for the other tests of this browser
    page.context.close()
