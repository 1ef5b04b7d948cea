"""The coverage worker: bring stale communes current when woken, in a web process's thread or in `phusong worker`.

Wiring only: the recompute, its locks and the drain are analysis.refresh.bring_current. A save commits its
inspection (a trigger marks the commune stale and sends NOTIFY phusong_coverage_stale, migration 0190) and answers
at once; then either

- ``phusong worker`` (the production shape, issue 22): one or more processes, on any machine, LISTEN on that
  channel and poll every few seconds as a fallback (:func:`run_worker`); the per-commune advisory locks of
  bring_current let any number of them share the work without computing a commune twice; or
- the web process's own daemon thread (``phusong serve`` in one process, the tests): :data:`REFRESHER`.

``PHUSONG_COVERAGE_REFRESH=worker`` (set by ``phusong serve --workers N``) turns the web's thread off, so a
recompute never takes the web's CPU; pages poll analysis.refresh.coverage_version to redraw either way.
"""

from __future__ import annotations

import logging
import os
import select
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from sqlalchemy import Engine

from analysis.refresh import RefreshReport, bring_current
from app.outlines_ahead import fill_outlines_ahead
from sql import queries
from sql.engine import get_engine

POLL_S = 5.0
# After a notification, the coverage worker waits this long for the saves that follow before its pass: a pass
# costs ~0.06 s of CPU however few communes it takes (reading inputs, rule set, storing), and with the exports in a
# process of their own nothing else made the saves of a busy minute share a pass (bench.worker_load).
GATHER_S = 0.25
MODE_ENV = "PHUSONG_COVERAGE_REFRESH"  # "web" (default: a thread in each web process) or "worker"
_log = logging.getLogger(__name__)


def refresh_in_web() -> bool:
    """Whether this web process brings coverage current itself (False when `phusong worker` does)."""
    return os.environ.get(MODE_ENV, "web") != "worker"


class CoverageRefresher:
    """A daemon thread that brings stale communes current whenever woken (and every few seconds)."""

    def __init__(self) -> None:
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def notify(self) -> None:
        """Ask for a pass over coverage_stale now (starts the thread on first use). With separate workers the
        database's NOTIFY wakes them and this does nothing."""
        if not refresh_in_web():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._stop = threading.Event()
                self._thread = threading.Thread(target=self._run, args=(self._stop,), name="coverage-refresh",
                                                daemon=True)
                self._thread.start()
        self._wake.set()

    def stop(self, timeout_s: float = 120.0) -> None:
        """End the thread after its current pass. For whoever points the process at another database (the tests):
        a thread left behind polls the old one every few seconds and logs each failure."""
        with self._lock:
            thread, stop = self._thread, self._stop
            self._thread = None
        if thread is not None:
            stop.set()
            self._wake.set()
            thread.join(timeout_s)

    def _run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self._wake.wait(timeout=POLL_S)
            self._wake.clear()
            if stop.is_set():
                return
            try:
                bring_current(get_engine())
            except Exception:  # a failed pass is retried on the next wake; the request already answered
                _log.exception("coverage refresh failed")


REFRESHER = CoverageRefresher()


@dataclass
class WorkerTally:
    """What a worker did since it started (printed on each pass and when it stops)."""

    passes: int = 0
    communes: int = 0
    wakes: int = 0
    failures: int = 0
    exports: int = 0


def run_worker(engine: Engine, *, poll_s: float = POLL_S, once: bool = False,
               report: Callable[[RefreshReport], None] | None = None,
               jobs: Callable[[Engine], int] | None = None, coverage: bool = True,
               each_pass: Callable[[], None] | None = None, gather_s: float = 0.0) -> WorkerTally:
    """Bring coverage current now, then whenever PostgreSQL notifies (or every ``poll_s`` seconds) until SIGTERM
    or SIGINT; with ``once``, drain what is stale and return. ``jobs``: other queued work to drain after the
    coverage on each pass, one item a call (`phusong worker` gives the long exports, app/export_jobs.py), returning
    how many it made (0 when none is queued). ``coverage=False``: only the jobs (`phusong worker --only exports`),
    woken only when one is queued. ``each_pass``: called before each pass (`phusong worker` restarts its exports
    process there if it ended)."""
    tally = WorkerTally()
    run = partial(_pass, engine, tally, report if coverage else None, jobs, coverage=coverage, each_pass=each_pass)
    run()
    if once:
        return tally
    raw = engine.raw_connection()
    raw.detach()  # LISTEN lives on this connection: closed, never handed back to the pool
    wake_r, wake_w = socket.socketpair()
    stop = threading.Event()
    previous = {s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGTERM, signal.SIGINT)}
    wake_w.setblocking(False)
    old_fd = signal.set_wakeup_fd(wake_w.fileno())
    try:
        listener = raw.dbapi_connection
        assert listener is not None
        listener.autocommit = True  # type: ignore[attr-defined]
        with listener.cursor() as cur:
            if coverage:
                cur.execute(queries.load("listening_for_stale_coverage").text)
            if jobs is not None:
                cur.execute(queries.load("listening_for_queued_exports").text)
        while not stop.is_set():
            ready, _, _ = select.select([listener, wake_r], [], [], poll_s)
            if listener in ready:
                tally.wakes += 1
                if gather_s > 0 and wake_r not in ready:  # a signal (wake_r) stops without waiting
                    ready, _, _ = select.select([wake_r], [], [], gather_s)
                listener.poll()  # type: ignore[attr-defined]
                listener.notifies.clear()  # type: ignore[attr-defined]
            if wake_r in ready:
                wake_r.recv(64)
            if not stop.is_set():
                run()
    finally:
        signal.set_wakeup_fd(old_fd)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        wake_r.close()
        wake_w.close()
        raw.close()
    return tally


def _pass(engine: Engine, tally: WorkerTally, report: Callable[[RefreshReport], None] | None,
          jobs: Callable[[Engine], int] | None, *, coverage: bool = True,
          each_pass: Callable[[], None] | None = None) -> None:
    """Coverage first, then the queued exports one by one with the coverage brought current again after each:
    a save's commune waits for one export at most, never for a queue of PDFs (``jobs`` makes at most one export
    a call); none at all when the exports are another process's (`phusong worker` runs them in a child)."""
    tally.passes += 1
    try:
        if each_pass is not None:
            each_pass()
        if coverage:
            _bring_current(engine, tally, report)  # an export queued meanwhile is made from current figures
        while jobs is not None and jobs(engine):
            tally.exports += 1
            if coverage:
                _bring_current(engine, tally, report)
    except Exception:  # logged and retried on the next wake or poll: a worker outlives a failed pass
        tally.failures += 1
        _log.exception("coverage refresh failed")
        time.sleep(1.0)
    if coverage:
        _outlines_ahead(engine)


def _outlines_ahead(engine: Engine) -> None:
    """After the coverage (the figures come first): a boundaries load's map outlines made before a user asks for
    them (~0.1 ms when the boundaries did not change); never in the way of coverage: the map fills a level on its
    first ask."""
    try:
        fill_outlines_ahead(engine)
    except Exception:
        _log.exception("outlines made ahead failed")


def _bring_current(engine: Engine, tally: WorkerTally, report: Callable[[RefreshReport], None] | None) -> None:
    done = bring_current(engine)
    tally.communes += len(done.communes)
    if done.communes and report is not None:
        report(done)
