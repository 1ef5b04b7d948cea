"""The inspector page's new callbacks (issue 21) refuse what lies outside the user's scope or is not their own:
the correction of another commune's inspection, of another inspector's, and the map's points of another commune.
(The route x role table is tests/app/test_route_scope.py.)"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.app.conftest import session_as

pytestmark = pytest.mark.db


def _callback(flask_client: Any, name: str) -> tuple[str, dict[str, Any]]:
    return next((key, entry) for key, entry in flask_client.dash_app.callback_map.items()
                if getattr(entry.get("callback"), "__name__", "") == name)


def _inspection(demo_database: str, inside: bool, inspector: str = "kiemtra") -> int:
    engine = create_engine(demo_database)
    with engine.begin() as conn:
        found = conn.execute(text(
            "INSERT INTO inspection (facility_id, inspector, inspected_at, status_found, source) "
            "SELECT id, :who, now(), 'broken', 'app' FROM facility WHERE (commune_code IN ('03160', '03162')) = :in "
            "ORDER BY id LIMIT 1 RETURNING id"), {"who": inspector, "in": inside}).scalar_one()
    engine.dispose()
    return int(found)


def _open_correction(flask_client: Any, inspection_id: int) -> Any:
    key, _ = _callback(flask_client, "open_correction")
    pattern = {"type": "insp-correct", "id": inspection_id}
    outputs = [{"id": part.split("@")[0].rsplit(".", 1)[0], "property": part.split("@")[0].rsplit(".", 1)[1]}
               for part in key.strip(".").split("...")]
    payload = {
        "output": key, "outputs": outputs,
        "inputs": [[{"id": pattern, "property": "n_clicks", "value": 1}],
                   {"id": "insp-correct-cancel", "property": "n_clicks", "value": None}],
        "state": [],
        "changedPropIds": [json.dumps(pattern, separators=(",", ":"), sort_keys=True) + ".n_clicks"],
    }
    return flask_client.post("/_dash-update-component", json=payload)


def test_a_correction_opens_only_for_the_users_own_inspection_in_scope(flask_client: Any,
                                                                       demo_database: str) -> None:
    session_as(flask_client, "kiemtra")
    own = _inspection(demo_database, inside=True)
    assert _open_correction(flask_client, own).status_code == 200
    assert _open_correction(flask_client, _inspection(demo_database, inside=False)).status_code == 403
    assert _open_correction(flask_client, _inspection(demo_database, True, "someone-else")).status_code == 403


def test_the_map_shows_no_facility_outside_the_scope(flask_client: Any, demo_database: str) -> None:
    key, entry = _callback(flask_client, "map_facilities")
    outputs = [{"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]}
               for part in key.strip(".").split("...")]
    values = {"insp-filter-commune": "03127"}  # a commune of Điện Biên the inspector does not inspect
    payload = {"output": key, "outputs": outputs,
               "inputs": [{"id": d["id"], "property": d["property"], "value": values.get(d["id"])}
                          for d in entry["inputs"]],
               "state": [], "changedPropIds": ["insp-filter-commune.value"]}
    session_as(flask_client, "kiemtra")
    answer = flask_client.post("/_dash-update-component", json=payload)
    assert answer.status_code == 200
    assert json.loads(answer.data)["response"]["insp-map-points"]["children"] == []
    session_as(flask_client, "quantri")  # the admin sees that commune's facilities
    answer = flask_client.post("/_dash-update-component", json=payload)
    assert len(json.loads(answer.data)["response"]["insp-map-points"]["children"]) > 0
