"""Citizen reports from a hotline or form-tool export (CSV/XLSX, Vietnamese headers) into the feedback register,
and the register out to CSV/XLSX. Reading, column mapping, cell checks, rejects and lineage are the ETL's own
(etl.readers, etl.validate, etl.lineage): a rejected row names its file, row, field, value and what was expected.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import Connection

from etl.errors import LoadRefusedError
from etl.feedback import FeedbackIn
from etl.lineage import LoadResult, batch_writes, begin_load, reading_options
from etl.messages import pydantic_reason
from etl.readers import read_table
from etl.validate import ColumnMap, RowIssue, map_columns, parse_coordinate_cell, parse_datetime, parse_geopoint
from etl.vocabulary import Vocabulary, fold_key
from sql import queries

VOCABULARY_FILE = Path(__file__).resolve().parent / "feedback_vocabulary.yaml"
_SECTIONS = ("headers", "channels", "categories", "statuses")


@lru_cache(maxsize=1)
def feedback_vocabulary() -> Vocabulary:
    """The words of etl/feedback_vocabulary.yaml, folded like the survey vocabulary."""
    raw = yaml.safe_load(VOCABULARY_FILE.read_text(encoding="utf-8")) or {}
    sections: dict[str, dict[str, str]] = {}
    for section in _SECTIONS:
        words: dict[str, str] = {}
        for code, synonyms in (raw.get(section) or {}).items():
            for word in [code, *(synonyms or [])]:
                words.setdefault(fold_key(str(word)), str(code))
        sections[section] = words
    return Vocabulary(sections=sections)


@dataclass(frozen=True)
class _ImportRow:
    """A row that passed the checks: the report, plus the state the hotline had already reached."""

    line: int
    entry: FeedbackIn
    status: str
    assigned_to: str | None
    answer: str | None
    answered_at: datetime | None
    closed_at: datetime | None
    external_ref: str | None = None   # the citizen's ticket number (migration 0140)


def import_feedback(
    conn: Connection,
    path: Path,
    *,
    channel: str | None = None,
    sheet: str | None = None,
    encoding: str | None = None,
    strict: bool = False,
    dry_run: bool = False,
    loaded_by: str = "cli",
    report_dir: Path | None = None,
) -> LoadResult:
    """Add the reports of ``path`` to the register in this transaction (one ``load_batch`` per file).

    ``channel`` applies to rows without a channel column (a hotline export). The same file twice adds nothing;
    a report already in the register (same receipt time, commune and text) is skipped.
    """
    vocabulary = feedback_vocabulary()
    if channel is not None and vocabulary.lookup("channels", channel) is None:
        raise LoadRefusedError(code="feedback_channel_unknown", given=channel,
                               choices=list(vocabulary.known("channels")))
    table = read_table(path, sheet=sheet, encoding=encoding, vocabulary=vocabulary)
    columns = map_columns(table.headers, vocabulary)
    # The channel only labels the reports: the same file under another channel is the same reports.
    reading = reading_options(sheet=table.sheet, encoding=encoding, mapping=None)
    result, sha256 = begin_load(conn, "feedback", path, table, reading, dry_run=dry_run)
    if result.already_loaded is not None:
        return result
    _require_columns(str(path), columns, channel)
    params = reading | {"channel": channel}
    with batch_writes(conn, result, table="feedback", sha256=sha256, params=params, loaded_by=loaded_by,
                      strict=strict, dry_run=dry_run, report_dir=report_dir):
        rows = [r for r in (_read_row(conn, columns, line, cells, channel, vocabulary, result)
                            for line, cells in table.rows) if r is not None]
        _write(conn, rows, result, loaded_by)
    return result


def _require_columns(file: str, columns: ColumnMap, channel: str | None) -> None:
    missing = [header for field, header in (("received_at", "Ngày tiếp nhận"), ("text", "Nội dung"),
                                            ("category", "Loại phản ánh")) if not columns.has(field)]
    no_channel = not columns.has("channel") and channel is None
    if no_channel:
        missing.append("Kênh tiếp nhận")
    if not (columns.has("commune") or columns.has("facility") or columns.has("geopoint")
            or (columns.has("lon") and columns.has("lat"))):
        missing.append("Xã / Mã thiết chế / Kinh độ + Vĩ độ")
    if missing:
        raise LoadRefusedError(code="feedback_columns_missing", path=file, columns=missing,
                               cli_hint="or give --channel" if no_channel else "")


# long: its nested checks share the row's cells and issue list (see the comment in its body).
def _read_row(conn: Connection, columns: ColumnMap, line: int, cells: Sequence[str], channel: str | None,
              vocabulary: Vocabulary, result: LoadResult) -> _ImportRow | None:
    """Check one row; every problem becomes a RowIssue, and a row with any rejection is left out."""
    # One function of ~65 lines on purpose: the nested helpers share the row's issue list and cells, and the checks
    # read top to bottom as the columns of a report; split, each step would take the same seven arguments.
    issues: list[RowIssue] = []

    def cell(name: str) -> str:
        return columns.cell(cells, name)

    def reject(name: str, value: str, code: str, values: dict[str, Any] | None = None) -> None:
        issues.append(RowIssue(line, columns.header(name) if columns.has(name) else name, value, code,
                               values or {}))

    def when(name: str, required: bool) -> datetime | None:
        value = cell(name)
        if not value:
            if required:
                reject(name, value, "received_date_empty")
            return None
        try:
            return parse_datetime(value)
        except ValueError as exc:
            issues.append(RowIssue.of(line, columns.header(name) if columns.has(name) else name, value, exc))
            return None

    def code(name: str, section: str, fallback: str | None) -> str | None:
        value = cell(name) if columns.has(name) else ""
        if not value:
            if fallback is None:
                reject(name, value, "choice_empty", {"choices": list(vocabulary.known(section))})
            return fallback
        found = vocabulary.lookup_prefix(section, value)
        if found is None:
            reject(name, value, "choice_unknown", {"what": name, "choices": list(vocabulary.known(section))})
        return found

    received_at, answered_at, closed_at = when("received_at", True), when("answered_at", False), \
        when("closed_at", False)
    chan = code("channel", "channels", vocabulary.lookup("channels", channel) if channel else None)
    category = code("category", "categories", None)
    status = code("status", "statuses", "received") or "received"
    text = cell("text")
    if not text:
        reject("text", text, "report_text_empty")
    lon, lat = _position(columns, cells, reject)
    commune, facility_id = _commune_and_facility(conn, columns, cells, lon, reject)
    answer = cell("answer") or None
    if answered_at is not None and status == "received":
        status = "answered" if answer else status
    if status in ("answered", "closed") and (answer is None or answered_at is None):
        reject("status", cell("status"), "answer_missing")
    if status == "closed" and closed_at is None and answered_at is not None:
        closed_at = answered_at
    if received_at and answered_at and answered_at < received_at:
        reject("answered_at", cell("answered_at"), "answered_before_received", {"received": cell("received_at")})
    if issues:
        result.issues.extend(issues)
        return None
    entry = _typed_entry(line, result, received_at=received_at, channel=chan, category=category, text=text,
                         commune_code=commune, facility_id=facility_id, lon=lon, lat=lat,
                         reporter_contact=cell("reporter_contact") or None)
    if entry is None:
        return None
    return _ImportRow(line, entry, status, cell("assigned_to") or None, answer if status in ("answered", "closed")
                      else None, answered_at if status in ("answered", "closed") else None,
                      closed_at if status == "closed" else None, cell("external_ref") or None)


def _typed_entry(line: int, result: LoadResult, **fields: Any) -> FeedbackIn | None:
    """The report as FeedbackIn, or None with the model's own reason when it refuses the row."""
    try:
        return FeedbackIn(**fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        result.issues.append(RowIssue(line, str(first["loc"][0]) if first["loc"] else "", "",
                                      *pydantic_reason(first)))
        return None


def _position(columns: ColumnMap, cells: Sequence[str], reject: Any) -> tuple[float | None, float | None]:
    try:
        if columns.has("geopoint") and columns.cell(cells, "geopoint"):
            lat, lon = parse_geopoint(columns.cell(cells, "geopoint"))
            return lon, lat
        raw_lon, raw_lat = columns.cell(cells, "lon"), columns.cell(cells, "lat")
        if raw_lon and raw_lat:
            return parse_coordinate_cell(raw_lon), parse_coordinate_cell(raw_lat)
    except ValueError as exc:
        field = "geopoint" if columns.has("geopoint") else "lon"
        reject(field, columns.cell(cells, field), str(exc))
    return None, None


def _commune_and_facility(conn: Connection, columns: ColumnMap, cells: Sequence[str], lon: float | None,
                          reject: Any) -> tuple[str | None, int | None]:
    """The commune as written (code, or name matched on its folded form) and the facility by its id."""
    facility_id: int | None = None
    ref = columns.cell(cells, "facility")
    if ref:
        found = conn.execute(queries.load("facility_by_reference"),
                             {"ref": ref, "ref_id": int(ref) if ref.isdigit() and len(ref) < 18 else None}).first()
        if found is None:
            reject("facility", ref, "report_facility_unknown")
        else:
            facility_id = int(found.id)
    written = columns.cell(cells, "commune")
    if not written:
        if lon is None and facility_id is None and not ref:
            reject("commune", written, "report_without_place")
        return None, facility_id
    matches = conn.execute(queries.load("communes_matching"), {"code": written, "folded": _fold_commune(written)}
                           ).all()
    if len(matches) == 1:
        return str(matches[0].code), facility_id
    if lon is not None:
        return None, facility_id       # the point decides (FeedbackIn / place_feedback)
    if not matches:
        reject("commune", written, "report_commune_unknown")
    else:
        reject("commune", written, "report_commune_ambiguous",
               {"count": len(matches), "codes": [m.code for m in matches]})
    return None, facility_id


def _fold_commune(name: str) -> str:
    from etl.names import fold_place_name

    return fold_place_name(name)


def _write(conn: Connection, rows: Iterable[_ImportRow], result: LoadResult, loaded_by: str) -> None:
    from etl.feedback import FeedbackError, place_feedback

    for row in rows:
        entry = row.entry
        try:
            place = place_feedback(conn, entry)
        except FeedbackError as exc:
            result.issues.append(RowIssue(row.line, "", "", exc.code, dict(exc.values)))
            continue
        if place.note:
            result.issues.append(RowIssue(row.line, "commune", entry.commune_code or "", "report_commune_differs",
                                          {"given": entry.commune_code, "code": place.commune_code,
                                           "name": place.commune_name}, "warning"))
        seen = conn.execute(queries.load("feedback_already_registered"), {
            "received_at": entry.received_at, "commune_code": place.commune_code, "text": entry.text}).first()
        if seen is not None:
            result.skipped += 1
            continue
        conn.execute(queries.load("inserted_feedback"), {
            "received_at": entry.received_at, "channel": entry.channel, "commune_code": place.commune_code,
            "facility_id": entry.facility_id, "lon": entry.lon, "lat": entry.lat, "category": entry.category,
            "text": entry.text, "reporter_contact": entry.reporter_contact, "status": row.status,
            "assigned_to": row.assigned_to, "assigned_at": None, "answer": row.answer,
            "answered_at": row.answered_at, "closed_at": row.closed_at, "batch_id": result.batch_id,
            "created_by": loaded_by, "external_ref": row.external_ref,
        })
        result.loaded += 1
