"""The rows of the state store as typed values (one frozen dataclass per table, enums for statuses)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

__all__ = ["EventKind", "InboxStatus", "DeliveryOutcome", "InboxRow", "VerdictRow", "DeliveryRow", "OverlayRow",
           "RejectedRow", "CheckSummary", "Pruned", "utcnow"]


def utcnow() -> datetime:
    """Now, timezone-aware UTC (every time in the store is)."""
    return datetime.now(UTC)


class EventKind(StrEnum):
    """What an inbox row is: a check to answer, a node change to apply, or nothing to do."""

    EXTENSION = "extension"
    NODE_CHANGE = "node-change"
    IGNORED = "ignored"


class InboxStatus(StrEnum):
    """Where an inbox row is.

    extension: accepted → judged → reported (or undeliverable); node-change: accepted → applied (or
    discarded: not a production change); ignored from the start.
    """

    ACCEPTED = "accepted"
    JUDGED = "judged"
    REPORTED = "reported"
    UNDELIVERABLE = "undeliverable"
    APPLIED = "applied"
    DISCARDED = "discarded"
    IGNORED = "ignored"

    @property
    def finished(self) -> bool:
        return self not in (InboxStatus.ACCEPTED, InboxStatus.JUDGED)


class DeliveryOutcome(StrEnum):
    """What became of one attempt to post a result."""

    SENDING = "sending"          # recorded, the call is (or was) under way
    DELIVERED = "delivered"
    RETRY = "retry"
    GAVE_UP = "gave-up"
    UNKNOWN = "unknown"          # its worker died during the call: DataWorks may or may not have it


@dataclass(frozen=True)
class InboxRow:
    """One accepted message (`inbox` table)."""

    message_id: str
    received_at: datetime
    kind: EventKind
    event_code: str | None
    project_id: int | None
    operator: str | None
    extension_biz_id: str | None
    data_message_id: str | None
    status: InboxStatus
    reason: str | None = None
    raw: str = field(default="", repr=False)
    attempts: int = 0
    updated_at: datetime | None = None
    signature: str | None = field(default=None, repr=False)

    @classmethod
    def from_db(cls, row: dict[str, Any]) -> InboxRow:
        return cls(**{**row, "kind": EventKind(row["kind"]), "status": InboxStatus(row["status"])})

    def params(self) -> dict[str, Any]:
        return {"message_id": self.message_id, "received_at": self.received_at, "kind": self.kind.value,
                "event_code": self.event_code, "project_id": self.project_id, "operator": self.operator,
                "extension_biz_id": self.extension_biz_id, "data_message_id": self.data_message_id,
                "status": self.status.value, "reason": self.reason, "signature": self.signature, "raw": self.raw}


@dataclass(frozen=True)
class VerdictRow:
    """One stored verdict (`verdicts` table); `verdict` is the docs/contract.md JSON as text."""

    message_id: str
    evaluated_at: datetime
    event_code: str | None
    project_id: int | None
    operator: str | None
    result: str
    wire_result: str
    tip: str
    snapshot_id: str | None
    overlay_version: int | None
    recheck_of: str | None
    latency_ms: float | None
    checkpoints: str = field(default="[]", repr=False)
    flagged_checks: str = field(default=",", repr=False)
    node_ids: str = field(default=",", repr=False)
    verdict: str = field(default="{}", repr=False)

    def data(self) -> dict[str, Any]:
        """The verdict JSON as a dict."""
        return json.loads(self.verdict)

    def params(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class DeliveryRow:
    """One attempt to post a result (`deliveries` table)."""

    message_id: str
    attempt: int
    started_at: datetime
    finished_at: datetime | None
    check_result: str
    outcome: str
    worker: str | None = None
    http_status: int | None = None
    error_code: str | None = None
    error_message: str | None = None
    request_id: str | None = None
    next_attempt_at: datetime | None = None


@dataclass(frozen=True)
class OverlayRow:
    """One node change confirmed in production (`node_overlay`); `node` holds snapshot `nodes` columns."""

    node_id: int
    change: str                       # created | updated | deleted
    project_id: int | None
    modify_time: int | None
    received_at: datetime
    message_id: str
    node: dict[str, Any] = field(compare=False)
    seq: int = 0

    @classmethod
    def from_db(cls, row: dict[str, Any]) -> OverlayRow:
        return cls(**{**row, "node": json.loads(row["node"])})

    def params(self) -> dict[str, Any]:
        return {"node_id": self.node_id, "change": self.change, "project_id": self.project_id,
                "modify_time": self.modify_time, "received_at": self.received_at, "message_id": self.message_id,
                "node": json.dumps(self.node, default=str)}


@dataclass(frozen=True)
class RejectedRow:
    """A request that was not accepted (`rejected` table)."""

    received_at: datetime
    http_status: int
    reason: str
    detail: str
    message_id: str | None = None
    event_code: str | None = None
    remote_addr: str | None = None
    content_type: str | None = None
    body_size: int | None = None
    body_head: str | None = None

    def params(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class CheckSummary:
    """One line of the checks list."""

    message_id: str
    received_at: datetime
    event_code: str | None
    project_id: int | None
    operator: str | None
    status: str
    result: str | None
    wire_result: str | None
    tip: str | None
    latency_ms: float | None
    attempts: int


@dataclass(frozen=True)
class Pruned:
    """Rows one prune dropped, by table."""

    inbox: int = 0
    verdicts: int = 0
    deliveries: int = 0
    rejected: int = 0

    def by_table(self) -> dict[str, int]:
        return dict(self.__dict__)

    @property
    def total(self) -> int:
        return sum(self.by_table().values())

    def __add__(self, other: Pruned) -> Pruned:
        return Pruned(**{table: rows + getattr(other, table) for table, rows in self.by_table().items()})
