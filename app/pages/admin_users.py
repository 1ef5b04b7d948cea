"""Quản trị → Người dùng (issue 21): the users with role, scope, state and last login; a role/scope editor whose
scope is picked by province or commune name ("Tên (mã)", from the loaded 2025 units, every code checked again on
the server); adding a user; locking and opening an account (asked again first).

Every change goes through app/auth.py (update_user ends the user's sessions when the role or scope changes) and
is audited by app_user's trigger with the admin's name and address."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from app.auth import (
    ROLES,
    UserError,
    add_user,
    change_role_scope,
    check_scope_codes,
    client_address,
    find_user,
    parse_scope,
    require,
    reset_password,
    update_user,
)
from app.components.common import rows, small_table
from app.errors import error_text
from app.i18n import current_lang, fmt_date, t
from sql.engine import connect

ADMIN = ("admin",)
_CALLBACKS: list[tuple[Any, tuple[Any, ...], dict[str, Any]]] = []


def _on(*dependencies: Any, **options: Any) -> Any:
    """Keep a callback of this tab for ``register_callbacks`` (a decorator like dash.callback)."""
    def keep(function: Any) -> Any:
        _CALLBACKS.append((function, dependencies, options))
        return function
    return keep


def register_callbacks() -> None:
    """Give the app being built this tab's callbacks. Dash runs the page module (app/pages/admin.py) anew for
    every app it builds, while this module is imported once: a plain @callback would reach the first app only."""
    for function, dependencies, options in _CALLBACKS:
        callback(*dependencies, **options)(function)


def _w(vi: str, en: str) -> str:
    return en if current_lang() == "en" else vi


def scope_units() -> dict[str, str]:
    """Every loaded 2025 province and commune as code -> "Tên (mã)", provinces first."""
    return {u["code"]: f"{u['name']} ({u['code']})" for u in rows("scope_units_2025")}


def scope_options() -> list[dict[str, str]]:
    """The picker's options: "Tên (mã)", found by the name with or without marks, or by the code."""
    return [{"label": f"{u['name']} ({u['code']})", "value": u["code"],
             "search": f"{u['name']} {u['name_folded']} {u['code']}"} for u in rows("scope_units_2025")]


def _scope_picker(id_: str, options: list[dict[str, str]]) -> Any:
    return dcc.Dropdown(id=id_, options=options, multi=True, value=[], className="small",
                        placeholder=_w("Phạm vi: chọn tỉnh hoặc xã theo tên (trống = toàn quốc)",
                                       "Scope: pick provinces or communes by name (empty = whole country)"))


def users_tab(en: bool) -> Any:
    options = scope_options()
    roles = [{"label": t(f"role_{r}"), "value": r} for r in ROLES]
    return html.Div([
        html.Div(users_table(), id="admin-users", className="table-responsive"),
        html.H6(_w("Sửa vai trò và phạm vi", "Change role and scope"), className="mt-3"),
        dbc.Row([
            dbc.Col(dcc.Dropdown(id="admin-edit-user", options=_user_choices(), className="small",
                                 placeholder=_w("Chọn người dùng", "Pick a user")), xs=12, md=3),
            dbc.Col(dbc.Select(id="admin-edit-role", options=roles, size="sm"), xs=12, md=2),
            dbc.Col(_scope_picker("admin-edit-scope", options), xs=12, md=4),
            dbc.Col(dbc.Button(_w("Lưu thay đổi", "Save changes"), id="admin-edit-save", size="sm",
                               color="primary"), xs="auto"),
            dbc.Col(dbc.Button(_w("Đặt lại mật khẩu", "Reset the password"), id="admin-edit-reset", size="sm",
                               color="outline-danger"), xs="auto"),
        ], className="g-2"),
        # A reset is asked again too: it ends the user's sessions and their password stops working at once.
        dcc.ConfirmDialog(id="admin-reset-confirm"),
        html.Div(id="admin-edit-message", className="mt-2"),
        html.Div(id="admin-reset-message", className="mt-2"),
        html.H6("Thêm người dùng" if not en else "Add a user", className="mt-3"),
        dbc.Row([
            dbc.Col(dbc.Input(id="admin-user-name", placeholder=t("user_name"), size="sm"), xs=6, md=2),
            dbc.Col(dbc.Input(id="admin-user-password", placeholder=t("password"), type="password", size="sm"),
                    xs=6, md=2),
            dbc.Col(dbc.Select(id="admin-user-role", value="inspector", size="sm", options=roles), xs=12, md=2),
            dbc.Col(_scope_picker("admin-user-scope", options), xs=12, md=5),
            dbc.Col(dbc.Button(t("save"), id="admin-user-add", size="sm", color="primary"), xs="auto"),
        ], className="g-2"),
        html.H6("Khóa / mở tài khoản" if not en else "Deactivate / activate", className="mt-3"),
        dbc.Row([
            dbc.Col(dbc.Input(id="admin-user-toggle-name", placeholder=t("user_name"), size="sm"), xs=12, md=2),
            dbc.Col(dbc.Button("Khóa" if not en else "Deactivate", id="admin-user-deactivate", size="sm",
                               color="warning"), xs="auto"),
            dbc.Col(dbc.Button("Mở" if not en else "Activate", id="admin-user-activate", size="sm",
                               color="success"), xs="auto"),
        ], className="g-2"),
        # Every lock is asked again: one click must not lock anyone out (the last admin is refused anyway).
        dcc.ConfirmDialog(id="admin-user-confirm-lock"),
        html.Div(id="admin-user-message", className="mt-2"),
    ])


def _user_choices() -> list[dict[str, str]]:
    return [{"label": f"{u['name']} · {t('role_' + u['role'])}", "value": u["name"]}
            for u in rows("app_users_last_login", {})]


def users_table() -> Any:
    """Every user with role, scope (by name), state, failed logins and the last login (from the audit log)."""
    vi = current_lang() == "vi"
    found = rows("app_users_last_login", {})
    units = scope_units()
    return small_table(
        [t("user_name"), t("role"), t("scope"), "Hoạt động" if vi else "Active",
         "Đăng nhập sai" if vi else "Failed logins", "Đăng nhập gần nhất" if vi else "Last login"],
        [[u["name"], t(f"role_{u['role']}"),
          ", ".join(units.get(c, c) for c in u["scope_codes"]) or t("whole_country"),
          ("✓" if u["active"] else "✗") + (_w(" · chờ đổi mật khẩu", " · must change the password")
                                             if u["must_change_password"] else ""), u["failed_logins"],
          fmt_date(u["last_login_at"]) if u["last_login_at"] else ("chưa đăng nhập" if vi else "never")]
         for u in found], id="admin-users-table", stacked=True)


def _refused(exc: UserError, id_: str) -> Any:
    return dbc.Alert(error_text(exc), color="danger", className="py-1", id=id_)


def _codes(scope: list[str] | str | None) -> list[str]:
    """The picker sends a list; a typed list of codes ("11, 03160") is read too."""
    return parse_scope(scope) if isinstance(scope, str) or scope is None else [str(c) for c in scope]


# --------------------------------------------------------------------------------------------- the editor

@_on(Output("admin-edit-role", "value"), Output("admin-edit-scope", "value"),
          Input("admin-edit-user", "value"), prevent_initial_call=True)
def fill_editor(name: str | None) -> Any:
    """Picking a user shows their role and scope, ready to change."""
    require(*ADMIN)
    found = next((u for u in rows("app_users_last_login", {}) if u["name"] == name), None)
    if found is None:
        return None, []
    return found["role"], list(found["scope_codes"])


@_on(Output("admin-edit-user", "options"), Input("admin-users", "children"), prevent_initial_call=True)
def refresh_user_choices(_table: Any) -> Any:
    """A user added or changed appears in the editor's list."""
    require(*ADMIN)
    return _user_choices()


@_on(Output("admin-edit-message", "children"), Output("admin-users", "children", allow_duplicate=True),
          Input("admin-edit-save", "n_clicks"), State("admin-edit-user", "value"), State("admin-edit-role", "value"),
          State("admin-edit-scope", "value"), prevent_initial_call=True)
def save_user_edit(n_clicks: int | None, name: str | None, role: str | None, scope: list[str] | str | None) -> Any:
    """Store the role and scope: codes checked against the loaded units; a change ends the user's sessions."""
    admin = require(*ADMIN)
    if not n_clicks or not name:
        return no_update, no_update
    try:
        with connect() as conn:
            codes = check_scope_codes(conn, _codes(scope))
            changed = change_role_scope(conn, name, role=role or "", scope_codes=codes, actor=admin.name,
                                        address=client_address())
    except UserError as exc:
        return _refused(exc, "admin-edit-refused"), no_update
    if not changed:
        return dbc.Alert(_w("Không có gì thay đổi.", "Nothing changed."), color="secondary", className="py-1",
                         id="admin-edit-same"), no_update
    said = _w(f"Đã lưu vai trò và phạm vi của {name}; {name} cần đăng nhập lại.",
              f"Role and scope of {name} saved; {name} has to log in again.")
    return dbc.Alert(said, color="success", className="py-1", id="admin-edit-done"), users_table()


@_on(Output("admin-reset-confirm", "message"), Output("admin-reset-confirm", "displayed"),
     Input("admin-edit-reset", "n_clicks"), State("admin-edit-user", "value"), prevent_initial_call=True)
def ask_to_reset(n_clicks: int | None, name: str | None) -> Any:
    """The reset button only asks; the reset happens when the dialog is confirmed."""
    require(*ADMIN)
    if not n_clicks or not name:
        return no_update, False
    return _w(f"Đặt lại mật khẩu của {name}? Mật khẩu cũ hết hiệu lực, {name} bị đăng xuất và phải đổi mật khẩu "
              "tạm ở lần đăng nhập sau.",
              f"Reset the password of {name}? The old one stops working, {name} is logged out and must change "
              "the temporary one at the next login."), True


@_on(Output("admin-reset-message", "children"), Output("admin-users", "children", allow_duplicate=True),
     Input("admin-reset-confirm", "submit_n_clicks"), State("admin-edit-user", "value"), prevent_initial_call=True)
def reset_user_password(submitted: int | None, name: str | None) -> Any:
    """A temporary password, shown here once (stored only as a hash), to be changed at the next login; audited."""
    admin = require(*ADMIN)
    if not submitted or not name:
        return no_update, no_update
    try:
        with connect() as conn:
            temporary = reset_password(conn, name, actor=admin.name, address=client_address())
    except UserError as exc:
        return _refused(exc, "admin-reset-refused"), no_update
    return dbc.Alert([
        html.Div(_w(f"Mật khẩu tạm của {name} (chỉ hiện một lần, hãy trao tận tay):",
                    f"Temporary password of {name} (shown once: hand it over in person):")),
        html.Code(temporary, id="admin-reset-password", className="fs-5"),
        html.Div(_w("Người dùng phải đổi mật khẩu ở lần đăng nhập sau.",
                    "The user must change it at the next login."), className="small"),
    ], color="warning", className="py-2", id="admin-reset-done"), users_table()


# --------------------------------------------------------------------------------------------- add, lock

@_on(Output("admin-user-confirm-lock", "message"), Output("admin-user-confirm-lock", "displayed"),
          Input("admin-user-deactivate", "n_clicks"), State("admin-user-toggle-name", "value"),
          prevent_initial_call=True)
def ask_to_deactivate(n_clicks: int | None, name: str | None) -> Any:
    """The lock button only asks, naming the account the typed name finds (compared as names are: NFC, without
    case); the lock happens when the dialog is confirmed. A name that finds nobody is said in the dialog."""
    require(*ADMIN)
    if not n_clicks or not (name or "").strip():
        return no_update, False
    try:
        with connect() as conn:
            found = find_user(conn, name or "")["name"]
    except UserError as exc:
        return error_text(exc), True
    return t("confirm_deactivate").format(name=found), True


@_on(Output("admin-user-message", "children"), Output("admin-users", "children"),
          Output("admin-user-name", "value"), Output("admin-user-password", "value"),
          Output("admin-user-scope", "value"),
          Input("admin-user-add", "n_clicks"), Input("admin-user-confirm-lock", "submit_n_clicks"),
          Input("admin-user-activate", "n_clicks"),
          State("admin-user-name", "value"), State("admin-user-password", "value"),
          State("admin-user-role", "value"), State("admin-user-scope", "value"),
          State("admin-user-toggle-name", "value"), prevent_initial_call=True)
def change_users(_add: int | None, _off: int | None, _on: int | None, name: str | None, password: str | None,
                 role: str, scope: list[str] | str | None, toggle_name: str | None) -> Any:
    admin = require(*ADMIN)
    trigger = dash.ctx.triggered_id
    toggle_name = (toggle_name or "").strip()
    try:
        with connect() as conn:
            if trigger == "admin-user-add":
                codes = check_scope_codes(conn, _codes(scope))
                add_user(conn, name or "", password or "", role=role, scope_codes=codes, actor=admin.name,
                         address=client_address())
                done = _w(f"Đã thêm người dùng {name}.", f"User {name} added.")
            else:
                toggle_name = update_user(conn, toggle_name, active=trigger == "admin-user-activate",
                                          actor=admin.name, address=client_address())
                opened = trigger == "admin-user-activate"
                done = _w(f"Đã {'mở' if opened else 'khóa'} tài khoản {toggle_name}.",
                          f"Account {toggle_name} {'activated' if opened else 'deactivated'}.")
    except UserError as exc:
        return _refused(exc, "admin-user-refused"), *[no_update] * 4
    # The add form is emptied once the user exists (a second click would only be refused as a duplicate).
    cleared = ["", "", []] if trigger == "admin-user-add" else [no_update] * 3
    return dbc.Alert(done, color="success", className="py-1", id="admin-user-done"), users_table(), *cleared
