"""`phusong serve` and `phusong demo`."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from typing import Any

from app.commands.db import ensure_database
from app.demo import create_demo_users, load_demo_data
from sql.engine import get_engine
from sql.settings import APP_ROLE, Settings, get_settings, secret_key_of


def register(commands: Any) -> None:
    serve = commands.add_parser(
        "serve", help="serve the web app on http://127.0.0.1:8050",
        description="Serve the web app (loopback by default; PHUSONG_HOST / PHUSONG_PORT to change).",
        epilog="Examples:\n  phusong serve --port 8050\n  phusong serve --workers 4    # with `phusong worker` "
               "running (README: Deploying for a province or the whole country)",
    )
    serve.add_argument("--port", type=int, help="port (default 8050)")
    serve.add_argument("--workers", type=int, metavar="N",
                       help="run N web processes under gunicorn (production); coverage is then kept current by "
                            "`phusong worker`, not by the web processes")
    serve.add_argument("--threads", type=int, default=8, metavar="T",
                       help="threads per web process with --workers (default 8)")
    serve.set_defaults(handler=_serve)
    demo = commands.add_parser(
        "demo", help="set up the bundled Điện Biên demo (database, data, analysis) and serve it",
        description="Start the database, migrate, load the bundled demo province from gis_data/, run the "
                    "analysis, print the demo logins and serve the app.",
        epilog="Example:\n  phusong demo            # what `make demo` runs\n  phusong demo --no-serve",
    )
    demo.add_argument("--no-serve", action="store_true", help="prepare everything but do not serve")
    demo.set_defaults(handler=_demo)


def _serve(args: argparse.Namespace) -> int:
    from app.app import serve  # Dash is imported only by the commands that serve

    settings = get_settings()
    secret_key_of(settings)  # a key too short is refused before anything starts; the install's own is made once
    ensure_database(settings)
    # No connection of this process may outlive it into the web processes gunicorn forks from it: two processes
    # on one socket mix their answers (the migrations' pooled connection would be shared otherwise).
    get_engine(settings).dispose()
    settings = _as_app_role(settings)
    if args.port:
        settings = settings.model_copy(update={"port": args.port})
    print(f"phusong: http://{settings.host}:{settings.port}/  (Ctrl+C to stop)", flush=True)
    if getattr(args, "workers", None):
        from app.commands._gunicorn import serve_processes

        return serve_processes(settings, workers=args.workers, threads=args.threads)
    serve(settings)
    return 0


def _as_app_role(settings: Settings) -> Settings:
    """On the embedded cluster the app connects as phusong_app, with the least rights it needs, not as the owner
    that migrated (sql/migrations/0071_app_role_and_append_only_audit.sql). Set process-wide, so every
    connection of the app (and of its background callbacks, forked from it) uses the role. With
    PHUSONG_DATABASE_URL the URL says who connects (README: the same on another server)."""
    if not settings.uses_embedded:
        return settings
    os.environ["PHUSONG_EMBEDDED_USER"] = APP_ROLE
    get_settings.cache_clear()
    return get_settings()


def _demo(args: argparse.Namespace) -> int:
    ensure_database()
    for line in load_demo_data():
        print(line)
    print("demo logins (Đăng nhập):")
    for line in create_demo_users():
        print(line)
    if args.no_serve:
        return 0
    # The production shape on one machine: a coverage worker and two web processes (README: Deploying...).
    worker = subprocess.Popen([sys.executable, "-m", "app.cli", "worker"])
    try:
        return _serve(argparse.Namespace(port=None, workers=2, threads=8))
    finally:
        worker.terminate()
        worker.wait(timeout=30)
