"""A reject shows in Vietnamese in the app: the real loaders' reasons for bad files, and the upload preview.

Every code has both templates (tests/etl/test_messages.py); here the files of every loader make their problems,
and each reason they give reads in Vietnamese with no English left, the way the upload preview shows it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from app.components.uploads import preview_view
from etl.facilities import preview_facilities
from etl.feedback_import import import_feedback
from etl.inspections import preview_inspections
from etl.lineage import LoadResult
from etl.messages import MESSAGES
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


# Words that would show English left in a Vietnamese reason (values such as names and codes are taken out first).
ENGLISH = re.compile(r"\b(is|the|expected|row|not|empty|skipped|point|stored|commune|number|should|of|or|and|"
                     r"a|lies|outside|given|used|value error|input|loaded|were|swapped)\b", re.IGNORECASE)


def test_the_upload_preview_shows_the_reasons_and_summary_in_vietnamese() -> None:
    result = LoadResult(file="khao_sat.csv", kind="facilities", rows=3, loaded=2, dry_run=True,
                        issues=[RowIssue(3, "Kinh độ", "abc", "coordinate_not_number"),
                                RowIssue(4, "geometry", "", "no_coordinates")])
    shown = str(preview_view(result, "admin"))  # outside a request the language is Vietnamese
    assert "Không phải là số; cần tọa độ theo độ thập phân" in shown and "is not a number" not in shown
    assert "khao_sat.csv: đọc 3 dòng; xem trước, chưa ghi gì: sẽ nạp mới 2" in shown
    assert "'Kinh độ'" in shown and "Vị trí (hình học)" in shown and "'geometry'" not in shown


# --- the real loaders' reasons ----------------------------------------------------------------------------------


def _assert_all_in_vietnamese(results: list[LoadResult], at_least: int) -> None:
    """Every reason the loaders gave has a code with a Vietnamese template, and reads with no English left."""
    issues = [issue for result in results for issue in result.issues]
    assert {i.code for i in issues} <= set(MESSAGES)
    for issue in issues:
        vietnamese = issue.text("vi")
        assert vietnamese != issue.reason, issue
        bare = vietnamese
        for value in issue.values.values():
            for part in value if isinstance(value, list) else [value]:
                bare = bare.replace(str(part), "")
        assert not ENGLISH.search(bare.replace("'other'", "")), (issue.code, vietnamese)
    assert len({i.code for i in issues}) >= at_least  # the files below do make that many kinds of problem


def _preview_shows(result: LoadResult) -> str:
    """The upload preview of a real load, as the page renders it (Vietnamese outside a request)."""
    return str(preview_view(result, "admin"))


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
    _assert_all_in_vietnamese(results, at_least=25)
    shown = _preview_shows(results[0])  # the page a planner sees for this file
    assert "Không phải là tình trạng đã biết (Hoạt động, Xuống cấp, Hư hỏng, Đã thanh lý, Dự kiến)" in shown
    assert "Trùng mã với dòng 2 (dòng sau bị loại)" in shown and "Tốt lắm" in shown
    assert "is not a known status" not in shown and "repeats the id" not in shown


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
    _assert_all_in_vietnamese(results, at_least=25)
