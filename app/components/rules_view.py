"""NTM rule sets on the coverage map: each commune's verdict under every set (map colours, the commune panel's
"đạt theo QĐ 318, chưa đạt theo QĐ 51 nhóm 1: …") and the count of communes passing under each set."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from analysis.rules import RuleSet, compare_verdicts, read_rule_measures, rule_sets
from app.auth import User, scope_binds
from app.i18n import current_lang, fmt_int, t
from sql.engine import connect

PASS_COLOURS = {True: "#4575b4", False: "#d73027", None: "#bdbdbd"}  # ColorBrewer RdYlBu ends: colour-blind safe


def known_sets() -> list[RuleSet]:
    """Every rule set (shipped, or as a province replaced it), oldest first."""
    with connect() as conn:
        return sorted(rule_sets(conn).values(), key=lambda s: s.model.in_force_from)


def set_label(rule_set: RuleSet) -> str:
    """"Đạt NTM theo QĐ 51 (tạm tính)": how the map's colour choice and summary name a set."""
    provisional = f" ({t('provisional')})" if rule_set.provisional else ""
    return f"{t('passes_ntm_under')} {rule_set.model.short}{provisional}"


def colour_options() -> list[dict[str, str]]:
    """One "colour by" choice per rule set: value ``rules:<name>``."""
    return [{"label": set_label(s), "value": f"rules:{s.name}"} for s in known_sets()]


def legend(rule_set_name: str) -> list[Any]:
    sets = {s.name: s for s in known_sets()}
    title = set_label(sets[rule_set_name]) if rule_set_name in sets else rule_set_name
    items = [(t("passed"), PASS_COLOURS[True]), (t("not_passed"), PASS_COLOURS[False]),
             (t("class_none"), PASS_COLOURS[None])]
    return [html.Div(html.B(title))] + [
        html.Div([html.Span(className="swatch", style={"background": colour}), label]) for label, colour in items]


def panel_verdicts(code: str, user: User) -> Any:
    """The commune's verdict under every set; where they differ, one sentence with why (the panel's block)."""
    with connect() as conn:
        measures = read_rule_measures(conn, {**scope_binds(user), "province": None, "code": code})
        sets = sorted(rule_sets(conn).values(), key=lambda s: s.model.in_force_from)
    if measures.empty:
        return None
    vi, en = compare_verdicts(measures.iloc[0].to_dict(), sets)
    lines = en if current_lang() == "en" else vi
    return html.Div([html.B(f"{t('ntm_rule_sets')}: "), html.Span(", ".join(lines), id="map-panel-rules")],
                    className="small mb-2")


def summary_badge(passing: list[tuple[RuleSet, int, int]]) -> Any:
    """"Đạt NTM theo QĐ 318: 3/45 xã · theo QĐ 51 (tạm tính): 2/45 xã" for the province (or the user's scope):
    (rule set, communes passing, communes judged) per set, as analysis.rules.count_passing counts them (summed
    from per-province parts for the map: app/province_parts.py); None when no commune is analysed."""
    if not passing:
        return None
    parts = [f"{set_label(s)}: {fmt_int(n)}/{fmt_int(judged)}" for s, n, judged in passing]
    return dbc.Badge(" · ".join(parts), color="light", text_color="dark", className="small", id="map-rules-summary")
