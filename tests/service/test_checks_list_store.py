"""The checks list's store query on both engines (SQLite and a real PostgreSQL): every filter agrees with a
plain Python filter over the same rows, and keyset pages walk the whole list once, ties in received time
included."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

import pytest

from opsguard.store import EventKind, InboxRow, InboxStatus, VerdictRow

T0 = datetime(2026, 11, 1, tzinfo=UTC)
CODES = ("freeze-node", "unfreeze-node", "undeploy-node", "backfill-data")


def _rows(count: int, seed: int = 3) -> list[dict]:
    """`count` checks over ~10 days; every 7th shares its received time with the one before (keyset ties)."""
    rnd = random.Random(seed)
    rows, at = [], T0
    for i in range(count):
        if i % 7:
            at = at + timedelta(minutes=rnd.randint(1, 120))
        rows.append({"message_id": f"m{i:04d}-{rnd.randint(0, 9999):04d}", "received_at": at,
                     "event_code": rnd.choice(CODES), "project_id": rnd.choice((215001, 215002, 215003)),
                     "operator": rnd.choice(("ann", "bob", "cy")),
                     "result": rnd.choice(("OK", "WARN", "FAIL", None)),   # None: not judged yet
                     "node_ids": sorted(rnd.sample(range(700000000100, 700000000120), rnd.randint(1, 3)))})
    return rows


def _fill(store, rows: list[dict]) -> None:
    store.accept([InboxRow(r["message_id"], r["received_at"], EventKind.EXTENSION, r["event_code"], r["project_id"],
                           r["operator"], None, None, InboxStatus.ACCEPTED, raw="{}", updated_at=r["received_at"])
                  for r in rows])
    now = T0 + timedelta(days=30)
    store.claim(EventKind.EXTENSION, InboxStatus.ACCEPTED, "judge", now, now + timedelta(minutes=5), len(rows))
    judged = [VerdictRow(r["message_id"], r["received_at"] + timedelta(seconds=1), r["event_code"], r["project_id"],
                         r["operator"], r["result"], r["result"], f"{r['result']}: tip", "s1", 0, None, 1.0,
                         "[]", ",", "," + ",".join(map(str, r["node_ids"])) + ",", json.dumps({}))
              for r in rows if r["result"]]
    assert all(store.save_verdicts(judged, "judge"))


def _expected(rows: list[dict], **f) -> list[str]:
    keep = [r for r in rows
            if (f.get("result") is None or (r["result"] or "pending") == f["result"])
            and (f.get("event_code") is None or r["event_code"] == f["event_code"])
            and (f.get("project_id") is None or r["project_id"] == f["project_id"])
            and (f.get("operator") is None or r["operator"] == f["operator"])
            and (f.get("node_id") is None or (r["result"] and f["node_id"] in r["node_ids"]))
            and (f.get("since") is None or r["received_at"] >= f["since"])
            and (f.get("until") is None or r["received_at"] < f["until"])]
    keep.sort(key=lambda r: (r["received_at"], r["message_id"]), reverse=True)
    return [r["message_id"] for r in keep]


@pytest.fixture
def filled(store):
    rows = _rows(260)
    _fill(store, rows)
    return store, rows


@pytest.mark.parametrize("filters", [
    {}, {"result": "FAIL"}, {"result": "pending"}, {"event_code": "backfill-data"}, {"project_id": 215002},
    {"operator": "bob"}, {"node_id": 700000000105},
    {"since": T0 + timedelta(days=3), "until": T0 + timedelta(days=6)},
    {"result": "WARN", "project_id": 215001, "operator": "ann"},
])
def test_each_filter_selects_what_a_plain_filter_selects(filled, filters):
    store, rows = filled
    got = [c.message_id for c in store.checks(limit=1000, **filters)]
    assert got == _expected(rows, **filters) and got   # (each case matches something: the oracle is not vacuous)


def test_keyset_pages_walk_every_check_once_newest_first(filled):
    store, rows = filled
    walked, before, pages = [], None, 0
    while True:
        page = store.checks(limit=50, before=before)
        if not page:
            break
        pages += 1
        walked += [c.message_id for c in page]
        before = (page[-1].received_at, page[-1].message_id)
    assert pages == 6 and walked == _expected(rows)          # 260 rows: 5 full pages and one of 10


def test_pages_of_a_filtered_list_keep_the_filter(filled):
    store, rows = filled
    first = store.checks(limit=20, operator="cy")
    second = store.checks(limit=20, operator="cy", before=(first[-1].received_at, first[-1].message_id))
    assert [c.message_id for c in first + second] == _expected(rows, operator="cy")[:40]


def test_recent_checks_is_the_first_unfiltered_page(filled):
    store, rows = filled
    assert [c.message_id for c in store.recent_checks(100)] == _expected(rows)[:100]
