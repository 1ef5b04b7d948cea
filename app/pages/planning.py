"""Kế hoạch đầu tư (planners, budget officers): a budget and unit costs, run the optimiser (analysis/planning)
in a background job with progress, see the proposed actions on a map and in a table, save the scenario, and
compare two saved scenarios side by side."""

from __future__ import annotations

import base64
import pickle
import re
import uuid
from pathlib import Path
from typing import Any

import dash
import dash_bootstrap_components as dbc
import dash_leaflet as dl
from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update

from analysis.planning import (
    Budget,
    BudgetFileError,
    PlanningInputError,
    PlanResult,
    UnitCosts,
    budget_per_year,
    compare_scenarios,
    parse_years,
    plan_investments,
    plan_phased,
    read_budget_file,
    save_scenario,
)
from analysis.planning.budget import MAX_BUDGET_FILE_BYTES
from app.auth import AccessDenied, User, current_user, require, scope_binds
from app.components.common import (
    EMPTY_COLLECTION,
    VIETNAM_BOUNDS,
    communes_geojson,
    gate,
    map_view,
    rows,
    scenario_options,
    small_table,
)
from app.components.map_layers import base_layers
from app.components.planning_views import (
    change,
    compare_maps,
    line_word,
    plan_legend,
    reopen,
    result_views,
    saved_card,
    w,
)
from app.errors import error_text
from app.exports import readable_scenario
from app.i18n import action_word, current_lang, fmt_int, fmt_share, t
from app.refresh_text import stale_alert
from sql.bulk import set_actor
from sql.engine import connect
from sql.errors import PhusongError
from sql.settings import get_settings

PLAN_ROLES = ("planner", "budget", "admin")
dash.register_page(__name__, path="/ke-hoach", name="Kế hoạch đầu tư", title="Kế hoạch đầu tư — phusong",
                   label_key="page_planning", roles=PLAN_ROLES, order=2)

COST_FIELDS = ("repair_cluster", "new_fm_cluster", "new_ip_cluster", "upgrade_station_ip", "build_station",
               "integration")
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


# long: one declarative Dash layout tree (the scenario form), read top to bottom like the page.
def layout(**_: Any) -> Any:
    user = current_user()
    refused = gate(user, PLAN_ROLES)
    if refused or user is None:
        return refused
    provinces = rows("provinces_in_scope", scope_binds(user))
    defaults = UnitCosts()
    options = scenario_options(user)
    en = current_lang() == "en"
    form = dbc.Card(dbc.CardBody([
        dbc.Label(t("province"), className="small mb-0"),
        dcc.Dropdown(id="plan-province", options=[{"label": p["name"], "value": p["code"]} for p in provinces],
                     value=provinces[0]["code"] if len(provinces) == 1 else None, clearable=False,
                     className="mb-2 small"),
        dbc.Label(t("budget_vnd"), html_for="plan-budget", className="small mb-0"),
        # No min= on these inputs: the browser would turn a negative number into an empty value, and the refusal
        # must show what was typed (_input_problems).
        dbc.Input(id="plan-budget", type="number", step=1e7, value=1_500_000_000, size="sm"),
        html.Div(id="plan-budget-words", className="small text-muted mb-2"),
        # Investment over years (issue 23): years make the budget above a budget per year, or a budget file gives
        # each year's lines (NTM programme, provincial budget, other) and what each may fund.
        dbc.Label(w("Kỳ kế hoạch nhiều năm (để trống: một năm)", "Plan over years (empty: one year)"),
                  html_for="plan-years", className="small mb-0"),
        dbc.Input(id="plan-years", size="sm", placeholder="2027-2030", className="mb-1"),
        dcc.Upload(html.Div(w("Tệp ngân sách theo năm và nguồn vốn (CSV/XLSX): chọn tệp",
                              "Budget per year and line (CSV/XLSX): choose a file"), className="small"),
                   id="plan-budget-file", max_size=MAX_BUDGET_FILE_BYTES, accept=".csv,.xlsx",
                   className="border rounded p-1 mb-1 text-center text-muted", style={"cursor": "pointer"}),
        html.Div(id="plan-budget-file-name", className="small text-success mb-2"),
        html.Div(t("unit_cost_vnd"), className="small fw-bold"),
        *[dbc.InputGroup([dbc.InputGroupText(action_word(name), className="small text-start",
                                             style={"width": "62%", "whiteSpace": "normal"}),
                          dbc.Input(id=f"plan-cost-{name}", type="number", value=getattr(defaults, name),
                                    size="sm")], size="sm", className="mb-1") for name in COST_FIELDS],
        dbc.Button([dbc.Spinner(size="sm", id="plan-spinner", spinner_style={"display": "none"},
                                spinner_class_name="me-2"),
                    "Chạy tối ưu" if not en else "Run the planner"], id="plan-run", color="primary",
                   className="w-100 mt-2"),
        html.Div(id="plan-progress", className="small text-muted mt-1"),
        html.Div(id="plan-input-error", className="mt-1"),
        html.Hr(),
        dbc.Label(t("scenario"), html_for="plan-name", className="small mb-0"),
        dbc.Input(id="plan-name", size="sm", placeholder="Phương án 2027", className="mb-1"),
        dbc.Button(t("save"), id="plan-save", color="success", size="sm", disabled=True, className="w-100"),
        html.Div(id="plan-save-result", className="small mt-1"),
    ], className="p-2"))
    form = html.Div([form, saved_card(options)])
    compare = dbc.Card(dbc.CardBody([
        html.H6(t("compare_scenarios")),
        dbc.Row([dbc.Col(dcc.Dropdown(id="plan-compare-a", options=options, placeholder="A"), md=6),
                 dbc.Col(dcc.Dropdown(id="plan-compare-b", options=options, placeholder="B"), md=6)],
                className="g-2 mb-2"),
        html.Div(id="plan-compare"),
    ]), className="mt-2")
    return html.Div([
        stale_alert(id="plan-stale-alert"),  # plans read the stored coverage: say when it is stale
        dcc.Store(id="plan-token"),
        dbc.Row([
            dbc.Col(form, md=3, className="order-2 order-md-1"),  # phone: the map first
            dbc.Col([
                html.Div(id="plan-totals", className="mb-2"),
                dl.Map([base_layers("plan"),
                        dl.GeoJSON(data=_outlines(user), id="plan-communes", interactive=False,
                                   style={"variable": "phusong.map.communeStyle"},
                                   hideout={"mode": "class", "selected": None}),
                        dl.GeoJSON(data=EMPTY_COLLECTION, id="plan-actions-map",
                                   pointToLayer={"variable": "phusong.map.actionPoint"},
                                   filter={"variable": "phusong.plan.upToYear"}, hideout={"year": None})],
                       id="plan-map", **map_view(_bounds(user)), preferCanvas=True,
                       style={"height": "45vh", "background": "#e9eef2"}),
                plan_legend(),
                html.Div(id="plan-actions-table", className="mt-2", style={"maxHeight": "35vh", "overflowY": "auto"}),
                compare,
            ], md=9, className="order-1 order-md-2"),
        ], className="g-2"),
    ])


def _outlines(user: User) -> dict[str, Any]:
    """The communes in the user's scope as light outlines under the actions (simplified for a province view)."""
    return communes_geojson(user, zoom=8)


def _bounds(user: User) -> list[list[float]]:
    extent = rows("map_scope_extent", scope_binds(user))
    if extent and extent[0]["xmin"] is not None:
        e = extent[0]
        return [[e["ymin"], e["xmin"]], [e["ymax"], e["xmax"]]]
    return VIETNAM_BOUNDS


def _input_problems(budget: Any, costs: list[Any]) -> list[str]:
    """What is wrong with the form, field by field (issue 21): a budget above 0 and every unit cost a number
    of at least 0; an empty field is refused, never replaced by a default behind the user's back."""
    problems = []
    if not _is_number(budget) or float(budget) <= 0:
        problems.append(f"{t('budget_vnd')}: {t('must_be_above_zero')} ({_shown(budget)})")
    for name, value in zip(COST_FIELDS, costs, strict=True):
        if not _is_number(value) or float(value) < 0:
            problems.append(f"{t('unit_cost_vnd')} – {action_word(name)}: {t('must_be_zero_or_more')} "
                            f"({_shown(value)})")
    return problems


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value


def _shown(value: Any) -> str:
    return t("empty") if value is None or value == "" else str(value)


def _costs(values: list[Any]) -> UnitCosts:
    return UnitCosts.from_mapping(dict(zip(COST_FIELDS, values, strict=True)))


def _plan_dir() -> Path:
    path = get_settings().out_dir / "plans"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _check_province(user: User, province: str | None) -> None:
    if not province:
        raise PlanningInputError("chọn một tỉnh (choose a province)")
    codes = [r["code"] for r in rows("commune_codes_of_province", {"province": province})]
    if not codes:
        raise PlanningInputError(f"tỉnh {province}: chưa có xã nào (no communes loaded)")
    require(*PLAN_ROLES, communes=codes[:1] if user.whole_country else codes)


@callback(Output("plan-totals", "children"), Output("plan-actions-map", "data"), Output("plan-map", "viewport"),
          Output("plan-actions-table", "children"), Output("plan-token", "data"), Output("plan-save", "disabled"),
          Output("plan-input-error", "children"),
          Input("plan-run", "n_clicks"), State("plan-province", "value"), State("plan-budget", "value"),
          State("plan-years", "value"), State("plan-budget-file", "contents"), State("plan-budget-file", "filename"),
          *[State(f"plan-cost-{name}", "value") for name in COST_FIELDS],
          background=True, prevent_initial_call=True,
          running=[(Output("plan-run", "disabled"), True, False),
                   (Output("plan-spinner", "spinner_style"), {"display": "inline-block"}, {"display": "none"})],
          progress=[Output("plan-progress", "children")])
def run_plan(set_progress: Any, n_clicks: int | None, province: str | None, budget: float | None,
             years: str | None, budget_file: str | None, file_name: str | None, *costs: Any) -> Any:
    """Solve the plan in a background job (the page keeps answering); keep the result for saving. With years
    (or a budget file) the plan is phased: each action gets a year and a budget line."""
    user = require(*PLAN_ROLES)
    if not n_clicks:
        return (no_update,) * 7
    problems = _input_problems(budget, list(costs))
    if problems:
        refusal = dbc.Alert([html.B(t("plan_refused")), html.Ul([html.Li(p) for p in problems], className="mb-0")],
                            color="danger", className="py-2 small", id="plan-refused")
        return None, EMPTY_COLLECTION, no_update, None, None, True, refusal
    en = current_lang() == "en"
    try:
        _check_province(user, province)
        set_progress("Đang đọc dữ liệu và tìm phương án tối ưu…" if not en else "Reading data and solving…")
        phased = _budget_of_form(years, budget, budget_file, file_name)
        with connect() as conn:
            if phased is None:
                result = plan_investments(conn, budget_vnd=float(budget or 0), province_code=province,
                                          costs=_costs(list(costs)))
            else:
                result = plan_phased(conn, budget=phased, province_code=province, costs=_costs(list(costs)))
    except PlanningInputError as exc:
        set_progress("")
        return dbc.Alert(error_text(exc), color="danger"), EMPTY_COLLECTION, no_update, None, None, True, None
    token = uuid.uuid4().hex
    (_plan_dir() / f"{token}.pickle").write_bytes(pickle.dumps(result))
    set_progress("")
    line, geojson, tables = result_views(result.actions, result.budget_vnd, _details(result), result.by_year)
    # A plan over years leads with its table by year and budget line, the actions list after it.
    shown = [_actions_table(result), tables] if result.by_year is None else [tables, _actions_table(result)]
    return line, geojson, _viewport(result), html.Div(shown), token, False, None


def _budget_of_form(years: str | None, budget: Any, contents: str | None, name: str | None) -> Budget | None:
    """The plan's years and budget lines from the form (None: a one-year plan): the budget field per year, or
    the uploaded budget file's lines (read from a private temporary file, bounded before it is decoded)."""
    if not (years or "").strip() and not contents:
        return None
    span = parse_years(years or "")
    if not contents:
        return budget_per_year(span, budget)
    shown = Path(name or "ngan_sach.csv").name
    data = contents.partition(",")[2]
    if len(data) * 3 // 4 > MAX_BUDGET_FILE_BYTES:
        raise BudgetFileError("budget_file_too_large", file=shown, value=len(data) * 3 // 4,
                              limit=MAX_BUDGET_FILE_BYTES)
    path = _plan_dir() / f"{uuid.uuid4().hex}{Path(shown).suffix.lower()}"
    try:
        path.write_bytes(base64.b64decode(data))
        return read_budget_file(path, span, name=shown)
    finally:
        path.unlink(missing_ok=True)


def _details(result: PlanResult) -> list[Any]:
    """What the solver says, behind the "Details" toggle: status, optimality gap, villages reached, its note."""
    s = result.solution
    gap = fmt_share(s.mip_gap) if s.mip_gap is not None else "–"
    optimal = t("optimal_solution") if s.status == "optimal" else s.status
    villages = result.actions["added_villages"].sum() if len(result.actions) else 0
    if result.budget is not None:
        first = result.params.get("first_year_gap")
        optimal += w(f" (năm đầu: tối ưu, khoảng cách {fmt_share(first) if first is not None else '–'})",
                     f" (first year: optimal, gap {fmt_share(first) if first is not None else '–'})")
    return [html.Div(f"{t('optimality_gap')}: {optimal} · {gap}"),
            html.Div(f"{t('villages_newly_reached')}: {fmt_int(villages)}"), html.Div(s.note)]


def _viewport(result: PlanResult) -> Any:
    if not len(result.actions):
        return no_update
    a = result.actions
    return {"bounds": [[float(a["lat"].min()) - 0.05, float(a["lon"].min()) - 0.05],
                       [float(a["lat"].max()) + 0.05, float(a["lon"].max()) + 0.05]]}


def _actions_table(result: PlanResult) -> Any:
    years = "year" in result.actions.columns   # a plan over years: each action's year and budget line first
    return small_table([*([w("Năm", "Year"), w("Nguồn vốn", "Budget line")] if years else []), t("action"),
                        t("commune"), t("cost_vnd"), t("people_newly_reached"), t("villages_newly_reached")],
                       [[*([a["year"], line_word(a["budget_line"])] if years else []), action_word(a["action"]),
                         a["commune_name"] or a["commune_code"], fmt_int(a["cost_vnd"]),
                         fmt_int(a["added_population"]), fmt_int(a["added_villages"])]
                        for a in result.actions.to_dict("records")], id="plan-actions")


@callback(Output("plan-save-result", "children"), Output("plan-compare-a", "options"),
          Output("plan-compare-b", "options"), Output("plan-saved-pick", "options", allow_duplicate=True),
          Input("plan-save", "n_clicks"), State("plan-token", "data"),
          State("plan-name", "value"), prevent_initial_call=True)
def save_plan(n_clicks: int | None, token: str | None, name: str | None) -> Any:
    user = require(*PLAN_ROLES)
    if not n_clicks or not token or not _TOKEN.match(token):
        return no_update, no_update, no_update, no_update
    name = (name or "").strip()
    if not name:
        return dbc.Alert("Đặt tên phương án." if current_lang() == "vi" else "Name the scenario.",
                         color="warning", className="py-1"), no_update, no_update, no_update
    path = _plan_dir() / f"{token}.pickle"
    if not path.exists():
        return dbc.Alert("Chạy lại tối ưu." if current_lang() == "vi" else "Run the planner again.",
                         color="warning", className="py-1"), no_update, no_update, no_update
    result: PlanResult = pickle.loads(path.read_bytes())  # noqa: S301 - our own file, named by our token
    _check_province(user, result.province_code)
    with connect() as conn:
        set_actor(conn, user.name)
        # Saved as the user's own: a name another user has used is a different scenario, never overwritten.
        save_scenario(conn, name, result, owner=user.name)
    options = scenario_options(user)
    saved = dbc.Alert(f"✓ {name} · {user.name}", color="success", className="py-1", id="plan-saved")
    return saved, options, options, options


@callback(Output("plan-compare", "children"), Input("plan-compare-a", "value"), Input("plan-compare-b", "value"),
          prevent_initial_call=True)
def compare(a: int | None, b: int | None) -> Any:
    user = require(*PLAN_ROLES)
    if not a or not b:
        return no_update
    with connect() as conn:
        # Both must be in the user's scope (AccessDenied: 403), whatever ids the browser sends.
        heads = [readable_scenario(conn, user, int(ref)) for ref in (a, b)]
        totals, differing = compare_scenarios(conn, heads[0].id, heads[1].id)
    t_rows = totals.to_dict("records")
    table = small_table(["", "A: " + t_rows[0]["scenario"], "B: " + t_rows[1]["scenario"]],
                        [[t("action"), fmt_int(t_rows[0]["actions"]), fmt_int(t_rows[1]["actions"])],
                         [t("cost_vnd"), fmt_int(t_rows[0]["cost_vnd"]), fmt_int(t_rows[1]["cost_vnd"])],
                         [t("people_newly_reached"), fmt_int(t_rows[0]["added_population"]),
                          fmt_int(t_rows[1]["added_population"])],
                         [t("villages_newly_reached"), fmt_int(t_rows[0]["added_villages"]),
                          fmt_int(t_rows[1]["added_villages"])]], id="plan-compare-totals")
    with connect() as conn:
        maps = compare_maps(conn, (heads[0].id, heads[1].id), (t_rows[0]["scenario"], t_rows[1]["scenario"]),
                            _bounds(user))
    only = small_table([t("only_in"), t("action"), t("commune"), t("cost_vnd")],
                       [[d["only_in"], action_word(d["action"]), d["commune_name"] or d["commune_code"],
                         fmt_int(d["cost_vnd"])] for d in differing.to_dict("records")[:100]])
    return html.Div([table, maps, only])


# The budget as a budget officer reads it (1.500.000.000 đồng), in the browser: no round trip, no data.
clientside_callback(
    "(value) => (value === null || value === undefined || value === '') ? '' : "
    "'= ' + Number(value).toLocaleString('vi-VN', {maximumFractionDigits: 0}) + ' đồng'",
    Output("plan-budget-words", "children"),
    Input("plan-budget", "value"),
)


# The year slider shows the actions funded up to its year; the upload shows the chosen file's name (browser only).
clientside_callback(ClientsideFunction(namespace="phusong_plan", function_name="yearHideout"),
                    Output("plan-actions-map", "hideout"), Input("plan-year", "value"))
clientside_callback(ClientsideFunction(namespace="phusong_plan", function_name="fileName"),
                    Output("plan-budget-file-name", "children"), Input("plan-budget-file", "filename"))


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
        return no_update, no_update, no_update, w("Chọn một phương án.", "Choose a scenario.")
    return reopen(user, int(scenario_id))


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
        return w("Chọn một phương án.", "Choose a scenario."), no_update, no_update, no_update, no_update
    try:
        message, chosen = change(user, ctx.triggered_id, int(scenario_id), name)
    except AccessDenied:
        raise  # outside the user's scope: 403, as everywhere
    except PhusongError as exc:
        return (dbc.Alert(str(exc), color="danger", className="py-1 mb-0", id="plan-saved-refused"),
                no_update, no_update, no_update, no_update)
    options = scenario_options(user)
    return dbc.Alert(message, color="success", className="py-1 mb-0", id="plan-saved-done"), options, options, \
        options, chosen
