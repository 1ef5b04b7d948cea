"""Issue 22: two web processes and one `phusong worker` against one database. A save through one web process is
seen by the other (same session, same data), and the worker, woken by PostgreSQL, brings its commune current
while the web processes compute nothing; a long export asked of one web process is made by the worker and
downloaded from the other, by its own user only."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import requests
from sqlalchemy import create_engine, text

from sql.cluster import free_loopback_port
from sql.settings import PROJECT_ROOT
from tests.app.conftest import LOGINS, _wait_for_port, as_app_role

pytestmark = [pytest.mark.db]

COMMUNE = "03162"  # in the demo inspector's scope


def _start(args: list[str], url: str, log: Path, **env: str) -> subprocess.Popen[bytes]:
    full_env = {**os.environ, "PHUSONG_DATABASE_URL": url, **env}
    full_env.pop("PHUSONG_TILE_URL", None)
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-m", "app.cli", *args], env=full_env, cwd=PROJECT_ROOT,
                                stdout=out, stderr=subprocess.STDOUT)


@pytest.fixture(scope="module")
def two_webs_and_a_worker(demo_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    """Two `phusong serve --workers 1` (each its own gunicorn) on their own ports and one `phusong worker`."""
    logs = tmp_path_factory.mktemp("processes")
    processes = [_start(["worker", "--poll", "30"], demo_database, logs / "worker.log")]
    bases = []
    try:
        for name in ("a", "b"):
            port = free_loopback_port()
            log = logs / f"web-{name}.log"
            # Every export larger than one commune goes to the worker here (default: more than 400 communes).
            process = _start(["serve", "--workers", "1", "--threads", "4"], as_app_role(demo_database), log,
                             PHUSONG_PORT=str(port), PHUSONG_EXPORT_WORKER_ROWS="1")
            processes.append(process)
            _wait_for_port(port, process, log)
            bases.append(f"http://127.0.0.1:{port}")
        yield bases
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        assert "recomputed" in (logs / "worker.log").read_text(), (logs / "worker.log").read_text()


def _login(base: str, role: str) -> requests.Session:
    name, password = LOGINS[role]
    session = requests.Session()
    form = session.get(f"{base}/login", timeout=30).text
    token = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    answer = session.post(f"{base}/login", data={"name": name, "password": password, "csrf_token": token},
                          allow_redirects=False, timeout=30)
    assert answer.status_code == 302, answer.text[:300]
    return session


def _save_payload(key: str, facility_id: int, submission: str) -> dict[str, Any]:
    outputs = [{"id": i, "property": p} for i, p in (
        ("insp-result", "children"), ("insp-saved-count", "data"), ("insp-selected", "data"),
        ("insp-form-error", "children"), ("insp-pending", "data"), ("insp-poll", "disabled"),
        ("insp-poll", "max_intervals"), ("insp-confirm", "is_open"), ("insp-last-saved", "data"))]
    state = (("insp-selected", "data", facility_id), ("insp-status", "value", "broken"),
             ("insp-note", "value", "two processes"), ("insp-photo-data", "data", None),
             ("insp-location", "data", None), ("insp-submission", "data", submission),
             ("insp-saved-count", "data", 0), ("insp-visited", "value", None))
    inputs = [{"id": "insp-save", "property": "n_clicks", "value": 1},
              {"id": "insp-confirm-yes", "property": "n_clicks", "value": None},
              {"id": "insp-confirm-no", "property": "n_clicks", "value": None}]
    return {"output": key, "outputs": outputs, "inputs": inputs,
            "state": [{"id": i, "property": p, "value": v} for i, p, v in state],
            "changedPropIds": ["insp-save.n_clicks"]}


def _save_key(session: requests.Session, base: str) -> str:
    session.get(f"{base}/kiem-tra", timeout=30)
    for dependency in session.get(f"{base}/_dash-dependencies", timeout=30).json():
        if "insp-pending.data" in dependency["output"]:  # the save (other callbacks also write insp-result)
            return str(dependency["output"])
    raise AssertionError("no save callback in /_dash-dependencies")


def test_a_save_in_one_web_process_is_seen_in_the_other_and_the_worker_makes_its_commune_current(
        two_webs_and_a_worker: list[str], demo_database: str) -> None:
    web_a, web_b = two_webs_and_a_worker
    engine = create_engine(demo_database)
    with engine.connect() as conn:
        facility = int(conn.execute(text(
            "SELECT id FROM facility WHERE commune_code = :c AND status <> 'broken' ORDER BY id LIMIT 1"),
            {"c": COMMUNE}).scalar_one())
    inspector = _login(web_a, "inspector")
    submission = f"two-processes:{time.time_ns()}"
    answer = inspector.post(f"{web_a}/_dash-update-component",
                            json=_save_payload(_save_key(inspector, web_a), facility, submission), timeout=60)
    assert answer.status_code == 200 and "Đã lưu" in json.dumps(answer.json(), ensure_ascii=False)

    # The other process: the same browser session (sessions live in PostgreSQL) sees the saved status.
    seen = inspector.get(f"{web_b}/ogcapi/collections/facilities/items/{facility}", timeout=30)
    assert seen.status_code == 200, seen.text[:300]
    assert seen.json()["properties"]["status"] == "broken"

    # The worker (woken by NOTIFY, not by its 30 s poll) recomputes the commune within a few seconds.
    deadline = time.monotonic() + 20
    current = False
    while time.monotonic() < deadline and not current:
        with engine.connect() as conn:
            current = bool(conn.execute(text(
                "SELECT NOT EXISTS (SELECT 1 FROM coverage_stale WHERE commune_code = :c) "
                "AND EXISTS (SELECT 1 FROM coverage_run r JOIN inspection i ON i.submission_id = :s "
                "            WHERE r.scope = :c AND r.computed_at >= i.recorded_at)"),
                {"c": COMMUNE, "s": submission}).scalar())
        time.sleep(0.5)
    engine.dispose()
    assert current, "the commune was not recomputed after the save"
    # And web B answers the commune with its figures of after the save.
    commune = inspector.get(f"{web_b}/ogcapi/collections/communes/items/{COMMUNE}", timeout=30)
    assert commune.status_code == 200, commune.text[:300]


def test_a_long_export_is_made_by_the_worker_and_downloaded_from_either_web_process(
        two_webs_and_a_worker: list[str]) -> None:
    web_a, web_b = two_webs_and_a_worker
    budget = _login(web_a, "budget")
    asked = budget.get(f"{web_a}/download/report.xlsx?province=11", allow_redirects=False, timeout=60)
    assert asked.status_code == 303, asked.text[:300]
    job_page = asked.headers["Location"]
    assert job_page.startswith("/download/job/")

    # Someone else (even an administrator) does not see the job: as missing as one that never was.
    assert _login(web_b, "admin").get(f"{web_b}{job_page}", timeout=30).status_code == 404
    assert requests.get(f"{web_b}{job_page}", timeout=30).status_code == 401

    deadline, page = time.monotonic() + 120, budget.get(f"{web_b}{job_page}", timeout=30)
    while page.status_code == 202 and time.monotonic() < deadline:  # "being prepared": refreshes itself
        assert 'http-equiv="refresh"' in page.text and "đang được chuẩn bị" in page.text
        time.sleep(1)
        page = budget.get(f"{web_b}{job_page}", timeout=30)
    assert page.status_code == 200, page.text[:500]
    assert f'url={job_page}/file' in page.text and "export-job-file" in page.text

    got = budget.get(f"{web_b}{job_page}/file", timeout=60)
    assert got.status_code == 200
    assert got.headers["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert "phusong_bao_cao_" in got.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(got.content), read_only=True)
    parameters = {row[0]: row[1] for row in book["Tham số"].iter_rows(values_only=True) if row and row[0]}
    assert parameters.get("Người xuất") == "taichinh"
    assert _login(web_a, "planner").get(f"{web_a}{job_page}/file", timeout=30).status_code == 404
