"""The periodic report rendered: XLSX figures readable back, PDF pages turned into PNG by pdftoppm."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Connection

from analysis.outputs.periodic import report_bytes, vn_int, vn_percent
from analysis.reports import ReportError
from tests.feedback_seed import seed_two_quarters

pytestmark = pytest.mark.db
OUT = Path(__file__).resolve().parents[2] / "out" / "test_report"


def test_vietnamese_number_format() -> None:
    # The one rounding rule (sql/percent.py): toward zero, so a shown share never reaches what it did not.
    assert (vn_int(1234567), vn_percent(0.4567)) == ("1.234.567", "45,6 %")


def test_xlsx_report_carries_the_figures(db_conn: Connection) -> None:
    seed_two_quarters(db_conn)
    book = load_workbook(io.BytesIO(report_bytes(db_conn, "91", "2026-Q3", "2026-Q2", fmt="xlsx")))
    assert book.sheetnames == ["Tổng hợp", "Theo xã", "Cụm loa", "Phản ánh", "Bản đồ", "Tham số"]
    # Issue 17: numbers are number cells (SUM works), formatted, under a frozen, filtered header.
    sheet = book["Tổng hợp"]
    summary = {row[0]: row[1:] for row in sheet.iter_rows(min_row=5, values_only=True)}
    assert summary["Xã đạt tiêu chí 8.3"] == (1, 1, 0)
    assert summary["Dân số được phủ sóng"] == (10100, 7000, 3100)
    assert summary["Số dân được phủ sóng thêm"][0] == 5100
    assert sheet["B9"].number_format in ("#,##0", "0.0%") and sheet.freeze_panes == "A5" and sheet.auto_filter.ref
    assert "Số liệu tính đến" in sheet["A2"].value
    params = {r[0].value: r[1] for r in book["Tham số"].iter_rows(min_row=2)}
    assert params["Số liệu tính đến (giờ Việt Nam)"].is_date and params["Tạm tính (kỳ chưa kết thúc)"].value
    communes = list(book["Theo xã"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[2], r[3], r[8]) for r in communes] == [
        ("91001", "Phục vụ chưa đầy đủ", "Phục vụ chưa đầy đủ", 600),
        ("91002", "Đã được phục vụ", "Chưa được phục vụ", 4500),
        ("91003", "Phục vụ chưa đầy đủ", "Đã được phục vụ", -2000)]
    assert len(book["Bản đồ"]._images) == 1


def test_pdf_report_renders_vietnamese_pages(db_conn: Connection) -> None:
    seed_two_quarters(db_conn)
    pdf = report_bytes(db_conn, "91", "2026-Q3", "2026-Q2", fmt="pdf")
    assert pdf.startswith(b"%PDF")
    if shutil.which("pdftoppm") is None:
        pytest.fail("pdftoppm is missing: `make test` installs poppler-utils")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "report.pdf").write_bytes(pdf)
    for old in OUT.glob("page-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-png", "-r", "70", str(OUT / "report.pdf"), str(OUT / "page")], check=True,
                   timeout=60)
    pages = sorted(OUT.glob("page-*.png"))
    assert len(pages) >= 2 and all(p.stat().st_size > 5000 for p in pages)
    text = subprocess.run(["pdftotext", "-layout", str(OUT / "report.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    for words in ("Báo cáo sơ kết Quý III/2026", "Xã đạt tiêu chí 8.3", "Số dân được phủ sóng thêm", "Mường Nhé",
                  "Sín Thầu", "Nà Hỳ", "Không dây (FM)", "10.100"):
        assert words in text


def test_the_export_page_cannot_get_another_provinces_report(db_conn: Connection) -> None:
    seed_two_quarters(db_conn)
    with pytest.raises(ReportError, match="province 91 is outside your scope"):
        report_bytes(db_conn, "91", "2026-Q3", fmt="xlsx", scope_codes=["92"])
    with pytest.raises(ReportError, match="outside your scope"):
        report_bytes(db_conn, "91", "2026-Q3", fmt="xlsx", scope_codes=["91001"])   # a commune scope
    with pytest.raises(ReportError, match="outside your scope"):
        report_bytes(db_conn, "91", "2026-Q3", fmt="xlsx", scope_codes=[])   # an inspector without a scope
    assert report_bytes(db_conn, "91", "2026-Q3", fmt="xlsx", scope_codes=["91"]).startswith(b"PK")
    assert report_bytes(db_conn, "91", "2026-Q3", fmt="xlsx", scope_codes=[], whole_country=True).startswith(b"PK")


def test_a_period_not_yet_ended_is_marked_provisional_with_its_data_time(db_conn: Connection) -> None:
    """Issue 17: "số liệu tính đến …" on each document, and an unfinished period is never "chốt cuối kỳ"."""
    from datetime import datetime

    from pypdf import PdfReader

    from analysis.reports import VN_TZ, take_snapshot

    seed_two_quarters(db_conn)
    now = datetime.now(VN_TZ)
    running = f"{now.year}-{now.month:02d}"   # the month still running: its figures are provisional
    take_snapshot(db_conn, running, taken_at=now.replace(day=1, hour=9, minute=1))
    pdf = report_bytes(db_conn, "91", running, fmt="pdf")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "provisional.pdf").write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(OUT / "provisional.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert f"Số liệu tính đến 01/{now:%m/%Y} 09:01" in text and "TẠM TÍNH" in text and "chốt cuối kỳ" not in text
    meta = PdfReader(OUT / "provisional.pdf").metadata
    assert meta is not None and "(tạm tính)" in str(meta.title) and meta.author == "phusong"
    book = load_workbook(io.BytesIO(report_bytes(db_conn, "91", running, fmt="xlsx")))
    assert "TẠM TÍNH" in book["Tổng hợp"]["A2"].value
    params = {r[0].value: r[1].value for r in book["Tham số"].iter_rows(min_row=2)}
    assert params["Tạm tính (kỳ chưa kết thúc)"] == "Có"
    final = load_workbook(io.BytesIO(report_bytes(db_conn, "91", "2026-Q2", fmt="xlsx")))
    assert {r[0].value: r[1].value for r in final["Tham số"].iter_rows(min_row=2)}[
        "Tạm tính (kỳ chưa kết thúc)"] == "Không"
