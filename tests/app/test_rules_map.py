"""The coverage map under both NTM rule sets (issue 18), in the served app and Debian's Chromium."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import create_engine

from analysis.rules import compare_verdicts, count_passing, read_rule_measures, rule_sets
from tests.app.conftest import log_in, screenshot

pytestmark = [pytest.mark.db, pytest.mark.browser]


def test_planner_sees_both_sets_in_the_panel_the_summary_and_the_map_colours(
    browser: Any, app_url: str, demo_database: str
) -> None:
    engine = create_engine(demo_database)
    with engine.connect() as conn:
        sets = sorted(rule_sets(conn).values(), key=lambda s: s.model.in_force_from)
        province = read_rule_measures(conn, {"whole_country": True, "scope": [], "province": None, "code": None})
        commune = read_rule_measures(conn, {"whole_country": True, "scope": [], "province": None, "code": "03160"})
    engine.dispose()
    expected_lines, _ = compare_verdicts(commune.iloc[0].to_dict(), sets)
    counts = count_passing(province, sets).to_dict("records")

    page = log_in(browser, app_url, "planner", viewport={"width": 1366, "height": 850})
    page.goto(app_url)
    page.wait_for_selector("#map-main .leaflet-overlay-pane canvas", timeout=30_000)
    page.wait_for_selector("#map-rules-summary", timeout=20_000)
    summary = page.inner_text("#map-rules-summary")
    assert f"Đạt NTM theo QĐ 318: {counts[0]['passing']}/45" in summary
    assert f"Đạt NTM theo QĐ 51 (tạm tính): {counts[1]['passing']}/45" in summary

    page.fill("#map-search", "Muong Nhe")
    page.click("text=Mường Nhé · Điện Biên")
    page.wait_for_selector("#map-panel-rules", timeout=20_000)
    shown = page.inner_text("#map-panel-rules")
    assert shown == ", ".join(expected_lines)
    # No group loaded: QĐ 51 judges the commune as group 2 and says the group is not known; QĐ 318 has no groups.
    assert "theo QĐ 51 nhóm chưa xác định (tính như nhóm 2) (tạm tính)" in shown
    assert "theo QĐ 318:" in shown or "đạt theo QĐ 318," in shown

    page.click("#map-colour-by label:has-text('Đạt NTM theo QĐ 51')")
    page.wait_for_selector("#map-legend b:has-text('Đạt NTM theo QĐ 51 (tạm tính)')", timeout=10_000)
    assert "Chưa đạt" in page.inner_text("#map-legend")
    screenshot(page, "map_rules_qd51")
    assert page.blocked == []  # type: ignore[attr-defined]
    page.context.close()
