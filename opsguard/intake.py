"""The intake: one push in, one answer out — and the message durable in the store before any 2xx.

Order of checks for `POST /events` (the first failure answers): size (413) → content type (415) →
authentication (401; 409 for a replayed signature; 503 while the signing key cannot be had) → a readable
message id (400, saying what to fix) → store. Every refusal is recorded in `rejected`. What is stored (one inbox row, committed before the answer):

- extension-point events (freeze/unfreeze/undeploy/backfill): `accepted` → 202; a judge worker claims it.
  Also when the payload cannot be read or judged: the message id and code are enough to answer DataWorks,
  with the policy's `on_error` result and the reason in the tip. A message id already stored → 200 with what
  is known (its verdict), never judged again. A Recheck from DataWorks is a new signed message (new id,
  same `extensionBizId`): judged afresh; its verdict names the earlier message (`recheck_of`).
- regular `node-change-*` events: `accepted` → 200; a worker confirms the node's production state with
  DataWorks before the change reaches any verdict (the event also fires for development edits).
- unknown codes, instance operations: `ignored` with the reason → 200, no report.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from evaluator.events import Event, EventParseError, Ignored, NodeChanged, Unreadable, parse_event
from opsguard.metrics import Metrics
from opsguard.store import EventKind, InboxRow, InboxStatus, RejectedRow, Store, VerdictRow, utcnow
from opsguard.store.group_commit import GroupCommit
from opsguard.webhook.auth import Authenticator, AuthFailure

__all__ = ["Push", "Reply", "Intake", "ACCEPTED_MEDIA_TYPES"]

log = logging.getLogger(__name__)
ACCEPTED_MEDIA_TYPES = ("application/json", "application/cloudevents+json")
_BODY_HEAD = 512


@dataclass(frozen=True)
class Push:
    """One `POST /events` as received: the raw body, lower-cased headers, the URL that was signed."""

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


class Intake:
    """Turns pushes into committed inbox rows and answers."""

    def __init__(self, store: Store, commits: GroupCommit, auth: Authenticator, metrics: Metrics, *,
                 max_body_bytes: int = 256 * 1024, details_url: Callable[[str], str] = lambda mid: f"/checks/{mid}"):
        self.store, self.commits, self.auth, self.metrics = store, commits, auth, metrics
        self.max_body_bytes = max_body_bytes
        self.details_url = details_url

    def too_large(self, push: Push) -> Reply:
        """The answer for a body over the limit (the server stops reading it)."""
        return self._reject(push, 413, "too-large", f"body exceeds {self.max_body_bytes} bytes")

    async def receive(self, push: Push) -> Reply:
        """Check, store and answer one push; only the commit is waited for off the event loop."""
        started = time.perf_counter()
        try:
            return await self._receive(push)
        finally:
            self.metrics.observe("accept_seconds", time.perf_counter() - started)

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
            event: Event | None = parse_event(push.body, require_id=True)
        except EventParseError as exc:
            if exc.unreadable is None:         # no id or no extension-point code: nothing to answer
                return self._reject(push, 400, "malformed", str(exc))
            event = exc.unreadable             # answered all the same, with the policy's on_error
        row = self._row(push, event, verified.replay_key)
        try:
            new = await _awaited(self.commits.accept(row))
        except Exception as exc:  # noqa: BLE001 — nothing was stored: 503, EventBridge sends it again
            log.error("storing message %s failed: %s", row.message_id, exc)
            self.metrics.inc("events", code=row.event_code or "", result="unavailable")
            return Reply(503, {"error": "unavailable", "detail": f"the state store cannot be written: {exc}",
                               "message_id": row.message_id})
        self.auth.remember(verified)
        if not new:
            return await self._duplicate(row)
        return self._answer(row, event)

    # -- what to store -------------------------------------------------------------------------------------
    def _row(self, push: Push, event: Event, signature: str | None) -> InboxRow:
        now = utcnow()
        raw = push.body.decode("utf-8", "backslashreplace")
        code = event.code if isinstance(event, Ignored) else event.code.value
        common = dict(message_id=event.message_id, received_at=now, event_code=code, project_id=event.project_id,
                      operator=getattr(event, "operator", None),
                      extension_biz_id=getattr(event, "extension_biz_id", None),
                      data_message_id=getattr(event, "data_message_id", None), raw=raw, updated_at=now,
                      signature=signature)
        if isinstance(event, Ignored):
            return InboxRow(kind=EventKind.IGNORED, status=InboxStatus.IGNORED, reason=event.reason, **common)
        if isinstance(event, NodeChanged):
            return InboxRow(kind=EventKind.NODE_CHANGE, status=InboxStatus.ACCEPTED, **common)
        reason = f"unreadable: {event.reason}" if isinstance(event, Unreadable) else None
        return InboxRow(kind=EventKind.EXTENSION, status=InboxStatus.ACCEPTED, reason=reason, **common)

    # -- answers ---------------------------------------------------------------------------------------------
    async def _duplicate(self, row: InboxRow) -> Reply:
        stored, verdict = await asyncio.to_thread(self._stored, row.message_id)
        code = (stored.event_code if stored else row.event_code) or ""
        self.metrics.inc("events", code=code, result="duplicate")
        body: dict[str, Any] = {"message_id": row.message_id, "event_code": code, "status": "duplicate",
                                "stored_status": stored.status.value if stored else None}
        if stored is not None and stored.kind is EventKind.EXTENSION:
            if verdict is not None:
                body.update(result=verdict.result, wire_result=verdict.wire_result, tip=verdict.tip)
            body["details_url"] = self.details_url(row.message_id)
        return Reply(200, body)

    def _stored(self, message_id: str) -> tuple[InboxRow | None, VerdictRow | None]:
        return self.store.inbox_row(message_id), self.store.verdict(message_id)

    def _answer(self, row: InboxRow, event: Event) -> Reply:
        code = row.event_code or ""
        body: dict[str, Any] = {"message_id": row.message_id, "event_code": code}
        if row.kind is EventKind.IGNORED:
            self.metrics.inc("events", code=code, result="ignored")
            return Reply(200, {**body, "status": "ignored", "reason": row.reason})
        if row.kind is EventKind.NODE_CHANGE:
            self.metrics.inc("events", code=code, result="node-change")
            assert isinstance(event, NodeChanged)
            return Reply(200, {**body, "status": "accepted", "node_id": event.node_id,
                               "note": "applied once DataWorks confirms the node's production state"})
        unreadable = isinstance(event, Unreadable)
        self.metrics.inc("events", code=code, result="unreadable" if unreadable else "accepted")
        if unreadable:
            body["note"] = f"answered with the policy's on_error result: {event.reason}"
        return Reply(202, {**body, "status": "accepted", "details_url": self.details_url(row.message_id)})

    def _reject(self, push: Push, status: int, reason: str, detail: str) -> Reply:
        message_id, code = _identify(push.body) if status != 413 else (None, None)
        detail = _text(detail)
        row = RejectedRow(utcnow(), status, reason, detail[:2000], message_id, code, push.remote_addr,
                          push.headers.get("content-type"), push.declared_size or len(push.body),
                          push.body[:_BODY_HEAD].decode("utf-8", "replace"))
        self.commits.reject(row)   # recorded without holding the answer back
        self.metrics.inc("rejected", status=str(status), reason=reason)
        self.metrics.inc("events", code=code or "", result="rejected")
        log.info("refused push from %s: %d %s: %s", push.remote_addr, status, reason, detail[:300])
        return Reply(status, {"error": reason, "detail": detail, "message_id": message_id})


async def _awaited(future: Future[Any], timeout: float = 30.0) -> Any:
    """A thread's Future awaited in the event loop without holding a thread (a stuck commit is a
    `TimeoutError` after `timeout`; the Future itself is resolved by its owner regardless)."""
    loop = asyncio.get_running_loop()
    waiter = loop.create_future()
    future.add_done_callback(lambda done: loop.call_soon_threadsafe(_settle, waiter, done))
    timer = loop.call_later(timeout, _expire, waiter, timeout)
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


def _expire(waiter: asyncio.Future[Any], timeout: float) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError(f"the state store did not commit within {timeout:.0f} s"))


def _identify(body: bytes) -> tuple[str | None, str | None]:
    """Best-effort message id and event code of a refused body, for the record (bounded, never trusted)."""
    try:
        obj = json.loads(body)
    except (ValueError, RecursionError):
        return None, None
    if not isinstance(obj, dict):
        return None, None
    data = obj.get("data") if isinstance(obj.get("data"), dict) else {}
    message_id, code = obj.get("id"), data.get("eventCode")
    return (_text(message_id[:256]) if isinstance(message_id, str) else None,
            _text(code[:100]) if isinstance(code, str) else None)


def _text(value: str) -> str:
    """Valid UTF-8 whatever came in (a lone surrogate escaped), so it can be answered and recorded."""
    return value.encode("utf-8", "backslashreplace").decode("utf-8")
