"""Cells to typed values, column by column: the parsers, the checks of types, statuses and ids, the rows kept."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from functools import cache
from typing import Any, get_args

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import ValidationError
from sqlalchemy import Connection

from etl.errors import CellRefused
from etl.facilities.positions import _in_viet_nam, _positions, _refuse_undeclared_projection, _source_epsg, _to_wgs84
from etl.facilities.rows import _Columns, _empty, _isnone, _or_none, _Rows
from etl.lineage import (
    LoadResult,
)
from etl.messages import pydantic_reason
from etl.models import FacilityRow, FacilityType, Status, Technology
from etl.readers import RawTable
from etl.validate import (
    TOTAL_LABEL,
    ColumnMap,
    RowIssue,
    parse_amount,
    parse_count,
    parse_status,
    parse_year,
    row_attributes,
)
from etl.vocabulary import Vocabulary


def _read_rows(
    conn: Connection,
    table: RawTable,
    columns: ColumnMap,
    vocabulary: Vocabulary,
    epsg: int | None,
    result: LoadResult,
    today: date,
    doubtful_as: str,
) -> _Rows:
    """Check every row; return the rows that passed the checks that need no database, as columns.

    Column by column, each distinct cell text parsed once: survey columns repeat a few values (types,
    statuses, years) over thousands of rows, so this keeps a 200,000-row file to a few seconds (bench/etl.py).
    Issues are made only for the rows that have one, in the order a row-by-row pass would make them.
    """
    source_epsg = _source_epsg(table, columns, epsg)
    column = _column_reader(table, columns)
    kept = _without_note_rows(table, columns, column, result)
    if kept is not table:
        table, column = kept, _column_reader(kept, columns)
    lines = table.lines.tolist()
    count = len(lines)
    values: dict[str, Any] = {}
    bad = np.zeros(count, dtype=bool)
    for name, field, repeats in (("external_id", "external_id", False), ("name", "name", False),
                                 ("note", "note", True), ("commune", "commune_typed", True),
                                 ("province", "province_typed", True), ("village", "village_typed", True)):
        values[field] = (_or_none(column(name), repeats) if columns.has(name)
                         else np.full(count, None, dtype=object))
    for name, parse in _parsers(vocabulary, today, doubtful_as).items():
        values[name] = _parse_column(column, columns, name, parse, lines, result, bad)
    _check_type_and_status(column, columns, lines, result, bad)
    _check_repeated_ids(columns, column("external_id"), lines, result, bad)
    xs, ys, located, described = _positions(table, columns, column, lines, result)
    ok = np.flatnonzero(located & ~bad)
    _refuse_undeclared_projection(conn, table, columns, xs[ok], ys[ok], ok, described, column, source_epsg)
    ok, lon, lat = _to_wgs84(columns, xs[ok], ys[ok], ok, described, column, lines, source_epsg, result)
    status = values["status"]
    status[_isnone(status)] = "operational"
    return _kept_rows(table, columns, values, ok, lon, lat, lines, source_epsg, result)


_Reason = tuple[str, dict[str, Any]]  # a reason code of etl/messages.py and its values


_Parse = Callable[[str], tuple[Any, _Reason | None, str]]  # cell -> (value, reason or None, severity)


def _parsers(vocabulary: Vocabulary, today: date, doubtful_as: str) -> dict[str, _Parse]:
    def checked(parse: Callable[[str], Any]) -> _Parse:
        def run(raw: str) -> tuple[Any, _Reason | None, str]:
            try:
                return parse(raw), None, "reject"
            except CellRefused as exc:
                return None, (exc.code, dict(exc.values)), "reject"

        return run

    def vocab(section: str, prefix: bool, reason: _Reason, severity: str) -> _Parse:
        def run(raw: str) -> tuple[Any, _Reason | None, str]:
            code = vocabulary.lookup_prefix(section, raw) if prefix else vocabulary.lookup(section, raw)
            return code, (None if code else reason), severity

        return run

    return {
        "type": vocab(
            "types",
            True,
            ("unknown_facility_type",
             {"examples": ["Cụm loa truyền thanh", "Đài truyền thanh cấp xã", "Nhà văn hóa"]}),
            "reject",
        ),
        "status": lambda raw: parse_status(vocabulary, raw, doubtful_as=doubtful_as),
        "technology": vocab(
            "technologies",
            False,
            ("unknown_technology", {"accepted": ["có dây", "không dây FM", "IP"]}),
            "warning",
        ),
        "installed_year": checked(lambda t: parse_year(t, today=today)),
        "n_horns": checked(parse_count),
        "watts": checked(lambda t: parse_amount(t, "watts")),
        "radius_m": checked(lambda t: parse_amount(t, "metres", 100_000)),  # 100 km: beyond any horn
    }


def _column_reader(table: RawTable, columns: ColumnMap) -> _Columns:
    """Each field's column of this table (the stripped cell of each row, "" where none), read once."""

    def column(name: str) -> pa.Array:
        spot = columns.fields.get(name)
        if spot is None:
            return pa.array(np.full(len(table), "", dtype=object), type=pa.string())
        return pc.utf8_trim_whitespace(table.cells[spot[0]])

    return cache(column)


def _parse_column(
    column: _Columns,
    columns: ColumnMap,
    name: str,
    parse: _Parse,
    lines: list[int],
    result: LoadResult,
    bad: np.ndarray[Any, Any],
) -> np.ndarray[Any, Any]:
    """Parse a column once per distinct cell; the values as an object array (None where empty or wrong)."""
    raw_cells = column(name)
    encoded = raw_cells.dictionary_encode()
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    parsed = [parse(raw) if raw else (None, None, "reject") for raw in encoded.dictionary.to_pylist()]
    values = np.empty(len(parsed), dtype=object)
    values[:] = [value for value, _, _ in parsed]
    wrong = [k for k, (_, reason, _) in enumerate(parsed) if reason is not None]
    if wrong:
        header = columns.header(name)
        for i in np.flatnonzero(np.isin(codes, wrong)).tolist():
            _, reason, severity = parsed[codes[i]]
            assert reason is not None
            result.issues.append(RowIssue(lines[i], header, raw_cells[i].as_py(), reason[0], reason[1], severity))
            if severity == "reject":
                bad[i] = True
    return values[codes]


def _without_note_rows(
    table: RawTable, columns: ColumnMap, column: _Columns, result: LoadResult
) -> RawTable:
    """Skip rows with no type, no id and no coordinates: a total, a signature or a note under the table.

    A coordinate cell without a digit is no coordinate: "Người lập biểu" written under the latitude column of
    a form is a signature, not a facility with a broken position; "Tổng cộng" in the id column (merged over
    the first columns of a form) is no id.
    """
    if table.geometries is not None:
        return table
    named = [_empty(column("type"))]
    if not named[0].any():  # the usual survey: a type in every row
        return table
    if columns.has("external_id"):
        ids = column("external_id")
        named.append(_empty(ids) | np.asarray(
            pc.match_substring_regex(ids, TOTAL_LABEL).to_numpy(zero_copy_only=False), dtype=bool))
    if any(not empty.any() for empty in named):  # an id in every row
        return table
    marked = np.zeros(len(table), dtype=bool)
    for empty in named:
        marked |= ~empty
    for name in ("lon", "lat", "x", "y", "geopoint"):
        if columns.has(name):
            marked |= np.asarray(pc.match_substring_regex(column(name), r"\d").to_numpy(zero_copy_only=False),
                                 dtype=bool)
    if marked.all():
        return table
    for index in np.flatnonzero(~marked).tolist():
        result.skipped += 1
        result.issues.append(RowIssue(int(table.lines[index]), "", "", "not_a_facility_row",
                                      severity="warning"))
    return table.take(np.flatnonzero(marked))


def _check_type_and_status(
    column: _Columns,
    columns: ColumnMap,
    lines: list[int],
    result: LoadResult,
    bad: np.ndarray[Any, Any],
) -> None:
    """An empty type is a rejection; an empty status is stored as operational, with a warning."""
    no_type = _empty(column("type"))
    no_status = (
        _empty(column("status"))
        if columns.has("status")
        else np.zeros(len(lines), dtype=bool)
    )
    for index in np.flatnonzero(no_type | no_status).tolist():
        line = lines[index]
        if no_type[index]:
            result.issues.append(
                RowIssue(line, columns.header("type"), "", "type_empty")
            )
            bad[index] = True
        if no_status[index]:
            result.issues.append(
                RowIssue(
                    line,
                    columns.header("status"),
                    "",
                    "status_empty",
                    severity="warning",
                )
            )


def _check_repeated_ids(
    columns: ColumnMap, refs: pa.Array, lines: list[int], result: LoadResult, bad: np.ndarray[Any, Any]
) -> None:
    if not columns.has("external_id") or _all_distinct(refs):  # the usual survey
        return
    codes = refs.dictionary_encode().indices.to_numpy(zero_copy_only=False)
    _, first = np.unique(codes, return_index=True)  # codes count up from 0 in order of first appearance
    repeated = np.ones(len(refs), dtype=bool)
    repeated[first] = False
    repeated &= ~_empty(refs)
    for index in np.flatnonzero(repeated).tolist():
        ref = refs[index].as_py()
        result.issues.append(
            RowIssue(
                lines[index],
                columns.header("external_id"),
                ref,
                "repeated_id",
                {"first_row": lines[int(first[codes[index]])]},
            )
        )
        bad[index] = True


def _all_distinct(cells: pa.Array) -> bool:
    """Whether no two cells are equal (two empty ones are): sorted, no neighbours equal. A sort is 6× quicker than
    arrow's hash of 200,000 ids (``count_distinct``)."""
    if len(cells) < 2:
        return True
    ordered = cells.take(pc.sort_indices(cells))
    return not pc.any(pc.equal(ordered.slice(1), ordered.slice(0, len(cells) - 1))).as_py()


_TYPES, _STATUSES, _TECHNOLOGIES = (frozenset(get_args(t)) for t in (FacilityType, Status, Technology))


def _outside(codes: np.ndarray[Any, Any], allowed: frozenset[str]) -> np.ndarray[Any, Any]:
    """Which of ``codes`` (an object array; None is no code) are not in ``allowed``."""
    strange = set(codes.tolist()) - allowed - {None}
    if not strange:
        return np.zeros(len(codes), dtype=bool)
    return np.array([code in strange for code in codes.tolist()], dtype=bool)


def _reject_outside_and_unknown(
    rows: _Rows,
    columns: ColumnMap,
    outside: np.ndarray[Any, Any],
    unknown: np.ndarray[Any, Any],
    keep: np.ndarray[Any, Any],
    result: LoadResult,
) -> None:
    """Reject the points outside Viet Nam, and check the rows with a code the model does not know by the model
    (``keep`` turns False for those it refuses)."""
    for k in np.flatnonzero(outside | unknown).tolist():
        n = int(rows.n[k])
        if outside[k]:
            result.issues.append(
                RowIssue(
                    n,
                    "",
                    "",
                    "point_outside_vn",
                    {"lon": float(rows.lon[k]), "lat": float(rows.lat[k])},
                )
            )
            continue
        try:
            FacilityRow.model_validate(rows.typed(k))
        except ValidationError as exc:
            error = exc.errors()[0]
            field = str(error["loc"][0]) if error["loc"] else ""
            header = columns.header(field) if columns.has(field) else field  # the column as the file names it
            result.issues.append(RowIssue(n, header, str(error.get("input", "")), *pydantic_reason(error)))
            keep[k] = False


def _kept_rows(
    table: RawTable,
    columns: ColumnMap,
    values: dict[str, Any],
    indexes: np.ndarray[Any, Any],
    lon: np.ndarray[Any, Any],
    lat: np.ndarray[Any, Any],
    lines: list[int],
    epsg: int | None,
    result: LoadResult,
) -> _Rows:
    """The rows in Viet Nam (or in it swapped), as columns. The cell parsers enforce every rule of
    :class:`FacilityRow` but one: that the codes a --mapping file gives are codes of the model; a row with
    another code is checked by the model itself, which rejects it with its own message."""
    inside = _in_viet_nam(lon, lat)
    swap = ~inside & _in_viet_nam(lat, lon)
    outside = ~inside & ~swap
    every_row = len(indexes) == len(lines)  # the usual file: every row passed (indexes are 0 ... n - 1)
    picked = values if every_row else {name: values[name][indexes] for name in values}
    unknown = (_outside(picked["type"], _TYPES) | _outside(picked["status"], _STATUSES)
               | _outside(picked["technology"], _TECHNOLOGIES))
    keep = ~outside
    source_crs = f"EPSG:{epsg or 4326}"
    attributes = (
        [row_attributes(table, columns, table.rows[i][1]) for i in indexes.tolist()]
        if columns.unmapped
        else None
    )
    rows = _Rows(
        n=np.array(lines, dtype=np.int64)[indexes] if lines else np.zeros(0, dtype=np.int64),
        lon=lon,
        lat=lat,
        swap=swap,
        values=picked,
        attributes=attributes,
        source_crs=source_crs,
    )
    _reject_outside_and_unknown(rows, columns, outside, unknown, keep, result)
    if keep.all():
        return rows
    return replace(
        rows,
        n=rows.n[keep],
        lon=lon[keep],
        lat=lat[keep],
        swap=swap[keep],
        values={name: column[keep] for name, column in picked.items()},
        attributes=[a for a, k in zip(attributes, keep.tolist(), strict=True) if k] if attributes else attributes,
    )
