"""The coverage map's page parts that hold no callback: the filter card, the commune table and its rows, and
the commune panel (split out of app/pages/coverage_map.py, whose callbacks fill them)."""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import dcc, html

from app.components.common import small_table
from app.components.rules_view import colour_options
from app.i18n import (
    STATUS_WORDS,
    TYPE_WORDS,
    class_word,
    current_lang,
    fmt_date,
    fmt_decimal,
    fmt_int,
    fmt_share,
    status_word,
    t,
    type_word,
)
from sql.percent import percent


def commune_table() -> Any:
    """The communes beside the map (issue 21): sort and filter by class, share reached, 8.3, villages not reached
    and priority; a row click zooms to the commune; the rows left by the filters download as CSV."""
    return html.Div([
        html.Div([html.B(t("commune_table"), className="small me-2"),
                  html.Span(id="map-table-count", className="small text-muted me-auto"),
                  dbc.Button(t("export_filtered_rows"), id="map-table-export", size="sm", color="secondary",
                             outline=True)], className="d-flex align-items-center mb-1"),
        dcc.Download(id="map-table-download"),
        dag.AgGrid(id="map-table", columnDefs=table_columns(), rowData=[], getRowId="params.data.code",
                   defaultColDef={"sortable": True, "resizable": True, "floatingFilter": True, "minWidth": 80,
                                  "wrapHeaderText": True, "autoHeaderHeight": True},
                   dashGridOptions={"rowSelection": {"mode": "singleRow", "checkboxes": False,
                                                     "enableClickSelection": True},
                                    "tooltipShowDelay": 300, "animateRows": False},
                   columnSize="responsiveSizeToFit", style={"height": "34vh"}),
    ], className="mt-1", id="map-table-wrap")


def table_columns() -> list[dict[str, Any]]:
    number = {"filter": "agNumberColumnFilter", "type": "rightAligned"}
    locale = "en-GB" if current_lang() == "en" else "vi-VN"

    def decimals(digits: int) -> dict[str, str]:
        return {"function": f"params.value == null ? '–' : params.value.toLocaleString('{locale}', "
                            f"{{minimumFractionDigits: {digits}, maximumFractionDigits: {digits}}})"}

    return [
        {"field": "name", "headerName": t("commune"), "filter": "agTextColumnFilter", "pinned": "left",
         "minWidth": 130},
        {"field": "code", "headerName": t("commune_code"), "filter": "agTextColumnFilter", "maxWidth": 100},
        {"field": "class_word", "headerName": t("by_class"), "filter": "agTextColumnFilter", "minWidth": 140},
        {"field": "share_pct", "headerName": t("share_reached") + " (%)", **number,
         "valueFormatter": decimals(1)},
        {"field": "ntm_8_3_word", "headerName": t("ntm_8_3"), "filter": "agTextColumnFilter", "minWidth": 100},
        {"field": "villages_not_reached", "headerName": t("village_not_reached"), **number},
        {"field": "priority", "headerName": t("priority"), **number, "sort": "desc",
         "headerTooltip": t("priority_hint"), "valueFormatter": decimals(2)},
    ]


def map_filters(provinces: list[dict[str, Any]]) -> Any:
    lang = current_lang()
    radio_types = ("commune_radio_station", "loudspeaker_cluster")
    return dbc.Card(dbc.CardBody([
        dbc.Label(t("search"), html_for="map-search", className="small mb-0"),
        dbc.Input(id="map-search", type="search", placeholder=t("search_commune_placeholder"), debounce=0.3,
                  size="sm"),
        html.Div(id="map-search-hits", className="mb-2"),
        dbc.Label(t("province"), className="small mb-0"),
        dcc.Dropdown(id="map-province", options=[{"label": p["name"], "value": p["code"]} for p in provinces],
                     value=provinces[0]["code"] if len(provinces) == 1 else None,
                     placeholder=t("all"), clearable=True, className="mb-2 small"),
        dbc.Label(t("colour_by"), className="small mb-0"),
        dbc.RadioItems(id="map-colour-by", value="class", className="small mb-2",
                       options=[{"label": t("by_class"), "value": "class"},
                                {"label": t("share_reached"), "value": "share"}, *colour_options()]),
        dbc.Label(t("layers"), className="small mb-0"),
        dbc.Checklist(id="map-layers", value=["facilities"], className="small mb-2", switch=True,
                      options=[{"label": t("layer_facilities"), "value": "facilities"},
                               {"label": t("layer_discs"), "value": "discs"},
                               {"label": t("layer_villages"), "value": "villages"}]),
        dbc.Label(t("type"), className="small mb-0"),
        dcc.Dropdown(id="map-types", multi=True, value=list(radio_types), className="mb-2 small",
                     options=[{"label": pair[1] if lang == "en" else pair[0], "value": code}
                              for code, pair in TYPE_WORDS.items()]),
        dbc.Label(t("status"), className="small mb-0"),
        dbc.Checklist(id="map-statuses", value=list(STATUS_WORDS), className="small",
                      options=[{"label": status_word(code), "value": code} for code in STATUS_WORDS]),
    ], className="p-2"))


def table_row(r: dict[str, Any]) -> dict[str, Any]:
    share = r["pop_covered_share"]
    verdict = "–" if r["ntm_8_3"] is None else (t("passed") if r["ntm_8_3"] else t("not_passed"))
    not_reached = None if r["villages_total"] is None else r["villages_total"] - r["villages_reached"]
    return {"code": r["code"], "name": r["name"], "class_word": class_word(r["class"]),
            "share_pct": percent(share, 1), "ntm_8_3_word": verdict,
            "villages_not_reached": not_reached}


def text_table(header: list[str], body: list[list[Any]], *, id: str) -> Any:
    """``small_table(header, body, id=id)`` for cells of text: the same JSON, without a component made per row
    and cell (the commune panel's 60 facilities were ~240 components, made, checked and turned back into dicts
    for every panel opened)."""
    table = small_table(header, [], id=id)
    table.children[1].children = [_html("Tr", [_html("Td", cell) for cell in list(row)[:len(header)]])
                                  for row in body]
    return table


def _html(tag: str, children: Any) -> dict[str, Any]:
    """What ``html.<tag>(children).to_plotly_json()`` gives."""
    return {"props": {"children": children}, "type": tag, "namespace": "dash_html_components"}


def commune_panel(s: dict[str, Any], facilities: list[dict[str, Any]], not_reached: list[dict[str, Any]]) -> Any:
    en = current_lang() == "en"
    cls = s["class"]
    badge_colour = {"unserved": "danger", "underserved": "warning", "served": "success"}.get(cls, "secondary")
    figures = [
        (t("province"), s["province_name"] or s["province_code"]),
        (t("commune_code"), s["code"]),
        (t("population"), fmt_int(s["pop_total"] if s["pop_total"] is not None else s["population"])),
        (t("people_reached"), fmt_int(s["pop_covered"])),
        (t("share_reached"), fmt_share(s["pop_covered_share"])),
        (t("covered_area_km2"), f"{fmt_decimal(s['covered_area_km2'], 2)} / {fmt_decimal(s['area_km2'], 1)}"),
        (t("village_reached"), f"{fmt_int(s['villages_reached'])} / {fmt_int(s['villages_total'])}"),
    ]
    verdict = "–" if s["ntm_8_3"] is None else (t("passed") if s["ntm_8_3"] else t("not_passed"))
    reason = (s["reason_en"] if en else s["reason"]) or ("Not analysed yet." if en else "Chưa phân tích.")
    stale = dbc.Alert("Đang chờ tính lại sau thay đổi mới." if not en else "Waiting to be recomputed after a change.",
                      color="info", className="py-1 small", id="map-panel-stale") if s["stale"] else None
    return html.Div([
        html.H5(s["name"], className="mb-1", id="map-panel-name"),
        dbc.Badge(class_word(cls), color=badge_colour, className="mb-2", id="map-panel-class"),
        stale,
        html.Div([html.B(f"{t('ntm_8_3')}: "), html.Span(verdict, id="map-panel-verdict")], className="small"),
        html.Div([html.B(f"{t('reason')}: "), html.Span(reason, id="map-panel-reason")], className="small mb-2"),
        small_table(["", ""], figures),
        html.Div(f"{fmt_date(s['computed_at'])} · {s['rule_version'] or ''}", className="small text-muted mb-2")
        if s["computed_at"] else None,
        html.H6(f"{t('facilities')} ({fmt_int(len(facilities))})"),
        text_table([t("type"), t("status"), t("last_inspected")],
                    [[f"{type_word(f['type'])}{' · ' + f['name'] if f['name'] else ''}", status_word(f["status"]),
                      fmt_date(f["last_inspected_at"]) if f["last_inspected_at"] else t("never_inspected")]
                     for f in facilities[:60]], id="map-panel-facilities"),
        html.H6(f"{t('village_not_reached')} ({fmt_int(len(not_reached))})"),
        html.Ul([html.Li(f"{v['name']} ({fmt_int(v['population'])})") for v in not_reached[:80]],
                className="small", id="map-panel-villages"),
    ])


def folding_legend(sections: list[Any]) -> html.Div:
    """The map's legend: always open beside the map on a desk; on a phone folded by default under a "Chú giải"
    button (app/assets/phusong_legend.js toggles it; app/assets/phusong.css), and when unfolded it takes at most
    30 % of the map's height and scrolls. ``#map-legend`` holds the sections (the page's callback fills it)."""
    return html.Div([
        html.Button("Legend" if current_lang() == "en" else "Chú giải", id="map-legend-toggle", type="button",
                    className="legend-toggle btn btn-sm btn-light",
                    **{"aria-expanded": "false", "aria-controls": "map-legend"}),
        html.Div(sections, id="map-legend", className="legend-body"),
    ], id="map-legend-box", className="map-legend")
