"""Which message ids the inbox has seen, without a database read: a Bloom filter in memory.

Why: an accepted push must be told apart from a re-delivery before its 202, and the durable inbox
answers that only with a DuckDB read (or commit) on every push. The filter answers "never seen" for
almost every new id in microseconds; "maybe seen" sends the push the careful way, through the
database (so a false positive costs time, never a wrong answer). It never forgets an id it was given,
and it grows as ids come in: each time the newest filter is full, another of twice its size is added.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable

__all__ = ["SeenIds"]

DEFAULT_CAPACITY = 1_000_000
FALSE_POSITIVE_RATE = 0.001


class _Filter:
    """One fixed-size Bloom filter for `capacity` ids at `rate` false positives."""

    def __init__(self, capacity: int, rate: float):
        self.capacity = capacity
        self.size = max(64, math.ceil(-capacity * math.log(rate) / math.log(2) ** 2))
        self.hashes = max(1, round(self.size / capacity * math.log(2)))
        self.bits = bytearray((self.size + 7) // 8)
        self.count = 0

    def positions(self, message_id: str) -> list[int]:
        digest = hashlib.blake2b(message_id.encode("utf-8"), digest_size=16).digest()
        first, step = int.from_bytes(digest[:8], "little"), int.from_bytes(digest[8:], "little") | 1
        return [(first + i * step) % self.size for i in range(self.hashes)]

    def add(self, message_id: str) -> None:
        for p in self.positions(message_id):
            self.bits[p >> 3] |= 1 << (p & 7)
        self.count += 1

    def __contains__(self, message_id: str) -> bool:
        bits = self.bits
        return all(bits[p >> 3] & (1 << (p & 7)) for p in self.positions(message_id))


class SeenIds:
    """Message ids seen so far; `id in seen` is False only for an id never added (no false negatives).

    >>> seen = SeenIds(["m-1", "m-2"], capacity=1000)
    >>> "m-1" in seen, "m-3" in seen
    (True, False)
    >>> seen.add("m-3"); "m-3" in seen
    True
    """

    def __init__(self, ids: Iterable[str] = (), *, capacity: int = DEFAULT_CAPACITY,
                 rate: float = FALSE_POSITIVE_RATE):
        """`capacity`: ids the first filter holds at `rate` false positives (later ones are twice as big)."""
        self._rate = rate
        self._filters = [_Filter(capacity, rate)]
        for message_id in ids:
            self.add(message_id)

    def add(self, message_id: str) -> None:
        """Remember `message_id` (adding an id twice is harmless)."""
        newest = self._filters[-1]
        if newest.count >= newest.capacity:
            newest = _Filter(newest.capacity * 2, self._rate)
            self._filters.append(newest)
        newest.add(message_id)

    def __contains__(self, message_id: object) -> bool:
        return isinstance(message_id, str) and any(message_id in f for f in self._filters)

    def __len__(self) -> int:
        """How many ids were added (a repeated id counts again)."""
        return sum(f.count for f in self._filters)

    @property
    def memory_bytes(self) -> int:
        """The filters' size in memory (about 1.8 MB per million ids)."""
        return sum(len(f.bits) for f in self._filters)
