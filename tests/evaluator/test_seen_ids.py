"""The seen-ids filter: never a false "new", few false "maybe seen", and it grows past its capacity."""

from __future__ import annotations

from opsguard.seen_ids import SeenIds


def test_every_added_id_is_seen_even_past_the_first_filters_capacity():
    seen = SeenIds(capacity=1_000)
    ids = [f"msg-{i}" for i in range(5_000)]   # five times the first filter: two more are added
    for message_id in ids:
        seen.add(message_id)
    assert all(message_id in seen for message_id in ids)
    assert len(seen) == 5_000
    assert seen.memory_bytes > SeenIds(capacity=1_000).memory_bytes * 4


def test_ids_never_added_are_almost_always_reported_new():
    seen = SeenIds((f"stored-{i}" for i in range(20_000)), capacity=20_000, rate=0.001)
    false_positives = sum(f"new-{i}" in seen for i in range(100_000))
    assert false_positives < 500    # expected ~100 at a 0.1% rate; 5x margin for chance


def test_only_strings_can_be_seen():
    seen = SeenIds(["1"])
    assert 1 not in seen and None not in seen and "1" in seen
