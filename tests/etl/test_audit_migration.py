"""Migration 0012: the audit trigger writes the same rows and JSON as before, geometry as GeoJSON, quickly."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, text

pytestmark = pytest.mark.db


def test_audit_rows_keep_geojson_and_the_actor_for_insert_update_delete(db_conn: Connection) -> None:
    db_conn.execute(text("SELECT set_config('phusong.user', 'auditor', true)"))
    fid = db_conn.execute(text(
        "INSERT INTO facility (type, commune_code, geom) VALUES ('library', '03199', "
        "ST_SetSRID(ST_MakePoint(103.05, 21.45), 4326)) RETURNING id")).scalar_one()
    expected = db_conn.execute(text("SELECT to_jsonb(f) FROM facility f WHERE id = :f"),
                               {"f": fid}).scalar_one()
    db_conn.execute(text("UPDATE facility SET status = 'broken' WHERE id = :f"), {"f": fid})
    db_conn.execute(text("UPDATE facility SET status = 'broken' WHERE id = :f"), {"f": fid})  # no change
    db_conn.execute(text("DELETE FROM facility WHERE id = :f"), {"f": fid})
    rows = db_conn.execute(text(
        "SELECT \"user\", action, before->>'status', after->>'status', after FROM audit_log "
        "WHERE entity = 'facility' AND entity_id = :f ORDER BY id"), {"f": str(fid)}).all()
    assert [tuple(r[:4]) for r in rows] == [("auditor", "insert", None, "operational"),
                                            ("auditor", "update", "operational", "broken"),
                                            ("auditor", "delete", "broken", None)]
    assert rows[0].after == expected   # byte for byte what to_jsonb() of the row gives
    assert rows[0].after["geom"]["type"] == "Point"


def test_users_are_audited_without_their_password_hash(db_conn: Connection) -> None:
    db_conn.execute(text("INSERT INTO app_user (name, password_hash, role) VALUES ('lan', 'x', 'inspector')"))
    after = db_conn.execute(text("SELECT after FROM audit_log WHERE entity = 'app_user' "
                                 "AND entity_id = 'lan'")).scalar_one()
    assert after["role"] == "inspector" and "password_hash" not in after
