"""Fault injection for the emulator: throttling, injected server errors, added latency.

Throttling is a **token bucket**: it refills at ``qps`` tokens per second and holds at
most ``burst = max(1, qps / 10)`` tokens (full at start and after every change), so a
client may burst briefly but sustains ``qps``. A request that finds no token is answered
429 ``Throttling.User`` and takes no token (it is not served). ``qps = 0`` is a quota used up: every call
is throttled.

``error_rate`` draws from a seeded RNG, so a run with the same request order fails the
same requests. ``actions`` scopes all three faults to some actions (e.g. only
``UpdateWorkbenchEventResult``); ``None`` means every action.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass


class FaultConfigError(ValueError):
    """A fault setting is out of range or of the wrong type."""


@dataclass(frozen=True)
class Faults:
    qps: float | None = None
    error_rate: float = 0.0
    latency_ms: float = 0.0
    actions: frozenset[str] | None = None
    #: when set, 429 replies carry ``x-acs-retry-after`` (the SDK then raises ThrottlingException)
    retry_after_ms: int | None = None

    def __post_init__(self) -> None:
        if self.qps is not None and not (_is_number(self.qps) and self.qps >= 0):
            raise FaultConfigError(f"qps must be a number >= 0 (0: a quota used up, every call throttled) or "
                                   f"null, got {self.qps!r}")
        if not (_is_number(self.error_rate) and 0.0 <= self.error_rate <= 1.0):
            raise FaultConfigError(f"error_rate must be between 0 and 1, got {self.error_rate!r}")
        if not (_is_number(self.latency_ms) and self.latency_ms >= 0):
            raise FaultConfigError(f"latency_ms must be >= 0, got {self.latency_ms!r}")
        if self.retry_after_ms is not None and not (type(self.retry_after_ms) is int and self.retry_after_ms > 0):
            raise FaultConfigError(f"retry_after_ms must be a positive integer or null, got {self.retry_after_ms!r}")
        if self.actions is not None:
            if isinstance(self.actions, str) or not all(isinstance(a, str) for a in self.actions):
                raise FaultConfigError("actions must be a list of action names or null")
            object.__setattr__(self, "actions", frozenset(self.actions))

    def applies_to(self, action: str) -> bool:
        return self.actions is None or action in self.actions

    @classmethod
    def from_json(cls, data: object) -> Faults:
        """Build from the ``POST /_emulator/faults`` body; omitted fields take their defaults."""
        if not isinstance(data, dict):
            raise FaultConfigError("the body must be a JSON object")
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise FaultConfigError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        return cls(**data)

    def to_json(self) -> dict:
        out = asdict(self)
        out["actions"] = None if self.actions is None else sorted(self.actions)
        return out


@dataclass(frozen=True)
class Decision:
    latency_s: float = 0.0
    throttled: bool = False
    fail: bool = False


_NO_FAULT = Decision()


class FaultInjector:
    """Thread-safe decisions for each request, under the current ``Faults``."""

    def __init__(self, faults: Faults, seed: int = 0, clock: Callable[[], float] = time.monotonic):
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._clock = clock
        self.set(faults)

    @property
    def faults(self) -> Faults:
        return self._faults

    def set(self, faults: Faults) -> None:
        """Replace the settings; the bucket starts full again."""
        with self._lock:
            self._faults = faults
            self._burst = max(1.0, faults.qps / 10.0) if faults.qps else 0.0
            self._tokens = self._burst
            self._stamp = self._clock()

    def decide(self, action: str) -> Decision:
        f = self._faults
        if not f.applies_to(action) or (f.qps is None and f.error_rate == 0.0 and f.latency_ms == 0):
            return _NO_FAULT
        with self._lock:
            throttled = f.qps is not None and not self._take_token(f.qps)
            fail = not throttled and f.error_rate > 0.0 and self._rng.random() < f.error_rate
        return Decision(latency_s=f.latency_ms / 1000.0, throttled=throttled, fail=fail)

    def _take_token(self, qps: float) -> bool:
        now = self._clock()
        self._tokens = min(self._burst, self._tokens + (now - self._stamp) * qps)
        self._stamp = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def faults_from(qps: float | None = None, error_rate: float = 0.0, latency_ms: float = 0.0,
                actions: Iterable[str] | None = None, retry_after_ms: int | None = None) -> Faults:
    """``Faults`` from keyword settings (``actions`` as any iterable of names).

    >>> f = faults_from(error_rate=1.0, actions=["UpdateWorkbenchEventResult"])
    >>> f.applies_to("UpdateWorkbenchEventResult"), f.applies_to("ListNodes")
    (True, False)
    """
    return Faults(qps=qps, error_rate=error_rate, latency_ms=latency_ms,
                  actions=None if actions is None else frozenset(actions), retry_after_ms=retry_after_ms)
