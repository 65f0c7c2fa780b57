"""How a sync runs its API calls concurrently: a thread pool fed by the main thread only (so pool threads
never wait on each other), results handled in the main thread (so the snapshot writer needs no lock).

`waves` runs work that discovers more work (the next pages of a listing, the children of children): each
wave's items run concurrently, and what handling their results asks for forms the next wave. Each wave is
one progress phase with a known size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Protocol, TypeVar

__all__ = ["SyncProgress", "CallPool"]

T = TypeVar("T")
R = TypeVar("R")


class SyncProgress(Protocol):
    """Where a sync reports how far it is (a progress bar on a TTY, log lines otherwise)."""

    def start(self, phase: str, total: int) -> None: ...
    def advance(self, phase: str, amount: int = 1) -> None: ...


class Silent:
    """Progress that goes nowhere."""

    def start(self, phase: str, total: int) -> None:
        pass

    def advance(self, phase: str, amount: int = 1) -> None:
        pass


class CallPool:
    """A thread pool and a progress sink; the first failure of any call cancels the rest and is raised."""

    def __init__(self, pool: ThreadPoolExecutor, progress: SyncProgress):
        self.pool, self.progress = pool, progress

    def map(self, fn: Callable[[T], R], items: Iterable[T], phase: str | None = None) -> list[R]:
        """Results in input order."""
        items = list(items)
        if phase:
            self.progress.start(phase, len(items))
        futures = [self.pool.submit(fn, item) for item in items]
        try:
            results = []
            for future in futures:
                results.append(future.result())
                if phase:
                    self.progress.advance(phase)
            return results
        finally:
            for future in futures:
                future.cancel()

    def unordered(self, fn: Callable[[T], R], items: Iterable[T], phase: str) -> Iterator[tuple[T, R]]:
        """(item, result) pairs as the calls complete."""
        items = list(items)
        self.progress.start(phase, len(items))
        futures = {self.pool.submit(fn, item): item for item in items}
        try:
            for future in as_completed(futures):
                yield futures[future], future.result()
                self.progress.advance(phase)
        finally:
            for future in futures:
                future.cancel()

    def waves(self, fn: Callable[[T], R], items: Iterable[T], handle: Callable[[T, R], Iterable[T]],
              phase: Callable[[int], str]) -> int:
        """Run `fn` on `items`, then on whatever `handle(item, result)` returns, wave after wave, until no
        work is left; `phase(k)` names wave k (from 1). Returns the number of calls made."""
        wave, k, calls = list(items), 1, 0
        while wave:
            following: list[T] = []
            for item, result in self.unordered(fn, wave, phase(k)):
                following.extend(handle(item, result))
            calls += len(wave)
            wave, k = following, k + 1
        return calls
