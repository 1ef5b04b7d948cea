"""`phusong export gaps --format xlsx|csv|csv-excel|gpkg|geojson --out PATH [--province CODE] [--lang vi|en]`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from analysis.gaps import coverage_gaps, gaps_metadata, write_gaps
from analysis.outputs.catalogue import GAP_CATALOGUE
from analysis.outputs.gaps import FORMAT_LABELS, FORMATS
from analysis.rules import find_rule_set
from app.commands.db import ensure_database
from app.commands.status import warn_if_stale
from sql.engine import connect

FORMAT_HELP = "\n".join(f"  {f:10s} {FORMAT_LABELS[f][1]}" for f in FORMATS)
COLUMN_HELP = "\n".join(f"  {c.key:22s} {c.vi} / {c.en}" for c in GAP_CATALOGUE.values())


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
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="One row per analysed commune. Shares are fractions 0-1 (XLSX: shown as percent); people "
        "rounded to 1, shares to 0.1 %; dates in Viet Nam time. Every file carries its parameters (XLSX sheet "
        "'Tham số', GeoPackage table 'metadata', GeoJSON member 'metadata').\n\nFormats:\n" + FORMAT_HELP
        + "\n\nColumns (key: Vietnamese / English header), then verdict_<indicator> per indicator of the rule "
        "set:\n" + COLUMN_HELP,
        epilog="Example:\n  phusong export gaps --format csv --out out/gaps.csv --province 11\n"
               "  phusong export gaps --format csv-excel --out out/gaps_excel.csv --province 11",
    )
    gaps.add_argument("--format", required=True, choices=FORMATS)
    gaps.add_argument("--out", type=Path, required=True)
    gaps.add_argument("--province", help="2025 province code; all analysed communes when omitted")
    gaps.add_argument("--lang", choices=("vi", "en"), default="vi", help="headers and labels (default vi)")
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
    path = write_gaps(table, args.out, fmt=args.format, metadata=metadata, lang=args.lang)
    counts = table["class"].value_counts().to_dict()
    print(
        f"export gaps: {len(table)} communes -> {path} ({args.format}); "
        + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    )
    warn_if_stale(args.province)  # the file's parameters say it too (gaps_metadata)
    return 0
