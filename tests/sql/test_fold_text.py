"""fold_text() in SQL (migration 0095) folds as etl/names.py fold_text does: a search typed without diacritics
on a phone finds facility names stored with them."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, text

from etl.names import fold_text

pytestmark = pytest.mark.db

NAMES = ["Đài truyền thanh xã Mường Nhé", "Cụm loa Bản Tà Lèng 26 1", "NHÀ VĂN HÓA  Tổ dân phố Nậm Ngà",
         "Ưu tiên_Quảng—Lâm", "DB-03160-DAI", "Thư viện   Điện Biên Phủ", "ỹ ỵ ữ ợ ẩ"]


@pytest.mark.parametrize("name", NAMES)
def test_sql_fold_text_matches_the_python_fold(db_conn: Connection, name: str) -> None:
    folded = db_conn.execute(text("SELECT fold_text(:name)"), {"name": name}).scalar_one()
    assert folded == fold_text(name)
    assert folded.isascii() or "—" in name  # every Vietnamese letter loses its marks


def test_fold_text_is_immutable_for_indexes(db_conn: Connection) -> None:
    volatility = db_conn.execute(text("SELECT provolatile FROM pg_proc WHERE proname = 'fold_text'")).scalar_one()
    assert volatility == "i"
