"""The audit log as an administrator reads it (issue 21): Vietnamese action and object names, and a change as
"field: before → after" lines instead of JSON."""

from __future__ import annotations

import json
from typing import Any

from app.audit_words import ACTIONS, ENTITIES, change_text, word
from tests.app.test_auth import _as, _dash


def test_a_change_reads_as_before_and_after() -> None:
    before = {"id": 7, "status": "working", "note": None, "updated_at": "x"}
    after = {"id": 7, "status": "broken", "note": "Loa rè", "updated_at": "y"}
    assert change_text(before, after) == ["note: – → Loa rè", "status: working → broken"]
    assert change_text(None, {"name": "an", "scope_codes": ["11"]}) == ["name: an", "scope_codes: 11"]
    assert word(ACTIONS, "bulk_insert", "vi") == "Nạp tệp" and word(ENTITIES, "app_user", "en") == "User"
    assert word(ACTIONS, "password_reset", "vi") == "Đặt lại mật khẩu"  # issue 21: the admin's reset


def test_the_audit_tab_shows_vietnamese_words_and_no_json(flask_client: Any) -> None:
    _as(flask_client, "quantri")
    outputs = [("admin-audit", "children"), ("admin-audit-page", "data"), ("admin-audit-pages", "children"),
               ("admin-audit-export", "href"), ("admin-audit-refused", "children")]
    inputs = [("admin-tabs", "active_tab", "admin-tab-audit")] + [
        (f"admin-audit-{name}", "value", None) for name in ("since", "until", "user", "entity", "entity-id")] + [
        ("admin-audit-prev", "n_clicks", None), ("admin-audit-next", "n_clicks", None)]
    answered = _dash(flask_client, outputs, inputs, [("admin-audit-page", "data", 0)])
    shown = json.dumps(answered.get_json(), ensure_ascii=False)
    assert any(vi in shown for vi, _ in ACTIONS.values()) and any(vi in shown for vi, _ in ENTITIES.values())
    assert not any(f'"{code}"' in shown for code in ("insert", "update", "bulk_insert", "app_user", "facility"))
