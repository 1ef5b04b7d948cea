"""A tiny two-province world for the feedback and report tests: squares of 0.1° as communes, a few facilities
and users. Codes 91/92 are not real provinces, so the demo data a session may hold never mixes in."""

from __future__ import annotations

from sqlalchemy import Connection, text

from etl.names import fold_place_name

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
            " geom, area_km2, population) VALUES ('2025', 'commune', :code, :name, :folded, 'Xã', :p, :p,"
            " ST_GeomFromText(:wkt, 4326), 110, 5000)"),
            {"code": code, "name": name, "p": province, "wkt": square(lon0, lat0), "folded": fold_place_name(name)})
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


def set_coverage(conn: Connection, code: str, klass: str, *, pop_covered: float, ntm_8_3: bool,
                 villages: tuple[int, int] = (4, 4), clusters: tuple[int, int] = (1, 0)) -> None:
    """Write (or overwrite) a commune's coverage result as `phusong analyse` would."""
    conn.execute(text(
        "INSERT INTO coverage_commune (commune_code, area_km2, covered_area_km2, covered_area_share, pop_total,"
        " pop_covered, pop_covered_share, villages_total, villages_reached, clusters_working, clusters_broken,"
        " station_operational, ntm_8_3, class, reason, reason_en, rule_version, params)"
        " VALUES (:c, 110, 10, 0.09, 5000, :pc, :pc / 5000.0, :vt, :vr, :cw, :cb, :ntm, :ntm, :k, :reason,"
        " 'reason', 'QD51/2025', '{}')"
        " ON CONFLICT (commune_code) DO UPDATE SET pop_covered = EXCLUDED.pop_covered,"
        " pop_covered_share = EXCLUDED.pop_covered_share, villages_total = EXCLUDED.villages_total,"
        " villages_reached = EXCLUDED.villages_reached, clusters_working = EXCLUDED.clusters_working,"
        " clusters_broken = EXCLUDED.clusters_broken, station_operational = EXCLUDED.station_operational,"
        " ntm_8_3 = EXCLUDED.ntm_8_3, class = EXCLUDED.class, reason = EXCLUDED.reason"),
        {"c": code, "k": klass, "pc": pop_covered, "ntm": ntm_8_3, "vt": villages[0], "vr": villages[1],
         "cw": clusters[0], "cb": clusters[1], "reason": f"Lý do thử nghiệm: xã {klass}"})


def seed_two_quarters(conn: Connection) -> dict[str, int]:
    """Q2 and Q3 2026 of province 91 with snapshots; returns the facility ids. What changed between them:

    - 91002: unserved (0 people) -> served (4,500), passes 8.3; its cluster repaired (broken -> operational);
    - 91003: served (5,000) -> underserved (3,000), fails 8.3 now; a new IP cluster, planned;
    - 91001: underserved 2,000 -> 2,600, no 8.3 either time;
    - in Q3: 3 inspections of 2 facilities; 4 reports (2 answered on time, 1 late, 1 overdue at the end).
    """
    from datetime import datetime, timedelta, timezone

    from analysis.reports import take_snapshot

    tz = timezone(timedelta(hours=7))
    ids = seed_world(conn)
    conn.execute(text("UPDATE facility SET status = 'broken' WHERE id = :id"), {"id": ids["91002"]})
    set_coverage(conn, "91001", "underserved", pop_covered=2000, ntm_8_3=False, villages=(4, 2))
    set_coverage(conn, "91002", "unserved", pop_covered=0, ntm_8_3=False, villages=(3, 0), clusters=(0, 1))
    set_coverage(conn, "91003", "served", pop_covered=5000, ntm_8_3=True, villages=(5, 5))
    set_coverage(conn, "92001", "served", pop_covered=4000, ntm_8_3=True)
    take_snapshot(conn, "2026-Q2", taken_at=datetime(2026, 6, 30, 17, 0, tzinfo=tz))

    def inspect(fid: int, day: datetime, status: str) -> None:
        conn.execute(text("INSERT INTO inspection (facility_id, inspector, inspected_at, status_found) "
                          "VALUES (:f, 'insp91001', :t, :s)"), {"f": fid, "t": day, "s": status})

    inspect(ids["91002"], datetime(2026, 6, 20, 9, 0, tzinfo=tz), "broken")        # Q2: not counted in Q3
    inspect(ids["91002"], datetime(2026, 7, 15, 9, 0, tzinfo=tz), "operational")
    inspect(ids["91001"], datetime(2026, 8, 1, 9, 0, tzinfo=tz), "degraded")
    inspect(ids["91001"], datetime(2026, 9, 30, 23, 0, tzinfo=tz), "operational")
    inspect(ids["92001"], datetime(2026, 8, 1, 9, 0, tzinfo=tz), "operational")     # other province
    conn.execute(text(
        "INSERT INTO facility (type, technology, commune_code, geom, status) VALUES ('loudspeaker_cluster', 'ip',"
        " '91003', ST_SetSRID(ST_MakePoint(103.25, 22.05), 4326), 'planned')"))

    def report(code: str, got: datetime, answered: datetime | None, category: str = "inaudible") -> None:
        status = "answered" if answered else "received"
        conn.execute(text(
            "INSERT INTO feedback (received_at, channel, commune_code, category, text, status, answer, answered_at)"
            " VALUES (:g, 'hotline', :c, :cat, 'x', :s, :a, :t)"),
            {"g": got, "c": code, "cat": category, "s": status, "a": "ok" if answered else None, "t": answered})

    d = lambda m, day: datetime(2026, m, day, 10, 0, tzinfo=tz)  # noqa: E731
    report("91001", d(7, 1), d(7, 10))                          # on time
    report("91002", d(7, 20), d(8, 30), "loudspeaker_broken")    # late (41 days)
    report("91002", d(9, 1), d(9, 5), "content")                # on time
    report("91003", d(9, 2), None)                              # open, 29 days at the end: overdue
    report("91003", d(9, 25), None)                             # open, 6 days: not overdue
    report("91001", d(6, 1), d(7, 2))                           # Q2 report answered in Q3 (late)
    report("92001", d(8, 1), None)                              # other province
    report("91001", d(10, 2), d(10, 3))                         # Q4: not counted
    set_coverage(conn, "91001", "underserved", pop_covered=2600, ntm_8_3=False, villages=(4, 3))
    set_coverage(conn, "91002", "served", pop_covered=4500, ntm_8_3=True, villages=(3, 3))
    set_coverage(conn, "91003", "underserved", pop_covered=3000, ntm_8_3=False, villages=(5, 4))
    take_snapshot(conn, "2026-Q3", taken_at=datetime(2026, 9, 30, 23, 30, tzinfo=tz))
    return ids
