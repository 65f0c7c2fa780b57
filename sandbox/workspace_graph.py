"""Shape of a generated demo workspace: layers, projects and dependency edges.

Everything here works on *dense* node positions (0..n-1), never on DataWorks ids:
``workspace.py`` maps positions to sparse ``NodeId`` values at the end.

The cycle nodes are laid out in layers (0 = the per-project root nodes, 1 = ODS
ingestion, then DWD/DWS/ADS ever deeper). Each node also has a coordinate ``x`` in
[0, 1) that decides its project (contiguous bands) and keeps most dependencies local:
a child picks parents whose ``x`` is close to its own, so descendant sets grow like a
cone instead of swallowing the workspace. A few *hub* nodes are picked as parents from
anywhere, which gives them thousands of descendants; a small share of parents is picked
uniformly, which gives cross-project edges.

Every cycle node at layer k >= 1 has a *primary* parent in layer k-1, so the longest
path from a root is exactly the number of layers and every node hangs from a root.
Edges only point from a lower layer to a higher one: the graph is a DAG by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: extra parents per non-ODS node (on top of the primary one), chosen so the whole
#: workspace averages about 2.2 edges per node after de-duplication
_EXTRA_PARENTS_P = (0.06, 0.24, 0.45, 0.25)
_CROSS_PROJECT_P = 0.03
_HUB_P = 0.05
#: share of all hub picks that go to the sample ingestion node (``ods_trade_order_di``)
_SAMPLE_HUB_SHARE = 0.25
#: spread of a parent's position around the child's, in parent-layer node counts
_LOCALITY_NODES = 1.5


@dataclass(frozen=True)
class WorkspaceGraph:
    """Dense layout of the cycle DAG plus the MANUAL nodes (appended at the end)."""

    n_projects: int
    n_cycle: int
    layer: np.ndarray  # int16 per node; -1 for MANUAL nodes
    project: np.ndarray  # int32 project position per node
    parents: np.ndarray  # int64 edge parents (dense)
    children: np.ndarray  # int64 edge children (dense)
    hubs: np.ndarray  # dense positions of hub nodes
    special: dict[str, int]  # role -> dense position (sample nodes)

    @property
    def n_nodes(self) -> int:
        return int(self.layer.shape[0])

    @property
    def n_layers(self) -> int:
        return int(self.layer.max())


def layer_count(n_cycle: int, n_projects: int, rng: np.random.Generator) -> int:
    """20-40 layers at realistic sizes, fewer when there are too few nodes to fill them."""
    wanted = int(round(7 + 4.2 * np.log10(max(n_cycle, 10)))) + int(rng.integers(-1, 2))
    return int(max(3, min(wanted, 40, (n_cycle - n_projects) // 3)))


def _layer_sizes(n_layered: int, n_layers: int) -> np.ndarray:
    """Wide ODS layer, then geometrically thinning layers down to the deepest one."""
    weights = np.exp(-np.arange(n_layers - 1) / max(n_layers / 4.0, 1.0))
    weights = np.concatenate(([weights.sum() * 0.25], weights))
    sizes = np.maximum(1, np.floor(weights / weights.sum() * n_layered)).astype(np.int64)
    sizes[0] += n_layered - sizes.sum()  # the ODS layer absorbs rounding
    if sizes[0] < 2:
        raise ValueError("too few nodes for the requested layers")
    return sizes


def build_graph(n_nodes: int, n_projects: int, n_manual: int, rng: np.random.Generator) -> WorkspaceGraph:
    """Lay out ``n_nodes`` nodes (the last ``n_manual`` of them MANUAL) over ``n_projects``."""
    n_cycle = n_nodes - n_manual
    n_layers = layer_count(n_cycle, n_projects, rng)
    sizes = _layer_sizes(n_cycle - n_projects, n_layers)
    starts = n_projects + np.concatenate(([0], np.cumsum(sizes)[:-1]))

    layer = np.empty(n_cycle, dtype=np.int16)
    x = np.empty(n_cycle, dtype=np.float64)
    layer[:n_projects] = 0
    x[:n_projects] = (np.arange(n_projects) + 0.5) / n_projects
    for k, (start, size) in enumerate(zip(starts, sizes), start=1):
        xs = np.sort(rng.random(size))
        xs[0] = 0.0  # the first node of every layer sits in the first project
        if k == 1:
            xs[1] = 0.0  # ... and the second ODS node too (the sample's 700000000102)
        layer[start:start + size] = k
        x[start:start + size] = xs
    project = np.minimum((x * n_projects).astype(np.int32), n_projects - 1)
    project[:n_projects] = np.arange(n_projects)

    special = {
        "root": 0,
        "ingest": int(starts[0]),  # ods_trade_order_di
        "ingest2": int(starts[0]) + 1,
        "detail": int(starts[1]) if n_layers >= 2 else -1,
        "summary": int(starts[2]) if n_layers >= 3 else -1,
    }
    hubs = _pick_hubs(n_cycle, starts, sizes, special, rng)

    ods = np.arange(starts[0], starts[0] + sizes[0], dtype=np.int64)
    par, chi = [project[ods].astype(np.int64)], [ods]  # ODS nodes hang from their project's root
    for k in range(2, n_layers + 1):
        p, c = _parents_of_layer(k, starts, sizes, x, hubs, layer, special["ingest"], rng)
        par.append(p)
        chi.append(c)
    parents = np.concatenate(par)
    children = np.concatenate(chi)

    m_par, m_chi = _manual_edges(n_cycle, n_manual, n_projects, rng)
    manual_project = rng.integers(0, n_projects, size=n_manual).astype(np.int32)
    for p, c in zip((m_par - n_cycle).tolist(), (m_chi - n_cycle).tolist()):
        manual_project[c] = manual_project[p]  # a MANUAL node depends within its project
    parents = np.concatenate((parents, m_par))
    children = np.concatenate((children, m_chi))

    key = np.sort(parents * n_nodes + children)  # sorted by parent, then de-duplicated
    key = key[np.concatenate(([True], key[1:] != key[:-1]))]
    return WorkspaceGraph(
        n_projects=n_projects,
        n_cycle=n_cycle,
        layer=np.concatenate((layer, np.full(n_manual, -1, dtype=np.int16))),
        project=np.concatenate((project, manual_project)),
        parents=key // n_nodes,
        children=key % n_nodes,
        hubs=hubs,
        special=special,
    )


def _pick_hubs(n_cycle: int, starts: np.ndarray, sizes: np.ndarray, special: dict[str, int],
               rng: np.random.Generator) -> np.ndarray:
    """The sample ingestion node plus about one hub per 5k nodes from the first layers."""
    n_hubs = max(2, int(round(n_cycle / 5000)))
    top = int(min(len(sizes), 3))
    pool = np.arange(starts[0], starts[0] + sizes[:top].sum())
    pool = pool[~np.isin(pool, [v for v in special.values() if v >= 0])]
    others = rng.choice(pool, size=min(n_hubs, pool.size), replace=False)
    return np.concatenate(([special["ingest"]], np.sort(others))).astype(np.int64)


def _parents_of_layer(k: int, starts: np.ndarray, sizes: np.ndarray, x: np.ndarray, hubs: np.ndarray,
                      layer: np.ndarray, ingest: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Primary parent in layer k-1 plus 0-3 extra parents from earlier layers."""
    start, size = int(starts[k - 1]), int(sizes[k - 1])
    child = np.arange(start, start + size, dtype=np.int64)
    cx = x[start:start + size]

    primary = _near(cx, k - 1, starts, sizes, x, rng)
    n_extra = rng.choice(len(_EXTRA_PARENTS_P), size=size, p=_EXTRA_PARENTS_P)
    ex_child = np.repeat(child, n_extra)
    ex_x = np.repeat(cx, n_extra)
    # parent layer: mostly the previous one or two, sometimes far up (dims, ODS)
    ex_layer = np.clip(k - rng.geometric(0.45, size=ex_child.size), 1, k - 1)
    ex_parent = np.empty(ex_child.size, dtype=np.int64)
    for j in range(1, k):
        sel = ex_layer == j
        if sel.any():
            ex_parent[sel] = _near(ex_x[sel], int(j), starts, sizes, x, rng)

    hub_ok = hubs[layer[hubs] < k]
    pick_hub = rng.random(ex_child.size) < _HUB_P
    if hub_ok.size and pick_hub.any():
        w = np.where(hub_ok == ingest, 0.0, (1.0 - _SAMPLE_HUB_SHARE) / max(hub_ok.size - 1, 1))
        w[hub_ok == ingest] = _SAMPLE_HUB_SHARE if hub_ok.size > 1 else 1.0
        ex_parent[pick_hub] = rng.choice(hub_ok, size=int(pick_hub.sum()), p=w / w.sum())
    # the sample nodes' own dependencies stay as laid out (101 -> 205 -> 206)
    keep = (ex_child != start) | (k > 3)
    return np.concatenate((primary, ex_parent[keep])), np.concatenate((child, ex_child[keep]))


def _near(cx: np.ndarray, j: int, starts: np.ndarray, sizes: np.ndarray, x: np.ndarray,
          rng: np.random.Generator) -> np.ndarray:
    """For each position in ``cx``, a node of layer ``j`` close to it (sometimes anywhere)."""
    start, size = int(starts[j - 1]), int(sizes[j - 1])
    lx = x[start:start + size]
    target = cx + rng.normal(0.0, _LOCALITY_NODES / size, size=cx.size)
    far = rng.random(cx.size) < _CROSS_PROJECT_P
    target[far] = rng.random(int(far.sum()))
    pos = np.clip(np.searchsorted(lx, target), 0, size - 1)
    pos[cx == 0.0] = 0  # the first node of a layer depends on the first node above it
    return start + pos.astype(np.int64)


def _manual_edges(n_cycle: int, n_manual: int, n_projects: int,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """MANUAL nodes mostly stand alone; about 15% depend on an earlier MANUAL node."""
    if n_manual < 2:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    child = np.flatnonzero(rng.random(n_manual - 1) < 0.15) + 1
    parent = (rng.random(child.size) * child).astype(np.int64)
    return parent + n_cycle, child.astype(np.int64) + n_cycle
