"""A small in-process cache with a time to live and a byte budget (least recently used goes first), shared by
the threads of one server process."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class TtlCache(Generic[V]):
    """``get_or_make(key, make, size)``: the value made for ``key`` less than ``ttl_s`` ago, else a new one."""

    def __init__(self, *, ttl_s: float, max_bytes: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s, self.max_bytes, self._clock = ttl_s, max_bytes, clock
        self._entries: OrderedDict[Hashable, tuple[float, int, V]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get_or_make(self, key: Hashable, make: Callable[[], V], size: Callable[[V], int]) -> V:
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] > now:
                self._entries.move_to_end(key)
                return entry[2]
        # Made outside the lock: two threads asking for the same cold key both make it, and nobody waits on a
        # slow query of another key.
        value = make()
        weight = size(value)
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._entries[key] = (now + self.ttl_s, weight, value)
            self._bytes += weight
            while self._bytes > self.max_bytes and len(self._entries) > 1:
                _, (_, dropped, _) = self._entries.popitem(last=False)
                self._bytes -= dropped
        return value

    def clear(self) -> None:
        """Forget every entry (a revocation in this process takes effect at once, not after the time to live)."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0
