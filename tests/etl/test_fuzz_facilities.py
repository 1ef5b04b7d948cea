"""Hypothesis fuzzes a whole facility load: any table of survey cells is checked without a traceback, and every
row read is accounted for (loaded, rejected with a reason or skipped with a warning)."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection

from etl.errors import LoadRefusedError
from etl.facilities import BULK_INSERT_REBUILDS_INDEXES_FROM, preview_facilities
from tests.etl.conftest import IN_MUONG_PHANG, IN_THANH_NUA

pytestmark = pytest.mark.db

HEADERS = ["Mã thiết chế", "Loại thiết chế", "Xã/Phường", "Kinh độ", "Vĩ độ", "Tình trạng", "Năm đưa vào sử dụng",
           "Số loa", "Công suất (W)", "Thôn/Bản"]
JUNK = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"], exclude_characters="\x00"),
               max_size=12)
# What survey cells hold: right values, near misses (units, commas, DMS, swaps, blanks) and junk.
CELLS = {
    "Mã thiết chế": st.sampled_from(["A1", "A2", "A3", "", " A1 ", "Tổng cộng"]) | JUNK,
    "Loại thiết chế": st.sampled_from(["Cụm loa truyền thanh", "Nhà văn hóa", "cum loa", "", "Loa kéo"]) | JUNK,
    "Xã/Phường": st.sampled_from(["Xã Mường Phăng", "Thanh Nưa", "", "Hà Nội"]) | JUNK,
    "Kinh độ": st.sampled_from([str(IN_MUONG_PHANG[0]), str(IN_THANH_NUA[0]), "103,05", "103°03'00\"E", "21.45",
                                "", "nan", "inf", "1e400", "105.85", "abc", "  103.05  "]) | JUNK,
    "Vĩ độ": st.sampled_from([str(IN_MUONG_PHANG[1]), str(IN_THANH_NUA[1]), "21,45", "21°27'N", "103.05", "",
                              "nan", "-91", "2345678.9"]) | JUNK,
    "Tình trạng": st.sampled_from(["Hoạt động", "hong", "Hư hỏng", "", "nghe không rõ"]) | JUNK,
    "Năm đưa vào sử dụng": st.sampled_from(["2019", "năm 2019", "1900", "2999", "2019.0", ""]) | JUNK,
    "Số loa": st.sampled_from(["2", "2 loa", "-1", "2.5", "", "10000000"]) | JUNK,
    "Công suất (W)": st.sampled_from(["30", "30W", "25,5 W", "-3", "", "1e9"]) | JUNK,
    "Thôn/Bản": st.sampled_from(["Bản 1", "", "Thôn Tân Lập"]) | JUNK,
}
ROWS = st.lists(st.fixed_dictionaries({h: CELLS[h] for h in HEADERS}), min_size=1, max_size=8)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=ROWS)
def test_any_survey_table_is_checked_and_every_row_accounted_for(communes: Connection, tmp_path: Path,
                                                                  rows: list[dict[str, str]]) -> None:
    path = tmp_path / "fuzz.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        writer.writerows([[row[h] for h in HEADERS] for row in rows])
    try:
        result = preview_facilities(communes, path, report_dir=tmp_path, today=date(2026, 11, 27))
    except LoadRefusedError as exc:  # the whole file refused: one sentence naming the file
        assert str(path) in str(exc) and "\n" not in str(exc)
        return
    rejected = {i.row for i in result.issues if i.severity == "reject"}
    assert result.loaded + len(rejected) + result.skipped == result.rows, result.messages()
    assert len(result.accepted) == result.loaded
    assert all(i.reason for i in result.issues)
    assert {i.row for i in result.issues} <= set(range(2, 2 + len(rows)))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=ROWS, spots=st.lists(st.integers(0, BULK_INSERT_REBUILDS_INDEXES_FROM), min_size=8, max_size=8))
def test_the_same_among_a_bulk_insert(communes: Connection, tmp_path: Path, rows: list[dict[str, str]],
                                      spots: list[int]) -> None:
    """The fuzzed rows scattered among 10,000 good ones: the bulk path (indexes rebuilt, rows placed chunk by
    chunk as they are sent) accounts for every row too."""
    good = [[f"V{i:05d}", "Cụm loa truyền thanh", "", f"{103.001 + (i % 190) * 0.0005:.4f}",
             f"{21.401 + (i // 190) * 0.0005:.4f}", "Hoạt động", "2019", "2", "30", ""]
            for i in range(BULK_INSERT_REBUILDS_INDEXES_FROM)]
    for row, spot in zip(rows, spots, strict=False):
        good.insert(spot, [row[h] for h in HEADERS])
    path = tmp_path / "bulk.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        writer.writerows(good)
    try:
        result = preview_facilities(communes, path, report_dir=tmp_path, today=date(2026, 11, 27))
    except LoadRefusedError as exc:
        assert str(path) in str(exc) and "\n" not in str(exc)
        return
    rejected = {i.row for i in result.issues if i.severity == "reject"}
    assert result.loaded + len(rejected) + result.skipped == result.rows, result.messages()
    assert result.loaded >= BULK_INSERT_REBUILDS_INDEXES_FROM - len(rows)  # a fuzzed id may repeat a good one
