"""The dashboard caches' store of recent results: least recently used dropped first."""

from __future__ import annotations

import threading

from sim.dashboard.recent import Recent


def test_the_least_recently_used_result_is_dropped_first():
    recent: Recent[str, int] = Recent(2)
    recent.put("a", 1)
    recent.put("b", 2)
    assert recent.get("a") == 1  # "a" is now the most recently used
    recent.put("c", 3)
    assert recent.get("b") is None
    assert (recent.get("a"), recent.get("c"), len(recent)) == (1, 3, 2)


def test_putting_a_key_again_replaces_its_result_and_keeps_the_size():
    recent: Recent[str, int] = Recent(2)
    recent.put("a", 1)
    recent.put("a", 5)
    assert (recent.get("a"), len(recent)) == (5, 1)


def test_threads_filling_it_at_once_keep_it_within_its_size():
    recent: Recent[int, int] = Recent(8)

    def fill(offset: int) -> None:
        for k in range(200):
            recent.put(offset + k, k)
            recent.get(offset + k // 2)

    threads = [threading.Thread(target=fill, args=(1000 * t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(recent) == 8
