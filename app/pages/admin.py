"""Quản trị (administrators): upload a survey → preview (rows fine / warnings / rejects with reasons) → confirm
load, through the ETL's own loaders; users with roles and scopes (app/pages/admin_users.py); the audit log with
filters, pages and its XLSX (app/pages/admin_audit.py)."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from analysis.refresh import bring_current
from app.auth import current_user, require
from app.components.common import gate, overdue_link
from app.components.uploads import (
    as_uploaded,
    discard_upload,
    keep_upload,
    kept_upload,
    preview_view,
    refusal_text,
)
from app.errors import error_text
from app.i18n import current_lang, t
from app.pages.admin_audit import audit_tab
from app.pages.admin_audit import register_callbacks as register_audit_callbacks
from app.pages.admin_users import register_callbacks as register_users_callbacks
from app.pages.admin_users import users_tab
from app.refresh_text import coverage_status_line, refresh_line
from etl.errors import LoadRefusedError
from etl.facilities import load_facilities
from etl.inspections import load_inspections
from etl.limits import MAX_UPLOAD_BYTES
from etl.villages import load_villages
from sql.bulk import set_actor
from sql.engine import connect, get_engine

ADMIN = ("admin",)
dash.register_page(__name__, path="/quan-tri", name="Quản trị", title="Quản trị — phusong", label_key="page_admin",
                   roles=ADMIN, order=4)

LOADERS = {"facilities": load_facilities, "villages": load_villages, "inspections": load_inspections}
KIND_LABELS = {"facilities": ("Khảo sát thiết chế", "Facility survey"),
               "villages": ("Danh sách thôn/bản", "Villages"),
               "inspections": ("Kết quả kiểm tra (Kobo/ODK)", "Inspections (Kobo/ODK)")}
register_users_callbacks()  # the users tab (app/pages/admin_users.py)
register_audit_callbacks()  # the audit log tab (app/pages/admin_audit.py)
SUFFIXES = (".csv", ".xlsx", ".xls", ".geojson", ".json", ".gpkg", ".zip", ".kml", ".shp")


def layout(**_: Any) -> Any:
    user = current_user()
    refused = gate(user, ADMIN)
    if refused or user is None:
        return refused
    en = current_lang() == "en"
    return html.Div([
        html.Div([html.Span(coverage_status_line(), id="admin-coverage-status", className="small text-muted"),
                  overdue_link(user)], className="d-flex justify-content-between"),
        dbc.Tabs([
            dbc.Tab(_upload_tab(en), label=f"{t('upload')} ({t('preview')})", tab_id="admin-tab-upload"),
            dbc.Tab(html.Div(id="admin-users-tab", children=users_tab(en)), label=t("users"),
                    tab_id="admin-tab-users"),
            dbc.Tab(audit_tab(), label=t("audit_log"), tab_id="admin-tab-audit"),
        ], id="admin-tabs", active_tab="admin-tab-upload", className="mt-1"),
    ])


# --------------------------------------------------------------------------------------------- upload

def _upload_tab(en: bool) -> Any:
    return html.Div([
        dcc.Store(id="admin-upload-token"),
        # The language of the page, for the load that runs in a background process (no session there).
        dcc.Store(id="admin-lang", data=current_lang()),
        dbc.Row([
            dbc.Col(dbc.RadioItems(id="admin-kind", value="facilities", inline=True, className="small",
                                   options=[{"label": pair[1] if en else pair[0], "value": k}
                                            for k, pair in KIND_LABELS.items()]), md=8),
        ], className="my-2"),
        dcc.Upload(id="admin-upload", multiple=False, max_size=MAX_UPLOAD_BYTES, className="mb-2",
                   children=html.Div(["Kéo thả hoặc bấm để chọn tệp (CSV, XLSX, GeoJSON, GPKG, ZIP)" if not en
                                      else "Drop or click to choose a file (CSV, XLSX, GeoJSON, GPKG, ZIP)"],
                                     className="border border-2 rounded p-4 text-center text-muted",
                                     style={"borderStyle": "dashed"})),
        dcc.Loading(html.Div(id="admin-preview")),
        dbc.Button(t("confirm_load"), id="admin-confirm", color="primary", disabled=True, className="mt-2"),
        html.Div(id="admin-load-progress", className="small text-muted mt-1"),
        html.Div(id="admin-load-result", className="mt-2"),
    ])


@callback(Output("admin-preview", "children"), Output("admin-upload-token", "data"),
          Output("admin-confirm", "disabled"), Output("admin-load-result", "children"),
          Input("admin-upload", "contents"), State("admin-upload", "filename"), State("admin-kind", "value"),
          State("admin-upload-token", "data"), prevent_initial_call=True)
def preview_upload(contents: str | None, filename: str | None, kind: str, previous: str | None) -> Any:
    """Keep the file on the server and show what loading it would do, row by row, without writing anything."""
    user = require(*ADMIN)
    discard_upload(previous)  # a new file replaces the one previewed before
    if not contents or not filename:
        return no_update, None, True, None
    token, path = None, None
    try:
        token, path = keep_upload(contents, filename, SUFFIXES)
        with connect() as conn:
            result = LOADERS[kind](conn, path, dry_run=True, loaded_by=user.name)
    except (LoadRefusedError, ValueError) as exc:
        said = refusal_text(exc, filename, path)  # before the file goes: the message may look at it
        discard_upload(token)
        return dbc.Alert(said, color="danger", id="admin-preview-refused"), None, True, None
    return preview_view(as_uploaded(result, filename), "admin"), token, result.loaded + result.updated == 0, None


@callback(Output("admin-preview", "children", allow_duplicate=True),
          Output("admin-upload-token", "data", allow_duplicate=True),
          Output("admin-confirm", "disabled", allow_duplicate=True),
          Output("admin-load-result", "children", allow_duplicate=True),
          Input("admin-kind", "value"), State("admin-upload", "contents"), State("admin-upload", "filename"),
          State("admin-upload-token", "data"), prevent_initial_call=True)
def recheck_upload(kind: str, contents: str | None, filename: str | None, previous: str | None) -> Any:
    """Changing the type (facilities/villages/inspections) re-checks the file already chosen, as that type."""
    return preview_upload(contents, filename, kind, previous)


@callback(Output("admin-load-result", "children", allow_duplicate=True),
          Output("admin-confirm", "disabled", allow_duplicate=True),
          Input("admin-confirm", "n_clicks"), State("admin-upload-token", "data"), State("admin-kind", "value"),
          State("admin-lang", "data"), background=True, prevent_initial_call=True,
          running=[(Output("admin-confirm", "disabled"), True, False)],
          progress=[Output("admin-load-progress", "children")])
def confirm_load(set_progress: Any, n_clicks: int | None, token: str | None, kind: str, lang: str | None) -> Any:
    """Load the previewed file for real (one transaction), then recompute the communes it changed."""
    user = require(*ADMIN)
    if not n_clicks:
        return no_update, no_update
    set_progress("Đang nạp dữ liệu…" if lang != "en" else "Loading…")
    path = None
    try:
        path = kept_upload(token)
        with connect() as conn:
            set_actor(conn, user.name)
            result = LOADERS[kind](conn, path, loaded_by=user.name)
        recomputing = "Đang tính lại vùng phủ sóng" if lang != "en" else "Recomputing coverage"
        set_progress(recomputing + "…")
        coverage = bring_current(get_engine(), progress=lambda done, total: set_progress(
            f"{recomputing}: {done}/{total}"))
    except (LoadRefusedError, ValueError) as exc:
        set_progress("")
        return dbc.Alert(error_text(exc, path.name if path else "", path), color="danger"), False
    finally:
        discard_upload(token)  # loaded or refused, the file is not kept
    set_progress("")
    return dbc.Alert([html.Div(as_uploaded(result, path.name).summary(lang or current_lang())),
                      html.Div(refresh_line(coverage, lang), className="small")],
                     color="success", id="admin-load-done"), True
