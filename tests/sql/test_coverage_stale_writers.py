"""Migration 0300: a commune's coverage_stale row stays while a refresher recomputes it and is cleared only if its
mark did not move. A writer that meets an existing row with ON CONFLICT DO NOTHING leaves the mark alone, and the
refresher then clears a change it never saw: every writer must bump the mark (ON CONFLICT (commune_code) DO UPDATE
SET mark = nextval('coverage_stale_mark_seq')). Checked for the query files and every function in the database."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

QUERIES = Path(__file__).resolve().parents[2] / "sql" / "queries"
WRITES = re.compile(r"insert\s+into\s+coverage_stale\b", re.IGNORECASE)
BUMPS = re.compile(r"do\s+update\s+set\s+mark\s*=\s*nextval\('coverage_stale_mark_seq'\)", re.IGNORECASE)


def test_every_query_that_marks_a_commune_stale_bumps_its_mark() -> None:
    writers = [p for p in sorted(QUERIES.glob("*.sql")) if WRITES.search(p.read_text(encoding="utf-8"))]
    assert writers  # communes_marked_stale.sql, upserted_commune_groups.sql...
    for path in writers:
        source = path.read_text(encoding="utf-8")
        assert len(WRITES.findall(source)) == len(BUMPS.findall(source)), path.name


@pytest.mark.db
def test_every_function_that_marks_a_commune_stale_bumps_its_mark(db_conn: Connection) -> None:
    functions = db_conn.execute(text(
        "SELECT proname, prosrc FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname = 'public' AND prosrc ~* 'insert\\s+into\\s+coverage_stale'")).all()
    assert {name for name, _ in functions} >= {"mark_coverage_stale", "mark_commune_coverage_stale",
                                               "mark_all_coverage_stale"}
    for name, source in functions:
        assert len(WRITES.findall(source)) == len(BUMPS.findall(source)), name
