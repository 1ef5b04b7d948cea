"""Apply sql/migrations/NNNN_what.sql in order, each once, each in its own transaction, recorded by name."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError, OperationalError

from sql.errors import DatabaseSetupError

MIGRATION_DIR = Path(__file__).resolve().parent / "migrations"

_CREATE_LEDGER = text(
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
)


@dataclass(frozen=True)
class MigrationResult:
    applied: list[str]
    already: list[str]
    warnings: list[str]  # what a migration said it had to skip (RAISE WARNING 'phusong: ...'), one sentence each


def migration_files() -> list[Path]:
    """Return the migration files in the order they apply (by their numeric prefix)."""
    return sorted(MIGRATION_DIR.glob("[0-9][0-9][0-9][0-9]_*.sql"))


def migrate(engine: Engine) -> MigrationResult:
    """Bring the database up to the newest migration; safe to run any number of times."""
    try:
        with engine.begin() as conn:
            _ensure_postgis(conn)
            # Created only when missing: the app's role (phusong_app) may not create tables, yet checks the ledger.
            if conn.execute(text("SELECT to_regclass('schema_migrations')")).scalar() is None:
                conn.execute(_CREATE_LEDGER)
            done = set(conn.execute(text("SELECT name FROM schema_migrations")).scalars())
    except OperationalError as exc:
        raise DatabaseSetupError(
            f"Cannot connect to the database at {engine.url.render_as_string(hide_password=True)}: "
            f"{_first_line(exc)}. Start it with `phusong db up` or set PHUSONG_DATABASE_URL."
        ) from exc
    applied: list[str] = []
    warnings: list[str] = []
    for path in migration_files():
        if path.name in done:
            continue
        with engine.begin() as conn:
            warnings += _execute_script(conn, path.read_text(encoding="utf-8"))
            conn.execute(text("INSERT INTO schema_migrations (name) VALUES (:n)"), {"n": path.name})
        applied.append(path.name)
    return MigrationResult(applied=applied, already=sorted(done), warnings=warnings)


def _execute_script(conn: Connection, script: str) -> list[str]:
    """Run a migration; return the warnings it raised for the user (messages starting 'phusong: ')."""
    # The DB-API cursor without parameters: psycopg2 then leaves '%' alone (plpgsql RAISE and format() use it).
    raw = conn.connection.dbapi_connection
    assert raw is not None
    notices: list[str] = getattr(raw, "notices", [])
    seen = len(notices)
    cursor = raw.cursor()
    try:
        cursor.execute(script)
    finally:
        cursor.close()
    said = [n.split(":", 1)[1].strip() for n in notices[seen:] if n.startswith("WARNING:")]
    return [s.removeprefix("phusong: ") for s in said if s.startswith("phusong: ")]


def _ensure_postgis(conn: Connection) -> None:
    """Create PostGIS if the server has it; otherwise say in one sentence what to install."""
    installed = conn.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'postgis'")).first()
    if installed:
        return
    available = conn.execute(text("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")).first()
    if not available:
        raise DatabaseSetupError(
            "PostGIS is not installed on this PostgreSQL server: install it there "
            "(on Debian 12: apt-get install postgresql-15-postgis-3) and run `phusong db migrate` again."
        )
    try:
        with conn.begin_nested():
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    except DBAPIError as exc:
        raise DatabaseSetupError(
            "PostGIS is available on the server but this user may not create it: ask the database owner to run "
            f"CREATE EXTENSION postgis; in this database ({_first_line(exc)})."
        ) from exc


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
