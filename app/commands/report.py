"""`phusong report` (the periodic report as PDF or XLSX) and `phusong report snapshot` (freeze a period's figures)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from analysis.outputs.periodic import FORMATS, report_bytes
from analysis.reports import ReportError, parse_period, take_snapshot
from app.commands.db import ensure_database
from app.commands.status import warn_if_stale
from sql import queries
from sql.engine import connect


def register(commands: Any) -> None:
    report = commands.add_parser(
        "report", help="the periodic report (Sơ kết / Tổng kết) as PDF or XLSX; snapshots of coverage by period",
        description="Write a province's report for a period (quarter 2026-Q3, month 2026-07 or year 2026) "
                    "from that period's coverage snapshot: communes by class and their change, criterion 8.3, "
                    "loudspeaker clusters by status and technology, inspections, citizen reports answered on time, "
                    "people newly reached, a map and a table per commune. Without --compare the previous period "
                    "is used when it has a snapshot.",
        epilog="Example:\n  phusong report snapshot --period 2026-Q3\n"
               "  phusong report --province 11 --period 2026-Q3 --compare 2026-Q2 --format pdf "
               "--out out/so_ket_q3.pdf",
    )
    report.add_argument("--province", help="2025 province code")
    report.add_argument("--period", help="2026-Q3, 2026-07 or 2026")
    report.add_argument("--compare", help="the period to compare with (default: the previous one, if kept)")
    report.add_argument("--no-compare", action="store_true", help="no comparison columns")
    report.add_argument("--format", choices=FORMATS, help="pdf or xlsx (default: from --out)")
    report.add_argument("--out", type=Path, help="file to write")
    report.set_defaults(handler=_report, report_parser=report)
    actions = report.add_subparsers(dest="report_command", metavar="ACTION", required=False)
    snap = actions.add_parser(
        "snapshot", help="keep every commune's coverage figures under a period key",
        description="Copy coverage_commune and the facility counts as they are now under the period's key, so the "
                    "period's report gives the same figures after later inspections. Run `phusong analyse` first, "
                    "and take the snapshot at the end of the period.",
        epilog="Example:\n  phusong analyse && phusong report snapshot --period 2026-Q3",
    )
    snap.add_argument("--period", dest="snapshot_period", required=True, help="2026-Q3, 2026-07 or 2026")
    snap.add_argument("--replace", action="store_true", help="take again a period already kept")
    snap.set_defaults(handler=_snapshot)


def _report(args: argparse.Namespace) -> int:
    parser: argparse.ArgumentParser = args.report_parser
    if not (args.province and args.period and args.out):
        parser.error("--province, --period and --out are required (or use `phusong report snapshot`)")
    fmt = args.format or args.out.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        parser.error(f"give --format pdf or xlsx (the file name ends in {args.out.suffix or 'nothing'})")
    ensure_database()
    try:
        with connect() as conn:
            compare = None if args.no_compare else args.compare or _previous_if_kept(conn, args.period)
            content = report_bytes(conn, args.province, args.period, compare, fmt=fmt)
    except ReportError as exc:
        print(f"phusong: {exc}", file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(content)
    versus = f" compared with {compare}" if compare else ""
    print(f"{args.out}: report of province {args.province} for {parse_period(args.period).key}{versus} "
          f"({fmt}, {len(content) / 1024:,.0f} KB)")
    warn_if_stale(args.province)
    return 0


def _previous_if_kept(conn: Any, period: str) -> str | None:
    previous = parse_period(period).previous().key
    found = conn.execute(queries.load("snapshot_exists"), {"period": previous}).first()
    return previous if found else None


def _snapshot(args: argparse.Namespace) -> int:
    ensure_database()
    try:
        with connect() as conn:
            result = take_snapshot(conn, args.snapshot_period, replace=args.replace)
    except ReportError as exc:
        print(f"phusong: {exc}", file=sys.stderr)
        return 1
    verb = "replaced" if result.replaced else "kept"
    print(f"snapshot {result.period} {verb}: {result.communes} communes, {result.facilities} facility counts")
    return 0
