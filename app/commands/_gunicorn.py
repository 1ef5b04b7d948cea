"""`phusong serve --workers N`: the web app in N processes under gunicorn (issue 22).

Nothing one process needs lives only in another: sessions, the login throttle and the coverage queue are in
PostgreSQL; the caches of app/live_gis are time-limited (a tile at most 60 s, kept per process and in
out/tile-cache for the machine's processes; a token check at most 1 s plus one check behind the database);
background callbacks keep their results in the disk cache under out/, which the processes of one machine share.
The app is built in each process after the fork (no preload), so no database connection is ever shared between
processes.
"""

from __future__ import annotations

import os
from typing import Any

from gunicorn.app.base import BaseApplication

from app.coverage_refresh import MODE_ENV
from sql.engine import POOL_SIZE_ENV
from sql.settings import Settings


class _PhusongGunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self.settings, self.options = settings, options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from app.app import create_app

        return create_app(self.settings).server


def options(settings: Settings, *, workers: int, threads: int) -> dict[str, Any]:
    """gunicorn's settings: threaded workers (a slow export holds a thread, not a process), long timeouts for
    uploads over 3G, idle connections kept 75 s (longer than a user's pause between two clicks, as nginx does:
    with 5 s, a browser reusing a connection the server had just closed got a connection error), and the
    X-Forwarded-* headers trusted only from the reverse proxy on this machine."""
    return {
        "bind": f"{settings.host}:{settings.port}", "workers": workers, "worker_class": "gthread",
        "threads": threads, "timeout": 300, "graceful_timeout": 30, "keepalive": 75,
        "proc_name": "phusong-web", "accesslog": None, "errorlog": "-", "loglevel": "warning",
        "forwarded_allow_ips": "127.0.0.1", "preload_app": False,
    }


def serve_processes(settings: Settings, *, workers: int, threads: int) -> int:
    """Serve until stopped (SIGTERM or Ctrl+C); coverage is left to `phusong worker`."""
    if workers < 1 or threads < 1:
        print("phusong serve: --workers and --threads must be at least 1")
        return 2
    os.environ[MODE_ENV] = "worker"
    os.environ.setdefault(POOL_SIZE_ENV, str(threads))  # a pooled connection per thread (sql/engine.py)
    try:
        _PhusongGunicorn(settings, options(settings, workers=workers, threads=threads)).run()
    except SystemExit as stop:  # gunicorn's master exits through SystemExit when it halts
        return int(stop.code or 0)
    return 0
