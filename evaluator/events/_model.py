"""The typed events: frozen dataclasses in DataWorks' vocabulary (docs/dataworks.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, TypeAlias

from lineage.backfill import BackfillRequest, BizdatePeriod
from lineage.records import node_row

EMPTY: Mapping[str, Any] = MappingProxyType({})


class EventCode(StrEnum):
    """The `eventCode`s opsguard understands (docs/dataworks.md)."""

    FREEZE_NODE = "freeze-node"
    UNFREEZE_NODE = "unfreeze-node"
    UNDEPLOY_NODE = "undeploy-node"
    BACKFILL_DATA = "backfill-data"
    NODE_CHANGE_CREATED = "node-change-created"
    NODE_CHANGE_UPDATED = "node-change-updated"
    NODE_CHANGE_DELETED = "node-change-deleted"

    @property
    def is_extension_point(self) -> bool:
        """True for codes DataWorks holds the operation for until opsguard answers."""
        return self in _EXTENSION_POINTS
_EXTENSION_POINTS = frozenset({EventCode.FREEZE_NODE, EventCode.UNFREEZE_NODE, EventCode.UNDEPLOY_NODE,
                               EventCode.BACKFILL_DATA})


@dataclass(frozen=True)
class Envelope:
    """The CloudEvents envelope around `data`; `extra` holds `aliyun*` and any other attributes."""

    id: str | None
    source: str | None = None
    type: str | None = None
    subject: str | None = None
    time: str | None = None
    specversion: str | None = None
    datacontenttype: str | None = None
    extra: Mapping[str, Any] = field(default_factory=lambda: EMPTY, compare=False, hash=False)


@dataclass(frozen=True, kw_only=True)
class _Event:
    code: EventCode
    message_id: str | None            # the id to answer with: envelope `id`, else `data.messageId`
    data_message_id: str | None       # `data.messageId` when sent (INFERRED field), recorded as is
    project_id: int
    tenant_id: int | None = None
    operator: str | None = None
    extension_biz_id: str | None = None
    envelope: Envelope | None = None
    extra: Mapping[str, Any] = field(default_factory=lambda: EMPTY, compare=False, hash=False)  # unknown data fields
    raw: Mapping[str, Any] = field(default_factory=lambda: EMPTY, compare=False, hash=False)    # the whole `data` object


@dataclass(frozen=True, kw_only=True)
class NodeOperation(_Event):
    """freeze-node / unfreeze-node / undeploy-node on `node_ids` (a batch may name several)."""

    node_ids: tuple[int, ...]


@dataclass(frozen=True, kw_only=True)
class Backfill(_Event):
    """backfill-data. `include_node_ids` None = not sent (DataWorks' selection unknown: assume the worst)."""

    root_node_id: int
    periods: tuple[BizdatePeriod, ...]
    include_node_ids: tuple[int, ...] | None = None
    exclude_node_ids: tuple[int, ...] = ()
    root_node_project_id: int | None = None
    name: str | None = None
    use_multiple_time_periods: bool = False
    is_parallel: bool = False
    parallel_group: int = 1
    order: str = "asc"
    start_future_instance_immediately: bool = False

    @property
    def node_ids(self) -> tuple[int, ...]:
        """Every node id the message names: root, include, exclude (deduplicated, in that order)."""
        return tuple(dict.fromkeys((self.root_node_id, *(self.include_node_ids or ()), *self.exclude_node_ids)))

    def to_request(self) -> BackfillRequest:
        """The lineage request for this backfill; empty or absent include = root + all downstream; the
        parallel groups decide the wall-clock estimate."""
        return BackfillRequest(root_id=self.root_node_id, periods=self.periods,
                               include_ids=self.include_node_ids or None, exclude_ids=self.exclude_node_ids,
                               is_parallel=self.is_parallel, parallel_group=self.parallel_group)


@dataclass(frozen=True, kw_only=True)
class NodeChanged(_Event):
    """A regular node-change-* event carrying the node's scheduling record (`raw`, camelCase)."""

    node_id: int

    @property
    def node_ids(self) -> tuple[int, ...]:
        return (self.node_id,)

    def node_row(self) -> dict[str, Any]:
        """The record as snapshot `nodes` columns (snake_case), for the node overlay."""
        return node_row({k[:1].upper() + k[1:]: v for k, v in self.raw.items()})


@dataclass(frozen=True)
class Ignored:
    """A well-formed message opsguard does not judge (unknown code, instance freeze...); `reason` says why."""

    reason: str
    code: str | None = None
    message_id: str | None = None
    project_id: int | None = None
    envelope: Envelope | None = None
    raw: Mapping[str, Any] = field(default_factory=lambda: EMPTY, compare=False, hash=False)


@dataclass(frozen=True)
class Unreadable:
    """An extension-point event that names its message id and its code, but whose payload cannot be read
    (a field missing or of the wrong type): DataWorks holds the operation until it is answered, so it is
    answered all the same, with the policy's `on_error` (`evaluator.unjudged.verdict_for_error`).

    `reason` is one line saying what could not be read and what to fix; `error` the parse error itself.
    The other fields are what could still be read (None where even that failed).
    """

    code: EventCode
    message_id: str
    reason: str
    error: Exception = field(compare=False, hash=False, repr=False)
    project_id: int | None = None
    operator: str | None = None
    extension_biz_id: str | None = None
    data_message_id: str | None = None
    envelope: Envelope | None = None
    raw: Mapping[str, Any] = field(default_factory=lambda: EMPTY, compare=False, hash=False)

    @property
    def node_ids(self) -> tuple[int, ...]:
        """None can be read: an unreadable event names no node opsguard could check."""
        return ()


@dataclass(frozen=True)
class EventIdentity:
    """What an answer needs to know about an event, for events the service could not (or no longer can)
    parse: e.g. built from a stored inbox row for `verdict_for_error`. `code` is the eventCode text."""

    message_id: str | None
    code: str | None
    project_id: int | None = None
    operator: str | None = None


Event: TypeAlias = NodeOperation | Backfill | NodeChanged | Ignored | Unreadable

