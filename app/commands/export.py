"""`phusong export gaps --format csv|xlsx|gpkg|geojson --out PATH [--province CODE]`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from analysis.gaps import FORMATS, coverage_gaps, gaps_metadata, write_gaps
from analysis.rules import find_rule_set
from app.commands.db import ensure_database
from app.commands.status import warn_if_stale
from sql.engine import connect


def register(commands: Any) -> None:
    export = commands.add_parser(
        "export",
        help="write analysis results to files (gaps: underserved communes)",
        description="Export stored results. Run `phusong analyse` first.",
        epilog="Example:\n  phusong export gaps --format xlsx --out out/gaps.xlsx --province 11",
    )
    kinds = export.add_subparsers(dest="export_command", metavar="WHAT")
    kinds.required = True
    gaps = kinds.add_parser(
        "gaps",
        help="communes with coverage, people reached, NTM 8.3, class and reason",
        description="One row per analysed commune: commune_code, commune_name, province_code, province_name, "
        "area_km2, covered_area_km2, covered_area_share, pop_total, pop_covered, pop_covered_share, "
        "villages_total, villages_reached, station_operational, ntm_8_3, class, reason, then "
        "uncovered people, broken clusters, priority score and more, then commune_group, rules_provisional "
        "and one verdict_<indicator> column per indicator of the rule set. Shares are fractions 0-1.",
        epilog="Example:\n  phusong export gaps --format csv --out out/gaps.csv --province 11",
    )
    gaps.add_argument("--format", required=True, choices=FORMATS)
    gaps.add_argument("--out", type=Path, required=True)
    gaps.add_argument("--province", help="2025 province code; all analysed communes when omitted")
    gaps.add_argument("--rules", metavar="NAME", help="rule set of the verdict columns (phusong rules list); "
                      "default: the set in force on the data date")
    gaps.set_defaults(handler=_gaps)


def _gaps(args: argparse.Namespace) -> int:
    ensure_database()
    with connect() as conn:
        rule_set = find_rule_set(conn, args.rules) if args.rules else None
        table = coverage_gaps(conn, province_code=args.province, rule_set=rule_set)
        if table.empty:
            print("export gaps: no coverage stored for these communes; run `phusong analyse` first")
            warn_if_stale(args.province)
            return 1
        metadata = gaps_metadata(conn, table, province_code=args.province)
    path = write_gaps(table, args.out, fmt=args.format, metadata=metadata)
    counts = table["class"].value_counts().to_dict()
    print(
        f"export gaps: {len(table)} communes -> {path} ({args.format}); "
        + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    )
    warn_if_stale(args.province)  # the file's metadata says it too (gaps_metadata)
    return 0
