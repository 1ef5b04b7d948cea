"""Answers the web processes make once and share (issue 22): what depends only on the user's scope, the request's
parameters and a data version (migration 0255) — the coverage map's outlines, the communes' classes and NTM
verdicts.

Kept in the tile cache the processes of the machine already share (app/live_gis/shared_tiles.py, diskcache: one
kind of cache), behind a small cache of this process. The key always holds the user's scope (whole country, scope
codes) and the version of the data the answer reads, taken before that data (sql/queries/data_version.sql): two
users of different scopes never get each other's answer, and a change to what the answer shows makes a new key,
so a kept answer is never older than the data a request would read. Entries of an older version age out.
While one thread of a process makes an answer, the others asking for it wait for it rather than make it again.
"""

from __future__ import annotations

import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection

from app.auth import User
from app.live_gis import shared_tiles
from sql import queries

T = TypeVar("T")
KEPT_S = 3600           # how long the shared cache keeps an answer (a newer data version replaces it sooner)
LOCAL_ANSWERS = 24      # answers this process keeps decoded (a national collection is ~10 MB of objects)
_KIND = "answer"        # the first half of a shared value, beside the tiles' ETags
_local: OrderedDict[Hashable, Any] = OrderedDict()
_making: dict[Hashable, threading.Lock] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class DataVersion:
    """Per topic of migration 0255, a number that grows with every committed change; and the coverage version
    the pages poll (latest run, communes waiting)."""
    boundaries: int
    coverage: int
    scenarios: int
    last_run: int
    stale: int

    def everything(self) -> str:
        return f"{self.boundaries}.{self.coverage}.{self.scenarios}.{self.last_run}.{self.stale}"


def data_version(conn: Connection) -> DataVersion:
    """The data versions as of ``conn``'s next statement: read them before the data they key."""
    row = conn.execute(queries.load("data_version")).mappings().one()
    return DataVersion(**{k: int(v) for k, v in row.items()})


def scope_key(user: User) -> tuple[bool, tuple[str, ...]]:
    """The part of every key that says whose answer it is: the user's whole scope."""
    return user.whole_country, tuple(sorted(user.scope_codes))


def answer(name: str, user: User, parameters: Hashable, version: Hashable, make: Callable[[], T]) -> T:
    """The answer ``name`` for ``user``'s scope, ``parameters`` and data ``version``: kept by this process, or
    by another process of the machine, or made now by ``make`` and kept for both. Callers must not change it."""
    key = ("phusong-answer", name, scope_key(user), parameters, version)
    found = _kept(key)
    if found is not None:
        return found[0]  # type: ignore[no-any-return]
    with _lock:
        making = _making.setdefault(key, threading.Lock())
    with making:
        found = _kept(key)  # made by another thread while this one waited
        if found is not None:
            return found[0]  # type: ignore[no-any-return]
        shared = shared_tiles.get(key)
        if shared is not None and shared[0][0] == _KIND:
            value: T = pickle.loads(shared[0][1])
        else:
            value = make()
            shared_tiles.put(key, (_KIND, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)), KEPT_S)
        with _lock:
            _local[key] = value
            while len(_local) > LOCAL_ANSWERS:
                _local.popitem(last=False)
            _making.pop(key, None)
    return value


def _kept(key: Hashable) -> tuple[Any] | None:
    with _lock:
        if key in _local:
            _local.move_to_end(key)
            return (_local[key],)
    return None
