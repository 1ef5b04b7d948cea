"""What the app benchmarks share: a throwaway migrated database (or the one PHUSONG_BENCH_DATABASE_URL names)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text

from sql import cluster
from sql.migrate import migrate
from sql.settings import to_psycopg2_url


@contextmanager
def bench_database(prepare: Callable[[str], None]) -> Iterator[str]:
    """Yield a database URL: the given one as it is, or a private cluster's migrated database after ``prepare``."""
    given = os.environ.get("PHUSONG_BENCH_DATABASE_URL")
    if given:
        yield to_psycopg2_url(given)
        return
    with cluster.throwaway("phusong-bench-pg-") as port:
        admin = create_engine(f"postgresql+psycopg2://postgres@127.0.0.1:{port}/postgres",
                              isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text('CREATE DATABASE "phusong_bench"'))
        admin.dispose()
        url = f"postgresql+psycopg2://postgres@127.0.0.1:{port}/phusong_bench"
        engine = create_engine(url)
        migrate(engine)
        engine.dispose()
        prepare(url)
        yield url
