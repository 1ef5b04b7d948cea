"""Coverage freshness in words: what a refresh recomputed, and the notice every read shows while figures are stale.

One place for the CLI (both languages on one line, Vietnamese first) and the pages (the user's language), and the
version pages poll to redraw when the worker has brought coverage current.
"""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc

from analysis.refresh import RefreshReport, Staleness, coverage_version, last_computed, staleness
from app.i18n import fmt_date, fmt_decimal, fmt_int, t
from sql.engine import connect


def refresh_line(report: RefreshReport, lang: str | None = None) -> str:
    """'đã tính lại 37 xã trong 0,4 s', or that nothing needed it."""
    if not report.communes:
        return t("refresh_nothing", lang)
    return t("refreshed", lang).format(n=fmt_int(len(report.communes), lang),
                                       s=fmt_decimal(report.seconds, 1, lang))


def refresh_cli_line(report: RefreshReport) -> str:
    """The CLI's line after a change: 'coverage: đã tính lại 37 xã trong 0,4 s (recomputed 37 communes in 0.4 s)'."""
    return f"coverage: {refresh_line(report, 'vi')} ({refresh_line(report, 'en')})"


def stale_notice(staleness: Staleness, lang: str | None = None, *, web: bool = True) -> str | None:
    """'Số liệu phủ sóng của 3 xã đã cũ từ 27/11/2026 10:05; …' with how to bring them current; None when
    nothing is stale. ``web``: say what the app does about it, not a CLI command."""
    if not staleness.communes:
        return None
    head = t("stale_notice", lang).format(n=fmt_int(staleness.communes, lang), since=fmt_date(staleness.since))
    return f"{head}; {t('stale_fix_web' if web else 'stale_fix_cli', lang)}."


def stale_cli_lines(staleness: Staleness) -> list[str]:
    """The CLI's warning lines (Vietnamese, then English) while figures are stale; none when current."""
    return [f"  ! {text}" for lang in ("vi", "en")
            if (text := stale_notice(staleness, lang, web=False)) is not None]


def stale_alert(province_code: str | None = None, *, id: str) -> Any:
    """The notice a page shows over figures that a change has made stale (None when all are current)."""
    with connect() as conn:
        text = stale_notice(staleness(conn, province_code=province_code))
    return dbc.Alert(text, color="warning", className="py-1 small mb-2", id=id) if text else None


def current_coverage_version() -> list[int]:
    """analysis.refresh.coverage_version as a page stores it (JSON)."""
    with connect() as conn:
        return list(coverage_version(conn))


def coverage_status_line(lang: str | None = None) -> str:
    """The admin page's line of `phusong status`: when coverage was last computed, and whether anything waits."""
    with connect() as conn:
        computed, stale = last_computed(conn), staleness(conn)
    waiting = stale_notice(stale, lang) or t("status_current", lang)
    return t("status_line", lang).format(at=fmt_date(computed), stale=waiting)
