"""Recompute a commune's coverage right after a save, off the request: one worker thread per server process.

A save commits its inspection (the trigger updates the facility and marks the commune in coverage_stale), wakes
this worker and answers at once; the worker drains coverage_stale commune by commune (refresh_commune_coverage:
an advisory lock per commune, so two processes or a burst of saves in one commune cost one analysis) within
moments, and the inspection page polls until the commune is fresh. An analysis takes ~0.1 s of Python per
commune; done inside the request it queued 50 inspectors behind each other (bench/app_load.py).
"""

from __future__ import annotations

import logging
import threading

from app.inspections import refresh_commune_coverage
from sql import queries
from sql.engine import connect

POLL_S = 5.0  # also picks up communes made stale by other processes (ETL loads, another server)
BATCH = 50
_log = logging.getLogger(__name__)


class CoverageRefresher:
    """A daemon thread that recomputes stale communes whenever woken (and every few seconds)."""

    def __init__(self) -> None:
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def notify(self) -> None:
        """Ask for a pass over coverage_stale now (starts the thread on first use)."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="coverage-refresh", daemon=True)
                self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait(timeout=POLL_S)
            self._wake.clear()
            try:
                drain_stale_communes()
            except Exception:  # a failed pass is retried on the next wake; the request already answered
                _log.exception("coverage refresh failed")


def drain_stale_communes(limit: int = BATCH) -> int:
    """Recompute the stale communes, oldest first, each in its own transaction; return how many were done."""
    with connect() as conn:
        codes = list(conn.execute(queries.load("stale_communes"), {"limit": limit}).scalars())
    done = 0
    for code in codes:
        with connect() as conn:
            done += refresh_commune_coverage(conn, code)
    return done


REFRESHER = CoverageRefresher()
