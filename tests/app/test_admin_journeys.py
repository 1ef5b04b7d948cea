"""The administrator's pages as a non-developer meets them (issue 21), at 1366x768 and 390x844: a refused upload
said in Vietnamese without a path or flag, the users with their last login, the add form emptied after adding,
the audit log in words. Screenshots in out/screenshots/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tests.app.conftest import log_in, screenshot, wait_until

pytestmark = [pytest.mark.db, pytest.mark.browser]

SIZES = {"1366x768": {"viewport": {"width": 1366, "height": 768}},
         "390x844": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}}


def pick(page: Any, dropdown: str, typed: str, option: str) -> None:
    """Choose in a dcc.Dropdown as a person does: open it, type, click the option shown."""
    for attempt in range(3):  # the national list holds ~3,400 units: on a busy machine the menu may redraw
        page.click(dropdown)
        page.keyboard.type(typed)
        try:
            page.locator("[role=option]", has_text=option).first.click(timeout=30_000)
            return
        except Exception:  # noqa: BLE001 - Playwright's TimeoutError: close the menu and type again
            if attempt == 2:
                raise
            page.keyboard.press("Escape")
    page.keyboard.press("Escape")


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
    pick(page, "#admin-user-scope", "Điện Biên", "Điện Biên (11)")  # the scope by name, shown "Tên (mã)"
    page.click("#admin-user-add")
    page.wait_for_selector("#admin-user-done", timeout=30_000)
    wait_until(page, "() => document.querySelector('#admin-user-name').value === ''")
    assert page.input_value("#admin-user-password") == "" and name in page.inner_text("#admin-users-table")
    assert "Điện Biên (11)" in page.inner_text("#admin-users-table")
    screenshot(page, f"admin_users_{size}")

    # The role/scope editor: the user picked by name, made a planner of one commune found by its code.
    pick(page, "#admin-edit-user", name, name)
    wait_until(page, "() => document.querySelector('#admin-edit-role').value === 'inspector'")
    page.select_option("#admin-edit-role", "planner")
    page.click("#admin-edit-scope .dash-dropdown-clear, #admin-edit-scope [aria-label='Clear all']")
    pick(page, "#admin-edit-scope", "03162", "(03162)")
    screenshot(page, f"admin_user_editor_{size}")
    page.click("#admin-edit-save")
    page.wait_for_selector("#admin-edit-done", timeout=30_000)
    row = page.locator("#admin-users-table tr", has_text=name).inner_text()
    assert "Cán bộ quy hoạch" in row, row
    assert "(03162)" in row and "(11)" not in row, row
    screenshot(page, f"admin_user_edited_{size}")

    page.click("#admin-tabs a:has-text('Nhật ký'), #admin-tabs button:has-text('Nhật ký')")
    try:
        page.wait_for_selector("#admin-audit-table", timeout=60_000)
    except Exception:
        screenshot(page, f"admin_audit_failed_{size}")
        raise
    assert "Thêm mới" in page.inner_text("#admin-audit-table")
    assert page.inner_text("#admin-audit-pages").startswith("Trang 1/")
    # The object filter: the user just added, its creation and the editor's change, then the XLSX of them.
    page.select_option("#admin-audit-entity", "app_user")
    page.fill("#admin-audit-entity-id", name)
    page.press("#admin-audit-entity-id", "Enter")
    wait_until(page, "() => (document.querySelector('#admin-audit-pages') || {}).innerText === 'Trang 1/1 · 2 dòng'")
    screenshot(page, f"admin_audit_{size}")
    with page.expect_download(timeout=60_000) as info:
        page.click("#admin-audit-export")
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    rows = list(openpyxl.load_workbook(target)["Nhật ký thay đổi"].iter_rows(values_only=True))
    assert len(rows) == 3 and {r[2] for r in rows[1:]} == {"Thêm mới", "Sửa"}
    page.context.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_the_password_reset_journey(browser: Any, app_url: str, demo_database: str, size: str) -> None:
    """The admin resets a password and reads the temporary one once; its user must change it at the next login
    before anything else, then works as usual."""
    from sqlalchemy import create_engine

    from app.auth import add_user

    name = f"doi.mk.{size.replace('x', '_')}"
    engine = create_engine(demo_database)
    with engine.begin() as conn:
        add_user(conn, name, "mat-khau-cu-1", role="inspector", scope_codes=["03162"], actor="test")
    engine.dispose()
    admin = log_in(browser, app_url, "admin", **SIZES[size])
    admin.goto(f"{app_url}/quan-tri")
    admin.click("#admin-tabs a:has-text('Người dùng'), #admin-tabs button:has-text('Người dùng')")
    pick(admin, "#admin-edit-user", name, name)
    admin.once("dialog", lambda dialog: dialog.accept())  # "Đặt lại mật khẩu của …?"
    admin.click("#admin-edit-reset")
    admin.wait_for_selector("#admin-reset-done", timeout=30_000)
    temporary = admin.inner_text("#admin-reset-password").strip()
    assert "chờ đổi mật khẩu" in admin.locator("#admin-users-table tr", has_text=name).inner_text()
    screenshot(admin, f"admin_password_reset_{size}")
    admin.context.close()

    page = browser.new_context(**SIZES[size]).new_page()
    page.goto(f"{app_url}/login")
    page.fill("#login-name", name)
    page.fill("#login-password", temporary)
    page.click("#login-submit")
    page.wait_for_selector("#password-form", timeout=30_000)
    assert "đặt lại mật khẩu" in page.inner_text("#password-why")
    page.goto(f"{app_url}/xuat-bao-cao")  # any page leads back to the form
    page.wait_for_selector("#password-form", timeout=30_000)
    page.fill("#password-password", temporary)
    page.fill("#password-new_password", "mat-khau-moi-1")
    page.fill("#password-new_password_again", "mat-khau-moi-2")
    page.click("#password-submit")
    page.wait_for_selector("#password-error", timeout=30_000)
    assert "không giống" in page.inner_text("#password-error")
    screenshot(page, f"password_change_{size}")
    page.fill("#password-password", temporary)
    page.fill("#password-new_password", "mat-khau-moi-1")
    page.fill("#password-new_password_again", "mat-khau-moi-1")
    page.click("#password-submit")
    page.wait_for_selector("#nav-logout", state="attached", timeout=30_000)
    assert "/doi-mat-khau" not in page.url
    screenshot(page, f"password_changed_{size}")
    page.context.close()
