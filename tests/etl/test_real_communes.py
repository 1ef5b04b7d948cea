"""Against the real 2025 communes of Điện Biên (full resolution): a workbook as sent."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from etl.boundaries import load_boundaries
from etl.facilities import load_facilities
from tests.etl.conftest import VN_HEADERS, vn_row, write_workbook

pytestmark = pytest.mark.db


def test_a_dien_bien_workbook_against_the_real_communes(db_conn: Connection, shared_data: Path,
                                                        tmp_path: Path) -> None:
    load_boundaries(db_conn, shared_data / "admin_2025" / "communes_2025_11_dien_bien_fullres.geojson",
                    version="2025")
    rows = [vn_row(1, "DB-0001", "Đài truyền thanh - truyền hình huyện", (103.05782, 21.41559),
                   commune="Phường Điện Biên Phủ"),
            vn_row(2, "DB-0002", "Cụm loa", ("22.21683", "102.42024"), commune="Xã Mường Nhé"),   # swapped
            vn_row(3, "DB-0003", "Điểm BĐ-VHX", ("102,51631", "22,06116"), commune="Mường Toong"),  # other
            vn_row(4, "DB-0004", "Cụm loa", (105.85, 21.03), commune="Hà Nội")]                  # not loaded
    path = write_workbook(tmp_path / "Danh_sach_thiet_che_Dien_Bien.xlsx", VN_HEADERS, rows)
    result = load_facilities(db_conn, path, today=date(2026, 11, 26))
    assert (result.loaded, result.warned, result.rejected) == (3, 2, 1), result.messages()
    stored = db_conn.execute(text("SELECT external_id, type, commune_code FROM facility ORDER BY 1")).all()
    assert [tuple(r) for r in stored] == [("DB-0001", "district_radio_tv", "03127"),
                                          ("DB-0002", "loudspeaker_cluster", "03160"),
                                          ("DB-0003", "post_culture_point", "03162")]
    warning = next(m for m in result.messages("warning") if "row 6" in m)
    assert "'Mường Toong'" in warning and "Nậm Kè" in warning
    assert "inside no loaded commune" in result.messages("reject")[0]
