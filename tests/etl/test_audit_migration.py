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


def _facility(conn: Connection, batch: int | None) -> int:
    return int(conn.execute(text(
        "INSERT INTO facility (type, commune_code, geom, batch_id) VALUES ('library', '03199', "
        "ST_SetSRID(ST_MakePoint(103.05, 21.45), 4326), :b) RETURNING id"), {"b": batch}).scalar_one())


def test_a_declared_batch_insert_is_one_audit_row_naming_every_id_and_the_rest_stays_per_row(
    db_conn: Connection,
) -> None:
    """Migration 0013: bulk inserts of a declared batch are one row; updates and other inserts keep per row."""
    db_conn.execute(text("SELECT set_config('phusong.user', 'loader', true)"))
    batch, other = db_conn.execute(text(
        "INSERT INTO load_batch (kind, file, sha256, format, rows, params, loaded_by) VALUES "
        "('facilities', 'a.csv', 'x', 'csv', 2, '{}', 'loader'), "
        "('facilities', 'b.csv', 'y', 'csv', 1, '{}', 'loader') RETURNING id")).scalars().all()
    mark = db_conn.execute(text("SELECT coalesce(max(id), 0) FROM audit_log")).scalar_one()
    db_conn.execute(text("SELECT set_config('phusong.audit_batch', :b, true)"), {"b": str(batch)})
    ids = db_conn.execute(text(
        "INSERT INTO facility (type, commune_code, geom, batch_id) SELECT 'library', '03199', "
        "ST_SetSRID(ST_MakePoint(103.05 + g * 0.01, 21.45), 4326), :b FROM generate_series(1, 2) g "
        "RETURNING id"), {"b": batch}).scalars().all()
    mixed = _facility(db_conn, other)            # not the declared batch: audited per row
    db_conn.execute(text("UPDATE facility SET status = 'broken' WHERE id = :f"), {"f": ids[0]})
    db_conn.execute(text("SELECT set_config('phusong.audit_batch', '', true)"))
    single = _facility(db_conn, None)            # the app's single-row insert: per row, as always
    rows = db_conn.execute(text(
        "SELECT \"user\", action, entity_id, before->>'status' AS b, after FROM audit_log "
        "WHERE id > :m AND entity = 'facility' ORDER BY id"), {"m": mark}).all()
    assert [(r.user, r.action, r.entity_id) for r in rows] == [
        ("loader", "bulk_insert", None),
        ("loader", "insert", str(mixed)),
        ("loader", "update", str(ids[0])),
        ("loader", "insert", str(single)),
    ]
    assert rows[0].after == {"batch_id": batch, "rows": 2, "ids": sorted(ids)}
    assert rows[2].b == "operational" and rows[2].after["status"] == "broken"
    traced = db_conn.execute(text(
        "SELECT count(*) FROM audit_log WHERE action = 'bulk_insert' AND after->'ids' @> to_jsonb(CAST(:f AS bigint))"),
        {"f": ids[1]}).scalar_one()
    assert traced == 1


def test_a_large_bulk_insert_is_audited_with_every_id_stored_lz4_compressed(db_conn: Connection) -> None:
    """Migration 0245: the same JSON (every id, in order) built by to_jsonb(array_agg), stored with lz4."""
    batch = db_conn.execute(text(
        "INSERT INTO load_batch (kind, file, sha256, format, rows, params, loaded_by) VALUES "
        "('facilities', 'big.csv', 'z', 'csv', 5000, '{}', 'loader') RETURNING id")).scalar_one()
    db_conn.execute(text("SELECT set_config('phusong.audit_batch', :b, true)"), {"b": str(batch)})
    ids = db_conn.execute(text(
        "INSERT INTO facility (type, commune_code, geom, batch_id) SELECT 'library', '03199', "
        "ST_SetSRID(ST_MakePoint(103.05 + g * 1e-5, 21.45), 4326), :b FROM generate_series(1, 5000) g "
        "RETURNING id"), {"b": batch}).scalars().all()
    db_conn.execute(text("SELECT set_config('phusong.audit_batch', '', true)"))
    after, compression = db_conn.execute(text(
        "SELECT after, pg_column_compression(after) FROM audit_log WHERE action = 'bulk_insert' "
        "AND entity = 'facility' AND (after->>'batch_id')::bigint = :b"), {"b": batch}).one()
    assert after == {"batch_id": batch, "rows": 5000, "ids": sorted(ids)}
    assert compression == "lz4"
