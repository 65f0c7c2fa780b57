"""Garbage-collector settings for the server's long-lived processes.

What start-up built (the graph, the app, imported modules) lives as long as the process, so it is
moved out of every future collection; and since each event allocates thousands of short-lived
objects, the young generation is collected every `YOUNG_THRESHOLD` allocations instead of 700.
"""

from __future__ import annotations

import gc

__all__ = ["settle_after_start", "YOUNG_THRESHOLD"]

YOUNG_THRESHOLD = 50_000


def settle_after_start() -> None:
    """Freeze what exists now and make young collections rarer; call once start-up is done."""
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, 20, 20)
