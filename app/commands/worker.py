"""`phusong worker`: the process that keeps coverage current and makes long exports, apart from the web processes
(issue 22)."""

from __future__ import annotations

import argparse
import logging
import os
from datetime import datetime
from functools import partial
from typing import Any

from analysis.refresh import RefreshReport
from app.commands.db import ensure_database
from app.coverage_refresh import POLL_S, run_worker
from app.export_jobs import run_export_jobs
from sql.engine import get_engine
from sql.settings import get_settings

DESCRIPTION = """\
Bring stale communes' coverage current, and make long exports, apart from the web processes.

A saved inspection, a load or `phusong analyse` marks communes stale; PostgreSQL then notifies every worker
(LISTEN/NOTIFY), and one of them recomputes those communes at once. Workers also look every --poll seconds, in
case a notification was missed. Each commune is taken under an advisory lock, so any number of workers, on one
or more machines against one database, share the work and never compute a commune twice. Run one or more next
to `phusong serve --workers N` (deploy/systemd/phusong-worker@.service); stop with SIGTERM or Ctrl+C (the
commune being computed is rolled back and left stale for the next worker).

Long exports: with `phusong serve --workers N`, a download larger than one province (more than
PHUSONG_EXPORT_WORKER_ROWS communes, default 400: a national XLSX, PDF, GeoPackage or map) is queued; a worker
makes it after each coverage pass (woken the same way) and the user's browser downloads it from the job's page."""


def register(commands: Any) -> None:
    worker = commands.add_parser(
        "worker", help="keep coverage current and make long exports in a separate process (woken by PostgreSQL)",
        description=DESCRIPTION,
        epilog="Examples:\n  phusong worker                 # run until stopped\n"
               "  phusong worker --once          # drain what is stale and queued now, then exit\n"
               "  phusong worker --poll 2",
    )
    worker.add_argument("--poll", type=float, default=POLL_S, metavar="SECONDS",
                        help=f"look for stale communes at least this often (default {POLL_S:g})")
    worker.add_argument("--once", action="store_true",
                        help="bring everything stale current and make the queued exports, then exit")
    worker.set_defaults(handler=_work)


def _work(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if args.poll <= 0:
        print("phusong worker: --poll must be a positive number of seconds")
        return 2
    settings = get_settings()
    ensure_database(settings)
    print(f"phusong worker {os.getpid()}: listening for stale coverage (poll every {args.poll:g} s)", flush=True)
    tally = run_worker(get_engine(settings), poll_s=args.poll, once=args.once, report=_print_pass,
                       jobs=partial(run_export_jobs, at_most=1))
    print(f"phusong worker {os.getpid()}: stopped after {tally.communes} communes and {tally.exports} exports "
          f"in {tally.passes} passes "
          f"({tally.wakes} notifications, {tally.failures} failed passes)", flush=True)
    return 1 if tally.failures and args.once else 0


def _print_pass(done: RefreshReport) -> None:
    classes = ", ".join(f"{k} {v}" for k, v in sorted(done.classes.items()))
    print(f"{datetime.now():%H:%M:%S} recomputed {len(done.communes)} communes in {done.seconds:.1f} s"
          f"{' (' + classes + ')' if classes else ''}", flush=True)
