"""The bundled demo survey (gis_data/dien_bien) loads as a user's file would: every deliberately bad row is
rejected or warned with the reason the issue asks for, and nothing else of the workbook is lost."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Connection, text

from etl.boundaries import load_boundaries
from etl.facilities import load_facilities
from sql.settings import PROJECT_ROOT

pytestmark = pytest.mark.db

DEMO = PROJECT_ROOT / "gis_data" / "dien_bien"
WORKBOOK = DEMO / "khao_sat_thiet_che_2026_synthetic.xlsx"


def _row_of(external_id: str) -> int:
    sheet = load_workbook(WORKBOOK, read_only=True)["Thiết chế"]
    rows = [r for r in sheet.iter_rows(values_only=True)]
    return [i + 1 for i, r in enumerate(rows) if len(r) > 1 and r[1] == external_id][-1]


def test_demo_workbook_bad_rows_get_their_reasons(db_conn: Connection, tmp_path: Path) -> None:
    load_boundaries(db_conn, DEMO / "communes_2025.geojson", version="2025", level="commune")
    result = load_facilities(db_conn, WORKBOOK, report_dir=tmp_path)
    rejects = {i.row: i for i in result.issues if i.severity == "reject"}
    warnings = {i.row: i for i in result.issues if i.severity == "warning"}
    expected = {
        "DB-BAD-01": "missing coordinates",
        "DB-BAD-02": "not a known",          # "Loa kéo di động" is no facility type of ours
        "DB-BAD-03": "in the future",
        "DB-BAD-05": "not a known status",
    }
    for external_id, words in expected.items():
        issue = rejects.get(_row_of(external_id))
        assert issue is not None, f"{external_id} was not rejected"
        assert words in issue.reason, (external_id, issue.reason)
    assert "Viet Nam" in rejects[_row_of("DB-BAD-04")].reason or "Việt Nam" in rejects[_row_of("DB-BAD-04")].reason
    assert "swapped" in warnings[_row_of("DB-SWAP-06")].reason
    stored = db_conn.execute(text("SELECT count(*) FROM facility")).scalar_one()
    assert stored + len(rejects) == result.rows  # every row is stored or rejected with a reason: none lost
    assert db_conn.execute(text("SELECT count(*) FROM facility WHERE external_id LIKE 'DB-BAD-%'")).scalar_one() == 0


def test_a_derived_raster_keeps_its_label(db_conn: Connection) -> None:
    from etl.population import load_population_raster

    load_boundaries(db_conn, DEMO / "communes_2025.geojson", version="2025", level="commune")
    load_population_raster(db_conn, DEMO / "population_100m_derived.tif")
    derived, description = db_conn.execute(text(
        "SELECT derived, description FROM population_raster WHERE active")).one()
    assert derived and "derived by phusong" in description
