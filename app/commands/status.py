"""`phusong status`: per province, when coverage was computed, what waits, and the date of each input; and the
refresh every command that changes inputs runs before it returns (wiring over analysis.refresh)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from analysis.population_raster import active_population_raster
from analysis.refresh import (
    BATCH_COMMUNES,
    RefreshReport,
    bring_current,
    coverage_status,
    staleness,
    staleness_metadata,
)
from app.commands.db import ensure_database
from app.i18n import fmt_date
from app.refresh_text import refresh_cli_line, stale_cli_lines
from sql.engine import connect, get_engine


def register(commands: Any) -> None:
    sub = commands.add_parser(
        "status", help="per province: when coverage was computed, what is stale, the date of each input",
        description="One line per province with communes loaded: communes computed, when, how many wait for a "
                    "recompute (and since when), and when its boundaries, villages, facilities and inspections "
                    "last changed; then the active population raster.",
        epilog="Example:\n  phusong status",
    )
    sub.set_defaults(handler=_status)


def add_no_refresh(sub: Any) -> None:
    """The option every command that changes inputs takes."""
    sub.add_argument("--no-refresh", action="store_true",
                     help="leave the coverage of the changed communes stale (batch jobs: run `phusong analyse` "
                          "or a later load without it to bring them current)")


def refresh_after_change(args: argparse.Namespace) -> RefreshReport | None:
    """Bring coverage current after a command changed inputs (unless --no-refresh or --dry-run), printing what
    it recomputed; with --no-refresh, print what is left stale. A long recompute shows progress on stderr."""
    if getattr(args, "dry_run", False):
        return None
    if getattr(args, "no_refresh", False):
        with connect() as conn:
            for line in stale_cli_lines(staleness(conn)):
                print(line)
        return None
    report = bring_current(get_engine(), progress=progress_line)
    print(refresh_cli_line(report))
    return report


def warn_if_stale(province_code: str | None) -> list[tuple[str, str]]:
    """Say on the CLI that the figures a command reads are stale (a --no-refresh load left them so); return the
    rows its output's metadata carries about it."""
    with connect() as conn:
        stale = staleness(conn, province_code=province_code)
    for line in stale_cli_lines(stale):
        print(line)
    return staleness_metadata(stale)


def progress_line(done: int, total: int) -> None:
    """A progress bar on stderr for a recompute of more than one batch (a national load, `analyse`)."""
    if total <= BATCH_COMMUNES:  # one batch: the summary line says it all
        return
    width = 30
    bar = "#" * (width * done // total) + "-" * (width - width * done // total)
    end = "\n" if done >= total else ""
    print(f"\rtính lại phủ sóng (recomputing coverage) [{bar}] {done}/{total} xã", end=end, file=sys.stderr,
          flush=True)


def _status(_args: argparse.Namespace) -> int:
    ensure_database()
    with connect() as conn:
        provinces = coverage_status(conn)
        raster = active_population_raster(conn)
    if not provinces:
        print("status: no communes loaded (chưa nạp xã nào); load boundaries first (phusong load boundaries ...)")
        return 0
    print("tỉnh (province) | xã tính / tổng (computed / communes) | tính lúc (computed at) | cũ (stale) | "
          "ranh giới (boundaries) | thôn (villages) | thiết chế (facilities) | kiểm tra (inspections)")
    for p in provinces:
        stale = (f"{p.communes_stale} xã từ {fmt_date(p.stale_since)}" if p.communes_stale
                 else "không (none)")
        print(f"{p.province_code} {p.province_name} | {p.communes_computed}/{p.communes} | {fmt_date(p.computed_at)} | "
              f"{stale} | {fmt_date(p.boundaries_at)} | {fmt_date(p.villages_at)} | {fmt_date(p.facilities_at)} | "
              f"{fmt_date(p.inspections_at)}")
    # Dates as 26/11/2026 14:05 in Viet Nam's time, '–' for never (app.i18n.fmt_date).
    population = f"{raster.path}, {fmt_date(provinces[0].raster_at)}" if raster else "census totals (no raster)"
    print(f"dân số (population): {population}")
    if any(p.communes_stale for p in provinces):
        print("  bring them current: phusong analyse (or: phusong analyse --province CODE)")
    return 0

