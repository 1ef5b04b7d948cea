"""The ETL's row reasons and load summary in Vietnamese (app/reasons.py): every template, and the real loaders'."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from app.components.uploads import preview_view
from app.reasons import _TEMPLATES, field_text, reason_text, summary_text
from etl.facilities import preview_facilities
from etl.feedback_import import import_feedback
from etl.inspections import preview_inspections
from etl.lineage import LoadResult
from etl.validate import RowIssue
from etl.villages import preview_villages
from tests.etl import conftest as etl_fixtures
from tests.etl.conftest import IN_DIEN_BIEN_PHU, IN_MUONG_PHANG, IN_THANH_NUA, VN_HEADERS, vn_row, write_csv

communes = etl_fixtures.communes  # the ETL tests' three communes of Điện Biên (a fixture)


def _geojson(path: Path, rows: list[tuple[dict[str, str], tuple[float, float] | None]]) -> Path:
    """Point features with these properties; None: a feature without a geometry."""
    features = [{"type": "Feature", "properties": properties,
                 "geometry": {"type": "Point", "coordinates": list(lonlat)} if lonlat else None}
                for properties, lonlat in rows]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path

CODES = "hotline, meeting, source_app, web_form, zalo"
COORDINATE_HINT = "expected decimal degrees such as 106.7 or 105°53'12.5\"E"

# One reason of every template the loaders write, as they write it, and the values its Vietnamese must carry.
EXAMPLES: list[tuple[str, list[str]]] = [
    # etl/validate.py
    ("is not a number (expected a whole number such as 2)", ["2"]),
    ("is not a whole number", []),
    ("is negative (expected 0 or more)", ["0"]),
    ("is implausibly large (more than 10,000); a typo?", ["10.000"]),
    ("is not a number (expected watts, such as 30 or 30.5)", ["W", "30"]),
    ("is not a finite number of metres", ["mét"]),
    ("is negative (expected 0 or more watts)", ["0 W"]),
    ("is implausibly large (more than 100,000 metres); a typo?", ["100.000 mét"]),
    ("is not a year (expected four digits such as 2019)", ["2019"]),
    ("is in the future (this is 2026)", ["2026"]),
    ("is before 1945", ["1945"]),
    ("is not a finite number (NaN or infinity)", ["NaN"]),
    (f"is not a number (use a dot: 106.7.5); {COORDINATE_HINT}", ["106.7.5", "106.7", "105°53'12.5\"E"]),
    (f"is not a number; {COORDINATE_HINT}", ["106.7", "105°53'12.5\"E"]),
    ("is not a geopoint (expected 'latitude longitude altitude accuracy')", ["vĩ độ kinh độ"]),
    ("is not a date (expected 26/11/2026 or 2026-11-26T08:30:00+07:00)", ["26/11/2026", "2026-11-26T08:30:00+07:00"]),
    ("is in the future", []),
    # etl/facilities.py
    ("is not a known facility type (such as Cụm loa truyền thanh, Đài truyền thanh cấp xã, Nhà văn hóa); add the "
     "word to a --mapping file if it is one", ["Cụm loa truyền thanh", "Nhà văn hóa", "--mapping"]),
    ("is not a known status (Hoạt động, Xuống cấp, Hư hỏng, Đã thanh lý, Dự kiến)", ["Hoạt động", "Dự kiến"]),
    ("is not a known status (unknown_status: a doubtful answer is not a fact); accepted: Hoạt động, Xuống cấp, "
     "Hư hỏng, Đã thanh lý, Dự kiến; --doubtful-as unknown loads it as Chưa rõ (unknown)",
     ["Hoạt động", "Dự kiến", "Chưa rõ"]),
    ("is a doubtful status (unknown_status): loaded as Chưa rõ (unknown), counted as not working and listed for "
     "inspection", ["Chưa rõ"]),
    ("is not a known technology (có dây, không dây FM, IP); stored without one", ["có dây", "không dây FM", "IP"]),
    ("skipped: no type, id or coordinates (a total, a signature or a note, not a facility)", []),
    ("is empty: every facility needs a type", []),
    ("is empty; stored as Hoạt động (operational)", ["Hoạt động"]),
    ("repeats the id of row 1234 (the later row is rejected)", ["1.234"]),
    ("has no coordinates", []),
    ("is empty: missing coordinates", []),
    ("has X and Y the GIS way round (X is the northing in VN-2000); read as Y, X", ["VN-2000", "Y, X"]),
    ("cannot be converted from EPSG:9205 to WGS 84 (is --crs right?)", ["EPSG:9205", "WGS 84", "--crs"]),
    ("point (lon 151.2, lat -33.9) is outside Viet Nam; check the coordinates and --crs", ["151.2", "-33.9", "--crs"]),
    ("point (lon 105.8, lat 21) lies inside no loaded commune (load the province's 2025 communes, or check the "
     "coordinates)", ["105.8", "21", "2025"]),
    ("is not the commune the point lies in (Xã Mường Phăng, code 03199); the location decides: stored in Xã Mường "
     "Phăng", ["Xã Mường Phăng", "03199"]),
    ("point (lon 21.45, lat 103.05) is outside Viet Nam; were lat/lon swapped? (swapped it would lie in Xã Thanh "
     "Nưa, not the row's declared place)", ["21.45", "103.05", "Xã Thanh Nưa"]),
    ("point (lon 21.45, lat 103.05) is outside Viet Nam; were lat/lon swapped?", ["21.45", "103.05"]),
    ("point (lon 21.45, lat 103.05): longitude and latitude were swapped; read as lon 103.05, lat 21.45, which lies "
     "in Xã Mường Phăng, the row's own commune or province", ["21.45", "103.05", "Xã Mường Phăng"]),
    # etl/villages.py
    ("has no geometry", []),
    ("skipped: a total, not a village", []),
    ("is empty: every village needs a name", []),
    ("point (lon 100.5, lat 13.75) is outside Viet Nam", ["100.5", "13.75"]),
    ("'Bản Huổi Lếch' at (lon 104.2, lat 22.1) lies inside no loaded commune (load its 2025 communes, or check the "
     "location)", ["'Bản Huổi Lếch'", "104.2", "22.1", "2025"]),
    # etl/inspections.py
    ("is empty: which facility was inspected?", []),
    ("repeats the submission of row 4: skipped", ["4"]),
    ("is empty: when was the facility inspected?", []),
    ("is not a geopoint (expected 'latitude longitude altitude accuracy'); the inspection is kept without its "
     "position", ["vĩ độ kinh độ"]),
    ("is outside Viet Nam; kept without its position", []),
    ("is not the id of any loaded facility", []),
    ("was loaded before: skipped", []),
    ("is a facility of Phường Điện Biên Phủ, outside the communes you inspect", ["Phường Điện Biên Phủ"]),
    # etl/feedback_import.py and etl/feedback.py
    ("is empty (expected the date the report was received, such as 26/11/2026)", ["26/11/2026"]),
    (f"is empty (expected one of {CODES})", ["Đường dây nóng", "Họp dân", "Zalo"]),
    (f"is not a known channel (expected one of {CODES})", ["kênh tiếp nhận", "Cổng thông tin"]),
    ("is not a known category (expected one of content, inaudible, loudspeaker_broken, other, wrong_schedule)",
     ["loại phản ánh", "Loa hỏng", "Sai lịch phát"]),
    ("is not a known status (expected one of answered, assigned, closed, received)", ["trạng thái", "Đã trả lời"]),
    ("is empty (expected what the citizen reported)", []),
    ("says the report was answered, but the answer or its date is missing", []),
    ("is before the report was received (20/11/2026)", ["20/11/2026"]),
    ("is not the id of a loaded facility (expected its code, such as DB-LOA-001)", ["DB-LOA-001"]),
    ("is empty and the row has no coordinates or facility to place it", []),
    ("is not a loaded 2025 commune (expected its code or its name, such as Mường Nhé)", ["2025", "Mường Nhé"]),
    ("names 2 communes (03199, 03202); give the code", ["2", "03199, 03202"]),
    ("the point (lon 103.05, lat 24.9) is in no loaded commune; were longitude and latitude swapped?",
     ["103.05", "24.9"]),
    ("no facility with id 4711", ["4711"]),
    ("no 2025 commune with code '99999'", ["'99999'"]),
    ("commune 03199 given, but the point lies in 03127 Phường Điện Biên Phủ: point used",
     ["03199", "03127", "Phường Điện Biên Phủ"]),
    ("Value error, the received date is in the future", []),
    ("Value error, give both longitude and latitude, or neither", []),
    ("Value error, a report needs a place: a point, a commune or a facility", []),
    # pydantic's checks of a typed row (etl/models.py, FeedbackIn)
    ("Value error, coordinate must be finite", []),
    ("Input should be greater than or equal to -180", ["-180"]),
    ("Input should be less than or equal to 90", ["90"]),
    ("Input should be 'thon', 'ban', 'ap', 'to_dan_pho' or 'other'", ["'thon'", "'to_dan_pho' hoặc 'other'"]),
    ("String should have at most 5000 characters", ["5.000"]),
]
# Words that would show English left in a Vietnamese reason.
ENGLISH = re.compile(r"\b(is|the|expected|row|not|empty|skipped|point|stored|commune|number|should|of|or|and|"
                     r"a|lies|outside|given|used|value error|input)\b", re.IGNORECASE)


def test_every_template_has_an_example() -> None:
    # pydantic wraps a validator's own message ("Value error, ..."): the message is a template of its own.
    shown = [part for reason, _ in EXAMPLES for part in (reason, reason.removeprefix("Value error, "))]
    matched = {pattern for pattern, _ in _TEMPLATES for reason in shown if re.fullmatch(pattern, reason)}
    assert matched == {pattern for pattern, _ in _TEMPLATES}


@pytest.mark.parametrize(("reason", "values"), EXAMPLES, ids=[reason[:50] for reason, _ in EXAMPLES])
def test_every_reason_reads_in_vietnamese_with_its_values(reason: str, values: list[str]) -> None:
    vietnamese = reason_text(reason, "vi")
    assert vietnamese != reason and vietnamese[0].isupper()
    assert not ENGLISH.search(vietnamese.replace("'other'", "")), vietnamese  # a code is a value, not English
    for value in values:
        assert value in vietnamese, (value, vietnamese)
    assert reason_text(reason, "en") == reason


def test_an_unknown_reason_stays_in_english() -> None:
    assert reason_text("is something no loader says yet", "vi") == "is something no loader says yet"
    assert reason_text("", "vi") == ""
    assert reason_text("is implausibly large (more than ,); a typo?", "vi").startswith("is implausibly")


def test_the_summary_line_is_made_from_the_counts() -> None:
    result = LoadResult(file="khao_sat.xlsx", kind="facilities", rows=12_345, loaded=12_000, updated=3,
                        unchanged=1_001, skipped=2, skip_reason="not facility rows", dry_run=True,
                        issues=[RowIssue(4, "Số loa", "x", "is not a whole number"),
                                RowIssue(5, "Tình trạng", "", "is empty; stored as Hoạt động (operational)",
                                         "warning")])
    assert summary_text(result, "vi") == (
        "khao_sat.xlsx: đọc 12.345 dòng; xem trước, chưa ghi gì: sẽ nạp mới 12.000, cập nhật 3, không đổi 1.001, "
        "bỏ qua 2 (không phải dòng thiết chế), cảnh báo 1, bị loại 1")
    assert summary_text(result, "en") == result.summary()
    again = LoadResult(file="thon.csv", kind="villages", rows=40, unchanged=40, already_loaded=7)
    assert summary_text(again, "vi") == ("thon.csv: tệp này đã được nạp (lô 7), nạp lại không thay đổi gì "
                                         "(đọc 40 dòng, nạp mới 0, cập nhật 0, không đổi 40)")


def test_the_upload_preview_shows_the_reasons_and_summary_in_vietnamese() -> None:
    result = LoadResult(file="khao_sat.csv", kind="facilities", rows=3, loaded=2, dry_run=True,
                        issues=[RowIssue(3, "Kinh độ", "abc", f"is not a number; {COORDINATE_HINT}"),
                                RowIssue(4, "geometry", "", "has no coordinates")])
    shown = str(preview_view(result, "admin"))  # outside a request the language is Vietnamese
    assert "Không phải là số; cần tọa độ theo độ thập phân" in shown and "is not a number" not in shown
    assert "khao_sat.csv: đọc 3 dòng; xem trước, chưa ghi gì: sẽ nạp mới 2" in shown
    assert "'Kinh độ'" in shown and "Vị trí (hình học)" in shown and "'geometry'" not in shown


def test_fields_the_loaders_name_themselves_are_in_the_users_language() -> None:
    assert (field_text("geometry", "vi"), field_text("gps", "vi"), field_text("Kinh độ", "vi")) == (
        "Vị trí (hình học)", "Vị trí GPS", "Kinh độ")
    assert field_text("geometry", "en") == "geometry"


# --- the real loaders' reasons ----------------------------------------------------------------------------------


def _assert_all_translated(results: list[LoadResult], at_least: int) -> None:
    """Every reason the loaders gave has a Vietnamese rendering: a new English reason fails here until translated."""
    reasons = {issue.reason for result in results for issue in result.issues}
    untranslated = sorted(r for r in reasons if reason_text(r, "vi") == r)
    assert not untranslated
    assert len(reasons) >= at_least  # the files below do make that many kinds of problem


@pytest.mark.db
def test_every_reason_of_a_bad_facility_survey_reads_in_vietnamese(communes: Connection, tmp_path: Path) -> None:
    outside_communes = (104.5, 21.9)  # in Viet Nam, in none of the three communes
    rows = [
        vn_row(1, "F-01", "", IN_MUONG_PHANG),                                   # no type
        vn_row(2, "F-02", "Cột cờ", IN_MUONG_PHANG),                             # unknown type
        vn_row(3, "F-03", status="Tốt lắm"),                                     # unknown status
        vn_row(4, "F-04", status=""),                                            # empty status: warning
        vn_row(27, "F-27", status="ok?"),                                        # doubtful status
        vn_row(5, "F-05", tech="Vệ tinh"),                                       # unknown technology: warning
        vn_row(6, "F-06", year="khoảng 2010"),
        vn_row(7, "F-07", year=2999),
        vn_row(8, "F-08", year=1900),
        vn_row(9, "F-09", horns="hai"),
        vn_row(10, "F-10", horns="2.5"),
        vn_row(11, "F-11", horns=-2),
        vn_row(12, "F-12", horns=99_999_999),
        vn_row(13, "F-13", watts="ba mươi"),
        vn_row(14, "F-14", watts=-30),
        vn_row(15, "F-15", watts=5_000_000),
        vn_row(16, "F-16", radius="nan"),
        vn_row(17, "F-01"),                                                      # repeats row 2's id
        vn_row(18, "F-18", lonlat=("abc", 21.45)),
        vn_row(19, "F-19", lonlat=("103,05,1", 21.45)),                          # comma hint
        vn_row(20, "F-20", lonlat=("", 21.45)),
        vn_row(21, "F-21", lonlat=("nan", 21.45)),
        vn_row(22, "F-22", lonlat=(151.2, -33.9)),                               # Sydney
        vn_row(23, "F-23", lonlat=(IN_THANH_NUA[1], IN_THANH_NUA[0]), commune="Thanh Nưa"),  # swap confirmed
        vn_row(24, "F-24", lonlat=(IN_THANH_NUA[1], IN_THANH_NUA[0]), commune="Hà Nội"),     # swap not confirmed
        vn_row(25, "F-25", lonlat=outside_communes),
        vn_row(26, "F-26", lonlat=IN_DIEN_BIEN_PHU, commune="Mường Phăng"),      # typed commune not the point's
        ["", "", "Người lập biểu", "", "", "", "", "", "", "", "", "", "", "", ""],  # a signature: skipped
    ]
    survey = write_csv(tmp_path / "khao_sat.csv", VN_HEADERS, rows)
    projected = write_csv(tmp_path / "vn2000.csv", ["Mã thiết chế", "Loại thiết chế", "X", "Y", "Tình trạng"], [
        ["P-1", "Cụm loa truyền thanh", "2374000", "511000", "Hoạt động"],     # X = northing, as surveyors write
        ["P-2", "Cụm loa truyền thanh", "511000", "2374000", "Hoạt động"],     # the GIS way round: warning
    ])
    geopoints = write_csv(tmp_path / "kobo.csv", ["Mã thiết chế", "Loại thiết chế", "_gps", "Tình trạng"], [
        ["G-1", "Cụm loa truyền thanh", "", "Hoạt động"],
        ["G-2", "Cụm loa truyền thanh", "chưa-đo", "Hoạt động"],
    ])
    mapped = _geojson(tmp_path / "ban_do.geojson", [
        ({"Mã thiết chế": "M-1", "Loại thiết chế": "Nhà văn hóa"}, IN_MUONG_PHANG),
        ({"Mã thiết chế": "M-2", "Loại thiết chế": "Nhà văn hóa"}, None),
    ])
    results = [preview_facilities(communes, survey), preview_facilities(communes, projected, crs="EPSG:9205"),
               preview_facilities(communes, geopoints), preview_facilities(communes, mapped)]
    _assert_all_translated(results, at_least=30)


@pytest.mark.db
def test_every_reason_of_bad_village_inspection_and_feedback_files_reads_in_vietnamese(
        communes: Connection, tmp_path: Path) -> None:
    villages = write_csv(tmp_path / "thon.csv", ["Tên thôn", "Kinh độ", "Vĩ độ", "Dân số", "Số hộ"], [
        ["Bản Phăng", *IN_MUONG_PHANG, "420", "95"],
        ["", *IN_MUONG_PHANG, "", ""],                        # no name
        ["Bản A", "", "", "", ""],                            # no coordinates
        ["Bản B", "xyz", "21.4", "", ""],
        ["Bản C", *IN_MUONG_PHANG, "bốn trăm", "-3"],
        ["Bản D", "100.5", "13.75", "", ""],                  # Bangkok
        ["Bản E", "104.5", "21.9", "", ""],                   # in no loaded commune
        ["Tổng cộng", "", "", "420", "95"],                   # a total: skipped
    ])
    communes.execute(text(
        "INSERT INTO facility (external_id, type, status, commune_code, geom) VALUES "
        "('DB-LOA-001', 'loudspeaker_cluster', 'operational', '03199', ST_SetSRID(ST_MakePoint(103.05, 21.45), 4326)),"
        "('DB-LOA-002', 'loudspeaker_cluster', 'operational', '03127', ST_SetSRID(ST_MakePoint(103.15, 21.45), 4326))"))
    inspections = write_csv(tmp_path / "kiem_tra.csv",
                            ["Mã thiết chế", "Tình trạng", "Ngày kiểm tra", "instanceID", "Vĩ độ", "Kinh độ"], [
        ["DB-LOA-001", "Hư hỏng", "20/11/2026", "s-1", "21.45", "103.05"],
        ["", "Hư hỏng", "20/11/2026", "s-2", "", ""],            # no facility
        ["DB-LOA-001", "Rất tốt", "20/11/2026", "s-3", "", ""],   # unknown status
        ["DB-LOA-001", "Hư hỏng", "", "s-4", "", ""],             # no date
        ["DB-LOA-001", "Hư hỏng", "hôm qua", "s-5", "", ""],
        ["DB-LOA-001", "Hư hỏng", "01/01/2999", "s-6", "", ""],
        ["DB-LOA-001", "Hư hỏng", "20/11/2026", "s-1", "", ""],   # the submission of row 2 again
        ["DB-LOA-001", "Hư hỏng", "20/11/2026", "s-8", "abc", "103.05"],  # bad GPS: kept without it
        ["DB-LOA-001", "Hư hỏng", "20/11/2026", "s-9", "13.75", "100.5"],  # GPS abroad: kept without it
        ["KHONG-CO", "Hư hỏng", "20/11/2026", "s-10", "", ""],    # no such facility
        ["DB-LOA-002", "Hư hỏng", "20/11/2026", "s-11", "", ""],  # outside the inspector's communes
    ])
    feedback = write_csv(tmp_path / "phan_anh.csv",
                         ["Ngày tiếp nhận", "Kênh tiếp nhận", "Xã", "Mã thiết chế", "Loại phản ánh", "Nội dung",
                          "Trạng thái", "Trả lời", "Ngày trả lời", "Kinh độ", "Vĩ độ"], [
        ["", "Zalo", "03199", "", "Loa hỏng", "Loa không kêu", "", "", "", "", ""],
        ["20/11/2026", "Fax", "03199", "", "Loa hỏng", "Loa không kêu", "", "", "", "", ""],
        ["20/11/2026", "", "03199", "", "Khiếu nại", "Loa không kêu", "", "", "", "", ""],
        ["20/11/2026", "Zalo", "03199", "", "Loa hỏng", "", "Chờ", "", "", "", ""],
        ["20/11/2026", "Zalo", "03199", "", "Loa hỏng", "Loa nhỏ", "Đã trả lời", "", "", "", ""],
        ["20/11/2026", "Zalo", "03199", "", "Loa hỏng", "Loa nhỏ", "", "Đã sửa", "10/11/2026", "", ""],
        ["20/11/2026", "Zalo", "03199", "KHONG-CO", "Loa hỏng", "Loa nhỏ", "", "", "", "", ""],
        ["20/11/2026", "Zalo", "", "", "Loa hỏng", "Loa nhỏ", "", "", "", "", ""],
        ["20/11/2026", "Zalo", "Hà Nội", "", "Loa hỏng", "Loa nhỏ", "", "", "", "", ""],
        ["20/11/2026", "Zalo", "", "", "Loa hỏng", "Loa nhỏ", "", "", "", "103.05", "95"],
        ["20/11/2026", "Zalo", "", "", "Loa hỏng", "Loa nhỏ", "", "", "", "104.5", "21.9"],
        ["20/11/2026", "Zalo", "03127", "", "Loa hỏng", "Loa nhỏ", "", "", "", *IN_MUONG_PHANG],
    ])
    drawn = _geojson(tmp_path / "thon.geojson", [({"Tên thôn": "Bản Phăng"}, IN_MUONG_PHANG),
                                                 ({"Tên thôn": "Bản Xa"}, None)])
    results = [preview_villages(communes, villages), preview_villages(communes, drawn),
               preview_inspections(communes, inspections, scope=["03199"]),
               import_feedback(communes, feedback, dry_run=True)]
    _assert_all_translated(results, at_least=30)
