"""Issue 22: long exports made by the worker (app/export_jobs.py). The whole journey across two web processes
and a real `phusong worker` is tests/app/test_processes.py; here, what a job does when it cannot be made, and
that without separate workers every export still comes at once."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from app.coverage_refresh import run_worker
from app.export_jobs import run_export_jobs
from tests.app.test_auth import _as

pytestmark = pytest.mark.db


def _queue(database: str, user: str, **values: Any) -> int:
    engine = create_engine(database)
    with engine.begin() as conn:
        job = int(conn.execute(text(
            "INSERT INTO export_job (user_name, kind, fmt, province_code, scenario_id) "
            "VALUES (:user, :kind, :fmt, :province, :scenario) RETURNING id"),
            {"user": user, "kind": "report_xlsx", "fmt": "xlsx", "province": "11", "scenario": None, **values},
        ).scalar_one())
    engine.dispose()
    return job


def test_a_job_that_cannot_be_made_says_why_on_its_page(flask_client: Any, demo_database: str) -> None:
    job = _queue(demo_database, "taichinh", scenario=999999)  # the scenario was deleted after the job was queued
    engine = create_engine(demo_database)
    assert run_export_jobs(engine) >= 1
    with engine.connect() as conn:
        status, error = conn.execute(text("SELECT status, error FROM export_job WHERE id = :id"), {"id": job}).one()
    engine.dispose()
    assert status == "failed" and "999999" in error
    _as(flask_client, "taichinh")
    page = flask_client.get(f"/download/job/{job}")
    assert page.status_code == 404 and "999999" in page.get_data(as_text=True)
    assert flask_client.get(f"/download/job/{job}/file").status_code == 404  # no file under a spreadsheet name


def test_a_job_of_a_locked_account_is_not_made(demo_database: str) -> None:
    engine = create_engine(demo_database)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO app_user (name, password_hash, role, active) "
                          "VALUES ('khoa-xuat', 'x', 'budget', false) ON CONFLICT (name) DO NOTHING"))
    job = _queue(demo_database, "khoa-xuat")
    run_export_jobs(engine)
    with engine.connect() as conn:
        status, content = conn.execute(text("SELECT status, content FROM export_job WHERE id = :id"),
                                       {"id": job}).one()
    engine.dispose()
    assert status == "failed" and content is None


def test_without_separate_workers_a_national_export_comes_at_once(flask_client: Any,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHUSONG_EXPORT_WORKER_ROWS", "1")  # even above the threshold: no worker runs apart
    _as(flask_client, "taichinh")
    got = flask_client.get("/download/gaps.csv")
    assert got.status_code == 200 and got.headers["Content-Type"].startswith("text/csv")
    monkeypatch.setenv("PHUSONG_COVERAGE_REFRESH", "worker")  # `phusong serve --workers N`
    queued = flask_client.get("/download/gaps.csv")
    assert queued.status_code == 303 and queued.headers["Location"].startswith("/download/job/")
    waiting = flask_client.get(queued.headers["Location"])
    assert waiting.status_code == 202 and 'http-equiv="refresh"' in waiting.get_data(as_text=True)


def test_with_separate_workers_every_pdf_is_a_job_and_the_same_ask_is_the_same_job(
        flask_client: Any, demo_database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHUSONG_COVERAGE_REFRESH", "worker")  # `phusong serve --workers N`
    monkeypatch.setenv("PHUSONG_EXPORT_WORKER_ROWS", "100000")  # no export is large: a PDF still goes
    _as(flask_client, "taichinh")
    assert flask_client.get("/download/gaps.csv?province=11").status_code == 200  # small: at once
    asked = [flask_client.get("/download/report.pdf?province=11") for _ in range(2)]
    assert [a.status_code for a in asked] == [303, 303]
    job = asked[0].headers["Location"]
    assert asked[1].headers["Location"] == job  # asked again: the same job, made once
    engine = create_engine(demo_database)
    try:
        with engine.begin() as conn:  # a recompute stores coverage: the next ask is a new file
            conn.execute(text("INSERT INTO data_change (topic) VALUES ('coverage')"))
        assert flask_client.get("/download/report.pdf?province=11").headers["Location"] != job
        _as(flask_client, "quyhoach")  # another user (another scope): never the budget user's job
        theirs = flask_client.get("/download/report.pdf?province=11")
        assert theirs.status_code == 303 and theirs.headers["Location"] != job
        assert flask_client.get(job).status_code == 404
    finally:
        with engine.begin() as conn:  # the shared demo database: leave no job for other tests' workers
            conn.execute(text("DELETE FROM export_job WHERE kind = 'report_pdf' AND status = 'queued'"))
        engine.dispose()


def test_the_worker_brings_coverage_current_between_two_exports(demo_database: str) -> None:
    """A save while the worker makes a PDF waits for that one export, not for the whole queue behind it."""
    engine = create_engine(demo_database)
    with engine.connect() as conn:
        commune = conn.execute(text("SELECT commune_code FROM coverage_commune WHERE commune_code IN "
                                    "(SELECT code FROM commune WHERE province_code = '11') LIMIT 1")).scalar_one()
    queued = [_queue(demo_database, "taichinh"), _queue(demo_database, "taichinh")]
    stale_after_each: list[bool] = []

    def one_export_then_a_save(bind: Any) -> int:
        made = run_export_jobs(bind, at_most=1)
        with bind.connect() as conn:  # was the save during the previous export brought current before this one?
            stale_after_each.append(bool(conn.execute(text("SELECT count(*) FROM coverage_stale")).scalar_one()))
        if made:
            with bind.begin() as conn:  # an inspector's save marks its commune stale while the export is made
                conn.execute(text("INSERT INTO coverage_stale (commune_code) VALUES (:c) ON CONFLICT DO NOTHING"),
                             {"c": commune})
        return made

    tally = run_worker(engine, once=True, jobs=one_export_then_a_save)
    with engine.connect() as conn:
        left = conn.execute(text("SELECT count(*) FROM coverage_stale")).scalar_one()
        done = conn.execute(text("SELECT count(*) FROM export_job WHERE id = ANY(:ids) AND status = 'done'"),
                            {"ids": queued}).scalar_one()
    engine.dispose()
    assert done == 2 and tally.exports >= 2
    assert left == 0 and tally.communes >= 2  # recomputed after each export, the last one too
    assert stale_after_each[1:] == [False] * (len(stale_after_each) - 1)


def _until(check: Any, what: str, log: Path, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout_s:.0f} s for {what}:\n{log.read_text()}")
        time.sleep(0.2)


def test_a_stale_commune_never_waits_for_an_export(demo_communes: Engine, use_database: str, tmp_path: Path) -> None:
    """`phusong worker` makes the exports in a second process (`--only exports`, niced): while an export is stuck
    (here: behind a lock on export_job that nothing but exports takes), the coverage is still brought current.
    With the exports in the coverage's own loop, the second save's commune waited for the export. A database of
    its own, so that no other process (the app served for the browser tests) recomputes for the worker."""
    from tests.app.test_processes import _start

    engine = demo_communes
    run_worker(engine, once=True)  # every commune current before the worker under test starts
    with engine.connect() as conn:
        first, second = conn.execute(text("SELECT commune_code FROM coverage_commune WHERE commune_code IN (SELECT "
                                          "code FROM commune WHERE province_code = '11') ORDER BY 1 DESC LIMIT 2"))
    log = tmp_path / "worker.log"
    worker = _start(["worker", "--poll", "30"], use_database, log)

    def stale(code: str) -> bool:
        with engine.connect() as conn:
            return bool(conn.execute(text("SELECT count(*) FROM coverage_stale WHERE commune_code = :c"),
                                     {"c": code}).scalar_one())

    def mark(code: str) -> None:  # what a save's trigger does (and its NOTIFY wakes the worker)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO coverage_stale (commune_code) VALUES (:c) ON CONFLICT DO NOTHING"),
                         {"c": code})
    try:
        _until(lambda: log.read_text().count("listening for") == 2, "the worker and its exports process", log)
        exports = [int(line.split()[2].rstrip(":")) for line in log.read_text().splitlines()
                   if "listening for queued exports" in line]
        assert os.getpriority(os.PRIO_PROCESS, exports[0]) > os.getpriority(os.PRIO_PROCESS, worker.pid)
        with engine.connect() as blocker, blocker.begin():
            blocker.execute(text("LOCK TABLE export_job IN ACCESS EXCLUSIVE MODE"))  # every export now waits
            mark(first[0])
            _until(lambda: not stale(first[0]), f"commune {first[0]} current", log)
            mark(second[0])   # a save while an export is stuck
            _until(lambda: not stale(second[0]), f"commune {second[0]} current while an export is stuck", log)
            blocker.rollback()
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        engine.dispose()
    assert "stopped after" in log.read_text()


def test_the_mixed_load_starts_the_worker_as_the_unit_does(tmp_path: Path) -> None:
    """bench.mixed_load gives `phusong worker` the unit's Nice; the unit sets none (the coverage is what an
    inspector waits on; its exports process nices itself)."""
    from bench._support import deployed_nice

    unit = tmp_path / "phusong-worker@.service"
    unit.write_text("[Service]\nExecStart=/bin/true\nNice=7\n")
    assert deployed_nice(unit) == 7
    assert deployed_nice() == 0


def test_saves_close_together_share_one_coverage_pass(demo_communes: Engine, use_database: str, tmp_path: Path) -> None:
    """After a save's notification the coverage worker waits --gather seconds for the saves that follow: three
    saves half a second apart are one pass (one run), not three passes of ~0.06 s of CPU each. A database of its
    own: on the session's demo database the app served for the browser tests recomputes too, and took the three
    communes first once in CI (two runs, none of them the worker's)."""
    from tests.app.test_processes import _start

    engine = demo_communes
    run_worker(engine, once=True)  # every commune current before the worker under test starts
    with engine.connect() as conn:
        codes = list(conn.execute(text("SELECT commune_code FROM coverage_commune WHERE commune_code IN (SELECT "
                                        "code FROM commune WHERE province_code = '11') ORDER BY 1 DESC OFFSET 2 "
                                        "LIMIT 3")).scalars())
    log = tmp_path / "worker.log"
    worker = _start(["worker", "--poll", "30", "--gather", "3", "--only", "coverage"], use_database, log)
    try:
        _until(lambda: "listening for" in log.read_text(), "the worker", log)
        time.sleep(1.0)  # its first pass (nothing stale) is over
        with engine.connect() as conn:
            before = conn.execute(text("SELECT coalesce(max(id), 0) FROM coverage_run")).scalar_one()
        for code in codes:
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO coverage_stale (commune_code) VALUES (:c) ON CONFLICT DO NOTHING"),
                             {"c": code})
            time.sleep(0.5)

        def current() -> bool:
            with engine.connect() as conn:
                return not conn.execute(text("SELECT count(*) FROM coverage_stale WHERE commune_code = ANY(:c)"),
                                        {"c": codes}).scalar_one()
        _until(current, "the three communes current", log)
        with engine.connect() as conn:
            runs = conn.execute(text("SELECT count(*) FROM coverage_run WHERE id > :b"), {"b": before}).scalar_one()
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        engine.dispose()
    assert len(codes) == 3 and runs == 1, log.read_text()
