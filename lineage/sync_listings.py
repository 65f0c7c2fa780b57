"""The list actions a sync pages through, each with the filters that split it when one query cannot reach
every row (see `lineage.paging`), and one loop that runs a listing's queries concurrently.

- ListNodes of a workspace: by `SchedulerType` (a documented closed set), then `ProgramType`, then `Owner`
  (values seen in the rows). Strict: a workspace that cannot be listed exactly fails the sync.
- ListInstances of a (workspace, bizdate): by `ProgramType`, then `Owner`, then `NodeId`, with the values of
  the workspace's synced nodes (instance records carry none of them). Not strict: instances no filter reaches
  (e.g. of nodes undeployed since, whose values are unknown) are counted in `sync_info.history_rows_missed`
  and logged, since run history only feeds estimates.
- ListBaselines of a workspace (30 pages): by `Priority`, then `BaselineTypes` (documented closed sets).
- ListProjects: never split (10,000 workspaces).
- ListProjectMembers of a workspace (30 pages): never split (the action has no filter; 3,000 members).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any

from lineage.errors import AccessDeniedError
from lineage.paging import Dimension, Partitioner, Query
from lineage.sync_pool import CallPool

__all__ = ["list_all", "node_partitioner", "instance_partitioner", "baseline_partitioner", "project_partitioner",
           "member_partitioner", "SCHEDULER_TYPES"]

log = logging.getLogger(__name__)

#: the node scheduler types ListNodes returns (instance-only types such as SKIP_CYCLE aside)
SCHEDULER_TYPES = ("NORMAL", "MANUAL", "PAUSE", "SKIP")
BASELINE_PRIORITIES = (1, 3, 5, 7, 8)
BASELINE_TYPES = ("DAILY", "HOURLY")

Fetch = Callable[..., tuple[list[dict[str, Any]], int]]


def node_partitioner(max_pages: int) -> Partitioner:
    """ListNodes, split by scheduler type, program type, owner."""
    return Partitioner([Dimension("scheduler_type", "SchedulerType", closed=SCHEDULER_TYPES),
                        Dimension("program_type", "ProgramType"),
                        Dimension("owner", "OwnerId")], action="ListNodes", max_pages=max_pages)


def instance_partitioner(nodes: Iterable[Mapping[str, Any]], max_pages: int) -> Partitioner:
    """ListInstances of (workspace, bizdate) keys, split by the program types, owners and ids of `nodes`."""
    by_project: dict[int, list[tuple[int, Any, Any]]] = defaultdict(list)
    for node in nodes:
        if node.get("ProjectId") is not None:
            by_project[int(node["ProjectId"])].append((int(node["NodeId"]), node.get("ProgramType"),
                                                       node.get("OwnerId")))

    def values(column: int) -> Callable[[Hashable, Mapping[str, Any]], Iterable[Any]]:
        def known(key: Hashable, filters: Mapping[str, Any]) -> Iterable[Any]:
            program, owner = filters.get("program_type"), filters.get("owner")
            return {row[column] for row in by_project.get(key[0], ())  # type: ignore[index]
                    if (program is None or row[1] == program) and (owner is None or row[2] == owner)}
        return known

    return Partitioner([Dimension("program_type", "ProgramType", known=values(1)),
                        Dimension("owner", "Owner", known=values(2)),
                        Dimension("node_id", "NodeId", known=values(0))],
                       action="ListInstances", max_pages=max_pages, strict=False)


def baseline_partitioner(max_pages: int) -> Partitioner:
    """ListBaselines, split by priority, then baseline type."""
    return Partitioner([Dimension("priority", "Priority", closed=BASELINE_PRIORITIES),
                        Dimension("baseline_types", "BaselineType", closed=BASELINE_TYPES)],
                       action="ListBaselines", max_pages=max_pages)


def project_partitioner(max_pages: int) -> Partitioner:
    return Partitioner([], action="ListProjects", max_pages=max_pages)


def member_partitioner(max_pages: int) -> Partitioner:
    return Partitioner([], action="ListProjectMembers", max_pages=max_pages)


def list_all(calls: CallPool, partitioner: Partitioner, keys: Iterable[Hashable], fetch: Fetch,
             on_rows: Callable[[Hashable, list[dict[str, Any]]], None], phase: str,
             forbidden: Callable[[Hashable, AccessDeniedError], None] | None = None) -> int:
    """Every row of every key: `fetch(key, page, **filters) -> (rows, total)`; `on_rows(key, rows)` receives
    each row once. `forbidden(key, error)`: a key whose first query answers 403 is reported there and skipped
    (without it, the error is raised). Returns the number of queries made."""
    def run(query: Query) -> tuple[list[dict[str, Any]], int] | AccessDeniedError:
        try:
            return fetch(query.key, query.page, **dict(query.filters))
        except AccessDeniedError as exc:
            if forbidden is None or query.filters or query.page != 1:
                raise
            return exc

    def handle(query: Query, result: tuple[list[dict[str, Any]], int] | AccessDeniedError) -> list[Query]:
        if isinstance(result, AccessDeniedError):
            assert forbidden is not None
            forbidden(query.key, result)
            return []
        rows, total = result
        keep, more = partitioner.on_page(query, rows, total)
        if keep:
            on_rows(query.key, rows)
        return more

    calls_made = calls.waves(run, [partitioner.start(key) for key in keys], handle,
                             lambda k: phase if k == 1 else f"{phase} (more pages)" if k == 2 else f"{phase} ({k})")
    for (key, filters), missed in partitioner.unreached.items():
        log.warning("%s of %s%s: %d rows out of reach of every filter (not in the snapshot)", partitioner.action,
                    key, f" {dict(filters)}" if filters else "", missed)
    return calls_made
