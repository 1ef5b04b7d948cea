"""Named SQL queries kept as files in sql/queries/<what_it_returns>.sql, loaded once."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from sqlalchemy import TextClause, text

QUERY_DIR = Path(__file__).resolve().parent / "queries"


@cache
def load(name: str) -> TextClause:
    """Return the query ``name`` (file ``sql/queries/<name>.sql``) with its named bind parameters."""
    path = QUERY_DIR / f"{name}.sql"
    if not path.is_file():
        raise KeyError(f"no query named {name!r} in {QUERY_DIR}")
    return text(path.read_text(encoding="utf-8"))
