"""The bundled demo: Điện Biên's 45 real 2025 communes with their census population, a derived population
raster, and SYNTHETIC villages and facility survey (gis_data/dien_bien/, see gis_data/README.md), loaded through
the same loaders a user's files go through, then analysed and planned."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Connection

from analysis.planning import plan_investments, save_scenario
from analysis.refresh import bring_current
from analysis.reports import refresh_running_snapshots
from app.auth import add_user, list_users
from app.outlines_ahead import fill_outlines_ahead
from etl.boundaries import load_boundaries
from etl.census import load_commune_population
from etl.facilities import load_facilities
from etl.feedback_import import import_feedback
from etl.population import load_population_raster
from etl.villages import load_villages
from sql.engine import connect, get_engine
from sql.settings import get_settings

DEMO_PROVINCE = "11"
DEMO_BUDGET_VND = 1.5e9
DEMO_SCENARIO = "Điện Biên - 1,5 tỷ đồng (demo)"
# One demo login per role (issue 6). The inspector covers Mường Nhé and Nậm Kè; the others see the whole country.
# These passwords are printed by `make demo` and are for the demo database only.
DEMO_USERS = (
    ("quyhoach", "planner", (), "quyhoach-demo"),
    ("kiemtra", "inspector", ("03160", "03162"), "kiemtra-demo"),
    ("taichinh", "budget", (), "taichinh-demo"),
    ("quantri", "admin", (), "quantri-demo"),
)


def load_demo_data() -> Iterator[str]:
    """Load, analyse and plan the bundled province; yield one line of summary per step. Safe to run again."""
    settings = get_settings()
    demo_dir = settings.data_dir / "dien_bien"
    reports = settings.out_dir / "rejects"
    with connect() as conn:
        yield from _load_boundaries(conn, demo_dir)
        population = load_commune_population(conn, demo_dir / "population_2019_communes_2025.csv",
                                             loaded_by="demo")
        yield f"population: {population.communes} communes, {population.total:,.0f} people (census 2019)"
        villages = load_villages(conn, demo_dir / "thon_ban_synthetic.geojson", loaded_by="demo",
                                 report_dir=reports)
        yield f"villages (synthetic): {villages.summary()}"
        facilities = load_facilities(conn, demo_dir / "khao_sat_thiet_che_2026_synthetic.xlsx", loaded_by="demo",
                                     report_dir=reports)
        yield f"facilities (synthetic survey): {facilities.summary()}"
        feedback = import_feedback(conn, demo_dir / "phan_anh_2026_synthetic.csv", loaded_by="demo",
                                   report_dir=reports)
        yield f"citizen reports (synthetic): {feedback.summary()}"
        raster = load_population_raster(conn, demo_dir / "population_100m_derived.tif", loaded_by="demo")
        yield f"population raster (derived): {raster.summary()}"
    result = bring_current(get_engine())  # what the loads changed (all of it on a first run)
    fill_outlines_ahead(get_engine())  # the map's simplified outlines, before the first user asks
    with connect() as conn:
        snapshots = refresh_running_snapshots(conn, taken_by="demo")
        yield (f"coverage: {len(result.communes)} communes analysed in {result.seconds:.1f} s; "
               f"classes {result.classes}; "
               f"snapshots {', '.join(r.period for r in snapshots)}")
    with connect() as conn:
        plan = plan_investments(conn, budget_vnd=DEMO_BUDGET_VND, province_code=DEMO_PROVINCE)
        save_scenario(conn, DEMO_SCENARIO, plan, owner="demo")
        yield (f"plan {DEMO_SCENARIO!r}: {len(plan.actions)} actions, {plan.cost_vnd:,.0f} VND, "
               f"{plan.added_population:,.0f} people newly reached ({plan.solution.solver}, {plan.solution.status})")


def _load_boundaries(conn: Connection, demo_dir: Path) -> Iterator[str]:
    for name, level in (("province_2025.geojson", "province"), ("communes_2025.geojson", "commune")):
        result = load_boundaries(conn, demo_dir / name, version="2025", level=level, loaded_by="demo")
        yield (f"{name}: {result.rows} {level} units ({result.inserted} new, {result.updated} updated, "
               f"{result.unchanged} unchanged)")


def create_demo_users() -> Iterator[str]:
    """Add the demo users that do not exist yet; yield one line per login."""
    with connect() as conn:
        existing = {u["name"] for u in list_users(conn)}
        for name, role, scope, password in DEMO_USERS:
            if name not in existing:
                add_user(conn, name, password, role=role, scope_codes=scope, actor="demo")
            where = ", ".join(scope) if scope else "toàn quốc"
            yield f"  {role:<9} {name} / {password}  (phạm vi: {where})"
