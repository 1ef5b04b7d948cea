"""Facilities and villages for the app's tests when the demo has none yet (before the ETL's loaders feed the demo).

Deterministic: in Mường Nhé (03160) and Nậm Kè (03162), the inspector's scope, and Điện Biên Phủ (03127) outside
it: one radio station and three loudspeaker clusters each, one of them broken, plus the synthetic villages.
"""

from __future__ import annotations

import json

from sqlalchemy import Connection, text

from sql.settings import PROJECT_ROOT

COMMUNES = ("03160", "03162", "03127")
VILLAGES = PROJECT_ROOT / "gis_data" / "dien_bien" / "thon_ban_synthetic.geojson"


def seed_facilities_and_villages(conn: Connection) -> None:
    """Insert the test facilities and villages unless facilities exist already."""
    if conn.execute(text("SELECT count(*) FROM facility")).scalar():
        return
    features = json.loads(VILLAGES.read_text(encoding="utf-8"))["features"]
    for feature in features:
        code = feature["properties"]["Mã thôn"].split("-")[0]
        if code not in COMMUNES:
            continue
        lon, lat = feature["geometry"]["coordinates"]
        conn.execute(text(
            "INSERT INTO village (external_id, commune_code, name, name_folded, kind, geom, population, households, "
            "synthetic) VALUES (:eid, :code, :name, lower(:name), 'ban', ST_SetSRID(ST_MakePoint(:lon, :lat), 4326),"
            " :pop, :hh, true)"),
            {"eid": feature["properties"]["Mã thôn"], "code": code, "name": feature["properties"]["Tên thôn/bản"],
             "lon": lon, "lat": lat, "pop": feature["properties"]["Dân số"], "hh": feature["properties"]["Số hộ"]})
    for code in COMMUNES:
        # The station at a point inside the commune; clusters at the commune's first three villages.
        conn.execute(text(
            "INSERT INTO facility (external_id, type, technology, name, commune_code, geom, status, synthetic) "
            "SELECT :eid, 'commune_radio_station', 'wired', 'Đài truyền thanh xã ' || c.name, c.code, "
            "ST_PointOnSurface(c.geom), 'operational', true FROM commune c WHERE c.code = :code"),
            {"eid": f"T-{code}-DAI", "code": code})
        conn.execute(text(
            "INSERT INTO facility (external_id, type, technology, name, commune_code, geom, status, n_horns, watts, "
            "radius_m, synthetic) "
            "SELECT 'T-' || v.external_id, 'loudspeaker_cluster', 'fm_wireless', 'Cụm loa ' || v.name, "
            "v.commune_code, ST_Translate(v.geom, 0.0005, 0.0005), "
            "CASE WHEN row_number() OVER (ORDER BY v.external_id) = 1 THEN 'broken' ELSE 'operational' END, "
            "2, 60, 600, true FROM (SELECT * FROM village WHERE commune_code = :code ORDER BY external_id LIMIT 3) v"),
            {"code": code})
