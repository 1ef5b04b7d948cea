"""Việc của tôi (issue 23): on the inspector's page, first, their open assignments of the inspection plans already
begun, overdue first; a tap opens the facility's form as a tap in the list does. The callbacks are registered by
app/pages/inspection.py (``register_task_callbacks``), like inspection_day's, so they are registered once."""

from __future__ import annotations

import uuid
from typing import Any

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, callback, ctx, html, no_update

from analysis.inspection_plans import my_assignments
from app.auth import require
from app.i18n import fmt_date, fmt_int, t, type_word
from app.inspections import INSPECTING_ROLES
from sql.engine import connect

TASKS_SHOWN = 5  # on a phone the list below must stay in sight; the rest open under "Xem thêm"


def my_tasks_card() -> Any:
    return dbc.Card(dbc.CardBody([html.H6(t("my_tasks"), className="mb-1"), html.Div(id="insp-my-tasks")]),
                    className="mb-2 border-primary", id="insp-my-tasks-card")


def _task_item(r: dict[str, Any]) -> Any:
    badges = []
    if r["overdue"]:
        badges.append(dbc.Badge(t("overdue"), color="danger", className="ms-1"))
    if r["priority"] in (0, 1):
        badges.append(dbc.Badge(t("priority_feedback" if r["priority"] == 0 else "priority_broken"),
                                color="warning", text_color="dark", className="ms-1"))
    return dbc.ListGroupItem([
        html.Div([html.B(r["facility_name"] or type_word(r["type"])), *badges]),
        html.Div(f"{r['commune_name'] or r['commune_code']} · {t('due_date')}: {fmt_date(r['due_date'])}",
                 className="small"),
    ], action=True, className="py-2 insp-task" + (" list-group-item-danger" if r["overdue"] else ""),
        id={"type": "insp-task", "id": r["facility_id"]})


def register_task_callbacks() -> None:
    @callback(Output("insp-my-tasks", "children"), Input("insp-saved-count", "data"))
    def list_my_tasks(_saved: int | None) -> Any:
        """The user's own open assignments (their name from the session, never from the request)."""
        user = require(*INSPECTING_ROLES)
        with connect() as conn:
            found = my_assignments(conn, user.name)
        if not found:
            return html.Div(t("my_tasks_none"), className="small text-muted", id="insp-my-tasks-empty")
        late = sum(1 for r in found if r["overdue"])
        head = t("my_tasks_count").format(n=fmt_int(len(found)), late=fmt_int(late))
        rest = found[TASKS_SHOWN:]
        more = [html.Details([html.Summary(t("my_tasks_more").format(n=fmt_int(len(rest))), className="small mt-1"),
                              dbc.ListGroup([_task_item(r) for r in rest])], id="insp-my-tasks-more")] if rest else []
        return [html.Div(head, className="small text-muted mb-1", id="insp-my-tasks-count"),
                dbc.ListGroup([_task_item(r) for r in found[:TASKS_SHOWN]], id="insp-my-tasks-items"), *more]

    @callback(Output("insp-selected", "data", allow_duplicate=True),
              Output("insp-submission", "data", allow_duplicate=True),
              Input({"type": "insp-task", "id": ALL}, "n_clicks"), prevent_initial_call=True)
    def choose_task(clicks: list[int | None]) -> Any:
        """UI state only: which task was tapped (open_form checks the facility's scope)."""
        trigger = ctx.triggered_id
        if not isinstance(trigger, dict) or not any(clicks or ()):
            return no_update, no_update
        return trigger["id"], f"app:{uuid.uuid4()}"
