"""Kiểm tra thiết chế: for inspectors on a phone. Facilities in scope, nearest first when the browser gives a
location (else least recently inspected first); a few taps: status, note, photo, location; save."""

from __future__ import annotations

import uuid
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update

from app.auth import AccessDenied, User, current_user, require, scope_binds
from app.components.common import gate, rows
from app.components.uploads import (
    as_uploaded,
    discard_upload,
    keep_upload,
    kept_upload,
    preview_view,
)
from app.coverage_refresh import REFRESHER
from app.errors import error_text
from app.i18n import TYPE_WORDS, class_word, current_lang, fmt_date, fmt_decimal, fmt_int, status_word, t, type_word
from app.inspections import (
    FAR_FROM_FACILITY_M,
    INSPECTING_ROLES,
    MAX_PHOTO_BYTES,
    STATUSES,
    InspectionInputError,
    commune_class,
    decode_upload,
    distance_m,
    location_from_store,
    record_inspection,
)
from app.pages.inspection_day import (
    confirm_modal,
    counter,
    map_card,
    my_day_card,
    now_local_input,
    parse_visit_time,
    register_callbacks,
    t_history,
    undo_button,
    visit_time_field,
)
from app.pages.inspection_tasks import my_tasks_card, register_task_callbacks
from etl.errors import LoadRefusedError
from etl.inspection_corrections import CorrectionRefused
from etl.inspections import load_inspections
from etl.limits import MAX_UPLOAD_BYTES
from etl.names import fold_text
from sql.bulk import set_actor
from sql.engine import connect

OFFLINE_SUFFIXES = (".csv", ".xlsx", ".zip")  # KoboToolbox and ODK Central exports (ODK: a ZIP)
dash.register_page(__name__, path="/kiem-tra", name="Kiểm tra thiết chế", title="Kiểm tra thiết chế — phusong",
                   label_key="page_inspection", roles=INSPECTING_ROLES, order=1)

register_callbacks()  # the map, undo and correction of the inspector's own inspections (issue 21)
register_task_callbacks()  # "Việc của tôi": the inspector's assignments of the inspection plans (issue 23)
LIST_LIMIT = 25
STATUS_BUTTON_COLOURS = {"operational": "success", "degraded": "warning", "broken": "danger",
                         "decommissioned": "secondary", "planned": "info"}


def layout(**_: Any) -> Any:
    user = current_user()
    refused = gate(user, INSPECTING_ROLES)
    if refused or user is None:
        return refused
    en = current_lang() == "en"
    return html.Div([
        dcc.Store(id="insp-location"),
        dcc.Store(id="insp-selected"),
        dcc.Store(id="insp-submission"),
        dcc.Store(id="insp-saved-count", data=0),
        dcc.Store(id="insp-pending"),
        dcc.Store(id="insp-page", data=0),
        dcc.Store(id="insp-photo-data"),
        dcc.Interval(id="insp-poll", interval=600, max_intervals=0, disabled=True),
        html.Div(id="insp-result", className="mb-2"),
        html.Div([
            html.H5(t("page_inspection"), className="mb-1"),
            my_tasks_card(),  # issue 23: their plan's assignments first, overdue first
            # issue 20: the installable page that works with no signal
            html.A(t("offline_page_link"), href="/thuc-dia/", id="insp-offline-link",
                   className="btn btn-outline-primary w-100 mb-2"),
            html.Div(id="insp-location-text", className="small text-muted mb-2"),
            _list_filters(user),
            map_card(),
            html.Div(id="insp-count", className="small text-muted mb-1"),
            html.Div(id="insp-list"),
            dbc.Row([
                dbc.Col(dbc.Button(t("previous_page"), id="insp-prev", color="secondary", outline=True,
                                   className="w-100", disabled=True)),
                dbc.Col(dbc.Button(t("next_page"), id="insp-next", color="secondary", outline=True,
                                   className="w-100", disabled=True)),
            ], className="g-2 mt-2"),
        ], id="insp-list-view"),
        html.Div(_form(en), id="insp-form-view", style={"display": "none"}),
        my_day_card(),
        _offline_upload(en),
    ], style={"maxWidth": "560px"})


def _list_filters(user: User) -> Any:
    """Search by name or survey code (typed without diacritics or with), and filters by commune, type, status:
    every facility in scope can be reached without a location (issue 21)."""
    communes = rows("scope_communes", scope_binds(user))
    return html.Div([
        dbc.Input(id="insp-search", type="search", placeholder=t("search_facility_placeholder"), debounce=0.4,
                  className="mb-1"),
        dbc.Row([
            dbc.Col(dcc.Dropdown(id="insp-filter-commune", placeholder=t("all_communes"), searchable=False,
                                 options=[{"label": c["name"], "value": c["code"]} for c in communes]), xs=12,
                    sm=4),
            dbc.Col(dcc.Dropdown(id="insp-filter-type", placeholder=t("all_types"), searchable=False,
                                 options=[{"label": type_word(code), "value": code} for code in TYPE_WORDS]),
                    xs=6, sm=4),
            dbc.Col(dcc.Dropdown(id="insp-filter-status", placeholder=t("all_statuses"), searchable=False,
                                 options=[{"label": status_word(s), "value": s} for s in STATUSES
                                          if s != "decommissioned"]), xs=6, sm=4),
        ], className="g-1 mb-2 small"),
    ])


def _offline_upload(en: bool) -> Any:
    """Inspections made offline in KoboToolbox or ODK Collect, uploaded from the export (issue 6): the ETL's
    inspection path, kept to the inspector's communes; a preview first, then one tap to record them."""
    return dbc.Card(dbc.CardBody([
        dcc.Store(id="insp-upload-token"),
        html.H6("Worked offline? Upload the Kobo / ODK export" if en
                else "Làm việc ngoại tuyến? Tải lên tệp xuất từ Kobo / ODK", className="mb-2"),
        html.A("Download the Kobo/ODK form (XLSForm)" if en else "Tải mẫu biểu Kobo/ODK (XLSForm)",
               href="/download/kobo-form.xlsx", id="insp-kobo-form", className="d-block small mb-2"),
        dcc.Upload(id="insp-upload", multiple=False, max_size=MAX_UPLOAD_BYTES, accept=".csv,.xlsx,.zip",
                   children=dbc.Button("Choose a CSV, XLSX or ZIP file" if en else "Chọn tệp CSV, XLSX hoặc ZIP",
                                       color="secondary", outline=True, className="w-100")),
        dcc.Loading(html.Div(id="insp-upload-preview", className="mt-2")),
        dbc.Button(t("confirm_load"), id="insp-upload-confirm", color="primary", disabled=True,
                   className="w-100 mt-2"),
        html.Div(id="insp-upload-result", className="mt-2"),
    ]), className="mt-3")


def _form(en: bool) -> Any:
    return dbc.Card(dbc.CardBody([
        html.H6(id="insp-form-title", className="mb-1"),
        html.Div(id="insp-form-facts", className="small text-muted mb-2"),
        dbc.Label(t("status"), className="mb-1"),
        dbc.RadioItems(id="insp-status", className="btn-group-vertical w-100 status-choice mb-2",
                       inputClassName="btn-check", labelClassName="btn btn-outline-primary text-start",
                       labelCheckedClassName="active",
                       options=[{"label": status_word(s), "value": s} for s in STATUSES if s != "planned"]),
        dbc.Label(t("note"), html_for="insp-note", className="mb-1"),
        dbc.Textarea(id="insp-note", rows=2, maxLength=2000),
        counter("insp-note"),
        # The picked photo stays in the browser until it is shrunk there (app/assets/phusong_photo.js); only the
        # shrunk JPEG travels with the save. It belongs to the open form: opening another one drops it.
        dcc.Upload(id="insp-photo", accept="image/*", max_size=-1, multiple=False,
                   children=dbc.Button(f"📷 {t('photo_pick')}", color="secondary", outline=True,
                                       className="w-100", id="insp-photo-button")),
        html.Div([
            html.Img(id="insp-photo-thumb", className="photo-thumb me-2", alt=t("photo")),
            html.Span(id="insp-photo-name", className="small text-muted me-2"),
            dbc.Button(t("photo_remove"), id="insp-photo-remove", color="link", size="sm", className="p-0"),
        ], id="insp-photo-preview", className="align-items-center mt-1", style={"display": "none"}),
        html.Div(t("photo_not_image"), id="insp-photo-refused", className="small text-danger mt-1",
                 style={"display": "none"}),
        visit_time_field(),
        html.Div(id="insp-form-location", className="small mt-2"),
        html.Div(id="insp-form-distance", className="mb-2"),
        dbc.Row([
            dbc.Col(dbc.Button(t("save"), id="insp-save", color="primary", className="w-100", size="lg")),
            dbc.Col(dbc.Button(t("cancel"), id="insp-cancel", color="light", className="w-100", size="lg")),
        ], className="g-2"),
        html.Div(id="insp-form-error", className="mt-2"),
        confirm_modal(),
    ]))


# The browser's location, asked for once when the page opens; a refusal or 8 s without fix means "no location".
clientside_callback(
    """
    function(id) {
        return new Promise(function(resolve) {
            if (!navigator.geolocation) { resolve(null); return; }
            navigator.geolocation.getCurrentPosition(
                function(p) { resolve({lon: p.coords.longitude, lat: p.coords.latitude,
                                       accuracy_m: p.coords.accuracy}); },
                function() { resolve(null); },
                {enableHighAccuracy: true, timeout: 8000, maximumAge: 60000});
        });
    }
    """,
    Output("insp-location", "data"),
    Input("insp-list-view", "id"),
)


def _scope(user: User) -> list[str] | None:
    return None if user.whole_country else list(user.scope_codes)


@callback(Output("insp-upload-preview", "children"), Output("insp-upload-token", "data"),
          Output("insp-upload-confirm", "disabled"), Output("insp-upload-result", "children"),
          Input("insp-upload", "contents"), State("insp-upload", "filename"), State("insp-upload-token", "data"),
          prevent_initial_call=True)
def preview_offline_upload(contents: str | None, filename: str | None, previous: str | None) -> Any:
    """Keep the export on the server and show what it would record (rows outside the user's communes rejected)."""
    user = require(*INSPECTING_ROLES)
    discard_upload(previous)  # a new file replaces the one previewed before
    if not contents or not filename:
        return no_update, None, True, None
    token, path = None, None
    try:
        token, path = keep_upload(contents, filename, OFFLINE_SUFFIXES)
        with connect() as conn:
            result = load_inspections(conn, path, dry_run=True, loaded_by=user.name, scope=_scope(user))
    except (LoadRefusedError, ValueError) as exc:
        discard_upload(token)
        return dbc.Alert(error_text(exc, filename, path), color="danger", id="insp-upload-refused"), None, True, None
    return preview_view(as_uploaded(result, filename), "insp-upload"), token, result.loaded == 0, None


@callback(Output("insp-upload-result", "children", allow_duplicate=True),
          Output("insp-upload-confirm", "disabled", allow_duplicate=True),
          Output("insp-saved-count", "data", allow_duplicate=True),
          Input("insp-upload-confirm", "n_clicks"), State("insp-upload-token", "data"),
          State("insp-saved-count", "data"), prevent_initial_call=True)
def record_offline_upload(n_clicks: int | None, token: str | None, saved: int | None) -> Any:
    """Record the previewed export (one transaction), then recompute the communes whose facilities changed."""
    user = require(*INSPECTING_ROLES)
    if not n_clicks:
        return no_update, no_update, no_update
    path = None
    try:
        path = kept_upload(token)
        with connect() as conn:
            set_actor(conn, user.name)
            result = load_inspections(conn, path, loaded_by=user.name, scope=_scope(user))
    except (LoadRefusedError, ValueError) as exc:
        return dbc.Alert(error_text(exc, path.name if path else "", path), color="danger"), False, no_update
    finally:
        discard_upload(token)  # recorded or refused, the file is not kept
    REFRESHER.notify()  # the worker brings the changed communes current; the map redraws when it has
    done = as_uploaded(result, path.name).summary(current_lang())
    return (dbc.Alert(done, color="success", id="insp-upload-done"), True,
            (saved or 0) + result.loaded)


@callback(Output("insp-list", "children"), Output("insp-location-text", "children"), Output("insp-count", "children"),
          Output("insp-page", "data"), Output("insp-prev", "disabled"), Output("insp-next", "disabled"),
          Input("insp-location", "data"), Input("insp-saved-count", "data"), Input("insp-search", "value"),
          Input("insp-filter-commune", "value"), Input("insp-filter-type", "value"),
          Input("insp-filter-status", "value"), Input("insp-prev", "n_clicks"), Input("insp-next", "n_clicks"),
          State("insp-page", "data"))
def list_facilities(location: Any, _saved: int, search: str | None, commune: str | None, kind: str | None,
                    status: str | None, _prev: int | None, _next: int | None, page: int | None) -> Any:
    """Facilities in the user's scope, one page at a time: those with an open broken/inaudible citizen report
    first, then nearest first with a location, else least recently inspected first; narrowed by what was typed
    (name or survey code, diacritics optional) and the filters (sql/queries/inspection_queue.sql)."""
    user = require(*INSPECTING_ROLES)
    page = _page_after(ctx.triggered_id, page or 0)
    lon, lat = location_from_store(location)
    folded = fold_text(search or "") or None
    found = rows("inspection_queue", {**scope_binds(user), "lon": lon, "lat": lat, "commune": commune or None,
                                      "folded": folded, "types": [kind] if kind else None,
                                      "statuses": [status] if status else None, "limit": LIST_LIMIT,
                                      "offset": page * LIST_LIMIT})
    total = int(found[0]["total"]) if found else 0
    items = [_list_item(f) for f in found] or [dbc.ListGroupItem("—")]
    return (dbc.ListGroup(items, id="insp-items"), _where_text(lon, lat), _count_text(total, page), page,
            page == 0, (page + 1) * LIST_LIMIT >= total)


def _page_after(trigger: Any, page: int) -> int:
    """The page to show: the next or previous one when asked, else the first (a new search or filter)."""
    if trigger == "insp-next":
        return page + 1
    if trigger == "insp-prev":
        return max(0, page - 1)
    if trigger == "insp-saved-count":
        return page  # after a save the inspector goes on where they were
    return 0


def _where_text(lon: float | None, lat: float | None) -> str:
    en = current_lang() == "en"
    if lon is None or lat is None:
        return ("No location from the browser: least recently inspected first." if en
                else "Không có vị trí từ trình duyệt: thiết chế lâu chưa kiểm tra nhất ở trên cùng.")
    return f"{t('current_location')}: {lat:.5f}, {lon:.5f}. " + ("Nearest first." if en else "Gần nhất ở trên cùng.")


def _count_text(total: int, page: int) -> str:
    if not total:
        return ""
    first, last = page * LIST_LIMIT + 1, min(total, (page + 1) * LIST_LIMIT)
    if current_lang() == "en":
        return f"{fmt_int(first)}–{fmt_int(last)} of {fmt_int(total)} facilities"
    return f"{fmt_int(first)}–{fmt_int(last)} trong {fmt_int(total)} thiết chế"


def _list_item(f: dict[str, Any]) -> Any:
    en = current_lang() == "en"
    distance = "" if f["distance_m"] is None else f" · {_distance(f['distance_m'])}"
    last = fmt_date(f["last_inspected_at"]) if f["last_inspected_at"] else t("never_inspected")
    code = f" · {t('survey_code')}: {f['external_id']}" if f["external_id"] else ""
    return dbc.ListGroupItem([
        html.Div([html.B(f["name"] or type_word(f["type"])),
                  dbc.Badge(status_word(f["status"]), color=STATUS_BUTTON_COLOURS.get(f["status"], "secondary"),
                            className="ms-2"),
                  *([dbc.Badge(f"{f['open_reports']} " + ("citizen report(s)" if en else "phản ánh"),
                               color="danger", className="ms-1")] if f["open_reports"] else [])]),
        html.Div(f"{type_word(f['type'])} · {f['commune_name']}{distance}", className="small"),
        html.Div(f"{t('last_inspected')}: {last}{code}", className="small text-muted"),
    ], action=True, className="inspection-item py-2", id={"type": "insp-item", "id": f["id"]})


def _distance(metres: float) -> str:
    return f"{fmt_decimal(metres / 1000, 1)} km" if metres >= 1000 else f"{round(metres)} m"


@callback(Output("insp-selected", "data"), Output("insp-submission", "data"),
          Input({"type": "insp-item", "id": ALL}, "n_clicks"), Input("insp-cancel", "n_clicks"),
          prevent_initial_call=True)
def choose_facility(clicks: list[int | None], _cancel: int | None) -> Any:
    trigger = ctx.triggered_id
    if trigger == "insp-cancel":
        return None, None
    if not isinstance(trigger, dict) or not any(clicks):
        return no_update, no_update
    # One submission id per opened form: a double tap or a retried request stores the inspection once.
    return trigger["id"], f"app:{uuid.uuid4()}"


@callback(Output("insp-form-view", "style"), Output("insp-list-view", "style"),
          Output("insp-form-title", "children"), Output("insp-form-facts", "children"),
          Output("insp-status", "value"), Output("insp-note", "value"), Output("insp-photo", "contents"),
          Output("insp-photo", "filename"), Output("insp-form-error", "children"),
          Output("insp-result", "children", allow_duplicate=True), Output("insp-form-distance", "children"),
          Output("insp-visited", "value"), Output("insp-visited", "max"),
          Input("insp-selected", "data"), State("insp-location", "data"), prevent_initial_call=True)
def open_form(facility_id: int | None, location: Any) -> Any:
    """Open the form of one facility, empty: no status chosen, no note, no photo, no message of another form."""
    require(*INSPECTING_ROLES)  # the role first, whatever the argument (the route x role table)
    hidden, shown = {"display": "none"}, {"display": "block"}
    if facility_id is None:  # closed (saved or cancelled): the save's message stays over the list
        return hidden, shown, "", "", None, "", None, None, None, no_update, None, None, None
    found = rows("facility_for_inspection", {"id": facility_id})
    if not found:
        raise AccessDenied(f"facility {facility_id} does not exist")
    f = found[0]
    require(*INSPECTING_ROLES, communes=[f["commune_code"]])
    code = f" · {t('survey_code')}: {f['external_id']}" if f["external_id"] else ""
    facts = (f"{type_word(f['type'])} · {f['commune_name']}{code} · {t('status')}: {status_word(f['status'])} · "
             f"{t('last_inspected')}: {fmt_date(f['last_inspected_at']) if f['last_inspected_at'] else '–'}")
    now = now_local_input()  # the visit time: now unless the inspector says otherwise, never in the future
    facts_view = [facts, " · ", dcc.Link(t_history(), href=f"/co-so/{f['id']}", id="insp-facility-link")]
    return (shown, hidden, f["name"] or type_word(f["type"]), facts_view, None, "", None, None, None, None,
            _distance_line(location, f), now, now)


def _distance_line(location: Any, facility: dict[str, Any]) -> Any:
    """How far the inspector stands from the facility; a warning past FAR_FROM_FACILITY_M."""
    lon, lat = location_from_store(location)
    if lon is None or lat is None or facility["lon"] is None:
        return None
    metres = distance_m(lon, lat, facility["lon"], facility["lat"])
    if metres > FAR_FROM_FACILITY_M:
        return dbc.Alert(t("far_from_facility").format(distance=_distance(metres)), color="warning",
                         className="py-1 small mb-2", id="insp-far")
    return html.Div(f"{t('distance_to_facility')}: {_distance(metres)}", className="small text-muted")


# The photo picked in the form is checked and shrunk in the browser (app/assets/phusong_photo.js): a thumbnail to
# look at, or a refusal when the file is no image; the remove button drops it.
clientside_callback(
    ClientsideFunction(namespace="phusong", function_name="shrinkPhoto"),
    Output("insp-photo-data", "data"), Output("insp-photo-thumb", "src"), Output("insp-photo-name", "children"),
    Output("insp-photo-preview", "style"), Output("insp-photo-refused", "style"),
    Output("insp-photo-refused", "children"),
    Input("insp-photo", "contents"), State("insp-photo", "filename"), State("insp-photo-messages", "data"),
)
clientside_callback(
    "function(n) { return [null, null]; }",
    Output("insp-photo", "contents", allow_duplicate=True), Output("insp-photo", "filename", allow_duplicate=True),
    Input("insp-photo-remove", "n_clicks"), prevent_initial_call=True,
)


@callback(Output("insp-form-location", "children"), Input("insp-location", "data"))
def show_form_location(location: Any) -> Any:
    lon, lat = location_from_store(location)
    if lon is None:
        return f"{t('current_location')}: –"
    return f"{t('current_location')}: {lat:.5f}, {lon:.5f} ✓"


@callback(Output("insp-result", "children"), Output("insp-saved-count", "data"),
          Output("insp-selected", "data", allow_duplicate=True), Output("insp-form-error", "children",
                                                                       allow_duplicate=True),
          Output("insp-pending", "data"), Output("insp-poll", "disabled"), Output("insp-poll", "max_intervals"),
          Output("insp-confirm", "is_open"), Output("insp-last-saved", "data"),
          Input("insp-save", "n_clicks"), Input("insp-confirm-yes", "n_clicks"), Input("insp-confirm-no", "n_clicks"),
          State("insp-selected", "data"), State("insp-status", "value"), State("insp-note", "value"),
          State("insp-photo-data", "data"), State("insp-location", "data"), State("insp-submission", "data"),
          State("insp-saved-count", "data"), State("insp-visited", "value"), prevent_initial_call=True)
def save_inspection(n_clicks: int | None, _yes: int | None, _no: int | None, facility_id: int | None,
                    status: str | None, note: str | None, photo: dict[str, Any] | None, location: Any,
                    submission_id: str | None, saved: int | None, visited: str | None) -> Any:
    """Append the inspection (the server checks role and scope); the commune is recomputed right after.
    "Đã thanh lý" is asked for once more first; every save can be undone for a few minutes."""
    user = require(*INSPECTING_ROLES)
    unchanged = (no_update,) * 3
    trigger = ctx.triggered_id
    if trigger == "insp-confirm-no":
        return (no_update,) * 7 + (False, no_update)
    if not (n_clicks or trigger == "insp-confirm-yes") or facility_id is None:
        return (no_update,) * 4 + unchanged + (False, no_update)
    if not status:
        return (no_update, no_update, no_update,
                dbc.Alert(t("choose_status"), color="warning", className="py-1", id="insp-choose-status"),
                *unchanged, False, no_update)
    if status == "decommissioned" and trigger != "insp-confirm-yes":
        return (no_update,) * 7 + (True, no_update)  # destructive: confirmed in the dialog first
    try:
        when = parse_visit_time(visited)
        raw = decode_upload((photo or {}).get("contents"))
        if raw is not None and len(raw) > MAX_PHOTO_BYTES:
            raise InspectionInputError("ảnh quá lớn > 5 MB (photo too large)")
        lon, lat = location_from_store(location)
        result = record_inspection(user, int(facility_id), status, note=note, photo=raw, lon=lon, lat=lat,
                                   submission_id=submission_id, recompute_now=False, inspected_at=when)
    except (InspectionInputError, CorrectionRefused) as exc:
        return (no_update, no_update, no_update,
                dbc.Alert(error_text(exc), color="danger", className="py-1", id="insp-photo-error"), *unchanged,
                False, no_update)
    REFRESHER.notify()
    return (*_saved_view(result, status), (saved or 0) + 1, None, None, *_pending(result), False,
            result.inspection_id)


def _pending(result: Any) -> tuple[Any, bool, int]:
    pending = {"code": result.commune_code, "name": result.commune_name, "before": result.class_before}
    return pending, not result.stale, 30


def _saved_view(result: Any, status: str) -> tuple[Any]:
    # The message names the facility it answers: it stays over the list until another form opens.
    message = (f"{t('inspection_saved' if result.inspection_id else 'inspection_saved_before')}: "
               f"{result.facility_name}")
    pending = _pending(result)[0]
    return (dbc.Alert([html.Div(html.B(message), id="insp-saved-message"),
                       html.Div(f"{status_word(status)}", className="small"),
                       html.Div(_class_line(pending, result.class_after, result.stale), className="small",
                                id="insp-result-class"),
                       *([undo_button()] if result.inspection_id else [])],
                      color="success", id="insp-saved", className="py-2"),)


@callback(Output("insp-result-class", "children"), Output("insp-poll", "disabled", allow_duplicate=True),
          Input("insp-poll", "n_intervals"), State("insp-pending", "data"), prevent_initial_call=True)
def follow_recomputation(_n: int, pending: dict[str, Any] | None) -> Any:
    """Show the commune's class once its coverage is recomputed (usually within a second of the save)."""
    require(*INSPECTING_ROLES)
    if not pending:
        return no_update, True
    require(*INSPECTING_ROLES, communes=[pending["code"]])
    after, stale = commune_class(pending["code"])
    return _class_line(pending, after, stale), not stale


def _class_line(pending: dict[str, Any], after: str | None, stale: bool) -> str:
    before = pending.get("before")
    head = f"{t('commune')} {pending.get('name') or pending['code']} ({pending['code']}): "
    if stale:
        waiting = "recomputing coverage…" if current_lang() == "en" else "đang tính lại vùng phủ sóng…"
        return head + f"{class_word(before)} → {waiting}"
    if before != after:
        return head + f"{class_word(before)} → {class_word(after)}"
    return head + class_word(after)
