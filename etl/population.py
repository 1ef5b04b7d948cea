"""Population rasters (people per cell, WorldPop-style GeoTIFF, any CRS), recorded as the active one."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import Connection

from etl.errors import LoadRefusedError
from etl.lineage import LoadResult, close_batch, file_sha256, find_earlier_batch, open_batch
from etl.validate import RowIssue
from sql import queries
from sql.bulk import set_actor


def load_population_raster(
    conn: Connection,
    path: Path,
    *,
    loaded_by: str = "cli",
    dry_run: bool = False,
    description: str | None = None,
) -> LoadResult:
    """Check a population GeoTIFF and record it in ``population_raster`` as the active raster.

    Refused: unreadable, no CRS, a raster that overlaps none of the loaded communes. Warned: no nodata value,
    negative cells (treated as missing), communes the raster covers only partly. The file stays where
    it is and is read window by window by the analysis; its absolute path and sha256 are recorded.
    """
    if not path.is_file():
        raise LoadRefusedError(code="file_missing", path=path)
    result = LoadResult(
        file=str(path.resolve()), kind="population", format="geotiff", rows=1, dry_run=dry_run
    )
    sha256 = file_sha256(path)
    earlier = find_earlier_batch(conn, "population", sha256)
    if earlier is not None:
        result.already_loaded, result.unchanged = earlier, 1
        return result
    facts = _read_raster(path)
    if facts.nodata is None:
        result.issues.append(
            RowIssue(
                1,
                "",
                "",
                "raster_no_nodata",
                severity="warning",
            )
        )
    if facts.negative:
        result.issues.append(
            RowIssue(1, "", "", "raster_negative_cells", {"count": int(facts.negative)}, "warning")
        )
    _check_coverage(conn, path, facts.bounds, result)
    _record(conn, result, path, facts, sha256=sha256, loaded_by=loaded_by,
            description=description or facts.description or f"{path.name}: people per cell, {facts.crs}")
    return result


@dataclass(frozen=True)
class _RasterFacts:
    crs: str
    nodata: float | None
    resolution: float
    bounds: tuple[float, float, float, float]
    total: float
    negative: int
    derived: bool
    description: str | None


def _read_raster(path: Path) -> _RasterFacts:
    """What phusong needs of a GeoTIFF: CRS, nodata, cell size, bounds in WGS 84, its people and its tags."""
    import rasterio
    from rasterio.errors import RasterioError
    from rasterio.warp import transform_bounds

    try:
        with rasterio.open(path) as raster:
            if raster.crs is None:
                raise LoadRefusedError(code="raster_no_crs", path=path)
            total, negative = _sum_cells(raster, raster.nodata)
            # A raster phusong derived from census totals says so in its tags (analysis.store writes them):
            # keep the label, so every result made from it reads "derived", never "observed".
            tags = raster.tags()
            return _RasterFacts(
                crs=raster.crs.to_string(), nodata=raster.nodata, resolution=float(abs(raster.res[0])),
                bounds=transform_bounds(raster.crs, "EPSG:4326", *raster.bounds, densify_pts=21),
                total=total, negative=negative, derived=tags.get("DERIVED", "").strip().lower() == "true",
                description=tags.get("DESCRIPTION") or None)
    except RasterioError as exc:
        raise LoadRefusedError(code="raster_unreadable", path=path,
                               cli_hint=str(exc).splitlines()[0][:200]) from exc


def _record(conn: Connection, result: LoadResult, path: Path, facts: _RasterFacts, *, sha256: str,
            loaded_by: str, description: str) -> None:
    """Record the raster as the active one in its own batch (rolled back in a dry run)."""
    crs, total, resolution, dry_run = facts.crs, facts.total, facts.resolution, result.dry_run
    savepoint = conn.begin_nested()
    set_actor(conn, loaded_by)
    result.batch_id = open_batch(conn, result, sha256,
                                 {"crs": crs, "nodata": facts.nodata, "bounds": list(facts.bounds)})
    conn.execute(
        queries.load("activate_population_raster"),
        {
            "path": str(path.resolve()),
            "sha256": sha256,
            "crs": crs,
            "resolution": resolution,
            "total": total,
            "description": description,
            "derived": facts.derived,
            "batch_id": result.batch_id,
        },
    )
    result.loaded = 1
    result.notes.append(f"{total:,.0f} people in valid cells; CRS {crs}; cell {resolution:g}")
    close_batch(conn, result)
    if dry_run:
        savepoint.rollback()
        result.batch_id = None
    else:
        savepoint.commit()


def _sum_cells(raster: object, nodata: float | None) -> tuple[float, int]:
    """Sum of valid cells (not nodata, NaN or negative) and the count of negative ones, block by block."""
    total, negative = 0.0, 0
    for _, window in raster.block_windows(1):  # type: ignore[attr-defined]
        block = raster.read(1, window=window, masked=False).astype("float64")  # type: ignore[attr-defined]
        valid = np.isfinite(block)
        if nodata is not None and not math.isnan(nodata):
            valid &= block != nodata
        negative += int((valid & (block < 0)).sum())
        total += float(block[valid & (block >= 0)].sum())
    return total, negative


def _check_coverage(
    conn: Connection, path: Path, bounds: tuple[float, float, float, float], result: LoadResult
) -> None:
    extent = conn.execute(queries.load("loaded_communes_extent")).first()
    if extent is None or not extent.n:
        raise LoadRefusedError(code="raster_coverage_no_communes",
                               cli_hint="run `phusong load boundaries FILE --version 2025` first")
    xmin, ymin, xmax, ymax = bounds
    if xmax < extent.xmin or xmin > extent.xmax or ymax < extent.ymin or ymin > extent.ymax:
        raise LoadRefusedError(
            code="raster_outside_communes", path=path, lon=f"{xmin:.3f}..{xmax:.3f}", lat=f"{ymin:.3f}..{ymax:.3f}",
            lon2=f"{extent.xmin:.3f}..{extent.xmax:.3f}", lat2=f"{extent.ymin:.3f}..{extent.ymax:.3f}")
    outside = conn.execute(
        queries.load("communes_outside_box"), {"xmin": xmin, "ymin": ymin, "xmax": xmax, "ymax": ymax}
    ).all()
    if outside:
        shown = ", ".join(f"{r.name} ({r.code})" for r in outside[:10])
        more = f" and {len(outside) - 10} more" if len(outside) > 10 else ""
        result.issues.append(
            RowIssue(
                1,
                "",
                "",
                "raster_partial_cover",
                {"outside": len(outside), "total": int(extent.n), "communes": f"{shown}{more}"},
                "warning",
            )
        )
