"""One sync: DataWorks metadata → a new snapshot file, published only when complete.

Order of work: workspaces → node pages → baselines and options → each node's parents (and children
when the sync is limited to some workspaces, so downstream nodes elsewhere are not missed) → run
history of the bizdates the previous snapshot lacks. Calls run concurrently, all behind the client's
rate limit. Any failure deletes the partial file; the live snapshot is never touched.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Protocol, TypeVar

import duckdb
import pyarrow as pa

import sql
from lineage.client import PAGE_SIZE, DataWorksClient
from lineage.records import DATAWORKS_TZ
from lineage.snapshot_writer import SnapshotWriter, SyncCounters
from lineage.snapshots import SnapshotRef, SnapshotStore, connect_snapshot, snapshot_id_of

__all__ = ["SyncRequest", "SyncResult", "SyncProgress", "run_sync", "read_sync_info", "history_plan"]

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")


class SyncProgress(Protocol):
    """Where a sync reports how far it is (a progress bar on a TTY, log lines otherwise)."""

    def start(self, phase: str, total: int) -> None: ...
    def advance(self, phase: str, amount: int = 1) -> None: ...


class _Silent:
    def start(self, phase: str, total: int) -> None:
        pass

    def advance(self, phase: str, amount: int = 1) -> None:
        pass


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
    """Fetch everything, write a new snapshot, publish it atomically, prune old ones."""
    progress = progress or _Silent()
    previous = store.current()
    partial = store.new_partial()
    writer = SnapshotWriter(partial, tz=request.tz)
    counters = SyncCounters(source=client.endpoint, previous_snapshot_id=previous.id if previous else None)
    previous_con = connect_snapshot(previous.path) if previous else None
    try:
        with ThreadPoolExecutor(max_workers=client.settings.concurrency, thread_name_prefix="sync") as pool:
            job = _SyncJob(client, pool, writer, request, progress)
            job.run(previous_con, counters)
        counters.api_calls = client.stats.calls
        counters.api_retries = client.stats.retries
        counters.api_errors = client.stats.errors
        counters.throttled = client.stats.throttled
        writer.finish(counters, snapshot_id=snapshot_id_of(partial))
    except BaseException:
        writer.abort()
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


class _SyncJob:
    def __init__(self, client: DataWorksClient, pool: ThreadPoolExecutor, writer: SnapshotWriter,
                 request: SyncRequest, progress: SyncProgress):
        self.client, self.pool, self.writer, self.request, self.progress = client, pool, writer, request, progress

    def run(self, previous: duckdb.DuckDBPyConnection | None, counters: SyncCounters) -> None:
        """`previous`: the live snapshot, opened once for every phase that reuses it (None on a first sync)."""
        project_ids = self._projects()
        counters.project_ids = project_ids
        listed = self._nodes(project_ids)
        self._baselines_and_options(project_ids)
        prev_info = _sync_info(previous) if previous is not None else {}
        incremental = (not self.request.full and bool(prev_info)
                       and sorted(prev_info.get("project_ids") or []) == sorted(project_ids)
                       and prev_info.get("source") == self.client.endpoint)
        counters.mode = "incremental" if incremental else "full"
        reuse = self._reusable(previous, listed) if incremental and previous is not None else set()
        self._dependencies(listed, reuse, previous, limited=bool(self.request.projects))
        history_to = prev_info.get("history_to") if prev_info.get("source") == self.client.endpoint else None
        counters.history_bizdates_fetched = self._history(project_ids, previous, history_to)

    # -- phases -----------------------------------------------------------------------------------
    def _projects(self) -> list[int]:
        self.progress.start("workspaces", 1)
        projects = list(self._all_pages(self.client.list_projects_page))
        self.progress.advance("workspaces")
        by_id = {int(p["ProjectId"]): p for p in projects if p.get("ProjectId") is not None}
        wanted = list(self.request.projects) or sorted(by_id)
        for pid in wanted:
            self.writer.add_project(by_id.get(pid, {"ProjectId": pid}))
        log.info("syncing %d workspace(s): %s", len(wanted), ", ".join(map(str, wanted)))
        return wanted

    def _nodes(self, project_ids: list[int]) -> list[dict[str, Any]]:
        self.progress.start("node pages", len(project_ids))
        nodes: list[dict[str, Any]] = []
        for _, page_nodes in self._paged_parallel(project_ids, self.client.list_nodes_page, "node pages"):
            nodes.extend(page_nodes)
        self.writer.add_nodes(nodes, listed=True)
        log.info("listed %d nodes", len(nodes))
        return nodes

    def _baselines_and_options(self, project_ids: list[int]) -> None:
        self.progress.start("baselines", len(project_ids))
        for project_id, baselines in self._paged_parallel(project_ids, self.client.list_baselines_page,
                                                          "baselines"):
            for baseline in baselines:
                self.writer.add_baseline(baseline, project_id=int(baseline.get("ProjectId") or project_id))
        if self.request.extension_code:
            code = self.request.extension_code
            self.progress.start("options", len(project_ids))
            values = self._map(lambda pid: self.client.get_option_value(pid, code), project_ids, "options")
            for project_id, value in zip(project_ids, values):
                self.writer.add_option(project_id, value)

    def _reusable(self, previous: duckdb.DuckDBPyConnection, listed: list[dict[str, Any]]) -> set[int]:
        before = {row[0]: row[1] for row in previous.execute(sql.load("sync_previous_nodes")).fetchall() if row[2]}
        return {int(n["NodeId"]) for n in listed
                if n.get("ModifyTime") is not None and before.get(int(n["NodeId"])) == int(n["ModifyTime"])}

    def _dependencies(self, listed: list[dict[str, Any]], reuse: set[int],
                      previous: duckdb.DuckDBPyConnection | None,
                      limited: bool) -> None:
        if reuse and previous is not None:
            self._copy_parent_edges(previous, reuse)
        ids = [int(n["NodeId"]) for n in listed]
        calls: list[tuple[str, int]] = [("parents", i) for i in ids if i not in reuse]
        if limited:  # children in other workspaces are only found by asking for them
            calls += [("children", i) for i in ids]
        self.progress.start("dependencies", len(calls))

        def fetch(call: tuple[str, int]) -> tuple[str, int, list[dict[str, Any]]]:
            kind, node_id = call
            fn = self.client.get_node_parents if kind == "parents" else self.client.get_node_children
            return kind, node_id, fn(node_id)

        for kind, node_id, neighbours in self._unordered(fetch, calls, "dependencies"):
            self.writer.add_nodes(neighbours, listed=False)
            other = (int(n["NodeId"]) for n in neighbours if n.get("NodeId") is not None)
            self.writer.add_edges((o, node_id) if kind == "parents" else (node_id, o) for o in other)

    def _copy_parent_edges(self, previous: duckdb.DuckDBPyConnection, reuse: set[int]) -> None:
        previous.register("unchanged", pa.table({"node_id": pa.array(sorted(reuse), pa.int64())}))
        try:
            self.writer.add_edges(previous.execute(sql.load("sync_previous_parent_edges")).fetchall())
        finally:
            previous.unregister("unchanged")
        cursor = previous.execute(sql.load("sync_previous_unlisted_nodes"))
        names = [d[0] for d in cursor.description]
        self.writer.add_nodes((dict(zip(names, row)) for row in cursor.fetchall()), listed=False)

    def _history(self, project_ids: list[int], previous: duckdb.DuckDBPyConnection | None,
                 previous_to: date | None) -> int:
        today = self.request.today or datetime.now(self.request.tz).date()
        bizdates, keep_from = history_plan(today, self.request.history_days, previous_to)
        if previous is not None and previous_to is not None and bizdates:
            table = previous.sql(sql.load("snapshot_previous_instances"),
                                 params={"refetch_from": bizdates[0], "keep_from": keep_from}).to_arrow_table()
            self.writer.add_instance_table(table)
        keys = [(pid, d.isoformat()) for pid in project_ids for d in bizdates]
        self.progress.start("run history", len(keys))
        pager = lambda key, page: self.client.list_instances_page(key[0], key[1], page)  # noqa: E731
        for _, instances in self._paged_parallel(keys, pager, "run history"):
            self.writer.add_instances(instances)
        return len(bizdates)

    # -- concurrency helpers ----------------------------------------------------------------------
    def _all_pages(self, fetch: Callable[[int], tuple[list[T], int]]) -> Iterator[T]:
        first, total = fetch(1)
        yield from first
        pages = _page_count(total)
        for items in self._map(lambda page: fetch(page)[0], range(2, pages + 1), None):
            yield from items

    def _paged_parallel(self, keys: list[Any], fetch: Callable[[Any, int], tuple[list[T], int]],
                        phase: str) -> Iterator[tuple[Any, list[T]]]:
        """(key, items) of the first page of every key, fetched concurrently, then of every remaining
        page. Only the main thread submits work, so pool threads never wait on each other."""
        rest: list[tuple[Any, int]] = []
        for key, (items, total) in zip(keys, self._map(lambda k: fetch(k, 1), keys, None)):
            self.progress.advance(phase)
            rest.extend((key, page) for page in range(2, _page_count(total) + 1))
            yield key, items
        if rest:
            self.progress.start(f"{phase} (more pages)", len(rest))
            yield from self._unordered(lambda kp: (kp[0], fetch(kp[0], kp[1])[0]), rest, f"{phase} (more pages)")

    def _map(self, fn: Callable[[T], R], items: Iterable[T], phase: str | None) -> list[R]:
        """Results in input order; the first failure cancels the rest and is raised."""
        futures = [self.pool.submit(fn, item) for item in items]
        try:
            results = []
            for future in futures:
                results.append(future.result())
                if phase:
                    self.progress.advance(phase)
            return results
        finally:
            for future in futures:
                future.cancel()

    def _unordered(self, fn: Callable[[T], R], items: Iterable[T], phase: str) -> Iterator[R]:
        futures = [self.pool.submit(fn, item) for item in items]
        try:
            for future in as_completed(futures):
                yield future.result()
                self.progress.advance(phase)
        finally:
            for future in futures:
                future.cancel()


def _page_count(total: int) -> int:
    return max(1, -(-int(total) // PAGE_SIZE))
