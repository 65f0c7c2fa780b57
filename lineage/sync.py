"""One sync: DataWorks metadata → a new snapshot file, published only when complete.

Order of work: workspaces → node pages → baselines and options → each node's parents (and, when the sync
does not cover every workspace downstream of its nodes, their children across workspaces: see
`lineage.sync_dependencies`) → the members of every workspace holding a node → run history of the bizdates the previous snapshot lacks. Listings that one
query cannot reach within the API's page limits are split by the actions' filters (`lineage.sync_listings`).
Calls run concurrently, all behind the client's rate limit. Any failure deletes the partial file; the live
snapshot is never touched. A workspace the credentials may not read is recorded, not fatal, unless no
synced workspace can be read at all. Workspace members only name owners: a member listing that fails (403, the
API down, too many members) is said once and leaves owners shown as their ids, never failing the sync.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

import duckdb
import pyarrow as pa

import sql
from lineage.client import DataWorksClient
from lineage.errors import AccessDeniedError, DataWorksError
from lineage.records import DATAWORKS_TZ
from lineage.snapshot_writer import SnapshotWriter, SyncCounters
from lineage.snapshots import SnapshotRef, SnapshotStore, connect_snapshot, snapshot_id_of
from lineage.sync_dependencies import fetch_dependencies
from lineage.sync_listings import (baseline_partitioner, instance_partitioner, list_all, member_partitioner,
                                   node_partitioner, project_partitioner)
from lineage.sync_pool import CallPool, Silent, SyncProgress

__all__ = ["SyncRequest", "SyncResult", "SyncProgress", "run_sync", "read_sync_info", "history_plan",
           "sync_mode"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncRequest:
    """What to sync. Empty `projects` = every workspace the credentials can list."""

    projects: tuple[int, ...] = ()
    full: bool = False
    history_days: int = 30
    extension_code: str = ""
    keep_snapshots: int = 5
    today: date | None = None          # "today" in the DataWorks time zone; injectable for tests
    tz: timezone = DATAWORKS_TZ


@dataclass(frozen=True)
class SyncResult:
    """The published snapshot and its `sync_info` row."""

    snapshot: SnapshotRef
    info: dict[str, Any]


def run_sync(client: DataWorksClient, store: SnapshotStore, request: SyncRequest,
             progress: SyncProgress | None = None) -> SyncResult:
    """Fetch everything, write a new snapshot, publish it atomically, prune old ones.

    Partial files of syncs that died (killed, crashed machine) are removed first; those of a sync still
    running in another process are left alone (`SnapshotStore.clean_partials`)."""
    progress = progress or Silent()
    for stale in store.clean_partials():
        log.info("removed %s, left by a sync that did not finish", stale.name)
    previous = store.current()
    partial = store.new_partial()
    writer = SnapshotWriter(partial, tz=request.tz)
    counters = SyncCounters(source=client.endpoint, previous_snapshot_id=previous.id if previous else None)
    previous_con = connect_snapshot(previous.path) if previous else None
    try:
        with ThreadPoolExecutor(max_workers=client.settings.concurrency, thread_name_prefix="sync") as pool:
            job = _SyncJob(client, CallPool(pool, progress), writer, request)
            job.run(previous_con, counters)
        counters.api_calls = client.stats.calls
        counters.api_retries = client.stats.retries
        counters.api_errors = client.stats.errors
        counters.throttled = client.stats.throttled
        writer.finish(counters, snapshot_id=snapshot_id_of(partial))
    except BaseException:
        writer.abort()
        store.release(partial)
        raise
    finally:
        if previous_con is not None:
            previous_con.close()
    ref = store.publish(partial)
    store.prune(keep=request.keep_snapshots)
    return SyncResult(ref, read_sync_info(ref.path))


def read_sync_info(path: Any) -> dict[str, Any]:
    """The newest `sync_info` row of a snapshot file, as a dict."""
    con = connect_snapshot(path)
    try:
        return _sync_info(con)
    finally:
        con.close()


def _sync_info(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    cursor = con.execute(sql.load("sync_info_latest"))
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()  # fetch to the end: DuckDB 2 refuses new work while a result is unfinished
    return dict(zip(names, rows[0])) if rows else {}


def history_plan(today: date, history_days: int, previous_to: date | None) -> tuple[list[date], date]:
    """(bizdates to fetch, oldest bizdate to keep). The newest bizdate is yesterday (its runs are
    today's). With a previous snapshot only bizdates after its newest are fetched, plus its newest
    again, whose runs may have finished since.

    >>> history_plan(date(2026, 11, 24), 3, None)
    ([datetime.date(2026, 11, 21), datetime.date(2026, 11, 22), datetime.date(2026, 11, 23)], datetime.date(2026, 11, 21))
    >>> history_plan(date(2026, 11, 24), 30, date(2026, 11, 23))[0]
    [datetime.date(2026, 11, 23)]
    """
    newest = today - timedelta(days=1)
    keep_from = newest - timedelta(days=max(history_days, 0) - 1)
    start = keep_from if previous_to is None else max(keep_from, min(previous_to, newest))
    days = (newest - start).days + 1 if history_days > 0 else 0
    return [start + timedelta(days=i) for i in range(max(days, 0))], keep_from


def sync_mode(full: bool, previous: dict[str, Any], endpoint: str, project_ids: list[int]) -> tuple[str, str]:
    """("full" | "incremental", why). Incremental reuses the previous snapshot's dependencies, so it needs
    one synced from the same endpoint over the same workspaces; anything else is a full sync that says
    which of those differed (a changed endpoint or region is a different DataWorks, or a different copy).

    >>> prev = {"snapshot_id": "s1", "source": "a:1", "project_ids": [1, 2]}
    >>> sync_mode(False, prev, "a:1", [2, 1])
    ('incremental', 'same endpoint and workspaces as snapshot s1')
    >>> sync_mode(False, prev, "b:2", [1, 2])[1]
    'endpoint changed since snapshot s1 (a:1 then, b:2 now): its dependencies cannot be reused'
    >>> sync_mode(False, prev, "a:1", [1, 3])[1]
    'workspaces changed since snapshot s1 (1, 2 then, 1, 3 now): its dependencies cannot be reused'
    """
    if full:
        return "full", "--full was asked for"
    if not previous:
        return "full", "no previous snapshot to build on"
    before = previous.get("snapshot_id") or "before"
    then_source, then_projects = previous.get("source"), sorted(previous.get("project_ids") or [])
    if then_source != endpoint:
        return "full", (f"endpoint changed since snapshot {before} ({then_source} then, {endpoint} now): "
                        "its dependencies cannot be reused")
    if then_projects != sorted(project_ids):
        shown = ", ".join
        return "full", (f"workspaces changed since snapshot {before} ({shown(map(str, then_projects)) or 'none'} "
                        f"then, {shown(map(str, sorted(project_ids))) or 'none'} now): its dependencies cannot "
                        "be reused")
    return "incremental", f"same endpoint and workspaces as snapshot {before}"


class _SyncJob:
    def __init__(self, client: DataWorksClient, calls: CallPool, writer: SnapshotWriter, request: SyncRequest):
        self.client, self.calls, self.writer, self.request = client, calls, writer, request
        self.max_pages = client.max_pages
        self._listed_projects: dict[int, dict[str, Any]] = {}   # every workspace ListProjects returned, by id

    def run(self, previous: duckdb.DuckDBPyConnection | None, counters: SyncCounters) -> None:
        """`previous`: the live snapshot, opened once for every phase that reuses it (None on a first sync)."""
        project_ids = self._projects()
        counters.project_ids = project_ids
        listed = self._nodes(project_ids)
        readable = [pid for pid in project_ids if pid not in self.writer.unreadable]
        self._baselines_and_options(readable)
        prev_info = _sync_info(previous) if previous is not None else {}
        counters.mode, counters.mode_reason = sync_mode(self.request.full, prev_info, self.client.endpoint,
                                                        project_ids)
        incremental = counters.mode == "incremental"
        log.info("%s sync: %s", counters.mode, counters.mode_reason)
        reuse = self._reusable(previous, listed) if incremental and previous is not None else set()
        if reuse and previous is not None:
            self._copy_parent_edges(previous, reuse)
        # Every edge is some node's parent edge, unless the child lives in a workspace this sync does not list.
        follow = bool(self.request.projects) or bool(self.writer.unreadable)
        fetch_dependencies(self.client, self.calls, self.writer, (int(n["NodeId"]) for n in listed), reuse, follow)
        # members of every workspace whose nodes the snapshot holds (downstream ones too), so owners read the same
        # after a sync limited to some workspaces as after a full one
        held = self.writer.node_project_ids   # a pass over every node: taken once
        counters.members_unavailable = self._members(sorted(held - self.writer.unreadable))
        # ... and their names: the listing already read every workspace (sync_info keeps the synced ones apart)
        for pid in sorted(held - set(project_ids)):
            if pid in self._listed_projects:
                self.writer.add_project(self._listed_projects[pid])
        history_to = prev_info.get("history_to") if prev_info.get("source") == self.client.endpoint else None
        counters.history_bizdates_fetched, counters.history_rows_missed = \
            self._history(readable, listed, previous, history_to)

    # -- phases -----------------------------------------------------------------------------------
    def _projects(self) -> list[int]:
        projects: list[dict[str, Any]] = []
        list_all(self.calls, project_partitioner(self.max_pages["ListProjects"]), [None],
                 lambda _, page: self.client.list_projects_page(page), lambda _, rows: projects.extend(rows),
                 "workspaces")
        by_id = {int(p["ProjectId"]): p for p in projects if p.get("ProjectId") is not None}
        self._listed_projects = by_id
        wanted = list(self.request.projects) or sorted(by_id)
        for pid in wanted:
            self.writer.add_project(by_id.get(pid, {"ProjectId": pid}))
        log.info("syncing %d workspace(s): %s", len(wanted), ", ".join(map(str, wanted)))
        return wanted

    def _nodes(self, project_ids: list[int]) -> list[dict[str, Any]]:
        nodes: list[dict[str, Any]] = []
        list_all(self.calls, node_partitioner(self.max_pages["ListNodes"]), project_ids,
                 self.client.list_nodes_page, lambda _, rows: nodes.extend(rows), "node pages",
                 forbidden=self._forbidden_workspace)
        if project_ids and all(pid in self.writer.unreadable for pid in project_ids):
            raise AccessDeniedError(f"the credentials may read none of the workspaces to sync "
                                    f"({', '.join(map(str, project_ids))}): every ListNodes answered 403",
                                    action="ListNodes", code="Forbidden.Access", status=403)
        self.writer.add_nodes(nodes, listed=True)
        log.info("listed %d nodes", len(nodes))
        return nodes

    def _forbidden_workspace(self, project_id: Hashable, error: AccessDeniedError) -> None:
        log.warning("workspace %s cannot be read (%s): recorded as unreadable", project_id, error.code)
        self.writer.add_unreadable(int(project_id), "ListNodes", error.code or "", str(error))  # type: ignore[arg-type]

    def _baselines_and_options(self, project_ids: list[int]) -> None:
        def add(project_id: Hashable, baselines: list[dict[str, Any]]) -> None:
            for baseline in baselines:
                self.writer.add_baseline(baseline, project_id=int(baseline.get("ProjectId") or project_id))

        list_all(self.calls, baseline_partitioner(self.max_pages["ListBaselines"]), project_ids,
                 self.client.list_baselines_page, add, "baselines")
        if self.request.extension_code:
            code = self.request.extension_code
            values = self.calls.map(lambda pid: self.client.get_option_value(pid, code), project_ids, "options")
            for project_id, value in zip(project_ids, values):
                self.writer.add_option(project_id, value)

    def _members(self, project_ids: list[int]) -> str | None:
        """List every workspace's members; None when all were listed, else why some were not (logged once)."""
        fetched: dict[int, list[dict[str, Any]]] = {}
        refused: dict[int, str] = {}

        def forbidden(project_id: Hashable, error: AccessDeniedError) -> None:
            refused[int(project_id)] = error.code or "HTTP 403"  # type: ignore[arg-type]

        try:
            list_all(self.calls, member_partitioner(self.max_pages["ListProjectMembers"]), project_ids,
                     self.client.list_project_members_page,
                     lambda pid, rows: fetched.setdefault(int(pid), []).extend(rows),  # type: ignore[arg-type]
                     "members", forbidden=forbidden)
        except DataWorksError as exc:
            why = f"ListProjectMembers failed ({exc})"
            log.warning("workspace members not synced: %s; owners are shown as user ids", why)
            return why
        for project_id, rows in fetched.items():
            self.writer.add_members(project_id, rows)
        if not refused:
            return None
        codes = ", ".join(sorted(set(refused.values())))
        why = (f"ListProjectMembers refused for {len(refused)} of {len(project_ids)} workspace(s) "
               f"({', '.join(map(str, sorted(refused)))}: {codes})")
        log.warning("workspace members not synced: %s; their owners are shown as user ids", why)
        return why

    def _reusable(self, previous: duckdb.DuckDBPyConnection, listed: list[dict[str, Any]]) -> set[int]:
        before = {row[0]: row[1] for row in previous.execute(sql.load("sync_previous_nodes")).fetchall() if row[2]}
        return {int(n["NodeId"]) for n in listed
                if n.get("ModifyTime") is not None and before.get(int(n["NodeId"])) == int(n["ModifyTime"])}

    def _copy_parent_edges(self, previous: duckdb.DuckDBPyConnection, reuse: set[int]) -> None:
        """The parent edges of unchanged nodes and the unlisted parents they name, from the previous snapshot."""
        previous.register("unchanged", pa.table({"node_id": pa.array(sorted(reuse), pa.int64())}))
        try:
            self.writer.add_edges(previous.execute(sql.load("sync_previous_parent_edges")).fetchall())
            cursor = previous.execute(sql.load("sync_previous_unlisted_nodes"))
            names = [d[0] for d in cursor.description]
            rows = cursor.fetchall()
        finally:
            previous.unregister("unchanged")
        self.writer.add_nodes((dict(zip(names, row)) for row in rows), listed=False)

    def _history(self, project_ids: list[int], listed: list[dict[str, Any]],
                 previous: duckdb.DuckDBPyConnection | None, previous_to: date | None) -> tuple[int, int]:
        """(bizdates fetched, instances no ListInstances query could reach)."""
        today = self.request.today or datetime.now(self.request.tz).date()
        bizdates, keep_from = history_plan(today, self.request.history_days, previous_to)
        if previous is not None and previous_to is not None and bizdates:
            table = previous.sql(sql.load("snapshot_previous_instances"),
                                 params={"refetch_from": bizdates[0], "keep_from": keep_from}).to_arrow_table()
            self.writer.add_instance_table(table)
        keys = [(pid, d.isoformat()) for pid in project_ids for d in bizdates]
        partitioner = instance_partitioner(listed, self.max_pages["ListInstances"])
        list_all(self.calls, partitioner, keys,
                 lambda key, page, **filters: self.client.list_instances_page(key[0], key[1], page, **filters),
                 lambda _, rows: self.writer.add_instances(rows), "run history")
        return len(bizdates), sum(partitioner.unreached.values())
