"""`phusong worker`: the process that keeps coverage current and makes long exports, apart from the web processes
(issue 22)."""

from __future__ import annotations

import argparse
import ctypes
import logging
import os
import signal
import subprocess
import sys
from datetime import datetime
from functools import partial
from typing import Any

from analysis.refresh import RefreshReport
from app.commands.db import ensure_database
from app.coverage_refresh import GATHER_S, POLL_S, run_worker
from app.export_jobs import run_export_jobs
from sql.engine import get_engine
from sql.settings import get_settings

DESCRIPTION = """\
Bring stale communes' coverage current, and make long exports, apart from the web processes.

A saved inspection, a load or `phusong analyse` marks communes stale; PostgreSQL then notifies every worker
(LISTEN/NOTIFY), and one of them recomputes those communes at once (after --gather seconds, so that the saves
of a busy moment share one pass). Workers also look every --poll seconds, in case a notification was missed.
Each commune is taken under an advisory lock, so any number of workers, on one
or more machines against one database, share the work and never compute a commune twice. Run one or more next
to `phusong serve --workers N` (deploy/systemd/phusong-worker@.service); stop with SIGTERM or Ctrl+C (the
commune being computed is rolled back and left stale for the next worker).

Long exports: with `phusong serve --workers N`, every PDF and any download of more than
PHUSONG_EXPORT_WORKER_ROWS communes (default 20) is queued; a worker makes it (woken the same way) and the user's
browser downloads it from the job's page. `phusong worker` makes them in a second process of its own
(`phusong worker --only exports`, started and stopped with it, at a lower priority: PHUSONG_EXPORT_NICE, default
5), so a stale commune never waits for a 5-30 s PDF. To run the two apart (e.g. exports on another machine),
start `phusong worker --only coverage` and `phusong worker --only exports`."""

ONLY = ("coverage", "exports")
EXPORT_NICE_ENV, EXPORT_NICE = "PHUSONG_EXPORT_NICE", 5
_PR_SET_PDEATHSIG = 1


def register(commands: Any) -> None:
    worker = commands.add_parser(
        "worker", help="keep coverage current and make long exports in a separate process (woken by PostgreSQL)",
        description=DESCRIPTION,
        epilog="Examples:\n  phusong worker                 # run until stopped\n"
               "  phusong worker --once          # drain what is stale and queued now, then exit\n"
               "  phusong worker --only exports  # only the long exports (another machine, say)\n"
               "  phusong worker --poll 2",
    )
    worker.add_argument("--poll", type=float, default=POLL_S, metavar="SECONDS",
                        help=f"look for stale communes at least this often (default {POLL_S:g})")
    worker.add_argument("--gather", type=float, default=GATHER_S, metavar="SECONDS",
                        help=f"after a save's notification, wait this long for more saves to recompute in the same "
                             f"pass (default {GATHER_S:g}; 0: at once)")
    worker.add_argument("--once", action="store_true",
                        help="bring everything stale current and make the queued exports, then exit")
    worker.add_argument("--only", choices=ONLY,
                        help="only keep coverage current, or only make exports (default: both, the exports in a "
                             "second process)")
    worker.set_defaults(handler=_work)


def _work(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # its INFO is every PDF's glyph lists
    if args.poll <= 0 or args.gather < 0:
        print("phusong worker: --poll must be a positive number of seconds, --gather zero or more")
        return 2
    settings = get_settings()
    ensure_database(settings)
    what = {"coverage": "stale coverage", "exports": "queued exports"}.get(args.only, "stale coverage and exports")
    print(f"phusong worker {os.getpid()}: listening for {what} (poll every {args.poll:g} s)", flush=True)
    exports = ExportProcess(args.poll) if args.only is None and not args.once else None
    inline = args.only == "exports" or (args.only is None and exports is None)
    try:
        tally = run_worker(get_engine(settings), poll_s=args.poll, once=args.once, report=_print_pass,
                           jobs=partial(run_export_jobs, at_most=1) if inline else None,
                           coverage=args.only != "exports", each_pass=exports.tend if exports else None,
                           gather_s=args.gather if args.only != "exports" else 0.0)
    finally:
        if exports is not None:
            exports.stop()
    print(f"phusong worker {os.getpid()}: stopped after {tally.communes} communes and {tally.exports} exports "
          f"in {tally.passes} passes "
          f"({tally.wakes} notifications, {tally.failures} failed passes; {_cpu_s():.1f} s CPU)", flush=True)
    return 1 if tally.failures and args.once else 0


class ExportProcess:
    """`phusong worker --only exports` as a child of `phusong worker`: started at once, started again when it has
    ended (looked at before each coverage pass), stopped with its parent (and by the kernel if the parent dies)."""

    def __init__(self, poll_s: float) -> None:
        self.poll_s = poll_s
        self.process = self._start()

    def _start(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-m", "app.cli", "worker", "--only", "exports",
                                 "--poll", f"{self.poll_s:g}"], preexec_fn=_exports_child)

    def tend(self) -> None:
        if self.process.poll() is not None:
            logging.getLogger(__name__).warning("the exports process ended (%s): starting it again",
                                                self.process.returncode)
            self.process = self._start()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _exports_child() -> None:
    """In the exports process before it runs: a lower priority than the web and the coverage (a PDF is seconds of
    CPU that nobody waits on with a page open), and SIGTERM when its parent dies."""
    os.nice(int(os.environ.get(EXPORT_NICE_ENV, EXPORT_NICE)))
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the parent's stop() still ends it
        pass


def _cpu_s() -> float:
    """This process's CPU seconds (user + system; its exports process prints its own)."""
    times = os.times()
    return times.user + times.system


def _print_pass(done: RefreshReport) -> None:
    classes = ", ".join(f"{k} {v}" for k, v in sorted(done.classes.items()))
    print(f"{datetime.now():%H:%M:%S} recomputed {len(done.communes)} communes in {done.seconds:.1f} s"
          f"{' (' + classes + ')' if classes else ''}", flush=True)
