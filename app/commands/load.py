"""`phusong load boundaries|census|facilities|villages|population|inspections`: thin wrappers over etl/."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.commands.db import ensure_database
from app.commands.status import add_no_refresh, refresh_after_change
from etl.boundaries import LEVELS, VERSIONS, load_boundaries
from etl.census import load_census_population, write_unmatched_report
from etl.commune_groups import load_commune_groups
from etl.crosscheck import crosscheck_crosswalk
from etl.facilities import load_facilities
from etl.inspections import load_inspections
from etl.lineage import LoadResult
from etl.load_undo import undo_load
from etl.population import load_population_raster
from etl.validate import DOUBTFUL_AS
from etl.villages import load_villages
from sql.engine import connect
from sql.settings import get_settings


def register(commands: Any) -> None:
    load = commands.add_parser(
        "load", help="load boundaries, census population, villages, facilities, inspections",
        description="Load a file into the database. Every load is one transaction: a refused file changes nothing.",
        epilog="Example:\n  phusong load boundaries communes.gpkg --version 2025",
    )
    kinds = load.add_subparsers(dest="load_command", metavar="KIND")
    kinds.required = True
    _register_boundaries(kinds)
    _register_census(kinds)
    _register_facilities(kinds)
    _register_villages(kinds)
    _register_population(kinds)
    _register_inspections(kinds)
    _register_commune_groups(kinds)
    _register_undo(kinds)


def _register_boundaries(kinds: Any) -> None:
    sub = kinds.add_parser(
        "boundaries", help="administrative units of either era from any GIS file (upsert by code)",
        description="Load provinces, districts (pre-2025 only) or communes from any OGR source. The fields of "
                    "the shared national files are recognised; other files name theirs with the --*-field options.",
        epilog="Example:\n  phusong load boundaries ../shared/data/admin_2025/provinces_2025.gpkg --version 2025\n"
               "  phusong load boundaries communes.shp --version pre2025 --level commune "
               "--code-field MA_XA --name-field TEN_XA",
    )
    sub.add_argument("file", type=Path)
    sub.add_argument("--version", required=True, choices=VERSIONS, help="2025 units or the pre-2025 ones")
    sub.add_argument("--level", choices=LEVELS, help="guessed from the fields when not given")
    sub.add_argument("--code-field", help="field holding the unit code")
    sub.add_argument("--name-field", help="field holding the unit name")
    sub.add_argument("--parent-field", help="field holding the parent unit's code")
    add_no_refresh(sub)
    sub.set_defaults(handler=_boundaries)


def _register_census(kinds: Any) -> None:
    sub = kinds.add_parser(
        "census", help="census 2019 commune population, apportioned onto 2025 communes",
        description="Load the 2019 census commune table, build the pre-2025 -> 2025 crosswalk from the loaded "
                    "polygons, and put population on 2025 communes by area share. Load both eras' communes first.",
        epilog="Example:\n  phusong load census ../shared/data/census_2019/commune_population_2019_census.csv "
               "--old-id-map ../shared/data/admin_2009/crosswalk_commune2009_to_gso2019.csv",
    )
    sub.add_argument("file", type=Path, help="CSV with ma_tinh, ma_huyen, ma_xa, commune_name, pop_total")
    sub.add_argument("--old-id-map", type=Path, required=True,
                     help="CSV tying the pre-2025 polygons' ids (commune_id) to census codes (ma_xa)")
    add_no_refresh(sub)
    sub.set_defaults(handler=_census)


def _boundaries(args: argparse.Namespace) -> int:
    ensure_database()
    with connect() as conn:
        result = load_boundaries(conn, args.file, version=args.version, level=args.level,
                                 code_field=args.code_field, name_field=args.name_field,
                                 parent_field=args.parent_field)
    print(f"{result.file}: {result.rows} {result.level} units ({result.version}) read: "
          f"{result.inserted} new, {result.updated} updated, {result.unchanged} unchanged, "
          f"{len(result.warned)} warned, {len(result.rejected)} rejected; "
          f"{result.repaired} invalid geometries repaired")
    for kind, reasons in (("warning", result.warned), ("rejected", result.rejected)):
        for reason in reasons[:20]:
            print(f"  {kind}: {reason}")
    refresh_after_change(args)  # new or changed communes: a national load recomputes the country
    return 0


def _census(args: argparse.Namespace) -> int:
    ensure_database()
    with connect() as conn:
        result = load_census_population(conn, args.file, args.old_id_map)
        check = crosscheck_crosswalk(conn)
    report = write_unmatched_report(result, get_settings().out_dir / "census_unmatched.csv")
    print(f"census: {result.census_rows} rows ({result.census_population:,.0f} people), "
          f"{result.census_rows_without_code} without a code; {result.matched_rows} rows "
          f"({result.matched_population:,.0f} people) reached the pre-2025 polygons")
    print(f"crosswalk: {result.crosswalk_pairs} old->new pairs; 2025 communes with population: "
          f"{result.communes_2025_with_population}; total {result.population_2025_total:,.0f} "
          f"({result.conservation_error:.3%} from the matched census total)")
    print(f"not matched: {len(result.unmatched)} census rows, listed in {report}")
    print(f"cross-check with vietnamadminunits: {check.compared} old communes compared; the package's new "
          f"commune holds most of the old area in {check.dominant_share:.1%}, is among ours in {check.any_share:.1%}")
    refresh_after_change(args)  # communes whose census population changed
    return 0


def _register_facilities(kinds: Any) -> None:
    sub = kinds.add_parser(
        "facilities", help="a survey: CSV, XLSX, GeoJSON, GPKG, zipped Shapefile, Kobo or ODK export",
        description="Load a survey of facilities (radio stations, loudspeakers, cultural houses ...).\n"
                    "Good rows load, bad rows are rejected with their reason into a CSV report;\n"
                    "the same file again changes nothing. Exit 0 when loaded (rejects included),\n"
                    "1 when the file is refused, 2 on wrong usage.",
        epilog="Example:\n  phusong load facilities khao_sat_dien_bien.xlsx\n"
               "  phusong load facilities toa_do_vn2000.csv --crs EPSG:9205 --dry-run",
    )
    _add_survey_options(sub, crs_help="coordinate system of the file, e.g. EPSG:9205 (VN-2000 TM-3 103°00')")
    _add_doubtful_as(sub)
    sub.set_defaults(handler=lambda args: _load_survey(load_facilities, args, crs=args.crs,
                                                       doubtful_as=args.doubtful_as))


def _add_survey_options(sub: Any, *, crs_help: str | None = None) -> None:
    """The options every survey-like file shares (facilities, villages, inspections)."""
    sub.add_argument("file", type=Path)
    if crs_help:
        sub.add_argument("--crs", help=crs_help)
    sub.add_argument("--sheet", help="workbook sheet or GeoPackage layer to read (default: the one that holds "
                     "the data; of several layers, the first of points)")
    sub.add_argument("--mapping", type=Path, help="YAML file naming columns or words no built-in rule knows")
    sub.add_argument("--encoding", help="text encoding of a CSV, e.g. cp1258 for legacy Vietnamese files")
    sub.add_argument("--strict", action="store_true", help="refuse the whole file if any row is rejected")
    sub.add_argument("--dry-run", action="store_true", help="check everything, write nothing")
    add_no_refresh(sub)


def _add_doubtful_as(sub: Any) -> None:
    sub.add_argument("--doubtful-as", choices=DOUBTFUL_AS, default="reject",
                     help="a doubtful status such as 'ok?' or 'không rõ': reject the row (default, reason "
                          "unknown_status) or load it as unknown (not working, listed for inspection)")


def _load_survey(loader: Callable[..., LoadResult], args: argparse.Namespace, **extra: Any) -> int:
    """Run one survey loader with the shared options in one transaction and print its summary."""
    ensure_database()
    with connect() as conn:
        result = loader(conn, args.file, sheet=args.sheet, mapping=args.mapping, encoding=args.encoding,
                        strict=args.strict, dry_run=args.dry_run, loaded_by=_actor(),
                        report_dir=_report_dir(), **extra)
    _print_result(result)
    refresh_after_change(args)
    return 0


def _report_dir() -> Path:
    return get_settings().out_dir / "rejects"


def _actor() -> str:
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in some containers
        return "cli"


def _print_result(result: LoadResult, shown: int = 10) -> None:
    print(result.summary())
    if result.batch_id is not None and not result.dry_run:
        print(f"  load number: {result.batch_id} (undo it: phusong load undo {result.batch_id})")
    for note in result.notes:  # what was read: the sheet and header row, the table of an archive
        print(f"  read: {note}")
    if result.updated_refs:
        more = f" and {len(result.updated_refs) - shown} more" if len(result.updated_refs) > shown else ""
        print(f"  updated: {', '.join(result.updated_refs[:shown])}{more}")
    for message in result.messages("reject")[:shown]:
        print(f"  rejected: {message}")
    if result.rejected > shown:
        print(f"  ... {result.rejected - shown} more rejected rows in the report")


def _register_undo(kinds: Any) -> None:
    sub = kinds.add_parser(
        "undo", help="undo one load of facilities, villages or inspections (refused when something later needs it)",
        description="Undo load BATCH (the number `load facilities|villages|inspections` printed): the facilities or\n"
                    "villages it added are removed, those it updated go back as they were; the inspections it added\n"
                    "are withdrawn (kept, no longer counted). Refused (exit 1, nothing changed) when a later load,\n"
                    "an edit or an inspection depends on it. Audited; coverage is recomputed.",
        epilog="Example:\n  phusong load undo 42",
    )
    sub.add_argument("batch", type=int, metavar="BATCH", help="the load's number (load_batch id)")
    add_no_refresh(sub)
    sub.set_defaults(handler=_undo)


def _undo(args: argparse.Namespace) -> int:
    ensure_database()
    with connect() as conn:
        done = undo_load(conn, args.batch, actor=_actor())
    what = (f"{done.withdrawn} inspections withdrawn" if done.kind == "inspections"
            else f"{done.deleted} {done.kind} removed, {done.restored} restored")
    print(f"load {done.batch} undone: {what}, communes {', '.join(done.communes) or 'none'}")
    refresh_after_change(args)
    return 0


def _register_villages(kinds: Any) -> None:
    sub = kinds.add_parser(
        "villages", help="villages (thôn/bản/ấp/tổ dân phố) as points or polygons, commune by location",
        description="Load villages from a GIS file (points or polygons) or a table with Kinh độ/Vĩ độ. The "
                    "commune comes from the location; population and households are kept when present.",
        epilog="Example:\n  phusong load villages thon_ban_dien_bien.gpkg",
    )
    _add_survey_options(sub, crs_help="coordinate system when the file does not say, e.g. EPSG:9205")
    sub.set_defaults(handler=lambda args: _load_survey(load_villages, args, crs=args.crs))


def _register_population(kinds: Any) -> None:
    sub = kinds.add_parser(
        "population", help="a population GeoTIFF (people per cell, any CRS) as the active raster",
        description="Check a WorldPop-style GeoTIFF (CRS, nodata, coverage of the loaded communes) and\n"
                    "record it as the raster the analyses use. The file stays where it is: keep it there.",
        epilog="Example:\n  phusong load population vnm_ppp_2020_UNadj_constrained.tif",
    )
    sub.add_argument("raster", type=Path)
    sub.add_argument("--dry-run", action="store_true", help="check the raster, record nothing")
    add_no_refresh(sub)
    sub.set_defaults(handler=_population)


def _population(args: argparse.Namespace) -> int:
    ensure_database()
    with connect() as conn:
        result = load_population_raster(conn, args.raster, loaded_by=_actor(), dry_run=args.dry_run)
    print(result.summary())
    for line in result.notes + result.messages("warning"):
        print(f"  {line}")
    refresh_after_change(args)  # a new raster: every commune
    return 0


def _register_inspections(kinds: Any) -> None:
    sub = kinds.add_parser(
        "inspections", help="inspection records from KoboToolbox, ODK Central or a CSV/XLSX",
        description="Append inspections to the facilities' status history. Rows name the facility by its\n"
                    "id; unknown ids are rejected, submissions seen before are skipped, and each facility's\n"
                    "status becomes its latest inspection's.",
        epilog="Example:\n  phusong load inspections kiem_tra_thang_11.csv",
    )
    _add_survey_options(sub)
    _add_doubtful_as(sub)
    sub.set_defaults(handler=lambda args: _load_survey(load_inspections, args, doubtful_as=args.doubtful_as))


def _register_commune_groups(kinds: Any) -> None:
    sub = kinds.add_parser(
        "commune-groups", help="commune groups of QĐ 51/2025/QĐ-TTg (nhóm 1, 2, 3) from a CSV/XLSX",
        description="Load each commune's group (columns: commune code, group, decision that set it). Without\n"
                    "it every commune is judged as group 2 and outputs say 'nhóm chưa xác định'. The Area II/III\n"
                    "list (QĐ 60/QĐ-BDTTG) loads the same way: --group 3 when it has no group column.\n"
                    "The communes whose group changes are analysed again.",
        epilog="Example:\n  phusong load commune-groups nhom_xa_2026.xlsx\n"
               "  phusong load commune-groups xa_khu_vuc_II_III.csv --group 3 --decision 'QĐ 60/QĐ-BDTTG'",
    )
    sub.add_argument("file", type=Path)
    sub.add_argument("--group", type=int, choices=(1, 2, 3), help="group of every row without a group column")
    sub.add_argument("--decision", help="decision of every row without a decision column")
    sub.add_argument("--sheet", help="workbook sheet to read")
    sub.add_argument("--encoding", help="text encoding of a CSV, e.g. cp1258")
    sub.add_argument("--dry-run", action="store_true", help="check everything, write nothing")
    add_no_refresh(sub)
    sub.set_defaults(handler=_commune_groups)


def _commune_groups(args: argparse.Namespace) -> int:
    ensure_database()
    with connect() as conn:
        result = load_commune_groups(conn, args.file, group=args.group, decision=args.decision, sheet=args.sheet,
                                     encoding=args.encoding, dry_run=args.dry_run, loaded_by=_actor(),
                                     report_dir=_report_dir())
    _print_result(result)
    refresh_after_change(args)  # the communes whose group changed are judged again
    return 0
