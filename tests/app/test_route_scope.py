"""Every Flask route and every Dash callback, walked as each role with out-of-scope arguments (issue 14).

The tables below say, for each route and callback, who may use it. The test fails when the app has a route or a
callback the tables do not name (so a new one needs a rule), when a role outside the rule is not refused (401 for
nobody, 403 for a wrong role) and when an argument outside the user's scope is answered.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from app.auth import add_user
from tests.app.test_auth import _as

pytestmark = pytest.mark.db

# The users: the demo's (the inspector covers communes 03160 and 03162 of Điện Biên, 11) and a planner of
# province 12, for whom everything of the demo is out of scope.
USERS = {"planner12": "quyhoach12", "inspector": "kiemtra", "budget": "taichinh", "admin": "quantri"}
ROLE_OF = {"planner12": "planner", "inspector": "inspector", "budget": "budget", "admin": "admin"}
EVERYONE = ("planner", "inspector", "budget", "admin")
OPEN = "open"  # no login needed

# ----------------------------------------------------------------------------------------------------- routes
# rule -> (a URL to try, roles that may use it). Anonymous users are sent to /login (302) from pages and get
# 401 from downloads; OPEN routes answer everyone.
ROUTES: dict[str, tuple[str, Any]] = {
    "/static/<path:filename>": ("/static/none.css", OPEN),
    "/assets/<path:filename>": ("/assets/phusong.css", OPEN),
    "/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>":
        ("{suite}", OPEN),
    "/_favicon.ico": ("/_favicon.ico", OPEN),
    "/login": ("/login", OPEN),
    "/logout": ("/logout", OPEN),
    "/lang/<code>": ("/lang/en", OPEN),
    "/healthz": ("/healthz", OPEN),
    "/_dash-layout": ("/_dash-layout", EVERYONE),
    "/_dash-dependencies": ("/_dash-dependencies", EVERYONE),
    "/_reload-hash": ("/_reload-hash", EVERYONE),
    "/": ("/", EVERYONE),
    "/<path:path>": ("/ke-hoach", EVERYONE),  # each page's layout shows its own refusal (tested per page)
    "/_dash-update-component": ("", "callbacks"),  # walked callback by callback below
    "/download/gaps.<fmt>": ("/download/gaps.csv?province=11", ("planner", "budget", "admin")),
    "/download/report.xlsx": ("/download/report.xlsx?province=11&scenario={scenario}", ("planner", "budget", "admin")),
    "/download/report.pdf": ("/download/report.pdf?province=11&scenario={scenario}", ("planner", "budget", "admin")),
    "/download/map.html": ("/download/map.html?province=11", ("planner", "budget", "admin")),
    "/download/scenario/<int:scenario_id>.<fmt>": ("/download/scenario/{scenario}.csv", ("planner", "budget", "admin")),
    "/download/periodic/<province>/<period>.<fmt>": ("/download/periodic/11/{period}.xlsx",
                                                     ("planner", "budget", "admin")),
    "/download/<path:rest>": ("/download/anything.xlsx", "not found"),
    # GIS clients (issue 19): a token or a session; features are filtered to the user's scope in the query
    # (tests/app/test_live_gis.py checks a scoped token sees only its communes).
    "/ogcapi": ("/ogcapi", EVERYONE),
    "/ogcapi/": ("/ogcapi/", EVERYONE),
    "/ogcapi/api": ("/ogcapi/api", EVERYONE),
    "/ogcapi/conformance": ("/ogcapi/conformance", EVERYONE),
    "/ogcapi/collections": ("/ogcapi/collections", EVERYONE),
    "/ogcapi/collections/<cid>": ("/ogcapi/collections/gaps", ("planner", "budget", "admin")),
    "/ogcapi/collections/<cid>/items": ("/ogcapi/collections/gaps/items?limit=2", ("planner", "budget", "admin")),
    "/ogcapi/collections/<cid>/items/<fid>": ("/ogcapi/collections/facilities/items/{outside_facility}",
                                              "scoped"),  # outside the inspector's and planner12's communes
    "/tiles/<cid>.json": ("/tiles/gaps.json", ("planner", "budget", "admin")),
    "/tiles/<cid>/<int:z>/<int:x>/<int:y>.mvt": ("/tiles/gaps/8/202/113.mvt", ("planner", "budget", "admin")),
}
# Answers 401 to nobody (machine clients), where pages send a browser to /login.
API_PREFIXES = ("/download", "/ogcapi", "/tiles")
SCOPED_ARGUMENTS = ("/download", "/ogcapi/collections/<cid>/items/<fid>")

# ------------------------------------------------------------------------------------------------- callbacks
# "module.function" -> (roles, inputs to send). "clientside": runs in the browser, no server code. "background":
# the request starts a job (the role check runs first in the job); the gate refuses anonymous requests.
CALLBACKS: dict[str, Any] = {
    "clientside": "clientside",
    "dash.dash.update": (EVERYONE, {}),  # Dash's page switch: each page's layout refuses roles itself
    "pages.exports.links": (("planner", "budget", "admin"), {}),
    "pages.exports.periodic_links": (("planner", "budget", "admin"), {}),
    "pages.inspection.preview_offline_upload": (("inspector", "admin"), {"insp-upload.contents": None}),
    "pages.inspection.record_offline_upload": (("inspector", "admin"), {"insp-upload-confirm.n_clicks": None}),
    "pages.inspection.list_facilities": (("inspector", "admin"), {}),
    # UI state only (which row was tapped, no data): open_form checks the facility's scope.
    "pages.inspection.choose_facility": (EVERYONE, {}),
    "pages.inspection.open_form": (("inspector", "admin"), {"insp-selected.data": None}),
    "pages.inspection.show_form_location": (EVERYONE, {}),
    "pages.inspection.save_inspection": (("inspector", "admin"), {"insp-save.n_clicks": None}),
    "pages.inspection.follow_recomputation": (("inspector", "admin"), {"insp-pending.data": None}),
    "pages.admin.preview_upload": (("admin",), {"admin-upload.contents": None}),
    "pages.admin.confirm_load": "background",
    "pages.admin.ask_to_deactivate": (("admin",), {"admin-user-deactivate.n_clicks": None}),
    "pages.admin.change_users": (("admin",), {"admin-user-add.n_clicks": None}),
    "pages.admin.show_audit": (("admin",), {"admin-tabs.active_tab": "admin-tab-users"}),
    "pages.feedback._refresh": (EVERYONE, {}),
    "pages.feedback._save": (("admin", "planner", "inspector"), {"fb-new-save.n_clicks": None}),
    "pages.feedback._act": (("admin", "planner", "inspector"), {"fb-act-id.value": None}),
    # UI state only (which row was clicked): show_report checks the report's scope.
    "pages.feedback.select_report": (EVERYONE, {}),
    "pages.feedback.show_report": (EVERYONE, {"fb-act-id.value": None}),
    "pages.feedback.pick_place": (EVERYONE, {"fb-map.clickData": None}),
    "pages.planning.run_plan": "background",
    "pages.planning.save_plan": (("planner", "budget", "admin"), {"plan-save.n_clicks": None}),
    "pages.planning.compare": (("planner", "budget", "admin"), {}),
    "pages.coverage_map.refresh_communes": (EVERYONE, {}),
    "pages.coverage_map.restyle_communes": (EVERYONE, {"map-colour-by.value": "class"}),
    "pages.coverage_map.refresh_facilities": (EVERYONE, {"map-layers.value": []}),
    "pages.coverage_map.refresh_overlays": (EVERYONE, {"map-layers.value": []}),
    "pages.coverage_map.search_communes": (EVERYONE, {"map-search.value": None}),
    "pages.coverage_map.select_commune": (EVERYONE, {}),
    "pages.coverage_map.show_commune": (EVERYONE, {"map-selected.data": None}),
    # Rows come from the user's scope whatever province is asked (scope_binds in the query).
    "pages.coverage_map.fill_commune_table": (EVERYONE, {"map-province.value": None}),
    "pages.coverage_map.follow_coverage": (EVERYONE, {"map-coverage-poll.n_intervals": 1}),
    "pages.coverage_map.redraw_commune": (EVERYONE, {"map-coverage-version.data": [1, 0]}),
    # Counts come from the user's scope whatever province is asked (scope_binds in read_rule_measures): see
    # test_the_province_summary_counts_only_communes_in_scope.
    "pages.coverage_map.count_communes_passing": (EVERYONE, {"map-province.value": None}),
    # A user's own tokens only (the name and user come from the session, never from the request).
    "pages.account.add_token": (EVERYONE, {"account-token-name.value": "route-scope"}),
    "pages.account.revoke": (EVERYONE, {}),
}

# Arguments outside the user's scope, for a role the callback otherwise admits: (callback, user, inputs).
OUT_OF_SCOPE = [
    ("pages.coverage_map.show_commune", "planner12", {"map-selected.data": "03160"}),
    ("pages.coverage_map.show_commune", "inspector", {"map-selected.data": "03127"}),
    ("pages.coverage_map.redraw_commune", "planner12", {"map-coverage-version.data": [1, 0],
                                                        "map-selected.data": "03160"}),
    ("pages.inspection.open_form", "inspector", {"insp-selected.data": "{outside_facility}"}),
    ("pages.inspection.follow_recomputation", "inspector", {"insp-pending.data": {"code": "03127"}}),
    ("pages.feedback.show_report", "planner12", {"fb-act-id.value": "{feedback}"}),
    ("pages.planning.compare", "planner12",
     {"plan-compare-a.value": "{scenario}", "plan-compare-b.value": "{scenario}"}),
]


@pytest.fixture()
def world(flask_client: Any, demo_database: str) -> Iterator[dict[str, Any]]:
    engine = create_engine(demo_database)
    with engine.begin() as conn:
        if conn.execute(text("SELECT 1 FROM app_user WHERE name = 'quyhoach12'")).first() is None:
            add_user(conn, "quyhoach12", "mat-khau-dai", role="planner", scope_codes=["12"])
        found = {
            "scenario": conn.execute(text("SELECT id FROM scenario WHERE owner = 'demo'")).scalar_one(),
            "period": conn.execute(text("SELECT period FROM coverage_snapshot ORDER BY period LIMIT 1")).scalar_one(),
            "feedback": conn.execute(text("SELECT min(id) FROM feedback")).scalar_one(),
            "outside_facility": conn.execute(text(
                "SELECT id FROM facility WHERE commune_code NOT IN ('03160', '03162') LIMIT 1")).scalar_one(),
        }
    engine.dispose()
    _as(flask_client, "quantri")
    page = flask_client.get("/").get_data(as_text=True)
    found["suite"] = re.search(r'src="(/_dash-component-suites/[^"]+)"', page).group(1)  # type: ignore[union-attr]
    yield found


def _name(entry: dict[str, Any]) -> str:
    function = entry.get("callback")
    module = getattr(function, "__module__", "") or ""
    return f"{module}.{function.__name__}" if module else "clientside"


def _payload(key: str, entry: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The request the browser sends: the first input changed (n_clicks 1 unless given), the rest as given."""
    outputs = []
    for part in key.strip(".").split("..."):
        target, prop = part.split("@")[0].rsplit(".", 1)
        outputs.append({"id": target, "property": prop})

    def value(dep: dict[str, Any], first: bool) -> Any:
        if isinstance(dep["id"], dict):  # a pattern (ALL): no matching components on this page
            return []
        name = f"{dep['id']}.{dep['property']}"
        return values.get(name, 1 if first and dep["property"] == "n_clicks" else None)

    inputs = entry["inputs"]
    return {
        "output": key, "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": [value(dep, i == 0) if isinstance(dep["id"], dict) else
                   {"id": dep["id"], "property": dep["property"], "value": value(dep, i == 0)}
                   for i, dep in enumerate(inputs)],
        "state": [{"id": dep["id"], "property": dep["property"], "value": value(dep, False)}
                  for dep in entry.get("state", [])],
        "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"] if not isinstance(inputs[0]["id"], dict)
        else [],
    }


def _login(client: Any, who: str | None) -> None:
    if who is None:
        with client.session_transaction() as session:
            session.clear()
    else:
        _as(client, USERS[who])


def test_every_route_has_a_rule_and_refuses_everyone_else(flask_client: Any, world: dict[str, Any]) -> None:
    rules = {rule.rule for rule in flask_client.application.url_map.iter_rules()}
    assert rules == set(ROUTES), f"routes without a rule in ROUTES: {rules - set(ROUTES)}; gone: {set(ROUTES) - rules}"
    for rule, (url, allowed) in ROUTES.items():
        if allowed == "callbacks":
            continue
        url = url.format(**world)
        for who in (None, *USERS):
            _login(flask_client, who)
            status = flask_client.get(url).status_code
            where = f"{rule} as {who or 'anonymous'}: {status}"
            if allowed == OPEN:
                assert status in (200, 302, 404), where
            elif allowed == "scoped":  # a feature outside the scope is as missing as one that does not exist
                assert status == {None: 401, "planner12": 404, "inspector": 404}.get(who, 200), where
            elif allowed == "not found":
                assert status in ((401,) if who is None else (404,)), where
            elif who is None:
                assert status == (401 if rule.startswith(API_PREFIXES) else 302), where
            elif ROLE_OF[who] not in allowed:
                assert status == 403, where
            elif who == "planner12" and rule.startswith(SCOPED_ARGUMENTS):  # the right role, arguments of province 11
                assert status in (403, 404), where
            else:
                assert status == 200, where


def test_every_callback_has_a_rule_and_refuses_everyone_else(flask_client: Any, world: dict[str, Any]) -> None:
    callbacks = {_name(entry): (key, entry) for key, entry in flask_client.dash_app.callback_map.items()}
    missing, gone = set(callbacks) - set(CALLBACKS), set(CALLBACKS) - set(callbacks)
    assert not missing and not gone, f"callbacks without a rule in CALLBACKS: {missing}; gone: {gone}"
    for name, rule in CALLBACKS.items():
        if rule == "clientside":
            continue
        key, entry = callbacks[name]
        allowed, values = rule if rule != "background" else (EVERYONE, {})
        payload = _payload(key, entry, values)
        for who in (None, *USERS):
            _login(flask_client, who)
            status = flask_client.post("/_dash-update-component", json=payload).status_code
            where = f"{name} as {who or 'anonymous'}: {status}"
            if who is None:
                assert status == 401, where
            elif rule == "background":
                continue  # the job checks the role; starting it answers 200 with a cache key
            elif ROLE_OF[who] not in allowed:
                assert status == 403, where
            else:
                assert status in (200, 204), where


@pytest.mark.parametrize(("name", "who", "values"), OUT_OF_SCOPE, ids=[f"{c[0]}-{c[1]}" for c in OUT_OF_SCOPE])
def test_arguments_outside_the_scope_are_refused(flask_client: Any, world: dict[str, Any], name: str, who: str,
                                                values: dict[str, Any]) -> None:
    key, entry = next((k, e) for k, e in flask_client.dash_app.callback_map.items() if _name(e) == name)
    filled = {k: (int(v.format(**world)) if isinstance(v, str) and v.startswith("{") else v)
              for k, v in values.items()}
    _login(flask_client, who)
    assert flask_client.post("/_dash-update-component", json=_payload(key, entry, filled)).status_code == 403


def test_the_province_summary_counts_only_communes_in_scope(flask_client: Any, world: dict[str, Any]) -> None:
    key, entry = next((k, e) for k, e in flask_client.dash_app.callback_map.items()
                      if _name(e) == "pages.coverage_map.count_communes_passing")
    payload = _payload(key, entry, {"map-province.value": "11"})
    _login(flask_client, "admin")
    answered = flask_client.post("/_dash-update-component", json=payload)
    assert answered.status_code == 200 and "map-rules-summary" in answered.get_data(as_text=True)
    _login(flask_client, "planner12")  # province 11 is outside their scope: nothing is counted
    refused = flask_client.post("/_dash-update-component", json=payload)
    assert refused.status_code in (200, 204) and "map-rules-summary" not in refused.get_data(as_text=True)
