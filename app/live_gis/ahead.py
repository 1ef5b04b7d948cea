"""Items pages made again as soon as their data changes, for the pages clients asked in the last day (issue 19:
the first national `communes` read after a recompute or a load found no page kept and waited for the server to
make page 1 — 0.3–0.7 s of a read whose client parses for ~2.3 s, and GDAL's first request of 20 features too).

Each web process remembers the items pages it was asked (the page's request without its data version: collection,
links' root, parameters, offset and the user's scope — whole country or the scope codes) with when they were last
asked, at most ``MOST_ASKED`` of them, forgotten after ``ASKED_FOR_S``; those asked twice, or read by following
`next`, are made ahead (see ``asked``). A thread of the process reads the data
version every ``WATCH_S`` seconds while it remembers any; when the version has moved and then stayed the same for
one more look (a stream of saves does not make the pages again after each one), it makes every remembered page
under the new version — first pages first, then the most recently asked — and keeps it (memory and the cache the
web processes share, app/live_gis/pages.py). The web processes of a machine share the work: a page is claimed in
the shared cache before it is made, and a page already kept (a client asked it meanwhile) is not made again.

``WATCHER.stop()`` ends the thread (whoever points the process at another database: the tests); a failed look is
logged (at most once a minute while it keeps failing) and tried again at the next one.

Nothing here widens what anyone sees: a page is made for the scope it was asked with and kept under that scope's
key, and every request still goes through the token check, the role check and its own scope's key.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import replace

from app.live_gis import pages, shared_tiles

ASKED_FOR_S = 24 * 3600   # a page nobody asked for a day is not made ahead any more
MOST_ASKED = 512          # pages remembered per process (the most recently asked; a QGIS pan's bbox pages too)
WATCH_S = 1.0             # how often the data version is read while any page is remembered (~1 ms a look)
CLAIM_S = 120             # a claim to make a page lasts this long (a process that died while making it)
LOG_EVERY_S = 60          # a look that keeps failing is logged once a minute, not every second
_log = logging.getLogger(__name__)

# identity of a page -> (when last asked, the request, whether it is worth making ahead)
_ASKED: OrderedDict[Hashable, tuple[float, pages.PageRequest, bool]] = OrderedDict()
_LOCK = threading.Lock()


class Watcher:
    """This process's thread that makes the remembered pages again after a change (started on first use)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def start(self, make: pages.Maker) -> None:
        """Start the thread unless it runs (after the web server forked its processes: one per process)."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._stop = threading.Event()
                self._thread = threading.Thread(target=_watch, args=(make, self._stop), name="items-made-ahead",
                                                daemon=True)
                self._thread.start()

    def stop(self, timeout_s: float = 30.0) -> None:
        """End the thread after the page it is making, if any."""
        with self._lock:
            thread, stop = self._thread, self._stop
            self._thread = None
        if thread is not None:
            stop.set()
            thread.join(timeout_s)


WATCHER = Watcher()


def asked(request: pages.PageRequest, make: pages.Maker) -> None:
    """Remember that a client asked this page now (under any data version); the first time, start this process's
    watcher (after the web server forked its processes: one per process).

    A page is worth making ahead once it was asked twice in the last day (a layer someone comes back to) or is
    part of a read that followed `next` (a whole-layer read: GDAL, QGIS, a script), then its first page too; a
    page asked once (a QGIS pan's bbox) is only remembered, so a change does not make dozens of one-off pages."""
    identity = _identity(request)
    with _LOCK:
        before = _ASKED.pop(identity, None)
        _ASKED[identity] = (time.monotonic(), request, before is not None or request.offset > 0)
        if request.offset > 0:
            first = _identity(replace(request, offset=0))
            if first in _ASKED:
                when, page_1, _ = _ASKED[first]
                _ASKED[first] = (when, page_1, True)
        while len(_ASKED) > MOST_ASKED:
            _ASKED.popitem(last=False)
    WATCHER.start(make)


def _identity(request: pages.PageRequest) -> Hashable:
    return replace(request, version="").key()


def _remembered() -> list[pages.PageRequest]:
    """The pages worth making ahead asked in the last day, the most recently asked first (older ones
    forgotten)."""
    oldest = time.monotonic() - ASKED_FOR_S
    with _LOCK:
        for key in [k for k, (when, _, _) in _ASKED.items() if when < oldest]:
            del _ASKED[key]
        return [request for _, request, worth in reversed(_ASKED.values()) if worth]


def _watch(make: pages.Maker, stop: threading.Event) -> None:
    made_for: dict[str, str] = {}   # version query -> the version the remembered pages were last made under
    seen: dict[str, str] = {}       # version query -> the version read at the last look
    logged = -float(LOG_EVERY_S)
    while not stop.wait(WATCH_S):
        try:
            _look(make, made_for, seen, stop)
        except Exception:  # the database away for a moment: look again next time, and say so
            if time.monotonic() - logged >= LOG_EVERY_S:
                logged = time.monotonic()
                _log.exception("items pages not made ahead (tried again every %.0f s)", WATCH_S)


def _look(make: pages.Maker, made_for: dict[str, str], seen: dict[str, str], stop: threading.Event) -> None:
    remembered = _remembered()
    for query in {r.collection.version_query for r in remembered if r.collection.version_query}:
        version = pages.data_version(query)
        steady, seen[query] = seen.get(query) == version, version
        if not steady or made_for.get(query) == version:
            continue
        made_for[query] = version
        # Every client's first page first (then the most recently asked first): a client reading page by page
        # waits for page 1 and parses it while the next ones are made.
        for request in sorted((r for r in remembered if r.collection.version_query == query), key=_offset):
            if stop.is_set():
                return
            _make(replace(request, version=version), make)  # nothing to do for a page kept already


def _offset(request: pages.PageRequest) -> int:
    return request.offset


def _make(request: pages.PageRequest, make: pages.Maker) -> None:
    if pages.kept(request) is not None or not shared_tiles.claim(("made ahead", *request.key()), CLAIM_S):
        return
    pages.make_kept(request, make)
