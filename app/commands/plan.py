"""`phusong plan` and `phusong scenarios list|compare|export`: thin wrappers over analysis.planning."""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from analysis.outputs.catalogue import ACTION_LABELS
from analysis.outputs.plans import (
    format_of,
    locate_actions,
    phases_of,
    plan_parameters,
    scenario_parameters,
    scenario_phases,
    write_plan,
)
from analysis.planning import (
    Budget,
    BudgetFileError,
    CandidateSite,
    PlanningInputError,
    PlanOptions,
    PlanResult,
    UnitCosts,
    budget_per_year,
    compare_scenarios,
    find_scenario,
    list_scenarios,
    parse_years,
    plan_investments,
    plan_phased,
    read_budget_file,
    save_scenario,
    scenario_actions,
    solve_greedy,
    with_cap_per_year,
)
from app.commands.db import ensure_database
from app.commands.status import warn_if_stale
from sql.engine import connect

OUT_FORMATS = (".csv", ".xlsx", ".gpkg", ".geojson")
ACTION_HELP = "\n".join(f"  {code:20s} {vi} ({en})" for code, (vi, en) in ACTION_LABELS.items())


def register(commands: Any) -> None:
    _register_plan(commands)
    _register_scenarios(commands)


def _register_plan(commands: Any) -> None:
    sub = commands.add_parser(
        "plan", help="spend a VND budget on repairs, upgrades and new clusters that reach the most people",
        description="Choose repairs of broken clusters, new IP/FM clusters, station upgrades and new "
                    "stations that newly reach the most people within the budget (exact MILP with HiGHS; the "
                    "optimality gap is printed). The plan is saved as a scenario and written to --out.",
        epilog="Action values (column `action` of --candidates, names in --costs, the plan's rows):\n"
               f"{ACTION_HELP}\n"
               "Outputs: .xlsx (sheets Hạng mục, Dự toán, Theo xã, Thay đổi phân loại, Tham số), .csv, .gpkg, "
               ".geojson; each row has the facility's survey code, the nearest village, commune and province.\n"
               "Plans over years (--years): .xlsx adds a sheet per year and the summary by year and budget line.\n"
               "Example:\n  phusong plan --budget-vnd 1.5e9 --province 01 --name hn-2026 --out plan.xlsx\n"
               "  phusong plan --years 2027-2030 --budget-per-year 1.5e9 --province 11 --out plan-4y.xlsx\n"
               "  phusong plan --years 2027-2030 --budget-file ngan_sach.xlsx --province 11 --out plan-4y.xlsx\n"
               "  phusong plan --budget-vnd 5e8 --costs costs.yaml --candidates sites.csv --out plan.gpkg",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub.add_argument("--budget-vnd", type=float, help="the budget in VND, e.g. 1.5e9 (a one-year plan)")
    sub.add_argument("--years", help="plan over years, e.g. 2027-2030: each action gets a year and a budget line")
    sub.add_argument("--budget-per-year", type=float, metavar="VND",
                     help="with --years: the budget of each year (one line, the provincial budget); next to "
                          "--budget-file: the province's total per year over all lines")
    sub.add_argument("--budget-file", type=Path, metavar="FILE",
                     help="with --years: CSV/XLSX, one row per year and line: year, line (ntm, provincial, other), "
                          "budget_vnd [, actions, communes] (what the line may fund; empty: everything)")
    sub.add_argument("--province", help="2025 province code (default: every commune loaded)")
    sub.add_argument("--candidates", type=Path,
                     help="CSV/GeoJSON/GPKG of points: lon, lat [, cost_vnd, radius_m, action, name]; action is "
                          f"one of {', '.join(ACTION_LABELS)} (default new_ip_cluster)")
    sub.add_argument("--costs", type=Path,
                     help="YAML (name: VND) or CSV (action,cost_vnd) overriding DOMAIN.md §3 unit costs")
    sub.add_argument("--name", help="scenario name (default: plan-<province>-<budget>)")
    sub.add_argument("--out", type=Path, required=True, help="output file: .xlsx, .csv, .gpkg or .geojson")
    sub.add_argument("--lang", choices=("vi", "en"), default="vi", help="headers and labels (default vi)")
    sub.add_argument("--reach-all-villages", nargs="*", default=[], metavar="COMMUNE",
                     help="communes that must pass criterion 8.3 (every village reached)")
    sub.add_argument("--min-share", action="append", default=[], metavar="COMMUNE=SHARE",
                     help="minimum share (0-1) of a commune's people reached after the plan; repeatable")
    sub.add_argument("--priority", action="append", default=[], metavar="COMMUNE=FACTOR",
                     help="weight a disadvantaged commune's people by FACTOR (e.g. 1.5) in the objective")
    sub.add_argument("--greedy", action="store_true", help="instant greedy preview, no exact solve")
    sub.add_argument("--time-limit-s", type=float, default=60.0,
                     help="exact solve time limit; past it the better of HiGHS and greedy is kept, and said")
    sub.set_defaults(handler=_plan)


def _register_scenarios(commands: Any) -> None:
    sub = commands.add_parser(
        "scenarios", help="list, compare and export saved investment scenarios",
        description="Saved investment scenarios (made by `phusong plan`).",
        epilog="Example:\n  phusong scenarios list\n  phusong scenarios compare plan-a plan-b\n"
               "  phusong scenarios export plan-a --out plan-a.xlsx",
    )
    actions = sub.add_subparsers(dest="scenarios_command", metavar="ACTION")
    actions.required = True
    listing = actions.add_parser("list", help="every saved scenario with its totals",
                                 epilog="Example:\n  phusong scenarios list")
    listing.set_defaults(handler=_list)
    compare = actions.add_parser("compare", help="what differs between two scenarios: actions, people, cost",
                                 epilog="Example:\n  phusong scenarios compare plan-a plan-b")
    compare.add_argument("a", help="a scenario's name, or its id (`scenarios list`) when two owners use the name")
    compare.add_argument("b", help="the other scenario, likewise")
    compare.add_argument("--limit", type=int, default=30, help="differing actions to print (default 30)")
    compare.set_defaults(handler=_compare)
    export = actions.add_parser("export", help="write a scenario's actions to .xlsx, .csv, .gpkg or .geojson",
                                epilog="Example:\n  phusong scenarios export plan-a --out plan-a.gpkg")
    export.add_argument("name", help="the scenario's name, or its id when two owners use the name")
    export.add_argument("--out", type=Path, required=True)
    export.add_argument("--lang", choices=("vi", "en"), default="vi", help="headers and labels (default vi)")
    export.set_defaults(handler=_export)


# ------------------------------------------------------------------------------------------------- plan
def _plan(args: argparse.Namespace) -> int:
    try:
        _check_out(args.out)
        costs = read_unit_costs(args.costs) if args.costs else UnitCosts()
        sites = read_candidate_sites(args.candidates) if args.candidates else []
        options = PlanOptions(reach_all_villages=tuple(args.reach_all_villages),
                              min_share=_parse_shares(args.min_share, "--min-share", upper=1.0),
                              commune_weights=_parse_shares(args.priority, "--priority", upper=None),
                              time_limit_s=args.time_limit_s)
        budget = _budget_of(args)
        ensure_database()
        name = args.name or (f"plan-{args.province or 'all'}-{args.budget_vnd:.3g}" if budget is None else
                             f"plan-{args.province or 'all'}-{budget.first_year}-{budget.last_year}")
        with connect() as conn:
            if budget is None:
                result = plan_investments(conn, budget_vnd=args.budget_vnd, province_code=args.province,
                                          costs=costs, user_sites=sites, options=options,
                                          solver=solve_greedy if args.greedy else None)
            else:
                result = plan_phased(conn, budget=budget, province_code=args.province, costs=costs,
                                     user_sites=sites, options=options)
            save_scenario(conn, name, result)
            located = locate_actions(conn, result.actions)
    except PlanningInputError as exc:
        print(f"phusong: {exc}", file=sys.stderr)
        return 1
    stale = warn_if_stale(args.province)
    parameters = plan_parameters(name=name, owner=None, province=args.province, budget_vnd=result.budget_vnd,
                                 params=result.params)
    parameters += [("Xã có số liệu cần tính lại", dict(stale).get("coverage_stale_communes", "0"))]
    write_plan(args.out, located, fmt=format_of(args.out), parameters=parameters,
               class_changes=result.class_changes, lang=args.lang, phases=phases_of(result))
    _print_summary(result, name, args.out)
    if result.by_year is not None:
        _print_years(result)
    return 0


def _budget_of(args: argparse.Namespace) -> Budget | None:
    """The plan's years and budget lines (None: a one-year plan of --budget-vnd); every misuse refused."""
    if args.years is None:
        if args.budget_file is not None or args.budget_per_year is not None:
            raise PlanningInputError("--budget-per-year and --budget-file need --years (e.g. --years 2027-2030)")
        if args.budget_vnd is None:
            raise PlanningInputError("give --budget-vnd (one year) or --years with --budget-per-year/--budget-file")
        return None
    if args.budget_vnd is not None:
        raise PlanningInputError("--budget-vnd is a one-year plan's budget: with --years use --budget-per-year")
    if args.greedy:
        raise PlanningInputError("--greedy previews a one-year plan; a plan over years is always solved by HiGHS")
    years = parse_years(args.years)
    if args.budget_file is None:
        if args.budget_per_year is None:
            raise BudgetFileError("plan_budget_missing")
        return budget_per_year(years, args.budget_per_year)
    if not args.budget_file.is_file():
        raise PlanningInputError(f"{args.budget_file}: no such budget file")
    budget = read_budget_file(args.budget_file, years)
    return budget if args.budget_per_year is None else with_cap_per_year(budget, args.budget_per_year)


def _print_years(result: PlanResult) -> None:
    """Spend and people per year and budget line, then the first year against its target (stage 1)."""
    assert result.by_year is not None
    print("  year  line         budget VND          spent VND     actions   people newly reached")
    for rec in result.by_year.to_dict("records"):
        print(f"  {rec['year']}  {rec['budget_line']:11s} {rec['budget_vnd']:>18,.0f} {rec['cost_vnd']:>18,.0f} "
              f"{rec['actions']:>8d} {rec['added_population']:>12,.0f}")
    p = result.params
    print(f"  people x years of service: {p['people_years']:,.0f}; first year {p['first_year_status']} "
          f"(gap {_gap_text(p['first_year_gap'])}), all years gap {_gap_text(result.solution.mip_gap)}")


def _gap_text(gap: float | None) -> str:
    return "n/a" if gap is None else f"{gap:.2%}"


def _print_summary(result: PlanResult, name: str, out: Path) -> None:
    s = result.solution
    gap = "n/a (no optimality proof)" if s.mip_gap is None else f"{s.mip_gap:.2%}"
    print(f"scenario {name!r}: {len(result.actions)} actions -> {out}")
    print(f"  budget used:           {result.cost_vnd:,.0f} of {result.budget_vnd:,.0f} VND "
          f"({result.cost_vnd / result.budget_vnd:.0%})" if result.budget_vnd else "  budget: 0")
    print(f"  people newly reached:  {result.added_population:,.0f}   "
          f"villages newly reached: {int(result.actions['added_villages'].sum())}")
    print(f"  communes changing class: {len(result.class_changes)}")
    for rec in result.class_changes.head(10).to_dict("records"):
        print(f"    {rec['commune_code']} {rec['commune_name']}: "
              f"{rec['class_before']} -> {rec['class_after']}")
    print(f"  solver: {s.solver}   status: {s.status}   gap: {gap}   time: {s.time_s:.2f} s")
    if s.note:
        print(f"  {s.note}")
    print(f"  people: {result.demand_source}; {result.n_demand} demand points, "
          f"{result.n_candidates} candidates")
    for action, group in result.actions.groupby("action"):
        print(f"    {action:20s} {len(group):5d}  {group['cost_vnd'].sum():>18,.0f} VND  "
              f"{group['added_population'].sum():>10,.0f} people")


def _check_out(out: Path) -> None:
    if out.suffix.lower() not in OUT_FORMATS:
        raise PlanningInputError(f"--out {out}: use one of {', '.join(OUT_FORMATS)}")


def _parse_shares(items: list[str], flag: str, *, upper: float | None) -> dict[str, float]:
    """Parse repeated COMMUNE=NUMBER options: a share in [0, upper], or a factor >= 0 (upper None)."""
    shares = {}
    for item in items:
        code, _, value = item.partition("=")
        try:
            shares[code] = float(value)
        except ValueError as exc:
            raise PlanningInputError(f"{flag} {item!r}: expected COMMUNE=NUMBER, e.g. 00004=0.9") from exc
        if shares[code] < 0 or (upper is not None and shares[code] > upper):
            raise PlanningInputError(f"{flag} {item!r}: must be between 0 and {upper or 'any'}")
    return shares


def read_unit_costs(path: Path) -> UnitCosts:
    """Read unit costs from YAML (``name: VND``) or CSV (``action,cost_vnd``); unnamed costs keep defaults."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such costs file")
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
        if rows and not {"action", "cost_vnd"} <= set(rows[0]):
            raise PlanningInputError(f"{path}: expected columns action,cost_vnd; found {list(rows[0])}")
        values: dict[str, Any] = {r["action"].strip(): r["cost_vnd"] for r in rows}
    else:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(loaded, dict):
            raise PlanningInputError(f"{path}: expected a mapping of cost name to VND (repair_cluster: 8e6)")
        values = loaded
    try:
        return UnitCosts.from_mapping(values)
    except PlanningInputError as exc:
        raise PlanningInputError(f"{path}: {exc}") from exc


def read_candidate_sites(path: Path) -> list[CandidateSite]:
    """Read the user's candidate points: CSV with lon,lat columns, or any point layer (GeoJSON, GPKG)."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such candidates file")
    if path.suffix.lower() == ".csv":
        frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str)
        frame.columns = [c.strip().lower() for c in frame.columns]
        lon_col = next((c for c in ("lon", "longitude", "x", "kinh_do") if c in frame.columns), None)
        lat_col = next((c for c in ("lat", "latitude", "y", "vi_do") if c in frame.columns), None)
        if lon_col is None or lat_col is None:
            raise PlanningInputError(f"{path}: expected columns lon and lat; found {list(frame.columns)}")
    else:
        import geopandas as gpd

        gdf = gpd.read_file(path).to_crs(4326)
        frame = pd.DataFrame(gdf.drop(columns="geometry")).astype(str)
        frame["lon"], frame["lat"] = gdf.geometry.x.astype(str), gdf.geometry.y.astype(str)
        lon_col, lat_col = "lon", "lat"
    return [_site_from_row(path, n, row, lon_col, lat_col)
            for n, row in enumerate(frame.to_dict("records"), start=2)]


def _site_from_row(path: Path, n: int, row: dict[Any, Any], lon_col: str, lat_col: str) -> CandidateSite:
    def number(field: str, *, required: bool) -> float | None:
        value = row.get(field)
        if value is None or str(value).strip() in ("", "nan", "None"):
            if required:
                raise PlanningInputError(f"{path}, row {n}, field {field!r}: empty (a number is needed)")
            return None
        try:
            return float(str(value).strip())
        except ValueError as exc:
            hint = " (use a dot: 106.7)" if "," in str(value) else ""
            raise PlanningInputError(
                f"{path}, row {n}, field {field!r}: {value!r} is not a number{hint}") from exc

    lon, lat = number(lon_col, required=True), number(lat_col, required=True)
    assert lon is not None and lat is not None
    if not (100 <= lon <= 118 and 7 <= lat <= 24):
        swapped = " were lat/lon swapped?" if 100 <= lat <= 118 else ""
        raise PlanningInputError(
            f"{path}, row {n}: point (lon {lon}, lat {lat}) is outside Vietnam;{swapped}")
    action = str(row.get("action") or "").strip()
    return CandidateSite(lon=lon, lat=lat, action=action if action and action != "nan" else "new_ip_cluster",
                         cost_vnd=number("cost_vnd", required=False),
                         radius_m=number("radius_m", required=False),
                         label=str(row.get("name") or row.get("label") or "").replace("nan", ""))


# ------------------------------------------------------------------------------------------------- scenarios
def _list(args: argparse.Namespace) -> int:
    ensure_database()
    with connect() as conn:
        frame = list_scenarios(conn)
    if frame.empty:
        print("no scenarios saved yet (phusong plan --budget-vnd ... --out ...)")
        return 0
    for rec in frame.to_dict("records"):
        print(f"{rec['id']:>5} {rec['name']:30s} {rec['owner']:12s} budget {float(rec['budget_vnd']):>16,.0f}  "
              f"cost {float(rec['cost_vnd']):>16,.0f} "
              f"people {float(rec['added_population']):>10,.0f}  actions {int(rec['actions']):4d}  "
              f"{rec['solver'] or '?'}/{rec['status'] or '?'}  {rec['province_code'] or 'all'}  "
              f"{rec['created_at']:%Y-%m-%d %H:%M}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    ensure_database()
    try:
        with connect() as conn:
            totals, differing = compare_scenarios(conn, args.a, args.b)
    except PlanningInputError as exc:
        print(f"phusong: {exc}", file=sys.stderr)
        return 1
    for rec in totals.to_dict("records"):
        print(f"{rec['scenario']:30s} {rec['actions']:4d} actions  {rec['cost_vnd']:>16,.0f} VND  "
              f"{rec['added_population']:>10,.0f} people  {rec['added_villages']:4d} villages")
    a, b = totals.to_dict("records")
    print(f"difference (B - A): {b['cost_vnd'] - a['cost_vnd']:+,.0f} VND, "
          f"{b['added_population'] - a['added_population']:+,.0f} people")
    shown = differing.sort_values("added_population", ascending=False, kind="stable").head(args.limit)
    for rec in shown.to_dict("records"):
        print(f"  only in {rec['only_in']}: {rec['action']} {rec['commune_code']} {rec['commune_name']} "
              f"({rec['lon']:.5f}, {rec['lat']:.5f}) {rec['cost_vnd']:,.0f} VND, "
              f"{rec['added_population']:,.0f} people")
    if len(differing) > len(shown):
        print(f"  ... and {len(differing) - len(shown)} more differing actions (--limit N shows more; "
              "`phusong scenarios export` writes them all)")
    return 0


def _export(args: argparse.Namespace) -> int:
    ensure_database()
    try:
        _check_out(args.out)
        with connect() as conn:
            header = find_scenario(conn, args.name)
            actions = locate_actions(conn, scenario_actions(conn, header.id))
            parameters = scenario_parameters(conn, header.id)
            phases = scenario_phases(conn, header.id, actions)
    except PlanningInputError as exc:
        print(f"phusong: {exc}", file=sys.stderr)
        return 1
    write_plan(args.out, actions, fmt=format_of(args.out), parameters=parameters, lang=args.lang, phases=phases)
    print(f"{args.name}: {len(actions)} actions -> {args.out}")
    return 0
