"""Staging and writes: which rows are new, changed or unchanged, and the bulk insert/update of the facility table."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from etl.facilities.columns import _Survey
from etl.facilities.placement import _communes_near, _Placement, _Villages, _Written
from etl.facilities.rows import _AcceptedRows, _isnone, _Rows
from etl.lineage import (
    LoadResult,
)
from sql import queries
from sql.bulk import batch_audit, copy_columns

# --- writing ------------------------------------------------------------------------------------------------


def _locate_and_write(conn: Connection, survey: _Survey, result: LoadResult) -> None:
    """:func:`_place_and_write`; the survey's issues go before the location issues, a failed load's too (its
    report lists every row's problems, as when every row was checked before the writes)."""
    at = len(result.issues)
    try:
        _place_and_write(conn, survey, result)
    finally:
        result.issues[at:at] = survey.every_issue()


def _place_and_write(conn: Connection, survey: _Survey, result: LoadResult) -> None:
    """Place the rows in communes and decide the location problems; update the stored facilities the survey
    names, then insert the new ones.

    New rows (an external id not stored; no id and no stored id-less facility near) are COPYed straight into
    facility; only the rows that may be stored facilities go through staging and the set-based match and
    update. A first load of an area never stages. A bulk insert (indexes built afresh after it) with nothing to
    stage checks and places its rows a slice at a time as the COPY asks for them: PostgreSQL stores one slice
    while the next is checked and placed. Any other load checks every row before it writes.
    """
    # The planner's cost guesses for geometry functions make PostgreSQL JIT-compile these set-based queries,
    # which takes longer (~0.5 s each) than running them: off for this load, restored after.
    jit = conn.execute(queries.load("jit_setting")).scalar_one()
    conn.execute(queries.load("jit_turned_off"))
    rows = survey.rows
    communes = _communes_near(conn, rows, survey.placeable)
    placement = _Placement(rows, communes, survey.columns, _Villages.fetch(conn, rows, communes))
    stored_ids = _stored_ids(conn, rows)
    maybe_stored = ~_isnone(stored_ids) | _near_idless_stored(conn, survey)
    binds = {"batch_id": result.batch_id, "source_crs": rows.source_crs}
    staged_new, may_send = 0, len(rows)
    if maybe_stored.any() or not _indexes_rebuilt_after_insert(conn, len(rows)):
        # Staging comes before the insert, and an insert with its indexes kept goes in commune order (below):
        # every row is checked first.
        new, staged_new = _checked_and_staged(conn, survey, placement, stored_ids, maybe_stored, binds, result)
        rebuild, may_send = _indexes_rebuilt_after_insert(conn, len(new) + staged_new), len(new)
    else:
        rebuild = True  # decided on the file's rows: a bulk load may send them all
    ids: dict[str, np.ndarray[Any, Any]] = {}
    first = 0
    chunks: np.ndarray[Any, Any] | Iterator[np.ndarray[Any, Any]]
    if rebuild:
        conn.execute(queries.load("facility_indexes_set_aside"))
        if may_send:  # one range of ids for the rows sent, instead of a nextval() per row (migration 0265)
            first = int(conn.execute(queries.load("facility_ids_reserved"), {"n": may_send}).scalar_one())
        ids["id"] = np.zeros(len(rows), dtype=np.int64)
        chunks = _numbered(_in_file_order(survey, placement, maybe_stored), ids["id"], first)
    else:
        # Indexes kept up to date row by row: neighbouring rows go to the same index pages in commune and strip
        # order (a third faster than file order).
        chunks = placement.in_insert_order(placement.kept(new))
    assert result.batch_id is not None
    with batch_audit(conn, result.batch_id):  # one audit row per insert statement of the batch (migration 0013)
        fields = ids | _facility_fields(placement, result.batch_id)
        result.loaded = copy_columns(conn, "facility", list(fields), list(fields.values()), chunks) \
            if may_send else 0
        if first and result.loaded < may_send:  # the range's end the refused rows left: the next ids follow on
            conn.execute(queries.load("facility_ids_given_back"),
                         {"first": first, "reserved": may_send, "used": result.loaded})
        if staged_new:
            result.loaded += conn.execute(queries.load("insert_facilities_from_staging"), binds).rowcount
    if rebuild:
        conn.execute(queries.load("facility_indexes_restored"))
    result.issues.extend(sorted(placement.issues, key=lambda issue: issue.row))
    result.accepted = _AcceptedRows(rows, np.flatnonzero(placement.keep))
    conn.execute(queries.load("jit_restored"), {"jit": jit})


def _facility_fields(placement: _Placement, batch_id: int) -> dict[str, Any]:
    """The facility columns of every row, as the insert's COPY sends them."""
    rows = placement.written.rows
    return placement.written.fields() | {
        "geom": placement.geom,
        # One value in every row, as numpy types copy_columns formats without a Python object per row.
        "source_crs": np.full(len(rows), rows.source_crs.encode("ascii")),  # EPSG:N
        "batch_id": np.full(len(rows), batch_id, dtype=np.int64),
    }


def _checked_and_staged(
    conn: Connection,
    survey: _Survey,
    placement: _Placement,
    stored_ids: np.ndarray[Any, Any],
    maybe_stored: np.ndarray[Any, Any],
    binds: dict[str, Any],
    result: LoadResult,
) -> tuple[np.ndarray[Any, Any], int]:
    """Check every row; stage, match and update those that may be stored facilities. Return the other rows that
    pass the checks (new: not placed yet) and how many staged rows are new after all."""
    checked = survey.check_every_slice()
    staged = placement.kept(checked[maybe_stored[checked]])
    staged_new = _stage_and_update(conn, placement.written, placement.in_insert_order(staged), stored_ids, binds,
                                   result) if len(staged) else 0
    return checked[~maybe_stored[checked]], staged_new


def _in_file_order(
    survey: _Survey, placement: _Placement, maybe_stored: np.ndarray[Any, Any]
) -> Iterator[np.ndarray[Any, Any]]:
    """The new rows that pass the checks, placed and kept, a slice at a time in the file's order: each slice
    checked (if it is not yet) and placed when the COPY asks for it, while the server stores the one before."""
    for part in survey.checked():
        yield placement.kept(part[~maybe_stored[part]])


def _numbered(
    chunks: Iterator[np.ndarray[Any, Any]], ids: np.ndarray[Any, Any], first: int
) -> Iterator[np.ndarray[Any, Any]]:
    """The chunks as they come, each row's id filled in (``first`` and up, in the order the rows are sent)
    before its chunk is formatted."""
    for chunk in chunks:
        ids[chunk] = np.arange(first, first + len(chunk), dtype=np.int64)
        first += len(chunk)
        yield chunk


def _stage_and_update(
    conn: Connection,
    columns_of: _Written,
    staged: np.ndarray[Any, Any],
    stored_ids: np.ndarray[Any, Any],
    binds: dict[str, Any],
    result: LoadResult,
) -> int:
    """Stage the rows that may be stored facilities, match them, update those that changed; return how many
    staged rows are new after all (left in the staging table for the insert)."""
    rows = columns_of.rows
    conn.execute(queries.load("drop_facility_stage"))
    conn.execute(queries.load("create_facility_staging"))
    fields = columns_of.fields() | {"n": rows.n, "lon": rows.lon, "lat": rows.lat, "match_id": stored_ids}
    copy_columns(conn, "etl_facility_stage", list(fields), list(fields.values()), staged)
    conn.execute(queries.load("analyzed_facility_stage"))
    conn.execute(queries.load("match_staged_facilities"))
    updated = conn.execute(queries.load("update_facilities_from_staging"), binds).all()
    result.updated = len(updated)
    result.updated_refs = [str(r.ref) for r in updated]
    matched, new = conn.execute(
        queries.load("facility_stage_match_counts")
    ).one()
    result.unchanged = int(matched) - result.updated
    return int(new)


def _stored_ids(conn: Connection, rows: _Rows) -> np.ndarray[Any, Any]:
    """The id of the stored facility with each row's external id (an object array, None where none)."""
    matched = np.full(len(rows), None, dtype=object)
    if not conn.execute(queries.load("facilities_with_external_ids_exist")).scalar_one():
        return matched  # a first load: nothing to look up
    ids = rows.values["external_id"]
    wanted = np.flatnonzero(~_isnone(ids))
    if not len(wanted):
        return matched
    stored = conn.execute(
        queries.load("facilities_by_external_id"), {"ids": json.dumps(ids[wanted].tolist(), ensure_ascii=False)}
    ).all()
    if stored:
        found: pd.Series[Any] = pd.Series(ids[wanted].tolist(), dtype=object).map(dict(stored))
        hits = found.notna().to_numpy()
        matched[wanted[hits]] = found[hits].astype(object).map(int).to_numpy()
    return matched


def _near_idless_stored(conn: Connection, survey: _Survey) -> np.ndarray[Any, Any]:
    """Which rows have no external id while stored facilities without one lie near the id-less rows that pass
    the checks (all or none).

    Asked first of every id-less row with a point in Viet Nam, checked or not: when no stored one is near those,
    none is near the rows that pass (the usual answer, given before any row is checked); else asked again of
    those, with every row checked."""
    rows = survey.rows
    idless = _isnone(rows.values["external_id"])
    if not _idless_stored_near(conn, rows, idless & survey.placeable):
        return np.zeros(len(rows), dtype=bool)
    checked = np.zeros(len(rows), dtype=bool)
    checked[survey.check_every_slice()] = True
    return idless & checked if _idless_stored_near(conn, rows, idless & checked) else np.zeros(len(rows), dtype=bool)


def _idless_stored_near(conn: Connection, rows: _Rows, which: np.ndarray[Any, Any]) -> bool:
    """Whether a stored facility without an external id lies near the box of rows ``which``."""
    if not which.any():
        return False
    lon, lat = rows.as_placed(which)
    box = {"xmin": float(lon.min()), "ymin": float(lat.min()), "xmax": float(lon.max()), "ymax": float(lat.max())}
    return bool(conn.execute(queries.load("idless_facilities_near"), box).scalar_one())


# A load that adds at least this many rows, and at least a quarter of what is stored, builds the facility
# indexes afresh after its insert instead of updating them row by row (migration 0015): ~20 µs a row
# maintained against ~3 µs a stored row rebuilt (bench/etl.py). The table is locked for the rest of such a
# load, so small loads (an inspector's commune, a district's survey) never do it.
BULK_INSERT_REBUILDS_INDEXES_FROM = 10_000


def _indexes_rebuilt_after_insert(conn: Connection, new_rows: int) -> bool:
    if new_rows < BULK_INSERT_REBUILDS_INDEXES_FROM:
        return False
    stored = conn.execute(queries.load("facility_count")).scalar_one()
    return 4 * new_rows >= int(stored)
