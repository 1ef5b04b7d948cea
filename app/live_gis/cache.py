"""A small in-process cache with a time to live and a byte budget (least recently used goes first), shared by
the threads of one server process."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Generic, TypeVar

V = TypeVar("V")


class TtlCache(Generic[V]):
    """``get_or_make(key, make, size)``: the value made for ``key`` less than ``ttl_s`` ago, else a new one.

    When a value has just expired, the first thread to ask makes the new one and the threads asking meanwhile
    get the expired value instead of waiting or making it too: with a hundred clients a second, an expiry costs
    one query, not one per thread (a value is then at most ``ttl_s`` plus one making behind).
    """

    def __init__(self, *, ttl_s: float, max_bytes: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s, self.max_bytes, self._clock = ttl_s, max_bytes, clock
        self._entries: OrderedDict[Hashable, tuple[float, int, V]] = OrderedDict()
        self._making: set[Hashable] = set()
        self._bytes = 0
        self._generation = 0  # moved on by clear(): a value made before a clear is not kept after it
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        """The value for ``key`` if it is fresh, else None (nothing is made)."""
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] <= now:
                return None
            self._entries.move_to_end(key)
            return entry[2]

    def put(self, key: Hashable, value: V, weight: int, ttl_s: float | None = None) -> None:
        """Keep ``value`` for ``ttl_s`` (the cache's time to live when None), counted as ``weight`` bytes."""
        with self._lock:
            self._store(key, value, weight, self._clock() + (self.ttl_s if ttl_s is None else ttl_s))

    def _store(self, key: Hashable, value: V, weight: int, expires: float) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= old[1]
        self._entries[key] = (expires, weight, value)
        self._bytes += weight
        while self._bytes > self.max_bytes and len(self._entries) > 1:
            _, (_, dropped, _) = self._entries.popitem(last=False)
            self._bytes -= dropped

    def get_or_make(self, key: Hashable, make: Callable[[], V], size: Callable[[V], int]) -> V:
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and (entry[0] > now or key in self._making):
                self._entries.move_to_end(key)
                return entry[2]
            self._making.add(key)
            generation = self._generation
        # Made outside the lock: two threads asking for the same cold key both make it, and nobody waits on a
        # slow query of another key.
        try:
            value = make()
        finally:
            with self._lock:
                self._making.discard(key)
        weight = size(value)
        with self._lock:
            if generation == self._generation:  # not cleared meanwhile (a token revoked): else answer, keep nothing
                self._store(key, value, weight, self._clock() + self.ttl_s)
        return value

    def clear(self) -> None:
        """Forget every entry (a revocation in this process takes effect at once, not after the time to live)."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0
            self._generation += 1


class MadeOnce(Generic[V]):
    """``made(key, make)``: ``make()``'s value, made once in this process for the threads asking for ``key`` at the
    same time: the first makes it, the others wait for it (at most ``wait_s``) instead of making it again."""

    def __init__(self, *, wait_s: float) -> None:
        self.wait_s = wait_s
        self._under_way: dict[Hashable, Future[V]] = {}
        self._lock = threading.Lock()

    def made(self, key: Hashable, make: Callable[[], V]) -> V:
        mine: Future[V] = Future()
        with self._lock:
            under_way = self._under_way.setdefault(key, mine)
        if under_way is not mine:
            return under_way.result(timeout=self.wait_s)
        try:
            value = make()
            mine.set_result(value)
            return value
        except BaseException as exc:
            mine.set_exception(exc)
            raise
        finally:
            with self._lock:
                self._under_way.pop(key, None)
