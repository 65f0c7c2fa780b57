"""`Store`: what the service keeps, as domain operations over one `Connector` (SQLite or PostgreSQL).

Each method is one transaction (or one read) of named queries from `sql/`. The work lifecycle — which
rows a worker may claim, how a claim is finished or lost — is written here once for both engines:

- `claim(kind, status, worker, …)` takes up to n free rows (no live lease; a report due) for `worker`
  until `lease_until`. On PostgreSQL the rows are chosen `FOR UPDATE SKIP LOCKED`, so replicas never
  claim the same row; on SQLite the write transaction is exclusive.
- `renew(worker, until)` keeps a live worker's claims; a dead worker's lapse, and another takes them.
- Every finishing step names the worker and the status it expects, so a worker whose claim lapsed and
  was taken over changes nothing (`save_verdict` returns False, `finish_*` count 0 rows).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from evaluator.waivers import Waiver
from opsguard.store.connector import Connector
from opsguard.store.rows import (CheckSummary, DeliveryOutcome, DeliveryRow, EventKind, InboxRow, InboxStatus,
                                 OverlayRow, Pruned, RejectedRow, VerdictRow, utcnow)

__all__ = ["Store", "ReportClaim", "Attempt"]

_EPOCH = datetime.fromisoformat("0001-01-01T00:00:00+00:00")
_END = datetime.fromisoformat("9999-12-31T00:00:00+00:00")
_NO_LIMIT = 1_000_000_000


@dataclass(frozen=True)
class ReportClaim:
    """A judged message claimed for a report attempt, its attempt row already written."""

    message_id: str
    attempt: int
    received_at: datetime
    check_result: str
    tip: str


@dataclass(frozen=True)
class Attempt:
    """How one report attempt ended: `outcome` and, for `retry`, when the next is due."""

    message_id: str
    attempt: int
    outcome: DeliveryOutcome
    finished_at: datetime
    next_attempt_at: datetime | None = None
    http_status: int | None = None
    error_code: str | None = None
    error_message: str | None = None
    request_id: str | None = None

    @property
    def final_status(self) -> InboxStatus | None:
        if self.outcome is DeliveryOutcome.DELIVERED:
            return InboxStatus.REPORTED
        if self.outcome is DeliveryOutcome.GAVE_UP:
            return InboxStatus.UNDELIVERABLE
        return None


class Store:
    """The service's transactional state. Thread-safe; one per process."""

    def __init__(self, connector: Connector):
        self.connector = connector

    @property
    def dialect(self) -> str:
        return self.connector.dialect

    def describe(self) -> str:
        """Where the store is (no secrets)."""
        return self.connector.describe()

    def close(self) -> None:
        self.connector.close()

    # -- intake ------------------------------------------------------------------------------------------
    def accept(self, rows: Sequence[InboxRow]) -> list[bool]:
        """Insert inbox rows in one transaction; per row, True when it was new (False: a duplicate id)."""
        with self.connector.write() as s:
            return [s.one("store_inbox_insert", row.params()) is not None for row in rows]

    def record_rejected(self, rows: Iterable[RejectedRow]) -> None:
        with self.connector.write() as s:
            for row in rows:
                s.run("store_rejected_insert", row.params())

    def probe(self) -> None:
        """Write one row and commit: raises `StoreUnavailable` when the store cannot be written."""
        with self.connector.write() as s:
            s.run("store_probe", {"value": utcnow().isoformat()})

    def shared_secret(self, key: str) -> str:
        """A random secret kept in the store under `key`, made by whichever process asks first: every replica
        gets the same one (e.g. the key that signs details-page links)."""
        import secrets

        with self.connector.write() as s:
            s.run("store_meta_add", {"key": key, "value": secrets.token_hex(32)})
            return str(s.scalar("store_meta_get", {"key": key}))

    # -- reads ---------------------------------------------------------------------------------------------
    def inbox_row(self, message_id: str) -> InboxRow | None:
        with self.connector.read() as s:
            row = s.one("store_inbox_get", {"message_id": message_id})
        return InboxRow.from_db(row) if row else None

    def verdict(self, message_id: str) -> VerdictRow | None:
        with self.connector.read() as s:
            row = s.one("store_verdict_get", {"message_id": message_id})
        return VerdictRow(**row) if row else None

    def deliveries(self, message_id: str) -> list[DeliveryRow]:
        with self.connector.read() as s:
            return [DeliveryRow(**row) for row in s.all("store_deliveries_of", {"message_id": message_id})]

    def recent_checks(self, limit: int = 100) -> list[CheckSummary]:
        """The latest `limit` checks, newest first."""
        return self.checks(limit=limit)

    def checks(self, *, result: str | None = None, event_code: str | None = None, project_id: int | None = None,
               operator: str | None = None, node_id: int | None = None, since: datetime | None = None,
               until: datetime | None = None, before: tuple[datetime, str] | None = None,
               limit: int = 100) -> list[CheckSummary]:
        """One page of the checks list, newest first: the checks received in [since, until) (None: no
        filter; `result` may be "pending"), strictly older than `before` = (received_at, message_id) of the
        previous page's last row."""
        params = {"since": since or _EPOCH, "until": until or _END,
                  "before_at": before[0] if before else _END, "before_id": before[1] if before else "",
                  "any_result": result is None, "result": result,
                  "any_code": event_code is None, "event_code": event_code,
                  "any_project": project_id is None, "project_id": project_id,
                  "any_operator": operator is None, "operator": operator,
                  "any_node": node_id is None, "node_pattern": f"%,{node_id},%", "limit": limit}
        with self.connector.read() as s:
            return [CheckSummary(**row) for row in s.all("store_checks_list", params)]

    def rejected(self, limit: int = 100) -> list[RejectedRow]:
        with self.connector.read() as s:
            return [RejectedRow(**row) for row in s.all("store_rejected_recent", {"limit": limit})]

    def previous_check(self, row: InboxRow) -> str | None:
        """The earlier message of the same DataWorks check process (a Recheck names it)."""
        if not row.extension_biz_id:
            return None
        with self.connector.read() as s:
            return s.scalar("store_previous_check", {"extension_biz_id": row.extension_biz_id,
                                                     "message_id": row.message_id,
                                                     "received_at": row.received_at})

    def replay_keys_since(self, since: datetime) -> list[tuple[str, datetime]]:
        """(replay key, received_at) of messages received since `since`."""
        with self.connector.read() as s:
            return [(r["signature"], r["received_at"]) for r in s.all("store_replay_keys_since", {"since": since})]

    def backlog(self) -> dict[str, int]:
        """Unfinished messages by status (accepted: to judge or apply; judged: to report)."""
        with self.connector.read() as s:
            counts = {row["status"]: int(row["messages"]) for row in s.all("store_backlog")}
        return {status.value: counts.get(status.value, 0) for status in (InboxStatus.ACCEPTED, InboxStatus.JUDGED)}

    def decisions(self, *, since: datetime | None = None, until: datetime | None = None,
                  event_code: str | None = None, result: str | None = None, project_id: int | None = None,
                  operator: str | None = None, node_id: int | None = None, check: str | None = None,
                  limit: int | None = None) -> list[dict[str, Any]]:
        """Past verdicts, newest first, filtered (None: no filter); `checkpoints` as a list of dicts."""
        params = {"since": since or _EPOCH, "until": until or _END,
                  "any_code": event_code is None, "event_code": event_code,
                  "any_result": result is None, "result": result,
                  "any_project": project_id is None, "project_id": project_id,
                  "any_operator": operator is None, "operator": operator,
                  "any_node": node_id is None, "node_pattern": f"%,{node_id},%",
                  "any_check": check is None, "check_pattern": f"%,{check},%",
                  "limit": _NO_LIMIT if limit is None else limit}
        with self.connector.read() as s:
            rows = s.all("store_audit_decisions", params)
        for row in rows:
            row["checkpoints"] = json.loads(row["checkpoints"])
            row["node_ids"] = [int(n) for n in row["node_ids"].strip(",").split(",") if n]
        return rows

    # -- the work lifecycle --------------------------------------------------------------------------------
    def has_work(self, kind: EventKind, status: InboxStatus, now: datetime) -> bool:
        """Whether `claim` would find anything now (a read: idle workers poll with it)."""
        with self.connector.read() as s:
            return s.scalar("store_claimable", {"kind": kind.value, "status": status.value, "now": now}) is not None

    def claim(self, kind: EventKind, status: InboxStatus, worker: str, now: datetime, lease_until: datetime,
              limit: int) -> list[InboxRow]:
        """Claim up to `limit` free rows, oldest first."""
        with self.connector.write() as s:
            rows = s.all("store_claim", {"kind": kind.value, "status": status.value, "worker": worker, "now": now,
                                         "lease_until": lease_until, "limit": limit})
        return sorted((InboxRow.from_db(r) for r in rows), key=lambda r: r.received_at)

    def renew(self, worker: str, lease_until: datetime) -> int:
        """Extend every claim `worker` holds; how many it holds."""
        with self.connector.write() as s:
            return s.run("store_renew", {"worker": worker, "lease_until": lease_until})

    def release(self, message_ids: Iterable[str], worker: str) -> None:
        """Give claimed rows back unchanged."""
        message_ids = list(message_ids)
        if not message_ids:
            return
        with self.connector.write() as s:
            for message_id in message_ids:
                s.run("store_release", {"message_id": message_id, "worker": worker})

    def release_all(self, worker: str) -> int:
        """Give back every row `worker` holds (it stops)."""
        with self.connector.write() as s:
            return s.run("store_release_all", {"worker": worker})

    def save_verdicts(self, verdicts: Sequence[VerdictRow], worker: str) -> list[bool]:
        """Store judged verdicts (accepted → judged, due for reporting now), one transaction; per verdict
        False when the claim was lost (then nothing of it is stored)."""
        saved = []
        with self.connector.write() as s:
            for verdict in verdicts:
                moved = s.run("store_finish", {"message_id": verdict.message_id, "worker": worker,
                                               "from_status": InboxStatus.ACCEPTED.value,
                                               "status": InboxStatus.JUDGED.value, "reason": None,
                                               "next_attempt_at": verdict.evaluated_at, "now": verdict.evaluated_at})
                if moved:
                    s.run("store_verdict_insert", verdict.params())
                saved.append(bool(moved))
        return saved

    def claim_reports(self, worker: str, now: datetime, lease_until: datetime, limit: int) -> list[ReportClaim]:
        """Claim judged messages whose report is due and write each one's attempt row (`sending`) before
        anything is posted. An earlier attempt still `sending` belonged to a worker that died: `unknown`."""
        claims = []
        with self.connector.write() as s:
            rows = s.all("store_claim", {"kind": EventKind.EXTENSION.value, "status": InboxStatus.JUDGED.value,
                                         "worker": worker, "now": now, "lease_until": lease_until, "limit": limit})
            for row in sorted(rows, key=lambda r: r["received_at"]):
                verdict = s.one("store_verdict_get", {"message_id": row["message_id"]})
                if verdict is None:   # cannot happen: a row is judged together with its verdict
                    s.run("store_release", {"message_id": row["message_id"], "worker": worker})
                    continue
                s.run("store_delivery_unknown", {"message_id": row["message_id"], "now": now})
                attempt = int(row["attempts"]) + 1
                s.run("store_delivery_start", {"message_id": row["message_id"], "attempt": attempt,
                                               "started_at": now, "check_result": verdict["wire_result"],
                                               "worker": worker})
                s.run("store_delivery_count", {"message_id": row["message_id"], "attempt": attempt})
                claims.append(ReportClaim(row["message_id"], attempt, row["received_at"], verdict["wire_result"],
                                          verdict["tip"]))
        return claims

    def finish_reports(self, attempts: Sequence[Attempt], worker: str) -> None:
        """Record how attempts ended, one transaction: the attempt row, and the message reported, given up,
        or due again at `next_attempt_at`."""
        with self.connector.write() as s:
            for a in attempts:
                s.run("store_delivery_finish", {"message_id": a.message_id, "attempt": a.attempt,
                                                "outcome": a.outcome.value, "finished_at": a.finished_at,
                                                "http_status": a.http_status, "error_code": a.error_code,
                                                "error_message": a.error_message, "request_id": a.request_id,
                                                "next_attempt_at": a.next_attempt_at})
                status = a.final_status or InboxStatus.JUDGED
                s.run("store_finish", {"message_id": a.message_id, "worker": worker,
                                       "from_status": InboxStatus.JUDGED.value, "status": status.value,
                                       "reason": None, "next_attempt_at": a.next_attempt_at, "now": a.finished_at})

    # -- node changes ----------------------------------------------------------------------------------------
    def finish_node_change(self, message_id: str, worker: str, overlay: OverlayRow | None, reason: str | None,
                           now: datetime) -> bool:
        """A node change checked against production: `overlay` applied (its row added), or None — discarded
        with `reason`. False when the claim was lost."""
        status = InboxStatus.APPLIED if overlay is not None else InboxStatus.DISCARDED
        with self.connector.write() as s:
            moved = s.run("store_finish", {"message_id": message_id, "worker": worker,
                                           "from_status": InboxStatus.ACCEPTED.value, "status": status.value,
                                           "reason": reason, "next_attempt_at": None, "now": now})
            if moved and overlay is not None:
                s.one("store_overlay_insert", overlay.params())
        return bool(moved)

    def retry_later(self, message_id: str, worker: str, when: datetime) -> None:
        """Free a claimed, still-accepted row and make it due again at `when` (its API call failed)."""
        with self.connector.write() as s:
            s.run("store_finish", {"message_id": message_id, "worker": worker,
                                   "from_status": InboxStatus.ACCEPTED.value, "status": InboxStatus.ACCEPTED.value,
                                   "reason": None, "next_attempt_at": when, "now": utcnow()})

    def overlay_since(self, after: int = 0, received_since: datetime | None = None) -> list[OverlayRow]:
        """Node changes after `after` (a seq), received at or after `received_since`, in order."""
        with self.connector.read() as s:
            rows = s.all("store_overlay_since", {"after": after, "received_since": received_since or _EPOCH})
        return [OverlayRow.from_db(r) for r in rows]

    def overlay_version(self) -> int:
        """The newest node change's seq (0: none)."""
        with self.connector.read() as s:
            return int(s.scalar("store_overlay_version") or 0)

    def prune_overlay(self, before: datetime) -> int:
        with self.connector.write() as s:
            return s.run("store_overlay_prune", {"before": before})

    # -- waivers -------------------------------------------------------------------------------------------
    def grant_waiver(self, waiver: Waiver) -> None:
        with self.connector.write() as s:
            s.run("store_waiver_insert", {k: v for k, v in waiver.__dict__.items() if k != "revoked_at"})

    def waivers_in_force(self, now: datetime) -> list[Waiver]:
        with self.connector.read() as s:
            return [Waiver(**row) for row in s.all("store_waivers_in_force", {"now": now})]

    def waivers_since(self, since: datetime) -> list[Waiver]:
        """Waivers in force or ended after `since`, newest first."""
        with self.connector.read() as s:
            return [Waiver(**row) for row in s.all("store_waivers_recent", {"since": since})]

    def revoke_waiver(self, waiver_id: str, now: datetime) -> bool:
        with self.connector.write() as s:
            return bool(s.run("store_waiver_revoke", {"waiver_id": waiver_id, "now": now}))

    # -- retention -------------------------------------------------------------------------------------------
    def prune(self, before: datetime, limit: int) -> Pruned:
        """Drop up to `limit` of the oldest messages finished before `before` (verdicts and attempts with them)
        and as many refused requests received before it; unfinished messages stay."""
        params = {"before": before, "limit": limit}
        with self.connector.write() as s:
            counts = {table: s.run(f"store_prune_{table}", params) for table in ("verdicts", "deliveries", "inbox",
                                                                                  "rejected")}
        return Pruned(**counts)

    # -- scheduling ------------------------------------------------------------------------------------------
    def sync_lock(self, fallback: AbstractContextManager[bool] | None = None) -> AbstractContextManager[bool]:
        """A lock held while one replica syncs: PostgreSQL's advisory lock; on SQLite `fallback` (the data
        dir's file lock), else a lock that is always taken. Yields whether it was taken."""
        session_lock = getattr(self.connector, "session_lock", None)
        if session_lock is not None:
            return session_lock(_SYNC_LOCK_KEY)
        return fallback if fallback is not None else nullcontext(True)


_SYNC_LOCK_KEY = 0x6F707373   # "opss"
