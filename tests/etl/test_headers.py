"""Headers as people write them: whole names, Kobo/ODK group paths, and longer labels that start with a name."""

from __future__ import annotations

import pytest

from etl.validate import map_columns
from etl.vocabulary import load_vocabulary


def _fields(headers: list[str]) -> dict[str, str]:
    return {field: header for field, (_, header) in map_columns(headers, load_vocabulary()).fields.items()}


@pytest.mark.parametrize("header,field", [
    ("Tình trạng kiểm tra", "status"),          # a Kobo label export: the question's label, not its name
    ("Số loa (cái)", "n_horns"),
    ("Công suất (W/loa)", "watts"),             # "/" inside a label is not a Kobo group
    ("Tên xã/phường", "commune"),
    ("Vị trí GPS của cụm loa", "geopoint"),
    ("Năm lắp đặt thiết bị", "installed_year"),
    ("thong_tin/ma_thiet_che", "external_id"),  # Kobo group path
    ("grp.info/tinh_trang", "status"),
    ("grp_loc-location-Latitude", "lat"),       # ODK group path and geopoint part
])
def test_a_header_names_its_field(header: str, field: str) -> None:
    assert _fields([header]) == {field: header}


def test_a_column_named_exactly_keeps_its_field_from_a_longer_label() -> None:
    assert _fields(["Tình trạng kiểm tra", "Tình trạng"]) == {"status": "Tình trạng"}


def test_one_word_is_not_enough_to_match_a_label_by_its_start() -> None:
    assert _fields(["Loại bỏ", "Ghi chép"]) == {}  # "loai" (type) and "ghi" start them, but only as one word
