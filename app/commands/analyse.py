"""`phusong analyse [--province CODE]` and `phusong population build`: thin wrappers over analysis/."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from analysis.population_raster import PopulationBuildError, build_and_record_population_raster
from analysis.refresh import bring_current, mark_stale
from analysis.reports import refresh_running_snapshots
from analysis.rules import count_passing, find_rule_set, read_rule_measures, rule_sets
from app.commands.db import ensure_database
from app.commands.status import add_no_refresh, progress_line, refresh_after_change
from sql import queries
from sql.engine import connect, get_engine


def register(commands: Any) -> None:
    sub = commands.add_parser(
        "analyse",
        help="recompute coverage, people reached, NTM criteria and classes; store them",
        description="Recompute loudspeaker coverage for every commune (or one province) from the facilities "
        "in "
        "the database, and store coverage_commune / coverage_village with the parameters, the rule "
        "version and the data date. Uses the active population raster, else census totals spread "
        "evenly (the result says which).",
        epilog="Example:\n  phusong analyse --province 11\n  phusong analyse --province 11 --rules ntm_2021_2025",
    )
    sub.add_argument("--province", help="2025 province code (2 digits); all communes when omitted")
    sub.add_argument("--rules", metavar="NAME",
                     help="rule set to judge the NTM indicators under (phusong rules list; or a YAML file); "
                          "default: the set in force on the data date (2026-2030 from 15/02/2026)")
    sub.set_defaults(handler=_analyse)

    population = commands.add_parser(
        "population",
        help="build a derived 100 m population raster from census commune totals",
        description="Population rasters. `build` spreads each commune's census total over 100 m cells "
        "(weighted "
        "toward villages when they are loaded), writes a GeoTIFF labelled as derived, and makes it "
        "the active raster.",
        epilog="Example:\n  phusong population build --province 11 "
        "--out gis_data/population/dien_bien_100m.tif",
    )
    actions = population.add_subparsers(dest="population_command", metavar="ACTION")
    actions.required = True
    build = actions.add_parser(
        "build",
        help="write a derived GeoTIFF and make it the active raster",
        epilog="Example:\n  phusong population build --out pop.tif --province 11",
    )
    build.add_argument("--out", type=Path, required=True, help="GeoTIFF to write")
    build.add_argument("--province", help="2025 province code; all communes when omitted")
    build.add_argument("--resolution-m", type=float, default=100.0, help="cell size in metres (default 100)")
    build.add_argument(
        "--epsg", type=int, default=32648, help="projected CRS of the raster (default UTM 48N)"
    )
    build.add_argument(
        "--no-villages", action="store_true", help="spread evenly even when villages are loaded"
    )
    add_no_refresh(build)
    build.set_defaults(handler=_population_build)


def _analyse(args: argparse.Namespace) -> int:
    ensure_database()
    # The same path as every change: mark the communes stale, then bring them current under their locks.
    with connect() as conn:
        # A set named by --rules is found before anything is marked: an unknown name changes nothing.
        rule_set = find_rule_set(conn, args.rules) if args.rules else None
        marked = mark_stale(conn, province_code=args.province)
    result = bring_current(get_engine(), rule_set=rule_set, progress=progress_line)
    if not marked and not result.communes:
        print(
            f"analyse: no communes{' in province ' + args.province if args.province else ''}; "
            "load boundaries first (phusong load boundaries ...)"
        )
        return 1
    with connect() as conn:
        # Keep this month's, quarter's and year's coverage snapshots up to date (issue 7: reports "as of").
        snapshots = refresh_running_snapshots(conn)
        runs = conn.execute(queries.load("coverage_runs_by_id"), {"run_ids": list(result.run_ids)}).all()
        sets = rule_sets(conn)
        measures = read_rule_measures(conn, {"whole_country": True, "scope": [], "province": args.province,
                                             "code": None})
    passing = count_passing(measures, sorted(sets.values(), key=lambda s: s.model.in_force_from))
    classes = ", ".join(f"{k} {v}" for k, v in sorted(result.classes.items()))
    print(
        f"analyse: {len(result.communes)} communes in {result.seconds:.2f} s "
        f"(runs {', '.join(map(str, result.run_ids))}): {classes}"
    )
    for source in sorted({str(r.population_source) for r in runs}):
        print(f"  population: {source}")
    for name in sorted({str(r.rules_name) for r in runs}):
        used = rule_set if rule_set is not None and rule_set.name == name else sets.get(name)
        print(f"  NTM verdicts under {name}{' (provisional)' if used is not None and used.provisional else ''}")
    for row in passing.to_dict("records"):  # the province summary under every set
        print(f"  communes passing every indicator phusong assesses under {row['rules_name']} ({row['short']}"
              f"{', provisional' if row['provisional'] else ''}): {row['passing']}/{row['communes']}")
    if snapshots:
        print(f"  snapshots kept for the running periods: {', '.join(r.period for r in snapshots)}")
    return 0


def _population_build(args: argparse.Namespace) -> int:
    ensure_database()
    try:
        with connect() as conn:
            result = build_and_record_population_raster(
                conn,
                args.out,
                province_code=args.province,
                resolution_m=args.resolution_m,
                epsg=args.epsg,
                use_villages=not args.no_villages,
            )
    except PopulationBuildError as exc:
        print(f"population: {exc}", file=sys.stderr)
        return 1
    print(
        f"population: wrote {result.path} ({result.width} x {result.height} cells "
        f"of {result.resolution_m:g} m, "
        f"EPSG:{result.epsg}), {result.total:,.0f} people over {result.communes} communes; "
        f"active raster {result.raster_id} (derived: {result.description})"
    )
    refresh_after_change(args)  # a new raster: every commune
    return 0
