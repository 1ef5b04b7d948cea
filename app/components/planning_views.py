"""The plan page's saved scenarios and result views (issue 21): reopen, duplicate, rename and delete a saved
scenario (rules in analysis/scenario_admin.py), the result as one plain line with the solver's details behind a
toggle, totals by commune and action type with the cost per person reached, the actions' legend, and two
scenarios compared on two maps with the actions only one of them has highlighted."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
import dash_leaflet as dl
import pandas as pd
from dash import dcc, html

from analysis.outputs.catalogue import BUDGET_LINE_LABELS
from analysis.outputs.plans import scenario_phases
from analysis.planning import scenario_actions
from analysis.scenario_admin import (
    delete_scenario,
    duplicate_scenario,
    rename_scenario,
    totals_by_action,
    totals_by_commune_and_action,
)
from app.auth import User
from app.components.common import map_view, small_table
from app.components.map_layers import CLASS_COLOURS, base_layers
from app.exports import readable_scenario
from app.i18n import action_word, class_word, current_lang, fmt_int, t
from sql import queries
from sql.bulk import set_actor
from sql.engine import connect

PLAN_ROLES = ("planner", "budget", "admin")
# Actions in a colour-blind-safe qualitative set (ColorBrewer Dark2), apart from the class fills beneath.
ACTION_COLOURS = {"repair_cluster": "#d95f02", "new_ip_cluster": "#7570b3", "new_fm_cluster": "#1b9e77",
                  "upgrade_station_ip": "#e7298a", "build_station": "#66a61e", "integration": "#666666",
                  "replace_cluster_ip": "#e6ab02"}


def w(vi: str, en: str) -> str:
    return en if current_lang() == "en" else vi


def saved_card(options: list[dict[str, Any]]) -> Any:
    """Reopen, duplicate, rename or delete one of the saved scenarios the user may read."""
    return dbc.Card(dbc.CardBody([
        html.H6(w("Phương án đã lưu", "Saved scenarios")),
        dcc.Dropdown(id="plan-saved-pick", options=options, placeholder=t("scenario"), className="mb-1 small"),
        dbc.Input(id="plan-saved-name", size="sm", className="mb-1",
                  placeholder=w("Tên mới (đổi tên / nhân bản)", "New name (rename / duplicate)")),
        dbc.ButtonGroup([
            dbc.Button(w("Mở lại", "Reopen"), id="plan-saved-open", size="sm", color="primary", outline=True),
            dbc.Button(w("Nhân bản", "Duplicate"), id="plan-saved-duplicate", size="sm", color="secondary",
                       outline=True),
            dbc.Button(w("Đổi tên", "Rename"), id="plan-saved-rename", size="sm", color="secondary", outline=True),
            dcc.ConfirmDialogProvider(
                dbc.Button(w("Xoá", "Delete"), id="plan-saved-delete", size="sm", color="danger", outline=True),
                id="plan-saved-delete-confirm",
                message=w("Xoá phương án này? Nhật ký kiểm tra vẫn giữ bản ghi.",
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


def result_views(actions: pd.DataFrame, budget: float | None, details: list[Any],
                 by_year: pd.DataFrame | None = None) -> tuple[Any, Any, Any]:
    """(the plain line with the details toggle, the actions as GeoJSON, the totals tables); a plan over years
    (``by_year``: one row per year and budget line) adds the year slider and the year x line table."""
    cost = float(actions["cost_vnd"].sum()) if len(actions) else 0.0
    people = float(actions["added_population"].sum()) if len(actions) else 0.0
    per_person = fmt_int(cost / people) if people > 0 else "–"
    span = "" if by_year is None else f" ({int(by_year['year'].min())}–{int(by_year['year'].max())})"
    line = w(f"{t('budget_vnd')}{span}: {fmt_int(budget)} · dùng {fmt_int(cost)} đồng cho {fmt_int(len(actions))} hành "
              f"động, phủ sóng thêm {fmt_int(people)} người ({per_person} đồng/người).",
              f"{t('budget_vnd')}{span}: {fmt_int(budget)} · {fmt_int(cost)} VND for {fmt_int(len(actions))} actions, "
              f"{fmt_int(people)} more people reached ({per_person} VND per person).")
    totals = html.Div([
        html.Span(line, id="plan-plain-line"),
        dbc.Button(w("Chi tiết", "Details"), id="plan-details-toggle", size="sm", color="link", className="p-0 ms-2"),
        dbc.Collapse(html.Div(details, className="small text-muted"), id="plan-details", is_open=False),
        *([] if by_year is None else [year_slider(by_year)]),
    ], id="plan-totals-line")
    tables = totals_tables(actions)
    return totals, actions_geojson(actions), tables if by_year is None else html.Div([year_table(by_year), tables])


def year_slider(by_year: pd.DataFrame) -> Any:
    """The plan map's year slider: the actions funded up to the chosen year (all years at first)."""
    years = sorted(int(y) for y in by_year["year"].unique())
    return html.Div([
        html.Span(w("Hiện hạng mục đến năm", "Show actions up to"), className="small me-2"),
        html.Div(dcc.Slider(id="plan-year", min=years[0], max=years[-1], step=1, value=years[-1],
                            marks={y: str(y) for y in years}, included=True), className="flex-grow-1"),
    ], className="d-flex align-items-center mt-1", id="plan-year-box")


def year_table(by_year: pd.DataFrame) -> Any:
    """Spend and people reached by year and budget line, each year's subtotal in bold (the XLSX summary)."""
    body: list[Any] = []
    for year, lines in by_year.groupby("year", sort=True):
        body += [html.Tr([html.Td(str(year)), html.Td(line_word(r["budget_line"])), html.Td(fmt_int(r["budget_vnd"])),
                          html.Td(fmt_int(r["cost_vnd"])), html.Td(fmt_int(r["actions"])),
                          html.Td(fmt_int(r["added_population"]))]) for r in lines.to_dict("records")]
        body.append(html.Tr([html.Td(str(year)), html.Td(w("Cộng năm", "Year total")),
                             *[html.Td(fmt_int(lines[c].sum())) for c in ("budget_vnd", "cost_vnd", "actions",
                                                                             "added_population")]],
                            className="fw-bold"))
    header = [w("Năm", "Year"), w("Nguồn vốn", "Budget line"), w("Kế hoạch vốn (đồng)", "Budget (VND)"),
              t("cost_vnd"), w("Số hạng mục", "Actions"), t("people_newly_reached")]
    return html.Div([html.H6(w("Theo năm và nguồn vốn", "By year and budget line"), className="mt-2"),
                     dbc.Table([html.Thead(html.Tr([html.Th(h) for h in header])), html.Tbody(body)], size="sm",
                               striped=True, responsive=True, className="small text-nowrap",
                               id="plan-years-table")])


def line_word(line: str) -> str:
    """A budget line's name in the page's language."""
    return BUDGET_LINE_LABELS.get(line, (line, line))[int(current_lang() == "en")]


def totals_tables(actions: pd.DataFrame) -> Any:
    by_action = totals_by_action(actions)
    by_commune = totals_by_commune_and_action(actions)
    return html.Div([
        html.H6(w("Tổng theo loại hành động", "Totals by action type"), className="mt-2"),
        small_table([t("action"), w("Số", "Count"), t("cost_vnd"), t("people_newly_reached"),
                     w("Chi phí mỗi người (đồng)", "Cost per person (VND)")],
                    [[action_word(r["action"]), fmt_int(r["actions"]), fmt_int(r["cost_vnd"]),
                      fmt_int(r["added_population"]), fmt_int(r["cost_per_person"])]
                     for r in by_action.to_dict("records")], id="plan-totals-action"),
        html.H6(w("Tổng theo xã và loại hành động", "Totals by commune and action type")),
        small_table([t("commune"), t("action"), w("Số", "Count"), t("cost_vnd"), t("people_newly_reached"),
                     w("Chi phí mỗi người (đồng)", "Cost per person (VND)")],
                    [[r["commune_name"], action_word(r["action"]), fmt_int(r["actions"]), fmt_int(r["cost_vnd"]),
                      fmt_int(r["added_population"]), fmt_int(r["cost_per_person"])]
                     for r in by_commune.to_dict("records")], id="plan-totals-commune"),
    ])


def actions_geojson(actions: pd.DataFrame, only: set[int] | None = None) -> dict[str, Any]:
    """The actions as points; with ``only`` (row positions), those are marked as the difference."""
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [float(a["lon"]), float(a["lat"])]},
         "properties": {"action": a["action"], "colour": ACTION_COLOURS.get(a["action"], "#333"),
                        "year": None if pd.isna(a.get("year")) else int(a["year"]),
                        "only": None if only is None else i in only,
                        "tooltip": f"{action_word(a['action'])} · {a['commune_name'] or a['commune_code']} · "
                                   f"{fmt_int(a['cost_vnd'])} đ" + ("" if pd.isna(a.get("year")) else
                                                                    f" · {int(a['year'])}")}}
        for i, a in enumerate(actions.to_dict("records"))]}


def two_maps(names: tuple[str, str], frames: tuple[pd.DataFrame, pd.DataFrame], keys: tuple[set[str], set[str]],
             bounds: list[list[float]]) -> Any:
    """A and B side by side; the actions only one of them has drawn large with a black ring."""
    columns = []
    for side, (name, frame, own, other) in enumerate(zip(names, frames, keys, reversed(keys), strict=True)):
        only = {i for i, key in enumerate(_keys(frame)) if key in own - other}
        columns.append(dbc.Col([
            html.Div(f"{'AB'[side]}: {name} · {w('chỉ có ở đây', 'only here')}: {fmt_int(len(only))}",
                     className="small fw-bold", id=f"plan-compare-only-{'ab'[side]}"),
            dl.Map([base_layers(f"plan-compare-{'ab'[side]}"),
                    dl.GeoJSON(data=actions_geojson(frame, only), id=f"plan-compare-map-{'ab'[side]}-actions",
                               pointToLayer={"variable": "phusong.map.actionPoint"})],
                   id=f"plan-compare-map-{'ab'[side]}", **map_view(bounds), preferCanvas=True,
                   style={"height": "32vh", "background": "#e9eef2"}),
        ], md=6))
    return dbc.Row(columns, className="g-2 mt-1")


def _keys(frame: pd.DataFrame) -> list[str]:
    """The same matching rule as analysis.planning.compare_scenarios (facility, or place to ~1 m)."""
    return [f"{r['action']}|{r['facility_id']}" if not pd.isna(r["facility_id"]) and r["action"] != "build_station"
            else f"{r['action']}|{round(float(r['lon']), 5)}|{round(float(r['lat']), 5)}"
            for r in frame.to_dict("records")]


def compare_maps(conn: Any, ids: tuple[int, int], names: tuple[str, str], bounds: list[list[float]]) -> Any:
    frames = (scenario_actions(conn, ids[0]), scenario_actions(conn, ids[1]))
    keys = (set(_keys(frames[0])), set(_keys(frames[1])))
    return two_maps(names, frames, keys, bounds)


def reopen(user: User, scenario_id: int) -> tuple[Any, Any, Any, Any]:
    """A saved scenario (its scope checked) as a fresh result: (line, actions GeoJSON, tables, message)."""
    with connect() as conn:
        header = readable_scenario(conn, user, int(scenario_id))
        actions = scenario_actions(conn, header.id)
        budget = conn.execute(queries.load("scenario_by_id"), {"id": header.id}).mappings().one()["budget_vnd"]
        by_year = scenario_phases(conn, header.id, actions)
    line, geojson, tables = result_views(actions, float(budget), [f"{t('scenario')}: {header.name} · {header.owner}"],
                                         by_year)
    return line, geojson, tables, dbc.Alert(f"{w('Đã mở', 'Opened')}: {header.name}", color="info",
                                             className="py-1 mb-0", id="plan-saved-opened")


def change(user: User, action: Any, scenario_id: int, name: str | None) -> tuple[str, int | None]:
    admin = user.role == "admin"
    with connect() as conn:
        header = readable_scenario(conn, user, scenario_id)  # scope first: 403 outside it
        set_actor(conn, user.name)
        if action == "plan-saved-duplicate":
            row = duplicate_scenario(conn, header.id, name, actor=user.name)
            return f"{w('Đã nhân bản thành', 'Duplicated as')} «{row.name}»", row.id
        if action == "plan-saved-rename":
            row = rename_scenario(conn, header.id, name, actor=user.name, may_change_others=admin)
            return f"{w('Đã đổi tên thành', 'Renamed to')} «{row.name}»", row.id
        row = delete_scenario(conn, header.id, actor=user.name, may_change_others=admin)
        return f"{w('Đã xoá', 'Deleted')} «{row.name}»", None

