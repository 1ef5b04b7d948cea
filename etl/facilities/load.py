"""Loading a facility survey: the public entry points, the columns and communes a load needs, one batch."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from etl.coords import (
    parse_crs,
)
from etl.errors import LoadRefusedError
from etl.facilities.columns import _read_survey
from etl.facilities.writes import _locate_and_write
from etl.lineage import (
    LoadResult,
    batch_writes,
    begin_load,
    file_sha256_soon,
    reading_options,
)
from etl.readers import RawTable, read_table
from etl.validate import (
    ColumnMap,
    doubtful_option,
    map_columns,
)
from etl.vocabulary import MappingSource, load_vocabulary
from sql import queries


def preview_facilities(conn: Connection, path: Path, **options: Any) -> LoadResult:
    """Check a facility file against the database without writing anything (the upload page's preview).

    Takes the options of :func:`load_facilities`; ``result.accepted`` holds the rows that would load and
    ``result.issues`` every rejection and warning.
    """
    return load_facilities(conn, path, **{**options, "dry_run": True})


def load_facilities(
    conn: Connection,
    path: Path,
    *,
    crs: str | None = None,
    sheet: str | None = None,
    mapping: MappingSource | None = None,
    encoding: str | None = None,
    strict: bool = False,
    dry_run: bool = False,
    loaded_by: str = "cli",
    report_dir: Path | None = None,
    today: date | None = None,
    doubtful_as: str = "reject",
) -> LoadResult:
    """Load a facility survey into ``facility`` in this transaction, one ``load_batch`` per file.

    Rows that break a rule are rejected (kept in ``load_reject`` and the CSV report in ``report_dir``);
    the rest load. The same file again changes nothing; a changed file updates facilities by external id
    (without one: the same type within 5 m). ``strict`` refuses the file if any row is rejected;
    ``dry_run`` writes nothing.
    Coordinates are WGS 84 degrees unless ``crs`` names the VN-2000 system they are in (EPSG:N).
    A doubtful status ('ok?') is rejected, or kept as 'unknown' with ``doubtful_as='unknown'``.
    """
    with _cyclic_gc_paused():
        return _load_facilities(
            conn,
            path,
            crs=crs,
            sheet=sheet,
            mapping=mapping,
            encoding=encoding,
            strict=strict,
            dry_run=dry_run,
            loaded_by=loaded_by,
            report_dir=report_dir,
            today=today,
            doubtful_as=doubtful_as,
        )


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cycle collector for a load (reference counting still frees everything at once).

    A survey load makes millions of small acyclic objects (cells, rows, typed rows); each of them counts
    towards the collector's thresholds, and its full passes over an ever larger heap took ~40% of a
    100,000-row load (bench/etl.py). Nothing a load makes needs the cycle collector; whatever cycles the
    rest of the process makes meanwhile are collected once it is back on. Restored as it was, error or not.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _load_facilities(
    conn: Connection,
    path: Path,
    *,
    crs: str | None,
    sheet: str | None,
    mapping: MappingSource | None,
    encoding: str | None,
    strict: bool,
    dry_run: bool,
    loaded_by: str,
    report_dir: Path | None,
    today: date | None,
    doubtful_as: str,
) -> LoadResult:
    vocabulary = load_vocabulary(mapping)
    epsg = parse_crs(crs) if crs else None
    digest = file_sha256_soon(path)  # while the file is read
    table = read_table(path, sheet=sheet, encoding=encoding, vocabulary=vocabulary)
    reading = reading_options(sheet=table.sheet, encoding=encoding, mapping=mapping, crs=crs,
                              **doubtful_option(doubtful_as))
    result, sha256 = begin_load(conn, "facilities", path, table, reading, dry_run=dry_run, digest=digest,
                                skip_reason="not facility rows")
    if result.already_loaded is not None:
        return result
    columns = map_columns(table.headers, vocabulary)
    _require_columns(table, columns)
    _require_communes(conn)
    survey = _read_survey(table, columns, vocabulary, epsg, result, today or date.today(), doubtful_as)
    survey.refuse_undeclared_projection(conn)
    params = reading | {"mapping": str(mapping) if isinstance(mapping, Path) else mapping, "strict": strict,
                        "source": columns.source}
    with batch_writes(conn, result, table="facility", sha256=sha256, params=params, loaded_by=loaded_by,
                      strict=strict, dry_run=dry_run, report_dir=report_dir):
        _locate_and_write(conn, survey, result)
    return result


def _require_columns(table: RawTable, columns: ColumnMap) -> None:
    headers = [h for h in table.headers if h] or ["none"]
    if not columns.has("type"):
        raise LoadRefusedError(code="facility_type_column_missing", path=table.file, headers=headers,
                               cli_hint="name it in a --mapping file")
    located = (
        table.geometries is not None
        or columns.has("geopoint")
        or (columns.has("lon") and columns.has("lat"))
        or (columns.has("x") and columns.has("y"))
    )
    if not located:
        raise LoadRefusedError(code="facility_coordinates_missing", path=table.file, headers=headers)
    if table.geometries is not None:
        kinds = {g.geom_type for g in table.geometries if g is not None and not g.is_empty}
        bad = kinds - {"Point", "MultiPoint"}
        multi = any(
            g is not None and g.geom_type == "MultiPoint" and len(g.geoms) != 1 for g in table.geometries
        )
        if bad or multi:
            raise LoadRefusedError(code="facility_geometry_kinds", path=table.file,
                                   kinds=sorted(bad or {"multi-point"}))


def _require_communes(conn: Connection) -> None:
    if conn.execute(queries.load("no_communes_loaded")).scalar_one():
        raise LoadRefusedError(code="communes_not_loaded", version="2025",
                               cli_hint="run `phusong load boundaries FILE --version 2025` first")
