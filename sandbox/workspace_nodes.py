"""Attributes of generated nodes: names, owners, program types, priorities, baselines.

All draws are numpy arrays over dense node positions (see ``workspace_graph``); the
per-node Python work is limited to building name strings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DOMAINS = ("trade", "user", "item", "log", "marketing", "finance", "risk", "supply", "search",
           "content", "payment", "logistics", "member", "crm", "store", "growth")
_ENTITIES = ("order", "order_detail", "refund", "payment", "cart", "user_info", "user_login",
             "item_info", "sku", "shop", "coupon", "promotion", "traffic", "page_view", "click",
             "exposure", "inventory", "delivery", "settlement", "invoice", "account", "member_level",
             "review", "search_query", "campaign", "channel", "device", "session", "address", "price",
             "stock_move", "return", "complaint", "ticket", "risk_event", "credit", "budget", "gmv",
             "retention", "funnel")
_LAYER_PREFIXES = ("ods", "dwd", "dim", "dws", "ads")
_DAILY_SUFFIX = {"ods": ("di", "df"), "dwd": ("di", "df"), "dim": ("df",),
                 "dws": ("1d", "7d", "30d", "td", "nd"), "ads": ("di", "df", "1d")}
_KIND_SUFFIX = {1: "hi", 2: "mi", 4: "1w", 5: "1m", 6: "1q"}  # both minute kinds name as 2

PROGRAM_TYPES_ODS = (("DI", 0.5), ("ODPS_SQL", 0.35), ("SHELL", 0.05), ("EMR_HIVE", 0.05), ("PYODPS3", 0.05))
PROGRAM_TYPES = (("ODPS_SQL", 0.62), ("PYODPS3", 0.08), ("PYODPS", 0.02), ("EMR_HIVE", 0.06),
                 ("HOLOGRES_SQL", 0.04), ("SHELL", 0.05), ("VIRTUAL", 0.06), ("DI", 0.04), ("EMR_SPARK", 0.03))
_CONNECTIONS = {"ODPS_SQL": "odps_first", "PYODPS": "odps_first", "PYODPS3": "odps_first",
                "DI": "mysql_{domain}_prod", "EMR_HIVE": "emr_hadoop_01", "EMR_SPARK": "emr_hadoop_01",
                "HOLOGRES_SQL": "holo_dw"}
RES_GROUPS = (("S_res_group_4100000000001_1650000000000001", "group_4100000000001"),
              ("sched_exclusive_rg_01", "Serverless_res_group_410_01"),
              ("sched_exclusive_rg_02", "Serverless_res_group_410_02"),
              ("sched_exclusive_rg_03", "Serverless_res_group_410_03"))
SAMPLE_OWNER = "203100000000042"
BASELINE_ID_BASE = 90001


@dataclass(frozen=True)
class Baselines:
    baseline_of: np.ndarray  # per node: baseline id or 0
    ids: np.ndarray  # baseline ids
    project: np.ndarray  # project position per baseline
    priority: np.ndarray  # priority per baseline
    owner: np.ndarray  # owner position per baseline


def project_domains(n_projects: int) -> list[str]:
    """Domain (subject area) of each project; the first is ``trade``."""
    return [DOMAINS[p % len(DOMAINS)] + ("" if p < len(DOMAINS) else f"_{p // len(DOMAINS) + 1}")
            for p in range(n_projects)]


def draw_owners(n_nodes: int, project: np.ndarray, n_projects: int,
                rng: np.random.Generator) -> tuple[list[str], np.ndarray]:
    """A few dozen owner ids (``owners[0]`` is ``SAMPLE_OWNER``); each project mostly worked on by a dozen."""
    n_owners = int(np.clip(n_nodes // 400, 24, 60))
    pool = np.arange(1, 1000)
    numbers = rng.choice(pool[pool != int(SAMPLE_OWNER[4:])], size=n_owners - 1, replace=False)
    owners = [SAMPLE_OWNER] + [f"{SAMPLE_OWNER[:4]}{k:011d}" for k in numbers.tolist()]
    per_project = min(12, n_owners)
    subsets = np.stack([rng.choice(n_owners, size=per_project, replace=False) for _ in range(n_projects)])
    if 0 not in subsets[0]:
        subsets[0, -1] = 0  # SAMPLE_OWNER works in the sample project, not as its main owner
    zipf = 1.0 / np.arange(1, per_project + 1)
    slot = rng.choice(per_project, size=n_nodes, p=zipf / zipf.sum())
    return owners, subsets[project, slot]


def draw_program_types(layer: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """ProgramType per node: ingestion-heavy at ODS, SQL-heavy below, VIRTUAL roots."""
    out = _choose(PROGRAM_TYPES, layer.shape[0], rng)
    ods = layer == 1
    out[ods] = _choose(PROGRAM_TYPES_ODS, int(ods.sum()), rng)
    out[layer == 0] = "VIRTUAL"
    return out


def draw_scheduler_types(layer: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """About 1% PAUSE (frozen) and 1% SKIP (dry-run); MANUAL nodes are layer -1."""
    r = rng.random(layer.shape[0])
    out = np.where(r < 0.01, "PAUSE", np.where(r < 0.02, "SKIP", "NORMAL")).astype(object)
    out[layer == 0] = "NORMAL"
    out[layer < 0] = "MANUAL"
    return out


def draw_baselines(project: np.ndarray, eligible: np.ndarray, owner_of: np.ndarray, first: int,
                   rng: np.random.Generator) -> Baselines:
    """Group ~10% of eligible nodes into per-project baselines of a handful..hundreds of nodes.

    Node ``first`` (which must be in project 0) opens the first baseline, ``BASELINE_ID_BASE``.
    """
    pick = np.flatnonzero(eligible & (rng.random(eligible.shape[0]) < 0.10))
    pick = np.concatenate(([first], pick[pick != first]))
    pick = pick[np.argsort(project[pick], kind="stable")]
    bounds = np.flatnonzero(np.diff(project[pick])) + 1
    baseline_of = np.zeros(eligible.shape[0], dtype=np.int64)
    ids, proj, owner = [], [], []
    next_id = BASELINE_ID_BASE
    for members in np.split(pick, bounds):
        at = 0
        while at < members.size:
            size = int(np.clip(np.exp(rng.normal(np.log(25), 1.0)), 3, 300))
            chunk = members[at:at + size]
            baseline_of[chunk] = next_id
            ids.append(next_id)
            proj.append(int(project[chunk[0]]))
            owner.append(int(owner_of[chunk[0]]))
            next_id += 1
            at += size
    priority = rng.choice([3, 5, 7, 8], size=len(ids), p=[0.4, 0.3, 0.2, 0.1])
    return Baselines(baseline_of, np.array(ids, dtype=np.int64), np.array(proj, dtype=np.int64),
                     priority, np.array(owner, dtype=np.int64))


def draw_priorities(baseline_of: np.ndarray, baselines: Baselines, rng: np.random.Generator) -> np.ndarray:
    """Mostly 1 or 3; baseline members take their baseline's priority (as DataWorks does)."""
    out = rng.choice([1, 3, 5], size=baseline_of.shape[0], p=[0.65, 0.30, 0.05])
    inside = baseline_of > 0
    out[inside] = baselines.priority[np.searchsorted(baselines.ids, baseline_of[inside])]
    return out


def node_names(layer: np.ndarray, n_layers: int, project: np.ndarray, kind: np.ndarray,
               reserved: tuple[str, ...], rng: np.random.Generator) -> list[str]:
    """``ods_trade_order_di``-style names, unique across the workspace and ``reserved``.

    Repeated base names get ``_02``, ``_03``, ... in position order.
    """
    n = layer.shape[0]
    frac = (layer - 1) / max(n_layers - 1, 1)
    prefix = np.where(frac < 0.25, 1, np.where(frac < 0.65, 3, 4))
    prefix[(prefix == 1) & (rng.random(n) < 0.15)] = 2
    prefix[layer == 1] = 0
    manual = layer < 0
    prefix[manual] = rng.integers(0, 5, size=int(manual.sum()))
    own_domain = rng.random(n) < 0.75
    domain = np.where(own_domain, project % len(DOMAINS), rng.integers(0, len(DOMAINS), size=n))
    entity = rng.integers(0, len(_ENTITIES), size=n)
    pick = rng.integers(0, 5, size=n) % np.array([len(_DAILY_SUFFIX[p]) for p in _LAYER_PREFIXES])[prefix]
    pick[kind != 0] = 0  # one code per distinct base name
    name_kind = np.where(kind == 3, 2, kind).astype(np.int64)  # both minute kinds are named "mi"
    code = (((prefix * len(DOMAINS) + domain) * len(_ENTITIES) + entity) * 8 + name_kind) * 5 + pick
    uniq, inverse = np.unique(code, return_inverse=True)
    base = np.array([_base_name(int(c)) for c in uniq], dtype=object)
    # occurrence number of each node within its base name, in position order
    order = np.argsort(inverse, kind="stable")
    group_start = np.searchsorted(inverse[order], inverse[order], side="left")
    occurrence = np.empty(n, dtype=np.int64)
    occurrence[order] = np.arange(n) - group_start
    taken = set(reserved)
    bumped = np.array([b in taken for b in base.tolist()])[inverse]
    occurrence = occurrence + bumped
    names = base[inverse]
    for i in np.flatnonzero(occurrence > 0).tolist():
        names[i] = f"{names[i]}_{occurrence[i] + 1:02d}"
    return names.tolist()


def _base_name(code: int) -> str:
    rest, pick = divmod(code, 5)
    rest, kind = divmod(rest, 8)
    rest, entity = divmod(rest, len(_ENTITIES))
    prefix, domain = divmod(rest, len(DOMAINS))
    pre = _LAYER_PREFIXES[prefix]
    daily = _DAILY_SUFFIX[pre]
    suffix = daily[pick % len(daily)] if kind == 0 else _KIND_SUFFIX[kind]
    return f"{pre}_{DOMAINS[domain]}_{_ENTITIES[entity]}_{suffix}"


def connection_of(program_type: str, domain: str) -> str:
    """The data source a node of this program type reads or writes."""
    return _CONNECTIONS.get(program_type, "").format(domain=domain)


def _choose(table: tuple[tuple[str, float], ...], size: int, rng: np.random.Generator) -> np.ndarray:
    values = np.array([v for v, _ in table], dtype=object)
    p = np.array([w for _, w in table])
    return values[rng.choice(len(table), size=size, p=p / p.sum())]
