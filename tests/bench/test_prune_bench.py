"""bench/prune.py: the state file it builds and the prune it times."""

from __future__ import annotations

from opsguard.state import StateStore, utcnow


def test_the_bench_drops_exactly_the_old_share_and_probes_the_writer_meanwhile(bench_module, tmp_path):
    prune = bench_module("prune")
    now = utcnow()
    path = tmp_path / "state.duckdb"
    prune.fill(path, 30, 0.4, 10, now)
    timed = prune.timed_prune(path, 5, now)                  # 12 old checks, batches of 5: three transactions
    assert timed["checks_dropped"] == 12 and timed["probes"] >= 1 and timed["max_wait_ms"] > 0
    store = StateStore(path)
    try:
        assert len(store.query("state_inbox_ids")) == 30 - 12 + timed["probes"]   # the probes' rows stay
    finally:
        store.close()
