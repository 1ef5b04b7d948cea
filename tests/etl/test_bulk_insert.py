"""A survey that adds many facilities builds the facility indexes afresh after its insert (migration 0015)."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy import Connection, text

from etl.errors import LoadRefusedError
from etl.facilities import BULK_INSERT_REBUILDS_INDEXES_FROM, load_facilities
from etl.lineage import file_sha256_soon
from sql import bulk
from sql.bulk import _text_column
from tests.etl.conftest import IN_DIEN_BIEN_PHU, IN_THANH_NUA, VN_HEADERS, vn_row, write_csv

pytestmark = pytest.mark.db

_INDEXES = text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'facility' ORDER BY indexname")


def _survey(path: Path, rows: int, prefix: str) -> Path:
    # Points on a 0.0005° grid inside Mường Phăng (103.0-103.1, 21.4-21.5): ~50 m apart, never within 5 m.
    return write_csv(path, VN_HEADERS, [
        vn_row(i, f"{prefix}-{i:06d}", lonlat=(f"{103.001 + (i % 190) * 0.0005:.4f}",
                                              f"{21.401 + (i // 190) * 0.0005:.4f}"))
        for i in range(rows)
    ])


def _load(conn: Connection, path: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    return load_facilities(conn, path, report_dir=tmp_path, today=date(2026, 11, 27), loaded_by="tester")


def test_a_big_first_load_rebuilds_the_same_indexes_and_they_still_work(communes: Connection,
                                                                        tmp_path: Path) -> None:
    before = communes.execute(_INDEXES).all()
    rows = BULK_INSERT_REBUILDS_INDEXES_FROM
    result = _load(communes, _survey(tmp_path / "big.csv", rows, "BIG"), tmp_path)
    assert (result.loaded, result.rejected) == (rows, 0), result.messages()
    assert communes.execute(_INDEXES).all() == before
    communes.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(communes.execute(text(
        "EXPLAIN SELECT id FROM facility WHERE geom && ST_MakeEnvelope(103.0, 21.4, 103.01, 21.41, 4326)"
    )).scalars())
    assert "facility_geom_gix" in plan
    near = communes.execute(text(
        "SELECT count(*) FROM facility WHERE geom && ST_MakeEnvelope(103.0, 21.4, 103.0102, 21.4012, 4326)"
    )).scalar_one()
    assert near == 19  # the first grid row (lat 21.401), lon 103.001 to 103.010 in 0.0005° steps
    with pytest.raises(Exception, match="facility_external_id_key"):
        with communes.begin_nested():
            communes.execute(text(
                "INSERT INTO facility (external_id, type, commune_code, geom) "
                "VALUES ('BIG-000007', 'library', '03199', ST_SetSRID(ST_MakePoint(103.05, 21.45), 4326))"))


def test_a_small_load_into_a_big_table_keeps_its_indexes(communes: Connection, tmp_path: Path) -> None:
    _load(communes, _survey(tmp_path / "big.csv", BULK_INSERT_REBUILDS_INDEXES_FROM, "BIG"), tmp_path)
    oids = communes.execute(text(
        "SELECT indexrelid FROM pg_index WHERE indrelid = 'facility'::regclass ORDER BY 1")).scalars().all()
    result = _load(communes, _survey(tmp_path / "small.csv", 30, "SMALL"), tmp_path)
    assert result.loaded == 30, result.messages()
    assert communes.execute(text(
        "SELECT indexrelid FROM pg_index WHERE indrelid = 'facility'::regclass ORDER BY 1")).scalars().all() == oids


def test_a_big_load_takes_one_range_of_ids_and_later_inserts_follow_it(communes: Connection,
                                                                       tmp_path: Path) -> None:
    """Migration 0265: the bulk insert sends ids it reserved at once, in the order it sends the rows; the
    sequence is past them, so a facility inserted afterwards (its default id) and a small load follow them."""
    rows = BULK_INSERT_REBUILDS_INDEXES_FROM
    assert _load(communes, _survey(tmp_path / "big.csv", rows, "BIG"), tmp_path).loaded == rows
    low, high, count, in_order = communes.execute(text(
        "SELECT min(id), max(id), count(*), bool_and(external_id = 'BIG-' || lpad((id - m)::text, 6, '0')) "
        "FROM facility, (SELECT min(id) AS m FROM facility) f GROUP BY m")).one()
    assert (high - low + 1, count, in_order) == (rows, rows, True)
    later = communes.execute(text(
        "INSERT INTO facility (type, commune_code, geom) "
        "VALUES ('library', '03199', ST_SetSRID(ST_MakePoint(103.05, 21.45), 4326)) RETURNING id")).scalar_one()
    assert later > high
    assert _load(communes, _survey(tmp_path / "small.csv", 30, "SMALL"), tmp_path).loaded == 30
    assert communes.execute(text("SELECT min(id) FROM facility WHERE external_id LIKE 'SMALL-%'")).scalar_one() > later


def test_a_big_load_stores_its_rows_in_the_files_order_and_its_ids_follow_it(communes: Connection,
                                                                             tmp_path: Path) -> None:
    """The bulk insert sends its rows in the file's order (session 31; by type and status in session 30): the
    ids follow the file's rows, one range, whatever their type and status."""
    kinds, statuses = ["Nhà văn hóa", "Cụm loa truyền thanh"], ["Hư hỏng", "Hoạt động", "Xuống cấp"]
    rows = [vn_row(i, f"ORD-{i:06d}", kind=kinds[i % 2], status=statuses[i % 3],
                   lonlat=(f"{103.001 + (i % 190) * 0.0005:.4f}", f"{21.401 + (i // 190) * 0.0005:.4f}"))
            for i in range(BULK_INSERT_REBUILDS_INDEXES_FROM)]
    result = _load(communes, write_csv(tmp_path / "mixed.csv", VN_HEADERS, rows), tmp_path)
    assert result.loaded == len(rows), result.messages()
    stored = communes.execute(text("SELECT external_id FROM facility ORDER BY id")).scalars().all()
    assert stored == [f"ORD-{i:06d}" for i in range(len(rows))]
    assert len(set(communes.execute(text("SELECT type, status FROM facility")).all())) == 6
    low, high = communes.execute(text("SELECT min(id), max(id) FROM facility")).one()
    assert high - low + 1 == len(rows)
    physical = communes.execute(text("SELECT id FROM facility ORDER BY ctid")).scalars().all()
    assert physical == sorted(physical)


def test_ids_follow_the_files_order_over_refused_rows_and_the_ranges_unused_end_is_given_back(
    communes: Connection, tmp_path: Path
) -> None:
    """Rows refused by the checks before the COPY (no type) and by the location checks of their chunk (a point in
    no commune, in the first and in later chunks) take no id: the rows stored are numbered in the file's order
    without a gap, and the end of the range they left is given back (migration 0330): the next id follows."""
    count = BULK_INSERT_REBUILDS_INDEXES_FROM + 1_500
    no_commune = {5, 700, 4_321, 10_007, count - 1}
    no_type = {3, 9_999}
    rows = [vn_row(i, f"REF-{i:06d}", kind="" if i in no_type else "Cụm loa truyền thanh",
                   lonlat=("106.0000", "17.0000") if i in no_commune else
                   (f"{103.001 + (i % 190) * 0.0005:.4f}", f"{21.401 + (i // 190) * 0.0005:.4f}"))
            for i in range(count)]
    result = _load(communes, write_csv(tmp_path / "refused.csv", VN_HEADERS, rows), tmp_path)
    assert result.loaded == count - len(no_commune) - len(no_type), result.messages()
    assert sorted(issue.code for issue in result.issues if issue.severity == "reject") == \
        ["point_in_no_commune"] * len(no_commune) + ["type_empty"] * len(no_type)
    stored = communes.execute(text("SELECT id, external_id FROM facility ORDER BY id")).all()
    assert [ref for _, ref in stored] == [f"REF-{i:06d}" for i in range(count) if i not in no_commune | no_type]
    assert stored[-1].id - stored[0].id + 1 == len(stored)  # no gap where rows were refused
    following = communes.execute(text("SELECT nextval(pg_get_serial_sequence('facility', 'id'))")).scalar_one()
    assert following == stored[-1].id + 1


def test_a_refusal_decided_in_a_late_chunk_changes_nothing_and_is_the_users_message(
    communes: Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refusal raised while the COPY runs (here as the third chunk is made, two chunks sent) comes out as
    itself, not as psycopg2's "COPY from stdin failed" cancellation, and the load leaves nothing behind: no
    facility, no batch, no audit row, the indexes as they were (the id sequence moves on, as after any rollback)."""
    from etl.facilities import columns, placement

    calls: list[int] = []
    kept = placement._Placement.kept

    def refusing(self: Any, indexes: Any) -> Any:
        calls.extend([len(indexes)] if len(indexes) else [])
        if len(calls) == 3:
            raise LoadRefusedError(code="communes_not_loaded", version="2025")
        return kept(self, indexes)

    def state() -> tuple[Any, ...]:
        return tuple(communes.execute(text(query)).all() for query in (
            "SELECT count(*) FROM facility", "SELECT count(*) FROM load_batch", "SELECT count(*) FROM audit_log",
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'facility' ORDER BY 1"))

    before = state()
    monkeypatch.setattr(placement._Placement, "kept", refusing)
    with pytest.raises(LoadRefusedError) as refused:
        _load(communes, _survey(tmp_path / "big.csv", BULK_INSERT_REBUILDS_INDEXES_FROM + 2_500, "LATE"), tmp_path)
    assert type(refused.value) is LoadRefusedError and refused.value.code == "communes_not_loaded"
    assert str(refused.value) == str(LoadRefusedError(code="communes_not_loaded", version="2025"))
    assert "COPY" not in str(refused.value)
    assert calls == [columns.FIRST_SLICE_ROWS, columns.SLICE_ROWS, 1_500]
    assert state() == before


def test_the_unused_end_of_a_range_is_given_back_only_under_the_lock_and_at_the_ranges_end(
    db_conn: Connection,
) -> None:
    with pytest.raises(Exception, match="only inside a bulk insert"):
        with db_conn.begin_nested():
            db_conn.execute(text("SELECT give_back_facility_ids(1, 10, 5)"))
    db_conn.execute(text("LOCK TABLE facility IN ACCESS EXCLUSIVE MODE"))
    give_back = text("SELECT give_back_facility_ids(:first, 10, :used)")
    next_id = text("SELECT nextval(pg_get_serial_sequence('facility', 'id'))")
    first = db_conn.execute(text("SELECT reserve_facility_ids(10)")).scalar_one()
    assert db_conn.execute(give_back, {"first": first, "used": 4}).scalar_one() is True
    assert db_conn.execute(next_id).scalar_one() == first + 4
    first = db_conn.execute(text("SELECT reserve_facility_ids(10)")).scalar_one()
    assert db_conn.execute(give_back, {"first": first, "used": 0}).scalar_one() is True
    assert db_conn.execute(next_id).scalar_one() == first
    first = db_conn.execute(text("SELECT reserve_facility_ids(10)")).scalar_one()
    db_conn.execute(next_id)  # a value taken after the range: nothing is given back
    assert db_conn.execute(give_back, {"first": first, "used": 4}).scalar_one() is False
    with pytest.raises(Exception, match="no range"):
        with db_conn.begin_nested():
            db_conn.execute(give_back, {"first": first, "used": 11})


def test_a_big_load_sends_a_small_first_chunk_then_chunks_of_copys_size(
    communes: Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server waits for the first chunk: it is placed and sent first, small, then the rest in COPY's chunks."""
    from etl.facilities import columns, placement

    placed: list[int] = []
    kept = placement._Placement.kept
    monkeypatch.setattr(placement._Placement, "kept",
                        lambda self, indexes: placed.append(len(indexes)) or kept(self, indexes))
    rows = BULK_INSERT_REBUILDS_INDEXES_FROM + 2_500
    assert _load(communes, _survey(tmp_path / "big.csv", rows, "BIG"), tmp_path).loaded == rows
    assert [n for n in placed if n] == [columns.FIRST_SLICE_ROWS, columns.SLICE_ROWS, 1_500]  # 0: none staged
    assert communes.execute(text("SELECT count(*) FROM facility")).scalar_one() == rows


def test_the_files_sha256_made_while_it_is_read_is_the_batchs(communes: Connection, tmp_path: Path) -> None:
    """The sha256 of the file is made in a thread while the file is read (etl.lineage.file_sha256_soon): the batch
    records the file's digest, and a file that cannot be read gives its error when the digest is asked for."""
    path = _survey(tmp_path / "small.csv", 20, "SHA")
    result = _load(communes, path, tmp_path)
    stored = communes.execute(text("SELECT sha256 FROM load_batch WHERE id = :b"), {"b": result.batch_id}).scalar_one()
    assert stored == hashlib.sha256(path.read_bytes()).hexdigest() == file_sha256_soon(path)()
    with pytest.raises(FileNotFoundError):
        file_sha256_soon(tmp_path / "missing.csv")()


def test_ids_are_reserved_only_while_the_table_is_locked_for_a_bulk_insert(db_conn: Connection) -> None:
    with pytest.raises(Exception, match="only inside a bulk insert"):
        with db_conn.begin_nested():
            db_conn.execute(text("SELECT reserve_facility_ids(10)"))
    db_conn.execute(text("LOCK TABLE facility IN ACCESS EXCLUSIVE MODE"))
    first = db_conn.execute(text("SELECT reserve_facility_ids(10)")).scalar_one()
    assert db_conn.execute(text("SELECT nextval(pg_get_serial_sequence('facility', 'id'))")).scalar_one() == first + 10


def test_restore_without_set_aside_does_nothing(db_conn: Connection) -> None:
    assert db_conn.execute(text("SELECT restore_indexes('facility')")).scalar_one() == 0


def test_a_big_load_places_and_decides_each_row_as_a_small_load_does(communes: Connection, tmp_path: Path) -> None:
    """A bulk insert places its rows chunk by chunk while they are sent: a swap its commune confirms, a point in no
    loaded commune and a typed commune that is not the point's come out as in a small load, in any chunk."""
    lon, lat = IN_DIEN_BIEN_PHU

    def special(prefix: str) -> list[list[object]]:
        return [vn_row(1, f"{prefix}-SWAP", lonlat=(lat, lon), commune="Phường Điện Biên Phủ"),
                vn_row(2, f"{prefix}-OUT", lonlat=(105.85, 21.03)),  # Hà Nội: in Viet Nam, no commune loaded
                vn_row(3, f"{prefix}-NAME", lonlat=IN_THANH_NUA, commune="Xã Mường Phăng")]

    small = _load(communes, write_csv(tmp_path / "small.csv", VN_HEADERS, special("S")), tmp_path)
    rows = [vn_row(i, f"BIG-{i:06d}", lonlat=(f"{103.001 + (i % 190) * 0.0005:.4f}",
                                              f"{21.401 + (i // 190) * 0.0005:.4f}"))
            for i in range(2 * BULK_INSERT_REBUILDS_INDEXES_FROM + 1_000)]
    swap, outside, named = special("B")
    rows[1:1], rows[10_500:10_500], rows[-1:-1] = [swap], [outside], [named]  # three different COPY chunks
    big = _load(communes, write_csv(tmp_path / "big.csv", VN_HEADERS, rows), tmp_path)

    assert [(i.severity, i.reason) for i in big.issues] == [(i.severity, i.reason) for i in small.issues]
    assert (big.loaded, big.rejected, big.warned) == (len(rows) - 1, 1, 2), big.messages()
    placed = dict(communes.execute(text(
        "SELECT external_id, commune_code || ' ' || round(ST_X(geom)::numeric, 4) || ' ' "
        "|| round(ST_Y(geom)::numeric, 4) FROM facility WHERE external_id ~ '^[SB]-'")).all())
    assert placed == {"S-SWAP": placed["B-SWAP"], "B-SWAP": placed["S-SWAP"],
                      "S-NAME": placed["B-NAME"], "B-NAME": placed["S-NAME"]}
    assert placed["B-SWAP"].startswith("03127 ")


def _mixed_survey(path: Path, changed: bool = False) -> Path:
    """Good rows and every kind of bad one, with cells COPY's text format must escape, and a second version of
    it (``changed``) that updates some stored rows and adds others."""
    rows: list[list[object]] = []
    for i in range(240):
        lonlat = (f"{103.001 + (i % 190) * 0.0005:.4f}", f"{21.401 + (i // 190) * 0.0005:.4f}")
        row = vn_row(i, f"MIX-{i:04d}", lonlat=lonlat, name=f"Cụm loa {i}\tbản\\{i}" if i % 7 == 0 else None)
        row[14] = "ghi chú\nhai dòng" if i % 11 == 0 else ("\\N" if i % 13 == 0 else "")
        if changed and i % 5 == 0:
            row[9] = "Hư hỏng"
        rows.append(row)
    lon, lat = IN_DIEN_BIEN_PHU
    rows += [vn_row(300, "MIX-SWAP", lonlat=(lat, lon), commune="Phường Điện Biên Phủ"),
             vn_row(301, "MIX-OUT", lonlat=(105.85, 21.03)),  # in Viet Nam, in no loaded commune
             vn_row(302, "MIX-FAR", lonlat=(2.35, 48.85)),  # Paris
             vn_row(303, "MIX-NAME", lonlat=IN_THANH_NUA, commune="Xã Mường Phăng"),
             vn_row(304, "MIX-YEAR", year=1800), vn_row(305, "MIX-TYPE", kind="Sân bóng"),
             vn_row(306, "MIX-0001"), vn_row(307, None, lonlat=("103,0555", "21,4555")),
             vn_row(308, "MIX-HORNS", horns=-1), vn_row(309, "MIX-DMS", lonlat=("103°3'30\"", "21°27'0\"")),
             vn_row(310, "MIX-TECH", tech="Cáp quang"), vn_row(311, "MIX-NONE", lonlat=("", ""))]
    if changed:
        rows.append(vn_row(312, "MIX-NEW", lonlat=IN_THANH_NUA, commune="Xã Thanh Nưa"))
    return write_csv(path, VN_HEADERS, rows)


def test_columns_formatted_by_arrow_store_what_value_by_value_formatting_stored(
    communes: Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A mixed good/bad survey, loaded in chunks with the indexes rebuilt and then re-loaded changed (staging,
    match, update): the same rejects and warnings (row, field, value, code) and the same stored facilities, to
    the bit, whether the COPY is formatted a column at a time by arrow or value by value by copy_text_value."""
    monkeypatch.setattr("etl.facilities.writes.BULK_INSERT_REBUILDS_INDEXES_FROM", 100)
    monkeypatch.setattr("etl.facilities.columns.SLICE_ROWS", 64)
    monkeypatch.setattr("sql.bulk.COPY_CHUNK_ROWS", 64)
    first, second = _mixed_survey(tmp_path / "mixed.csv"), _mixed_survey(tmp_path / "mixed2.csv", changed=True)

    def load_both() -> tuple[list[object], list[object]]:
        savepoint = communes.begin_nested()
        try:
            issues = []
            for path in (first, second):
                result = _load(communes, path, tmp_path)
                issues.append([(i.row, i.field, i.value, i.code, i.severity) for i in result.issues])
                issues.append((result.loaded, result.updated, result.unchanged, result.rejected, result.warned))
            stored = communes.execute(text(
                "SELECT external_id, type, technology, name, commune_code, village_id, encode(ST_AsEWKB(geom), "
                "'hex'), status, installed_year, n_horns, float8send(watts), float8send(radius_m), note, "
                "source_crs, attributes::text, synthetic, version FROM facility ORDER BY external_id, name")).all()
            return issues, [tuple(r) for r in stored]
        finally:
            savepoint.rollback()

    by_arrow = load_both()

    def value_by_value(values: Any) -> pa.Array:
        cells = (values.to_pylist() if isinstance(values, pa.Array)  # ids and names (etl/facilities/rows.py _Text)
                 else values.astype(str).tolist() if values.dtype.kind == "S" else list(values))
        return pa.array(_text_column(cells), type=pa.string())

    monkeypatch.setattr(bulk, "_copy_text_column", value_by_value)
    one_by_one = load_both()

    assert by_arrow == one_by_one
    issues, stored = by_arrow
    assert issues[1] == (245, 0, 0, 7, 3) and issues[3] == (1, 48, 197, 7, 3), issues
    assert {code for _, _, _, code, _ in issues[0]} >= {"swap_confirmed", "point_in_no_commune", "point_outside_vn",
                                                         "commune_not_at_point", "repeated_id"}
    names = {r[0]: r[3] for r in stored}
    assert names["MIX-0007"] == "Cụm loa 7\tbản\\7" and len(stored) == 246
