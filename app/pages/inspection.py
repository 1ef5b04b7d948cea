"""Kiểm tra thiết chế: for inspectors on a phone. Facilities in scope, nearest first when the browser gives a
location (else least recently inspected first); a few taps: status, note, photo, location; save."""

from __future__ import annotations

import uuid
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update

from app.auth import AccessDenied, User, current_user, require, scope_binds
from app.components.common import gate, rows
from app.components.uploads import (
    as_uploaded,
    discard_upload,
    keep_upload,
    kept_upload,
    preview_view,
    refusal_text,
)
from app.coverage_refresh import REFRESHER
from app.i18n import class_word, current_lang, fmt_date, fmt_decimal, status_word, t, type_word
from app.inspections import (
    INSPECTING_ROLES,
    MAX_PHOTO_BYTES,
    STATUSES,
    InspectionInputError,
    commune_class,
    decode_upload,
    location_from_store,
    record_inspection,
)
from app.reasons import summary_text
from etl.errors import LoadRefusedError
from etl.inspections import load_inspections
from etl.limits import MAX_UPLOAD_BYTES
from sql.bulk import set_actor
from sql.engine import connect

OFFLINE_SUFFIXES = (".csv", ".xlsx", ".zip")  # KoboToolbox and ODK Central exports (ODK: a ZIP)
dash.register_page(__name__, path="/kiem-tra", name="Kiểm tra thiết chế", title="Kiểm tra thiết chế — phusong",
                   label_key="page_inspection", roles=INSPECTING_ROLES, order=1)

LIST_LIMIT = 25
STATUS_BUTTON_COLOURS = {"operational": "success", "degraded": "warning", "broken": "danger",
                         "decommissioned": "secondary", "planned": "info"}


def layout(**_: Any) -> Any:
    user = current_user()
    refused = gate(user, INSPECTING_ROLES)
    if refused:
        return refused
    en = current_lang() == "en"
    return html.Div([
        dcc.Store(id="insp-location"),
        dcc.Store(id="insp-selected"),
        dcc.Store(id="insp-submission"),
        dcc.Store(id="insp-saved-count", data=0),
        dcc.Store(id="insp-pending"),
        dcc.Interval(id="insp-poll", interval=600, max_intervals=0, disabled=True),
        html.Div(id="insp-result", className="mb-2"),
        html.Div([
            html.H5(t("page_inspection"), className="mb-1"),
            html.Div(id="insp-location-text", className="small text-muted mb-2"),
            html.Div(id="insp-list"),
        ], id="insp-list-view"),
        html.Div(_form(en), id="insp-form-view", style={"display": "none"}),
        _offline_upload(en),
    ], style={"maxWidth": "560px"})


def _offline_upload(en: bool) -> Any:
    """Inspections made offline in KoboToolbox or ODK Collect, uploaded from the export (issue 6): the ETL's
    inspection path, kept to the inspector's communes; a preview first, then one tap to record them."""
    return dbc.Card(dbc.CardBody([
        dcc.Store(id="insp-upload-token"),
        html.H6("Worked offline? Upload the Kobo / ODK export" if en
                else "Làm việc ngoại tuyến? Tải lên tệp xuất từ Kobo / ODK", className="mb-2"),
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
        dbc.Textarea(id="insp-note", rows=2, className="mb-2", maxLength=2000),
        dcc.Upload(id="insp-photo", accept="image/jpeg,image/png", max_size=-1, multiple=False,
                   children=dbc.Button(f"📷 {t('photo')} (JPEG/PNG ≤ 5 MB)", color="secondary", outline=True,
                                       className="w-100", id="insp-photo-button")),
        html.Div(id="insp-photo-name", className="small text-muted mb-2"),
        html.Div(id="insp-form-location", className="small mb-2"),
        dbc.Row([
            dbc.Col(dbc.Button(t("save"), id="insp-save", color="primary", className="w-100", size="lg")),
            dbc.Col(dbc.Button(t("cancel"), id="insp-cancel", color="light", className="w-100", size="lg")),
        ], className="g-2"),
        html.Div(id="insp-form-error", className="mt-2"),
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
        return dbc.Alert(refusal_text(exc, filename, path), color="danger", id="insp-upload-refused"), None, True, None
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
        return dbc.Alert(refusal_text(exc, path.name if path else "", path), color="danger"), False, no_update
    finally:
        discard_upload(token)  # recorded or refused, the file is not kept
    REFRESHER.notify()  # the worker brings the changed communes current; the map redraws when it has
    return (dbc.Alert(summary_text(as_uploaded(result, path.name)), color="success", id="insp-upload-done"), True,
            (saved or 0) + result.loaded)


@callback(Output("insp-list", "children"), Output("insp-location-text", "children"),
          Input("insp-location", "data"), Input("insp-saved-count", "data"))
def list_facilities(location: Any, _saved: int) -> Any:
    """Facilities in the user's scope: those with an open broken/inaudible citizen report first, then nearest
    first with a location, else least recently inspected first (sql/queries/inspection_queue.sql)."""
    user = require(*INSPECTING_ROLES)
    lon, lat = location_from_store(location)
    found = rows("inspection_queue", {**scope_binds(user), "lon": lon, "lat": lat, "commune": None,
                                           "limit": LIST_LIMIT})
    en = current_lang() == "en"
    if lon is None:
        where = ("No location from the browser: least recently inspected first." if en
                 else "Không có vị trí từ trình duyệt: thiết chế lâu chưa kiểm tra nhất ở trên cùng.")
    else:
        where = (f"{t('current_location')}: {lat:.5f}, {lon:.5f}. " +
                 ("Nearest first." if en else "Gần nhất ở trên cùng."))
    items = []
    for f in found:
        distance = "" if f["distance_m"] is None else f" · {_distance(f['distance_m'])}"
        last = fmt_date(f["last_inspected_at"]) if f["last_inspected_at"] else t("never_inspected")
        items.append(dbc.ListGroupItem([
            html.Div([html.B(f["name"] or type_word(f["type"])),
                      dbc.Badge(status_word(f["status"]), color=STATUS_BUTTON_COLOURS.get(f["status"], "secondary"),
                                className="ms-2"),
                      *([dbc.Badge(f"{f['open_reports']} " + ("citizen report(s)" if en else "phản ánh"),
                                   color="danger", className="ms-1")] if f["open_reports"] else [])]),
            html.Div(f"{type_word(f['type'])} · {f['commune_name']}{distance}", className="small"),
            html.Div(f"{t('last_inspected')}: {last}", className="small text-muted"),
        ], action=True, className="inspection-item py-2", id={"type": "insp-item", "id": f["id"]}))
    if not items:
        items = [dbc.ListGroupItem("—")]
    return dbc.ListGroup(items, id="insp-items"), where


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
          Output("insp-form-error", "children"),
          Input("insp-selected", "data"), prevent_initial_call=True)
def open_form(facility_id: int | None) -> Any:
    require(*INSPECTING_ROLES)  # the role first, whatever the argument (the route x role table)
    hidden, shown = {"display": "none"}, {"display": "block"}
    if facility_id is None:
        return hidden, shown, "", "", None, "", None, None
    found = rows("facility_for_inspection", {"id": facility_id})
    if not found:
        raise AccessDenied(f"facility {facility_id} does not exist")
    f = found[0]
    require(*INSPECTING_ROLES, communes=[f["commune_code"]])
    facts = (f"{type_word(f['type'])} · {f['commune_name']} · {t('status')}: {status_word(f['status'])} · "
             f"{t('last_inspected')}: {fmt_date(f['last_inspected_at']) if f['last_inspected_at'] else '–'}")
    return shown, hidden, f["name"] or type_word(f["type"]), facts, f["status"], "", None, None


@callback(Output("insp-photo-name", "children"), Input("insp-photo", "filename"), prevent_initial_call=True)
def show_photo_name(filename: str | None) -> Any:
    return filename or ""


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
          Input("insp-save", "n_clicks"),
          State("insp-selected", "data"), State("insp-status", "value"), State("insp-note", "value"),
          State("insp-photo", "contents"), State("insp-location", "data"), State("insp-submission", "data"),
          State("insp-saved-count", "data"), prevent_initial_call=True)
def save_inspection(n_clicks: int | None, facility_id: int | None, status: str | None, note: str | None,
                    photo: str | None, location: Any, submission_id: str | None, saved: int | None) -> Any:
    """Append the inspection (the server checks role and scope); the commune is recomputed right after."""
    user = require(*INSPECTING_ROLES)
    unchanged = (no_update,) * 3
    if not n_clicks or facility_id is None:
        return (no_update,) * 4 + unchanged
    en = current_lang() == "en"
    if not status:
        return (no_update, no_update, no_update,
                dbc.Alert("Choose a status." if en else "Chọn tình trạng.", color="warning", className="py-1"),
                *unchanged)
    try:
        raw = decode_upload(photo)
        if raw is not None and len(raw) > MAX_PHOTO_BYTES:
            raise InspectionInputError("ảnh quá lớn > 5 MB (photo too large)")
        lon, lat = location_from_store(location)
        result = record_inspection(user, int(facility_id), status, note=note, photo=raw, lon=lon, lat=lat,
                                   submission_id=submission_id, recompute_now=False)
    except InspectionInputError as exc:
        return (no_update, no_update, no_update,
                dbc.Alert(str(exc), color="danger", className="py-1", id="insp-photo-error"), *unchanged)
    REFRESHER.notify()
    message = ("Inspection saved." if en else "Đã lưu kết quả kiểm tra.") if result.inspection_id else \
        ("Already saved." if en else "Đã lưu trước đó.")
    pending = {"code": result.commune_code, "name": result.commune_name, "before": result.class_before}
    alert = dbc.Alert([html.Div(html.B(message)),
                       html.Div(f"{status_word(status)}", className="small"),
                       html.Div(_class_line(pending, result.class_after, result.stale), className="small",
                                id="insp-result-class")],
                      color="success", id="insp-saved", className="py-2")
    return alert, (saved or 0) + 1, None, None, pending, not result.stale, 30


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
