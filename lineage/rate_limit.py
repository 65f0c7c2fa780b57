"""A thread-safe token bucket: every DataWorks call takes one token, so all sync threads together
stay within the account's requests-per-second. When the server throttles anyway, the bucket halves its
rate (at most once per second) and creeps back up with each success (AIMD), so a sync converges on
what the server allows instead of hammering it. Clock and sleep are injectable for tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["TokenBucket"]


class TokenBucket:
    """`rate` tokens per second, at most `burst` saved up. `acquire()` blocks until one is free.

    >>> clock = [0.0]
    >>> bucket = TokenBucket(rate=10, burst=1, clock=lambda: clock[0], sleep=lambda s: clock.__setitem__(0, clock[0] + s))
    >>> for _ in range(3): bucket.acquire()
    >>> round(clock[0], 3)
    0.2
    """

    def __init__(self, rate: float, burst: float = 1.0, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.max_rate = float(rate)
        self.rate = float(rate)
        self._last_slow_down = float("-inf")
        self.burst = max(1.0, float(burst))
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = self.burst
        self._updated = clock()
        self._paused_until = 0.0

    def acquire(self) -> None:
        """Take one token, sleeping outside the lock until it is due."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            self._tokens -= 1.0
            wait = max(-self._tokens / self.rate, self._paused_until - now)
        if wait > 0:
            self._sleep(wait)

    def slow_down(self) -> None:
        """The server throttled a call: halve the rate, once per second however many threads saw it."""
        with self._lock:
            now = self._clock()
            if now - self._last_slow_down >= 1.0:
                self._last_slow_down = now
                self.rate = max(self.max_rate / 64, self.rate / 2)

    def speed_up(self) -> None:
        """A call went through: win back 1/50 of the configured rate, up to it."""
        if self.rate < self.max_rate:
            with self._lock:
                self.rate = min(self.max_rate, self.rate + self.max_rate / 50)

    def pause(self, seconds: float) -> None:
        """Hold every caller back for `seconds` (the server said it is throttling us)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)
