"""Agreement with an independent exact computation on real boundaries: Điện Biên full-res (45 communes).

The reference is PostGIS: ST_Union of geodesic buffers (ST_Buffer on geography) of each commune's working
clusters, intersected with the commune, area on the spheroid. It shares no code with analysis/.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely
from sqlalchemy import Connection, text

from analysis.store import analyse
from etl.boundaries import load_boundaries

pytestmark = pytest.mark.db

REFERENCE = text("""
    WITH discs AS (
        SELECT f.commune_code,
               ST_Buffer(f.geom::geography,
                         f.radius_m * CASE f.status WHEN 'operational' THEN 1.0 ELSE 0.5 END)::geometry AS g
          FROM facility f
         WHERE f.type = 'loudspeaker_cluster' AND f.status IN ('operational', 'degraded')
    )
    SELECT c.code, ST_Area(ST_Intersection(ST_Union(d.g), c.geom)::geography) / 1e6 AS km2
      FROM discs d JOIN commune c ON c.code = d.commune_code
     GROUP BY c.code, c.geom
""")


def test_dien_bien_covered_area_agrees_with_postgis_within_one_percent(
    db_conn: Connection, shared_data: Path
) -> None:
    conn = db_conn
    load_boundaries(
        conn, shared_data / "admin_2025" / "communes_2025_11_dien_bien_fullres.geojson", version="2025"
    )
    communes = conn.execute(
        text("SELECT code, ST_AsBinary(geom) AS g FROM commune WHERE province_code = '11'")
    ).all()
    assert len(communes) == 45
    _place_clusters(conn, per_commune=25, seed=11)
    analyse(conn, province_code="11")
    ours = dict(conn.execute(text("SELECT commune_code, covered_area_km2 FROM coverage_commune")).all())
    reference = dict(conn.execute(REFERENCE).all())
    assert set(reference) <= set(ours)
    codes = sorted(reference)
    a = np.array([ours[c] for c in codes])
    b = np.array([reference[c] for c in codes])
    print(
        f"Điện Biên covered area vs PostGIS: total {a.sum() / b.sum() - 1:+.3%}, "
        f"worst commune {np.max(np.abs(a / b - 1)):.3%} ({len(codes)} communes)"
    )
    assert abs(a.sum() / b.sum() - 1) < 0.01
    assert np.all(np.abs(a / b - 1) < 0.01), dict(zip(codes, a / b, strict=True))


def test_dien_bien_people_reached_agree_with_exactextract(
    db_conn: Connection, shared_data: Path, tmp_path: Path
) -> None:
    """People by cell centres vs exact cell fractions (exactextract) over the PostGIS coverage polygons."""
    import geopandas as gpd
    from exactextract import exact_extract

    from analysis.population_raster import build_and_record_population_raster

    conn = db_conn
    load_boundaries(
        conn, shared_data / "admin_2025" / "communes_2025_11_dien_bien_fullres.geojson", version="2025"
    )
    # Synthetic populations (this test has no census): 40-80 people per km².
    conn.execute(
        text(
            "UPDATE admin_unit SET population = area_km2 * (40 + (code::int % 41)) "
            "WHERE version = '2025' AND province_code = '11'"
        )
    )
    raster = tmp_path / "dien_bien_100m.tif"
    build_and_record_population_raster(conn, raster, province_code="11")
    _place_clusters(conn, per_commune=40, seed=7)
    analyse(conn, province_code="11")
    ours = dict(conn.execute(text("SELECT commune_code, pop_covered FROM coverage_commune")).all())
    rows = conn.execute(
        text(
            REFERENCE.text.replace("ST_Area(", "ST_AsBinary(").replace("::geography) / 1e6 AS km2", ") AS g")
        )
    ).all()
    polygons = gpd.GeoDataFrame(
        {"code": [r[0] for r in rows]}, geometry=shapely.from_wkb([bytes(r[1]) for r in rows]), crs=4326
    )
    exact = exact_extract(str(raster), polygons.to_crs(32648), "sum", include_cols=["code"], output="pandas")
    reference = dict(zip(exact["code"], exact["sum"], strict=True))
    codes = sorted(reference)
    a = np.array([ours[c] for c in codes])
    b = np.array([reference[c] for c in codes])
    print(
        f"Điện Biên people vs exactextract: total {a.sum() / b.sum() - 1:+.3%}, "
        f"median commune {np.median(np.abs(a / b - 1)):.3%}, worst {np.max(np.abs(a / b - 1)):.3%}"
    )
    assert abs(a.sum() / b.sum() - 1) < 0.01
    assert np.median(np.abs(a / b - 1)) < 0.02


def _place_clusters(conn: Connection, *, per_commune: int, seed: int) -> None:
    communes = conn.execute(
        text("SELECT code, ST_AsBinary(geom) AS g FROM commune WHERE province_code = '11'")
    ).all()
    rng = np.random.default_rng(seed)
    rows = []
    for code, wkb in communes:
        geom = shapely.from_wkb(bytes(wkb))
        minx, miny, maxx, maxy = geom.bounds
        x, y = rng.uniform(minx, maxx, 20 * per_commune), rng.uniform(miny, maxy, 20 * per_commune)
        ok = shapely.contains_xy(geom, x, y)
        for xi, yi in list(zip(x[ok], y[ok], strict=True))[:per_commune]:
            status = rng.choice(["operational", "operational", "degraded", "broken"])
            rows.append(
                {
                    "c": code,
                    "x": float(xi),
                    "y": float(yi),
                    "s": str(status),
                    "r": float(rng.uniform(150, 600)),
                }
            )
    conn.execute(
        text(
            "INSERT INTO facility (type, commune_code, geom, status, radius_m) VALUES "
            "('loudspeaker_cluster', :c, ST_SetSRID(ST_MakePoint(:x, :y), 4326), :s, :r)"
        ),
        rows,
    )
