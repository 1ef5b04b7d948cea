"""Inspection records (KoboToolbox, ODK Central, CSV/XLSX) appended to the facilities' status history."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy import Connection

from etl.coords import in_viet_nam
from etl.errors import LoadRefusedError
from etl.inspection_media import stage_media
from etl.lineage import LoadResult, batch_writes, begin_load, reading_options
from etl.messages import pydantic_reason
from etl.models import InspectionRow
from etl.readers import RawTable, read_table
from etl.validate import (
    UNKNOWN_STATUS,
    ColumnMap,
    RowIssue,
    doubtful_option,
    map_columns,
    parse_coordinate_cell,
    parse_datetime,
    parse_geopoint,
    parse_status,
)
from etl.vocabulary import MappingSource, Vocabulary, load_vocabulary
from sql import queries
from sql.bulk import batch_audit, copy_rows

_SOURCES: dict[str, Literal["kobo", "odk", "csv"]] = {"kobo": "kobo", "odk": "odk"}
_STAGE_COLUMNS = (
    "n",
    "facility_ref",
    "inspector",
    "inspected_at",
    "status_found",
    "note",
    "submission_id",
    "lon",
    "lat",
)



def preview_inspections(conn: Connection, path: Path, **options: Any) -> LoadResult:
    """Check a inspection file against the database without writing anything (the upload page's preview)."""
    return load_inspections(conn, path, **{**options, "dry_run": True})


def load_inspections(
    conn: Connection,
    path: Path,
    *,
    sheet: str | None = None,
    mapping: MappingSource | None = None,
    encoding: str | None = None,
    strict: bool = False,
    dry_run: bool = False,
    loaded_by: str = "cli",
    report_dir: Path | None = None,
    scope: Sequence[str] | None = None,
    doubtful_as: str = "reject",
) -> LoadResult:
    """Append the inspections of ``path`` in this transaction, one ``load_batch`` per file.

    Each row names its facility by external id (or phusong id); unknown ids are rejected, a submission id seen
    before is skipped, and the facility's current status follows its latest inspection (database trigger).
    ``scope`` (commune or province codes, an inspector's) rejects the rows of facilities outside it.
    A doubtful status ('ok?') is rejected, or recorded as 'unknown' with ``doubtful_as='unknown'``.
    """
    vocabulary = load_vocabulary(mapping)
    table = read_table(path, sheet=sheet, encoding=encoding, vocabulary=vocabulary)
    columns = map_columns(table.headers, vocabulary)
    reading = reading_options(sheet=table.sheet, encoding=encoding, mapping=mapping,
                              **doubtful_option(doubtful_as))
    result, sha256 = begin_load(conn, "inspections", path, table, reading, dry_run=dry_run, format=columns.source)
    if result.already_loaded is not None:
        return result
    _require_columns(table, columns)
    rows = _read_rows(table, columns, vocabulary, loaded_by, result, doubtful_as)
    params = reading | {"source": columns.source}
    with batch_writes(conn, result, table="inspection", sha256=sha256, params=params, loaded_by=loaded_by,
                      strict=strict, dry_run=dry_run, report_dir=report_dir):
        stage_media(conn, path, table, result)  # issue 21: photos attached to a Kobo/ODK zip (etl/inspection_media.py)
        _write(conn, rows, columns, result, scope)
    return result


def _require_columns(table: RawTable, columns: ColumnMap) -> None:
    missing = [
        label
        for name, label in (
            ("external_id", "Mã thiết chế"),
            ("status", "Tình trạng"),
        )
        if not columns.has(name) and not (name == "external_id" and columns.has("facility_id"))
    ]
    if missing:
        raise LoadRefusedError(code="inspection_columns_missing", path=table.file, columns=missing,
                               headers=[h for h in table.headers if h])


def _read_rows(
    table: RawTable, columns: ColumnMap, vocabulary: Vocabulary, loaded_by: str, result: LoadResult,
    doubtful_as: str,
) -> list[InspectionRow]:
    rows: list[InspectionRow] = []
    seen: dict[str, int] = {}
    ref_field = "external_id" if columns.has("external_id") else "facility_id"
    for line, cells in table.rows:
        issues: list[RowIssue] = []
        ref = columns.cell(cells, ref_field)
        if not ref:
            issues.append(
                RowIssue(line, columns.header(ref_field), "", "inspected_facility_empty")
            )
        raw_status = columns.cell(cells, "status")
        status, reason, severity = (
            parse_status(vocabulary, raw_status, doubtful_as=doubtful_as) if raw_status
            else (None, UNKNOWN_STATUS, "reject")
        )
        if reason is not None:
            issues.append(RowIssue(line, columns.header("status"), raw_status, reason[0], reason[1], severity))
        when = _when(columns, cells, line, issues)
        lon, lat = _reported_position(columns, cells, line, issues)
        submission = columns.cell(cells, "submission_id") or None
        if submission and submission in seen:
            result.skipped += 1
            result.issues.append(
                RowIssue(
                    line,
                    columns.header("submission_id"),
                    submission,
                    "repeated_submission",
                    {"first_row": seen[submission]},
                    "warning",
                )
            )
            continue
        if submission:
            seen[submission] = line
        result.issues.extend(issues)
        if any(i.severity == "reject" for i in issues) or when is None or status is None:
            continue
        try:
            rows.append(
                InspectionRow(
                    row=line,
                    facility_ref=ref,
                    inspector=columns.cell(cells, "inspector") or loaded_by,
                    inspected_at=when,
                    status_found=status,  # type: ignore[arg-type]  # a code from the vocabulary
                    note=columns.cell(cells, "note") or None,
                    submission_id=submission,
                    lon=lon,
                    lat=lat,
                    source=_SOURCES.get(columns.source, "csv"),
                )
            )
        except ValidationError as exc:
            result.issues.append(RowIssue(line, "", "", *pydantic_reason(exc.errors()[0])))
    return rows


def _when(columns: ColumnMap, cells: Sequence[str], line: int, issues: list[RowIssue]):  # type: ignore[no-untyped-def]
    raw = columns.cell(cells, "inspected_at")
    if not raw:
        issues.append(
            RowIssue(
                line,
                columns.header("inspected_at") if columns.has("inspected_at") else "date",
                "",
                "inspection_date_empty",
            )
        )
        return None
    try:
        return parse_datetime(raw)
    except ValueError as exc:
        issues.append(RowIssue.of(line, columns.header("inspected_at"), raw, exc))
        return None


def _reported_position(
    columns: ColumnMap, cells: Sequence[str], line: int, issues: list[RowIssue]
) -> tuple[float | None, float | None]:
    """The phone's GPS position when the form has one; a bad one is a warning, never loses the row."""
    try:
        if columns.has("lat") and columns.has("lon") and columns.cell(cells, "lat"):
            lon, lat = (
                parse_coordinate_cell(columns.cell(cells, "lon")),
                parse_coordinate_cell(columns.cell(cells, "lat")),
            )
        elif columns.has("geopoint") and columns.cell(cells, "geopoint"):
            lat, lon = parse_geopoint(columns.cell(cells, "geopoint"))
        else:
            return None, None
    except ValueError as exc:
        inner = RowIssue.of(line, "gps", "", exc)
        issues.append(
            RowIssue(line, "gps", "", "gps_unreadable_kept", {"inner": inner.code, **inner.values}, "warning")
        )
        return None, None
    if not in_viet_nam(lon, lat):
        issues.append(
            RowIssue(line, "gps", f"{lat} {lon}", "gps_outside_vn_kept", severity="warning")
        )
        return None, None
    return lon, lat


def _write(
    conn: Connection, rows: list[InspectionRow], columns: ColumnMap, result: LoadResult, scope: Sequence[str] | None
) -> None:
    conn.execute(queries.load("drop_inspection_stage"))
    conn.execute(queries.load("create_inspection_staging"))
    copy_rows(
        conn,
        "etl_inspection_stage",
        _STAGE_COLUMNS,
        (
            (
                r.row,
                r.facility_ref,
                r.inspector,
                r.inspected_at.isoformat(),
                r.status_found,
                r.note,
                r.submission_id,
                r.lon,
                r.lat,
            )
            for r in rows
        ),
    )
    conn.execute(queries.load("resolve_staged_inspections"))
    ref_header = (
        columns.header("external_id") if columns.has("external_id") else columns.header("facility_id")
    )
    for n, ref in conn.execute(
        queries.load("staged_inspections_without_facility")
    ).all():
        result.issues.append(RowIssue(n, ref_header, ref, "facility_unknown"))
    if scope is not None:
        _reject_outside(conn, scope, ref_header, result)
    seen = conn.execute(
        queries.load("staged_inspections_loaded_before")
    ).all()
    for n, submission in seen:
        result.issues.append(
            RowIssue(n, columns.header("submission_id"), submission, "submission_loaded_before",
                     severity="warning")
        )
    result.skipped += len(seen)
    assert result.batch_id is not None
    with batch_audit(conn, result.batch_id):  # one audit row for the batch's inspections (migration 0013)
        result.loaded = conn.execute(
            queries.load("insert_inspections_from_staging"),
            {"source": rows[0].source if rows else "csv", "batch_id": result.batch_id},
        ).rowcount
    result.unchanged = result.skipped
    result.accepted = rows
    conn.execute(queries.load("drop_inspection_stage"))


def _reject_outside(conn: Connection, scope: Sequence[str], ref_header: str, result: LoadResult) -> None:
    """Reject the staged rows of facilities outside ``scope`` (they are then not inserted)."""
    outside = conn.execute(queries.load("staged_inspections_outside_scope"), {"scope": list(scope)}).all()
    for r in outside:
        result.issues.append(RowIssue(r.n, ref_header, r.facility_ref, "facility_outside_scope",
                                      {"commune": r.commune_name}))
    if outside:
        conn.execute(queries.load("unlink_staged_inspections"),
                     {"n": [r.n for r in outside]})
