"""Issue 18 against the bundled Điện Biên demo in the real PostGIS: 2021-2025 results unchanged to the bit,
commune groups change only their communes' verdicts, and the planner follows Công văn 271."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, create_engine, text

from analysis.planning import UnitCosts, plan_investments
from analysis.refresh import bring_current
from analysis.rules import RULES_DIR, add_rule_set, shipped_rule_sets
from analysis.store import analyse
from etl.boundaries import load_boundaries
from etl.census import load_commune_population
from etl.commune_groups import load_commune_groups
from etl.facilities import load_facilities
from etl.population import load_population_raster
from etl.villages import load_villages
from tests.conftest import GIS_DATA

pytestmark = pytest.mark.db
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
DEMO = GIS_DATA / "dien_bien"


@pytest.fixture(scope="module")
def demo_engine(fresh_database: Callable[[], str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A database with the demo's boundaries, census, villages, facilities and raster (as app/demo.py loads them)."""
    engine = create_engine(fresh_database())
    reports = tmp_path_factory.mktemp("rejects")
    with engine.begin() as conn:
        for name, level in (("province_2025.geojson", "province"), ("communes_2025.geojson", "commune")):
            load_boundaries(conn, DEMO / name, version="2025", level=level, loaded_by="test")
        load_commune_population(conn, DEMO / "population_2019_communes_2025.csv", loaded_by="test")
        load_villages(conn, DEMO / "thon_ban_synthetic.geojson", loaded_by="test", report_dir=reports)
        load_facilities(conn, DEMO / "khao_sat_thiet_che_2026_synthetic.xlsx", loaded_by="test", report_dir=reports)
        load_population_raster(conn, DEMO / "population_100m_derived.tif", loaded_by="test")
    yield engine
    engine.dispose()


@pytest.fixture()
def demo_conn(demo_engine: Engine) -> Iterator[Connection]:
    with demo_engine.connect() as conn:
        transaction = conn.begin()
        try:
            yield conn
        finally:
            transaction.rollback()


def _golden_rows(conn: Connection) -> str:
    """The stored results as tests/fixtures/coverage_2021_2025_demo.sql prints them (floats to the bit)."""
    query = (FIXTURES / "coverage_2021_2025_demo.sql").read_text(encoding="utf-8")
    select = query.split("COPY (", 1)[1].rsplit(") TO STDOUT", 1)[0]
    result = conn.execute(text(select))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(result.keys())
    for row in result:
        writer.writerow(_pg_text(v) for v in row)
    return out.getvalue()


def _pg_text(value: object) -> str:
    # PostgreSQL's CSV text of each type: t/f for booleans, shortest round-trip repr for double precision.
    if isinstance(value, bool):
        return "t" if value else "f"
    if value is None:
        return ""
    return repr(value) if isinstance(value, float) else str(value)


def test_2021_2025_results_unchanged_bit_for_bit(demo_conn: Connection) -> None:
    """The golden file was written by the code before issue 18 (commit e7cccb4, `phusong demo`)."""
    result = analyse(demo_conn, province_code="11", rule_set=shipped_rule_sets()["ntm_2021_2025"])
    assert result.communes == 45 and result.rules_name == "ntm_2021_2025"
    golden = (FIXTURES / "coverage_2021_2025_demo.csv").read_text(encoding="utf-8")
    assert _golden_rows(demo_conn) == golden
    stored = demo_conn.execute(text(
        "SELECT DISTINCT rules_name, rules_hash, rules_provisional FROM coverage_commune")).all()
    assert [tuple(r) for r in stored] == [("ntm_2021_2025", shipped_rule_sets()["ntm_2021_2025"].sha256, False)]


def test_default_set_is_the_one_in_force_on_the_data_date(demo_conn: Connection) -> None:
    latest = demo_conn.execute(text(
        "SELECT max(CAST(coalesce(last_inspected_at, updated_at) AS date)) FROM facility")).scalar_one()
    expected = "ntm_2026_2030" if latest.isoformat() >= "2026-02-15" else "ntm_2021_2025"
    assert analyse(demo_conn, province_code="11").rules_name == expected
    run = demo_conn.execute(text("SELECT rules_name, rules_hash FROM coverage_run ORDER BY id DESC LIMIT 1")).one()
    assert run.rules_name == expected and run.rules_hash == shipped_rule_sets()[expected].sha256


def _by_group_set(tmp_path: Path) -> Path:
    """A province's set whose radio threshold differs per group: 100 % of villages in group 1, 50 % otherwise."""
    source = (RULES_DIR / "ntm_2026_2030.yaml").read_text(encoding="utf-8")
    entered = source.replace("thresholds: {1: 1.0, 2: 1.0, 3: 1.0}", "thresholds: {1: 1.0, 2: 0.5, 3: 0.5}", 1)
    path = tmp_path / "ntm_2026_2030_tinh.yaml"
    path.write_text(entered, encoding="utf-8")
    return path


def _verdicts(conn: Connection) -> dict[str, tuple[bool, int | None]]:
    rows = conn.execute(text("SELECT commune_code, ntm_8_3, commune_group FROM coverage_commune")).all()
    return {r.commune_code: (r.ntm_8_3, r.commune_group) for r in rows}


def test_loading_commune_groups_changes_the_verdicts_of_those_communes_only(
    demo_conn: Connection, tmp_path: Path
) -> None:
    rule_set = add_rule_set(demo_conn, _by_group_set(tmp_path), actor="test")
    analyse(demo_conn, province_code="11", rule_set=rule_set)
    before = _verdicts(demo_conn)
    shares = demo_conn.execute(text(
        "SELECT commune_code FROM coverage_commune WHERE station_operational AND villages_total > 0 "
        "AND villages_reached >= 0.5 * villages_total AND villages_reached < villages_total ORDER BY commune_code"
    )).scalars().all()
    assert len(shares) >= 2, "the demo has communes with a station reaching half or more of their villages"
    moved, kept = shares[0], shares[1]
    assert before[moved] == (True, None) and before[kept] == (True, None)  # group 2 by default: 50 % passes
    groups = tmp_path / "nhom_xa.csv"
    groups.write_text(f"Mã xã,Nhóm,Quyết định\n{moved},Nhóm 1,QĐ 12/QĐ-UBND tỉnh\n{kept},2,QĐ 12/QĐ-UBND tỉnh\n"
                      "99999,1,QĐ 12\n03127,nhóm bốn,QĐ 12\n", encoding="utf-8")
    loaded = load_commune_groups(demo_conn, groups, loaded_by="test", report_dir=tmp_path)
    assert (loaded.loaded, loaded.rejected) == (2, 2)
    assert f"{groups}, row 4, field 'Mã xã': '99999' is not a 2025 commune code" in loaded.messages()[0]
    assert f"{groups}, row 5, field 'Nhóm': 'nhóm bốn' is not a commune group" in loaded.messages()[1]
    bring_current(demo_conn, rule_set=rule_set)
    after = _verdicts(demo_conn)
    changed = {c for c in before if before[c] != after[c]}
    assert changed == {moved, kept}
    assert after[moved] == (False, 1)  # group 1 needs every village
    assert after[kept] == (True, 2)  # group now known, verdict the same
    audited = demo_conn.execute(text("SELECT count(*) FROM audit_log WHERE entity = 'commune_group'")).scalar_one()
    assert audited == 2


def test_merged_commune_with_two_working_stations_gets_an_integration_and_no_new_station(
    demo_conn: Connection,
) -> None:
    # The demo's first commune with a working FM or wired station: its merger brought a second working one.
    commune, lon, lat = demo_conn.execute(text(
        "SELECT commune_code, ST_X(geom), ST_Y(geom) FROM facility WHERE type = 'commune_radio_station' "
        "AND status = 'operational' AND technology IN ('fm_wireless', 'wired') ORDER BY commune_code LIMIT 1")).one()
    demo_conn.execute(text(
        "INSERT INTO facility (type, technology, name, commune_code, geom, status) VALUES ('commune_radio_station', "
        "'wired', 'Đài xã cũ (trước sáp nhập)', :c, ST_SetSRID(ST_MakePoint(:lon + 0.02, :lat), 4326), "
        "'operational')"), {"c": commune, "lon": lon, "lat": lat})
    costs = UnitCosts(integration=25e6)
    plan = plan_investments(demo_conn, budget_vnd=1.5e9, province_code="11", costs=costs)
    here = plan.actions[plan.actions["commune_code"] == commune]
    assert here["action"].tolist().count("integration") == 1
    assert not set(here["action"]) & {"build_station", "upgrade_station_ip"}
    integration = here[here["action"] == "integration"].iloc[0]
    assert integration["cost_vnd"] == 25e6
    assert "Công văn 271/TTCSTTĐN-TTCS" in integration["reason"] and "giữ một đài" in integration["reason"]
    assert plan.actions["reason"].str.len().gt(0).all()
    # A broken wired/FM cluster of 10 years or more is worn out: replaced by an IP one, never repaired.
    worn = set(demo_conn.execute(text(
        "SELECT id FROM facility WHERE type = 'loudspeaker_cluster' AND status = 'broken' "
        "AND technology IN ('wired', 'fm_wireless') AND installed_year <= extract(year FROM now()) - 10")).scalars())
    assert worn, "the demo has worn-out clusters"
    chosen = plan.actions.dropna(subset=["facility_id"])
    repaired = set(chosen.loc[chosen["action"] == "repair_cluster", "facility_id"].astype(int))
    replaced = set(chosen.loc[chosen["action"] == "replace_cluster_ip", "facility_id"].astype(int))
    assert not repaired & worn and replaced <= worn
