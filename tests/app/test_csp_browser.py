"""The pages still work under the Content-Security-Policy (issue 14 item 7): every page, opened in Chromium as a
role that uses it, draws its content and logs no CSP violation."""

from __future__ import annotations

from typing import Any

import pytest

from tests.app.conftest import log_in

pytestmark = [pytest.mark.db, pytest.mark.browser]

# (role, path, a selector the page shows once its callbacks have run)
PAGES = [
    ("planner", "/", "#map-main"),
    ("planner", "/ke-hoach", "#plan-map"),
    ("budget", "/xuat-bao-cao", "#exports-xlsx"),
    ("inspector", "/kiem-tra", "#insp-list"),
    ("admin", "/quan-tri", "#admin-tabs"),
    ("planner", "/phan-anh", "#fb-table table"),
]


@pytest.mark.parametrize(("role", "path", "ready"), PAGES, ids=[p[1] for p in PAGES])
def test_each_page_works_with_no_csp_violation(browser: Any, app_url: str, role: str, path: str, ready: str) -> None:
    page = log_in(browser, app_url, role)
    messages: list[str] = []
    page.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: messages.append(f"pageerror: {error}"))
    page.goto(f"{app_url}{path}")
    page.wait_for_selector(ready, state="attached", timeout=30_000)
    page.wait_for_timeout(1_000)  # late callbacks (the map's layers) run too
    violations = [m for m in messages if "Content Security Policy" in m or "Content-Security-Policy" in m]
    assert not violations, violations
    assert page.evaluate("document.querySelectorAll('#_dash-app-content, #react-entry-point').length") >= 1
    page.context.close()
