"""On a phone (390x844) the tables of the inspector's pages and of the admin page fit the screen (issue 21/23
leftover): no sideways scrolling of the page, nor of a table inside its own scroll box; their rows stack into
labelled cells instead. A screenshot of each is saved under out/screenshots/ (phone_tables_*.png)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.app.conftest import log_in, screenshot, wait_until

pytestmark = [pytest.mark.db, pytest.mark.browser]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
# What sticks out of the phone's 390 px: the page itself, any table past the screen's right edge, any scroll box
# wider inside than out. (Not window.innerWidth: a phone's browser widens its layout to the content that overflows.)
OVERFLOW = """(width) => {
  const out = [];
  if (document.documentElement.scrollWidth > width) out.push('page ' + document.documentElement.scrollWidth);
  for (const el of document.querySelectorAll('table, .table-responsive')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0) continue;  // on a tab not shown
    if (box.right > width + 1) out.push((el.id || el.className) + ' right ' + Math.round(box.right));
    if (el.scrollWidth > el.clientWidth + 1) out.push((el.id || el.className) + ' scrolls ' + el.scrollWidth);
  }
  return out;
}"""


def _prepare(url: str) -> int:
    """What the pages show: a token of the inspector (the account's table), the shared inspection plan (its
    tables), and a facility in the inspector's scope (returned)."""
    from app.live_gis.tokens import create_token
    from tests.app.plan_helpers import demo_plan

    demo_plan(url)
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            create_token(conn, "kiemtra", name="QGIS trên máy tính bảng của trạm", actor="test")
            return int(conn.execute(text(
                "SELECT f.id FROM facility f JOIN commune c ON c.code = f.commune_code "
                "JOIN app_user u ON u.name = 'kiemtra' "
                "WHERE f.commune_code = ANY(u.scope_codes) OR c.province_code = ANY(u.scope_codes) "
                "ORDER BY f.id LIMIT 1")).scalar_one())
    finally:
        engine.dispose()


PAGES = ["inspection", "facility", "account", "inspection-plan", "admin-upload", "admin-users", "admin-audit"]


@pytest.mark.parametrize(("role", "path", "tab", "shown"), [
    ("inspector", "/kiem-tra", None, "#insp-items"),
    ("inspector", "/co-so/{facility}", None, "#facility-name"),
    ("inspector", "/tai-khoan", None, "#account-tokens-table"),
    ("admin", "/ke-hoach-kiem-tra", None, "#iplan-commune-table"),
    ("admin", "/quan-tri", None, "#admin-loads"),
    ("admin", "/quan-tri", "Người dùng", "#admin-users-table"),
    ("admin", "/quan-tri", "Nhật ký thay đổi", "#admin-audit-table"),
], ids=PAGES)
def test_tables_fit_a_phone(app_url: str, demo_database: str, browser: Any, role: str, path: str, tab: str | None,
                            shown: str, request: pytest.FixtureRequest) -> None:
    facility = _prepare(demo_database)
    page = log_in(browser, app_url, role, **PHONE)
    page.goto(app_url + path.format(facility=facility))
    if tab:
        page.get_by_role("tab", name=tab).click()
    page.wait_for_selector(shown, state="visible", timeout=30_000)
    wait_until(page, "() => document.readyState === 'complete'")
    page.wait_for_timeout(800)  # the callbacks' tables drawn, the layout settled
    screenshot(page, "phone_tables_" + request.node.callspec.id + "_390x844")
    assert page.evaluate(OVERFLOW, PHONE["viewport"]["width"]) == [], path
    assert not page.blocked


def test_an_upload_preview_fits_a_phone(app_url: str, browser: Any, tmp_path: Any) -> None:
    """The preview of a survey with a rejected row (a long value in it) is read on a phone without scrolling
    sideways; nothing is loaded (the preview only)."""
    survey = tmp_path / "khao_sat_dien_thoai.csv"
    survey.write_text(
        "Mã thiết chế,Tên thiết chế,Loại thiết chế,Công nghệ,Xã/Phường,Thôn/Bản,Kinh độ,Vĩ độ,Tình trạng\n"
        "DT-1,Cụm loa điện thoại 1,Cụm loa truyền thanh,Không dây (FM),Mường Nhé,,102.43,22.20,Hoạt động\n"
        "DT-2,Cụm loa điện thoại 2,Cụm loa truyền thanh,Không dây (FM),Mường Nhé,,"
        "102.4312345678901234567890_kinh_do_go_nham_vao_o_nay,22.21,Hoạt động\n", encoding="utf-8")
    page = log_in(browser, app_url, "admin", **PHONE)
    page.goto(f"{app_url}/quan-tri")
    page.set_input_files("#admin-upload input[type=file]", str(survey))
    page.wait_for_selector("#admin-preview-rejects", state="visible", timeout=60_000)
    page.wait_for_timeout(500)
    screenshot(page, "phone_tables_admin-upload-preview_390x844")
    assert "kinh_do_go_nham" in page.inner_text("#admin-preview-rejects")
    assert page.evaluate(OVERFLOW, PHONE["viewport"]["width"]) == []
    assert not page.blocked
