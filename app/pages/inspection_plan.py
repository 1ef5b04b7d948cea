"""Kế hoạch kiểm tra (issue 23): a province's inspection plan for a period, its progress per commune and per
inspector (done / due / overdue), and its assignments, which a planner or an administrator may give to another
inspector whose scope holds the commune, or take out of the plan. A provincial planner sees their province's
plans only; every change is audited (analysis/inspection_plans.py, sql/migrations/0200)."""

from __future__ import annotations

from typing import Any

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from analysis.inspection_plans import (
    REASON_TEXT,
    AssignmentNotChanged,
    Progress,
    inspectors_for_commune,
    plan_assignments,
    plan_progress,
    plans_in_scope,
    reassign,
    remove_assignment,
    today_vn,
)
from analysis.reports import parse_period
from app.auth import AccessDenied, User, current_user, require
from app.components.common import gate, small_table
from app.errors import error_text
from app.i18n import current_lang, fmt_date, fmt_int, status_word, t, type_word
from sql.engine import connect

PLAN_ROLES = ("planner", "admin")
dash.register_page(__name__, path="/ke-hoach-kiem-tra", name="Kế hoạch kiểm tra", title="Kế hoạch kiểm tra — phusong",
                   label_key="page_inspection_plan", roles=PLAN_ROLES, order=6)


def layout(**_: Any) -> Any:
    user = current_user()
    refused = gate(user, PLAN_ROLES)
    if refused or user is None:
        return refused
    with connect() as conn:
        plans = plans_in_scope(conn, whole_country=user.whole_country, scope=user.scope_codes)
    if not plans:
        return html.Div([html.H5(t("page_inspection_plan")),
                         dbc.Alert(t("plan_none"), color="info", id="iplan-none")])
    return html.Div([
        dcc.Store(id="iplan-changed", data=0),
        html.H5(t("page_inspection_plan"), className="mb-2"),
        dcc.Dropdown(id="iplan-plan", clearable=False, searchable=False, value=_current(plans),
                     options=[{"label": _plan_label(p), "value": p["id"]} for p in plans], className="mb-2"),
        html.Div(id="iplan-summary", className="mb-2"),
        dbc.Row([  # the inspectors first: a few lines; the communes (tens of lines) scroll in their own box
            dbc.Col([html.H6(t("plan_by_inspector")), html.Div(id="iplan-inspectors", className="table-responsive")],
                    lg={"size": 6, "order": 2}),
            dbc.Col([html.H6(t("plan_by_commune")),
                     html.Div(id="iplan-communes", className="table-responsive",
                              style={"maxHeight": "45vh", "overflowY": "auto"})], lg={"size": 6, "order": 1}),
        ]),
        html.H6(t("plan_assignments"), className="mt-2"),
        html.Div(t("plan_pick_row"), className="small text-muted mb-1"),
        dag.AgGrid(id="iplan-grid", columnDefs=_columns(), rowData=[], getRowId="params.data.id",
                   defaultColDef={"sortable": True, "resizable": True, "filter": True, "minWidth": 90},
                   dashGridOptions={"rowSelection": {"mode": "singleRow", "checkboxes": False,
                                                     "enableClickSelection": True}, "animateRows": False},
                   columnSize="responsiveSizeToFit", style={"height": "40vh"}),
        dbc.Row([
            dbc.Col(dcc.Dropdown(id="iplan-inspector", placeholder=t("inspector"), searchable=False), xs=12, md=5),
            dbc.Col(dbc.Button(t("plan_reassign"), id="iplan-reassign", color="primary", disabled=True,
                               className="w-100"), xs=6, md=3),
            dbc.Col(dbc.Button(t("plan_remove"), id="iplan-remove", color="danger", outline=True, disabled=True,
                               className="w-100"), xs=6, md=4),
        ], className="g-2 mt-2"),
        html.Div(id="iplan-result", className="mt-2"),
    ], id="iplan-page")


def _current(plans: list[dict[str, Any]]) -> Any:
    """The plan to open on: the latest one already begun (the running period's), else the first."""
    today = today_vn()
    return next((p["id"] for p in plans if p["period_start"] <= today), plans[0]["id"])


def _plan_label(plan: dict[str, Any]) -> str:
    period = parse_period(plan["period"])
    label = period.label_vi if current_lang() == "vi" else period.key
    return f"{label} — {plan['province_name'] or plan['province_code']} ({plan['province_code']})"


def _columns() -> list[dict[str, Any]]:
    return [{"field": "commune", "headerName": t("commune")}, {"field": "facility", "headerName": t("facility")},
            {"field": "inspector", "headerName": t("inspector"), "tooltipField": "why"},
            {"field": "due", "headerName": t("due_date")},
            {"field": "state", "headerName": t("state")}, {"field": "priority", "headerName": t("reason")}]


def _plan_of(user: User, plan_id: Any) -> dict[str, Any]:
    """The plan when the user may see it (their province, or the whole country); AccessDenied otherwise."""
    try:
        wanted = int(plan_id)
    except (TypeError, ValueError) as exc:
        raise AccessDenied(f"no inspection plan {plan_id!r}") from exc
    with connect() as conn:
        found = plans_in_scope(conn, whole_country=user.whole_country, scope=user.scope_codes, plan_id=wanted)
    if not found:
        raise AccessDenied(f"{user.name}: inspection plan {wanted} is outside their scope")
    return found[0]


@callback(Output("iplan-summary", "children"), Output("iplan-communes", "children"),
          Output("iplan-inspectors", "children"), Output("iplan-grid", "rowData"),
          Input("iplan-plan", "value"), Input("iplan-changed", "data"))
def show_plan(plan_id: Any, _changed: int | None) -> Any:
    """The plan's progress (in total, per commune, per inspector) and its assignments, for a plan in scope."""
    user = require(*PLAN_ROLES)
    if plan_id is None:
        return None, None, None, []
    plan = _plan_of(user, plan_id)
    with connect() as conn:
        progress = plan_progress(conn, plan)
        assignments = plan_assignments(conn, int(plan["id"]))
    header = [t("plan_due"), t("plan_done"), t("overdue"), t("plan_open"), t("plan_unassigned")]
    communes = [[p.name, *_counts(p)] for p in progress.by_commune]
    inspectors = [[p.key or f"({t('plan_unassigned')})", *_counts(p)] for p in progress.by_inspector]
    return (_summary(progress.total, plan), small_table([t("commune"), *header], communes, id="iplan-commune-table"),
            small_table([t("inspector"), *header], inspectors, id="iplan-inspector-table"),
            [_grid_row(r, progress.as_of) for r in assignments])


def _counts(p: Progress) -> list[str]:
    return [fmt_int(p.due), fmt_int(p.done), fmt_int(p.overdue), fmt_int(p.open), fmt_int(p.unassigned)]


def _summary(total: Progress, plan: dict[str, Any]) -> Any:
    share = f" ({round(100 * total.done_share)} %)" if total.done_share is not None else ""
    return html.Div([
        html.Span(f"{fmt_date(plan['period_start'])} – {fmt_date(plan['period_end'])} · ", className="small"),
        dbc.Badge(f"{t('plan_due')}: {fmt_int(total.due)}", color="secondary", className="me-1"),
        dbc.Badge(f"{t('plan_done')}: {fmt_int(total.done)}{share}", color="success", className="me-1",
                  id="iplan-done"),
        dbc.Badge(f"{t('overdue')}: {fmt_int(total.overdue)}", color="danger", className="me-1", id="iplan-overdue"),
        dbc.Badge(f"{t('plan_unassigned')}: {fmt_int(total.unassigned)}", color="warning", text_color="dark"),
    ], id="iplan-total")


def _grid_row(r: dict[str, Any], today: Any) -> dict[str, Any]:
    if r["status"] == "open":
        state = t("overdue") if r["due_date"] < today else t("plan_open")
    else:
        state = t("plan_done") if r["status"] == "done" else t("plan_removed")
    reason = {0: t("priority_feedback"), 1: t("priority_broken")}.get(r["priority"], "")
    who = r["inspector"] or f"— {t('plan_unassigned')}"
    return {"id": r["id"], "commune": r["commune_name"] or r["commune_code"], "commune_code": r["commune_code"],
            "facility": f"{r['facility_name'] or type_word(r['type'])} ({status_word(r['facility_status'])})",
            "inspector": who, "why": REASON_TEXT.get(r["unassigned_reason"] or "", ""),
            "due": fmt_date(r["due_date"]), "state": state, "priority": reason,
            "open": r["status"] == "open"}


@callback(Output("iplan-inspector", "options"), Output("iplan-inspector", "value"),
          Output("iplan-reassign", "disabled"), Output("iplan-remove", "disabled"),
          Output("iplan-inspector", "placeholder"),
          Input("iplan-grid", "selectedRows"), State("iplan-plan", "value"))
def pick_assignment(selected: list[dict[str, Any]] | None, plan_id: Any) -> Any:
    """The inspectors an open assignment may go to (their scope holds its commune); the buttons for it."""
    user = require(*PLAN_ROLES)
    row = (selected or [None])[0]
    if not row or plan_id is None:
        return [], None, True, True, t("inspector")
    _plan_of(user, plan_id)
    require(*PLAN_ROLES, communes=[str(row.get("commune_code") or "")])
    if not row.get("open"):
        return [], None, True, True, t("inspector")
    with connect() as conn:
        names = inspectors_for_commune(conn, str(row["commune_code"]))
    return ([{"label": n, "value": n} for n in names], None, not names, False,
            t("inspector") if names else t("plan_no_inspector_here"))


@callback(Output("iplan-result", "children"), Output("iplan-changed", "data"),
          Input("iplan-reassign", "n_clicks"), Input("iplan-remove", "n_clicks"),
          State("iplan-plan", "value"), State("iplan-grid", "selectedRows"), State("iplan-inspector", "value"),
          State("iplan-changed", "data"), prevent_initial_call=True)
def change_assignment(_reassign: int | None, _remove: int | None, plan_id: Any,
                      selected: list[dict[str, Any]] | None, inspector: str | None, changed: int | None) -> Any:
    """Give the selected assignment to another inspector, or take it out of the plan (audited under the user)."""
    user = require(*PLAN_ROLES)
    if plan_id is None:
        return no_update, no_update
    plan = _plan_of(user, plan_id)
    row = (selected or [None])[0]
    if not row:
        return dbc.Alert(t("plan_pick_row"), color="warning", className="py-1"), no_update
    trigger = dash.ctx.triggered_id
    try:
        with connect() as conn:
            if trigger == "iplan-remove":
                remove_assignment(conn, int(plan["id"]), int(row["id"]), actor=user.name)
            elif inspector:
                reassign(conn, int(plan["id"]), int(row["id"]), inspector, actor=user.name)
            else:
                return dbc.Alert(t("plan_choose_inspector"), color="warning", className="py-1"), no_update
    except AssignmentNotChanged as exc:
        return dbc.Alert(error_text(exc), color="danger", className="py-1", id="iplan-refused"), no_update
    return (dbc.Alert(f"{t('plan_changed')}: {row.get('facility', '')}", color="success", className="py-1",
                      id="iplan-changed-message"), (changed or 0) + 1)
