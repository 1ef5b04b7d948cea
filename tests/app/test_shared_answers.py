"""Issue 22: the coverage map's communes are answers kept once for all web processes (app/shared_answers.py,
app/components/map_answers.py): never given to a user of another scope, never older than the data."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import create_engine, text

from app import shared_answers
from app.auth import User
from app.components.map_answers import map_communes
from tests.app.conftest import page_module

pytestmark = pytest.mark.db

COMMUNE_A, COMMUNE_B = "03160", "03162"  # two demo communes of Điện Biên (11)



def _codes(collection: dict[str, Any]) -> set[str]:
    return {f["properties"]["code"] for f in collection["features"]}


def _forget_this_process() -> None:
    """As another web process would be: nothing kept in memory, only the machine's shared cache."""
    with shared_answers._lock:
        shared_answers._local.clear()


def test_users_of_different_scopes_never_get_each_others_answer(demo_env: str) -> None:
    one, other = User("scope-a", "inspector", (COMMUNE_A,)), User("scope-b", "inspector", (COMMUNE_B,))
    everyone = User("scope-all", "planner", ())
    for _ in range(2):  # the second round is answered from the kept answers, in this process then in another
        assert _codes(map_communes(one, zoom=8)) == {COMMUNE_A}
        assert _codes(map_communes(other, zoom=8)) == {COMMUNE_B}
        assert {COMMUNE_A, COMMUNE_B} < _codes(map_communes(everyone, zoom=8))
        # The same view past zoom 9 (an envelope round both communes): still each user's own communes only.
        view = {"zoom": 10, "bounds": [[21.0, 102.0], [23.0, 104.0]]}
        assert _codes(map_communes(one, **view)) <= {COMMUNE_A}
        assert _codes(map_communes(other, **view)) <= {COMMUNE_B}
        _forget_this_process()
    # And the keys themselves: the scope is part of every one.
    assert shared_answers.scope_key(one) != shared_answers.scope_key(other) != shared_answers.scope_key(everyone)


def _class_of(collection: dict[str, Any], code: str) -> Any:
    return next(f["properties"] for f in collection["features"] if f["properties"]["code"] == code)


def test_a_kept_answer_is_never_older_than_the_data(demo_env: str) -> None:
    user = User("fresh", "inspector", (COMMUNE_A,))
    engine = create_engine(demo_env)
    with engine.connect() as conn:
        before_class, before_name = conn.execute(text(
            "SELECT cc.class, a.name FROM coverage_commune cc JOIN admin_unit a ON a.code = cc.commune_code "
            "AND a.level = 'commune' AND a.version = '2025' WHERE cc.commune_code = :c"), {"c": COMMUNE_A}).one()
    changed_class = "served" if before_class != "served" else "unserved"
    first = _class_of(map_communes(user, zoom=8), COMMUNE_A)
    assert first["class"] == before_class and first["name"] == before_name
    try:
        with engine.begin() as conn:  # a recompute storing another class, then a boundary load renaming it
            conn.execute(text("UPDATE coverage_commune SET class = :k WHERE commune_code = :c"),
                         {"k": changed_class, "c": COMMUNE_A})
        assert _class_of(map_communes(user, zoom=8), COMMUNE_A)["class"] == changed_class
        with engine.begin() as conn:
            conn.execute(text("UPDATE admin_unit SET name = name || ' (mới)' WHERE code = :c AND level = 'commune' "
                              "AND version = '2025'"), {"c": COMMUNE_A})
        _forget_this_process()  # another process reading the machine's cache sees the new version too
        again = _class_of(map_communes(user, zoom=8), COMMUNE_A)
        assert again["name"] == f"{before_name} (mới)" and again["class"] == changed_class
    finally:
        with engine.begin() as conn:
            conn.execute(text("UPDATE coverage_commune SET class = :k WHERE commune_code = :c"),
                         {"k": before_class, "c": COMMUNE_A})
            conn.execute(text("UPDATE admin_unit SET name = :n WHERE code = :c AND level = 'commune' "
                              "AND version = '2025'"), {"n": before_name, "c": COMMUNE_A})
        engine.dispose()
    assert _class_of(map_communes(user, zoom=8), COMMUNE_A)["class"] == before_class


def test_the_maps_poll_reads_the_version_at_most_twice_a_second(demo_env: str, flask_client: Any,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Every open map polls the coverage version every 1.5 s: a process answers the polls of half a second with
    one read (session 30), and a change shows at the next read."""
    coverage_map = page_module("coverage_map")  # the page as Dash loaded it
    monkeypatch.setattr(coverage_map, "_version_kept", None)
    monkeypatch.setattr(coverage_map, "VERSION_KEPT_S", 60.0)
    first = coverage_map.coverage_version_kept()
    engine = create_engine(demo_env)
    try:
        with engine.begin() as conn:  # a commune waiting for its recompute: the version the pages poll moves
            conn.execute(text("INSERT INTO coverage_stale (commune_code) VALUES (:c) ON CONFLICT DO NOTHING"),
                         {"c": COMMUNE_B})
        assert coverage_map.coverage_version_kept() is first  # kept: not read again
        monkeypatch.setattr(coverage_map, "VERSION_KEPT_S", 0.0)
        assert coverage_map.coverage_version_kept() != first
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM coverage_stale WHERE commune_code = :c"), {"c": COMMUNE_B})
        engine.dispose()


def test_compacting_the_changes_keeps_every_version(demo_env: str) -> None:
    engine = create_engine(demo_env)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO data_change (topic) VALUES ('coverage'), ('coverage'), ('boundaries')"))
        before = shared_answers.data_version(conn)
        conn.execute(text("SELECT compact_data_change()"))
        after = shared_answers.data_version(conn)
        rows = conn.execute(text("SELECT count(*) FROM data_change")).scalar_one()
    engine.dispose()
    assert before == after and rows <= 3
