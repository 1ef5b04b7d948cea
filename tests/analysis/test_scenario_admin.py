"""Saved scenarios kept in order (issue 21): rename, duplicate, delete with the owner rules, audited; totals by
commune and action type with the cost per person reached."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest
from sqlalchemy import create_engine, text

from analysis.scenario_admin import (
    ScenarioMissing,
    ScenarioNameRefused,
    ScenarioNameTaken,
    ScenarioNotYours,
    cost_per_person,
    delete_scenario,
    duplicate_scenario,
    rename_scenario,
    totals_by_commune_and_action,
)
from sql.bulk import set_actor

pytestmark = pytest.mark.db


def _scenario(conn: object, name: str, owner: str) -> int:
    sid = conn.execute(text(  # type: ignore[attr-defined]
        "INSERT INTO scenario (name, owner, budget_vnd, province_code) VALUES (:n, :o, 1000, '11') RETURNING id"),
        {"n": name, "o": owner}).scalar_one()
    conn.execute(text(  # type: ignore[attr-defined]
        "INSERT INTO scenario_action (scenario_id, action, geom, commune_code, cost_vnd, added_population) "
        "VALUES (:s, 'repair_cluster', ST_SetSRID(ST_MakePoint(103, 22), 4326), '03160', 300, 30), "
        "       (:s, 'build_station', ST_SetSRID(ST_MakePoint(103.1, 22), 4326), '03160', 700, 0)"), {"s": sid})
    return int(sid)


def test_rename_duplicate_delete_follow_the_owner_rules(fresh_database: Callable[[], str]) -> None:
    engine = create_engine(fresh_database())
    with engine.begin() as conn:
        set_actor(conn, "an")
        mine, other = _scenario(conn, "Phương án 1/2027", "an"), _scenario(conn, "Phương án B", "binh")
        _scenario(conn, "Đã có", "an")
        renamed = rename_scenario(conn, mine, "  Phương  án   2027 ", actor="an")
        assert renamed.name == "Phương án 2027"
        with pytest.raises(ScenarioNameTaken):
            rename_scenario(conn, mine, "Đã có", actor="an")
        with pytest.raises(ScenarioNameRefused):
            rename_scenario(conn, mine, "   ", actor="an")
        with pytest.raises(ScenarioNotYours):
            rename_scenario(conn, other, "Của tôi", actor="an")
        with pytest.raises(ScenarioNotYours):
            delete_scenario(conn, other, actor="an")
        assert rename_scenario(conn, other, "Sửa bởi quản trị", actor="quantri", may_change_others=True).owner == "binh"
        # Anyone who may read it may duplicate another's scenario: the copy, with its actions, is theirs.
        copy = duplicate_scenario(conn, other, None, actor="an")
        assert (copy.owner, copy.name) == ("an", "Sửa bởi quản trị (bản sao)")
        assert duplicate_scenario(conn, other, None, actor="an").name == "Sửa bởi quản trị (bản sao 2)"
        assert conn.execute(text("SELECT count(*) FROM scenario_action WHERE scenario_id = :i"),
                            {"i": copy.id}).scalar_one() == 2
        assert delete_scenario(conn, mine, actor="an").name == "Phương án 2027"
        assert conn.execute(text("SELECT count(*) FROM scenario_action WHERE scenario_id = :i"),
                            {"i": mine}).scalar_one() == 0
        with pytest.raises(ScenarioMissing):
            delete_scenario(conn, mine, actor="an")
        audited = conn.execute(text(
            "SELECT action FROM audit_log WHERE entity = 'scenario' AND entity_id = :k ORDER BY id"),
            {"k": str(mine)}).scalars().all()
    engine.dispose()
    assert audited[-1].lower().startswith("d") and any(a.lower().startswith("u") for a in audited)


def test_totals_by_commune_and_action_and_cost_per_person() -> None:
    actions = pd.DataFrame({"action": ["repair_cluster", "repair_cluster", "build_station"],
                            "commune_code": ["1", "1", "2"], "commune_name": ["A", "A", None],
                            "cost_vnd": [100.0, 200.0, 900.0], "added_population": [10.0, 20.0, 0.0],
                            "added_villages": [1, 0, 0]})
    totals = totals_by_commune_and_action(actions)
    assert totals.to_dict("records") == [
        {"commune_code": "2", "commune_name": "2", "action": "build_station", "actions": 1, "cost_vnd": 900.0,
         "added_population": 0.0, "added_villages": 0, "cost_per_person": None},
        {"commune_code": "1", "commune_name": "A", "action": "repair_cluster", "actions": 2, "cost_vnd": 300.0,
         "added_population": 30.0, "added_villages": 1, "cost_per_person": 10.0}]
    assert cost_per_person(5, 0) is None
