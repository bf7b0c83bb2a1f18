"""A thread-safe store of the most recently used results, for the page's caches."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable


class Recent[K: Hashable, V]:
    """The last ``size`` results by key, least recently used dropped first.

    The page's background threads read and fill it, so every access takes a lock; a result is
    computed outside the lock (two threads may compute the same one, and the last one kept).
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """Return the result kept for ``key`` (now the most recently used), or None."""
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: K, value: V) -> V:
        """Keep ``value`` for ``key``, dropping the least recently used beyond the size."""
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value

    def __len__(self) -> int:
        """Return how many results are kept."""
        with self._lock:
            return len(self._items)
