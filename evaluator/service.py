"""The server's parts wired together: state, writer, graph, worker, inbox, scheduler, metrics.

`Service.start()` opens `<data-dir>/state.duckdb`, loads the live snapshot and the stored node
overlay, finishes every accepted-but-unreported event, then starts the scheduler. `stop()` lets
running work finish; queued work stays in the inbox for the next start.
"""

from __future__ import annotations

import gc
import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta, tzinfo
from pathlib import Path
from typing import Any

from evaluator.freshness import Freshness, SyncRunner
from evaluator.graphs import GraphHolder
from evaluator.inbox import Inbox
from evaluator.metrics import Metrics
from evaluator.policy import Policy, default_policy
from evaluator.reporter import Reporter, ReportPolicy, ResultPoster
from evaluator.server_config import ScheduleSettings, ServerSettings
from evaluator.state import STATE_FILE, StateStore, utcnow
from evaluator.state_writer import PruneOverlay, StateWriter
from evaluator.webhook import Authenticator, SignatureAuth
from evaluator.worker import Worker
from lineage.records import DATAWORKS_TZ
from lineage.snapshots import SnapshotStore

__all__ = ["ServiceOptions", "Service"]

log = logging.getLogger(__name__)
RECHECK_MEMORY_DAYS = 7   # a Recheck days after the first check still names it
GC_THRESHOLD = 50_000     # allocations between young-generation collections (CPython default: 700)


@dataclass(frozen=True)
class ServiceOptions:
    """Everything a server needs besides its collaborators."""

    data_dir: Path
    server: ServerSettings = field(default_factory=ServerSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    policy: Policy = field(default_factory=default_policy)
    extension_code: str = "opsguard"
    tz: tzinfo = DATAWORKS_TZ
    state_path: Path | None = None

    @property
    def state_file(self) -> Path:
        return self.state_path or self.data_dir / STATE_FILE


class Service:
    """One running opsguard server (without the HTTP layer, see `evaluator.server`)."""

    def __init__(self, options: ServiceOptions, *, poster: ResultPoster, auth: Authenticator,
                 sync_runner: SyncRunner | None = None):
        self.options = options
        self.poster = poster
        self.auth = auth
        self.sync_runner = sync_runner
        self.metrics = Metrics()
        self.base_url = options.server.public_url.rstrip("/")
        self.started_at = time.time()
        self.store: StateStore | None = None
        self._parts: dict[str, Any] = {}

    # -- lifecycle -------------------------------------------------------------------------------------
    def start(self) -> Service:
        opts, settings = self.options, self.options.server
        store = self.store = StateStore(opts.state_file)
        # Two writers: accepts (each one holds an HTTP answer back) never queue behind verdicts and reports.
        inbox_writer = StateWriter(store, name="inbox-writer").start()
        writer = StateWriter(store).start()
        snapshots = SnapshotStore(opts.data_dir)
        graphs = GraphHolder(snapshots, on_prune=lambda before: writer.submit(PruneOverlay(before)))
        graphs.load_changes(store.overlay())
        graphs.refresh()
        graphs.start()
        if isinstance(self.auth, SignatureAuth):
            since = utcnow() - timedelta(seconds=2 * settings.max_age_seconds)
            self.auth.replays.preload(store.signatures_since(since))
        reporter = Reporter(self.poster, opts.extension_code,
                            ReportPolicy(cap_seconds=settings.report_backoff_cap_seconds,
                                         give_up_seconds=settings.report_give_up_hours * 3600))
        worker = Worker(store, writer, graphs, reporter, opts.policy, self.metrics,
                        eval_workers=settings.eval_workers, report_workers=settings.report_workers,
                        doc_base=settings.public_url).start()
        inbox = Inbox(inbox_writer, store, self.auth, graphs, worker, self.metrics,
                      max_body_bytes=settings.max_body_bytes, details_url=self.details_url)
        inbox.remember_checks(store.checks_since(utcnow() - timedelta(days=RECHECK_MEMORY_DAYS)))
        freshness = Freshness(graphs, snapshots.dir, opts.schedule, tz=opts.tz,
                              poll_seconds=settings.graph_poll_seconds, metrics=self.metrics,
                              sync_runner=self.sync_runner)
        self._parts = {"inbox_writer": inbox_writer, "writer": writer, "graphs": graphs, "worker": worker,
                       "inbox": inbox, "freshness": freshness}
        self._gauges(graphs, worker)
        worker.recover()
        freshness.start()
        # What start-up built lives as long as the server: keep it out of every collection; and collect the
        # young generation less often (each event allocates thousands of short-lived objects).
        gc.freeze()
        gc.set_threshold(GC_THRESHOLD, 20, 20)
        return self

    def stop(self) -> None:
        parts = self._parts
        if not parts:
            return
        parts["freshness"].stop()
        parts["graphs"].stop()
        parts["worker"].stop()
        parts["inbox_writer"].stop()
        parts["writer"].stop()
        if self.store is not None:
            self.store.close()
        self._parts = {}

    # -- parts -----------------------------------------------------------------------------------------
    @property
    def inbox(self) -> Inbox:
        return self._parts["inbox"]

    @property
    def graphs(self) -> GraphHolder:
        return self._parts["graphs"]

    @property
    def worker(self) -> Worker:
        return self._parts["worker"]

    @property
    def freshness(self) -> Freshness:
        return self._parts["freshness"]

    def details_url(self, message_id: str) -> str:
        """Where the details page of a check is (absolute once the base URL is known)."""
        from urllib.parse import quote

        return f"{self.base_url}/checks/{quote(message_id, safe='')}"

    # -- health ----------------------------------------------------------------------------------------
    def snapshot_age_seconds(self) -> float | None:
        live = self.graphs.current()
        if live is None or live.graph.synced_at is None:
            return None
        return max(time.time() - live.graph.synced_at.timestamp(), 0.0)

    def readiness(self) -> tuple[bool, dict[str, Any]]:
        """(ready, details): ready once a snapshot is loaded."""
        live = self.graphs.current()
        body: dict[str, Any] = {"ready": live is not None, "backlog": self.worker.backlog,
                                "jobs": self.freshness.jobs(), "last_sync": self.freshness.last_sync}
        if live is None:
            body["reason"] = self.graphs.load_error or "no metadata snapshot yet: run `opsguard sync`"
        else:
            age = self.snapshot_age_seconds()
            body["snapshot"] = {"id": live.snapshot.id, "nodes": live.graph.node_count,
                                "synced_at": live.graph.synced_at.isoformat() if live.graph.synced_at else None,
                                "age_seconds": None if age is None else round(age, 1)}
            body["overlay"] = {"version": live.overlay_version, "nodes": len(live.overlay_nodes)}
        return live is not None, body

    def _gauges(self, graphs: GraphHolder, worker: Worker) -> None:
        m = self.metrics
        m.gauge("opsguard_snapshot_age_seconds", "Age of the live metadata snapshot.", self.snapshot_age_seconds)
        m.gauge("opsguard_graph_nodes", "Nodes in the graph checks use (snapshot + overlay).",
                lambda: graphs.current().graph.node_count if graphs.current() else None)
        m.gauge("opsguard_overlay_nodes", "Node changes laid over the snapshot.",
                lambda: len(graphs.current().overlay_nodes) if graphs.current() else None)
        m.gauge("opsguard_pending_evaluations", "Accepted events waiting for evaluation.",
                lambda: worker.backlog["evaluations"])
        m.gauge("opsguard_pending_reports", "Verdicts waiting to be posted (queued or backing off).",
                lambda: worker.backlog["reports"] + worker.backlog["retries"])
