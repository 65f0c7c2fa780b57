"""The server's parts wired together: state, writer, graph, worker, inbox, scheduler, metrics.

`Service.start()` opens `<data-dir>/state.duckdb`, stores what the accept journal still holds (events
answered just before the last run ended), starts the worker processes (each loads the live snapshot and
the stored node overlay, as does this process for its pages), finishes every accepted-but-unreported
event, then starts the scheduler. `stop()` lets running work finish; queued work stays in the inbox
for the next start.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from opsguard.accept_journal import AcceptJournal, journal_dir, restore
from opsguard.schedule import Freshness, SyncRunner
from lineage.live import GraphHolder
from opsguard.intake import Inbox
from opsguard.metrics import Metrics
from evaluator.policy import Policy, default_policy
from opsguard.process_gc import settle_after_start
from opsguard.pipeline.reporter import ReportPolicy, ResultPoster
from opsguard.retention import prune_checks
from opsguard.seen_ids import SeenIds
from opsguard.config import ScheduleSettings, ServerSettings
from opsguard.state import STATE_FILE, InboxRow, OverlayRow, Pruned, StateStore, utcnow
from opsguard.state_writer import PruneOverlay, StateWriter, WriterStopped
from opsguard.webhook.auth import Authenticator, SignatureAuth
from opsguard.pipeline.worker import Worker
from opsguard.pipeline.worker_pool import WorkerPool
from opsguard.pipeline.worker_process import WorkerSetup
from lineage.records import DATAWORKS_TZ
from lineage.snapshots import SnapshotStore

__all__ = ["ServiceOptions", "Service"]

log = logging.getLogger(__name__)
RECHECK_MEMORY_DAYS = 7   # a Recheck days after the first check still names it
# How long the writer may wait for company before committing (only under load; see opsguard.state_writer).
# Nobody waits on what it lingers for: new events are answered from the accept journal, verdicts and
# attempts after the answer went out. Fewer, larger commits leave the CPU to judging and reporting: a
# commit costs ~7 ms of CPU whatever its size (replaying a bench run's writes: 0.50 ms an event in batches
# of 15, as 0.05 s gave at 300 events/s, 0.28 ms in batches of 30). Also the window in which a crash
# re-reports a delivered verdict (see opsguard.pipeline.worker), so it stays short.
LINGER_SECONDS = 0.1


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
    report_policy: ReportPolicy | None = None   # None: backoff cap and give-up time from `server`

    @property
    def state_file(self) -> Path:
        return self.state_path or self.data_dir / STATE_FILE


class Service:
    """One running opsguard server (without the HTTP layer, see `opsguard.http.app`)."""

    def __init__(self, options: ServiceOptions, *, poster_factory: Callable[[], ResultPoster], auth: Authenticator,
                 sync_runner: SyncRunner | None = None):
        """`poster_factory` builds the result client inside each worker process, so it must pickle
        (e.g. `functools.partial(DataWorksClient, settings, credentials)`)."""
        self.options = options
        self.poster_factory = poster_factory
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
        # One writer, in order: an event's inbox row is always committed before its verdict and attempts.
        # Its commits and checkpoints are background work, at the workers' CPU priority.
        writer = StateWriter(store, linger_seconds=LINGER_SECONDS, nice=settings.worker_nice).start()
        journal = AcceptJournal(journal_dir(opts.state_file), on_sync=self.metrics.journal_sync_seconds.observe)
        restore(journal, writer)
        journal.start()
        snapshots = SnapshotStore(opts.data_dir)
        setup = WorkerSetup(data_dir=opts.data_dir, policy=opts.policy, extension_code=opts.extension_code,
                            poster_factory=self.poster_factory, report_policy=self._report_policy(),
                            doc_base=settings.public_url, eval_threads=settings.eval_workers,
                            report_threads=settings.report_workers, poll_seconds=settings.graph_poll_seconds,
                            nice=settings.worker_nice,
                            log_level=logging.getLogger().getEffectiveLevel())
        worker: Worker | None = None
        # A replaced worker starts from the stored overlay; then everything it held is queued again.
        pool = WorkerPool(lambda: replace(setup, overlay=tuple(store.overlay())), settings.worker_processes,
                          on_restart=lambda: self._recover(writer, worker))
        pool.start()
        graphs = GraphHolder(snapshots, on_prune=lambda before: writer.submit(PruneOverlay(before)),
                             on_swap=pool.refresh)
        graphs.load_changes(store.overlay())
        graphs.refresh()
        graphs.start()
        if isinstance(self.auth, SignatureAuth):
            since = utcnow() - timedelta(seconds=2 * settings.max_age_seconds)
            self.auth.replays.preload(store.signatures_since(since))
        worker = Worker(store, writer, pool, self.metrics, report_policy=setup.report_policy).start()

        def node_changed(row: OverlayRow) -> None:
            graphs.note_change(row)
            pool.note_change(row)

        seen = SeenIds(store.message_ids())
        inbox = Inbox(writer, store, self.auth, worker, self.metrics, journal=journal, seen=seen,
                      on_node_change=node_changed, max_body_bytes=settings.max_body_bytes,
                      details_url=self.details_url)
        inbox.remember_checks(store.checks_since(utcnow() - timedelta(days=RECHECK_MEMORY_DAYS)))
        freshness = Freshness(graphs, snapshots.dir, opts.schedule, tz=opts.tz,
                              poll_seconds=settings.graph_poll_seconds, metrics=self.metrics,
                              sync_runner=self.sync_runner,
                              prune_state=self.prune_checks if settings.keep_checks_days > 0 else None)
        self._parts = {"journal": journal, "writer": writer, "graphs": graphs, "worker": worker,
                       "inbox": inbox, "freshness": freshness, "pool": pool}
        self._gauges(graphs, worker, pool, journal)
        worker.recover()
        freshness.start()
        settle_after_start()
        return self

    def _report_policy(self) -> ReportPolicy:
        settings = self.options.server
        if self.options.report_policy is not None:
            return self.options.report_policy
        return ReportPolicy(cap_seconds=settings.report_backoff_cap_seconds,
                            give_up_seconds=settings.report_give_up_hours * 3600)

    def prune_checks(self, now: datetime | None = None) -> Pruned | None:
        """Drop checks finished more than `server.keep_checks_days` before `now` (see `opsguard.retention`)."""
        if not self._parts:
            raise WriterStopped("the server is not running: start it before pruning its state")
        return prune_checks(self._parts["writer"], self.options.server.keep_checks_days, now=now,
                            counter=self.metrics.pruned)

    @staticmethod
    def _recover(writer: StateWriter, worker: Worker | None) -> None:
        """After a worker process was replaced: queue again what it held (once journaled rows are stored)."""
        if worker is not None:
            writer.flush()
            worker.recover()

    def stop(self) -> None:
        parts = self._parts
        if not parts:
            return
        parts["freshness"].stop()
        parts["graphs"].stop()
        parts["worker"].stop()
        parts["writer"].stop()
        parts["journal"].stop()
        if self.store is not None:
            self.store.close()
        self._parts = {}

    # -- parts -----------------------------------------------------------------------------------------
    @property
    def inbox(self) -> Inbox:
        return self._parts["inbox"]

    @property
    def journal(self) -> AcceptJournal:
        return self._parts["journal"]

    @property
    def graphs(self) -> GraphHolder:
        return self._parts["graphs"]

    @property
    def worker(self) -> Worker:
        return self._parts["worker"]

    @property
    def pool(self) -> WorkerPool:
        return self._parts["pool"]

    @property
    def freshness(self) -> Freshness:
        return self._parts["freshness"]

    def inbox_row(self, message_id: str) -> InboxRow | None:
        """The stored inbox row of a message id. A row answered from the journal a moment ago may still be
        queued for the writer: then it is waited for, so a details link never 404s while it is committed."""
        store = self.store
        row = store.inbox_row(message_id) if store is not None else None
        if row is None and self._parts and message_id in self.inbox.seen:
            try:
                self._parts["writer"].flush(timeout=5)
            except (TimeoutError, WriterStopped):
                return None
            row = store.inbox_row(message_id) if store is not None else None
        return row

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
        pool = self.pool
        ready = live is not None and pool.alive
        body: dict[str, Any] = {"ready": ready, "backlog": self.worker.backlog,
                                "workers": {"processes": len(pool.pids), "alive": pool.alive,
                                            "restarts": pool.restarts},
                                "jobs": self.freshness.jobs(), "last_sync": self.freshness.last_sync}
        if live is None:
            body["reason"] = self.graphs.load_error or "no metadata snapshot yet: run `opsguard sync`"
        elif not pool.alive:
            body["reason"] = "a worker process is down (see the server log)"
        else:
            age = self.snapshot_age_seconds()
            body["snapshot"] = {"id": live.snapshot.id, "nodes": live.graph.node_count,
                                "synced_at": live.graph.synced_at.isoformat() if live.graph.synced_at else None,
                                "age_seconds": None if age is None else round(age, 1)}
            body["overlay"] = {"version": live.overlay_version, "nodes": len(live.overlay_nodes)}
        return ready, body

    def _gauges(self, graphs: GraphHolder, worker: Worker, pool: WorkerPool, journal: AcceptJournal) -> None:
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
        m.gauge("opsguard_journal_pending", "Accepted events in the accept journal, not in the inbox table yet.",
                lambda: journal.pending)
        m.gauge("opsguard_worker_restarts", "Worker processes replaced after ending unexpectedly.",
                lambda: pool.restarts)
