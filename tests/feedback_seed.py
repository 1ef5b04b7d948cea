"""A tiny two-province world for the feedback and report tests: squares of 0.1° as communes, a few facilities
and users. Codes 91/92 are not real provinces, so the demo data a session may hold never mixes in."""

from __future__ import annotations

from sqlalchemy import Connection, text

# commune code -> (province, name, lon0, lat0); each commune is the 0.1° square from (lon0, lat0).
COMMUNES = {
    "91001": ("91", "Mường Nhé", 103.0, 22.0),
    "91002": ("91", "Sín Thầu", 103.1, 22.0),
    "91003": ("91", "Nà Hỳ", 103.2, 22.0),
    "92001": ("92", "Tủa Chùa", 104.0, 21.0),
}
PROVINCES = {"91": "Tỉnh Thử Nghiệm Một", "92": "Tỉnh Thử Nghiệm Hai"}
USERS = {
    "admin1": ("admin", []), "planner91": ("planner", ["91"]), "insp91001": ("inspector", ["91001"]),
    "insp92": ("inspector", ["92"]), "budget1": ("budget", []),
}


def square(lon0: float, lat0: float, size: float = 0.1) -> str:
    x1, y1 = lon0 + size, lat0 + size
    return f"MULTIPOLYGON((({lon0} {lat0},{x1} {lat0},{x1} {y1},{lon0} {y1},{lon0} {lat0})))"


def centre(code: str) -> tuple[float, float]:
    _, _, lon0, lat0 = COMMUNES[code]
    return lon0 + 0.05, lat0 + 0.05


def seed_world(conn: Connection) -> dict[str, int]:
    """Insert provinces, communes, users and one facility per commune; return facility ids by commune."""
    for code, name in PROVINCES.items():
        lons = [c[2] for c in COMMUNES.values() if c[0] == code]
        lats = [c[3] for c in COMMUNES.values() if c[0] == code]
        conn.execute(text(
            "INSERT INTO admin_unit (version, level, code, name, name_folded, province_code, geom, area_km2) "
            "VALUES ('2025', 'province', :code, :name, lower(:name), :code, ST_GeomFromText(:wkt, 4326), 1)"),
            {"code": code, "name": name, "wkt": square(min(lons), min(lats), 0.1 * len(lons))})
    for code, (province, name, lon0, lat0) in COMMUNES.items():
        conn.execute(text(
            "INSERT INTO admin_unit (version, level, code, name, name_folded, unit_type, parent_code, province_code,"
            " geom, area_km2, population) VALUES ('2025', 'commune', :code, :name, lower(:name), 'Xã', :p, :p,"
            " ST_GeomFromText(:wkt, 4326), 110, 5000)"),
            {"code": code, "name": name, "p": province, "wkt": square(lon0, lat0)})
    for name, (role, scope) in USERS.items():
        conn.execute(text("INSERT INTO app_user (name, password_hash, role, scope_codes) VALUES (:n, 'x', :r, :s)"),
                     {"n": name, "r": role, "s": scope})
    ids: dict[str, int] = {}
    for code in COMMUNES:
        lon, lat = centre(code)
        ids[code] = int(conn.execute(text(
            "INSERT INTO facility (external_id, type, technology, name, commune_code, geom, status) "
            "VALUES (:ext, 'loudspeaker_cluster', 'fm_wireless', :name, :code, "
            "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), 'operational') RETURNING id"),
            {"ext": f"T-{code}", "name": f"Cụm loa {code}", "code": code, "lon": lon, "lat": lat}).scalar_one())
    return ids
