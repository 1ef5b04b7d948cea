"""The versions a kept vector tile is checked against, read for every tile request (issue 22: tiles kept until what
they show changes, instead of made again every 60 s whether anything changed or not).

sql/queries/ogc_tile_versions.sql gives, per province, the sum of tile_change's weights (migrations 0291, 0292:
every statement writing coverage_commune adds, per province, the hashes of what the tiles show of the rows it
writes and subtracts those of the rows it removes, so the sum moves when a shown value changes, and a recompute
that stores the same values again leaves it) and the boundaries' weight of data_change (every tile). A tile is
kept with the provinces it shows and their versions when it was made (``stamp``); it is served while they have not
moved, so a changed commune's tiles are made again at the next request, and the tiles of every other province
stay kept.

Read on one connection per process, kept open, the query prepared on it (no pool checkout, no pre-ping, no
parsing or planning: one round trip, ~0.1 ms of the server's time), and shared by the threads asking at the same
moment: a request waits for a read that started after it arrived — never one under
way already, which could have missed a change committed just before the request — and every thread waiting for
that read takes its answer. A failed read (the database away) is None: the tile is then made as if not kept.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterable

import psycopg2
from sqlalchemy.engine import make_url

from app.live_gis.replica import READ_URL_ENV
from sql import queries
from sql.settings import get_settings

_log = logging.getLogger(__name__)
BOUNDARIES = "*"   # the boundaries' version: outlines and names, every tile
EVERYWHERE = ""    # rows of no province (a TRUNCATE of coverage_commune): every tile
DATABASE = ("#cluster", "#database")  # which database: one made again under the same URL starts from zero

Versions = dict[str, int]
Stamp = tuple[int, ...]


def stamp(provinces: Iterable[str], versions: Versions) -> Stamp:
    """What a tile showing ``provinces`` depends on under ``versions``: equal stamps, same tile."""
    every_tile = (versions.get(k, 0) for k in (*DATABASE, BOUNDARIES, EVERYWHERE))
    return (*every_tile, *(versions.get(p, 0) for p in provinces))


class _Reader:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._started = self._finished = 0
        self._reading = False
        self._value: Versions | None = None
        self._conn: object = None
        self._identity: Versions = {}
        self._opened_for: tuple[int, str] = (0, "")  # the process and the database URL it was opened for

    def current(self) -> Versions | None:
        with self._cond:
            wanted = self._started + 1  # a read that starts from now on
            while self._finished < wanted:
                if not self._reading:
                    self._reading, self._started = True, self._started + 1
                    mine = self._started
                    break
                self._cond.wait()
            else:
                return self._value
        value = None
        try:
            value = self._read()
        finally:
            with self._cond:
                self._reading, self._value, self._finished = False, value, mine
                self._cond.notify_all()
        return value

    def _read(self) -> Versions | None:
        try:
            # Never a connection of the process this one was forked from, nor of another database (tests).
            wanted = (os.getpid(), os.environ.get(READ_URL_ENV) or get_settings().sqlalchemy_url)
            if self._conn is None or self._opened_for != wanted:
                self._close()
                self._conn, self._identity = _connect(wanted[1])
                self._opened_for = wanted
            with self._conn.cursor() as cur:  # type: ignore[attr-defined]
                cur.execute(f"EXECUTE {_PREPARED}")
                return {**self._identity, **{str(p): int(v) for p, v in cur.fetchall()}}
        except psycopg2.Error as exc:
            _log.warning("tile versions not read (tiles made again meanwhile): %s", exc)
            self._close()
            return None

    def _close(self) -> None:
        if self._conn is not None and self._opened_for[0] == os.getpid():
            with contextlib.suppress(psycopg2.Error):
                self._conn.close()  # type: ignore[attr-defined]
        self._conn = None


def _connect(database_url: str) -> tuple[object, Versions]:
    """A connection of its own (each read its own snapshot), the versions' query prepared on it (parsed and planned
    once), and the identity of the database it reaches."""
    url = make_url(database_url).set(drivername="postgresql")
    conn = psycopg2.connect(url.render_as_string(hide_password=False), application_name="phusong tile versions")
    conn.autocommit = True
    identity: Versions = {}
    with conn.cursor() as cur:
        cur.execute(f"PREPARE {_PREPARED} AS {queries.load('ogc_tile_versions').text}")
        for query in ("ogc_database_identity", "ogc_cluster_identity"):
            try:
                cur.execute(queries.load(query).text)
            except psycopg2.errors.InsufficientPrivilege:
                continue  # autocommit: the connection goes on
            identity.update((str(p), int(v)) for p, v in cur.fetchall())
    return conn, identity


_PREPARED = "phusong_tile_versions"
_READER = _Reader()


def current() -> Versions | None:
    """The tile versions as committed now (None when they could not be read)."""
    return _READER.current()
