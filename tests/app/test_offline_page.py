"""The offline inspector page in Chromium on a phone viewport (issue 20): log in online, load the area pack, lose
the connection, record two inspections (one with a photo), reload with no connection (the service worker serves
the page, IndexedDB keeps the two), reconnect: both are stored exactly once, the commune is current and the badge
is at 0. And two inspectors from the same pack: the earlier one's page says who decided the status, and when."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import create_engine, text

from app.auth import add_user
from tests.app.conftest import log_in, screenshot, wait_until
from tests.app.offline_helpers import jpeg

pytestmark = [pytest.mark.db, pytest.mark.browser]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "locale": "vi-VN",
         "timezone_id": "Asia/Ho_Chi_Minh", "permissions": ["geolocation"]}
READY = "document.body?.dataset.ready === '1'"  # no body yet while the login's redirect loads
BADGE = "document.getElementById('td-badge').dataset.count"


@pytest.fixture(autouse=True)
def _no_open_tasks(demo_database: str) -> Any:
    """These tests order the list by where the inspector stands; the inspection-plan tests (issue 23) leave the
    demo inspector open assignments, which the list puts first ("Việc của tôi"). Set them aside meanwhile."""
    engine = create_engine(demo_database)
    with engine.begin() as conn:
        set_aside = conn.execute(text("UPDATE inspection_assignment SET status = 'removed' "
                                      "WHERE inspector = 'kiemtra' AND status = 'open' RETURNING id")).scalars().all()
    yield
    with engine.begin() as conn:
        conn.execute(text("UPDATE inspection_assignment SET status = 'open' WHERE id = ANY(:ids) "
                          "AND status = 'removed'"), {"ids": list(set_aside)})
    engine.dispose()


def _facility(url: str, commune: str, pick: int) -> dict[str, Any]:
    engine = create_engine(url)
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT id, name, ST_X(geom) AS lon, ST_Y(geom) AS lat FROM facility WHERE commune_code = :c "
            "AND status <> 'decommissioned' ORDER BY id DESC OFFSET :p LIMIT 1"), {"c": commune, "p": pick})
        found = dict(row.mappings().one())
    engine.dispose()
    return found


def _metres_between(url: str, a: int, b: int) -> float:
    engine = create_engine(url)
    with engine.connect() as conn:
        metres = conn.execute(text(
            "SELECT ST_Distance(x.geom::geography, y.geom::geography) FROM facility x, facility y "
            "WHERE x.id = :a AND y.id = :b"), {"a": a, "b": b}).scalar_one()
    engine.dispose()
    return float(metres)


def _open_offline_page(page: Any, app_url: str) -> None:
    page.goto(f"{app_url}/thuc-dia/")
    wait_until(page, READY)
    wait_until(page, "navigator.serviceWorker.controller !== null")  # the page is under the service worker
    wait_until(page, "document.querySelectorAll('#td-list .td-item').length > 0")


def _record(page: Any, facility_id: int, status: str, photo: bytes | None = None) -> None:
    page.click(f"#td-f-{facility_id}")
    page.click(f"#td-status-{status}")
    page.fill("#td-note", f"{status} — ghi khi không có sóng")
    if photo:
        page.set_input_files("#td-photo", files=[{"name": "anh.jpg", "mimeType": "image/jpeg", "buffer": photo}])
        wait_until(page, "document.querySelectorAll('#td-photos img').length === 1")
    page.click("#td-save")


def test_an_inspector_records_offline_and_each_inspection_arrives_once(browser: Any, app_url: str,
                                                                       demo_database: str) -> None:
    near, other = _facility(demo_database, "03162", 0), _facility(demo_database, "03162", 1)
    page = log_in(browser, app_url, "inspector", geolocation={"longitude": near["lon"], "latitude": near["lat"]},
                  **PHONE)
    _open_offline_page(page, app_url)
    wait_until(page, "document.getElementById('td-where').textContent.includes('±')")
    cdp = page.context.new_cdp_session(page)  # Chrome's own check that the page can be installed
    errors = {e["errorId"] for e in cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]}
    assert errors <= {"in-incognito"}, errors  # a test's browser context is incognito; a phone's is not
    assert not cdp.send("Page.getAppManifest")["errors"]
    first = int(page.evaluate("document.querySelector('#td-list .td-item').dataset.id"))
    # The facility where the inspector stands comes first (or one at the very same spot: a station and its
    # cluster may share a point, and earlier tests may have added one there).
    assert first == near["id"] or _metres_between(demo_database, first, near["id"]) < 1.0, first
    page.context.set_offline(True)
    wait_until(page, "!navigator.onLine")
    _record(page, near["id"], "broken")
    wait_until(page, f"{BADGE} === '1'")
    _record(page, other["id"], "degraded", photo=jpeg(3000, 2000))
    wait_until(page, f"{BADGE} === '2'")
    page.reload()  # still offline: only the service worker can answer
    wait_until(page, READY)
    assert page.inner_text("#td-badge") == "2 chưa gửi"
    assert page.locator("#td-pending .td-pending-item").count() == 2
    assert "1 ảnh" in page.inner_text("#td-pending")
    uuids = page.evaluate("window.PhusongStore.listPending().then(l => l.map(i => i.uuid))")
    screenshot(page, "offline-390-pending")
    page.context.set_offline(False)
    wait_until(page, f"{BADGE} === '0'", timeout=60_000)
    screenshot(page, "offline-390-sent")
    engine = create_engine(demo_database)
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT i.client_uuid::text AS uuid, i.facility_id, i.status_found, i.accuracy_m, "
            "(SELECT array_agg(p.photo) FROM inspection_photo p WHERE p.inspection_id = i.id) AS photos "
            "FROM inspection i WHERE i.client_uuid::text = ANY(:u)"), {"u": uuids}).mappings().all()
        stale = conn.execute(text("SELECT count(*) FROM coverage_stale WHERE commune_code = '03162'")).scalar()
    engine.dispose()
    assert sorted(r["uuid"] for r in rows) == sorted(uuids) and len(rows) == 2  # each exactly once
    by_facility = {r["facility_id"]: r for r in rows}
    assert by_facility[near["id"]]["status_found"] == "broken" and by_facility[near["id"]]["accuracy_m"] is not None
    photos = by_facility[other["id"]]["photos"]
    assert len(photos) == 1 and max(Image.open(io.BytesIO(photos[0])).size) == 1600  # shrunk on the phone
    assert stale == 0, "the commune's coverage is current after the sync"
    wait_until(page, f"document.getElementById('td-f-{near['id']}').textContent.includes('Hư hỏng')")
    assert not page.blocked
    page.set_viewport_size({"width": 1366, "height": 768})
    screenshot(page, "offline-1366")


def _log_in_as(browser: Any, app_url: str, name: str, password: str, **context: Any) -> Any:
    page = browser.new_context(**context).new_page()
    page.goto(f"{app_url}/login?next=/thuc-dia/")
    page.fill("#login-name", name)
    page.fill("#login-password", password)
    page.click("#login-submit")
    wait_until(page, READY)
    return page


def test_two_inspectors_offline_on_one_facility_the_earlier_sees_who_decided(browser: Any, app_url: str,
                                                                             demo_database: str) -> None:
    engine = create_engine(demo_database)
    with engine.begin() as conn:
        if conn.execute(text("SELECT 1 FROM app_user WHERE name = 'kiemtra3'")).first() is None:
            add_user(conn, "kiemtra3", "kiemtra3-demo", role="inspector", scope_codes=["03162"])
    engine.dispose()
    target = _facility(demo_database, "03162", 4)
    where = {"geolocation": {"longitude": target["lon"], "latitude": target["lat"]}, **PHONE}
    early = log_in(browser, app_url, "inspector", **where)
    late = _log_in_as(browser, app_url, "kiemtra3", "kiemtra3-demo", **where)
    for page in (early, late):
        _open_offline_page(page, app_url)
        page.context.set_offline(True)
    _record(early, target["id"], "broken")
    early.wait_for_timeout(1200)  # a minute's difference is not needed: the later inspection time decides
    _record(late, target["id"], "operational")
    early.context.set_offline(False)  # the earlier inspection reaches the server first ...
    wait_until(early, f"{BADGE} === '0'", timeout=60_000)
    late.context.set_offline(False)  # ... then the later one, made from the same pack
    wait_until(late, f"{BADGE} === '0'", timeout=60_000)
    early.click("#td-update")
    label = f"#td-f-{target['id']} .td-conflict"
    wait_until(early, f"document.querySelector('{label}') !== null", timeout=30_000)
    text_shown = early.inner_text(label)
    assert text_shown.startswith("Trạng thái đã được kiemtra3 cập nhật lúc ") and text_shown[-5:-3].isdigit()
    screenshot(early, "offline-390-conflict")
    engine = create_engine(demo_database)
    with engine.connect() as conn:
        found = conn.execute(text("SELECT inspector, status_found FROM inspection WHERE facility_id = :f AND "
                                  "client_uuid IS NOT NULL ORDER BY inspected_at"), {"f": target["id"]}).all()
        status = conn.execute(text("SELECT status FROM facility WHERE id = :f"), {"f": target["id"]}).scalar()
    engine.dispose()
    assert [tuple(r) for r in found] == [("kiemtra", "broken"), ("kiemtra3", "operational")]
    assert status == "operational"
