"""Cells to typed values, column by column: the parsers, the checks of types, statuses and ids, the rows kept;
the checks that need the whole file made at once, the others a slice of rows at a time."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any, get_args

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import ValidationError
from sqlalchemy import Connection

from etl.errors import CellRefused
from etl.facilities.positions import (
    _describe,
    _Described,
    _in_metres,
    _in_viet_nam,
    _is_geographic,
    _positions,
    _refuse_undeclared_projection,
    _source_epsg,
    _to_wgs84,
)
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
from sql.bulk import COPY_CHUNK_ROWS

FIRST_SLICE_ROWS = 1_000  # the server waits for the first slice: a small one starts it sooner (~0.005 s to check)
SLICE_ROWS = COPY_CHUNK_ROWS  # then one COPY chunk a slice


def _read_survey(
    table: RawTable,
    columns: ColumnMap,
    vocabulary: Vocabulary,
    epsg: int | None,
    result: LoadResult,
    today: date,
    doubtful_as: str,
) -> _Survey:
    """Make the checks that need the whole file; the rest are made a slice of rows at a time (:meth:`_Survey.checked`).

    Over the whole file: the note rows under the table, the text columns, the repeated ids (with the first row of
    each), the positions and their points in WGS 84. These decide what the database is asked before any row is
    sent (the communes near the points, the stored ids); the cell parsers, types and statuses and the rows kept
    wait for the COPY to ask for their slice.
    """
    source_epsg = _source_epsg(table, columns, epsg)
    column = _column_reader(table, columns)
    kept = _without_note_rows(table, columns, column, result)
    if kept is not table:
        table, column = kept, _column_reader(kept, columns)
    lines = table.lines.tolist()
    count = len(lines)
    issues = _IssuesByCheck(_CHECKS)
    values: dict[str, Any] = {}
    for name, field, repeats in (("external_id", "external_id", False), ("name", "name", False),
                                 ("note", "note", True), ("commune", "commune_typed", True),
                                 ("province", "province_typed", True), ("village", "village_typed", True)):
        values[field] = (_or_none(column(name), repeats) if columns.has(name)
                         else np.full(count, None, dtype=object))
    for name in _PARSED:
        values[name] = np.full(count, None, dtype=object)  # filled as the slices are checked
    bad = np.zeros(count, dtype=bool)
    _check_repeated_ids(columns, column("external_id"), lines, issues.of("repeated_id"), bad)
    xs, ys, located, described = _positions(table, columns, column, lines, issues.of("position"))
    lon, lat, flipped = _to_wgs84(xs, ys, located, source_epsg)
    rows = _Rows(
        n=table.lines,
        lon=lon,
        lat=lat,
        swap=~_in_viet_nam(lon, lat) & _in_viet_nam(lat, lon),
        values=values,
        attributes=np.full(count, None, dtype=object) if columns.unmapped else None,
        source_crs=f"EPSG:{source_epsg or 4326}",
        blank=_blank_fields(table, columns, values),
    )
    return _Survey(table, columns, column, rows, _parsers(vocabulary, today, doubtful_as), lines, bad,
                   _Located(xs, ys, located, described, flipped, source_epsg), issues)


@dataclass(frozen=True)
class _Located:
    """The rows' positions as read (x, y in the file's CRS; whether there is one; where each came from) and which
    were given the GIS way round (swapped before their transformation to WGS 84)."""

    xs: np.ndarray[Any, Any]
    ys: np.ndarray[Any, Any]
    located: np.ndarray[Any, Any]
    described: _Described
    flipped: np.ndarray[Any, Any]
    epsg: int | None


class _IssuesByCheck:
    """The issues of a survey's checks, one list per check, the checks in the order a pass over the whole file
    makes them.

    The checks run a slice of rows at a time, slices in the file's order; each adds its slice's issues (rows in
    order) to its own list. Joined check by check, the lists are the issues of one pass over the whole file:
    the refusals report comes out the same whatever the slices.
    """

    def __init__(self, checks: Sequence[str]) -> None:
        self._lists: dict[str, list[RowIssue]] = {check: [] for check in checks}

    def of(self, check: str) -> list[RowIssue]:
        return self._lists[check]

    def in_order(self) -> list[RowIssue]:
        return [issue for issues in self._lists.values() for issue in issues]


_PARSED = ("type", "status", "technology", "installed_year", "n_horns", "watts", "radius_m")  # the cell parsers
_CHECKS = (*_PARSED, "empty", "repeated_id", "position", "gis_order", "not_convertible", "kept")


class _Survey:
    """A survey's rows: those the whole-file checks made (:func:`_read_survey`), and the checks of each slice.

    ``rows`` holds every row of the file (note rows left out); a row's values from the cell parsers are there once
    its slice is checked. A bulk insert asks for the slices while its COPY runs: the server stores slice k while
    slice k + 1 is checked and placed.
    """

    def __init__(self, table: RawTable, columns: ColumnMap, column: _Columns, rows: _Rows,
                 parsers: dict[str, _Parse], lines: list[int], bad: np.ndarray[Any, Any], located: _Located,
                 issues: _IssuesByCheck) -> None:
        self.table, self.columns, self.column, self.rows = table, columns, column, rows
        self.parsers = {name: cache(parse) for name, parse in parsers.items()}  # each distinct cell parsed once
        self.lines, self.bad, self.located, self.issues = lines, bad, located, issues
        self._slices = _slices(len(lines))
        self._checked: list[np.ndarray[Any, Any]] = []
        self._check_failed = False

    @property
    def placeable(self) -> np.ndarray[Any, Any]:
        """The rows with a point in Viet Nam (or in it swapped), checked or not: a superset of the rows placed."""
        rows = self.rows
        return np.isfinite(rows.lon) & np.isfinite(rows.lat) & (_in_viet_nam(rows.lon, rows.lat) | rows.swap)

    def checked(self) -> Iterator[np.ndarray[Any, Any]]:
        """The rows of each slice that pass every check needing no database (indexes of ``rows``), each slice
        checked when first asked for; a later pass gives the slices checked before, then checks on."""
        for k, (start, stop) in enumerate(self._slices):
            if k == len(self._checked):
                self._check_failed = True  # until the slice is checked: a check that failed is not made again
                self._checked.append(self._check_slice(start, stop))
                self._check_failed = False
            yield self._checked[k]

    def every_issue(self) -> list[RowIssue]:
        """The issues of every check, in order. After a failed load too: the slices its COPY never asked for are
        checked now, so that its report lists every row's problems."""
        if not self._check_failed:
            with suppress(Exception):  # a check failing now must not hide why the load failed
                self.check_every_slice()
        return self.issues.in_order()

    def check_every_slice(self) -> np.ndarray[Any, Any]:
        """The rows of the file that pass every check needing no database."""
        return np.concatenate([np.zeros(0, dtype=np.int64), *self.checked()])

    def refuse_undeclared_projection(self, conn: Connection) -> None:
        """Refuse a file read as degrees whose positions are mostly metres (more than half of the located rows
        that pass the cell checks). A file with no position in metres (the usual one) is decided at once; any
        other has every slice checked first."""
        located = self.located
        xs, ys = located.xs, located.ys
        if not _is_geographic(located.epsg) or not (located.located & _in_metres(xs, ys)).any():
            return
        self.check_every_slice()
        ok = np.flatnonzero(located.located & ~self.bad)
        _refuse_undeclared_projection(conn, self.table, self.columns, xs[ok], ys[ok], ok, located.described,
                                      self.column, located.epsg)

    def _check_slice(self, start: int, stop: int) -> np.ndarray[Any, Any]:
        """The checks of rows ``start`` to ``stop``: cell parsers, types and statuses, the CRS problems, the
        rows kept (see :meth:`_kept`); return the indexes of the rows that pass."""
        part = slice(start, stop)
        column = _column_reader(self.table, self.columns, part)
        lines, bad, values = self.lines[part], self.bad[part], self.rows.values  # bad: a view, set in place
        for name, parse in self.parsers.items():
            values[name][part] = _parse_column(column, self.columns, name, parse, lines, self.issues.of(name), bad)
        _check_type_and_status(column, self.columns, lines, self.issues.of("empty"), bad)
        ok = start + np.flatnonzero(self.located.located[part] & ~bad)
        ok = self._in_wgs84(ok)
        status = values["status"][part]  # a view
        status[_isnone(status)] = "operational"
        return self._kept(ok)

    def _in_wgs84(self, indexes: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """Rows ``indexes`` whose point in WGS 84 could be made; warn on X/Y given the GIS way round, reject the
        others."""
        located, rows, issues = self.located, self.rows, self.issues
        big = np.abs(located.xs[indexes]) > 1000  # in metres: a lon/lat pair is never flipped
        for index in indexes[located.flipped[indexes] & big].tolist():
            field, value = _describe(self.columns, self.column, located.described, index)
            issues.of("gis_order").append(RowIssue(self.lines[index], field, value, "xy_gis_order",
                                                   severity="warning"))
        finite = np.isfinite(rows.lon[indexes]) & np.isfinite(rows.lat[indexes])
        for index in indexes[~finite].tolist():
            field, value = _describe(self.columns, self.column, located.described, index)
            issues.of("not_convertible").append(RowIssue(self.lines[index], field, value, "crs_not_convertible",
                                                         {"epsg": located.epsg}))
        return indexes[finite]

    def _kept(self, indexes: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """Rows ``indexes`` in Viet Nam (or in it swapped). The cell parsers enforce every rule of
        :class:`FacilityRow` but one: that the codes a --mapping file gives are codes of the model; a row with
        another code is checked by the model itself, which rejects it with its own message."""
        rows, values = self.rows, self.rows.values
        outside = ~_in_viet_nam(rows.lon[indexes], rows.lat[indexes]) & ~rows.swap[indexes]
        unknown = (_outside(values["type"][indexes], _TYPES) | _outside(values["status"][indexes], _STATUSES)
                   | _outside(values["technology"][indexes], _TECHNOLOGIES))
        if rows.attributes is not None:  # as JSON text, what the COPY sends
            rows.attributes[indexes] = [
                json.dumps(row_attributes(self.table, self.columns, self.table.rows[i][1]), ensure_ascii=False)
                for i in indexes.tolist()]
        keep = ~outside
        _reject_outside_and_unknown(rows, self.columns, indexes, outside, unknown, keep, self.issues.of("kept"))
        return indexes[keep]


def _slices(count: int) -> list[tuple[int, int]]:
    """The slices of ``count`` rows, as (start, stop): a small first one, then ``SLICE_ROWS`` each."""
    first = min(FIRST_SLICE_ROWS, count)
    return ([(0, first)] if first else []) + [
        (start, min(start + SLICE_ROWS, count)) for start in range(first, count, SLICE_ROWS)]


def _blank_fields(table: RawTable, columns: ColumnMap, values: dict[str, Any]) -> frozenset[str]:
    """The fields no row has a value of, left out of the writes (they stay NULL): formatting and sending a column
    is most of what it costs. A parsed field is blank when no row has a cell in its column (decided before the
    cells are parsed: a column of cells that all parse to nothing is sent as NULLs, which stores the same)."""
    blank = {name for name in ("external_id", "name", "note") if _isnone(values[name]).all()}
    for name in _PARSED:
        spot = columns.fields.get(name)
        if spot is None or not pc.max(pc.binary_length(table.cells[spot[0]])).as_py():
            blank.add(name)
    return frozenset(blank)


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


def _column_reader(table: RawTable, columns: ColumnMap, rows: slice = slice(None)) -> _Columns:
    """Each field's column of rows ``rows`` of this table (the stripped cell of each row, "" where none), read
    once."""
    count = len(range(*rows.indices(len(table))))

    def column(name: str) -> pa.Array:
        spot = columns.fields.get(name)
        if spot is None:
            return pa.array(np.full(count, "", dtype=object), type=pa.string())
        return pc.utf8_trim_whitespace(table.cells[spot[0]][rows])

    return cache(column)


def _parse_column(
    column: _Columns,
    columns: ColumnMap,
    name: str,
    parse: _Parse,
    lines: list[int],
    issues: list[RowIssue],
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
            issues.append(RowIssue(lines[i], header, raw_cells[i].as_py(), reason[0], reason[1], severity))
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
    issues: list[RowIssue],
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
            issues.append(RowIssue(line, columns.header("type"), "", "type_empty"))
            bad[index] = True
        if no_status[index]:
            issues.append(RowIssue(line, columns.header("status"), "", "status_empty", severity="warning"))


def _check_repeated_ids(
    columns: ColumnMap, refs: pa.Array, lines: list[int], issues: list[RowIssue], bad: np.ndarray[Any, Any]
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
        issues.append(
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
    indexes: np.ndarray[Any, Any],
    outside: np.ndarray[Any, Any],
    unknown: np.ndarray[Any, Any],
    keep: np.ndarray[Any, Any],
    issues: list[RowIssue],
) -> None:
    """Of rows ``indexes``, reject the points outside Viet Nam, and check the rows with a code the model does not
    know by the model (``keep``, over ``indexes``, turns False for those it refuses)."""
    for j in np.flatnonzero(outside | unknown).tolist():
        k = int(indexes[j])
        n = int(rows.n[k])
        if outside[j]:
            point = {"lon": float(rows.lon[k]), "lat": float(rows.lat[k])}
            issues.append(RowIssue(n, "", "", "point_outside_vn", point))
            continue
        try:
            FacilityRow.model_validate(rows.typed(k))
        except ValidationError as exc:
            error = exc.errors()[0]
            field = str(error["loc"][0]) if error["loc"] else ""
            header = columns.header(field) if columns.has(field) else field  # the column as the file names it
            issues.append(RowIssue(n, header, str(error.get("input", "")), *pydantic_reason(error)))
            keep[j] = False
