"""Property tests on random DAGs: impact and backfill equal brute force (plain Python BFS, naive cron scan)."""

from __future__ import annotations

from collections import deque
from functools import cache
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lineage.backfill import BackfillRequest, BizdatePeriod, estimate_backfill
from lineage.graph import LineageGraph
from lineage.impact import compute_impact

from tests.lineage.test_cron import naive_fire_count

fire_count = cache(naive_fire_count)  # the oracle is slow; it is still a per-minute scan

CRONS = ["00 30 05 * * ?", "00 15 * * * ?", "00 00/30 * * * ?", "00 00-59/20 8-10 * * ?", "00 20 00 1 * ?",
         "00 10 00 1 1-12/3 ?", "00 05 00 * * 2,5", "00 00 02 15 * 7", "00 00-59/10 8-17 * * * ?"]
TYPES = ["NORMAL", "NORMAL", "NORMAL", "MANUAL", "PAUSE", "SKIP"]
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def dags(draw, max_nodes: int = 24):
    n = draw(st.integers(1, max_nodes))
    ids = draw(st.lists(st.integers(1, 10**12), min_size=n, max_size=n, unique=True))
    order = draw(st.permutations(range(n)))  # topological order, unrelated to id order
    pairs = [(order[a], order[b]) for a in range(n) for b in range(a + 1, n)]
    edges = draw(st.lists(st.sampled_from(pairs), max_size=3 * n, unique=True)) if pairs else []
    nodes = [{"node_id": ids[i], "scheduler_type": draw(st.sampled_from(TYPES)), "project_id": draw(st.integers(1, 3)),
              "priority": draw(st.sampled_from([None, 1, 5, 7, 8])), "owner_id": draw(st.sampled_from([None, "a", "b"])),
              "cron_express": draw(st.sampled_from(CRONS))} for i in range(n)]
    return nodes, [(ids[p], ids[c]) for p, c in edges]


def bfs_distances(nodes, edges, starts, max_depth=None) -> dict[int, int]:
    """Plain Python multi-source BFS over the cycle DAG (MANUAL nodes left out)."""
    manual = {n["node_id"] for n in nodes if n["scheduler_type"] == "MANUAL"}
    children: dict[int, list[int]] = {}
    for p, c in edges:
        if p not in manual and c not in manual:
            children.setdefault(p, []).append(c)
    dist = {s: 0 for s in starts}
    queue = deque(starts)
    while queue:
        u = queue.popleft()
        if max_depth is not None and dist[u] >= max_depth:
            continue
        for v in children.get(u, ()):
            if v not in dist:
                dist[v] = dist[u] + 1
                queue.append(v)
    return {v: d for v, d in dist.items() if v not in set(starts)}


@SETTINGS
@given(dags(), st.data())
def test_impact_equals_brute_force_reachability(dag, data):
    nodes, edges = dag
    ids = [n["node_id"] for n in nodes]
    starts = data.draw(st.lists(st.sampled_from(ids), min_size=1, max_size=3))
    unknown = data.draw(st.lists(st.integers(10**12 + 1, 10**12 + 9), max_size=2))
    max_depth = data.draw(st.one_of(st.none(), st.integers(0, 4)))
    graph = LineageGraph.from_records(nodes, edges)
    impact = compute_impact(graph, [*starts, *unknown], max_depth=max_depth)

    expected = bfs_distances(nodes, edges, list(dict.fromkeys(starts)), max_depth)
    rows = impact.descendants(graph)
    assert {r["node_id"]: r["depth"] for r in rows} == expected
    assert impact.downstream_count == len(expected) == len(rows)
    assert impact.max_depth == max(expected.values(), default=0)
    assert impact.unknown == tuple(dict.fromkeys(unknown)) and impact.nodes == tuple(dict.fromkeys(starts))
    assert rows == sorted(rows, key=lambda r: (r["depth"], r["node_id"]))
    edge_set = set(edges)
    for r in rows:  # via: a real parent one level closer to the start nodes
        assert (r["via"], r["node_id"]) in edge_set
        assert (expected.get(r["via"], 0) if r["via"] not in starts else 0) == r["depth"] - 1
    by_id = {n["node_id"]: n for n in nodes}
    reached = [by_id[v] for v in expected]
    start_projects = {by_id[s]["project_id"] for s in starts}
    assert impact.cross_project_count == sum(n["project_id"] not in start_projects for n in reached)
    assert impact.high_priority_count == sum((n["priority"] or 0) >= 7 for n in reached)
    assert impact.owners == tuple(sorted({n["owner_id"] for n in reached if n["owner_id"]}))
    assert impact.paused_count == sum(n["scheduler_type"] == "PAUSE" for n in reached)
    assert impact.skipped_count == sum(n["scheduler_type"] == "SKIP" for n in reached)
    assert not any(by_id[v]["scheduler_type"] == "MANUAL" for v in expected)


@SETTINGS
@given(dags(max_nodes=16), st.data())
def test_backfill_counts_equal_a_brute_force_enumeration(dag, data):
    nodes, edges = dag
    ids = [n["node_id"] for n in nodes]
    root = data.draw(st.sampled_from(ids))
    include = data.draw(st.one_of(st.none(), st.lists(st.sampled_from(ids), max_size=5)))
    exclude = data.draw(st.lists(st.sampled_from(ids), max_size=3))
    all_downstream = data.draw(st.booleans())
    starts = data.draw(st.lists(st.dates(date(2025, 12, 1), date(2026, 4, 30)), min_size=1, max_size=3))
    periods = tuple(BizdatePeriod(d, d + timedelta(days=data.draw(st.integers(0, 12)))) for d in starts)
    graph = LineageGraph.from_records(nodes, edges)
    est = estimate_backfill(graph, BackfillRequest(root, periods, tuple(include) if include is not None else None,
                                                   tuple(exclude), all_downstream))

    explicit = bool(include) and not all_downstream
    below = bfs_distances(nodes, edges, [root])
    selected = {root, *(include or ())} | (set() if explicit else set(below))
    bizdates = sorted({p.begin + timedelta(days=k) for p in periods for k in range((p.end - p.begin).days + 1)})
    cron = {n["node_id"]: n["cron_express"] for n in nodes}
    runs = dry = 0
    per_day = [0] * len(bizdates)
    for node_id in selected:
        for j, bizdate in enumerate(bizdates):
            k = fire_count(cron[node_id], bizdate + timedelta(days=1))
            if node_id in exclude:
                dry += max(k, 1)
            else:
                runs += k
                dry += k == 0
                per_day[j] += k
    assert est.selection_mode == ("explicit" if explicit else "all-downstream")
    assert est.node_ids[0] == root and set(est.node_ids) == selected and est.node_count == len(selected)
    assert est.dry_run_node_count == len(selected & set(exclude))
    assert est.bizdates == tuple(bizdates) and est.bizdate_count == len(bizdates)
    assert (est.run_instance_count, est.instance_count) == (runs, runs + dry)
    assert list(est.per_bizdate_run_instances) == per_day
    assert est.estimated_hours == runs * 600.0 / 3600.0
    left_out = set(bfs_distances(nodes, edges, list(selected))) - selected
    assert set(est.downstream_not_included) == left_out and est.downstream_not_included_count == len(left_out)
    assert sum(p.run_instances for p in est.per_node) == runs
