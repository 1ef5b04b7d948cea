"""Shared fixtures: a real PostgreSQL + PostGIS that the suite starts itself, migrated from sql/migrations.

With PHUSONG_TEST_DATABASE_URL set, the suite uses that server instead (it must allow CREATE DATABASE).
Each session gets a fresh database; `db_conn` wraps each test in a transaction that is rolled back.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, create_engine, text

from app.coverage_refresh import REFRESHER
from app.live_gis.ahead import WATCHER as AHEAD_WATCHER
from sql import cluster
from sql.migrate import migrate
from sql.settings import PROJECT_ROOT, get_settings, to_psycopg2_url


def find_shared_data(root: Path, environ: dict[str, str] | os._Environ[str]) -> Path:
    """Where the national data is: PHUSONG_SHARED_DATA, else ``shared/data`` beside the clone (CI's clean clone
    at /work/<x>/ has /work/shared) or beside a folder above it (a worktree at /work/wt/<branch>/)."""
    if environ.get("PHUSONG_SHARED_DATA"):
        return Path(environ["PHUSONG_SHARED_DATA"])
    beside = [parent / "shared" / "data" for parent in root.parents]
    return next((p for p in beside if (p / "admin_2025").is_dir()), beside[0])


SHARED_DATA = find_shared_data(PROJECT_ROOT, os.environ)
GIS_DATA = PROJECT_ROOT / "gis_data"


@pytest.fixture(scope="session")
def postgis_server() -> Iterator[str]:
    """A libpq URL (without database) of a running PostGIS server: the given one, or a throwaway cluster."""
    given = os.environ.get("PHUSONG_TEST_DATABASE_URL")
    if given:
        yield given.rsplit("/", 1)[0]
        return
    with cluster.throwaway("phusong-test-pg-") as port:
        yield f"postgresql://postgres@127.0.0.1:{port}"


def _create_database(server: str, *, template: str | None = None) -> str:
    name = f"phusong_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(to_psycopg2_url(f"{server}/postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            # Names are ours, made here from hex digits; identifiers cannot be bound parameters.
            suffix = f' TEMPLATE "{template}"' if template else ""
            conn.execute(text(f'CREATE DATABASE "{name}"{suffix}'))
    finally:
        admin.dispose()
    return name


def _drop_database(server: str, name: str) -> None:
    admin = create_engine(to_psycopg2_url(f"{server}/postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(scope="session")
def migrated_template(postgis_server: str) -> Iterator[str]:
    """A database with every migration applied, used as the template of the test databases."""
    name = _create_database(postgis_server)
    engine = create_engine(to_psycopg2_url(f"{postgis_server}/{name}"))
    migrate(engine)
    engine.dispose()
    try:
        yield name
    finally:
        _drop_database(postgis_server, name)


@pytest.fixture(scope="session")
def fresh_database(postgis_server: str, migrated_template: str) -> Iterator[Callable[[], str]]:
    """A factory of fresh, migrated databases (copies of the template; dropped at the end of the session)."""
    made: list[str] = []

    def make() -> str:
        made.append(_create_database(postgis_server, template=migrated_template))
        return to_psycopg2_url(f"{postgis_server}/{made[-1]}")

    yield make
    for name in made:
        _drop_database(postgis_server, name)


@pytest.fixture(scope="session")
def postgis_url(fresh_database: Callable[[], str]) -> str:
    """The session's migrated database, for tests that roll back (db_conn)."""
    return fresh_database()


@pytest.fixture(scope="session")
def engine(postgis_url: str) -> Iterator[Engine]:
    eng = create_engine(postgis_url)
    yield eng
    eng.dispose()


@pytest.fixture()
def db_conn(engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction that is rolled back after the test: nothing leaks between tests."""
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            yield conn
        finally:
            transaction.rollback()


@pytest.fixture(autouse=True)
def no_refresher_outlives_its_test() -> Iterator[None]:
    """A save in the app in this process wakes the coverage thread; left running, it would poll a database the test
    let go (the default port, after monkeypatch) and log a traceback every few seconds — and on Python 3.11 that
    formatting parses source in the thread, which breaks an ast.parse running at the same time (CPython gh-106905).
    The same for the thread that makes items pages ahead (app/live_gis/ahead.py), which logs a failed look."""
    yield
    REFRESHER.stop()
    AHEAD_WATCHER.stop()


@pytest.fixture()
def use_database(fresh_database: Callable[[], str], monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point phusong's settings (CLI, app) at a database of this test's own: what it commits stays there."""
    url = fresh_database()
    monkeypatch.setenv("PHUSONG_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real national data beside the repository (../shared/data)."""
    return require_shared_data(SHARED_DATA, os.environ)


def require_shared_data(path: Path, environ: dict[str, str] | os._Environ[str]) -> Path:
    """``path`` if it holds the national data; else skip saying why, or fail where it is required (CI)."""
    if not (path / "admin_2025").is_dir():
        why = (f"national-data test not run: no {path / 'admin_2025'} (put the shared data beside the clone "
               "or set PHUSONG_SHARED_DATA)")
        if environ.get("PHUSONG_REQUIRE_SHARED_DATA"):  # CI (.ci/run): a missing input fails, never skips
            pytest.fail(why, pytrace=False)
        # An absent input, not a failure of ours; -ra (pyproject addopts) lists this reason in the summary.
        pytest.skip(why)
    return path
