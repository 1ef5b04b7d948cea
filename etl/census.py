"""Census 2019 population: load the commune table, tie it to pre-2025 polygons, build the old -> new crosswalk
from the two polygon sets, and apportion population onto 2025 communes by area share.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection

from etl.errors import LoadRefusedError
from sql import queries
from sql.bulk import copy_rows, set_actor
from sql.safe_cells import csv_cell

CENSUS_COLUMNS = ("ma_tinh", "ma_huyen", "ma_xa", "commune_name", "pop_total")
ID_MAP_COLUMNS = ("commune_id", "ma_xa")

# Intersections smaller than this share of an old commune are boundary slivers between two generalised polygon
# sets (2009 low resolution vs 2025 simplified to 20 m), not real transfers of land: dropped, shares renormalised
# (see build_admin_crosswalk in sql/migrations/0050_build_admin_crosswalk.sql).
SLIVER_SHARE = 0.005


@dataclass
class CensusResult:
    census_rows: int = 0
    census_population: float = 0.0
    census_rows_without_code: int = 0
    matched_rows: int = 0
    matched_population: float = 0.0
    crosswalk_pairs: int = 0
    communes_2025_with_population: int = 0
    population_2025_total: float = 0.0
    unmatched: list[dict[str, object]] = field(default_factory=list)

    @property
    def conservation_error(self) -> float:
        """Relative difference between the 2025 total and the matched census total."""
        if not self.matched_population:
            return 0.0
        return abs(self.population_2025_total - self.matched_population) / self.matched_population


def read_census(path: Path) -> pd.DataFrame:
    """Read the census commune table (codes kept as text with their leading zeros)."""
    frame = _read_csv(path, CENSUS_COLUMNS)
    frame["pop_total"] = pd.to_numeric(frame["pop_total"], errors="coerce")
    for col in ("pop_urban", "pop_rural"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce") if col in frame else None
    return frame


def read_old_id_map(path: Path) -> pd.DataFrame:
    """Read the map from the pre-2025 polygons' own ids to national 2019 commune codes."""
    return _read_csv(path, ID_MAP_COLUMNS)


def _read_csv(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    if not path.is_file():
        raise LoadRefusedError(code="file_missing", path=path)
    try:
        frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False, na_values=[""])
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise LoadRefusedError(code="csv_unreadable", path=path, cli_hint=str(exc)[:200]) from exc
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise LoadRefusedError(code="csv_columns_missing", path=path, columns=missing,
                               headers=[str(c) for c in frame.columns])
    return frame


def load_census_population(
    conn: Connection, census_path: Path, id_map_path: Path, *, loaded_by: str = "cli"
) -> CensusResult:
    """Load census rows, build admin_crosswalk and set population on pre-2025 and 2025 communes.

    Needs the pre-2025 and 2025 commune polygons loaded first. A census commune reaches the 2025 communes
    through the pre-2025 polygons it is tied to (``id_map_path``); a census code tied to several polygons is
    split between them by area; each old polygon is split over new communes by area share, so the matched
    census total is conserved except for polygons that touch no 2025 commune (reported).
    """
    census, id_map = read_census(census_path), read_old_id_map(id_map_path)
    _require_loaded(conn)
    set_actor(conn, loaded_by)
    result = CensusResult(census_rows=len(census), census_population=float(census["pop_total"].sum()))
    coded = census[census["ma_xa"].notna() & census["pop_total"].notna()].drop_duplicates("ma_xa")
    result.census_rows_without_code = int(census["ma_xa"].isna().sum())
    conn.execute(queries.load("truncate_census_commune"))
    copy_rows(conn, "census_commune",
              ("code", "district_code", "province_code", "name", "district_name", "province_name",
               "pop_total", "pop_urban", "pop_rural"),
              coded[["ma_xa", "ma_huyen", "ma_tinh", "commune_name", "district_name", "province_name",
                     "pop_total", "pop_urban", "pop_rural"]].astype(object).where(coded.notna(), None)
              .itertuples(index=False))
    conn.execute(queries.load("delete_admin_census_links"))
    copy_rows(conn, "admin_census_link", ("old_code", "census_code"),
              id_map[id_map["ma_xa"].notna()][["commune_id", "ma_xa"]].itertuples(index=False))
    result.crosswalk_pairs = int(conn.execute(queries.load("built_admin_crosswalk"),
                                              {"sliver": SLIVER_SHARE}).scalar_one())
    conn.execute(queries.load("apportion_census_population"))
    _collect_totals(conn, result)
    conn.execute(
        queries.load("audit_census_load"),
        {"after": json.dumps({k: v for k, v in result.__dict__.items() if k != "unmatched"})},
    )
    return result


def _require_loaded(conn: Connection) -> None:
    counts: dict[str, int] = dict(conn.execute(queries.load("commune_counts_by_version")).all())
    for version in ("pre2025", "2025"):
        if not counts.get(version):
            raise LoadRefusedError(code="communes_not_loaded", version=version,
                                   cli_hint=f"run `phusong load boundaries FILE --version {version}` first")


def _collect_totals(conn: Connection, result: CensusResult) -> None:
    row = conn.execute(queries.load("communes_with_population")).one()
    result.communes_2025_with_population, result.population_2025_total = int(row[0]), float(row[1])
    matched = conn.execute(queries.load("census_rows_matched")).one()
    result.matched_rows, result.matched_population = int(matched[0]), float(matched[1])
    result.unmatched = [dict(r._mapping) for r in conn.execute(queries.load("census_rows_unmatched"))]


def write_unmatched_report(result: CensusResult, path: Path) -> Path:
    """Write the census rows that reached no polygon to a CSV (UTF-8 with BOM, for Excel)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        fields = ["code", "province_name", "district_name", "name", "pop_total"]
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows({k: csv_cell(v) for k, v in row.items()} for row in result.unmatched)
    return path


@dataclass(frozen=True)
class CommunePopulationResult:
    communes: int
    total: float


def load_commune_population(
    conn: Connection, path: Path, *, loaded_by: str = "cli"
) -> CommunePopulationResult:
    """Set 2025 communes' population from a CSV of (code, population, population_source) already apportioned,
    as written by gis_data/build_demo.py from the national crosswalk."""
    frame = _read_csv(path, ("code", "population"))
    frame["population"] = pd.to_numeric(frame["population"], errors="coerce")
    bad = frame[frame["population"].isna() | (frame["population"] < 0)]
    if not bad.empty:
        first = bad.index[0] + 2  # spreadsheet row: the header is row 1
        raise LoadRefusedError(code="census_population_invalid", path=path, row=int(first),
                               value=str(bad.iloc[0]["population"]))
    set_actor(conn, loaded_by)
    source = frame["population_source"] if "population_source" in frame else "census 2019"
    rows = [{"code": c, "p": float(p), "s": s} for c, p, s in
            zip(frame["code"], frame["population"], pd.Series(source, index=frame.index), strict=True)]
    conn.execute(queries.load("set_commune_population"), rows)
    return CommunePopulationResult(communes=len(rows), total=float(frame["population"].sum()))
