"""The app's coverage worker: one daemon thread per server process that brings coverage current when woken.

Wiring only: the recompute, its locks and the drain are analysis.refresh.bring_current. A save commits its
inspection (a trigger marks the commune stale), wakes this thread and answers at once; the thread brings the
stale communes current within moments (and every few seconds, which also picks up what other processes made
stale: an ETL load with --no-refresh, another server). Pages poll analysis.refresh.coverage_version to redraw.
"""

from __future__ import annotations

import logging
import threading

from analysis.refresh import bring_current
from sql.engine import get_engine

POLL_S = 5.0
_log = logging.getLogger(__name__)


class CoverageRefresher:
    """A daemon thread that brings stale communes current whenever woken (and every few seconds)."""

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
                bring_current(get_engine())
            except Exception:  # a failed pass is retried on the next wake; the request already answered
                _log.exception("coverage refresh failed")


REFRESHER = CoverageRefresher()
