"""Real boundaries of both eras and the census apportionment, loaded twice, against the counts in the issue."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from etl.boundaries import load_boundaries
from etl.census import load_census_population
from etl.crosscheck import crosscheck_crosswalk

pytestmark = pytest.mark.db


def _count(conn: Connection, version: str, level: str) -> int:
    return int(conn.execute(text("SELECT count(*) FROM admin_unit WHERE version = :v AND level = :l"),
                            {"v": version, "l": level}).scalar_one())


def _load_all(conn: Connection, shared: Path) -> None:
    load_boundaries(conn, shared / "admin_2025/provinces_2025.gpkg", version="2025")
    load_boundaries(conn, shared / "admin_2025/communes_2025_national_simplified.gpkg", version="2025")
    for level in ("provinces", "districts", "communes"):
        load_boundaries(conn, shared / f"admin_2009/{level}_2009.gpkg", version="pre2025")


def test_national_boundaries_census_and_crosswalk(db_conn: Connection, shared_data: Path) -> None:
    _load_all(db_conn, shared_data)
    again = load_boundaries(db_conn, shared_data / "admin_2025/communes_2025_national_simplified.gpkg",
                            version="2025")
    _load_all(db_conn, shared_data)  # a second full load adds nothing
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3321)
    assert _count(db_conn, "2025", "commune") == 3321
    assert _count(db_conn, "2025", "province") == 34
    assert _count(db_conn, "pre2025", "commune") == 11163
    assert _count(db_conn, "pre2025", "district") == 703
    assert _count(db_conn, "pre2025", "province") == 63
    orphans = db_conn.execute(text(
        "SELECT count(*) FROM commune c WHERE NOT EXISTS (SELECT 1 FROM admin_unit p WHERE p.version = '2025' "
        "AND p.level = 'province' AND p.code = c.province_code)")).scalar_one()
    assert orphans == 0  # every commune sits under one of the 34 provinces
    assert db_conn.execute(text("SELECT count(*) FROM admin_unit WHERE name_folded = 'muong nhe'")).scalar_one() >= 1

    census = load_census_population(
        db_conn, shared_data / "census_2019/commune_population_2019_census.csv",
        shared_data / "admin_2009/crosswalk_commune2009_to_gso2019.csv")
    assert census.census_population == pytest.approx(96_208_984)
    assert census.conservation_error < 0.005
    total = db_conn.execute(text("SELECT sum(population) FROM commune")).scalar_one()
    assert total == pytest.approx(census.matched_population, rel=0.005)
    shares = db_conn.execute(text(
        "SELECT min(s), max(s) FROM (SELECT sum(area_share) s FROM admin_crosswalk GROUP BY old_code) x")).one()
    assert shares[0] == pytest.approx(1.0) and shares[1] == pytest.approx(1.0)
    assert len(census.unmatched) == census.census_rows - census.census_rows_without_code - census.matched_rows

    check = crosscheck_crosswalk(db_conn)
    assert check.compared > 9000
    assert check.any_share > 0.97  # the spatial crosswalk agrees with the official merger lists
