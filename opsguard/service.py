"""One replica's parts wired together: store, intake, worker processes, live graph, scheduler, metrics.

`Service.start()` opens the store (migrating its schema), starts the worker processes (they claim work
from the store: whatever an earlier run left unfinished is simply there to claim), loads the live
snapshot for the pages, and starts the scheduler — which, on a data dir without a snapshot, syncs at once.
Until a snapshot is live, `/readyz` is 503 and extension events are stored but not judged; they are judged
when it lands. `stop()` lets running work finish; what is queued stays in the store for the next start
(or for another replica).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from evaluator.policy import Policy, default_policy
from lineage.live import GraphHolder, LiveGraph
from lineage.records import DATAWORKS_TZ
from lineage.snapshots import SnapshotStore
from opsguard.config import ScheduleSettings, ServerSettings
from opsguard.http.access import AccessPolicy, LinkSigner
from opsguard.intake import Intake
from opsguard.metrics import Metrics
from opsguard.node_overlay import catch_up
from opsguard.pipeline.reporter import ReportPolicy, ResultPoster
from opsguard.pipeline.worker import WorkerSetup
from opsguard.pipeline.workers import Workers
from opsguard.process_gc import settle_after_start
from opsguard.retention import prune_checks
from opsguard.schedule import Schedule, SyncRunner
from opsguard.store import InboxRow, Pruned, Store, StoreError, open_store, utcnow
from opsguard.store.group_commit import GroupCommit
from opsguard.webhook.auth import Authenticator, SignatureAuth

__all__ = ["ServiceOptions", "Service"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServiceOptions:
    """Everything a server needs besides its collaborators."""

    data_dir: Path
    server: ServerSettings = field(default_factory=ServerSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    policy: Policy = field(default_factory=default_policy)
    extension_code: str = "opsguard"
    tz: tzinfo = DATAWORKS_TZ
    report_policy: ReportPolicy | None = None   # None: backoff cap and give-up time from `server`


class Service:
    """One running opsguard replica (without the HTTP layer, see `opsguard.http.app`)."""

    def __init__(self, options: ServiceOptions, *, client_factory: Callable[[], ResultPoster], auth: Authenticator,
                 access: AccessPolicy, sync_runner: SyncRunner | None = None):
        """`client_factory` builds the DataWorks client inside each worker process, so it must pickle
        (e.g. `functools.partial(DataWorksClient, settings, credentials)`). `auth` checks pushes; `access`
        says who may read the pages and APIs."""
        self.options = options
        self.client_factory = client_factory
        self.auth = auth
        self.access = access
        self.signer: LinkSigner | None = None
        self.sync_runner = sync_runner
        self.metrics = Metrics()
        self.base_url = options.server.public_url.rstrip("/")
        self.started_at = time.time()
        self.store: Store | None = None
        self._parts: dict[str, Any] = {}

    # -- lifecycle -------------------------------------------------------------------------------------
    def start(self) -> Service:
        opts, settings = self.options, self.options.server
        store = self.store = open_store(data_dir=opts.data_dir, state_url=settings.state_url)
        # the key of the details-page links, the same for every replica sharing the store
        self.signer = LinkSigner(bytes.fromhex(store.shared_secret("link_key")),
                                 ttl_seconds=settings.link_ttl_hours * 3600)
        setup = WorkerSetup(data_dir=opts.data_dir, policy=opts.policy, extension_code=opts.extension_code,
                            client_factory=self.client_factory, state_url=settings.state_url,
                            report_policy=self._report_policy(), doc_base=settings.public_url,
                            report_threads=settings.report_workers, lease_seconds=settings.lease_seconds,
                            poll_seconds=settings.poll_seconds, graph_poll_seconds=settings.graph_poll_seconds,
                            budget_seconds=opts.policy.judge_budget_seconds,
                            nice=settings.worker_nice, log_level=logging.getLogger().getEffectiveLevel())
        workers = Workers(setup, settings.worker_processes, self.metrics).start()
        commits = GroupCommit(store, on_commit=workers.ring).start()
        graphs = GraphHolder(SnapshotStore(opts.data_dir))
        intake = Intake(store, commits, self.auth, self.metrics, max_body_bytes=settings.max_body_bytes,
                        details_url=self.details_url)
        schedule = Schedule(self.refresh_graph, store, opts.data_dir / "snapshots", opts.schedule, tz=opts.tz,
                            poll_seconds=settings.graph_poll_seconds, metrics=self.metrics,
                            sync_runner=self.sync_runner,
                            prune_state=self.prune_checks if settings.keep_checks_days > 0 else None)
        self._parts = {"workers": workers, "commits": commits, "graphs": graphs, "intake": intake,
                       "schedule": schedule}
        self.refresh_graph()
        if isinstance(self.auth, SignatureAuth):   # replays of recently accepted pushes stay refused
            since = utcnow() - timedelta(seconds=2 * settings.max_age_seconds)
            self.auth.replays.preload(store.replay_keys_since(since))
        self._gauges()
        schedule.start(sync_now=graphs.current() is None and graphs.load_error is None)
        settle_after_start()
        return self

    def _report_policy(self) -> ReportPolicy:
        settings = self.options.server
        if self.options.report_policy is not None:
            return self.options.report_policy
        return ReportPolicy(cap_seconds=settings.report_backoff_cap_seconds,
                            give_up_seconds=settings.report_give_up_hours * 3600)

    def refresh_graph(self) -> bool:
        """The pages' graph: a new snapshot swapped in, node changes confirmed since laid over it."""
        graphs: GraphHolder = self._parts["graphs"]
        swapped = graphs.refresh()
        if graphs.current() is not None and self.store is not None:
            catch_up(graphs, self.store)
            if swapped and graphs.current().sync_started_at is not None:
                self.store.prune_overlay(graphs.current().sync_started_at)
        return swapped

    def prune_checks(self, now: datetime | None = None) -> Pruned | None:
        """Drop checks finished more than `server.keep_checks_days` before `now` (see `opsguard.retention`)."""
        if self.store is None:
            raise StoreError("the server is not running: start it before pruning its state")
        return prune_checks(self.store, self.options.server.keep_checks_days, now=now,
                            on_pruned=lambda table, rows: self.metrics.inc("pruned", rows, table=table))

    def stop(self) -> None:
        parts = self._parts
        if not parts:
            return
        parts["schedule"].stop()
        parts["commits"].stop()
        parts["workers"].stop()
        if self.store is not None:
            self.store.close()
        self._parts = {}

    # -- parts -----------------------------------------------------------------------------------------
    @property
    def intake(self) -> Intake:
        return self._parts["intake"]

    @property
    def graphs(self) -> GraphHolder:
        return self._parts["graphs"]

    @property
    def workers(self) -> Workers:
        return self._parts["workers"]

    @property
    def schedule(self) -> Schedule:
        return self._parts["schedule"]

    def live(self) -> LiveGraph | None:
        return self.graphs.current() if self._parts else None

    def inbox_row(self, message_id: str) -> InboxRow | None:
        """The stored inbox row of a message id (committed before its push was answered)."""
        return self.store.inbox_row(message_id) if self.store is not None else None

    def details_url(self, message_id: str) -> str:
        """The details page of a check as a signed link that opens without a login until it expires
        (`opsguard.http.access`); absolute once the base URL is known."""
        if self.signer is None:
            from urllib.parse import quote

            return f"{self.base_url}/checks/{quote(message_id, safe='')}"
        return self.signer.link(self.base_url, message_id)

    # -- health ----------------------------------------------------------------------------------------
    def snapshot_age_seconds(self) -> float | None:
        live = self.live()
        if live is None or live.graph.synced_at is None:
            return None
        return max(time.time() - live.graph.synced_at.timestamp(), 0.0)

    def readiness(self) -> tuple[bool, dict[str, Any]]:
        """(ready, details): ready once a snapshot is live, the workers run and the store can be written."""
        live, workers = self.live(), self.workers
        writable, store_error = True, None
        try:
            self.store.probe()  # type: ignore[union-attr]
        except StoreError as exc:
            writable, store_error = False, str(exc)
        ready = live is not None and workers.alive and writable
        body: dict[str, Any] = {"ready": ready, "store": {"engine": self.store.dialect if self.store else None,
                                                          "writable": writable},
                                "workers": {"processes": len(workers.pids), "alive": workers.alive,
                                            "restarts": workers.restarts},
                                "jobs": self.schedule.jobs(), "last_sync": self.schedule.last_sync}
        try:
            body["backlog"] = self.store.backlog()  # type: ignore[union-attr]
        except StoreError:
            body["backlog"] = None
        if not writable:
            body["reason"] = store_error
        elif live is None:
            body["reason"] = self.graphs.load_error or ("no metadata snapshot yet: the first sync is running"
                                                        if self.schedule.syncing else
                                                        "no metadata snapshot yet: run `opsguard sync`")
        elif not workers.alive:
            body["reason"] = "a worker process is down (see the server log)"
        if live is not None:
            age = self.snapshot_age_seconds()
            body["snapshot"] = {"id": live.snapshot.id, "nodes": live.graph.node_count,
                                "synced_at": live.graph.synced_at.isoformat() if live.graph.synced_at else None,
                                "age_seconds": None if age is None else round(age, 1)}
            body["overlay"] = {"version": live.overlay_version, "nodes": len(live.overlay_nodes)}
        return ready, body

    def _gauges(self) -> None:
        m = self.metrics
        m.gauge("opsguard_snapshot_age_seconds", "Age of the live metadata snapshot.", self.snapshot_age_seconds)
        m.gauge("opsguard_graph_nodes", "Nodes in the graph (snapshot + node changes).",
                lambda: self.live().graph.node_count if self.live() else None)
        m.gauge("opsguard_overlay_nodes", "Node changes laid over the snapshot.",
                lambda: len(self.live().overlay_nodes) if self.live() else None)
        m.gauge("opsguard_pending_evaluations", "Accepted messages waiting to be judged or applied (all replicas).",
                lambda: self._backlog("accepted"))
        m.gauge("opsguard_pending_reports", "Verdicts waiting to be posted (all replicas).",
                lambda: self._backlog("judged"))

    def _backlog(self, status: str) -> float | None:
        try:
            return float(self.store.backlog()[status]) if self.store else None
        except StoreError:
            return None
