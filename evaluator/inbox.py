"""The durable inbox: one push in, one answer out — and the event on disk before any 2xx.

Order of checks for `POST /events` (first failure answers):
size (413) → content type (415) → authentication (401; 409 for a replayed signature; 503 while the signing
key cannot be had) → JSON and fields (400) → store. Every refusal is recorded in `rejected`. What is stored:

- extension-point events (freeze/unfreeze/undeploy/backfill): `accepted`, queued for the worker → 202.
  A message id never seen (`evaluator.seen_ids`) is answered once it is in the accept journal
  (`evaluator.accept_journal`), its inbox row committed with the writer's next batch; any other push
  waits for its commit. A message id already stored → 200 with what is known (its verdict), never
  judged again, whatever the request says: a Recheck is something only DataWorks can cause. A Recheck
  from DataWorks (new message id, same `extensionBizId`, INFERRED) is a new signed message: judged afresh;
  its verdict names the earlier message (`recheck_of`). (An unsigned `x-opsguard-recheck` header or
  `?recheck=true` once re-judged a stored message: anyone replaying a push could make DataWorks receive
  a second result. Removed.)
- regular `node-change-*` events: stored with their `node_overlay` row in the same transaction → 200;
  the graph includes them before the next evaluation. No verdict is reported: they block nothing.
- unknown codes, instance operations: `ignored` with the reason → 200.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from evaluator.accept_journal import AcceptJournal, Ticket, encode_row
from evaluator.events import Event, EventParseError, Ignored, NodeChanged, parse_event
from evaluator.metrics import Metrics
from evaluator.seen_ids import SeenIds
from evaluator.state import EventKind, InboxRow, InboxStatus, OverlayRow, RejectedRow, StateStore, VerdictRow, utcnow
from evaluator.state_writer import Accept, Accepted, AcceptOutcome, RecordRejected, StateWriter
from evaluator.webhook import Authenticator, AuthFailure, Verified
from evaluator.judge import EvalJob
from evaluator.worker import Worker

__all__ = ["Push", "Reply", "Inbox", "ACCEPTED_MEDIA_TYPES"]

log = logging.getLogger(__name__)
ACCEPTED_MEDIA_TYPES = ("application/json", "application/cloudevents+json")
_BODY_HEAD = 512
_CHECKS_KEPT = 200_000   # check processes remembered for Recheck detection (oldest forgotten first)


@dataclass(frozen=True)
class Push:
    """One `POST /events` as received: the raw body, lower-cased headers, the URL that was called."""

    body: bytes
    headers: Mapping[str, str]
    url: str
    remote_addr: str | None = None
    declared_size: int | None = None


@dataclass(frozen=True)
class Reply:
    """The HTTP answer: status and a JSON body."""

    status: int
    body: dict[str, Any]


class Inbox:
    """Turns pushes into stored inbox rows and answers (a new event waits for the journal, others for a commit)."""

    def __init__(self, writer: StateWriter, store: StateStore, auth: Authenticator, worker: Worker, metrics: Metrics,
                 *, journal: AcceptJournal, seen: SeenIds, on_node_change: Callable[[OverlayRow], None],
                 max_body_bytes: int = 256 * 1024, details_url: Callable[[str], str] = lambda mid: f"/checks/{mid}"):
        """`seen` holds every message id in the inbox (this inbox adds the new ones). `on_node_change(row)`
        is told of each committed node change before the push is answered, so every graph that judges
        later events includes it."""
        self.writer, self.store, self.auth, self.worker = writer, store, auth, worker
        self.journal, self.seen = journal, seen
        self.on_node_change = on_node_change
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes
        self.details_url = details_url
        self._checks: OrderedDict[str, str] = OrderedDict()   # extensionBizId → its latest message id
        self._checks_lock = threading.Lock()

    def remember_checks(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Start-up: (extensionBizId, message id) of recent extension events, oldest first."""
        for biz, message_id in pairs:
            self._previous_check(biz, message_id)

    def _previous_check(self, biz: str | None, message_id: str) -> str | None:
        """The last message id of the same check process (a Recheck's predecessor); records this one."""
        if not biz:
            return None
        with self._checks_lock:
            previous = self._checks.pop(biz, None)
            self._checks[biz] = message_id
            if len(self._checks) > _CHECKS_KEPT:
                self._checks.popitem(last=False)
        return previous if previous != message_id else None

    def too_large(self, push: Push) -> Reply:
        """The answer for a body over the limit (the server stops reading it)."""
        return self._reject(push, 413, "too-large", f"body exceeds {self.max_body_bytes} bytes")

    async def receive(self, push: Push) -> Reply:
        """Check, store and answer one push. The checks are short CPU work and run in the caller's event
        loop; only the commit (and the stored verdict of a duplicate) is waited for off the loop."""
        started = time.perf_counter()
        try:
            return await self._receive(push)
        finally:
            self.metrics.accept_seconds.observe(time.perf_counter() - started)

    async def _receive(self, push: Push) -> Reply:
        if len(push.body) > self.max_body_bytes:
            return self.too_large(push)
        media = push.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media not in ACCEPTED_MEDIA_TYPES:
            return self._reject(push, 415, "unsupported-media-type",
                                f"content type {media or '(none)'!r}; send {' or '.join(ACCEPTED_MEDIA_TYPES)}")
        try:
            if self.auth.may_block(push.headers):   # e.g. a signing key to fetch: off the event loop
                verified = await asyncio.to_thread(self.auth.check, push.url, push.headers, push.body)
            else:
                verified = self.auth.check(push.url, push.headers, push.body)
        except AuthFailure as exc:
            return self._reject(push, exc.status, exc.reason, exc.detail)
        try:
            event = parse_event(push.body)
        except EventParseError as exc:
            return self._reject(push, 400, "malformed", str(exc))
        if not event.message_id:
            return self._reject(push, 400, "malformed", "id: required field is missing")
        accepted = await self._store(event, push, verified)
        self.auth.remember(verified)
        verdict = None
        if accepted.outcome is AcceptOutcome.DUPLICATE and accepted.row.kind is EventKind.EXTENSION:
            verdict = await asyncio.to_thread(self.store.verdict, accepted.row.message_id)
        return self._answer(event, accepted, verdict)

    # -- storing -----------------------------------------------------------------------------------------
    async def _store(self, event: Event, push: Push, verified: Verified) -> Accepted:
        now = utcnow()
        raw = push.body.decode("utf-8")
        code = event.code if isinstance(event, Ignored) else event.code.value
        common = dict(message_id=event.message_id, received_at=now, event_code=code, project_id=event.project_id,
                      operator=getattr(event, "operator", None),
                      extension_biz_id=getattr(event, "extension_biz_id", None),
                      data_message_id=getattr(event, "data_message_id", None), signature=verified.replay_key,
                      raw=raw, updated_at=now)
        if isinstance(event, Ignored):
            row = InboxRow(kind=EventKind.IGNORED, status=InboxStatus.IGNORED, reason=event.reason, **common)
            return await self._committed(Accept(row))
        if isinstance(event, NodeChanged):
            row = InboxRow(kind=EventKind.NODE_CHANGE, status=InboxStatus.APPLIED, **common)
            overlay = _overlay_row(event, now)
            accepted = await self._committed(Accept(row, overlay=overlay))
            if accepted.outcome is AcceptOutcome.NEW:
                self.on_node_change(overlay)
            return accepted
        row = InboxRow(kind=EventKind.EXTENSION, status=InboxStatus.ACCEPTED, **common)
        if row.message_id not in self.seen:
            return await self._journaled(row)
        accepted = await self._committed(Accept(row))
        if accepted.outcome is not AcceptOutcome.DUPLICATE:
            self._judge(accepted.row)
        return accepted

    async def _committed(self, op: Accept) -> Accepted:
        """Store `op` through the database, waiting for its commit (the careful way)."""
        accepted = await _awaited(self.writer.submit(op))
        if accepted.outcome is AcceptOutcome.NEW:
            self.seen.add(accepted.row.message_id)
        return accepted

    async def _journaled(self, row: InboxRow) -> Accepted:
        """A message id never seen: answered once the journal has it. Its inbox row is queued for the writer
        at once and judging starts at once: the verdict's commit queues behind the row in the same writer.
        (Should the journal fail, the push gets a 503 but is still judged and reported once; its retry is
        a duplicate, answered from the store.)"""
        self.seen.add(row.message_id)
        durable = self.journal.append(encode_row(row))
        stored = self.writer.submit(Accept(row, journaled=True))
        _when_both(durable, stored, lambda *done: self._stored(row.message_id, *done))
        self._judge(row)
        await _awaited(durable, "the accept journal")
        return Accepted(AcceptOutcome.NEW, row)

    def _stored(self, message_id: str, durable: Future[Ticket], stored: Future[Accepted]) -> None:
        """A journaled row's commit is done: its journal entry is no longer needed."""
        if stored.exception() is not None:
            log.error("storing accepted event %s failed (%s); its journal entry is stored at the next start",
                      message_id, stored.exception())
            return
        if durable.exception() is None:
            self.journal.stored(durable.result())

    def _judge(self, row: InboxRow) -> None:
        previous = self._previous_check(row.extension_biz_id, row.message_id)
        self.worker.submit(EvalJob(row.message_id, row.generation, row.received_at, row.raw,
                                   event_code=row.event_code, project_id=row.project_id,
                                   extension_biz_id=row.extension_biz_id, recheck_of=previous))

    def _answer(self, event: Event, accepted: Accepted, verdict: VerdictRow | None) -> Reply:
        row = accepted.row
        code = row.event_code or ""
        body: dict[str, Any] = {"message_id": row.message_id, "event_code": code}
        if accepted.outcome is AcceptOutcome.DUPLICATE:
            self.metrics.events.inc(code=code, result="duplicate")
            body.update(status="duplicate", stored_status=row.status.value, generation=row.generation)
            if row.kind is EventKind.EXTENSION:
                if verdict is not None:
                    body.update(result=verdict.result, wire_result=verdict.wire_result, tip=verdict.tip)
                body["details_url"] = self.details_url(row.message_id)
            return Reply(200, body)
        if row.kind is EventKind.IGNORED:
            self.metrics.events.inc(code=code, result="ignored")
            return Reply(200, {**body, "status": "ignored", "reason": row.reason})
        if row.kind is EventKind.NODE_CHANGE:
            self.metrics.events.inc(code=code, result="applied")
            assert isinstance(event, NodeChanged)
            return Reply(200, {**body, "status": "applied", "node_id": event.node_id})
        outcome = "recheck" if accepted.outcome is AcceptOutcome.RECHECK else "accepted"
        self.metrics.events.inc(code=code, result=outcome)
        return Reply(202, {**body, "status": outcome, "generation": row.generation,
                           "details_url": self.details_url(row.message_id)})

    def _reject(self, push: Push, status: int, reason: str, detail: str) -> Reply:
        message_id, code = _peek(push.body) if status != 413 else (None, None)
        row = RejectedRow(utcnow(), status, reason, detail, message_id, code, push.remote_addr,
                          push.headers.get("content-type"), push.declared_size or len(push.body),
                          push.body[:_BODY_HEAD].decode("utf-8", "replace"))
        self.writer.submit(RecordRejected(row))   # recorded without holding the answer back
        self.metrics.rejected.inc(status=str(status), reason=reason)
        self.metrics.events.inc(code=code or "", result="rejected")
        log.info("refused push from %s: %d %s: %s", push.remote_addr, status, reason, detail)
        return Reply(status, {"error": reason, "detail": detail, "message_id": message_id})


async def _awaited(future: Future[Any], what: str = "the state writer", timeout: float = 30.0) -> Any:
    """A writer's or the journal's answer, awaited without holding a thread (a stuck `what` is a 503 after
    `timeout`, naming it; the Future itself is never cancelled, its owner resolves it regardless).

    Built by hand rather than with `asyncio.wrap_future` and `wait_for`: those leave reference cycles
    (futures ↔ callbacks) behind every push, which the garbage collector then stops the server to free,
    ~50 ms every few seconds at 300 events/s."""
    loop = asyncio.get_running_loop()
    waiter = loop.create_future()
    future.add_done_callback(lambda done: loop.call_soon_threadsafe(_settle, waiter, done))
    timer = loop.call_later(timeout, _expire, waiter, what, timeout)
    try:
        return await waiter
    finally:
        timer.cancel()


def _settle(waiter: asyncio.Future[Any], done: Future[Any]) -> None:
    if waiter.done():
        return
    error = done.exception()
    if error is None:
        waiter.set_result(done.result())
    else:
        waiter.set_exception(error)


def _expire(waiter: asyncio.Future[Any], what: str, timeout: float) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError(f"{what} did not answer within {timeout:.0f} s"))


def _when_both(first: Future[Any], second: Future[Any], callback: Callable[[Future[Any], Future[Any]], None]) -> None:
    """Call `callback(first, second)` once both futures are done (in the thread that finished last).
    The pair is dropped before the call, so no future ↔ callback cycle outlives it (see `_awaited`)."""
    lock = threading.Lock()
    pair = [first, second]
    left = [2]

    def one_done(_: Future[Any]) -> None:
        with lock:
            left[0] -= 1
            if left[0]:
                return
            both = tuple(pair)
            pair.clear()
        callback(*both)

    first.add_done_callback(one_done)
    second.add_done_callback(one_done)


def _overlay_row(event: NodeChanged, now: Any) -> OverlayRow:
    node = {k: v for k, v in event.node_row().items() if v is not None}
    node["node_id"] = event.node_id
    node.setdefault("project_id", event.project_id)
    change = event.code.value.removeprefix("node-change-")
    return OverlayRow(event.node_id, change, node.get("project_id"), node.get("modify_time"), now,
                      event.message_id or "", node)


def _peek(body: bytes) -> tuple[str | None, str | None]:
    """Best-effort message id and event code of a refused body, for the record."""
    try:
        obj = json.loads(body)
    except (ValueError, RecursionError):
        return None, None
    if not isinstance(obj, dict):
        return None, None
    data = obj.get("data") if isinstance(obj.get("data"), dict) else obj
    mid, code = obj.get("id") or data.get("messageId"), data.get("eventCode")
    return (str(mid)[:200] if mid is not None else None, str(code)[:100] if code is not None else None)
