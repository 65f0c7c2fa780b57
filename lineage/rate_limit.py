"""A thread-safe token bucket that finds the rate the server grants (AIMD): every DataWorks call takes one
token, so all threads together stay within the configured requests per second; when the server throttles
anyway (its quota is below our `rate_limit`), the rate is cut by a factor, and it grows back slowly while
calls go through, so a sync runs close to whatever the account's quota is instead of hammering it or
crawling far below it.

One cut per *congestion event*: `acquire()` returns the bucket's epoch, and a throttled reply cuts the
rate only if its request was sent in the current epoch (the cut starts a new one). The replies to requests
already in flight when the rate was cut carry an old epoch and cut nothing, so N threads throttled at
once cut once, however long their replies take. Clock and sleep are injectable for tests.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["TokenBucket"]

DECREASE = 0.75      # the rate after a cut, as a share of the rate that was throttled
INCREASE = 0.05      # growth per second of successful calls, as a share of the current rate ...
MIN_INCREASE = 0.01  # ... but at least this share of the configured rate (so a low rate recovers)
FLOOR = 1 / 64       # never below this share of the configured rate


class TokenBucket:
    """`rate` tokens per second, at most `burst` saved up. `acquire()` blocks until one is free.

    >>> clock = [0.0]
    >>> bucket = TokenBucket(rate=10, burst=1, clock=lambda: clock[0], sleep=lambda s: clock.__setitem__(0, clock[0] + s))
    >>> for _ in range(3): epoch = bucket.acquire()
    >>> round(clock[0], 3)
    0.2
    >>> bucket.throttled(epoch), bucket.rate, bucket.throttled(epoch), bucket.rate
    (True, 7.5, False, 7.5)
    """

    def __init__(self, rate: float, burst: float = 1.0, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.max_rate = float(rate)
        self.rate = float(rate)
        self.burst = max(1.0, float(burst))
        self.epoch = 0
        self.cuts = 0
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = self.burst
        self._updated = clock()
        self._paused_until = 0.0

    def acquire(self) -> int:
        """Take one token, sleeping outside the lock until it is due; returns the epoch it was taken in."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            self._tokens -= 1.0
            wait = max(-self._tokens / self.rate, self._paused_until - now)
            epoch = self.epoch
        if wait > 0:
            self._sleep(wait)
        return epoch

    def throttled(self, epoch: int, retry_after: float | None = None) -> bool:
        """The server throttled a request taken in `epoch`: cut the rate once per congestion event (True
        when this call cut it). `retry_after` (seconds, the server's hint) holds every caller back too."""
        with self._lock:
            now = self._clock()
            if retry_after is not None:
                self._paused_until = max(self._paused_until, now + retry_after)
            if epoch != self.epoch:
                return False
            self._refill(now)
            self.rate = max(self.max_rate * FLOOR, self.rate * DECREASE)
            self.epoch += 1
            self.cuts += 1
            return True

    def succeeded(self) -> None:
        """A call went through: grow the rate by a little, up to the configured rate.

        Each success adds `step / rate`, so growth is `step` per second whatever the rate: about 5 % a second.
        """
        if self.rate < self.max_rate:
            with self._lock:
                step = max(self.rate * INCREASE, self.max_rate * MIN_INCREASE)
                self._refill(self._clock())
                self.rate = min(self.max_rate, self.rate + step / self.rate)

    def pause(self, seconds: float) -> None:
        """Hold every caller back for `seconds`."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def _refill(self, now: float) -> None:
        """Bank the tokens earned at the old rate before the rate changes."""
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
        self._updated = now
