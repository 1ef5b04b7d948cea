"""Undo one load ("Hoàn tác lần tải này", issue 21): exactly what that load wrote goes back.

A facility survey (``undo_load`` reads the batch's kind):

The facilities the load inserted are deleted and those it updated take back the row they had before it, read
from the audit log the load wrote (its bulk insert's ids, each update's "before"). The load is refused when
anything came after it on those facilities: a later load or an edit changed one, an inspection was recorded on
one, or another table now points at one; undo the later load first. The batch keeps its row (file, rejected
rows), marked undone, so the same file can be loaded again; every delete and update is audited by the row
triggers, the undo itself once. The caller brings the returned communes current (their coverage changed).

A villages load is undone the same way from its audit rows, and refused as well when a facility now stands in a
village it added (deleting the village would silently unlink it). An inspections load (Kobo / ODK / CSV) is not
deleted: inspections are append-only, so each one it inserted is withdrawn (migration 0150), and the database
gives each facility back its latest remaining status and reopens the plan assignments they completed (0200).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from etl.errors import LoadRefusedError
from sql import queries
from sql.bulk import set_actor

UNDOABLE = ("facilities", "villages", "inspections")  # the kinds of load undo_load can undo


@dataclass
class UndoResult:
    """What an undo did: facilities or villages deleted (the load's inserts), restored (its updates), inspections
    withdrawn, communes touched."""

    batch: int
    kind: str = "facilities"
    withdrawn: int = 0
    deleted: int = 0
    restored: int = 0
    communes: list[str] = field(default_factory=list)


def undo_load(conn: Connection, batch: int, *, actor: str) -> UndoResult:
    """Undo load ``batch`` (facilities, villages or inspections) in this transaction (a savepoint: a refusal leaves
    nothing changed)."""
    found = conn.execute(queries.load("load_batch_for_undo"), {"batch": batch}).mappings().first()
    if found is None:
        raise LoadRefusedError(code="undo_batch_missing", batch=batch)
    if found["undone_at"] is not None:
        raise LoadRefusedError(code="undo_already_done", batch=batch,
                               when=found["undone_at"].strftime("%d/%m/%Y %H:%M"))
    if found["kind"] == "villages":
        return _undo_villages(conn, batch, actor)
    if found["kind"] == "inspections":
        return _undo_inspections(conn, batch, actor)
    if found["kind"] != "facilities":
        raise LoadRefusedError(code="undo_kind_unsupported", batch=batch, kind=found["kind"])
    inserted, befores, last_audit = _written_by(conn, "facility", batch)
    _refuse_when_used_since(conn, batch, found["loaded_at"], last_audit, inserted, [int(b["id"]) for b in befores])
    result = UndoResult(batch=batch)
    savepoint = conn.begin_nested()
    try:
        set_actor(conn, actor)
        communes = set(conn.execute(queries.load("deleted_batch_facilities"),
                                    {"ids": inserted, "batch": batch}).scalars())
        result.deleted = len(inserted)
        for now, was in conn.execute(queries.load("restored_batch_facilities"),
                                     {"befores": json.dumps(befores, ensure_ascii=False), "batch": batch}):
            communes |= {now, was}
            result.restored += 1
    except IntegrityError as exc:  # another table points at a facility of the load (a plan, a report ...)
        savepoint.rollback()
        what = getattr(getattr(exc.orig, "diag", None), "table_name", None) or "?"
        raise LoadRefusedError(code="undo_referenced", batch=batch, what=what) from exc
    result.communes = sorted(communes)
    _mark_undone(conn, result, actor)
    savepoint.commit()
    return result


def _written_by(conn: Connection, entity: str, batch: int) -> tuple[list[int], list[dict[str, Any]], int]:
    """What load ``batch`` wrote to ``entity`` ('facility' or 'village'), from its audit rows: the ids it inserted,
    the rows it updated as they were before it, and its last audit row's id (anything later came after it)."""
    written = conn.execute(queries.load("loaded_rows_of_batch"), {"entity": entity, "batch": batch}).mappings().all()
    inserted = sorted({int(r["id"]) for r in written if r["how"] == "inserted"})
    befores = [dict(r["before"]) for r in written if r["how"] == "updated"]
    return inserted, befores, max((int(r["audit_id"]) for r in written), default=0)


def _mark_undone(conn: Connection, result: UndoResult, actor: str) -> None:
    """Mark the batch undone and audit the undo once (what it removed, restored or withdrew)."""
    details = {"kind": result.kind, "deleted": result.deleted, "restored": result.restored,
               "withdrawn": result.withdrawn, "communes": result.communes}
    conn.execute(queries.load("undone_load_batch"), {"batch": result.batch, "actor": actor,
                                                     "details": json.dumps(details, ensure_ascii=False)})


def _undo_villages(conn: Connection, batch: int, actor: str) -> UndoResult:
    """Undo a villages load: the villages it added are deleted, those it updated take back their row before it."""
    inserted, befores, last_audit = _written_by(conn, "village", batch)
    after = conn.execute(queries.load("village_changes_after_batch"), {
        "ids": [str(i) for i in inserted] + [str(b["id"]) for b in befores], "inserted": inserted,
        "after_audit": last_audit, "batch": batch}).mappings().one()
    if after["changed"]:
        raise LoadRefusedError(code="undo_villages_changed", batch=batch, count=int(after["changed"]),
                               later=list(after["later_batches"]) or ["—"])
    if after["facilities"]:
        raise LoadRefusedError(code="undo_villages_used", batch=batch, count=int(after["facilities"]))
    result = UndoResult(batch=batch, kind="villages", deleted=len(inserted))
    savepoint = conn.begin_nested()
    set_actor(conn, actor)
    communes = set(conn.execute(queries.load("deleted_batch_villages"), {"ids": inserted, "batch": batch}).scalars())
    for now, was in conn.execute(queries.load("restored_batch_villages"),
                                 {"befores": json.dumps(befores, ensure_ascii=False), "batch": batch}):
        communes |= {now, was}
        result.restored += 1
    result.communes = sorted(communes)
    _mark_undone(conn, result, actor)
    savepoint.commit()
    return result


def _undo_inspections(conn: Connection, batch: int, actor: str) -> UndoResult:
    """Undo an inspections load: each inspection it inserted is withdrawn, never deleted (append-only, 0150).

    Refused when a later correction already withdrew one of them (the inspector's correction is the newer word),
    and when a later inspection of one of its facilities stands (recorded after the load, not withdrawn): that
    inspection was made on top of the load's status and remembered it as its status_before, so withdrawing the
    load under it would leave a later undo of it restoring a status that no longer has an inspection behind it;
    the order stays "undo the later one first", as for facility loads. A facility a later survey load or an edit
    changed (other than in status) refuses it too. A load made before migration 0187 kept no status_before, so
    its facilities' earlier status is unknown: refused rather than guessed.
    """
    found = conn.execute(queries.load("inspection_batch_dependents"), {"batch": batch}).mappings().one()
    if found["unknown"]:
        raise LoadRefusedError(code="undo_inspections_unknown_before", batch=batch, count=int(found["unknown"]))
    if found["withdrawn"]:
        raise LoadRefusedError(code="undo_inspections_withdrawn", batch=batch, count=int(found["withdrawn"]))
    if found["later"]:
        raise LoadRefusedError(code="undo_inspections_later", batch=batch, count=int(found["later"]))
    if found["changed"]:
        raise LoadRefusedError(code="undo_later_changes", batch=batch, count=int(found["changed"]),
                               later=list(found["later_batches"]) or ["—"])
    savepoint = conn.begin_nested()
    set_actor(conn, actor)
    communes = sorted(conn.execute(queries.load("withdrawn_batch_inspections"),
                                   {"batch": batch, "actor": actor}).scalars())
    result = UndoResult(batch=batch, kind="inspections", withdrawn=int(found["inspections"]), communes=communes)
    _mark_undone(conn, result, actor)
    savepoint.commit()
    return result


def _refuse_when_used_since(conn: Connection, batch: int, loaded_at: Any, last_audit: int, inserted: list[int],
                            updated: list[int]) -> None:
    """Refuse when an inspection, a later load or an edit touched a facility of the load after it."""
    if not inserted and not updated:
        return
    after = conn.execute(queries.load("facility_changes_after_batch"), {
        "ids": [str(i) for i in inserted + updated], "inserted": inserted, "loaded_at": loaded_at,
        "after_audit": last_audit, "batch": batch}).mappings().one()
    if after["inspections"]:
        raise LoadRefusedError(code="undo_inspected", batch=batch, count=int(after["inspections"]))
    if after["changed"]:
        later = list(after["later_batches"]) or ["—"]
        raise LoadRefusedError(code="undo_later_changes", batch=batch, count=int(after["changed"]), later=later)
