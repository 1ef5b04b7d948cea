"""Issue 22, session 31: the coverage map's classes and NTM summary for a scope assembled from per-province parts,
each kept under its own province's version (app/province_parts.py, migration 0310): exactly what a fresh
computation gives, before and after a change in one province, and a change in one province makes only that
province's part again."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from analysis.rules import count_passing, judge_communes, read_rule_measures, rule_sets
from app import province_parts
from app.auth import User, scope_binds
from app.components.map_answers import communes_urls
from sql import queries
from sql.settings import get_settings
from tests.app.conftest import page_module

pytestmark = pytest.mark.db

COMMUNE_A, COMMUNE_B = "03160", "03162"  # two demo communes of Điện Biên (11)
OTHER_PROVINCE, OTHER_COMMUNE = "99", "99001"  # a second province, made for these tests and removed after
PLANNER, INSPECTOR = User("parts-all", "planner", ()), User("parts-two", "inspector", (COMMUNE_A, COMMUNE_B))
PROVINCIAL = User("parts-99", "budget", (OTHER_PROVINCE,))


@pytest.fixture()
def two_provinces(demo_database: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The demo with a copy of COMMUNE_A (its outline, its stored coverage) as the one commune of OTHER_PROVINCE."""
    monkeypatch.setenv("PHUSONG_DATABASE_URL", demo_database)
    get_settings.cache_clear()
    engine = create_engine(demo_database)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO admin_unit (version, level, code, name, name_folded, parent_code, province_code, geom) "
            "SELECT version, level, :o, name || ' (thử)', name_folded, :p, :p, geom FROM admin_unit "
            "WHERE version = '2025' AND level = 'commune' AND code = :a"), {"o": OTHER_COMMUNE, "p": OTHER_PROVINCE,
                                                                           "a": COMMUNE_A})
        conn.execute(text("CREATE TEMP TABLE copied ON COMMIT DROP AS "
                          "SELECT * FROM coverage_commune WHERE commune_code = :a; "
                          "UPDATE copied SET commune_code = :o, villages_reached = 0; "
                          "INSERT INTO coverage_commune SELECT * FROM copied"), {"a": COMMUNE_A, "o": OTHER_COMMUNE})
    try:
        yield engine
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM coverage_commune WHERE commune_code = :o"), {"o": OTHER_COMMUNE})
            conn.execute(text("DELETE FROM admin_unit WHERE code = :o"), {"o": OTHER_COMMUNE})
        engine.dispose()
        get_settings.cache_clear()


def _fresh_classes(engine: Engine, user: User) -> dict[str, Any]:
    """The scope's classes as the map made them before parts: every commune of the scope judged at once."""
    with engine.connect() as conn:
        measures = read_rule_measures(conn, {**scope_binds(user), "province": None, "code": None})
        sets = rule_sets(conn)
        found = conn.execute(queries.load("map_commune_classes"), scope_binds(user)).all()
    verdicts = {name: dict(zip(measures["commune_code"].tolist(), judge_communes(measures, s)["passes"].tolist(),
                               strict=True)) for name, s in sets.items()}
    return {"fields": ["class", "share", *(f"pass_{n}" for n in sets)],
            "by_code": {code: {"class": cls, "share": share,
                               **{f"pass_{n}": None if v[code] is None else bool(v[code])
                                  for n, v in verdicts.items()}} for code, cls, share in found}}


def _fresh_summary(engine: Engine, user: User, province: str | None) -> str:
    """The summary as the map made it before parts: every commune of the scope (or province) judged at once."""
    from app.components.rules_view import summary_badge

    with engine.connect() as conn:
        measures = read_rule_measures(conn, {**scope_binds(user), "province": province, "code": None})
        sets = sorted(rule_sets(conn).values(), key=lambda s: s.model.in_force_from)
    counts = count_passing(measures, sets).to_dict("records")
    badge = summary_badge([] if measures.empty else [(s, r["passing"], r["communes"])
                                                     for s, r in zip(sets, counts, strict=True)])
    return str(getattr(badge, "children", None))


def _assembled_summary(user: User, province: str | None) -> str:
    return str(getattr(page_module("coverage_map").rules_summary(user, province), "children", None))


def _check_all(engine: Engine) -> None:
    for user in (PLANNER, INSPECTOR, PROVINCIAL):
        assert province_parts.classes(province_parts.scope_parts(user)) == _fresh_classes(engine, user)
        for province in (None, "11", OTHER_PROVINCE):
            assert _assembled_summary(user, province) == _fresh_summary(engine, user, province)


def test_assembled_answers_are_those_of_a_fresh_computation_after_a_change_in_one_province(
        two_provinces: Engine, flask_client: Any) -> None:
    engine = two_provinces
    rules_summary = page_module("coverage_map").rules_summary  # a page of the app, as Dash loaded it

    with flask_client.application.test_request_context("/"):
        _check_all(engine)
        assert set(province_parts.classes(province_parts.scope_parts(INSPECTOR))["by_code"]) == {COMMUNE_A,
                                                                                                 COMMUNE_B}
        assert set(province_parts.classes(province_parts.scope_parts(PROVINCIAL))["by_code"]) == {OTHER_COMMUNE}
        before = province_parts.scope_parts(PLANNER)
        other_before = before.parts[1]
        assert province_parts.scope_parts(PLANNER).tag == before.tag  # nothing changed: the same parts
        summary = rules_summary(PLANNER, None)
        assert rules_summary(PLANNER, None) is summary  # the same parts: the badge kept, not made again
        urls_before = {u: communes_urls(u, zoom=8)[0]["classes"] for u in (PLANNER, PROVINCIAL)}
        with engine.connect() as conn:
            kept = conn.execute(text("SELECT villages_reached, villages_total, station_operational, "
                                     "commune_culture_houses, ntm_6_3_share, pop_covered_share, class "
                                     "FROM coverage_commune WHERE commune_code = :c"), {"c": COMMUNE_A}).one()
        try:
            with engine.begin() as conn:  # a recompute after which COMMUNE_A meets every indicator, served
                conn.execute(text(
                    "UPDATE coverage_commune SET villages_reached = villages_total, villages_total = "
                    "greatest(villages_total, 1), station_operational = true, commune_culture_houses = 1, "
                    "ntm_6_3_share = 1, pop_covered_share = 1, class = 'served' WHERE commune_code = :c"),
                    {"c": COMMUNE_A})
            after = province_parts.scope_parts(PLANNER)
            assert after.tag != before.tag
            assert after.parts[1] is other_before  # the other province's part kept, not made again
            assert after.parts[0] is not before.parts[0]
            assert all(p is not before.parts[0] for p in province_parts._parts.values())  # 11's older part gone
            _check_all(engine)
            assert rules_summary(PLANNER, None) is not summary
            # The classes' URL of a scope moves with its provinces only: a recompute in 11 leaves 99's.
            assert communes_urls(PLANNER, zoom=8)[0]["classes"] != urls_before[PLANNER]
            assert communes_urls(PROVINCIAL, zoom=8)[0]["classes"] == urls_before[PROVINCIAL]
            assert {v for k, v in province_parts.classes(after)["by_code"][COMMUNE_A].items()
                    if k.startswith("pass_")} == {True}
        finally:
            with engine.begin() as conn:
                conn.execute(text(
                    "UPDATE coverage_commune SET villages_reached = :r, villages_total = :t, station_operational = :s,"
                    " commune_culture_houses = :h, ntm_6_3_share = :n, pop_covered_share = :p, class = :k "
                    "WHERE commune_code = :c"), dict(zip("rtshnpk", kept, strict=True)) | {"c": COMMUNE_A})
        assert province_parts.scope_parts(PLANNER).tag == before.tag  # the same content: the same parts again
        _check_all(engine)


def _versions(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return province_parts.versions(conn)


def test_a_province_version_moves_with_what_its_parts_show_only(two_provinces: Engine) -> None:
    engine = two_provinces
    first = _versions(engine)
    with engine.begin() as conn:  # a recompute storing the same values again: DELETE, then INSERT
        conn.execute(text("CREATE TEMP TABLE again ON COMMIT DROP AS "
                          "SELECT * FROM coverage_commune WHERE commune_code = :c; "
                          "DELETE FROM coverage_commune WHERE commune_code = :c; "
                          "INSERT INTO coverage_commune SELECT * FROM again; "
                          "UPDATE coverage_commune SET computed_at = now() WHERE commune_code = :c"),
                     {"c": COMMUNE_A})
    assert _versions(engine) == first
    with engine.connect() as conn:
        houses = conn.execute(text("SELECT commune_culture_houses FROM coverage_commune WHERE commune_code = :c"),
                              {"c": COMMUNE_A}).scalar()
    with engine.begin() as conn:  # a measure the NTM summary judges changed (the tiles' version would not move)
        conn.execute(text("UPDATE coverage_commune SET commune_culture_houses = :h WHERE commune_code = :c"),
                     {"h": (houses or 0) + 1, "c": COMMUNE_A})
    moved = _versions(engine)
    assert moved["11"] != first["11"] and {k: v for k, v in moved.items() if k != "11"} == {
        k: v for k, v in first.items() if k != "11"}
    with engine.begin() as conn:
        conn.execute(text("UPDATE coverage_commune SET commune_culture_houses = :h WHERE commune_code = :c"),
                     {"h": houses, "c": COMMUNE_A})
        conn.execute(text("UPDATE commune_group SET commune_code = commune_code WHERE false"))
    back = _versions(engine)
    assert back["11"] == first["11"]  # the same content: the same version
    assert back[province_parts.EVERYWHERE] == first[province_parts.EVERYWHERE] + 1  # a commune group write
    with engine.begin() as conn:
        conn.execute(text("SELECT compact_province_answer_change()"))
        rows = conn.execute(text("SELECT count(*) FROM province_answer_change")).scalar_one()
    assert _versions(engine) == back and rows == len(back) - 1  # one row per province and one of no province
