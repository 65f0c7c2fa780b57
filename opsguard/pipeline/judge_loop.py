"""The judge worker: claims accepted extension messages, judges them on its own live graph, stores the
verdicts (accepted → judged). Reporting them is another worker's job (`opsguard.pipeline.report_loop`).

The graph is this process's copy of the live snapshot plus the node overlay read from the store: before
each batch the worker reads the overlay's newest seq, so a message stored after a confirmed node change
is judged on a graph that includes it. Without a snapshot nothing is claimed: messages that arrive
before the first sync stay in the store and are judged once it lands.

Each judgement has a time budget. One that runs past it gets the `timeout_verdict` (policy `on_timeout`,
FAIL by default), stored at once; the runaway thread cannot be stopped, so the worker then ends and is
replaced, after handing back the rest of its batch. The stall is not replayed: the message is judged.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from evaluator.policy import Policy
from evaluator.waivers import Waiver
from lineage.live import GraphHolder
from opsguard.node_overlay import catch_up
from opsguard.pipeline.judge import judge, timeout_verdict
from opsguard.pipeline.leases import lease_until
from opsguard.store import EventKind, InboxRow, InboxStatus, Store, VerdictRow, utcnow

__all__ = ["JudgeLoop", "BudgetExceeded"]

log = logging.getLogger(__name__)


class BudgetExceeded(RuntimeError):
    """A judgement ran past its budget: its thread is stuck, the process must be replaced."""


class JudgeLoop:
    """One judging thread's work: `run_once()` claims a batch and stores its verdicts."""

    def __init__(self, store: Store, graphs: GraphHolder, policy: Policy, worker: str, metrics: Any, *,
                 batch: int = 16, lease_seconds: float = 20.0, budget_seconds: float = 10.0, doc_base: str = "",
                 on_judged: Any = None):
        self.store, self.graphs, self.policy, self.worker, self.metrics = store, graphs, policy, worker, metrics
        self.batch, self.lease_seconds, self.budget_seconds = batch, lease_seconds, budget_seconds
        self.doc_base = doc_base
        self.on_judged = on_judged
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="judging")
        self._waivers: list[Waiver] = []

    def run_once(self) -> int:
        """Judge what can be claimed now; how many messages were judged (0: nothing to do)."""
        if self.graphs.current() is None and not self.graphs.refresh():
            return 0
        now = utcnow()
        if not self.store.has_work(EventKind.EXTENSION, InboxStatus.ACCEPTED, now):
            return 0
        rows = self.store.claim(EventKind.EXTENSION, InboxStatus.ACCEPTED, self.worker, now,
                                lease_until(self.lease_seconds, now), self.batch)
        if not rows:
            return 0
        catch_up(self.graphs, self.store)
        self._waivers = self.store.waivers_in_force(now)
        judged: list[VerdictRow] = []
        try:
            for row in rows:
                recheck_of = self.store.previous_check(row)
                try:
                    judged.append(self._judge(row, recheck_of))
                except BudgetExceeded:
                    judged.append(timeout_verdict(row, self.policy, self.budget_seconds, self.graphs.current(),
                                                  doc_base=self.doc_base, recheck_of=recheck_of))
                    raise
        finally:   # what was judged is stored; the rest goes back (a stuck or failing worker ends after this)
            self._save(judged)
            self.store.release([r.message_id for r in rows[len(judged):]], self.worker)
        return len(judged)

    def _judge(self, row: InboxRow, recheck_of: str | None) -> VerdictRow:
        live = self.graphs.current()
        started = time.perf_counter()
        future = self._pool.submit(judge, row, live, self.policy, doc_base=self.doc_base,
                                   load_error=self.graphs.load_error, recheck_of=recheck_of, waivers=self._waivers)
        try:
            verdict = future.result(timeout=self.budget_seconds)
        except FutureTimeout:
            log.error("judging %s ran past its budget of %g s: answered by the policy's on_timeout; this worker "
                      "is replaced", row.message_id, self.budget_seconds)
            raise BudgetExceeded(row.message_id) from None
        elapsed = time.perf_counter() - started
        if elapsed > self.budget_seconds:   # finished, but late: the budget is the budget, whoever ran first
            return timeout_verdict(row, self.policy, elapsed, live, doc_base=self.doc_base, recheck_of=recheck_of)
        return verdict

    def _save(self, verdicts: list[VerdictRow]) -> None:
        if not verdicts:
            return
        saved = self.store.save_verdicts(verdicts, self.worker)
        for verdict, ok in zip(verdicts, saved, strict=True):
            if not ok:
                log.warning("the claim on %s lapsed before its verdict was stored; another worker judges it",
                            verdict.message_id)
                continue
            self.metrics.inc("verdicts", code=verdict.event_code or "", result=verdict.result)
            if verdict.latency_ms is not None:
                self.metrics.observe("evaluation_seconds", verdict.latency_ms / 1000)
        if self.on_judged is not None and any(saved):
            self.on_judged()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
