"""A thread-safe token bucket that finds the rate the server grants (AIMD): every DataWorks call takes one
token, so all threads together stay within the configured requests per second; when the server throttles
anyway (its quota is below our `rate_limit`), the rate is cut, and it grows back slowly while calls go
through, so a sync runs close to whatever the account's quota is instead of hammering it or crawling far
below it.

How far to cut: to the rate at which calls went through over the last `WINDOW` seconds, which is what the
server granted, but by at least `MIN_CUT` and at most `MAX_CUT`. A sync far above its quota drops to the
quota in a few cuts (not in many small ones); one throttled by a passing burst, just under its quota, loses
little. The rate of calls that went through measures the grant only while callers wait for tokens (demand
is above the rate), over `MIN_MEASURE` seconds and `MIN_THROUGH` calls at least; before that (right after
the start) the share of the current epoch's replies that went through stands in for it, once there are
`MIN_REPLIES` of them; with fewer, the cut is the gentle `MIN_CUT`. After a cut, the server needs a moment
to grant again (its own bucket is empty), so the next slot is one interval away and refusals within `SETTLE`
intervals count as replies but cut nothing.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

__all__ = ["TokenBucket"]

MIN_CUT = 0.95       # a cut leaves at most this share of the rate that was throttled ...
MAX_CUT = 0.5        # ... and at least this share
WINDOW = 2.0         # seconds of successful calls that measure the granted rate (or `WINDOW_CALLS` calls' time)
WINDOW_CALLS = 20    # ... so a low rate is measured over enough calls
MIN_MEASURE = 0.5    # ... at least this long, all of it with callers waiting for tokens ...
MIN_THROUGH = 8      # ... and with at least this many calls through
MIN_REPLIES = 4      # replies to the current epoch's requests that measure the grant before that
INCREASE = 0.02      # growth per second of successful calls, as a share of the current rate ...
MIN_INCREASE = 0.002  # ... but at least this share of the configured rate (so a rate at the floor recovers) ...
RECOVER = 0.5        # ... and below the rate the last cut started from, this share of the gap to it
FLOOR = 1 / 64       # never below this share of the configured rate
SETTLE = 2.0         # after a cut, refusals within this many intervals (1 / rate) do not cut again


class TokenBucket:
    """`rate` tokens per second, at most `burst` saved up. `acquire()` blocks until one is free.

    >>> clock = [0.0]
    >>> bucket = TokenBucket(rate=10, burst=1, clock=lambda: clock[0], sleep=lambda s: clock.__setitem__(0, clock[0] + s))
    >>> for _ in range(3): epoch = bucket.acquire()
    >>> round(clock[0], 3)
    0.2
    >>> bucket.throttled(epoch), bucket.rate, bucket.throttled(epoch), bucket.rate
    (True, 9.5, False, 9.5)
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
        self._next = clock()          # when the next token is due (GCRA's theoretical arrival time)
        self._paused_until = 0.0
        self._successes: deque[float] = deque()
        self._saturated_since: float | None = None  # since when callers have had to wait for tokens
        self._through = 0  # replies to requests of the current epoch that went through ...
        self._refused = 0  # ... and that were refused
        self._refused_at = 0.0  # the rate the last cut started from
        self._settled_at = float("-inf")  # refusals before this do not cut (the server catches up after a cut)

    def acquire(self) -> int:
        """Take one token, sleeping outside the lock until it is due; returns the epoch it was taken in.

        Tokens are time slots (GCRA): each caller gets the next free slot, `1 / rate` after the one before,
        up to `burst` at once after an idle spell. After a pause the slots start at its end one by one, so
        callers held back together do not all go at once."""
        with self._lock:
            now = self._clock()
            interval, tolerance = 1.0 / self.rate, (self.burst - 1.0) / self.rate
            due = max(self._next, now)
            if self._paused_until > now:
                due = max(due, self._paused_until + tolerance)
            send = max(now, due - tolerance)
            self._next = due + interval
            if send > now:  # demand is above what the rate (or a pause) lets through
                if self._saturated_since is None:
                    self._saturated_since = now
            else:
                self._saturated_since = None
            epoch = self.epoch
        if send > now:
            self._sleep(send - now)
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
            self._refused += 1
            if now < self._settled_at:
                return False
            granted = self._granted(now)
            replies = self._through + self._refused
            if granted is None and replies >= MIN_REPLIES:
                granted = self.rate * self._through / replies
            cut = self.rate * MIN_CUT if granted is None else max(self.rate * MAX_CUT, granted)
            self._refused_at = self.rate
            self.rate = max(self.max_rate * FLOOR, min(self.rate * MIN_CUT, cut))
            self.epoch += 1
            self._through = self._refused = 0
            self.cuts += 1
            # The server needs a moment to grant again: the next slot is one interval away, and refusals
            # within two intervals of the cut do not cut again.
            self._next = max(self._next, now + 1.0 / self.rate)
            self._settled_at = now + SETTLE / self.rate
            return True

    def succeeded(self, epoch: int | None = None) -> None:
        """A call (taken in `epoch`) went through: grow the rate, up to the configured rate.

        Each success adds `step / rate`, so growth is `step` per second whatever the rate: half the way back
        to the rate the last cut started from in a second (a cut that went too deep costs little), then 2 %
        a second beyond it, probing for more.
        """
        with self._lock:
            now = self._clock()
            self._successes.append(now)
            if epoch == self.epoch:
                self._through += 1
            while self._successes[0] < now - max(WINDOW, WINDOW_CALLS / self.rate):
                self._successes.popleft()
            if self.rate < self.max_rate:
                step = max(self.rate * INCREASE, self.max_rate * MIN_INCREASE,
                           RECOVER * (self._refused_at - self.rate))
                self.rate = min(self.max_rate, self.rate + step / self.rate)

    def pause(self, seconds: float) -> None:
        """Hold every caller back for `seconds`."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def _granted(self, now: float) -> float | None:
        """Calls per second that went through over the last `WINDOW` seconds in which callers waited for
        tokens; None when that stretch is shorter than `MIN_MEASURE`."""
        if self._saturated_since is None:
            return None
        start = max(now - max(WINDOW, WINDOW_CALLS / self.rate), self._saturated_since)
        if now - start < MIN_MEASURE:
            return None
        through = sum(1 for t in self._successes if t >= start)
        return through / (now - start) if through >= MIN_THROUGH else None
