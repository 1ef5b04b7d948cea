"""An inspector's own inspections of the day: undo within minutes, correct the same day (issue 21, migration 0150).

On today's main an inspection can never change (append-only), so a 'Đã thanh lý' saved by mistake stays.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, text

from etl.inspection_corrections import (
    LOCAL_TIME,
    CorrectionRefused,
    InspectionNotCorrectable,
    correct_inspection,
    own_inspections_today,
    undo_inspection,
)
from sql import queries
from tests.etl.conftest import IN_MUONG_PHANG

pytestmark = pytest.mark.db


def _facility(conn: Connection) -> int:
    return int(conn.execute(text(
        "INSERT INTO facility (external_id, type, status, commune_code, geom, last_inspected_at) VALUES "
        "('DB-T-1', 'commune_radio_station', 'degraded', '03199', ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), "
        "'2026-01-02') RETURNING id"), {"lon": IN_MUONG_PHANG[0], "lat": IN_MUONG_PHANG[1]}).scalar_one())


def _inspect(conn: Connection, facility_id: int, status: str, who: str = "kiemtra", **extra: Any) -> int:
    return int(conn.execute(queries.load("insert_inspection"), {
        "facility_id": facility_id, "inspector": who, "inspected_at": None, "status_found": status,
        "note": "ghi chú", "photo": None, "photo_mime": None, "lon": None, "lat": None, "submission_id": None,
        **extra}).scalar_one())


def _status(conn: Connection, facility_id: int) -> tuple[str, Any]:
    row = conn.execute(text("SELECT status, last_inspected_at FROM facility WHERE id = :id"),
                       {"id": facility_id}).one()
    return row.status, row.last_inspected_at


def test_an_undo_gives_the_facility_its_status_back_and_is_audited(communes: Connection) -> None:
    facility = _facility(communes)
    before = _status(communes, facility)
    mistaken = _inspect(communes, facility, "decommissioned")
    assert _status(communes, facility)[0] == "decommissioned"
    communes.execute(text("DELETE FROM coverage_stale"))
    withdrawn = undo_inspection(communes, "kiemtra", mistaken)
    assert withdrawn.facility_id == facility
    assert _status(communes, facility) == before
    # The commune waits for its recomputation (the app's write path brings it current) and the undo is audited.
    assert communes.execute(text("SELECT count(*) FROM coverage_stale WHERE commune_code = '03199'")).scalar_one()
    audited = communes.execute(text(
        "SELECT \"user\", after->>'withdrawn_by' FROM audit_log WHERE entity = 'inspection' AND action = 'update' "
        "AND entity_id = :id"), {"id": str(mistaken)}).one()
    assert tuple(audited) == ("kiemtra", "kiemtra")
    with pytest.raises(InspectionNotCorrectable):  # once only
        undo_inspection(communes, "kiemtra", mistaken)
    listed = {r["id"]: r for r in own_inspections_today(communes, "kiemtra")}
    assert listed[mistaken]["withdrawn_at"] is not None


def test_only_the_inspector_may_undo_and_only_for_a_few_minutes(communes: Connection) -> None:
    facility = _facility(communes)
    other = _inspect(communes, facility, "broken", who="someone-else")
    with pytest.raises(InspectionNotCorrectable):
        undo_inspection(communes, "kiemtra", other)
    old = _inspect(communes, facility, "broken")
    communes.execute(text("ALTER TABLE inspection DISABLE TRIGGER inspection_append_only"))
    communes.execute(text("UPDATE inspection SET recorded_at = now() - interval '20 minutes' WHERE id = :id"),
                     {"id": old})
    communes.execute(text("ALTER TABLE inspection ENABLE TRIGGER inspection_append_only"))
    with pytest.raises(InspectionNotCorrectable):
        undo_inspection(communes, "kiemtra", old)
    # Anything else than the withdrawal stays refused.
    with pytest.raises(Exception, match="append-only"):
        communes.execute(text("UPDATE inspection SET note = 'đổi' WHERE id = :id"), {"id": old})


def test_a_correction_replaces_the_inspection_of_the_day(communes: Connection) -> None:
    facility = _facility(communes)
    first = _inspect(communes, facility, "broken")
    visit = datetime.now(LOCAL_TIME).replace(microsecond=0) - timedelta(hours=1)
    corrected = correct_inspection(communes, "kiemtra", first, status="operational", note="Đã sửa xong",
                                   inspected_at=visit)
    assert corrected.corrected_by is not None
    assert _status(communes, facility) == ("operational", visit)
    row = communes.execute(text("SELECT status_found, note, corrects_id, inspector FROM inspection WHERE id = :id"),
                           {"id": corrected.corrected_by}).one()
    assert tuple(row) == ("operational", "Đã sửa xong", first, "kiemtra")
    with pytest.raises(CorrectionRefused):
        correct_inspection(communes, "kiemtra", corrected.corrected_by, status="broken", note=None,
                           inspected_at=datetime.now(LOCAL_TIME) + timedelta(hours=2))
    with pytest.raises(CorrectionRefused):
        correct_inspection(communes, "kiemtra", corrected.corrected_by, status="planned-ish", note=None,
                           inspected_at=visit)
