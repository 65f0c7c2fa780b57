"""Demo-workspace generator: a realistic DataWorks Operation Center fixture.

``generate_workspace(nodes, seed)`` returns the fixture dict (format in DESIGN/the sandbox
brief: ``projects``, ``nodes``, ``edges``, ``instances``, ``baselines``, ``options``, ``members``);
``python -m sandbox.workspace --nodes N --seed S --out FILE`` writes it as JSON.

Deterministic for a given ``(nodes, seed, days, end_bizdate)``. The sample ids of
``evaluator/demo_samples`` always exist (for ``nodes >= 50``): project 215001,
``700000000101`` (``ods_trade_order_di``, a hub ingestion node in baseline 90001),
``700000000102``, and ``700000000205`` -> ``700000000206`` downstream of 101.
"""

from __future__ import annotations

import gc
import json
import os
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from sandbox.cli_args import OneLineArgumentParser, fail
from sandbox.fixture import WorkspaceFixtureError, load_workspace
from sandbox.workspace_graph import build_graph
from sandbox.workspace_history import bizdate_range, generate_instances, node_run_medians
from sandbox.workspace_members import draw_members
from sandbox.workspace_nodes import (PROGRAM_TYPES, PROGRAM_TYPES_ODS, RES_GROUPS, Baselines, connection_of,
                                     draw_baselines, draw_owners, draw_priorities, draw_program_types,
                                     draw_scheduler_types, node_names, project_domains, SAMPLE_OWNER)
from sandbox.workspace_schedule import DATAWORKS_TZ, draw_schedules, with_daily_time

__all__ = ["MIN_NODES", "SAMPLE_NODE_IDS", "SAMPLE_PROJECT_ID", "WorkspaceFixtureError",
           "generate_workspace", "load_workspace", "main", "write_workspace"]

MIN_NODES = 50
SAMPLE_PROJECT_ID = 215001
#: role in ``workspace_graph`` -> (NodeId, NodeName) of the sample nodes
SAMPLE_NODE_IDS = {
    "root": (700000000100, "dw_trade_root"),
    "ingest": (700000000101, "ods_trade_order_di"),
    "ingest2": (700000000102, "ods_trade_refund_di"),
    "detail": (700000000205, "dwd_trade_order_detail_di"),
    "summary": (700000000206, "dws_trade_order_1d"),
}
_FIRST_FREE_ID = 700000000300
_DAY_MS = 86_400_000


def generate_workspace(nodes: int, seed: int = 0, days: int = 30, end_bizdate: date | None = None,
                       projects: int | None = None) -> dict:
    """Fixture dict of a workspace with ``nodes`` nodes and ``days`` bizdates of history.

    ``projects`` sets the number of workspaces (default: 3, or one per ~3,500 nodes); ``projects=1`` puts
    every node in workspace 215001, e.g. to exceed the API's 10,000 rows per query in one workspace.

    ``end_bizdate`` (default: yesterday in DataWorks time, UTC+8 — the newest bizdate whose runs have
    started, and the one a sync fetches last) is the newest bizdate with instances.

    >>> fx = generate_workspace(60, seed=1, days=2, end_bizdate=date(2026, 11, 19))
    >>> len(fx["nodes"]), len(fx["projects"]), sorted({i["Bizdate"] for i in fx["instances"]})
    (60, 3, ['2026-11-18', '2026-11-19'])
    >>> next(n["NodeName"] for n in fx["nodes"] if n["NodeId"] == 700000000101)
    'ods_trade_order_di'
    """
    if nodes < MIN_NODES:
        raise ValueError(f"nodes must be >= {MIN_NODES}, got {nodes}")
    if days < 0:
        raise ValueError(f"days must be >= 0, got {days}")
    if projects is not None and not 1 <= projects <= nodes // 10:
        raise ValueError(f"projects must be between 1 and nodes / 10, got {projects}")
    end = end_bizdate or datetime.now(DATAWORKS_TZ).date() - timedelta(days=1)
    was_enabled = gc.isenabled()
    gc.disable()  # millions of new dicts/lists, no cycles: the cyclic GC would only burn time
    try:
        return _generate(nodes, seed, days, end, projects)
    finally:
        if was_enabled:
            gc.enable()


def _generate(nodes: int, seed: int, days: int, end: date, projects: int | None) -> dict:
    rng = np.random.default_rng(seed)

    n_projects = projects or max(3, round(nodes / 3500))
    g = build_graph(nodes, n_projects, max(1, round(nodes * 0.02)), rng)
    domains = project_domains(n_projects)
    project_ids = SAMPLE_PROJECT_ID + np.concatenate(([0], np.cumsum(rng.integers(1, 40, n_projects - 1))))

    sched = draw_schedules(g.layer, rng)
    scheduler_type = draw_scheduler_types(g.layer, rng)
    program_type = draw_program_types(g.layer, rng)
    owners, owner = draw_owners(nodes, g.project, n_projects, rng)
    sp = g.special
    baselines = draw_baselines(g.project, (g.layer > 0) & (scheduler_type == "NORMAL"), owner, sp["ingest"], rng)
    baselines.priority[0] = 7
    priority = draw_priorities(baselines.baseline_of, baselines, rng)
    names = node_names(g.layer, g.n_layers, g.project, sched.kind,
                       tuple(name for _, name in SAMPLE_NODE_IDS.values()), rng)
    for p in range(n_projects):
        names[p] = f"dw_{domains[p]}_root"

    scheduler_type[g.hubs] = "NORMAL"
    for role, (_, name) in SAMPLE_NODE_IDS.items():
        i = sp[role]
        names[i], scheduler_type[i] = name, "NORMAL"
        if role != "root":
            program_type[i] = "DI" if role == "ingest2" else "ODPS_SQL"
            with_daily_time(sched, i, 0, {"ingest": 10, "ingest2": 20, "detail": 40, "summary": 55}[role])
    owner[sp["ingest"]] = 0
    for role in ("detail", "summary"):
        if owner[sp[role]] == 0:
            owner[sp[role]] = 1  # most descendants of 101 belong to other people

    node_ids = _node_ids(nodes, sp, rng)
    ids_py = node_ids.tolist()
    fixture = {
        "projects": [{"ProjectId": int(pid), "ProjectName": f"dw_{d}", "ProjectIdentifier": f"dw_{d}"}
                     for pid, d in zip(project_ids.tolist(), domains)],
        "nodes": _node_dicts(node_ids, ids_py, np.array(names, dtype=object),
                             np.array(project_ids.tolist(), dtype=object)[g.project],
                             np.array(sched.cron, dtype=object), scheduler_type, program_type,
                             np.array(owners, dtype=object)[owner], priority, baselines.baseline_of,
                             domains, g.project, end, rng),
        "edges": _edges(node_ids, ids_py, g.parents, g.children),
        "instances": [] if days == 0 else generate_instances(
            ids_py, scheduler_type, g.layer, sched, node_run_medians(nodes, program_type == "VIRTUAL", rng),
            bizdate_range(end, days), rng),
        "baselines": _baseline_dicts(baselines, node_ids, project_ids, domains, owners),
        "options": {str(pid): json.dumps(_options(p, rng)) for p, pid in enumerate(project_ids.tolist())},
    }
    fixture["members"] = draw_members(_owners_by_project(fixture), seed)
    return fixture


def _owners_by_project(fixture: dict) -> dict[int, list[str]]:
    """Each workspace's owner ids (of its nodes and baselines), the sample operator first where present."""
    owners: dict[int, set[str]] = {p["ProjectId"]: set() for p in fixture["projects"]}
    for node in fixture["nodes"]:
        owners[node["ProjectId"]].add(node["OwnerId"])
    for baseline in fixture["baselines"]:
        owners[baseline["ProjectId"]].add(baseline["Owner"])
    return {pid: sorted(ids, key=lambda o: (o != SAMPLE_OWNER, o)) for pid, ids in owners.items()}


def _node_ids(n: int, special: dict[str, int], rng: np.random.Generator) -> np.ndarray:
    """Sparse BIGINT ids, unrelated to position, with the sample ids at their roles."""
    ids = np.zeros(n, dtype=np.int64)
    taken = np.zeros(n, dtype=bool)
    for role, (node_id, _) in SAMPLE_NODE_IDS.items():
        ids[special[role]] = node_id
        taken[special[role]] = True
    rest = np.flatnonzero(~taken)
    ids[rest] = rng.permutation(_FIRST_FREE_ID + np.cumsum(rng.integers(1, 60, size=rest.size)))
    return ids


def _node_dicts(ids: np.ndarray, ids_py: list[int], names: np.ndarray, project_id: np.ndarray, cron: np.ndarray,
                scheduler_type: np.ndarray, program_type: np.ndarray, owner_id: np.ndarray, priority: np.ndarray,
                baseline_of: np.ndarray, domains: list[str], project: np.ndarray, end: date,
                rng: np.random.Generator) -> list[dict]:
    """ListNodes-shaped records, ordered by NodeId (string columns are object arrays).

    The keys are the snapshot's node columns plus ``ParamValues``: 21 keys keep each dict in
    CPython's 464-byte size class (22+ keys take 832 bytes, which matters at 1M nodes). The
    emulator gives the other ListNodes fields (``DqcType``, ``RepeatMode``...) defaults.
    """
    n = ids.shape[0]
    end_ms = int(datetime(end.year, end.month, end.day, tzinfo=timezone.utc).timestamp() * 1000)
    create = end_ms - rng.integers(40 * _DAY_MS, 1000 * _DAY_MS, size=n)
    modify = create + (rng.random(n) * (end_ms - 30 * _DAY_MS - create)).astype(np.int64)
    repeat = rng.random(n) < 0.85
    res_group = rng.choice(len(RES_GROUPS), size=n, p=[0.55, 0.2, 0.15, 0.1])
    flow = 3_000_000 + project * 1_000 + rng.integers(0, 60, size=n)
    file_id = 500_000_000 + rng.permutation(n) * 3
    conn = np.full(n, "", dtype=object)
    for t in {t for t, _ in PROGRAM_TYPES + PROGRAM_TYPES_ODS}:
        is_t = program_type == t
        conn[is_t] = np.array([connection_of(t, d) for d in domains], dtype=object)[project[is_t]]
    params = np.where(np.isin(program_type, ["DI", "ODPS_SQL", "PYODPS3"]), "bizdate=$bizdate", "").astype(object)
    baseline = np.where(baseline_of > 0, baseline_of, None).astype(object)
    rg_name = np.array([g[0] for g in RES_GROUPS], dtype=object)[res_group]
    rg_ident = np.array([g[1] for g in RES_GROUPS], dtype=object)[res_group]
    order = np.argsort(ids, kind="stable")
    cols = [[ids_py[k] for k in order.tolist()]] + [c[order].tolist() for c in (
        names, project_id, cron, scheduler_type, program_type, owner_id, priority, baseline, repeat, rg_name,
        rg_ident, conn, flow, file_id, params, create, modify)]
    return [
        {"NodeId": i, "NodeName": nm, "ProjectId": pj, "CronExpress": cr, "SchedulerType": st,
         "ProgramType": pt, "OwnerId": ow, "Priority": pr, "BaselineId": bl, "Repeatability": rp,
         "ResGroupName": rn, "ResGroupIdentifier": ri, "Connection": cn, "Description": "", "BusinessId": fl,
         "RelatedFlowId": fl, "FileId": fi, "ParamValues": pv, "CreateTime": ct, "ModifyTime": mt, "DeployDate": mt}
        for (i, nm, pj, cr, st, pt, ow, pr, bl, rp, rn, ri, cn, fl, fi, pv, ct, mt) in zip(*cols)
    ]


def _edges(node_ids: np.ndarray, ids_py: list[int], parents: np.ndarray, children: np.ndarray) -> list[list[int]]:
    """``[parent_id, child_id]`` pairs ordered by parent id, then child id (sharing the nodes' int objects)."""
    rank = np.empty(node_ids.shape[0], dtype=np.int64)
    rank[np.argsort(node_ids)] = np.arange(node_ids.shape[0])
    order = np.argsort(rank[parents] * node_ids.shape[0] + rank[children])
    return [[ids_py[a], ids_py[b]] for a, b in zip(parents[order].tolist(), children[order].tolist())]


def _baseline_dicts(b: Baselines, node_ids: np.ndarray, project_ids: np.ndarray, domains: list[str],
                    owners: list[str]) -> list[dict]:
    """Baseline records with their member ``NodeIds`` (sorted)."""
    members = np.flatnonzero(b.baseline_of)
    members = members[np.lexsort((node_ids[members], b.baseline_of[members]))]
    groups = np.split(node_ids[members], np.flatnonzero(np.diff(b.baseline_of[members])) + 1)
    by_id = {int(bid): ids.tolist() for bid, ids in zip(np.unique(b.baseline_of[members]), groups)}
    return [
        {"BaselineId": int(bid), "BaselineName": f"{domains[p]}_sla_{k:03d}", "Priority": int(pr),
         "NodeIds": by_id.get(int(bid), []), "ProjectId": int(project_ids[p]), "Owner": owners[o],
         "BaselineType": "DAILY"}
        for k, (bid, p, pr, o) in enumerate(zip(b.ids, b.project.tolist(), b.priority, b.owner.tolist()))
    ]


def _options(p: int, rng: np.random.Generator) -> dict:
    """Per-workspace extension options (GetOptionValueForProject), in opsguard's policy keys."""
    if p == 0:
        return {"warn_as": "OK", "backfill-volume": {"fail": 5000}, "downstream-blocked": {"fail": 500}}
    return {"warn_as": "FAIL" if rng.random() < 0.2 else "OK",
            "backfill-volume": {"fail": int(rng.choice([2000, 5000, 10000]))},
            "downstream-blocked": {"fail": int(rng.choice([200, 500, 1000]))}}


def write_workspace(fixture: dict, path: str | os.PathLike) -> None:
    """Write ``fixture`` as compact JSON, atomically (temp file + ``os.replace``)."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(fixture, f, separators=(",", ":"))
    os.replace(tmp, target)


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"--end-bizdate must be YYYY-MM-DD, got {text!r}") from None


def main(argv: list[str] | None = None) -> int:
    """CLI: ``python -m sandbox.workspace --nodes N --seed S --out FILE [--days D] [--end-bizdate D]``."""
    prog = "python -m sandbox.workspace"
    parser = OneLineArgumentParser(prog=prog, description="Generate a demo DataWorks workspace fixture.")
    parser.add_argument("--nodes", type=int, required=True, help=f"number of nodes (>= {MIN_NODES})")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True, help="fixture JSON file to write")
    parser.add_argument("--days", type=int, default=30, help="bizdates of instance history (0 = none)")
    parser.add_argument("--projects", type=int, help="number of workspaces (default: 3, or one per ~3,500 nodes)")
    parser.add_argument("--end-bizdate", help="newest bizdate with history, YYYY-MM-DD (default: yesterday)")
    args = parser.parse_args(argv)
    if args.nodes < MIN_NODES:
        fail(prog, f"--nodes must be >= {MIN_NODES}, got {args.nodes}")
    if not 0 <= args.days <= 400:
        fail(prog, f"--days must be between 0 and 400, got {args.days}")
    try:
        end = _parse_date(args.end_bizdate) if args.end_bizdate else None
    except ValueError as e:
        fail(prog, str(e))
    out = Path(args.out)
    if not out.parent.is_dir():
        fail(prog, f"--out: directory {str(out.parent)!r} does not exist")
    if args.projects is not None and not 1 <= args.projects <= args.nodes // 10:
        fail(prog, f"--projects must be between 1 and --nodes / 10, got {args.projects}")
    fixture = generate_workspace(args.nodes, seed=args.seed, days=args.days, end_bizdate=end, projects=args.projects)
    try:
        write_workspace(fixture, out)
    except OSError as e:
        fail(prog, f"cannot write {args.out}: {e.strerror or e}")
    print(f"wrote {args.out}: {len(fixture['projects'])} projects, {len(fixture['nodes'])} nodes, "
          f"{len(fixture['edges'])} edges, {len(fixture['instances'])} instances, "
          f"{len(fixture['baselines'])} baselines", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
