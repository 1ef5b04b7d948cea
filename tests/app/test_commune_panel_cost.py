"""Issue 22, session 31: the commune panel (1,146 asks under the full mixed load, not cacheable as a whole) made
with less CPU and the same answer: its facilities as plain dicts (the JSON small_table gives), its NTM sentences
kept per stored measures and rule sets (what compare_verdicts gives for the row as stored now)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import create_engine, text

from app.auth import User
from app.components import rules_view
from app.components.common import small_table
from app.components.coverage_views import text_table
from app.dash_json import to_json
from sql.settings import get_settings

COMMUNE = "03160"  # a demo commune of Điện Biên (11)


def test_the_plain_table_is_the_same_json_as_small_table() -> None:
    header = ["Loại", "Tình trạng", "Kiểm tra gần nhất"]
    body = [["Cụm loa · Bản A", "Hoạt động", "05/12/2026"], ["Đài </script>", None, "Chưa kiểm tra"],
            ["too", "many", "cells", "cut"]]
    assert to_json(text_table(header, body, id="map-panel-facilities")) == to_json(
        small_table(header, body, id="map-panel-facilities"))



def _fresh(url: str, user: User) -> str:
    """The sentences as the panel made them before: read, judged and worded at every ask."""
    from analysis.rules import compare_verdicts, read_rule_measures, rule_sets
    from app.auth import scope_binds

    engine = create_engine(url)
    with engine.connect() as conn:
        measures = read_rule_measures(conn, {**scope_binds(user), "province": None, "code": COMMUNE})
        sets = sorted(rule_sets(conn).values(), key=lambda s: s.model.in_force_from)
    engine.dispose()
    return ", ".join(compare_verdicts(measures.iloc[0].to_dict(), sets)[0])


def _shown(user: User) -> str:
    return str(rules_view.panel_verdicts(COMMUNE, user).children[1].children)


@pytest.mark.db
def test_the_panels_sentences_are_kept_per_stored_measures(demo_env: str, flask_client: Any,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    user = User("panel", "inspector", (COMMUNE,))
    judged: list[str] = []
    compare = rules_view.compare_verdicts
    monkeypatch.setattr(rules_view, "compare_verdicts", lambda row, sets: judged.append(row["commune_code"])
                        or compare(row, sets))
    rules_view._kept_lines.clear()
    engine = create_engine(demo_env)
    with engine.connect() as conn:
        houses, reached, share = conn.execute(text(
            "SELECT commune_culture_houses, villages_reached, ntm_6_3_share FROM coverage_commune "
            "WHERE commune_code = :c"), {"c": COMMUNE}).one()
    with flask_client.application.test_request_context("/"):
        first = _shown(user)
        assert first == _fresh(demo_env, user) and _shown(user) == first
        assert judged == [COMMUNE]  # the second ask judged nothing
        try:
            with engine.begin() as conn:  # a recompute storing another measure the sets judge
                conn.execute(text("UPDATE coverage_commune SET commune_culture_houses = :h, villages_reached = "
                                  "villages_total, ntm_6_3_share = 1 WHERE commune_code = :c"),
                             {"h": (houses or 0) + 5, "c": COMMUNE})
            again = _shown(user)
            assert again == _fresh(demo_env, user) and again != first and judged == [COMMUNE, COMMUNE]
        finally:
            with engine.begin() as conn:
                conn.execute(text("UPDATE coverage_commune SET commune_culture_houses = :h, villages_reached = :r, "
                                  "ntm_6_3_share = :s WHERE commune_code = :c"),
                             {"h": houses, "r": reached, "s": share, "c": COMMUNE})
            engine.dispose()


@pytest.mark.db
def test_the_panel_is_kept_by_what_it_is_made_of(flask_client: Any) -> None:
    """Every open map with a commune selected redraws its panel at each new coverage version: the same rows give
    the panel kept; a changed row (a facility renamed) gives the panel a fresh computation gives."""
    import sys

    from tests.app.conftest import session_as
    from tests.app.test_auth import _dash

    def panel() -> str:
        answer = _dash(flask_client, [("map-panel", "children"), ("map-main", "viewport")],
                       [("map-selected", "data", COMMUNE)])
        assert answer.status_code == 200
        return str(answer.get_json()["response"]["map-panel"]["children"])

    session_as(flask_client, "quyhoach")
    # The page's module as Dash loaded it from the pages folder (its callbacks are that module's functions).
    coverage_map = next(m for name, m in list(sys.modules.items())
                        if name.endswith("coverage_map") and hasattr(m, "_panels") and m._panels is not None
                        and any(getattr(m, "show_commune", None) is getattr(cb.get("callback"), "__wrapped__", None)
                                for cb in flask_client.dash_app.callback_map.values()))
    coverage_map._panels.clear()
    first = panel()
    kept = list(coverage_map._panels.values())
    assert panel() == first and list(coverage_map._panels.values()) == kept and len(kept) == 1
    engine = create_engine(get_settings().sqlalchemy_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE facility SET name = coalesce(name, '') || ' (đổi tên)' WHERE id = "
                              "(SELECT min(id) FROM facility WHERE commune_code = :c)"), {"c": COMMUNE})
        changed = panel()
        coverage_map._panels.clear()
        assert changed != first and "(đổi tên)" in changed and panel() == changed  # as made afresh
    finally:
        with engine.begin() as conn:
            conn.execute(text("UPDATE facility SET name = nullif(replace(name, ' (đổi tên)', ''), '') WHERE id = "
                              "(SELECT min(id) FROM facility WHERE commune_code = :c)"), {"c": COMMUNE})
        engine.dispose()
