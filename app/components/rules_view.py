"""NTM rule sets on the coverage map: each commune's verdict under every set (map colours, the commune panel's
"đạt theo QĐ 318, chưa đạt theo QĐ 51 nhóm 1: …") and the count of communes passing under each set."""

from __future__ import annotations

import threading
from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from analysis.rules import RuleSet, compare_verdicts, measures_frame, rule_sets
from app import province_parts
from app.auth import User, scope_binds
from app.i18n import current_lang, fmt_int, t
from sql import queries
from sql.engine import connect

PASS_COLOURS = {True: "#4575b4", False: "#d73027", None: "#bdbdbd"}  # ColorBrewer RdYlBu ends: colour-blind safe
LINES_KEPT = 20_000  # (measures row, rule sets) -> the panel's sentences; forgotten all at once past it
_kept_lines: dict[tuple[Any, ...], tuple[list[str], list[str]]] = {}
_lines_lock = threading.Lock()


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
    """The commune's verdict under every set; where they differ, one sentence with why (the panel's block).
    The sentences are kept per stored measures and rule sets (``_lines``): judging them again for every panel
    opened was a third of the panel's CPU under bench.mixed_load."""
    with connect() as conn:
        sets = sorted(province_parts.sets_kept(conn), key=lambda s: s.model.in_force_from)
        result = conn.execute(queries.load("coverage_rule_measures"),
                              {**scope_binds(user), "province": None, "code": code})
        columns, found = list(result.keys()), [tuple(r) for r in result]
    if not found:
        return None
    vi, en = _lines(columns, found[0], sets)
    lines = en if current_lang() == "en" else vi
    return html.Div([html.B(f"{t('ntm_rule_sets')}: "), html.Span(", ".join(lines), id="map-panel-rules")],
                    className="small mb-2")


def _lines(columns: list[str], row: tuple[Any, ...], sets: list[RuleSet]) -> tuple[list[str], list[str]]:
    """compare_verdicts of one stored measures row (as analysis.rules.read_rule_measures reads it), kept per row
    and rule sets (their names and hashes: the same key, the same sentences)."""
    key = (row, tuple((s.name, s.sha256) for s in sets))
    with _lines_lock:
        found = _kept_lines.get(key)
    if found is None:
        measures = measures_frame([row], columns)
        found = compare_verdicts(measures.iloc[0].to_dict(), sets)
        with _lines_lock:
            if len(_kept_lines) > LINES_KEPT:
                _kept_lines.clear()
            _kept_lines[key] = found
    return found


def summary_badge(passing: list[tuple[RuleSet, int, int]]) -> Any:
    """"Đạt NTM theo QĐ 318: 3/45 xã · theo QĐ 51 (tạm tính): 2/45 xã" for the province (or the user's scope):
    (rule set, communes passing, communes judged) per set, as analysis.rules.count_passing counts them (summed
    from per-province parts for the map: app/province_parts.py); None when no commune is analysed."""
    if not passing:
        return None
    parts = [f"{set_label(s)}: {fmt_int(n)}/{fmt_int(judged)}" for s, n, judged in passing]
    return dbc.Badge(" · ".join(parts), color="light", text_color="dark", className="small", id="map-rules-summary")
