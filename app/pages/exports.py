"""Xuất dữ liệu / Báo cáo: the gap analysis and scenarios as a workbook, CSV (standard or for Vietnamese Excel),
GIS data for QGIS, GeoJSON, a PDF report and a map that opens in a browser, for one province or the whole scope,
and the periodic report (Sơ kết / Tổng kết) of one province for a period that has a coverage snapshot. Before any
download the page previews what the files will hold (a summary table with "số liệu tính đến …"); an unfinished
period is marked provisional and its snapshot can be brought current. Labels are plain words, never CLI commands.
The files are made by /download/ routes (app/exports.py) from analysis/outputs/."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from analysis.outputs.gap_report import summary_table
from analysis.outputs.gaps import FORMAT_LABELS, as_of, as_of_text
from analysis.reports import VN_TZ, Period, ReportError, parse_period, running_periods, take_snapshot
from app.auth import audit_event, client_address, current_user, require, scope_binds
from app.components.common import gate, rows, scenario_options
from app.exports import EXPORT_ROLES, ExportEmptyError, _actions, gaps_for_user
from app.i18n import current_lang, fmt_int, fmt_share, t
from app.refresh_text import stale_alert
from sql.engine import connect

dash.register_page(__name__, path="/xuat-bao-cao", name="Xuất dữ liệu / Báo cáo",
                   title="Xuất dữ liệu / Báo cáo — phusong", label_key="page_exports", roles=EXPORT_ROLES, order=3)


def layout(**_: Any) -> Any:
    user = current_user()
    refused = gate(user, EXPORT_ROLES)
    if refused or user is None:
        return refused
    en = current_lang() == "en"
    provinces = rows("provinces_in_scope", scope_binds(user))
    return html.Div([
        html.H4(t("page_exports"), className="mb-2"),
        stale_alert(id="exports-stale-alert"),  # the files carry it in their metadata too
        dbc.Row([
            dbc.Col([dbc.Label(t("province"), className="small mb-0"),
                     dcc.Dropdown(id="exports-province", placeholder=t("all"),
                                  value=provinces[0]["code"] if len(provinces) == 1 else None,
                                  options=[{"label": p["name"], "value": p["code"]} for p in provinces])], md=4),
            dbc.Col([dbc.Label(t("scenario"), className="small mb-0"),
                     dcc.Dropdown(id="exports-scenario", placeholder="–", options=scenario_options(user))], md=4),
        ], className="mb-3 g-2"),
        dbc.Card(dbc.CardBody([
            html.H6("Xem trước nội dung tệp" if not en else "Preview of what will be downloaded"),
            dcc.Loading(html.Div(id="exports-preview")),
        ]), className="mb-3"),
        dbc.Card(dbc.CardBody([
            html.H6("Phân tích khoảng trống phủ sóng" if not en else "Coverage gap analysis"),
            html.P("Mỗi xã một dòng: dân số được phủ sóng, thôn có loa, tiêu chí 8.3, mức phục vụ và lý do; kèm "
                   "tham số và ngày dữ liệu." if not en else "One row per commune: people reached, villages "
                   "reached, criterion 8.3, class and reason; with parameters and data date.",
                   className="small text-muted"),
            html.Div(id="exports-links", className="d-flex flex-wrap gap-2"),
        ]), className="mb-3"),
        dbc.Card(dbc.CardBody([
            html.H6(t("scenario")),
            html.Div(id="exports-scenario-links", className="d-flex flex-wrap gap-2"),
        ]), className="mb-3"),
        _periodic_card(en),
    ])


def snapshot_periods() -> list[Period]:
    """The periods that have a coverage snapshot, newest first (a quarter before the year that ends with it)."""
    found = [parse_period(r["period"]) for r in rows("snapshot_periods", {})]
    return sorted(found, key=lambda p: (p.end, p.start), reverse=True)


def _periodic_card(en: bool) -> Any:
    periods = [{"label": f"{p.label_vi} ({p.review_vi})", "value": p.key} for p in snapshot_periods()]
    return dbc.Card(dbc.CardBody([
        html.H6("Báo cáo định kỳ (Sơ kết / Tổng kết)" if not en else "Periodic report"),
        html.P("Một tỉnh, một kỳ báo cáo (số liệu phủ sóng của kỳ; kỳ chưa kết thúc là số liệu tạm tính), "
               "so với kỳ trước: xã theo mức phục vụ, "
               "tiêu chí 8.3, cụm loa, lượt kiểm tra, phản ánh, bản đồ và bảng theo xã." if not en else
               "One province, one reporting period (coverage as of its snapshot), versus a previous period: "
               "communes by class, criterion 8.3, clusters, inspections, citizen reports, a map and a table per "
               "commune.", className="small text-muted"),
        dbc.Row([
            dbc.Col([dbc.Label("Kỳ báo cáo" if not en else "Reporting period", className="small mb-0"),
                     dcc.Dropdown(id="exports-period", options=periods, clearable=False,
                                  value=periods[0]["value"] if periods else None,
                                  placeholder="Chưa có số liệu chốt kỳ" if not en else "No snapshot yet")], md=4),
            dbc.Col([dbc.Label("So với kỳ" if not en else "Compare with", className="small mb-0"),
                     dcc.Dropdown(id="exports-compare", options=periods,
                                  placeholder="Kỳ trước" if not en else "Previous period")], md=4),
        ], className="mb-2 g-2"),
        html.Div(id="exports-periodic-links", className="d-flex flex-wrap gap-2"),
        html.Div(id="exports-snapshot-note", className="small mt-2"),
        dbc.Button("Cập nhật số liệu kỳ này đến hiện tại" if not en else "Bring this period's figures up to now",
                   id="exports-snapshot-current", color="secondary", outline=True, size="sm",
                   className="mt-2", style={"display": "none"}),
        html.Div(id="exports-snapshot-done", className="small mt-1"),
    ]))


def _link(label: str, href: str, id: str) -> html.A:
    # No `download` attribute: the file comes as an attachment, and a refused or failed export shows its error
    # page (with its status) instead of being saved under the file's name.
    return html.A(f"{t('download')} {label}", href=href, id=id, className="btn btn-outline-primary btn-sm")


@callback(Output("exports-links", "children"), Output("exports-scenario-links", "children"),
          Input("exports-province", "value"), Input("exports-scenario", "value"))
def links(province: str | None, scenario: int | None) -> Any:
    user = require(*EXPORT_ROLES)
    query = urlencode({k: v for k, v in (("province", province), ("scenario", scenario)) if v})
    suffix = f"?{query}" if query else ""
    en = int(current_lang() == "en")
    gaps = [
        _link(("Bảng tính Excel (báo cáo)", "Excel workbook (report)")[en], f"/download/report.xlsx{suffix}",
              "exports-xlsx"),
        _link(FORMAT_LABELS["csv-excel"][en], f"/download/gaps.csv-excel{suffix}", "exports-csv-excel"),
        _link(FORMAT_LABELS["csv"][en], f"/download/gaps.csv{suffix}", "exports-csv"),
        _link(FORMAT_LABELS["gpkg"][en], f"/download/gaps.gpkg{suffix}", "exports-gpkg"),
        _link(FORMAT_LABELS["geojson"][en], f"/download/gaps.geojson{suffix}", "exports-geojson"),
        _link(("Báo cáo PDF", "PDF report")[en], f"/download/report.pdf{suffix}", "exports-pdf"),
        _link(("Bản đồ mở bằng trình duyệt", "Map for a web browser")[en], f"/download/map.html{suffix}",
              "exports-map"),
    ]
    if not scenario:
        chosen = html.Span("Chọn một phương án ở trên." if current_lang() == "vi" else "Choose a scenario above.",
                           className="small text-muted")
        return gaps, chosen
    found = rows("scenario_names", scope_binds(user))
    total = next((s for s in found if s["id"] == scenario), None)
    if total is None:  # not one the user may read (the links would be refused)
        return gaps, html.Span(t("no_access"), className="small text-muted")
    info = html.Span(f"{total['name']} · {total['owner']} · {fmt_int(total['budget_vnd'])} đồng",
                     className="small text-muted me-2")
    words = {"xlsx": ("Bảng tính Excel (hạng mục, dự toán)", "Excel workbook (actions, cost estimate)")[en],
             "csv-excel": FORMAT_LABELS["csv-excel"][en], "csv": FORMAT_LABELS["csv"][en],
             "gpkg": FORMAT_LABELS["gpkg"][en]}
    return gaps, [info] + [_link(words[fmt], f"/download/scenario/{int(scenario)}.{fmt}", f"exports-scenario-{fmt}")
                           for fmt in words]


@callback(Output("exports-periodic-links", "children"), Input("exports-province", "value"),
          Input("exports-period", "value"), Input("exports-compare", "value"))
def periodic_links(province: str | None, period: str | None, compare: str | None) -> Any:
    require(*EXPORT_ROLES)
    vi = current_lang() == "vi"
    if not period:
        return html.Span("Chưa có kỳ nào được chốt số liệu; số liệu của kỳ được lưu sau mỗi lần phân tích." if vi
                         else "No period has coverage figures kept yet; they are kept after each analysis.",
                         className="small text-muted")
    if not province:
        return html.Span("Chọn một tỉnh ở trên." if vi else "Choose a province above.", className="small text-muted")
    suffix = f"?{urlencode({'compare': compare})}" if compare and compare != period else ""
    base = f"/download/periodic/{quote(province, safe='')}/{quote(period, safe='')}"
    words = {"pdf": "Báo cáo PDF" if vi else "PDF report", "xlsx": "Bảng tính Excel" if vi else "Excel workbook"}
    return [_link(words[fmt], f"{base}.{fmt}{suffix}", f"exports-periodic-{fmt}") for fmt in ("pdf", "xlsx")]


@callback(Output("exports-preview", "children"), Input("exports-province", "value"),
          Input("exports-scenario", "value"))
def preview(province: str | None, scenario: int | None) -> Any:
    """The summary the files will carry: communes, people, shares, classes, the plan's totals; as of when."""
    user = require(*EXPORT_ROLES)
    vi = current_lang() == "vi"
    try:
        with connect() as conn:
            _, actions = _actions(conn, user, int(scenario) if scenario else None)
            gaps = gaps_for_user(conn, user, province)
    except ExportEmptyError:
        return dbc.Alert("Chưa có kết quả phân tích cho phạm vi này: chưa có gì để xuất." if vi else
                         "No analysis is stored for this scope: nothing to export yet.", color="warning",
                         className="py-1 small mb-0", id="exports-preview-empty")
    table = summary_table(gaps, actions).rows
    body = [html.Tr([html.Td(r["what"]),
                     html.Td("" if r["number"] != r["number"] or r["number"] is None else fmt_int(r["number"]),
                             className="text-end"),
                     html.Td("" if r["share"] != r["share"] or r["share"] is None else fmt_share(r["share"]),
                             className="text-end")]) for r in table.to_dict("records")]
    head = html.Thead(html.Tr([html.Th("Chỉ tiêu" if vi else "Figure"), html.Th("Số lượng" if vi else "Number"),
                               html.Th("Tỷ lệ" if vi else "Share")]))
    return [html.P(("Số liệu tính đến " if vi else "Figures as of ") + as_of_text(as_of(gaps))
                   + (" (giờ Việt Nam)" if vi else " (Viet Nam time)"), id="exports-as-of", className="small mb-1"),
            dbc.Table([head, html.Tbody(body)], size="sm", bordered=True, className="mb-0 small",
                      id="exports-preview-table")]


@callback(Output("exports-snapshot-note", "children"), Output("exports-snapshot-current", "style"),
          Input("exports-period", "value"))
def snapshot_note(period: str | None) -> Any:
    """An unfinished period is provisional: say so, and offer to bring its snapshot up to now."""
    require(*EXPORT_ROLES)
    vi = current_lang() == "vi"
    if not period or period not in running_periods(datetime.now(VN_TZ).date()):
        return None, {"display": "none"}
    taken = next((r["taken_at"] for r in rows("snapshot_periods", {}) if r["period"] == period), None)
    when = f" ({taken.astimezone(VN_TZ):%d/%m/%Y %H:%M})" if taken else ""
    return (dbc.Alert(f"Kỳ này chưa kết thúc: báo cáo là số liệu tạm tính đến lần chốt gần nhất{when}." if vi else
                      f"This period has not ended: the report is provisional, as of the last snapshot{when}.",
                      color="info", className="py-1 mb-0", id="exports-provisional"), {})


@callback(Output("exports-snapshot-done", "children"), Input("exports-snapshot-current", "n_clicks"),
          State("exports-period", "value"), prevent_initial_call=True)
def bring_snapshot_current(n_clicks: int | None, period: str | None) -> Any:
    """Re-take the running period's snapshot from today's coverage (never an ended period's); audited."""
    user = require(*EXPORT_ROLES)
    vi = current_lang() == "vi"
    if not n_clicks or not period or period not in running_periods(datetime.now(VN_TZ).date()):
        return dash.no_update
    try:
        with connect() as conn:
            result = take_snapshot(conn, period, replace=True, taken_by=user.name)
            audit_event(conn, user.name, "snapshot", "coverage_snapshot", period, client_address(),
                        {"communes": result.communes})
    except ReportError:
        return html.Span("Chưa có kết quả phân tích để cập nhật." if vi else "No analysis to bring current yet.",
                         className="text-danger")
    stamp = datetime.now(VN_TZ).strftime("%d/%m/%Y %H:%M")
    return html.Span(f"Đã cập nhật số liệu kỳ {period} đến {stamp} ({result.communes} xã)." if vi else
                     f"Period {period} brought up to {stamp} ({result.communes} communes).",
                     className="text-success", id="exports-snapshot-updated")
