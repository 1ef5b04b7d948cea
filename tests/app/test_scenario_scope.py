"""Scenarios as an attacker on the network tries them (issue 14 item 4, issue 21's budget officer): every download
that reads a scenario checks scope over it, scenarios are addressed by id, and a download never answers with the
app's HTML page under a spreadsheet's name."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import create_engine, text

from app.auth import add_user
from tests.app.test_auth import _as, _dash

pytestmark = pytest.mark.db

SLASHED = "Phương án 1/2027"


@pytest.fixture()
def scenarios(flask_client: Any, demo_database: str) -> Iterator[dict[str, int]]:
    """The demo's scenario of Điện Biên (11), a copy of it named with a '/', and planners of 11 and of 12."""
    engine = create_engine(demo_database)
    with engine.begin() as conn:
        for name, scope in (("quyhoach12", ["12"]), ("quyhoach11", ["11"]), ("quyhoachxa", ["03160"])):
            if conn.execute(text("SELECT 1 FROM app_user WHERE name = :n"), {"n": name}).first() is None:
                add_user(conn, name, "mat-khau-dai", role="planner", scope_codes=scope)
        demo = conn.execute(text("SELECT id FROM scenario WHERE owner = 'demo'")).scalar_one()
        slashed = conn.execute(text(
            """INSERT INTO scenario (name, owner, budget_vnd, province_code, params)
               SELECT :name, 'quyhoach11', budget_vnd, province_code, params FROM scenario WHERE id = :id
               RETURNING id"""), {"name": SLASHED, "id": demo}).scalar_one()
        conn.execute(text("""INSERT INTO scenario_action (scenario_id, action, facility_id, geom, commune_code,
                                                          cost_vnd, added_population, added_villages)
                             SELECT :new, action, facility_id, geom, commune_code, cost_vnd, added_population,
                                    added_villages FROM scenario_action WHERE scenario_id = :id"""),
                     {"new": slashed, "id": demo})
    yield {"demo": demo, "slashed": slashed}
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM scenario WHERE id = :id"), {"id": slashed})
    engine.dispose()


def _downloads(scenario_id: int) -> list[str]:
    return [f"/download/report.xlsx?scenario={scenario_id}", f"/download/report.pdf?scenario={scenario_id}",
            *(f"/download/scenario/{scenario_id}.{fmt}" for fmt in ("xlsx", "csv", "gpkg"))]


COMPARE = [("plan-compare", "children")]


def test_a_planner_of_another_province_reads_no_scenario_of_this_one(flask_client: Any,
                                                                      scenarios: dict[str, int]) -> None:
    for name in ("quyhoach12", "quyhoachxa"):  # another province; a commune scope is not the whole province
        _as(flask_client, name)
        for url in _downloads(scenarios["demo"]):
            refused = flask_client.get(url)
            assert refused.status_code == 403, url
            assert "Content-Disposition" not in refused.headers and not refused.data.startswith(b"PK")
        compare = _dash(flask_client, COMPARE, [("plan-compare-a", "value", scenarios["demo"]),
                                                ("plan-compare-b", "value", scenarios["slashed"])])
        assert compare.status_code == 403
        picker = _dash(flask_client, [("exports-links", "children"), ("exports-scenario-links", "children")],
                       [("exports-province", "value", None), ("exports-scenario", "value", scenarios["demo"])])
        assert picker.status_code == 200 and "/download/scenario/" not in picker.get_data(as_text=True)
    _as(flask_client, "quyhoach11")
    for url in _downloads(scenarios["demo"]):
        answered = flask_client.get(url)
        assert answered.status_code == 200 and "attachment" in answered.headers["Content-Disposition"], url
    compare = _dash(flask_client, COMPARE, [("plan-compare-a", "value", scenarios["demo"]),
                                            ("plan-compare-b", "value", scenarios["slashed"])])
    assert compare.status_code == 200 and SLASHED in json.dumps(compare.get_json(), ensure_ascii=False)


def test_the_pickers_list_only_scenarios_in_scope_and_say_whose(flask_client: Any, scenarios: dict[str, int]) -> None:
    from app.auth import User
    from app.components.common import scenario_options

    with flask_client.application.test_request_context():
        outside = scenario_options(User("quyhoach12", "planner", ("12",)))
        inside = scenario_options(User("quyhoach11", "planner", ("11",)))
    assert scenarios["demo"] not in [o["value"] for o in outside]
    labels = {o["value"]: o["label"] for o in inside}
    assert SLASHED in labels[scenarios["slashed"]] and "quyhoach11" in labels[scenarios["slashed"]]
    assert "demo" in labels[scenarios["demo"]]


def test_a_scenario_named_with_a_slash_downloads_as_a_workbook_never_as_the_page(flask_client: Any,
                                                                                  scenarios: dict[str, int]) -> None:
    _as(flask_client, "taichinh")
    xlsx = flask_client.get(f"/download/scenario/{scenarios['slashed']}.xlsx")
    assert xlsx.status_code == 200 and xlsx.data.startswith(b"PK")
    assert load_workbook(io.BytesIO(xlsx.data))["Hạng mục"].max_row > 1
    report = flask_client.get(f"/download/report.xlsx?province=11&scenario={scenarios['slashed']}")
    assert report.status_code == 200 and report.data.startswith(b"PK")
    # What the page linked to before: the name in the path. Now no route: a 404 page, never HTML as a file.
    for url in ("/download/scenario/Ph%C6%B0%C6%A1ng%20%C3%A1n%201%2F2027.xlsx", "/download/scenario/x.xlsx",
                "/download/nothing.xlsx", f"/download/report.xlsx?scenario={SLASHED}",
                "/download/scenario/999999.xlsx"):
        failed = flask_client.get(url)
        assert failed.status_code == 404, url
        assert failed.mimetype == "text/html" and "Content-Disposition" not in failed.headers, url
        assert b"_dash-renderer" not in failed.data and b"error-message" in failed.data, url
