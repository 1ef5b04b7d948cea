"""The administrator's pages as a non-developer meets them (issue 21), at 1366x768 and 390x844: a refused upload
said in Vietnamese without a path or flag, the users with their last login, the add form emptied after adding,
the audit log in words. Screenshots in out/screenshots/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.app.conftest import log_in, screenshot, wait_until

pytestmark = [pytest.mark.db, pytest.mark.browser]

SIZES = {"1366x768": {"viewport": {"width": 1366, "height": 768}},
         "390x844": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}}


@pytest.mark.parametrize("size", list(SIZES))
def test_the_admin_journey(browser: Any, app_url: str, size: str, tmp_path: Path) -> None:
    page = log_in(browser, app_url, "admin", **SIZES[size])
    page.goto(f"{app_url}/quan-tri")
    page.wait_for_selector("#admin-upload", state="attached", timeout=60_000)
    numbered = tmp_path / "abc.csv"
    numbered.write_bytes(b"a,b,c\n1,2,3\n")
    page.set_input_files("#admin-upload input[type=file]", str(numbered))
    page.wait_for_selector("#admin-preview-refused", timeout=30_000)
    said = page.inner_text("#admin-preview-refused")
    assert "đánh thứ tự cột" in said and "no data rows" not in said and "/" not in said.split(":", 1)[0]
    screenshot(page, f"admin_upload_{size}")

    page.click("#admin-tabs a:has-text('Người dùng'), #admin-tabs button:has-text('Người dùng')")
    page.wait_for_selector("#admin-users-table", timeout=30_000)
    assert "Đăng nhập gần nhất" in page.inner_text("#admin-users-table")
    name = f"kiem.tra.{size.replace('x', '_')}"
    page.fill("#admin-user-name", name)
    page.fill("#admin-user-password", "mat-khau-dai")
    page.fill("#admin-user-scope", "11")
    page.click("#admin-user-add")
    page.wait_for_selector("#admin-user-done", timeout=30_000)
    wait_until(page, "() => document.querySelector('#admin-user-name').value === ''")
    assert page.input_value("#admin-user-password") == "" and name in page.inner_text("#admin-users-table")
    screenshot(page, f"admin_users_{size}")

    page.click("#admin-tabs a:has-text('Nhật ký'), #admin-tabs button:has-text('Nhật ký')")
    page.wait_for_selector("#admin-audit-table", timeout=30_000)
    assert "Thêm mới" in page.inner_text("#admin-audit-table")
    screenshot(page, f"admin_audit_{size}")
    page.context.close()
