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
    rng = np.random.default_rng(11)
    rows = []
    for code, wkb in communes:
        geom = shapely.from_wkb(bytes(wkb))
        minx, miny, maxx, maxy = geom.bounds
        x, y = rng.uniform(minx, maxx, 400), rng.uniform(miny, maxy, 400)
        ok = shapely.contains_xy(geom, x, y)
        for xi, yi in list(zip(x[ok], y[ok], strict=True))[:25]:
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
    analyse(conn, province_code="11")
    ours = dict(conn.execute(text("SELECT commune_code, covered_area_km2 FROM coverage_commune")).all())
    reference = dict(conn.execute(REFERENCE).all())
    assert set(reference) <= set(ours)
    codes = sorted(reference)
    a = np.array([ours[c] for c in codes])
    b = np.array([reference[c] for c in codes])
    assert abs(a.sum() / b.sum() - 1) < 0.01
    assert np.all(np.abs(a / b - 1) < 0.01), dict(zip(codes, a / b, strict=True))
