"""Items pages kept ready gzipped, for the collections whose data has a version (issue 19: a national
`communes` read with gzip in < 3 s, as GDAL, QGIS and requests ask for it).

A page is made once — the query, the FeatureCollection around its features, gzip at level 1 — and kept in this
process's memory and in the cache the web processes of the machine share (app/live_gis/shared_tiles.py), under
a key of everything the bytes depend on: the collection and its query's text, the data version
(sql/queries/ogc_commune_data_version.sql, read for every request, so a page is never served after its data
changed), the links' root, the query parameters and the user's scope (whole country or the scope codes: two users
of different scopes never share a page). It is sent as it is kept to a client that accepts gzip, unpacked on the
way out to one that does not; its ETag is a hash of the key, so If-None-Match is answered 304 without the page.

A client reading a collection follows `next` page after page and parses each before asking the next (GDAL's
OAPIF driver, QGIS, owslib). While it parses one page the server is idle; so when a page has a next page, that
page is made in the background (one at a time per process) and kept, and the client's request for it finds it
ready or waits for the making already under way instead of starting another.
"""

from __future__ import annotations

import hashlib
import logging
import struct
import zlib
from collections.abc import Callable, Hashable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from app.auth import User
from app.live_gis import shared_tiles
from app.live_gis.cache import MadeOnce, TtlCache
from app.live_gis.collections import Collection
from app.live_gis.replica import read_connect
from sql import queries

PAGE_TTL_S = 15 * 60   # kept this long at most (a version moves on at the next change anyway): bounds the disk
PAGE_FORMAT = 1        # moved on whenever the page's bytes are put together differently in Python
GZIP_LEVEL = 1         # level 1 packs national GeoJSON to 32 % at a fifth of level 6's time
CHUNK = 1 << 20

# (ETag, gzipped FeatureCollection, offset of the next page or None)
Page = tuple[str, bytes, int | None]
_PAGES: TtlCache[Page] = TtlCache(ttl_s=PAGE_TTL_S, max_bytes=96 * 1024 * 1024)
_MAKING: MadeOnce[Page] = MadeOnce(wait_s=120)  # a request waits at most 120 s for its page's making under way
_AHEAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="items-ahead")
_PACKER = ThreadPoolExecutor(max_workers=2, thread_name_prefix="items-gzip")
_log = logging.getLogger(__name__)
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # deflate, no name, no time, unknown OS (RFC 1952)


@dataclass(frozen=True)
class PageRequest:
    """What one items page is made of: the page's bytes depend on nothing else."""

    collection: Collection
    root: str                          # the /ogcapi URL the links start with
    args: tuple[tuple[str, str], ...]  # the query parameters (first value of each), sorted
    offset: int
    user: User
    version: str                       # the data version read for this request

    def key(self) -> tuple[Hashable, ...]:
        sql = hashlib.sha256(queries.load(self.collection.items_query).text.encode()).hexdigest()[:16]
        return ("items", PAGE_FORMAT, sql, self.collection.id, self.version, self.root, self.args, self.offset,
                self.user.whole_country, self.user.scope_codes)

    def etag(self) -> str:
        return hashlib.sha256(repr(self.key()).encode()).hexdigest()[:32]


# What makes a page: the FeatureCollection's parts and the offset of the next page (None on the last).
Maker = Callable[[PageRequest], tuple[list[bytes], int | None]]


def data_version(version_query: str) -> str:
    """The version of the data a collection's pages are made of (sql/queries/<version_query>.sql), read now."""
    with read_connect() as conn:
        return str(conn.execute(queries.load(version_query)).scalar_one())


def page(request: PageRequest, make: Maker) -> tuple[Page, bool]:
    """(the page, whether it was kept already); the next page is then made ahead in the background."""
    found = kept(request)
    made = found or _make_once(request, make)
    if made[2] is not None:
        ahead = replace(request, offset=made[2])
        _AHEAD.submit(make_kept, ahead, make)
    return made, found is not None


def kept(request: PageRequest) -> Page | None:
    """The page when this process or another one of the machine keeps it, else None (nothing is made)."""
    found: Page | None = shared_tiles.through(_PAGES, request.key(), lambda page: len(page[1]) + 200)
    return found


def unpacked(gzipped: bytes) -> Iterator[bytes]:
    """The page for a client that does not accept gzip, unpacked a megabyte at a time."""
    unpacker = zlib.decompressobj(wbits=31)
    yield from filter(None, (unpacker.decompress(chunk) for chunk in in_chunks(gzipped)))  # no empty chunk
    yield unpacker.flush()


def in_chunks(data: bytes) -> Iterator[memoryview]:
    """``data`` a megabyte at a time, without copying it."""
    view = memoryview(data)
    return (view[start:start + CHUNK] for start in range(0, len(view), CHUNK))


def _make_once(request: PageRequest, make: Maker) -> Page:
    """Make the page, or wait for this process's making of it already under way (made ahead, or by another
    thread asking at the same time)."""
    key = request.key()

    def make_and_keep() -> Page:
        parts, next_offset = make(request)
        made: Page = (request.etag(), gzipped(b"".join(parts)), next_offset)
        _PAGES.put(key, made, len(made[1]) + 200)
        _AHEAD.submit(shared_tiles.put, key, made, PAGE_TTL_S)  # writing megabytes to SQLite: not on the way out
        return made

    return _MAKING.made(key, make_and_keep)


def gzipped(data: bytes) -> bytes:
    """gzip of ``data``; from a megabyte on, its two halves packed at once on two threads (zlib lets go of the
    interpreter lock while it packs) as pigz does: each half a raw deflate stream of its own, the first ended on a
    byte boundary by a sync flush instead of a last block, then one gzip header and trailer around both. The
    client waiting for a page not kept yet waits for half the packing."""
    if len(data) < CHUNK:
        packer = zlib.compressobj(level=GZIP_LEVEL, wbits=31)
        return packer.compress(data) + packer.flush()
    view, half = memoryview(data), len(data) // 2
    first = _PACKER.submit(_deflate, view[:half], zlib.Z_SYNC_FLUSH)
    second = _deflate(view[half:], zlib.Z_FINISH)
    trailer = struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)
    return b"".join((GZIP_HEADER, first.result(), second, trailer))


def _deflate(data: memoryview, end: int) -> bytes:
    packer = zlib.compressobj(level=GZIP_LEVEL, wbits=-15)
    return packer.compress(data) + packer.flush(end)


def make_kept(request: PageRequest, make: Maker) -> None:
    """Make the page and keep it unless it is kept already (in the background: the next page of one a client
    reads, or a page made again after its data changed, app/live_gis/ahead.py)."""
    # A failure here (the database gone meanwhile) is for the client's own request to report, if it comes; logged.
    try:
        if kept(request) is None:
            _make_once(request, make)
    except Exception:
        _log.warning("items page %s offset %d not made ahead", request.collection.id, request.offset, exc_info=True)
