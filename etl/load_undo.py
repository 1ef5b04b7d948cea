"""Undo one load of a facility survey ("Hoàn tác lần tải này", issue 21): exactly what that load wrote goes back.

The facilities the load inserted are deleted and those it updated take back the row they had before it, read
from the audit log the load wrote (its bulk insert's ids, each update's "before"). The load is refused when
anything came after it on those facilities: a later load or an edit changed one, an inspection was recorded on
one, or another table now points at one; undo the later load first. The batch keeps its row (file, rejected
rows), marked undone, so the same file can be loaded again; every delete and update is audited by the row
triggers, the undo itself once. The caller brings the returned communes current (their coverage changed).
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


@dataclass
class UndoResult:
    """What an undo did: facilities deleted (the load's inserts), restored (its updates), communes touched."""

    batch: int
    deleted: int = 0
    restored: int = 0
    communes: list[str] = field(default_factory=list)


def undo_load(conn: Connection, batch: int, *, actor: str) -> UndoResult:
    """Undo load ``batch`` in this transaction (a savepoint: a refusal leaves nothing changed)."""
    found = conn.execute(queries.load("load_batch_for_undo"), {"batch": batch}).mappings().first()
    if found is None:
        raise LoadRefusedError(code="undo_batch_missing", batch=batch)
    if found["undone_at"] is not None:
        raise LoadRefusedError(code="undo_already_done", batch=batch,
                               when=found["undone_at"].strftime("%d/%m/%Y %H:%M"))
    if found["kind"] != "facilities":
        raise LoadRefusedError(code="undo_kind_unsupported", batch=batch, kind=found["kind"])
    written = conn.execute(queries.load("facilities_of_batch"), {"batch": batch}).mappings().all()
    inserted = sorted({int(r["id"]) for r in written if r["how"] == "inserted"})
    befores = [dict(r["before"]) for r in written if r["how"] == "updated"]
    last_audit = max((int(r["audit_id"]) for r in written), default=0)
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
    details = {"deleted": result.deleted, "restored": result.restored, "communes": result.communes}
    conn.execute(queries.load("undone_load_batch"), {"batch": batch, "actor": actor,
                                                     "details": json.dumps(details, ensure_ascii=False)})
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
