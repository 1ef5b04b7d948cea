"""`feedback import`: hotline and form exports with Vietnamese headers, rejects with reasons, lineage; export."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import Connection, text

from etl.errors import LoadRefusedError
from etl.feedback import Viewer
from etl.feedback_export import export_feedback
from etl.feedback_import import import_feedback
from tests.feedback_seed import seed_world

pytestmark = pytest.mark.db

HEADER = ["STT", "Ngày tiếp nhận", "Kênh tiếp nhận", "Xã/Phường", "Kinh độ", "Vĩ độ", "Mã thiết chế",
          "Loại phản ánh", "Nội dung phản ánh", "Số điện thoại", "Trạng thái", "Trả lời", "Ngày trả lời"]
ROWS = [
    ["1", "05/09/2026 08:15", "Đường dây nóng", "Mường Nhé", "", "", "", "Loa hỏng", "Cụm loa bản Na Pheo không kêu",
     "0912345678", "", "", ""],
    ["2", "06/09/2026", "Zalo", "Xã Sín Thầu", "103,15", "22,05", "", "Không nghe rõ", "Loa nhỏ quá", "", "", "", ""],
    ["3", "07/09/2026", "Họp dân", "", "", "", "T-91003", "Sai lịch phát", "Phát lúc 5 giờ sáng", "", "Đã trả lời",
     "Đã chỉnh lịch", "10/09/2026"],
    ["4", "31/02/2026", "Fax", "Atlantis", "", "", "", "Mưa", "", "", "", "", ""],
    ["5", "08/09/2026", "Zalo", "91001", "108.5", "12.0", "", "Khác", "ngoài vùng", "", "", "", ""],
    ["6", "09/09/2026", "Zalo", "91001", "", "", "", "Khác", "đã trả lời nhưng không có ngày", "", "Đã trả lời",
     "ok", ""],
    ["7", "10/09/2026", "zalo", "91002", "", "", "X-999", "Khác", "thiết chế lạ", "", "", "", ""],
]


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def test_import_loads_good_rows_and_rejects_bad_ones_with_reasons(db_conn: Connection, tmp_path: Path) -> None:
    seed_world(db_conn)
    result = import_feedback(db_conn, _csv(tmp_path / "tong_dai_1022.csv", ROWS), report_dir=tmp_path)
    assert (result.rows, result.loaded, result.rejected) == (7, 3, 4)
    messages = "\n".join(result.messages("reject"))
    assert "row 5, field 'Ngày tiếp nhận': '31/02/2026' is not a date" in messages
    assert "row 5, field 'Kênh tiếp nhận': 'Fax' is not a known channel (expected one of" in messages
    assert "row 5, field 'Xã/Phường': 'Atlantis' is not a loaded 2025 commune" in messages
    assert "row 5, field 'Loại phản ánh': 'Mưa' is not a known category" in messages
    assert "row 5, field 'Nội dung phản ánh': '' is empty" in messages
    assert "row 6: the point (lon 108.5, lat 12.0) is in no loaded commune" in messages
    assert "row 7, field 'Trạng thái': 'Đã trả lời' says the report was answered, but the answer or its date" \
        in messages
    assert "row 8, field 'Mã thiết chế': 'X-999' is not the id of a loaded facility" in messages
    loaded = db_conn.execute(text("SELECT commune_code, channel, category, status, facility_id IS NOT NULL AS f "
                                  "FROM feedback WHERE batch_id = :b ORDER BY received_at"),
                             {"b": result.batch_id}).all()
    assert [tuple(r) for r in loaded] == [("91001", "hotline", "loudspeaker_broken", "received", False),
                                         ("91002", "zalo", "inaudible", "received", False),
                                         ("91003", "meeting", "wrong_schedule", "answered", True)]
    stored = db_conn.execute(text("SELECT count(*) FROM load_reject WHERE batch_id = :b"),
                             {"b": result.batch_id}).scalar_one()
    assert stored == 8 and result.report is not None and result.report.exists()
    again = import_feedback(db_conn, tmp_path / "tong_dai_1022.csv")
    assert again.already_loaded == result.batch_id and again.loaded == 0
    overlapping = import_feedback(db_conn, _csv(tmp_path / "tuan_sau.csv", ROWS[:2]))
    assert (overlapping.loaded, overlapping.skipped) == (0, 2)


def test_xlsx_with_title_rows_and_a_channel_given_for_the_file(db_conn: Connection, tmp_path: Path) -> None:
    seed_world(db_conn)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH"])
    sheet.append(["Danh sách phản ánh qua tổng đài tháng 9/2026"])
    sheet.append(["Thời gian tiếp nhận", "Địa bàn", "Phân loại", "Nội dung", "Liên hệ"])
    sheet.append(["2026-09-12 07:30:00", "Nà Hỳ", "Nội dung", "Phát tin chưa đúng", "Bà Lò Thị A"])
    book.save(tmp_path / "hotline.xlsx")
    with pytest.raises(LoadRefusedError, match="no column for Kênh tiếp nhận .*give --channel"):
        import_feedback(db_conn, tmp_path / "hotline.xlsx")
    result = import_feedback(db_conn, tmp_path / "hotline.xlsx", channel="Đường dây nóng")
    assert (result.loaded, result.rejected) == (1, 0)
    row = db_conn.execute(text("SELECT channel, commune_code, reporter_contact FROM feedback "
                               "WHERE batch_id = :b"), {"b": result.batch_id}).one()
    assert tuple(row) == ("hotline", "91003", "Bà Lò Thị A")


def test_export_hides_the_contact_from_all_but_admin(db_conn: Connection, tmp_path: Path) -> None:
    seed_world(db_conn)
    import_feedback(db_conn, _csv(tmp_path / "in.csv", ROWS[:3]))
    assert export_feedback(db_conn, Viewer("admin1", "admin"), tmp_path / "all.xlsx") == 3
    sheet = load_workbook(tmp_path / "all.xlsx")["Phản ánh"]
    header = [c.value for c in sheet[1]]
    contacts = [r[header.index("Liên hệ người phản ánh")] for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert "0912345678" in contacts
    assert export_feedback(db_conn, Viewer("insp91001", "inspector", ("91001",)), tmp_path / "mine.csv") == 1
    with (tmp_path / "mine.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["Liên hệ người phản ánh"] == "" and rows[0]["Kênh tiếp nhận"] == "Đường dây nóng"
    assert rows[0]["Trạng thái"] == "Tiếp nhận" and rows[0]["Tên xã"] == "Mường Nhé"


def test_export_rows_carry_the_citizens_ticket_the_survey_code_and_vietnam_dates(db_conn: Connection,
                                                                               tmp_path: Path) -> None:
    """Issue 17: the imported ticket number is stored (migration 0140) and exported with the facility's survey
    code, commune and province; dates are date cells in Viet Nam time; a Tham số sheet says what was exported."""
    seed_world(db_conn)
    source = tmp_path / "in.csv"
    with source.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows([["Số phiếu", *HEADER[1:]], ["TD-0042", *ROWS[2][1:]]])
    assert import_feedback(db_conn, source).loaded == 1
    assert db_conn.execute(text("SELECT external_ref FROM feedback")).scalar_one() == "TD-0042"
    export_feedback(db_conn, Viewer("admin1", "admin"), tmp_path / "all.xlsx")
    book = load_workbook(tmp_path / "all.xlsx")
    sheet = book["Phản ánh"]
    header = [c.value for c in sheet[1]]
    row = {h: c for h, c in zip(header, sheet[2], strict=True)}
    assert row["Số phiếu (mã phản ánh)"].value == "TD-0042" and row["Mã khảo sát thiết chế"].value == "T-91003"
    assert row["Mã xã"].value == "91003" and row["Mã tỉnh"].data_type == "s"
    received = row["Ngày tiếp nhận"]
    assert received.is_date and received.number_format == "dd/mm/yyyy hh:mm"
    assert (received.value.day, received.value.month, received.value.hour) == (7, 9, 0)   # 07/09/2026, VN time
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref
    params = {r[0].value: r[1].value for r in book["Tham số"].iter_rows(min_row=2)}
    assert params["Người xuất"] == "admin1" and params["Số phản ánh"] == 1



def test_the_feedback_csv_for_vietnamese_excel_uses_semicolons_and_decimal_commas(db_conn: Connection,
                                                                                 tmp_path: Path) -> None:
    seed_world(db_conn)
    import_feedback(db_conn, _csv(tmp_path / "in.csv", ROWS[:2]))
    export_feedback(db_conn, Viewer("admin1", "admin"), tmp_path / "excel.csv", csv_dialect="excel_vi")
    with (tmp_path / "excel.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    zalo = next(r for r in rows if r["Kênh tiếp nhận"] == "Zalo")
    assert zalo["Kinh độ"] == "103,15" and zalo["Ngày tiếp nhận"].startswith("06/09/2026")
