"""The push path frees what it allocates by reference counting alone.

Why it matters: objects caught in reference cycles wait for the cycle collector, which stops the server
while it frees them. Futures chained to callbacks that hold them, asyncio's `wrap_future`, and
`json.dumps(default=...)` each left a cycle per push; at 300 pushes/s that was a 20-85 ms pause every
four seconds, the largest part of the accept p99.
"""

from __future__ import annotations

import collections
import gc

from opsguard.store import InboxStatus
from tests.service.conftest import sample, wait_for, wait_reported

# Code the server runs per push; test-side clients (httpx) and the json module's encoder, which the test's
# pusher uses, are not the server's.
SERVER_MODULES = ("opsguard", "evaluator", "asyncio", "concurrent.futures", "uvicorn", "starlette", "fastapi")


def _module_of(obj):
    module = getattr(obj, "__module__", None) if callable(obj) and not isinstance(obj, type) else None
    return module or type(obj).__module__


def test_pushes_leave_no_reference_cycles_behind(start_server, emulator):
    server = start_server()
    warm = [sample("freeze-node", fresh=True) for _ in range(20)]
    for event in warm:
        assert server.pusher.push(event).status_code == 202
    wait_reported(emulator, [e["id"] for e in warm], server=server)
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        events = [sample(code, fresh=True) for code in ("freeze-node", "undeploy-node", "backfill-data") * 20]
        for event in events:
            assert server.pusher.push(event).status_code == 202
        wait_reported(emulator, [e["id"] for e in events])   # (no page polling: its JSON is not the push path)
        store = server.service.store                         # the last outcomes committed: read the store itself
        wait_for(lambda: all(store.inbox_row(e["id"]).status is InboxStatus.REPORTED for e in events),
                 what="every outcome committed")
        gc.collect()
        ours = collections.Counter(f"{_module_of(o)}.{getattr(o, '__qualname__', type(o).__qualname__)}"
                                   for o in gc.garbage if _module_of(o).startswith(SERVER_MODULES))
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert not {name: n for name, n in ours.items() if n >= len(events) // 2}, ours.most_common(10)
