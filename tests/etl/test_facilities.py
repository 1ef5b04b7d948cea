"""Facility surveys end to end: the Điện Biên workbook, every row rule, lineage and idempotency."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from etl.errors import LoadRefusedError, SurveyValidationError
from etl.facilities import load_facilities, preview_facilities
from etl.messages import MESSAGES
from etl.models import FacilityRow
from tests.etl.conftest import (
    IN_DIEN_BIEN_PHU,
    IN_MUONG_PHANG,
    IN_THANH_NUA,
    VN_HEADERS,
    vn_row,
    write_csv,
    write_workbook,
)

pytestmark = pytest.mark.db
TODAY = date(2026, 11, 26)


def _load(conn: Connection, path: Path, tmp_path: Path, **options: object):  # type: ignore[no-untyped-def]
    return load_facilities(
        conn, path, report_dir=tmp_path / "out", today=TODAY, loaded_by="tester", **options
    )


def _reasons(result) -> dict[int, str]:  # type: ignore[no-untyped-def]
    return {i.row: i.message(result.file) for i in result.issues if i.severity == "reject"}


def test_the_dien_bien_workbook_with_title_rows_loads(communes: Connection, tmp_path: Path) -> None:
    rows = [
        vn_row(1, "DB-001"),
        vn_row(
            2,
            "DB-002",
            "Đài truyền thanh xã",
            IN_DIEN_BIEN_PHU,
            commune="Phường Điện Biên Phủ",
            tech="Ứng dụng CNTT-VT",
        ),
        vn_row(
            3,
            "DB-003",
            "Nhà văn hóa bản",
            IN_THANH_NUA,
            commune="Thanh Nưa",
            status="Xuống cấp",
            tech="",
            horns="",
            watts="",
        ),
    ]
    path = write_workbook(tmp_path / "khao_sat.xlsx", VN_HEADERS, rows)
    result = _load(communes, path, tmp_path)
    assert (result.rows, result.loaded, result.rejected, result.warned) == (3, 3, 0, 0), result.messages()
    stored = communes.execute(
        text(
            "SELECT external_id, type, technology, commune_code, status, n_horns, batch_id FROM facility "
            "ORDER BY external_id"
        )
    ).all()
    assert [tuple(r[:6]) for r in stored] == [
        ("DB-001", "loudspeaker_cluster", "fm_wireless", "03199", "operational", 2),
        ("DB-002", "commune_radio_station", "ip", "03127", "operational", 2),
        ("DB-003", "cultural_house", None, "03202", "degraded", None),
    ]
    assert {r.batch_id for r in stored} == {result.batch_id}
    batch = communes.execute(
        text("SELECT kind, rows, loaded, loaded_by, length(sha256) FROM load_batch WHERE id = :b"),
        {"b": result.batch_id},
    ).one()
    assert tuple(batch) == ("facilities", 3, 3, "tester", 64)
    # A bulk load's inserts are audited as one row for the batch (migration 0013) that names every new id.
    audited = communes.execute(
        text(
            "SELECT action, after FROM audit_log WHERE entity = 'facility' AND \"user\" = 'tester' "
            "AND action IN ('insert', 'bulk_insert')"
        )
    ).all()
    ids = communes.execute(text("SELECT id FROM facility WHERE batch_id = :b ORDER BY id"),
                           {"b": result.batch_id}).scalars().all()
    assert [(a.action, a.after) for a in audited] == [
        ("bulk_insert", {"batch_id": result.batch_id, "rows": 3, "ids": ids})
    ]
    assert "3 rows read, loaded 3, updated 0, unchanged 0, warned 0, rejected 0" in result.summary()
    # the typed rows the preview hands the upload page round-trip through the model
    for row in result.accepted:
        assert FacilityRow.model_validate(row.model_dump()) == row


def test_the_same_file_again_changes_nothing_and_says_so(communes: Connection, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "s.csv", VN_HEADERS, [vn_row(1, "A1"), vn_row(2, "A2")])
    first = _load(communes, path, tmp_path)
    batches = communes.execute(text("SELECT count(*) FROM load_batch")).scalar_one()
    again = _load(communes, path, tmp_path)
    assert again.already_loaded == first.batch_id
    assert "already loaded" in again.summary() and again.loaded == again.updated == 0
    assert communes.execute(text("SELECT count(*) FROM load_batch")).scalar_one() == batches
    assert communes.execute(text("SELECT count(*) FROM facility")).scalar_one() == 2


def test_a_changed_file_updates_by_external_id_and_counts_unchanged(
    communes: Connection, tmp_path: Path
) -> None:
    _load(communes, write_csv(tmp_path / "v1.csv", VN_HEADERS, [vn_row(1, "A1"), vn_row(2, "A2")]), tmp_path)
    changed = write_csv(
        tmp_path / "v2.csv", VN_HEADERS, [vn_row(1, "A1"), vn_row(2, "A2", status="Hư hỏng"), vn_row(3, "A3")]
    )
    result = _load(communes, changed, tmp_path)
    assert (result.loaded, result.updated, result.unchanged) == (1, 1, 1)
    assert result.updated_refs == ["A2"]
    status, version = communes.execute(
        text("SELECT status, version FROM facility WHERE external_id = 'A2'")
    ).one()
    assert (status, version) == ("broken", 2)
    who = (
        communes.execute(
            text("SELECT \"user\" FROM audit_log WHERE entity = 'facility' AND action = 'update'")
        )
        .scalars()
        .all()
    )
    assert who == ["tester"]


def test_without_an_id_the_same_type_within_5_m_is_the_same_facility(
    communes: Connection, tmp_path: Path
) -> None:
    lon, lat = IN_MUONG_PHANG
    _load(communes, write_csv(tmp_path / "a.csv", VN_HEADERS, [vn_row(1, "", lonlat=(lon, lat))]), tmp_path)
    # 3 m east: the same cluster, now broken; 50 m east: another one
    moved = [
        vn_row(1, "", lonlat=(lon + 0.000029, lat), status="Hỏng"),
        vn_row(2, "", lonlat=(lon + 0.0005, lat)),
    ]
    result = _load(communes, write_csv(tmp_path / "b.csv", VN_HEADERS, moved), tmp_path)
    assert (result.loaded, result.updated) == (1, 1)
    assert communes.execute(text("SELECT count(*) FROM facility")).scalar_one() == 2


@pytest.mark.parametrize(
    "cells,field,reason",
    [
        ({"lon": "", "lat": ""}, "Kinh độ", "missing coordinates"),
        ({"lon": "nan"}, "Kinh độ", "not a finite number"),
        ({"lat": "inf"}, "Vĩ độ", "not a finite number"),
        ({"lon": "abc"}, "Kinh độ", "is not a number"),
        ({"lon": "2.0", "lat": "48.8"}, "", "outside Viet Nam"),
        ({"lon": "105.80", "lat": "21.02"}, "", "inside no loaded commune"),
        ({"kind": "Trạm phát sóng 5G"}, "Loại thiết chế", "not a known facility type"),
        ({"status": "lung lay"}, "Tình trạng", "not a known status"),
        ({"year": "2031"}, "Năm đưa vào sử dụng", "in the future"),
        ({"year": "1930"}, "Năm đưa vào sử dụng", "before 1945"),
        ({"horns": "-2"}, "Số loa", "negative"),
        ({"horns": "hai"}, "Số loa", "not a number"),
        ({"watts": "ba mươi"}, "Công suất (W)", "not a number"),
        ({"radius": "-300"}, "Bán kính (m)", "negative"),
    ({"horns": "99999999999"}, "Số loa", "implausibly large"),
    ({"lon": "1e308", "lat": "1e308"}, "", "outside Viet Nam"),
    ],
)
def test_each_bad_row_is_rejected_with_file_row_field_and_reason(
    communes: Connection, tmp_path: Path, cells: dict[str, str], field: str, reason: str
) -> None:
    good = vn_row(1, "G1")
    bad = vn_row(
        2,
        "B1",
        kind=cells.get("kind", "Cụm loa truyền thanh"),
        status=cells.get("status", "Hoạt động"),
        year=cells.get("year", 2019),
        horns=cells.get("horns", 2),
        watts=cells.get("watts", 30),
        radius=cells.get("radius", ""),
        lonlat=(cells.get("lon", IN_MUONG_PHANG[0]), cells.get("lat", IN_MUONG_PHANG[1])),
    )
    path = write_csv(tmp_path / "survey.csv", VN_HEADERS, [good, bad])
    result = _load(communes, path, tmp_path)
    assert (result.loaded, result.rejected) == (1, 1)
    message = _reasons(result)[3]  # data row 2 is spreadsheet row 3
    assert message.startswith(f"{path}, row 3")
    if field:
        assert f"field '{field}'" in message
    assert reason in message
    stored = communes.execute(
        text("SELECT row, field, reason, code, reason_values FROM load_reject WHERE batch_id = :b"),
        {"b": result.batch_id},
    ).all()
    assert [(r.row, r.field or "") for r in stored] == [(3, field)]
    issue = next(i for i in result.issues if i.row == 3)
    assert (stored[0].code, set(stored[0].reason_values)) == (issue.code, set(issue.values))
    assert stored[0].code in MESSAGES and reason in stored[0].reason
    report = result.report.read_text(encoding="utf-8-sig")
    assert report.startswith("row,field,value,reason,severity,message,code") and reason in report
    assert report.rstrip().endswith(issue.code)


def test_a_repeated_id_rejects_the_later_row_naming_the_earlier(communes: Connection, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "dup.csv", VN_HEADERS, [vn_row(1, "X1"), vn_row(2, "X2"), vn_row(3, "X1")])
    result = _load(communes, path, tmp_path)
    assert result.loaded == 2
    assert "repeats the id of row 2" in _reasons(result)[4]


def test_decimal_comma_and_dms_coordinates_are_read(communes: Connection, tmp_path: Path) -> None:
    rows = [
        vn_row(1, "C1", lonlat=("103,05", "21,45")),
        vn_row(2, "C2", lonlat=("103°03'00\"E", "21°27'00\"N")),
    ]
    result = _load(communes, write_csv(tmp_path / "c.csv", VN_HEADERS, rows, delimiter=";"), tmp_path)
    assert result.loaded == 2, result.messages()
    points = communes.execute(
        text(
            "SELECT round(ST_X(geom)::numeric, 4), round(ST_Y(geom)::numeric, 4) "
            "FROM facility ORDER BY external_id"
        )
    ).all()
    assert [tuple(map(float, p)) for p in points] == [(103.05, 21.45), (103.05, 21.45)]


def test_swapped_lat_lon_is_fixed_when_the_declared_commune_confirms_it(
    communes: Connection, tmp_path: Path
) -> None:
    lon, lat = IN_DIEN_BIEN_PHU
    rows = [
        vn_row(1, "S1", lonlat=(lat, lon), commune="Phường Điện Biên Phủ"),
        vn_row(2, "S2", lonlat=(lat, lon), commune="Xã Mường Phăng"),
    ]
    result = _load(communes, write_csv(tmp_path / "sw.csv", VN_HEADERS, rows), tmp_path)
    assert result.loaded == 1 and result.rejected == 1
    warning = next(i for i in result.issues if i.row == 2)
    assert warning.severity == "warning" and "swapped" in warning.reason
    assert "were lat/lon swapped?" in _reasons(result)[3]
    assert communes.execute(text("SELECT commune_code FROM facility")).scalar_one() == "03127"


def test_a_typed_commune_that_disagrees_with_the_location_is_a_warning_with_both_names(
    communes: Connection, tmp_path: Path
) -> None:
    rows = [vn_row(1, "T1", lonlat=IN_THANH_NUA, commune="Xã Mường Phăng")]
    result = _load(communes, write_csv(tmp_path / "t.csv", VN_HEADERS, rows), tmp_path)
    assert (result.loaded, result.warned) == (1, 1)
    message = result.messages("warning")[0]
    assert "'Xã Mường Phăng'" in message and "Xã Thanh Nưa" in message
    assert communes.execute(text("SELECT commune_code FROM facility")).scalar_one() == "03202"


def test_strict_refuses_the_whole_file_and_writes_nothing(communes: Connection, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "st.csv", VN_HEADERS, [vn_row(1, "A"), vn_row(2, "B", status="???")])
    with pytest.raises(SurveyValidationError, match=r"row 3, field 'Tình trạng'"):
        _load(communes, path, tmp_path, strict=True)
    assert communes.execute(text("SELECT count(*) FROM facility")).scalar_one() == 0
    assert communes.execute(text("SELECT count(*) FROM load_batch")).scalar_one() == 0


def test_dry_run_and_preview_write_nothing_but_report_everything(
    communes: Connection, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "p.csv", VN_HEADERS, [vn_row(1, "A"), vn_row(2, "B", status="???")])
    preview = preview_facilities(communes, path, report_dir=tmp_path / "out", today=TODAY)
    assert (preview.loaded, preview.rejected, len(preview.accepted)) == (1, 1, 1)
    assert preview.dry_run and "dry run" in preview.summary()
    assert communes.execute(text("SELECT count(*) FROM facility")).scalar_one() == 0
    assert communes.execute(text("SELECT count(*) FROM load_batch")).scalar_one() == 0


def test_no_communes_loaded_refuses_the_file(db_conn: Connection, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "n.csv", VN_HEADERS, [vn_row(1, "A")])
    with pytest.raises(LoadRefusedError, match="no 2025 communes are loaded"):
        _load(db_conn, path, tmp_path)


def test_a_file_without_type_column_is_refused(communes: Connection, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "nt.csv", ["Tên", "Kinh độ", "Vĩ độ"], [["a", 103.05, 21.45]])
    with pytest.raises(LoadRefusedError, match="no column for the facility type"):
        _load(communes, path, tmp_path)


def test_a_mapping_file_names_unknown_columns_and_words(communes: Connection, tmp_path: Path) -> None:
    mapping = tmp_path / "map.yaml"
    mapping.write_text(
        "columns:\n  Hạng mục: type\n  Đông: lon\n  Bắc: lat\ntypes:\n  loudspeaker_cluster: [loa kẹn]\n",
        encoding="utf-8",
    )
    path = write_csv(tmp_path / "m.csv", ["Hạng mục", "Đông", "Bắc"], [["Loa kẹn", 103.05, 21.45]])
    result = _load(communes, path, tmp_path, mapping=mapping)
    assert result.loaded == 1, result.messages()


def test_a_mapping_to_a_code_phusong_has_not_rejects_the_row_under_the_files_header(
    communes: Connection, tmp_path: Path
) -> None:
    mapping = tmp_path / "map.yaml"
    mapping.write_text("columns:\n  Hạng mục: type\ntypes:\n  loa_keo_tay: [loa kéo tay]\n", encoding="utf-8")
    path = write_csv(tmp_path / "m.csv", ["Hạng mục", "Kinh độ", "Vĩ độ"],
                     [["Loa kéo tay", 103.05, 21.45], ["Cụm loa truyền thanh", 103.05, 21.451]])
    result = _load(communes, path, tmp_path, mapping=mapping)
    assert (result.loaded, result.rejected) == (1, 1), result.messages()
    assert result.messages("reject")[0].startswith(
        f"{path}, row 2, field 'Hạng mục': 'loa_keo_tay' Input should be")


def test_a_form_with_column_numbers_and_a_signature_footer(communes: Connection, tmp_path: Path) -> None:
    numbers = [f"({i})" for i in range(1, len(VN_HEADERS) + 1)]
    footer = [["", "", "Tổng cộng: 2 thiết chế"], [], ["", "", "", "", "", "", "", "", "", "Người lập biểu"],
              ["", "", "", "", "", "", "", "", "", "(Ký, ghi rõ họ tên)"]]
    rows = [numbers, vn_row(1, "A1"), vn_row(2, "A2"), *footer]
    result = _load(communes, write_workbook(tmp_path / "bieu_mau.xlsx", VN_HEADERS, rows), tmp_path)
    assert (result.rows, result.loaded, result.rejected, result.skipped) == (5, 2, 0, 3), result.messages()
    assert "3 skipped (not facility rows)" in result.summary()


def test_a_signature_under_the_coordinate_columns_is_skipped_not_rejected(communes: Connection,
                                                                          tmp_path: Path) -> None:
    footer = [["", "", "", "", "", "", "", "Thủ trưởng đơn vị", "Người lập biểu"],
              ["", "", "", "", "", "", "", "(Ký, đóng dấu)", "(Ký, ghi rõ họ tên)"]]
    rows = [vn_row(1, "A1"), *footer]
    result = _load(communes, write_workbook(tmp_path / "bieu_mau.xlsx", VN_HEADERS, rows), tmp_path)
    assert (result.loaded, result.rejected, result.skipped) == (1, 0, 2), result.messages()


def test_a_commune_named_like_a_unit_word_is_matched(communes: Connection, tmp_path: Path) -> None:
    communes.execute(text("UPDATE admin_unit SET name = 'Xa Dung', name_folded = 'dung' "
                          "WHERE code = '03202'"))
    rows = [vn_row(1, "XD", lonlat=IN_THANH_NUA, commune="Xã Xa Dung"),
            vn_row(2, "XE", lonlat=IN_THANH_NUA, commune="Xa Dung")]
    result = _load(communes, write_csv(tmp_path / "xd.csv", VN_HEADERS, rows), tmp_path)
    assert (result.loaded, result.warned) == (2, 0), result.messages()


def test_a_two_row_header_and_odd_cell_forms(communes: Connection, tmp_path: Path) -> None:
    import openpyxl

    top = ["STT", "Mã thiết chế", "Loại thiết chế", "Xã/Phường", "Tọa độ", "", "Tình trạng"]
    sub = ["", "", "", "", "Kinh độ", "Vĩ độ", ""]
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["BÁO CÁO HIỆN TRẠNG HỆ THỐNG TRUYỀN THANH CƠ SỞ"])
    sheet.append(top)
    sheet.append(sub)
    sheet.merge_cells("E2:F2")
    sheet.append([1, "M1", "Trạm truyền thanh", "Mường Phăng", "103.05E", "21.45N", "Hoạt động bình thường"])
    sheet.append([2, "M2", "Cụm loa thôn", "Mường Phăng", "103°03'E", "21°27'N", "Hư hỏng nhẹ"])
    workbook.save(tmp_path / "two_rows.xlsx")
    result = _load(communes, tmp_path / "two_rows.xlsx", tmp_path)
    assert (result.loaded, result.rejected, result.warned) == (2, 0, 0), result.messages()
    stored = communes.execute(text("SELECT type, status FROM facility ORDER BY external_id")).all()
    assert [tuple(r) for r in stored] == [("commune_radio_station", "operational"),
                                          ("loudspeaker_cluster", "degraded")]
