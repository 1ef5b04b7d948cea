"""`phusong db up|down|status|migrate|dump FILE|restore FILE`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sql import cluster
from sql.engine import get_engine
from sql.migrate import migrate
from sql.settings import Settings, get_settings


def register(commands: Any) -> None:
    db = commands.add_parser(
        "db", help="run the embedded PostGIS or use PHUSONG_DATABASE_URL; migrate, dump, restore",
        description="Manage the database. Without PHUSONG_DATABASE_URL phusong runs its own PostgreSQL+PostGIS "
                    "in .pgdata/ on 127.0.0.1:55432.",
        epilog="Example:\n  phusong db up && phusong db migrate\n  phusong db dump backup.dump",
    )
    actions = db.add_subparsers(dest="db_command", metavar="ACTION")
    actions.required = True
    for name, text, handler in (
        ("up", "create (once) and start the embedded cluster, then migrate", _up),
        ("down", "stop the embedded cluster", _down),
        ("status", "say where the database is and whether it runs", _status),
        ("migrate", "apply the migrations in sql/migrations that are not applied yet", _migrate),
    ):
        sub = actions.add_parser(name, help=text, description=text.capitalize() + ".",
                                 epilog=f"Example:\n  phusong db {name}")
        sub.set_defaults(handler=handler)
    dump = actions.add_parser("dump", help="write the whole database to FILE (pg_dump custom format)",
                              epilog="Example:\n  phusong db dump phusong-2026-11-26.dump")
    dump.add_argument("file", type=Path)
    dump.set_defaults(handler=_dump)
    restore = actions.add_parser("restore", help="restore a dump FILE into the database",
                                 epilog="Example:\n  phusong db restore phusong-2026-11-26.dump")
    restore.add_argument("file", type=Path)
    restore.set_defaults(handler=_restore)


def ensure_database(settings: Settings | None = None) -> None:
    """Start the embedded cluster when it is the one in use, then apply pending migrations."""
    settings = settings or get_settings()
    if settings.uses_embedded:
        cluster.up(settings.pgdata_dir, settings.embedded_port)
    migrate(get_engine(settings))


def libpq_url(settings: Settings) -> str:
    """The database URL as libpq tools (pg_dump, psql) take it."""
    return settings.sqlalchemy_url.replace("postgresql+psycopg2://", "postgresql://", 1)


def _up(args: argparse.Namespace) -> int:
    settings = get_settings()
    if not settings.uses_embedded:
        print("PHUSONG_DATABASE_URL is set: using that server, nothing to start.")
    else:
        state = cluster.up(settings.pgdata_dir, settings.embedded_port)
        print(state.describe())
    return _migrate(args)


def _down(args: argparse.Namespace) -> int:
    settings = get_settings()
    if not settings.uses_embedded:
        print("PHUSONG_DATABASE_URL is set: phusong does not stop servers it did not start.")
        return 0
    print(cluster.down(settings.pgdata_dir, settings.embedded_port).describe())
    return 0


def _status(args: argparse.Namespace) -> int:
    settings = get_settings()
    if settings.uses_embedded:
        print(cluster.status(settings.pgdata_dir, settings.embedded_port).describe())
    else:
        print(f"external database: {get_engine(settings).url.render_as_string(hide_password=True)}")
    return 0


def _migrate(args: argparse.Namespace) -> int:
    result = migrate(get_engine(get_settings()))
    print(f"migrations: {len(result.applied)} applied, {len(result.already)} already in place")
    for name in result.applied:
        print(f"  + {name}")
    for warning in result.warnings:
        print(f"phusong: warning: {warning}", file=sys.stderr)
    return 0


def _dump(args: argparse.Namespace) -> int:
    cluster.dump(libpq_url(get_settings()), args.file)
    print(f"dumped to {args.file} ({args.file.stat().st_size / 1e6:.1f} MB)")
    return 0


def _restore(args: argparse.Namespace) -> int:
    cluster.restore(libpq_url(get_settings()), args.file)
    print(f"restored {args.file}")
    return 0
