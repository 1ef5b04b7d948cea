"""analyse -> coverage_commune/_village -> export gaps; the write path after an inspection, derived raster."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from openpyxl import load_workbook
from sqlalchemy import Connection, create_engine, text

from analysis.gaps import EXTRA_COLUMNS, GAP_COLUMNS, coverage_gaps, gaps_metadata, write_gaps
from analysis.outputs.catalogue import GAP_CATALOGUE
from analysis.population_raster import build_and_record_population_raster
from analysis.refresh import bring_current
from analysis.rules import rule_set_in_force, shipped_rule_sets
from analysis.store import analyse
from app.cli import main

pytestmark = pytest.mark.db

X0, Y0 = 420_000.0, 2_360_000.0


def _insert_commune(
    conn: Connection, code: str, geom_4326: shapely.Geometry, population: float | None, province: str = "99"
) -> None:
    conn.execute(
        text(
            "INSERT INTO admin_unit (version, level, code, name, name_folded, province_code, parent_code, "
            "geom, "
            "area_km2, population) VALUES ('2025', 'commune', :c, :n, :c, :pr, :pr, "
            "ST_Multi(ST_GeomFromText(:g, 4326)), ST_Area(ST_GeomFromText(:g, 4326)::geography) / 1e6, :p)"
        ),
        {"c": code, "n": f"Xã Thử {code}", "g": geom_4326.wkt, "p": population, "pr": province},
    )


def _to_4326(geom: shapely.Geometry) -> shapely.Geometry:
    return gpd.GeoSeries([geom], crs=32648).to_crs(4326).iloc[0]


def _insert_facility(
    conn: Connection,
    kind: str,
    code: str,
    x: float,
    y: float,
    status: str = "operational",
    village_id: int | None = None,
) -> int:
    p = _to_4326(shapely.Point(x, y))
    return int(
        conn.execute(
            text(
                "INSERT INTO facility (type, technology, commune_code, geom, status, n_horns, watts, "
                "village_id) "
                "VALUES (:t, 'ip', :c, ST_SetSRID(ST_MakePoint(:x, :y), 4326), :s, 2, 30, :v) RETURNING id"
            ),
            {"t": kind, "c": code, "x": p.x, "y": p.y, "s": status, "v": village_id},
        ).scalar_one()
    )


def _insert_village(conn: Connection, code: str, x: float, y: float) -> int:
    p = _to_4326(shapely.Point(x, y))
    return int(
        conn.execute(
            text(
                "INSERT INTO village (commune_code, name, geom) "
                "VALUES (:c, 'Thôn', ST_SetSRID(ST_MakePoint(:x, :y), 4326)) "
                "RETURNING id"
            ),
            {"c": code, "x": p.x, "y": p.y},
        ).scalar_one()
    )


@pytest.fixture()
def two_communes(db_conn: Connection) -> Connection:
    conn = db_conn
    conn.execute(
        text(
            "INSERT INTO admin_unit (version, level, code, name, name_folded, province_code, geom) VALUES "
            "('2025', 'province', '99', 'Tỉnh Thử', 'tinh thu', '99', ST_Multi(ST_GeomFromText(:g, 4326)))"
        ),
        {"g": _to_4326(shapely.box(X0, Y0, X0 + 4000, Y0 + 2000)).wkt},
    )
    _insert_commune(conn, "99001", _to_4326(shapely.box(X0, Y0, X0 + 2000, Y0 + 2000)), 4000)
    _insert_commune(conn, "99002", _to_4326(shapely.box(X0 + 2000, Y0, X0 + 4000, Y0 + 2000)), 1000)
    v1 = _insert_village(conn, "99001", X0 + 600, Y0 + 600)
    _insert_village(conn, "99001", X0 + 1500, Y0 + 1800)
    _insert_village(conn, "99002", X0 + 3000, Y0 + 1000)
    _insert_facility(conn, "commune_radio_station", "99001", X0 + 100, Y0 + 100)
    _insert_facility(conn, "loudspeaker_cluster", "99001", X0 + 500, Y0 + 500)
    _insert_facility(conn, "loudspeaker_cluster", "99001", X0 + 1900, Y0 + 1000)
    _insert_facility(conn, "loudspeaker_cluster", "99002", X0 + 3000, Y0 + 1000, status="degraded")
    _insert_facility(conn, "post_culture_point", "99001", X0 + 150, Y0 + 150)
    _insert_facility(conn, "cultural_house", "99001", X0 + 600, Y0 + 600, village_id=v1)
    return conn


def test_analyse_stores_coverage_with_parameters_and_exports_every_format(
    two_communes: Connection, tmp_path: Path
) -> None:
    conn = two_communes
    report = bring_current(conn)  # the loads marked both communes stale: nothing else to call
    assert report.communes == ("99001", "99002") and report.classes == {"unserved": 2}
    rows = {r.commune_code: r for r in conn.execute(text("SELECT * FROM coverage_commune ORDER BY 1"))}
    a, b = rows["99001"], rows["99002"]
    assert a.station_operational and not b.station_operational
    assert (a.villages_total, a.villages_reached, b.villages_total, b.villages_reached) == (2, 1, 1, 1)
    assert a.covered_area_km2 == pytest.approx(np.pi * 0.09 + 0.2002, rel=0.005)
    # No raster: census spread evenly, and the result says so.
    assert a.pop_covered == pytest.approx(4000 * a.covered_area_share)
    assert "spread evenly" in a.params["population_method"]
    # Judged under the rule set in force on the data date (today's facilities; issue 18), named and hashed.
    in_force = rule_set_in_force(shipped_rule_sets(), date.today())
    assert a.params["coverage"]["default_radius_m"] == 300.0 and a.rule_version == in_force.model.version
    assert (a.rules_name, a.rules_hash) == (in_force.name, in_force.sha256)
    assert (a._mapping["class"], b._mapping["class"]) == ("unserved", "unserved")
    assert a.reason.startswith("1/2 thôn chưa có loa; ") and b.reason.startswith("Không có đài")
    assert a.ntm_8_1 and a.ntm_6_3_share == 0.5 and not a.ntm_8_3
    assert a.geom is not None and conn.execute(text("SELECT count(*) FROM coverage_village")).scalar() == 3
    assert conn.execute(text("SELECT count(*) FROM coverage_stale")).scalar() == 0

    gaps = coverage_gaps(conn, province_code="99")
    meta = gaps_metadata(conn, gaps, province_code="99")
    columns = [*GAP_COLUMNS, *EXTRA_COLUMNS, "commune_group", "rules_provisional",
               *(f"verdict_{i.id}" for i in in_force.model.indicators)]
    xlsx = write_gaps(gaps, tmp_path / "gaps.xlsx", fmt="xlsx", metadata=meta)
    book = load_workbook(xlsx)
    sheet = book["Khoảng trống phủ sóng"]   # Vietnamese headers from the catalogue (issue 17)
    assert [c.value for c in sheet[1]][:4] == ["Mã xã", "Xã", "Mã tỉnh", "Tỉnh"]
    assert sheet.cell(2, 4).value == "Tỉnh Thử" and 0 <= sheet.cell(2, 7).value <= 1
    assert "Tham số" in book.sheetnames and any(
        "Bán kính phủ sóng" in str(r[0].value) for r in book["Tham số"].iter_rows()
    )
    path = write_gaps(gaps, tmp_path / "gaps.csv", fmt="csv", metadata=meta)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig") as handle:
        assert next(csv.reader(handle)) == columns
    gpkg = write_gaps(gaps, tmp_path / "gaps.gpkg", fmt="gpkg", metadata=meta)
    assert list(pyogrio.read_dataframe(gpkg, layer="coverage_gaps").columns)[:16] == list(GAP_COLUMNS)
    # the parameters, then the phusong version and when the file was made
    assert len(pyogrio.read_dataframe(gpkg, layer="metadata", read_geometry=False)) == len(meta) + 2
    doc = json.loads(write_gaps(gaps, tmp_path / "gaps.geojson", fmt="geojson", metadata=meta).read_text())
    assert list(doc["features"][0]["properties"])[:16] == list(GAP_COLUMNS) and "metadata" in doc


def test_a_commune_without_any_working_cluster_is_stored_unserved(two_communes: Connection) -> None:
    conn = two_communes
    _insert_commune(conn, "99003", _to_4326(shapely.box(X0 + 4000, Y0, X0 + 6000, Y0 + 2000)), 700)
    _insert_village(conn, "99003", X0 + 5000, Y0 + 1000)
    _insert_facility(conn, "loudspeaker_cluster", "99003", X0 + 5000, Y0 + 1000, status="broken")
    analyse(conn, province_code="99")
    row = conn.execute(text("SELECT * FROM coverage_commune WHERE commune_code = '99003'")).one()
    assert row.geom is None and row.covered_area_km2 == 0 and row.pop_covered == 0
    assert row._mapping["class"] == "unserved" and row.reason.startswith("Không có đài")


def test_an_inspection_recomputes_its_commune_alone_on_the_write_path(two_communes: Connection) -> None:
    conn = two_communes
    bring_current(conn)
    station = conn.execute(
        text(
            "SELECT id FROM facility WHERE commune_code = '99001' "
            "AND type = 'loudspeaker_cluster' ORDER BY id LIMIT 1"
        )
    ).scalar_one()
    before = conn.execute(
        text("SELECT covered_area_km2 FROM coverage_commune WHERE commune_code = '99001'")
    ).scalar_one()
    conn.execute(
        text(
            "INSERT INTO inspection (facility_id, inspector, inspected_at, status_found) "
            "VALUES (:f, 'kt', now(), 'broken')"
        ),
        {"f": station},
    )
    # How fast is bench.coverage's "one commune after one inspection" (timed asserts flake on shared machines);
    # here: only the inspected commune is recomputed, not its province.
    result = bring_current(conn)
    after = conn.execute(
        text("SELECT covered_area_km2 FROM coverage_commune WHERE commune_code = '99001'")
    ).scalar_one()
    assert result.communes == ("99001",) and after < before


def test_derived_population_raster_is_recorded_active_and_used(
    two_communes: Connection, tmp_path: Path
) -> None:
    conn = two_communes
    built = build_and_record_population_raster(conn, tmp_path / "pop.tif", province_code="99")
    assert built.total == pytest.approx(5000, rel=1e-4)
    row = conn.execute(text("SELECT derived, active, description FROM population_raster")).one()
    assert row.derived and row.active and "derived" in row.description
    analyse(conn)
    a = conn.execute(text("SELECT * FROM coverage_commune WHERE commune_code = '99001'")).one()
    assert a.params["population_method"].startswith("population raster")
    assert a.pop_total == pytest.approx(4000, rel=1e-4)
    assert 0 < a.pop_covered_share <= 1


def test_cli_analyse_rules_judges_under_the_named_set_through_the_refresh_path(
    use_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = create_engine(use_database)
    try:
        with engine.begin() as conn:
            _insert_commune(
                conn, "98001", _to_4326(shapely.box(X0, Y0 + 5000, X0 + 2000, Y0 + 7000)), None, province="98"
            )
            _insert_facility(conn, "commune_radio_station", "98001", X0 + 100, Y0 + 5100)
        in_force = rule_set_in_force(shipped_rule_sets(), date.today())  # the facility was written today
        other = next(name for name in shipped_rule_sets() if name != in_force.name)
        assert main(["analyse", "--province", "98", "--rules", other]) == 0
        assert f"NTM verdicts under {other}" in capsys.readouterr().out
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT rules_name, rules_hash FROM coverage_commune")).one()
            stale = conn.execute(text("SELECT count(*) FROM coverage_stale")).scalar_one()
        assert tuple(stored) == (other, shipped_rule_sets()[other].sha256) and stale == 0
        # An unknown set is refused before anything is marked stale; without --rules, the set in force.
        assert main(["analyse", "--province", "98", "--rules", "ntm_1999"]) == 1
        assert "no rule set called 'ntm_1999'" in capsys.readouterr().err
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM coverage_stale")).scalar_one() == 0
        assert main(["analyse", "--province", "98"]) == 0
        assert f"NTM verdicts under {in_force.name}" in capsys.readouterr().out
        with engine.connect() as conn:
            assert conn.execute(text("SELECT rules_name FROM coverage_commune")).scalar_one() == in_force.name
    finally:
        engine.dispose()


def test_cli_analyse_then_export_gaps_as_a_user_would(
    use_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The CLI opens its own transactions: the rows are committed in this test's own database (use_database).
    engine = create_engine(use_database)
    try:
        with engine.begin() as conn:
            _insert_commune(
                conn, "98001", _to_4326(shapely.box(X0, Y0 + 5000, X0 + 2000, Y0 + 7000)), None, province="98"
            )
            _insert_facility(conn, "commune_radio_station", "98001", X0 + 100, Y0 + 5100)
            _insert_facility(conn, "loudspeaker_cluster", "98001", X0 + 1000, Y0 + 6000)
        assert main(["analyse", "--province", "98"]) == 0
        out = tmp_path / "gaps.xlsx"
        assert main(["export", "gaps", "--format", "xlsx", "--out", str(out), "--province", "98"]) == 0
        sheet = load_workbook(out)["Khoảng trống phủ sóng"]
        keys = {c.vi: c.key for c in GAP_CATALOGUE.values()}   # the Vietnamese headers back to the column keys
        row = dict(zip([keys.get(c.value, c.value) for c in sheet[1]], [c.value for c in sheet[2]], strict=True))
        # No census loaded and no raster: the share of people is the share of area, and the export says so.
        assert row["pop_total"] is None and row["pop_covered_share"] == pytest.approx(
            row["covered_area_share"], abs=0.001
        )
        assert row["population_method"].startswith("no population known")
        assert row["class"] == "Chưa được phục vụ" and row["reason"].endswith("% dân số được phủ sóng")
        said = capsys.readouterr().out
        assert "analyse: 1 communes" in said and "population: no population known" in said
        # Nor can a population raster be derived from nothing: refused in one sentence, nothing written.
        raster = tmp_path / "pop.tif"
        assert main(["population", "build", "--out", str(raster), "--province", "98"]) == 1
        assert "no census population is loaded for the 1 communes of province 98" in capsys.readouterr().err
        assert not raster.exists()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM population_raster")).scalar_one() == 0
    finally:
        engine.dispose()
