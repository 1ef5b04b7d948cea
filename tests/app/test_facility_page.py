"""A facility page for every role (issue 21): /co-so/<id> with the history of inspections (date, inspector, status,
note, photo thumbnails), photos served within the user's scope only. On today's main there is no such page."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import create_engine, text

from tests.app.conftest import log_in, screenshot, session_as, wait_until

pytestmark = pytest.mark.db

NOTE = "Loa rè, đã báo xã thay củ loa"


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (200, 60, 30)).save(out, "JPEG")
    return out.getvalue()


def _inspected(demo_database: str, commune: str) -> tuple[int, int, str]:
    """(facility id, inspection id, facility name) of a facility of ``commune`` given an inspection with a photo."""
    engine = create_engine(demo_database)
    with engine.begin() as conn:
        facility = conn.execute(text(
            "SELECT id, coalesce(name, '') AS name FROM facility WHERE commune_code = :c ORDER BY id DESC LIMIT 1"),
            {"c": commune}).one()
        inspection = conn.execute(text(
            "INSERT INTO inspection (facility_id, inspector, inspected_at, status_found, note, photo, photo_mime, "
            "source) VALUES (:f, 'kiemtra', '2026-11-20 09:30+07', 'degraded', :note, :photo, 'image/jpeg', 'app') "
            "RETURNING id"), {"f": facility.id, "note": NOTE, "photo": _jpeg()}).scalar_one()
    engine.dispose()
    return facility.id, inspection, facility.name


def test_photos_are_served_within_the_scope_only(flask_client: Any, demo_database: str) -> None:
    _, inside, _ = _inspected(demo_database, "03160")
    _, outside, _ = _inspected(demo_database, "03127")
    session_as(flask_client, "kiemtra")
    whole = flask_client.get(f"/download/inspection-photo/{inside}.jpg")
    assert whole.status_code == 200 and whole.mimetype == "image/jpeg"
    thumb = flask_client.get(f"/download/inspection-photo/{inside}.jpg?size=thumb")
    with Image.open(io.BytesIO(thumb.data)) as image:
        assert max(image.size) == 240
    assert flask_client.get(f"/download/inspection-photo/{outside}.jpg").status_code == 404  # another commune
    session_as(flask_client, "quantri")
    assert flask_client.get(f"/download/inspection-photo/{outside}.jpg").status_code == 200


@pytest.mark.browser
@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_the_facility_page_shows_its_history_to_every_role_within_scope(
        browser: Any, app_url: str, demo_database: str, device: str) -> None:
    facility, _, name = _inspected(demo_database, "03160")
    outside, _, _ = _inspected(demo_database, "03127")
    context = ({"viewport": {"width": 1366, "height": 768}} if device == "desktop" else
               {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True})
    for role in ("planner", "budget", "inspector"):
        page = log_in(browser, app_url, role, **context)
        errors: list[str] = []
        page.on("pageerror", lambda error, errors=errors: errors.append(str(error)))
        page.on("console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{app_url}/co-so/{facility}")
        page.wait_for_selector("#facility-history .history-entry", timeout=30_000)
        assert page.inner_text("#facility-name") == name
        entry = page.locator("#facility-history .history-entry").first.inner_text()
        assert all(part in entry for part in ("20/11/2026 09:30", "kiemtra", "Xuống cấp", NOTE)), entry
        wait_until(page, "document.querySelector('.history-thumb') && "
                         "document.querySelector('.history-thumb').naturalWidth === 240")
        assert not errors and not page.blocked, (errors, page.blocked)
        if role == "inspector":
            screenshot(page, f"facility_{device}_{'1366x768' if device == 'desktop' else '390x844'}")
            page.goto(f"{app_url}/co-so/{outside}")  # a facility of a commune they do not inspect
            page.wait_for_selector("#page-no-access", timeout=30_000)
            assert page.locator("#facility-history").count() == 0
        page.context.close()
