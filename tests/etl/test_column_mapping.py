"""Issue 21, uploads: the column choice of the upload page (etl/column_mapping.py) and the encodings the page
offers, on real files read by the real readers into the test database."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from etl.column_mapping import file_columns, mapping_from_choices
from etl.errors import LoadRefusedError
from etl.facilities import load_facilities
from etl.villages import load_villages
from tests.etl.test_formats import _cp1258

pytestmark = pytest.mark.db
TODAY = date(2026, 11, 26)

# A district's own sheet: no header the vocabulary knows for the type, the code or the status.
ODD_HEADERS = "Số hiệu,Phân nhóm CS,Địa danh,Xã,Kinh độ,Vĩ độ,Đánh giá\n"
ODD_ROWS = ("DB-01,Nhà văn hóa,Nhà văn hóa bản Co Củ,Xã Mường Phăng,103.05,21.45,Hoạt động\n"
            "DB-02,Cụm loa truyền thanh,Cụm loa Thanh Nưa,Xã Thanh Nưa,103.05,21.35,Hỏng\n")


def test_a_file_with_odd_headers_is_refused_then_loads_with_the_chosen_columns(communes: Connection,
                                                                               tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text(ODD_HEADERS + ODD_ROWS, encoding="utf-8")
    columns = file_columns(path, "facilities")
    assert columns.missing("facilities") == ["type"]
    assert columns.recognised["commune"] == "Xã" and columns.recognised["lon"] == "Kinh độ"
    with pytest.raises(LoadRefusedError) as refused:
        load_facilities(communes, path, today=TODAY)
    assert refused.value.code == "facility_type_column_missing"

    choices = {**columns.recognised, "type": "Phân nhóm CS", "external_id": "Số hiệu", "name": "Địa danh",
               "status": "Đánh giá"}
    mapping = mapping_from_choices(choices, columns)
    assert mapping == {"columns": {"Phân nhóm CS": "type", "Số hiệu": "external_id", "Địa danh": "name",
                                   "Đánh giá": "status"}}
    result = load_facilities(communes, path, mapping=mapping, today=TODAY)
    assert result.loaded == 2 and result.rejected == 0, result.messages()
    stored = communes.execute(text("SELECT external_id, type, name, status, commune_code FROM facility "
                                   "ORDER BY external_id")).all()
    assert [tuple(r) for r in stored] == [
        ("DB-01", "cultural_house", "Nhà văn hóa bản Co Củ", "operational", "03199"),
        ("DB-02", "loudspeaker_cluster", "Cụm loa Thanh Nưa", "broken", "03202")]
    params = communes.execute(text("SELECT params FROM load_batch WHERE id = :b"), {"b": result.batch_id}).scalar_one()
    assert params["mapping"]["columns"]["Phân nhóm CS"] == "type"  # the lineage says how the file was read
    again = load_facilities(communes, path, mapping=mapping, today=TODAY)
    assert again.already_loaded == result.batch_id  # the same choice again: the same load


def test_a_chosen_column_wins_over_a_recognised_one_and_a_dropped_one_is_not_read(communes: Connection,
                                                                                 tmp_path: Path) -> None:
    """"Loại" is recognised as the type, but the user points the type at "Loại chuẩn hoá" and drops the note."""
    path = tmp_path / "two.csv"
    path.write_text("Mã,Loại,Loại chuẩn hoá,Xã,Kinh độ,Vĩ độ,Ghi chú\n"
                    "T1,Thiết chế khác,Thư viện,Xã Mường Phăng,103.05,21.45,ghi chú cũ\n", encoding="utf-8")
    columns = file_columns(path, "facilities")
    assert columns.recognised["type"] == "Loại" and columns.recognised["note"] == "Ghi chú"
    mapping = mapping_from_choices({**columns.recognised, "type": "Loại chuẩn hoá", "note": None}, columns)
    assert mapping == {"columns": {"Loại chuẩn hoá": "type", "Loại": None, "Ghi chú": None}}
    result = load_facilities(communes, path, mapping=mapping, today=TODAY)
    assert result.loaded == 1, result.messages()
    assert tuple(communes.execute(text("SELECT type, note FROM facility")).one()) == ("library", None)


def test_unchanged_choices_give_no_mapping(tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    path.write_text("Mã,Loại thiết chế,Xã,Kinh độ,Vĩ độ\nA,Thư viện,Xã Mường Phăng,103.05,21.45\n", encoding="utf-8")
    columns = file_columns(path, "facilities")
    assert mapping_from_choices(dict(columns.recognised), columns) is None
    assert mapping_from_choices({"type": "not a header of the file"}, columns) is None


@pytest.mark.parametrize("encoding", ["utf-16", "cp1258"])
def test_odd_headers_in_a_legacy_encoding_load_with_that_encoding_and_the_mapping(
        communes: Connection, tmp_path: Path, encoding: str) -> None:
    path = tmp_path / f"odd-{encoding}.csv"
    content = ODD_HEADERS + ODD_ROWS
    path.write_bytes(_cp1258(content) if encoding == "cp1258" else content.encode("utf-16"))
    if encoding == "cp1258":  # not UTF-8 and no BOM: refused as it is, read once the encoding is chosen
        with pytest.raises(LoadRefusedError) as refused:
            file_columns(path, "facilities")
        assert refused.value.code == "not_utf8"
    columns = file_columns(path, "facilities", encoding=encoding)
    assert "Phân nhóm CS" in columns.headers and "Đánh giá" in columns.headers  # composed (NFC) again
    mapping = mapping_from_choices({**columns.recognised, "type": "Phân nhóm CS", "external_id": "Số hiệu",
                                    "name": "Địa danh", "status": "Đánh giá"}, columns)
    result = load_facilities(communes, path, mapping=mapping, encoding=encoding, today=TODAY)
    assert result.loaded == 2 and result.rejected == 0, result.messages()
    names = communes.execute(text("SELECT name FROM facility ORDER BY external_id")).scalars().all()
    assert names == ["Nhà văn hóa bản Co Củ", "Cụm loa Thanh Nưa"]


def test_villages_take_the_same_choice(communes: Connection, tmp_path: Path) -> None:
    path = tmp_path / "thon.csv"
    path.write_text("Tên gọi,Xã,Kinh độ,Vĩ độ,Nhân khẩu 2025\nBản Co Củ,Xã Mường Phăng,103.05,21.45,312\n",
                    encoding="utf-8")
    columns = file_columns(path, "villages")
    mapping = mapping_from_choices({**columns.recognised, "name": "Tên gọi", "population": "Nhân khẩu 2025"},
                                   columns)
    assert mapping is not None
    result = load_villages(communes, path, mapping=mapping)
    assert result.loaded == 1, result.messages()
    stored = communes.execute(text("SELECT name, population FROM village")).one()
    assert tuple(stored) == ("Bản Co Củ", 312)
