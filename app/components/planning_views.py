"""The plan page's saved scenarios and result views (issue 21): reopen, duplicate, rename and delete a saved
scenario (rules in analysis/scenario_admin.py), the result as one plain line with the solver's details behind a
toggle, totals by commune and action type with the cost per person reached, the actions' legend, and two
scenarios compared on two maps with the actions only one of them has highlighted."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
import dash_leaflet as dl
import pandas as pd
from dash import Input, Output, State, callback, ctx, dcc, html, no_update

from analysis.planning_geo import scenario_actions
from analysis.scenario_admin import (
    delete_scenario,
    duplicate_scenario,
    rename_scenario,
    totals_by_action,
    totals_by_commune_and_action,
)
from app.auth import AccessDenied, User, require
from app.components.common import scenario_options, small_table
from app.components.map_layers import CLASS_COLOURS
from app.exports import readable_scenario
from app.i18n import action_word, class_word, current_lang, fmt_int, t
from sql import queries
from sql.bulk import set_actor
from sql.engine import connect
from sql.errors import PhusongError

PLAN_ROLES = ("planner", "budget", "admin")
# Actions in a colour-blind-safe qualitative set (ColorBrewer Dark2), apart from the class fills beneath.
ACTION_COLOURS = {"repair_cluster": "#d95f02", "new_ip_cluster": "#7570b3", "new_fm_cluster": "#1b9e77",
                  "upgrade_station_ip": "#e7298a", "build_station": "#66a61e", "integration": "#666666",
                  "replace_cluster_ip": "#e6ab02"}


def _w(vi: str, en: str) -> str:
    return en if current_lang() == "en" else vi


def saved_card(options: list[dict[str, Any]]) -> Any:
    """Reopen, duplicate, rename or delete one of the saved scenarios the user may read."""
    return dbc.Card(dbc.CardBody([
        html.H6(_w("Phương án đã lưu", "Saved scenarios")),
        dcc.Dropdown(id="plan-saved-pick", options=options, placeholder=t("scenario"), className="mb-1 small"),
        dbc.Input(id="plan-saved-name", size="sm", className="mb-1",
                  placeholder=_w("Tên mới (đổi tên / nhân bản)", "New name (rename / duplicate)")),
        dbc.ButtonGroup([
            dbc.Button(_w("Mở lại", "Reopen"), id="plan-saved-open", size="sm", color="primary", outline=True),
            dbc.Button(_w("Nhân bản", "Duplicate"), id="plan-saved-duplicate", size="sm", color="secondary",
                       outline=True),
            dbc.Button(_w("Đổi tên", "Rename"), id="plan-saved-rename", size="sm", color="secondary", outline=True),
            dcc.ConfirmDialogProvider(
                dbc.Button(_w("Xoá", "Delete"), id="plan-saved-delete", size="sm", color="danger", outline=True),
                id="plan-saved-delete-confirm",
                message=_w("Xoá phương án này? Nhật ký kiểm tra vẫn giữ bản ghi.",
                           "Delete this scenario? The audit log keeps a record.")),
        ], className="w-100"),
        html.Div(id="plan-saved-result", className="small mt-1"),
    ], className="p-2"), className="mt-2")


def plan_legend() -> html.Div:
    """Legend of the plan map: the communes' class beneath, the actions' colours above."""
    classes = [html.Span([html.Span(className="swatch", style={"background": CLASS_COLOURS[c]}), class_word(c)],
                         className="me-2") for c in ("unserved", "underserved", "served")]
    actions = [html.Span([html.Span(className="dot", style={"background": colour}), action_word(a)])
               for a, colour in ACTION_COLOURS.items() if a not in ("integration", "replace_cluster_ip")]
    return html.Div([html.B(t("by_class") + ": "), *classes, html.Br(), html.B(t("action") + ": "), *actions],
                    className="plan-legend map-legend-inline", id="plan-legend")


def result_views(actions: pd.DataFrame, budget: float | None, details: list[Any]) -> tuple[Any, Any, Any]:
    """(the plain line with the details toggle, the actions as GeoJSON, the totals tables)."""
    cost = float(actions["cost_vnd"].sum()) if len(actions) else 0.0
    people = float(actions["added_population"].sum()) if len(actions) else 0.0
    per_person = fmt_int(cost / people) if people > 0 else "–"
    line = _w(f"{t('budget_vnd')}: {fmt_int(budget)} · dùng {fmt_int(cost)} đồng cho {fmt_int(len(actions))} hành "
              f"động, phủ sóng thêm {fmt_int(people)} người ({per_person} đồng/người).",
              f"{t('budget_vnd')}: {fmt_int(budget)} · {fmt_int(cost)} VND for {fmt_int(len(actions))} actions, "
              f"{fmt_int(people)} more people reached ({per_person} VND per person).")
    totals = html.Div([
        html.Span(line, id="plan-plain-line"),
        dbc.Button(_w("Chi tiết", "Details"), id="plan-details-toggle", size="sm", color="link", className="p-0 ms-2"),
        dbc.Collapse(html.Div(details, className="small text-muted"), id="plan-details", is_open=False),
    ], id="plan-totals-line")
    return totals, actions_geojson(actions), totals_tables(actions)


def totals_tables(actions: pd.DataFrame) -> Any:
    by_action = totals_by_action(actions)
    by_commune = totals_by_commune_and_action(actions)
    return html.Div([
        html.H6(_w("Tổng theo loại hành động", "Totals by action type"), className="mt-2"),
        small_table([t("action"), _w("Số", "Count"), t("cost_vnd"), t("people_newly_reached"),
                     _w("Chi phí mỗi người (đồng)", "Cost per person (VND)")],
                    [[action_word(r["action"]), fmt_int(r["actions"]), fmt_int(r["cost_vnd"]),
                      fmt_int(r["added_population"]), fmt_int(r["cost_per_person"])]
                     for r in by_action.to_dict("records")], id="plan-totals-action"),
        html.H6(_w("Tổng theo xã và loại hành động", "Totals by commune and action type")),
        small_table([t("commune"), t("action"), _w("Số", "Count"), t("cost_vnd"), t("people_newly_reached"),
                     _w("Chi phí mỗi người (đồng)", "Cost per person (VND)")],
                    [[r["commune_name"], action_word(r["action"]), fmt_int(r["actions"]), fmt_int(r["cost_vnd"]),
                      fmt_int(r["added_population"]), fmt_int(r["cost_per_person"])]
                     for r in by_commune.to_dict("records")], id="plan-totals-commune"),
    ])


def actions_geojson(actions: pd.DataFrame, only: set[int] | None = None) -> dict[str, Any]:
    """The actions as points; with ``only`` (row positions), those are marked as the difference."""
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [float(a["lon"]), float(a["lat"])]},
         "properties": {"action": a["action"], "colour": ACTION_COLOURS.get(a["action"], "#333"),
                        "only": None if only is None else i in only,
                        "tooltip": f"{action_word(a['action'])} · {a['commune_name'] or a['commune_code']} · "
                                   f"{fmt_int(a['cost_vnd'])} đ"}}
        for i, a in enumerate(actions.to_dict("records"))]}


def two_maps(names: tuple[str, str], frames: tuple[pd.DataFrame, pd.DataFrame], keys: tuple[set[str], set[str]],
             bounds: list[list[float]]) -> Any:
    """A and B side by side; the actions only one of them has drawn large with a black ring."""
    columns = []
    for side, (name, frame, own, other) in enumerate(zip(names, frames, keys, reversed(keys), strict=True)):
        only = {i for i, key in enumerate(_keys(frame)) if key in own - other}
        columns.append(dbc.Col([
            html.Div(f"{'AB'[side]}: {name} · {_w('chỉ có ở đây', 'only here')}: {fmt_int(len(only))}",
                     className="small fw-bold", id=f"plan-compare-only-{'ab'[side]}"),
            dl.Map([dl.GeoJSON(data=actions_geojson(frame, only), id=f"plan-compare-map-{'ab'[side]}-actions",
                               pointToLayer={"variable": "phusong.map.actionPoint"})],
                   id=f"plan-compare-map-{'ab'[side]}", bounds=bounds, preferCanvas=True, style={"height": "32vh"}),
        ], md=6))
    return dbc.Row(columns, className="g-2 mt-1")


def _keys(frame: pd.DataFrame) -> list[str]:
    """The same matching rule as analysis.planning_geo.compare_scenarios (facility, or place to ~1 m)."""
    return [f"{r['action']}|{r['facility_id']}" if not pd.isna(r["facility_id"]) and r["action"] != "build_station"
            else f"{r['action']}|{round(float(r['lon']), 5)}|{round(float(r['lat']), 5)}"
            for r in frame.to_dict("records")]


def compare_maps(conn: Any, ids: tuple[int, int], names: tuple[str, str], bounds: list[list[float]]) -> Any:
    frames = (scenario_actions(conn, ids[0]), scenario_actions(conn, ids[1]))
    keys = (set(_keys(frames[0])), set(_keys(frames[1])))
    return two_maps(names, frames, keys, bounds)


@callback(Output("plan-details", "is_open"), Input("plan-details-toggle", "n_clicks"),
          State("plan-details", "is_open"), prevent_initial_call=True)
def toggle_details(n: int | None, is_open: bool | None) -> Any:
    require(*PLAN_ROLES)
    return not is_open if n else no_update


@callback(Output("plan-totals", "children", allow_duplicate=True),
          Output("plan-actions-map", "data", allow_duplicate=True),
          Output("plan-actions-table", "children", allow_duplicate=True),
          Output("plan-saved-result", "children", allow_duplicate=True),
          Input("plan-saved-open", "n_clicks"), State("plan-saved-pick", "value"), prevent_initial_call=True)
def reopen_scenario(n: int | None, scenario_id: int | None) -> Any:
    """Show a saved scenario as a fresh result (its scope checked)."""
    user = require(*PLAN_ROLES)
    if not n or not scenario_id:
        return no_update, no_update, no_update, _w("Chọn một phương án.", "Choose a scenario.")
    with connect() as conn:
        header = readable_scenario(conn, user, int(scenario_id))
        actions = scenario_actions(conn, header.id)
        budget = conn.execute(queries.load("scenario_by_id"), {"id": header.id}).mappings().one()["budget_vnd"]
    line, geojson, tables = result_views(actions, float(budget), [f"{t('scenario')}: {header.name} · {header.owner}"])
    return line, geojson, tables, dbc.Alert(f"{_w('Đã mở', 'Opened')}: {header.name}", color="info",
                                             className="py-1 mb-0", id="plan-saved-opened")


@callback(Output("plan-saved-result", "children"), Output("plan-saved-pick", "options"),
          Output("plan-compare-a", "options", allow_duplicate=True),
          Output("plan-compare-b", "options", allow_duplicate=True), Output("plan-saved-pick", "value"),
          Input("plan-saved-duplicate", "n_clicks"), Input("plan-saved-rename", "n_clicks"),
          Input("plan-saved-delete-confirm", "submit_n_clicks"), State("plan-saved-pick", "value"),
          State("plan-saved-name", "value"), prevent_initial_call=True)
def change_scenario(_dup: int | None, _ren: int | None, _del: int | None, scenario_id: int | None,
                    name: str | None) -> Any:
    """Duplicate (anyone who may read it), rename or delete (its owner, or an administrator) a saved scenario."""
    user = require(*PLAN_ROLES)
    if not ctx.triggered or not ctx.triggered[0]["value"] or not scenario_id:
        return _w("Chọn một phương án.", "Choose a scenario."), no_update, no_update, no_update, no_update
    try:
        message, chosen = _change(user, ctx.triggered_id, int(scenario_id), name)
    except AccessDenied:
        raise  # outside the user's scope: 403, as everywhere
    except PhusongError as exc:
        return (dbc.Alert(str(exc), color="danger", className="py-1 mb-0", id="plan-saved-refused"),
                no_update, no_update, no_update, no_update)
    options = scenario_options(user)
    return dbc.Alert(message, color="success", className="py-1 mb-0", id="plan-saved-done"), options, options, \
        options, chosen


def _change(user: User, action: Any, scenario_id: int, name: str | None) -> tuple[str, int | None]:
    admin = user.role == "admin"
    with connect() as conn:
        header = readable_scenario(conn, user, scenario_id)  # scope first: 403 outside it
        set_actor(conn, user.name)
        if action == "plan-saved-duplicate":
            row = duplicate_scenario(conn, header.id, name, actor=user.name)
            return f"{_w('Đã nhân bản thành', 'Duplicated as')} «{row.name}»", row.id
        if action == "plan-saved-rename":
            row = rename_scenario(conn, header.id, name, actor=user.name, may_change_others=admin)
            return f"{_w('Đã đổi tên thành', 'Renamed to')} «{row.name}»", row.id
        row = delete_scenario(conn, header.id, actor=user.name, may_change_others=admin)
        return f"{_w('Đã xoá', 'Deleted')} «{row.name}»", None

