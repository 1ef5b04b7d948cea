"""`phusong db dump` then `restore` into an empty database round-trips every table."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from app.cli import main
from etl.boundaries import load_boundaries
from sql.engine import connect, get_engine
from sql.settings import PROJECT_ROOT, get_settings, to_psycopg2_url

pytestmark = pytest.mark.db


def _table_counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            tables = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                                       "ORDER BY tablename")).scalars().all()
            return {t: int(conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one()) for t in tables}  # noqa: S608 (names from the catalogue)
    finally:
        engine.dispose()


def test_dump_and_restore_round_trip(use_database: str, postgis_server: str, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    with connect(get_engine()) as conn:
        load_boundaries(conn, PROJECT_ROOT / "gis_data/dien_bien/province_2025.geojson", version="2025")
    dump_file = tmp_path / "phusong.dump"
    assert main(["db", "dump", str(dump_file)]) == 0
    before = _table_counts(use_database)

    empty = f"phusong_restore_{uuid.uuid4().hex[:8]}"
    admin = create_engine(to_psycopg2_url(f"{postgis_server}/postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{empty}"'))
    try:
        restored_url = to_psycopg2_url(f"{postgis_server}/{empty}")
        monkeypatch.setenv("PHUSONG_DATABASE_URL", restored_url.replace("postgresql+psycopg2://", "postgresql://"))
        get_settings.cache_clear()
        assert main(["db", "restore", str(dump_file)]) == 0
        after = _table_counts(restored_url)
        assert after == before
        assert after["admin_unit"] >= 1 and after["schema_migrations"] >= 10
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{empty}" WITH (FORCE)'))
        admin.dispose()
