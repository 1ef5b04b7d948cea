"""Quản trị (administrators): upload a survey → preview (rows fine / warnings / rejects with reasons) → confirm
load, through the ETL's own loaders; users with roles and scopes; the audit log with before and after."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from app.audit_words import ACTIONS, ENTITIES, change_text, word
from app.auth import (
    ROLES,
    UserError,
    add_user,
    client_address,
    current_user,
    parse_scope,
    require,
    update_user,
)
from app.components.common import gate, overdue_link, rows, small_table
from app.errors import error_text
from app.i18n import current_lang, fmt_date, t
from app.pages.admin_upload import register_callbacks as register_upload_callbacks
from app.pages.admin_upload import upload_tab
from app.refresh_text import coverage_status_line
from sql.engine import connect

ADMIN = ("admin",)
dash.register_page(__name__, path="/quan-tri", name="Quản trị", title="Quản trị — phusong", label_key="page_admin",
                   roles=ADMIN, order=4)
register_upload_callbacks()  # the upload tab (app/pages/admin_upload.py, issue 21)


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
            dbc.Tab(upload_tab(en), label=f"{t('upload')} ({t('preview')})", tab_id="admin-tab-upload"),
            dbc.Tab(html.Div(id="admin-users-tab", children=_users_tab(en)), label=t("users"),
                    tab_id="admin-tab-users"),
            dbc.Tab(_audit_tab(), label=t("audit_log"), tab_id="admin-tab-audit"),
        ], id="admin-tabs", active_tab="admin-tab-upload", className="mt-1"),
    ])


# --------------------------------------------------------------------------------------------- users

def _users_tab(en: bool) -> Any:
    users = _users_table()
    return html.Div([
        html.Div(users, id="admin-users"),
        html.H6("Thêm người dùng" if not en else "Add a user", className="mt-3"),
        dbc.Row([
            dbc.Col(dbc.Input(id="admin-user-name", placeholder=t("user_name"), size="sm"), md=2),
            dbc.Col(dbc.Input(id="admin-user-password", placeholder=t("password"), type="password", size="sm"),
                    md=2),
            dbc.Col(dbc.Select(id="admin-user-role", value="inspector", size="sm",
                               options=[{"label": t(f"role_{r}"), "value": r} for r in ROLES]), md=2),
            dbc.Col(dbc.Input(id="admin-user-scope", placeholder=f"{t('scope')}: 11, 03160", size="sm"), md=3),
            dbc.Col(dbc.Button(t("save"), id="admin-user-add", size="sm", color="primary"), md=1),
        ], className="g-2"),
        html.H6("Khóa / mở tài khoản" if not en else "Deactivate / activate", className="mt-3"),
        dbc.Row([
            dbc.Col(dbc.Input(id="admin-user-toggle-name", placeholder=t("user_name"), size="sm"), md=2),
            dbc.Col(dbc.Button("Khóa" if not en else "Deactivate", id="admin-user-deactivate", size="sm",
                               color="warning"), md="auto"),
            dbc.Col(dbc.Button("Mở" if not en else "Activate", id="admin-user-activate", size="sm",
                               color="success"), md="auto"),
        ], className="g-2"),
        # Every lock is asked again: one click must not lock anyone out (the last admin is refused anyway).
        dcc.ConfirmDialog(id="admin-user-confirm-lock"),
        html.Div(id="admin-user-message", className="mt-2"),
    ])


def _users_table() -> Any:
    """Every user with role, scope, state, failed logins and the last login (from the audit log)."""
    vi = current_lang() == "vi"
    found = rows("app_users_last_login", {})
    return small_table(
        [t("user_name"), t("role"), t("scope"), "Hoạt động" if vi else "Active",
         "Đăng nhập sai" if vi else "Failed logins", "Đăng nhập gần nhất" if vi else "Last login"],
        [[u["name"], t(f"role_{u['role']}"), ", ".join(u["scope_codes"]) or t("whole_country"),
          "✓" if u["active"] else "✗", u["failed_logins"],
          fmt_date(u["last_login_at"]) if u["last_login_at"] else ("chưa đăng nhập" if vi else "never")]
         for u in found], id="admin-users-table")


@callback(Output("admin-user-confirm-lock", "message"), Output("admin-user-confirm-lock", "displayed"),
          Input("admin-user-deactivate", "n_clicks"), State("admin-user-toggle-name", "value"),
          prevent_initial_call=True)
def ask_to_deactivate(n_clicks: int | None, name: str | None) -> Any:
    """The lock button only asks; the lock happens when the dialog is confirmed."""
    require(*ADMIN)
    if not n_clicks or not (name or "").strip():
        return no_update, False
    return t("confirm_deactivate").format(name=name.strip()), True


@callback(Output("admin-user-message", "children"), Output("admin-users", "children"),
          Output("admin-user-name", "value"), Output("admin-user-password", "value"),
          Output("admin-user-scope", "value"),
          Input("admin-user-add", "n_clicks"), Input("admin-user-confirm-lock", "submit_n_clicks"),
          Input("admin-user-activate", "n_clicks"),
          State("admin-user-name", "value"), State("admin-user-password", "value"),
          State("admin-user-role", "value"), State("admin-user-scope", "value"),
          State("admin-user-toggle-name", "value"), prevent_initial_call=True)
def change_users(_add: int | None, _off: int | None, _on: int | None, name: str | None, password: str | None,
                 role: str, scope: str | None, toggle_name: str | None) -> Any:
    admin = require(*ADMIN)
    trigger = dash.ctx.triggered_id
    toggle_name = (toggle_name or "").strip()
    try:
        with connect() as conn:
            if trigger == "admin-user-add":
                add_user(conn, name or "", password or "", role=role, scope_codes=parse_scope(scope),
                         actor=admin.name, address=client_address())
                done = (f"Đã thêm người dùng {name}." if current_lang() == "vi" else f"User {name} added.")
            else:
                update_user(conn, toggle_name, active=trigger == "admin-user-activate", actor=admin.name,
                            address=client_address())
                opened = trigger == "admin-user-activate"
                done = (f"Đã {'mở' if opened else 'khóa'} tài khoản {toggle_name}." if current_lang() == "vi"
                        else f"Account {toggle_name} {'activated' if opened else 'deactivated'}.")
    except UserError as exc:
        return (dbc.Alert(error_text(exc), color="danger", className="py-1", id="admin-user-refused"),
                *[no_update] * 4)
    # The add form is emptied once the user exists (a second click would only be refused as a duplicate).
    cleared = ["", "", ""] if trigger == "admin-user-add" else [no_update] * 3
    return dbc.Alert(done, color="success", className="py-1", id="admin-user-done"), _users_table(), *cleared


# --------------------------------------------------------------------------------------------- audit log

def _audit_tab() -> Any:
    return html.Div([
        dbc.Row([
            dbc.Col(dbc.Select(id="admin-audit-entity", value="", size="sm", options=[
                {"label": t("all"), "value": ""}] + [{"label": word(ENTITIES, e, current_lang()), "value": e} for e in (
                    "facility", "inspection", "village", "app_user", "scenario", "feedback")]), md=3),
        ], className="my-2"),
        html.Div(id="admin-audit"),
    ])


@callback(Output("admin-audit", "children"), Input("admin-audit-entity", "value"), Input("admin-tabs", "active_tab"))
def show_audit(entity: str | None, tab: str | None) -> Any:
    require(*ADMIN)
    if tab != "admin-tab-audit":
        return no_update
    found = rows("audit_log_recent", {"entity": entity or None, "limit": 50})
    lang = current_lang()
    vi = lang == "vi"
    return small_table(
        ["Thời điểm" if vi else "When", "Người" if vi else "User", "Thao tác" if vi else "Action",
         "Đối tượng" if vi else "Object", "Thay đổi" if vi else "Change"],
        [[fmt_date(r["at"]), r["user"], word(ACTIONS, r["action"], lang),
          f"{word(ENTITIES, r['entity'], lang)} {r['entity_id'] or ''}",
          html.Div([html.Div(line) for line in change_text(r["before"], r["after"])], className="small")]
         for r in found], id="admin-audit-table")
