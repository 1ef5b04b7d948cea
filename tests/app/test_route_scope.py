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
from tests.app.plan_helpers import demo_plan
from tests.app.test_auth import _as

pytestmark = pytest.mark.db
_PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408d763f8cfc0"
                     "00000301010018dd8db00000000049454e44ae426082")  # a 1x1 PNG

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
    "/doi-mat-khau": ("/doi-mat-khau", EVERYONE),  # one's own password (issue 21; tests/app/test_admin_users.py)
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
    # A long export made by the worker (issue 22): its own user only (the budget user's job here); anyone else
    # with an export role gets 404, as for a job that never was (tests/app/test_processes.py runs the worker).
    "/download/job/<int:job_id>": ("/download/job/{export_job}", "own job"),
    "/download/job/<int:job_id>/file": ("/download/job/{export_job}/file", "own job"),
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
    # The offline inspector page (issue 20): the page and its files carry no data (the service worker keeps them);
    # the area pack is the user's scope (communes asked for outside it: 403, test_offline_routes_refuse_...).
    "/thuc-dia/": ("/thuc-dia/", ("inspector", "admin")),
    "/thuc-dia/sw.js": ("/thuc-dia/sw.js", OPEN),
    "/thuc-dia/manifest.webmanifest": ("/thuc-dia/manifest.webmanifest", OPEN),
    "/thuc-dia/static/<path:name>": ("/thuc-dia/static/thuc-dia.js", OPEN),
    "/thuc-dia/api/pack": ("/thuc-dia/api/pack?communes=03160", ("inspector", "admin")),
    "/thuc-dia/api/sync": ("", "post"),  # POST only: walked by test_offline_routes_refuse_...


    # Issue 21: an inspection's photo for every role within its scope (404 outside: tests/app/test_facility_page.py).
    "/download/inspection-photo/<int:inspection_id>.jpg": ("/download/inspection-photo/{photo_inspection}.jpg",
                                                           EVERYONE),
    # The Kobo/ODK form: choices from the user's own scope only (tests/app/test_kobo_form.py).
    "/download/kobo-form.xlsx": ("/download/kobo-form.xlsx", ("inspector", "admin")),
    # Issue 21, uploads: a load's rejected rows as XLSX, administrators only (a load has no commune scope).
    "/download/load-rejects/<int:batch_id>.xlsx": ("/download/load-rejects/{batch}.xlsx", ("admin",)),
    # The filtered audit log (issue 21): administrators only (tests/app/test_admin_audit.py reads it back).
    "/download/audit.xlsx": ("/download/audit.xlsx?since=2026-01-01", ("admin",)),


    # The user-supplied MBTiles base map (issue 21): any logged-in user; none configured in the suite, so 404
    # (test_the_mbtiles_base_map_is_served_to_logged_in_users covers a configured file).
    "/basemap/<int:z>/<int:x>/<int:y>.png": ("/basemap/8/203/113.png", "not found page"),
    # Issue 22: the coverage map's communes for the session's scope (a province outside it: 403,
    # tests/app/test_map_data.py); anonymous users are sent to /login as from a page.
    "/map-data/communes.geojson": ("/map-data/communes.geojson?zoom=8", EVERYONE),
    # Session 30: the classes of the session's own scope, whatever the URL says (tests/app/test_map_data.py).
    "/map-data/classes.json": ("/map-data/classes.json?v=1", EVERYONE),
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
    "app.pages.admin_upload.preview_upload": (("admin",), {"admin-upload.contents": None}),
    "app.pages.admin_upload.recheck_upload": (("admin",), {"admin-kind.value": "villages"}),
    "app.pages.admin_upload.confirm_load": "background",
    # Issue 21, uploads: the column step, the preview's rejects as XLSX, the latest loads and their undo (admins).
    "app.pages.admin_upload.choose_columns": (("admin",), {}),
    "app.pages.admin_upload.download_preview_rejects": (("admin",), {"admin-rejects-download.n_clicks": None}),
    "app.pages.admin_upload.ask_to_undo": (("admin",), {}),
    "app.pages.admin_upload.undo_batch": (("admin",), {"admin-undo-confirm.submit_n_clicks": None}),
    "app.pages.admin_upload.refresh_loads": (("admin",), {}),
    # Issue 21: the users tab (app/pages/admin_users.py); scope codes outside the loaded units are refused
    # (tests/app/test_admin_users.py).
    "app.pages.admin_users.ask_to_deactivate": (("admin",), {"admin-user-deactivate.n_clicks": None}),
    "app.pages.admin_users.change_users": (("admin",), {"admin-user-add.n_clicks": None}),
    "app.pages.admin_users.fill_editor": (("admin",), {}),
    "app.pages.admin_users.refresh_user_choices": (("admin",), {}),
    "app.pages.admin_users.save_user_edit": (("admin",), {"admin-edit-save.n_clicks": None}),
    "app.pages.admin_users.ask_to_reset": (("admin",), {"admin-edit-reset.n_clicks": None}),
    "app.pages.admin_users.reset_user_password": (("admin",), {"admin-reset-confirm.submit_n_clicks": None}),
    "app.pages.admin_audit.show_audit": (("admin",), {"admin-tabs.active_tab": "admin-tab-users"}),
    "pages.feedback._refresh": (EVERYONE, {}),
    "pages.feedback._save": (("admin", "planner", "inspector"), {"fb-new-save.n_clicks": None}),
    "pages.feedback._act": (("admin", "planner", "inspector"), {"fb-act-id.value": None}),
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
    # Issue 21, planner map: the identify popup checks the facility's commune (OUT_OF_SCOPE below).
    "pages.coverage_map.identify_facility": (EVERYONE, {"map-facilities.clickData": None}),
    # The table's download re-reads the rows for the user's scope (test_the_table_export_keeps_to_the_scope).
    "pages.coverage_map.export_commune_table": (EVERYONE, {"map-table-export.n_clicks": None}),
    # Issue 21, plan page: the scenario is checked against the user's scope (readable_scenario) before anything.
    "pages.planning.toggle_details": (("planner", "budget", "admin"), {}),
    "pages.planning.reopen_scenario": (("planner", "budget", "admin"), {}),
    "pages.planning.change_scenario": (("planner", "budget", "admin"), {}),
    # A user's own tokens only (the name and user come from the session, never from the request).
    "pages.account.add_token": (EVERYONE, {"account-token-name.value": "route-scope"}),
    "pages.account.revoke": (EVERYONE, {}),
    # Issue 17/21, exports page: the preview reads gaps_for_user (scope filtered) and the scenario's scope check.
    "pages.exports.preview": (("planner", "budget", "admin"), {}),
    "pages.exports.snapshot_note": (("planner", "budget", "admin"), {}),
    # Only a period still running is re-taken (what `phusong analyse` does after each run); audited.
    "pages.exports.bring_snapshot_current": (("planner", "budget", "admin"),
                                             {"exports-snapshot-current.n_clicks": None}),


    # Issue 21, the inspector's page (app/pages/inspection_day.py): the map's points come from the user's scope;
    # a tapped point only selects (open_form checks it); undo and correction check the inspection's commune and
    # that it is the user's own (the name from the session).
    "app.pages.inspection_day.map_facilities": (("inspector", "admin"), {}),
    "app.pages.inspection_day.choose_on_map": (EVERYONE, {}),
    "app.pages.inspection_day.undo_last_save": (("inspector", "admin"), {"insp-undo.n_clicks": None}),
    "app.pages.inspection_day.list_my_day": (("inspector", "admin"), {}),
    "app.pages.inspection_day.open_correction": (("inspector", "admin"), {}),
    "app.pages.inspection_day.save_correction": (("inspector", "admin"), {"insp-correct-save.n_clicks": None}),
    # Issue 23, inspection plans: the plan is checked against the user's provinces (a provincial planner sees
    # their own); a reassignment goes only to an inspector whose scope holds the commune (in the SQL). "Việc của
    # tôi" lists the session user's own tasks; a tapped task only selects (open_form checks it).
    "pages.inspection_plan.show_plan": (("planner", "admin"), {}),
    "pages.inspection_plan.pick_assignment": (("planner", "admin"), {}),
    "pages.inspection_plan.change_assignment": (("planner", "admin"), {"iplan-reassign.n_clicks": None}),
    "app.pages.inspection_tasks.list_my_tasks": (("inspector", "admin"), {}),
    "app.pages.inspection_tasks.choose_task": (EVERYONE, {}),
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
    ("pages.exports.preview", "planner12", {"exports-scenario.value": "{scenario}"}),


    ("app.pages.inspection_day.undo_last_save", "inspector", {"insp-last-saved.data": "{outside_inspection}"}),
    ("app.pages.inspection_day.save_correction", "inspector",
     {"insp-correct-id.data": "{outside_inspection}", "insp-correct-status.value": "broken"}),


    ("pages.inspection_plan.show_plan", "planner12", {"iplan-plan.value": "{plan}"}),
    ("pages.inspection_plan.pick_assignment", "planner12",
     {"iplan-grid.selectedRows": [{"id": 1, "commune_code": "03160", "open": True}], "iplan-plan.value": "{plan}"}),
    ("pages.inspection_plan.change_assignment", "planner12",
     {"iplan-remove.n_clicks": 1, "iplan-plan.value": "{plan}", "iplan-grid.selectedRows": [{"id": 1}]}),
    ("pages.planning.reopen_scenario", "planner12", {"plan-saved-pick.value": "{scenario}"}),
    ("pages.planning.change_scenario", "planner12", {"plan-saved-pick.value": "{scenario}"}),
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
        found["outside_inspection"] = conn.execute(text(  # issue 21: undo/correct of another commune's inspection
            "INSERT INTO inspection (facility_id, inspector, inspected_at, status_found, source) "
            "VALUES (:f, 'kiemtra', now(), 'broken', 'app') RETURNING id"),
            {"f": found["outside_facility"]}).scalar_one()
        found["photo_inspection"] = conn.execute(text(  # issue 21: a photo in the inspector's commune 03160
            "INSERT INTO inspection (facility_id, inspector, inspected_at, status_found, source, photo, photo_mime) "
            "SELECT id, 'kiemtra', now() - interval '1 day', status, 'app', :photo, 'image/png' FROM facility "
            "WHERE commune_code = '03160' ORDER BY id LIMIT 1 RETURNING id"), {"photo": _PNG}).scalar_one()
        found["export_job"] = conn.execute(text(  # issue 22: a long export the worker made for the budget user
            "INSERT INTO export_job (user_name, kind, fmt, status, file_name, mime_type, content, finished_at) "
            "VALUES ('taichinh', 'gaps', 'csv', 'done', 'khoang_trong.csv', 'text/csv', 'a,b', now()) "
            "RETURNING id")).scalar_one()
        found["batch"] = conn.execute(text("SELECT max(id) FROM load_batch")).scalar_one()  # issue 21, uploads
    engine.dispose()
    found["plan"] = demo_plan(demo_database)  # issue 23: province 11's inspection plan
    found["database"] = demo_database
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
        if allowed in ("callbacks", "post"):
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
            elif allowed == "not found page":  # a page path: anonymous users are sent to /login
                assert status == (302 if who is None else 404), where
            elif allowed == "own job":
                assert status == {None: 401, "inspector": 403, "budget": 200}.get(who, 404), where
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


def test_the_export_preview_shows_only_communes_in_scope(flask_client: Any, world: dict[str, Any]) -> None:
    key, entry = next((k, e) for k, e in flask_client.dash_app.callback_map.items()
                      if _name(e) == "pages.exports.preview")
    payload = _payload(key, entry, {"exports-province.value": "11"})
    _login(flask_client, "budget")
    shown = flask_client.post("/_dash-update-component", json=payload)
    assert shown.status_code == 200 and "exports-preview-table" in shown.get_data(as_text=True)
    _login(flask_client, "planner12")  # province 11 is outside their scope: nothing to preview
    refused = flask_client.post("/_dash-update-component", json=payload)
    assert "exports-preview-table" not in refused.get_data(as_text=True)


# ------------------------------------------------------------------------------- the offline page (issue 20)

def test_offline_routes_refuse_other_roles_and_communes_outside_the_scope(flask_client: Any,
                                                                           world: dict[str, Any]) -> None:
    from tests.app.offline_helpers import inspection, sync, token_of

    inside, outside = _facility_of(world, "03160"), world["outside_facility"]
    for who in (None, *USERS):
        _login(flask_client, who)
        token = token_of(flask_client) if who in ("inspector", "admin") else ""
        status = sync(flask_client, [inspection(inside, "operational")], token=token).status_code
        expected = {None: (400, 401), "inspector": (200,), "admin": (200,)}.get(who, (400, 403))
        assert status in expected, f"/thuc-dia/api/sync as {who or 'anonymous'}: {status}"
    _login(flask_client, "inspector")
    assert flask_client.get("/thuc-dia/api/pack?communes=03127").status_code == 403
    refused = sync(flask_client, [inspection(outside, "operational")], token=token_of(flask_client))
    assert refused.status_code == 403 and refused.json["refused"]


def _facility_of(world: dict[str, Any], commune: str) -> int:
    from tests.app.offline_helpers import facility_in

    return int(facility_in(world["database"], commune, pick=9)["id"])


def test_identifying_a_facility_outside_the_scope_is_refused(flask_client: Any, world: dict[str, Any]) -> None:
    """Issue 21: the map's identify popup answers for a facility in scope and refuses one outside it."""
    key, entry = next((k, e) for k, e in flask_client.dash_app.callback_map.items()
                      if _name(e) == "pages.coverage_map.identify_facility")
    outside = {"map-facilities.clickData": {"properties": {"id": world["outside_facility"]}}}
    _login(flask_client, "inspector")
    assert flask_client.post("/_dash-update-component", json=_payload(key, entry, outside)).status_code == 403
    _login(flask_client, "admin")
    answered = flask_client.post("/_dash-update-component", json=_payload(key, entry, outside))
    assert answered.status_code == 200 and "map-facility-status" in answered.get_data(as_text=True)


def test_the_mbtiles_base_map_is_served_to_logged_in_users(flask_client: Any, world: dict[str, Any],
                                                         tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 21: PHUSONG_BASEMAP_MBTILES is served at /basemap/{z}/{x}/{y}.png (TMS rows flipped), 404 elsewhere."""
    import sqlite3

    from sql.settings import get_settings

    png = b"\x89PNG\r\n\x1a\n" + b"tile"
    path = tmp_path / "nen.mbtiles"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE tiles (zoom_level int, tile_column int, tile_row int, tile_data blob)")
        db.execute("INSERT INTO tiles VALUES (8, 203, 255 - 113, ?)", (png,))
    monkeypatch.setenv("PHUSONG_BASEMAP_MBTILES", str(path))
    get_settings.cache_clear()
    _login(flask_client, None)
    assert flask_client.get("/basemap/8/203/113.png").status_code == 302
    _login(flask_client, "inspector")
    tile = flask_client.get("/basemap/8/203/113.png")
    assert tile.status_code == 200 and tile.data == png and tile.mimetype == "image/png"
    assert flask_client.get("/basemap/8/203/114.png").status_code == 404


def test_the_table_export_keeps_to_the_scope(flask_client: Any, world: dict[str, Any]) -> None:
    """Issue 21: the commune table's CSV holds the rows the browser names only when they are in the user's scope,
    formula-safe."""
    import base64

    key, entry = next((k, e) for k, e in flask_client.dash_app.callback_map.items()
                      if _name(e) == "pages.coverage_map.export_commune_table")
    shown = {"map-table-export.n_clicks": 1, "map-table.virtualRowData": [{"code": "03162"}, {"code": "03160"}]}

    def lines(who: str) -> list[str]:
        _login(flask_client, who)
        answered = flask_client.post("/_dash-update-component", json=_payload(key, entry, shown))
        assert answered.status_code == 200
        content = answered.get_json()["response"]["map-table-download"]["data"]["content"]
        return base64.b64decode(content).decode("utf-8-sig").splitlines()

    planner = lines("admin")
    assert len(planner) == 3 and planner[1].startswith("Nậm Kè,03162")
    assert lines("planner12") == planner[:1]  # the header only: province 11 is outside their scope
