"""Session 31 (migration 0302): an UPDATE of facility locks only the references it changes, as a foreign key
does. Each saved inspection updates its facility's status; before, the check also key-share-locked the facility's
type, technology, batch and village rows, the same hot rows for every concurrent save."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.exc import IntegrityError, OperationalError

pytestmark = pytest.mark.db


ROW_LOCKS = {  # vocabulary -> its row taken FOR UPDATE NOWAIT (conflicts with another's FOR KEY SHARE)
    "facility_status": "SELECT 1 FROM facility_status WHERE code = :v FOR UPDATE NOWAIT",
    "facility_type": "SELECT 1 FROM facility_type WHERE code = :v FOR UPDATE NOWAIT",
    "technology": "SELECT 1 FROM technology WHERE code = :v FOR UPDATE NOWAIT",
}


def _locked(conn: Connection, table: str, value: str) -> bool:
    """Whether another transaction holds a lock on that row that FOR UPDATE conflicts with (FOR KEY SHARE)."""
    try:
        with conn.begin():
            conn.execute(text(ROW_LOCKS[table]), {"v": value})
        return False
    except OperationalError:
        return True


def test_a_status_update_locks_the_status_it_sets_and_no_other_reference(use_database: str) -> None:
    engine = create_engine(use_database)
    with engine.begin() as conn:
        facility = conn.execute(text(
            "INSERT INTO facility (type, status, technology, commune_code, geom) VALUES ('loudspeaker_cluster', "
            "'operational', 'fm_wireless', '03199', ST_SetSRID(ST_MakePoint(103.0, 21.4), 4326)) RETURNING id"
        )).scalar_one()
    with engine.connect() as saving, engine.connect() as other:
        with saving.begin():  # what an inspection's trigger does to its facility
            saving.execute(text("UPDATE facility SET status = 'broken', last_inspected_at = now(), "
                                "version = version + 1 WHERE id = :f"), {"f": facility})
            assert _locked(other, "facility_status", "broken")  # the value it set: checked and locked
            assert not _locked(other, "facility_type", "loudspeaker_cluster")  # unchanged: left alone
            assert not _locked(other, "technology", "fm_wireless")
        with pytest.raises(IntegrityError, match=r"facility\.type = 'loa' is not in facility_type"):
            with saving.begin():  # a changed value is still checked
                saving.execute(text("UPDATE facility SET type = 'loa', status = 'broken' WHERE id = :f"),
                               {"f": facility})
    engine.dispose()
