"""The tile cache the web processes of one machine share: diskcache (SQLite, under out/tile-cache/), behind each
process's memory cache (app/live_gis/tiles.py); the items pages kept gzipped (app/live_gis/pages.py) are kept
in it too, under keys of their own (starting with "items").

With `phusong serve --workers 2`, a tile made by one process was cold again in the other: the first warm pass of
bench.live_gis found half its tiles missing. A tile is kept here with the stamp of the versions it was made under
(checked by every process against the versions read for its request), or, without versions, as long as in memory
(``TILE_TTL_S`` from when it was made, not from when another process copied it).

One directory per database (a hash of its URL), so two databases on one machine (the demo and a bench, the
tests' clusters) never see each other's tiles. A failure of the disk cache (a locked or broken file) is a miss:
the tile is made from PostgreSQL as without it.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from collections.abc import Callable, Hashable
from functools import lru_cache
from typing import Any

import diskcache

from app.live_gis.cache import TtlCache
from app.live_gis.replica import READ_URL_ENV
from sql.settings import get_settings

SIZE_LIMIT = 512 * 1024 * 1024
_FAILURES = (diskcache.Timeout, sqlite3.Error, OSError)


def get(key: Hashable) -> tuple[Any, float] | None:
    """(value, seconds it stays fresh) for ``key`` when another process (or this one) made it, else None."""
    try:
        found = _cache(_directory()).get(key, expire_time=True)
    except _FAILURES:
        return None
    value, expires = found if isinstance(found, tuple) else (None, None)
    if value is None or expires is None:
        return None
    left = expires - time.time()
    return (value, left) if left > 0 else None


def through(memory: TtlCache[Any], key: Hashable, weight: Callable[[Any], int]) -> Any:
    """The value for ``key`` in this process's ``memory``, else the one another process kept here (then copied
    into ``memory`` for as long as it stays fresh), else None."""
    found = memory.get(key)
    if found is None:
        shared = get(key)
        if shared is not None:
            found, fresh_s = shared
            memory.put(key, found, weight(found), fresh_s)
    return found


def put(key: Hashable, value: Any, ttl_s: float) -> None:
    try:
        _cache(_directory()).set(key, value, expire=ttl_s)
    except _FAILURES:
        return


def claim(key: Hashable, ttl_s: float) -> bool:
    """True for the first process of the machine to claim ``key`` in the last ``ttl_s`` seconds (so one of them
    does a piece of background work); True too when the shared cache fails (then each process does it)."""
    try:
        return bool(_cache(_directory()).add(key, True, expire=ttl_s))
    except _FAILURES:
        return True


def _directory() -> str:
    settings = get_settings()
    source = os.environ.get(READ_URL_ENV) or settings.sqlalchemy_url
    return str(settings.out_dir / "tile-cache" / hashlib.sha256(source.encode()).hexdigest()[:16])


@lru_cache(maxsize=4)
def _cache(directory: str) -> diskcache.Cache:
    # Tiles kept inside SQLite (up to 4 MB) rather than one file each; a writer waits at most 1 s for the lock.
    return diskcache.Cache(directory, size_limit=SIZE_LIMIT, eviction_policy="least-recently-stored",
                           disk_min_file_size=4 * 1024 * 1024, timeout=1)
