"""The checks a slice of rows at a time (etl/facilities/columns.py _Survey): the same rows stored and the same
issues, in the same order, whatever the slices and whether the COPY asks for them or every row is checked first."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, text

from etl.facilities import load_facilities
from tests.etl.conftest import IN_DIEN_BIEN_PHU, IN_THANH_NUA, VN_HEADERS, vn_row, write_csv

pytestmark = pytest.mark.db

FIRST, SLICE = 7, 16  # slices: rows 0-6, 7-22, 23-38, 39-54, 55-70, 71-86, 87-102, 103-118, 119-


def _survey(path: Path) -> Path:
    """120 rows with every kind of bad row, on both sides of slice boundaries (row k is file row k + 2)."""
    rows = [vn_row(i, f"SL-{i:04d}", lonlat=(f"{103.001 + (i % 190) * 0.0005:.4f}", "21.4010"))
            for i in range(120)]
    lon, lat = IN_DIEN_BIEN_PHU
    bad = {
        6: vn_row(6, "SL-0006", kind=""),  # no type: last row of the first slice
        7: vn_row(7, "SL-0007", kind="Sân bóng", status=""),  # unknown type, empty status: first of the second
        22: vn_row(22, "SL-0022", year=1800),
        23: vn_row(23, "SL-0023", year="năm ngoái", horns=-1),  # two cell refusals, next slice
        30: vn_row(30, "SL-0002"),  # repeats row 2's id (first slice)
        38: vn_row(38, "SL-0038", lonlat=(2.35, 48.85)),  # Paris
        39: vn_row(39, "SL-0039", lonlat=(105.85, 21.03)),  # in Viet Nam, in no loaded commune
        40: vn_row(40, "SL-0040", lonlat=("103,0555", "21,4555")),  # comma decimals: read one by one
        54: vn_row(54, "SL-0054", lonlat=(lat, lon), commune="Phường Điện Biên Phủ"),  # a swap its commune confirms
        55: vn_row(55, "SL-0055", lonlat=(lat, lon)),  # a swap nothing confirms
        70: vn_row(70, "SL-0070", lonlat=IN_THANH_NUA, commune="Xã Mường Phăng"),  # not the point's commune
        71: vn_row(71, "SL-0071", tech="Cáp quang"),  # unknown technology: a warning
        86: vn_row(86, "SL-0086", lonlat=("", "")),
        87: vn_row(87, "SL-0040", lonlat=("103°3'30\"", "21°27'0\"")),  # DMS; repeats row 40, two slices back
        102: vn_row(102, "SL-0102", watts="nhiều"),
        118: vn_row(118, "SL-0002", kind=""),  # no type and a repeated id, in a late slice
        119: vn_row(119, "SL-0119", horns="0.5"),  # the last row, a slice of its own
    }
    for i, row in bad.items():
        rows[i] = row
    return write_csv(path, VN_HEADERS, rows)


def _load(conn: Connection, path: Path, tmp_path: Path) -> tuple[list[Any], tuple[int, ...], list[Any]]:
    savepoint = conn.begin_nested()
    try:
        result = load_facilities(conn, path, report_dir=tmp_path, today=date(2026, 11, 27), loaded_by="tester")
        issues = [(i.row, i.field, i.value, i.code, dict(i.values), i.severity) for i in result.issues]
        counts = (result.loaded, result.rejected, result.warned, len(result.accepted))
        stored = conn.execute(text(
            "SELECT id - min(id) OVER (), external_id, type, technology, status, installed_year, n_horns, watts, "
            "commune_code, encode(ST_AsEWKB(geom), 'hex') FROM facility ORDER BY id")).all()
        return issues, counts, [tuple(r) for r in stored]
    finally:
        savepoint.rollback()


# What main 0ab4637 (every check made over the whole file at once) reported for this survey, in its order: the
# cell parsers column by column, empty types and statuses, repeated ids, positions, the points outside Viet Nam,
# then the location checks by row.
_EXAMPLES = {"examples": ["Cụm loa truyền thanh", "Đài truyền thanh cấp xã", "Nhà văn hóa"]}
MAIN_ISSUES = [
    (9, "Loại thiết chế", "Sân bóng", "unknown_facility_type", _EXAMPLES, "reject"),
    (73, "Công nghệ", "Cáp quang", "unknown_technology", {"accepted": ["có dây", "không dây FM", "IP"]}, "warning"),
    (24, "Năm đưa vào sử dụng", "1800", "year_too_early", {"earliest": 1945}, "reject"),
    (25, "Năm đưa vào sử dụng", "năm ngoái", "year_not_year", {}, "reject"),
    (25, "Số loa", "-1", "count_negative", {}, "reject"),
    (121, "Số loa", "0.5", "count_not_whole", {}, "reject"),
    (104, "Công suất (W)", "nhiều", "amount_not_number", {"unit": "watts"}, "reject"),
    (8, "Loại thiết chế", "", "type_empty", {}, "reject"),
    (9, "Tình trạng", "", "status_empty", {}, "warning"),
    (120, "Loại thiết chế", "", "type_empty", {}, "reject"),
    (32, "Mã thiết chế", "SL-0002", "repeated_id", {"first_row": 4}, "reject"),
    (89, "Mã thiết chế", "SL-0040", "repeated_id", {"first_row": 42}, "reject"),
    (120, "Mã thiết chế", "SL-0002", "repeated_id", {"first_row": 4}, "reject"),
    (88, "Kinh độ", "", "coordinates_missing", {}, "reject"),
    (40, "", "", "point_outside_vn", {"lon": 2.35, "lat": 48.85}, "reject"),
    (41, "", "", "point_in_no_commune", {"lon": 105.85, "lat": 21.03}, "reject"),
    (56, "", "", "swap_confirmed",
     {"lon": 21.45, "lat": 103.15, "lon2": 103.15, "lat2": 21.45, "name": "Phường Điện Biên Phủ"}, "warning"),
    (57, "", "", "swap_elsewhere", {"lon": 21.45, "lat": 103.15, "name": "Phường Điện Biên Phủ"}, "reject"),
    (72, "Xã/Phường", "Xã Mường Phăng", "commune_not_at_point", {"name": "Xã Thanh Nưa", "code": "03202"}, "warning"),
]
REFUSED = {6, 7, 22, 23, 30, 38, 39, 55, 86, 87, 102, 118, 119}  # survey rows (file row - 2)


def test_slices_check_and_store_as_one_pass_over_the_file_does(
    communes: Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Small slices with bad rows on both sides of their boundaries, a repeated id whose first row is in an
    earlier slice, refusals decided in a late slice: the issues (content and order) are main's, and the counts and
    stored rows are those of the whole file checked as one slice, in a bulk insert whose COPY asks for the slices
    (ids in the file's order) and in a small load that checks every row first."""
    from etl.facilities import columns

    path = _survey(tmp_path / "slices.csv")
    checked: list[int] = []
    check_slice = columns._Survey._check_slice
    monkeypatch.setattr(columns._Survey, "_check_slice",
                        lambda self, start, stop: checked.append(stop - start) or check_slice(self, start, stop))

    def load(first: int, size: int, bulk_from: int) -> tuple[list[Any], tuple[int, ...], list[Any]]:
        monkeypatch.setattr(columns, "FIRST_SLICE_ROWS", first)
        monkeypatch.setattr(columns, "SLICE_ROWS", size)
        monkeypatch.setattr("etl.facilities.writes.BULK_INSERT_REBUILDS_INDEXES_FROM", bulk_from)
        checked.clear()
        return _load(communes, path, tmp_path)

    whole = load(10**6, 10**6, 50)
    assert checked == [120]
    sliced = load(FIRST, SLICE, 50)
    assert checked == [7] + [16] * 7 + [1]
    assert sliced == whole
    issues, counts, stored = sliced
    assert issues == MAIN_ISSUES
    assert counts == (120 - len(REFUSED), len(REFUSED), 3, 120 - len(REFUSED))
    assert [(rank, ref) for rank, ref, *_ in stored] == list(enumerate(
        f"SL-{i:04d}" for i in range(120) if i not in REFUSED))  # ids: the file's order, no gap
    small = load(FIRST, SLICE, 10**6)  # indexes kept: every slice checked first, then inserted in commune order
    assert small[:2] == sliced[:2]
    assert sorted(row[1:] for row in small[2]) == sorted(row[1:] for row in stored)


def test_a_load_that_fails_mid_copy_reports_every_rows_problems(
    communes: Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A load that fails while its COPY runs (here as the third slice is placed) never asked for the slices after
    it: they are checked for its report, which lists every row's problems but the location ones, as when every
    row was checked before the writes (the location issues of a failed load were never reported)."""
    from etl.facilities import columns, placement

    monkeypatch.setattr(columns, "FIRST_SLICE_ROWS", FIRST)
    monkeypatch.setattr(columns, "SLICE_ROWS", SLICE)
    monkeypatch.setattr("etl.facilities.writes.BULK_INSERT_REBUILDS_INDEXES_FROM", 50)
    placed: list[int] = []
    kept = placement._Placement.kept

    def failing(self: Any, indexes: Any) -> Any:
        placed.append(len(indexes))
        if len(placed) == 3:
            raise RuntimeError("no space left on device")
        return kept(self, indexes)

    monkeypatch.setattr(placement._Placement, "kept", failing)
    with pytest.raises(RuntimeError, match="no space left"):
        load_facilities(communes, _survey(tmp_path / "slices.csv"), report_dir=tmp_path / "reports",
                        today=date(2026, 11, 27), loaded_by="tester")
    (report,) = (tmp_path / "reports").glob("*.rejects.csv")
    with report.open(encoding="utf-8-sig", newline="") as handle:
        reported = [(int(row), field, value, code) for row, field, value, _, _, _, code in list(csv.reader(handle))[1:]]
    location = {"point_in_no_commune", "swap_confirmed", "swap_elsewhere", "commune_not_at_point"}
    assert sorted(reported) == sorted(issue[:4] for issue in MAIN_ISSUES if issue[3] not in location)
    assert max(row for row, *_ in reported) == 121  # the last row's slice, which the COPY never asked for
