"""Keep stored coverage current: the one path that drains coverage_stale and recomputes those communes.

Triggers mark a commune stale whenever something its coverage reads changes (facilities, inspections through
them, villages, its polygon or census population, the active population raster: sql/migrations/0007, 0085).
:func:`bring_current` takes the stale communes under one advisory lock each, recomputes exactly those (villages,
people reached, NTM verdicts, classes: analysis.store.analyse) and reports what it did. The CLI after every load,
the app's worker thread and the inspection save all call it; ``phusong analyse`` marks communes stale and calls
it too.

Locks: with an engine, each batch is its own transaction that only *tries* each commune's lock, so two
processes never block each other while holding locks (no deadlock) and a commune another process is computing
is left to it; when only such communes remain, the call waits for one of them in a transaction that holds
nothing else, then looks again. With a connection (the caller's transaction), locks are waited for in code
order, the order every refresher uses.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, Engine

from analysis.rules import RuleSet
from analysis.store import analyse
from sql import queries

# Communes per transaction: a national recompute shows progress and holds at most this many advisory locks
# (PostgreSQL's shared lock table holds 64 per connection by default, ~6,400 in all).
BATCH_COMMUNES = 500

Progress = Callable[[int, int], None]
"""Called after each batch with (communes done, communes to do)."""


@dataclass(frozen=True)
class RefreshReport:
    """What one :func:`bring_current` did: the communes it recomputed (code order), their classes, its runs."""

    communes: tuple[str, ...] = ()
    classes: dict[str, int] = field(default_factory=dict)
    run_ids: tuple[int, ...] = ()
    seconds: float = 0.0
    waited: int = 0  # times it waited for another process computing communes it needed


@dataclass(frozen=True)
class Staleness:
    """How many communes wait for their coverage to be recomputed, and since when (None: all current)."""

    communes: int
    since: datetime | None


def bring_current(
    bind: Engine | Connection,
    *,
    communes: Sequence[str] | None = None,
    progress: Progress | None = None,
    batch: int = BATCH_COMMUNES,
    rule_set: RuleSet | None = None,
) -> RefreshReport:
    """Recompute every stale commune (or the stale ones among ``communes``) until none is left; return what
    this call recomputed. Communes another process recomputes meanwhile are waited for, not computed twice.

    Parameters
    ----------
    bind
        An engine (each batch commits on its own) or a connection (everything in the caller's transaction).
    communes
        2025 commune codes to bring current; None for every stale commune.
    progress
        Called with (done, total) after each batch.
    rule_set
        The NTM rule set to judge under (``phusong analyse --rules``); None: the set in force on each batch's
        data date (analysis.rules.rule_set_for_data).
    """
    start = time.perf_counter()
    wanted = sorted(set(communes)) if communes is not None else None
    done: list[str] = []
    classes: Counter[str] = Counter()
    runs: list[int] = []
    waited, total = 0, 0
    marked_again: set[str] = set()  # recomputed, but changed again meanwhile: left to the next pass (NOTIFY)
    while True:
        with _transaction(bind) as conn:
            pending = [c for c in _stale(conn, wanted) if c not in marked_again]
            total = max(total, len(done) + len(pending))
            if not pending:
                break
            marks = _take(conn, pending, batch, wait=isinstance(bind, Connection))
            taken = sorted(marks)
            if taken:
                result = analyse(conn, commune_codes=taken, rule_set=rule_set)
                marked_again |= set(taken) - _clear(conn, marks)
                done += taken
                classes.update(result.classes)
                runs += [result.run_id] if result.run_id is not None else []
        if not taken and isinstance(bind, Engine):
            # Every pending commune is being recomputed by another process: wait for one of them to commit.
            with bind.begin() as conn:
                conn.execute(queries.load("commune_refresh_waited_for"), {"code": pending[0]}).all()
            waited += 1
        elif progress is not None:
            progress(len(done), total)
    return RefreshReport(tuple(sorted(done)), dict(classes), tuple(runs), time.perf_counter() - start, waited)


def mark_stale(conn: Connection, *, province_code: str | None = None) -> int:
    """Mark a province's communes (or every commune) stale, so that :func:`bring_current` recomputes them all;
    return how many were not stale already."""
    return len(conn.execute(queries.load("communes_marked_stale"), {"province_code": province_code}).all())


def staleness(conn: Connection, *, province_code: str | None = None) -> Staleness:
    """How many communes of a province (or of the country) wait for a recompute, and the oldest change's time."""
    row = conn.execute(queries.load("coverage_staleness"), {"province_code": province_code}).one()
    return Staleness(int(row.communes), row.since)


def staleness_metadata(stale: Staleness) -> list[tuple[str, str]]:
    """The (key, value) rows an export carries about stale figures (always the count; when any, since when and
    how to bring them current)."""
    meta = [("coverage_stale_communes", str(stale.communes))]
    if stale.communes:
        meta += [
            ("coverage_stale_since", stale.since.isoformat() if stale.since else ""),
            ("coverage_stale_note", f"the figures of {stale.communes} communes are stale since {stale.since}; "
             "run `phusong analyse` (or load without --no-refresh) to bring them current"),
        ]
    return meta


def last_computed(conn: Connection) -> datetime | None:
    """When any commune's coverage was last stored (None: never)."""
    value: datetime | None = conn.execute(queries.load("coverage_last_computed")).scalar()
    return value


def coverage_version(conn: Connection) -> tuple[int, int]:
    """(latest coverage run, communes waiting): changes whenever the stored coverage does; cheap to poll."""
    row = conn.execute(queries.load("coverage_version")).one()
    return int(row.last_run), int(row.stale)


@dataclass(frozen=True)
class ProvinceStatus:
    """One province in ``phusong status``: its coverage, what waits, and the date of each input."""

    province_code: str
    province_name: str
    communes: int
    communes_computed: int
    computed_at: datetime | None
    communes_stale: int
    stale_since: datetime | None
    boundaries_at: datetime | None
    villages_at: datetime | None
    facilities_at: datetime | None
    inspections_at: datetime | None
    raster_at: datetime | None  # the active population raster (national); None: census totals


def coverage_status(conn: Connection) -> list[ProvinceStatus]:
    """Per province with communes loaded, in code order."""
    rows = conn.execute(queries.load("coverage_status_by_province")).all()
    return [ProvinceStatus(**r._asdict()) for r in rows]


def _stale(conn: Connection, wanted: list[str] | None) -> list[str]:
    rows = conn.execute(queries.load("stale_communes_in"), {"commune_codes": wanted}).scalars()
    return [str(c) for c in rows]


def _take(conn: Connection, pending: list[str], batch: int, *, wait: bool) -> dict[str, int]:
    """Lock up to ``batch`` of the pending communes; return those this transaction recomputes with their marks
    on the stale list (their rows stay until :func:`_clear`, so a save meanwhile never waits: migration 0300)."""
    if wait:
        locked = pending[:batch]
        conn.execute(queries.load("communes_locked_in_order"), {"commune_codes": locked}).all()
    else:
        locked = [
            str(c)
            for c in conn.execute(
                queries.load("communes_locked_for_refresh"), {"commune_codes": pending, "limit": batch}
            ).scalars()
        ]
    if not locked:
        return {}
    rows = conn.execute(queries.load("stale_marks_taken"), {"commune_codes": locked}).all()
    return {str(code): int(mark) for code, mark in rows}


def _clear(conn: Connection, marks: dict[str, int]) -> set[str]:
    """Take the recomputed communes off the stale list unless marked again since :func:`_take`; return those
    cleared (the others stay stale: a change saved during the recompute)."""
    codes = sorted(marks)
    cleared = conn.execute(queries.load("cleared_stale_communes"),
                           {"commune_codes": codes, "marks": [marks[c] for c in codes]}).scalars()
    return {str(c) for c in cleared}


@contextmanager
def _transaction(bind: Engine | Connection) -> Iterator[Connection]:
    if isinstance(bind, Connection):
        yield bind
    else:
        with bind.begin() as conn:
            yield conn
