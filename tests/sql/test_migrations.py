"""The schema: migrations apply once and again, geometry columns are typed and indexed, vocabularies are checked."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import IntegrityError, InternalError

from sql.migrate import migrate, migration_files

pytestmark = pytest.mark.db

EXPECTED_TABLES = {
    "admin_unit", "admin_crosswalk", "census_commune", "village", "facility", "inspection", "load_batch",
    "load_reject", "coverage_run", "coverage_commune", "coverage_village", "coverage_stale", "scenario",
    "scenario_action", "feedback", "app_user", "audit_log", "facility_type", "technology", "facility_status",
    "schema_migrations",
}


def test_every_migration_is_recorded_and_a_second_run_applies_nothing(engine: Engine) -> None:
    again = migrate(engine)
    assert again.applied == []
    assert again.already == [p.name for p in migration_files()]


def test_all_tables_of_the_design_exist(db_conn: Connection) -> None:
    tables = set(db_conn.execute(text(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")).scalars())
    assert EXPECTED_TABLES <= tables


def test_geometry_columns_have_srid_4326_and_a_gist_index(db_conn: Connection) -> None:
    columns = db_conn.execute(text(
        "SELECT f_table_name, f_geometry_column, srid FROM geometry_columns "
        "WHERE f_table_schema = 'public' AND f_table_name NOT IN ('commune')")).all()
    # admin_unit, village, facility, inspection, coverage_commune, scenario_action, feedback, commune_map_geometry
    assert len(columns) == 8
    assert {srid for _, _, srid in columns} == {4326}
    for table, column, _ in columns:
        indexed = db_conn.execute(text(
            "SELECT 1 FROM pg_indexes WHERE tablename = :t AND indexdef ILIKE '%USING gist%' "
            "AND indexdef ILIKE '%' || :c || '%'"), {"t": table, "c": column}).first()
        assert indexed, f"{table}.{column} has no GiST index"


def _insert_facility(conn: Connection, **overrides: object) -> int:
    values = {"type": "loudspeaker_cluster", "status": "operational", "technology": "fm_wireless",
              "commune_code": "03199"} | overrides
    return int(conn.execute(text(
        "INSERT INTO facility (type, status, technology, commune_code, geom) "
        "VALUES (:type, :status, :technology, :commune_code, ST_SetSRID(ST_MakePoint(103.0, 21.4), 4326)) "
        "RETURNING id"), values).scalar_one())


@pytest.mark.parametrize("field,value", [("type", "loa"), ("status", "tot"), ("technology", "5g")])
def test_vocabularies_refuse_unknown_codes(db_conn: Connection, field: str, value: str) -> None:
    with pytest.raises(IntegrityError):
        with db_conn.begin_nested():
            _insert_facility(db_conn, **{field: value})


def test_vocabulary_checks_name_the_column_and_value_on_insert_and_update(db_conn: Connection) -> None:
    with pytest.raises(IntegrityError, match=r"facility\.type = 'loa' is not in facility_type"):
        with db_conn.begin_nested():
            _insert_facility(db_conn, type="loa")
    facility_id = _insert_facility(db_conn)
    with pytest.raises(IntegrityError, match=r"facility\.status = 'tot' is not in facility_status"):
        with db_conn.begin_nested():
            db_conn.execute(text("UPDATE facility SET status = 'tot' WHERE id = :f"), {"f": facility_id})
    with pytest.raises(IntegrityError, match=r"facility\.batch_id = '-7' is not in load_batch"):
        with db_conn.begin_nested():
            db_conn.execute(text("UPDATE facility SET batch_id = -7 WHERE id = :f"), {"f": facility_id})


def test_one_bad_row_among_many_fails_the_whole_statement(db_conn: Connection) -> None:
    before = db_conn.execute(text("SELECT count(*) FROM facility")).scalar_one()
    with pytest.raises(IntegrityError, match="'5g' is not in technology"):
        with db_conn.begin_nested():
            db_conn.execute(text(
                "INSERT INTO facility (type, technology, commune_code, geom) "
                "SELECT 'loudspeaker_cluster', CASE WHEN i = 700 THEN '5g' ELSE 'wired' END, '03199', "
                "ST_SetSRID(ST_MakePoint(103.0, 21.4), 4326) FROM generate_series(1, 1000) i"))
    assert db_conn.execute(text("SELECT count(*) FROM facility")).scalar_one() == before


@pytest.mark.parametrize("statement", [
    "DELETE FROM facility_type WHERE code = 'loudspeaker_cluster'",
    "UPDATE facility_type SET code = 'loa' WHERE code = 'loudspeaker_cluster'",
    "DELETE FROM technology WHERE code = 'fm_wireless'",
    "UPDATE technology SET code = 'fm' WHERE code = 'fm_wireless'",
    "DELETE FROM facility_status WHERE code = 'operational'",
    "UPDATE facility_status SET code = 'ok' WHERE code = 'operational'",
])
def test_a_code_in_use_can_be_neither_deleted_nor_renamed(db_conn: Connection, statement: str) -> None:
    _insert_facility(db_conn)
    with pytest.raises(IntegrityError, match="is still used by facility"):
        with db_conn.begin_nested():
            db_conn.execute(text(statement))


def test_labels_of_a_code_in_use_can_change(db_conn: Connection) -> None:
    facility_id = _insert_facility(db_conn)
    changed = db_conn.execute(text(
        "UPDATE facility_type SET label_en = 'Loudspeakers' WHERE code = 'loudspeaker_cluster'")).rowcount
    label = db_conn.execute(text(
        "SELECT t.label_en FROM facility f JOIN facility_type t ON t.code = f.type WHERE f.id = :f"),
        {"f": facility_id}).scalar_one()
    assert changed == 1 and label == "Loudspeakers"  # the facility keeps its code and reads the new label


def test_a_batch_in_use_cannot_be_deleted(db_conn: Connection) -> None:
    batch = db_conn.execute(text(
        "INSERT INTO load_batch (kind, file, sha256, format, rows) VALUES ('facilities', 'f.csv', 'x', 'csv', 1) "
        "RETURNING id")).scalar_one()
    facility_id = _insert_facility(db_conn)
    db_conn.execute(text("UPDATE facility SET batch_id = :b WHERE id = :f"), {"b": batch, "f": facility_id})
    with pytest.raises(IntegrityError, match="load_batch '[0-9]+' is still used by facility.batch_id"):
        with db_conn.begin_nested():
            db_conn.execute(text("DELETE FROM load_batch WHERE id = :b"), {"b": batch})


def test_inspections_are_append_only_and_the_latest_decides_the_status(db_conn: Connection) -> None:
    facility_id = _insert_facility(db_conn)
    insert = text("INSERT INTO inspection (facility_id, inspector, inspected_at, status_found) "
                  "VALUES (:f, :who, :at, :s) RETURNING id")
    db_conn.execute(insert, {"f": facility_id, "who": "a", "at": "2026-11-20T08:00+07", "s": "broken"})
    db_conn.execute(insert, {"f": facility_id, "who": "b", "at": "2026-11-19T08:00+07", "s": "operational"})
    status = db_conn.execute(text("SELECT status FROM facility WHERE id = :f"), {"f": facility_id}).scalar_one()
    assert status == "broken"  # the older inspection, saved later, does not override the newer one
    assert db_conn.execute(text("SELECT count(*) FROM inspection WHERE facility_id = :f"),
                           {"f": facility_id}).scalar_one() == 2
    with pytest.raises(InternalError, match="append-only"):
        with db_conn.begin_nested():
            db_conn.execute(text("DELETE FROM inspection WHERE facility_id = :f"), {"f": facility_id})


def test_facility_writes_are_audited_with_the_actor_and_mark_the_commune_stale(db_conn: Connection) -> None:
    db_conn.execute(text("SELECT set_config('phusong.user', 'inspector_lan', true)"))
    facility_id = _insert_facility(db_conn, commune_code="03100")
    db_conn.execute(text("UPDATE facility SET status = 'degraded' WHERE id = :f"), {"f": facility_id})
    rows = db_conn.execute(text(
        "SELECT \"user\", action, before->>'status', after->>'status' FROM audit_log "
        "WHERE entity = 'facility' AND entity_id = :f ORDER BY id"), {"f": str(facility_id)}).all()
    assert rows == [("inspector_lan", "insert", None, "operational"),
                    ("inspector_lan", "update", "operational", "degraded")]
    assert db_conn.execute(text("SELECT 1 FROM coverage_stale WHERE commune_code = '03100'")).first()


def _insert_village(conn: Connection, name: str) -> int:
    return int(conn.execute(text(
        "INSERT INTO village (commune_code, name, geom) "
        "VALUES ('03199', :n, ST_SetSRID(ST_MakePoint(103.0, 21.4), 4326)) RETURNING id"), {"n": name}).scalar_one())


def test_a_facility_names_only_a_village_that_exists(db_conn: Connection) -> None:
    village = _insert_village(db_conn, "Bản Co Mỵ")
    facility_id = _insert_facility(db_conn)
    db_conn.execute(text("UPDATE facility SET village_id = :v WHERE id = :f"), {"v": village, "f": facility_id})
    with pytest.raises(IntegrityError, match=r"facility\.village_id = '-3' is not in village"):
        with db_conn.begin_nested():
            db_conn.execute(text("UPDATE facility SET village_id = -3 WHERE id = :f"), {"f": facility_id})


def test_deleting_villages_leaves_their_facilities_without_one_and_an_id_in_use_cannot_change(
    db_conn: Connection,
) -> None:
    kept, deleted = _insert_village(db_conn, "Bản Phủ"), _insert_village(db_conn, "Bản Món")
    facilities = [_insert_facility(db_conn) for _ in range(3)]
    db_conn.execute(text("UPDATE facility SET village_id = CASE WHEN id = :first THEN :kept ELSE :deleted END "
                         "WHERE id = ANY(:ids)"),
                    {"first": facilities[0], "kept": kept, "deleted": deleted, "ids": facilities})
    with pytest.raises(IntegrityError, match=r"village '[0-9]+' is still used by facility\.village_id"):
        with db_conn.begin_nested():
            db_conn.execute(text("UPDATE village SET id = -1 WHERE id = :v"), {"v": kept})
    db_conn.execute(text("DELETE FROM village WHERE id = :v"), {"v": deleted})
    villages = dict(db_conn.execute(text("SELECT id, village_id FROM facility WHERE id = ANY(:ids)"),
                                    {"ids": facilities}).all())
    assert villages == {facilities[0]: kept, facilities[1]: None, facilities[2]: None}
