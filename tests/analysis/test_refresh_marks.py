"""Session 31 (migration 0300): an inspection saved while a refresher recomputes its commune does not wait for
that recompute, and its change is not lost: the commune stays stale and the next refresh computes it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from analysis.refresh import _clear, _take, bring_current
from analysis.store import analyse
from app.cli import main

pytestmark = pytest.mark.db

DEMO = Path(__file__).resolve().parents[2] / "gis_data" / "dien_bien"
COMMUNE = "03127"


def _load(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["boundaries", str(DEMO / "communes_2025.geojson"), "--version", "2025", "--level", "commune"],
                 ["villages", str(DEMO / "thon_ban_synthetic.geojson")],
                 ["facilities", str(DEMO / "khao_sat_thiet_che_2026_synthetic.xlsx")]):
        assert main(["load", *argv, "--no-refresh"]) == 0
    capsys.readouterr()


def test_a_save_during_a_recompute_neither_waits_for_it_nor_is_lost(
        use_database: str, capsys: pytest.CaptureFixture[str]) -> None:
    _load(capsys)
    engine = create_engine(use_database)
    bring_current(engine, communes=["03124", "03130"])  # other communes: cleared when unchanged
    with engine.connect() as conn:
        stale = set(conn.execute(text("SELECT commune_code FROM coverage_stale")).scalars())
        facility = conn.execute(text("SELECT id FROM facility WHERE commune_code = :c ORDER BY id LIMIT 1"),
                                {"c": COMMUNE}).scalar()
    assert COMMUNE in stale and not stale & {"03124", "03130"}

    with engine.connect() as worker, engine.connect() as inspector:
        recompute = worker.begin()
        marks = _take(worker, [COMMUNE], 10, wait=False)  # the worker took the commune and is recomputing it
        assert list(marks) == [COMMUNE]
        with inspector.begin():
            # Before migration 0300 the commune's stale row was deleted by the recompute in progress, and this
            # save's trigger waited for the recompute to commit: here, past the lock timeout, an error.
            inspector.execute(text("SET LOCAL lock_timeout = '5s'"))
            inspector.execute(text(
                "INSERT INTO inspection (facility_id, inspector, inspected_at, status_found, submission_id, source) "
                "VALUES (:f, 'kiem-tra', now(), 'broken', 'during-recompute', 'app')"), {"f": facility})
        analyse(worker, commune_codes=[COMMUNE])
        assert _clear(worker, marks) == set()  # marked again meanwhile: stays on the list
        recompute.commit()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM coverage_stale WHERE commune_code = :c"),
                            {"c": COMMUNE}).scalar() == 1  # the save's change is still to be computed

    report = bring_current(engine, communes=[COMMUNE])
    assert report.communes == (COMMUNE,)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM coverage_stale WHERE commune_code = :c"),
                            {"c": COMMUNE}).scalar() == 0
        audited = conn.execute(text(
            "SELECT count(*) FROM audit_log WHERE entity = 'inspection'")).scalar()
        status = conn.execute(text("SELECT status FROM facility WHERE id = :f"), {"f": facility}).scalar()
    assert audited and status == "broken"  # the status history and the audit rows, as before
    engine.dispose()


def test_a_marker_re_marking_a_commune_under_recompute_is_skipped_not_waited_for(
        use_database: str, capsys: pytest.CaptureFixture[str]) -> None:
    _load(capsys)
    engine = create_engine(use_database)
    with engine.connect() as worker, engine.connect() as marker:
        recompute = worker.begin()
        marks = _take(worker, [COMMUNE], 10, wait=False)
        analyse(worker, commune_codes=[COMMUNE])
        pending = marker.begin()  # `phusong analyse` marking the province, not committed yet
        marker.execute(text("UPDATE coverage_stale SET mark = nextval('coverage_stale_mark_seq') "
                            "WHERE commune_code = :c"), {"c": COMMUNE})
        worker.execute(text("SET LOCAL lock_timeout = '5s'"))
        assert _clear(worker, marks) == set()  # skipped, not waited for
        recompute.commit()
        pending.commit()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM coverage_stale WHERE commune_code = :c"),
                            {"c": COMMUNE}).scalar() == 1
    engine.dispose()
