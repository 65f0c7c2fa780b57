"""Checkpoints and verdicts: the worst checkpoint status wins; the tip is one short line for the panel.

The JSON shape is docs/contract.md "JSON shapes" (`Verdict.to_json`); extra keys (`operator`, `wire_result`,
`ignored`, `notes`) are additions, never renames.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import Enum, StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson

if TYPE_CHECKING:
    from lineage.graph import LineageGraph

__all__ = ["Status", "Checkpoint", "SnapshotInfo", "Verdict", "worst", "make_tip", "jsonable", "doc_url",
           "EMPTY_IMPACT", "EMPTY_BACKFILL", "TIP_LIMIT", "json_text"]

TIP_LIMIT = 300  # CheckResultTip is shown in the panel: a few hundred characters (docs/dataworks.md, answering)
_EMPTY: Mapping[str, Any] = MappingProxyType({})


class Status(StrEnum):
    """A checkpoint's or verdict's result; `rank` orders them OK < WARN < FAIL."""

    OK = "OK"
    WARN = "WARN"
    FAIL = "FAIL"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Status.OK: 0, Status.WARN: 1, Status.FAIL: 2}
_TIP_PREFIX = {Status.OK: "OK: ", Status.WARN: "WARNING: ", Status.FAIL: "FAIL: "}


def worst(statuses: Iterable[Status]) -> Status:
    """The most severe status; OK for none.

    >>> worst([Status.OK, Status.WARN, Status.OK]), worst([])
    (<Status.WARN: 'WARN'>, <Status.OK: 'OK'>)
    """
    return max(statuses, key=_RANK.__getitem__, default=Status.OK)


@dataclass(frozen=True)
class Checkpoint:
    """One judged aspect of an event: `message` for a human (one line), `facts` for machines (complete)."""

    name: str
    status: Status
    message: str
    facts: Mapping[str, Any] = field(default_factory=lambda: _EMPTY, compare=False)
    summary: str = ""   # a few words for the panel tip when the message does not fit; "" = the message

    def to_json(self, doc_base: str = "") -> dict[str, Any]:
        """`{"name", "status", "message", "facts", "doc_url"}` with plain JSON values (see `doc_url`)."""
        return self._document(doc_base, jsonable)

    def _document(self, doc_base: str, plain: Any) -> dict[str, Any]:
        return {"name": self.name, "status": self.status.value, "message": self.message,
                "facts": plain(self.facts), "doc_url": doc_url(self.name, doc_base)}


def doc_url(name: str, base: str = "") -> str:
    """Where checkpoint `name` is documented ("View Documentation"): `/docs#name`, under `base` when given.

    >>> doc_url("backfill-volume"), doc_url("backfill-volume", "https://opsguard.example.com/")
    ('/docs#backfill-volume', 'https://opsguard.example.com/docs#backfill-volume')
    """
    return f"{base.rstrip('/')}/docs#{name}"


@dataclass(frozen=True)
class SnapshotInfo:
    """Which metadata snapshot judged the event and how old it was (None for hand-built graphs)."""

    id: str
    synced_at: datetime | None
    age_seconds: float | None

    @classmethod
    def of(cls, graph: LineageGraph | None, now: datetime | None = None) -> SnapshotInfo:
        """The snapshot `graph` was loaded from and its age at `now` (default: now; naive = UTC); id "none"
        when there is no graph."""
        if graph is None:
            return cls("none", None, None)
        synced = graph.synced_at
        if synced is None:
            return cls(graph.snapshot_id, None, None)
        now = now or datetime.now(UTC)
        now = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
        return cls(graph.snapshot_id, synced, max((now - synced).total_seconds(), 0.0))

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "synced_at": self.synced_at.isoformat() if self.synced_at else None,
                "age_seconds": None if self.age_seconds is None else round(self.age_seconds, 3)}


EMPTY_IMPACT: Mapping[str, Any] = MappingProxyType({
    "nodes": [], "downstream_count": 0, "max_depth": 0, "cross_project_count": 0, "baseline_ids": [],
    "high_priority_count": 0, "owners": []})
EMPTY_BACKFILL: Mapping[str, Any] = MappingProxyType({
    "node_count": 0, "dry_run_node_count": 0, "bizdate_count": 0, "instance_count": 0,
    "run_instance_count": 0, "estimated_hours": 0.0, "downstream_not_included_count": 0})


@dataclass(frozen=True)
class Verdict:
    """The answer to one event. `result` is the worst checkpoint; `wire_result` what DataWorks is sent."""

    message_id: str | None
    event_code: str | None
    project_id: int | None
    result: Status
    wire_result: str
    tip: str
    checkpoints: tuple[Checkpoint, ...]
    snapshot: SnapshotInfo
    latency_ms: float
    operator: str | None = None
    impact: Mapping[str, Any] | None = None
    backfill: Mapping[str, Any] | None = None
    notes: tuple[str, ...] = ()
    ignored: bool = False

    def checkpoint(self, name: str) -> Checkpoint:
        """The checkpoint called `name`; KeyError if no check of that name ran."""
        for checkpoint in self.checkpoints:
            if checkpoint.name == name:
                return checkpoint
        raise KeyError(name)

    def to_json(self, doc_base: str = "") -> dict[str, Any]:
        """The docs/contract.md verdict object (plus `operator`, `wire_result`, `notes`, `ignored`); each checkpoint's
        `doc_url` is relative unless `doc_base` (the server's public URL) is given."""
        return self._document(doc_base, jsonable)

    def to_text(self, doc_base: str = "", **extra: Any) -> str:
        """`to_json(doc_base)` with `extra` keys added, as JSON text: what the server stores for every event.

        Same document, built faster: the facts go to the encoder as they are (numpy arrays, dates...)
        instead of being converted value by value first — a third of the judging time of a big verdict.
        """
        doc = self._document(doc_base, _as_is)
        doc.update(extra)
        return json_text(doc)

    def _document(self, doc_base: str, plain: Any) -> dict[str, Any]:
        return {
            "message_id": self.message_id, "event_code": self.event_code, "project_id": self.project_id,
            "result": self.result.value, "tip": self.tip,
            "checkpoints": [c._document(doc_base, plain) for c in self.checkpoints],
            "impact": plain(self.impact if self.impact is not None else EMPTY_IMPACT),
            "backfill": plain(self.backfill if self.backfill is not None else EMPTY_BACKFILL),
            "snapshot": self.snapshot.to_json(), "latency_ms": round(self.latency_ms, 3),
            "operator": self.operator, "wire_result": self.wire_result, "notes": list(self.notes),
            "ignored": self.ignored,
        }


def make_tip(result: Status, checkpoints: Sequence[Checkpoint], notes: Sequence[str] = (),
             limit: int = TIP_LIMIT) -> str:
    """One panel line: result prefix, notes, then the worst checkpoints' messages, cut to `limit` chars.

    >>> cps = [Checkpoint("a", Status.OK, "2 nodes below"), Checkpoint("b", Status.WARN, "owner x affected")]
    >>> make_tip(Status.WARN, cps)
    'WARNING: owner x affected'
    >>> make_tip(Status.OK, cps[:1])
    'OK: 2 nodes below'
    """
    if result is Status.OK:
        ranked = [c for c in checkpoints if c.status is Status.OK][:1]
    else:
        ranked = sorted((c for c in checkpoints if c.status is not Status.OK), key=lambda c: -c.status.rank)
    parts = [(_line(n), _line(n)) for n in notes] + [(_line(c.message), _line(c.summary or c.message))
                                                      for c in ranked]
    prefix = _TIP_PREFIX[result]
    if not parts:
        return prefix + "nothing to report"
    # The first part in full if the others' summaries still fit; otherwise everything as summaries.
    full = [parts[0][0]] + [short for _, short in parts[1:]]
    chosen = full if len(prefix + "; ".join(full)) <= limit else [short for _, short in parts]
    tip = prefix
    for i, part in enumerate(chosen):
        candidate = tip + ("; " if i else "") + part
        rest = len(chosen) - i - 1
        suffix = f" (+{rest} more)" if rest else ""
        if len(candidate) + len(suffix) <= limit:
            tip = candidate
            continue
        if i == 0:  # the first part alone is too long: cut it
            room = limit - len(tip) - len(suffix) - 1
            return tip + part[:max(room, 0)].rstrip() + "…" + suffix
        return tip + f" (+{len(chosen) - i} more)"
    return tip


def _line(text: str) -> str:
    return " ".join(text.split())


def jsonable(value: Any) -> Any:
    """Plain JSON values from facts (numpy, tuples, sets, dates, enums, mappings).

    >>> jsonable({"ids": np.array([1, 2]), "when": date(2026, 1, 2), "s": Status.OK, "x": float("nan")})
    {'ids': [1, 2], 'when': '2026-01-02', 's': 'OK', 'x': None}
    """
    if value is None or isinstance(value, (bool, int, str)):
        return value.value if isinstance(value, Enum) else value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, np.ndarray):
        return value.tolist() if value.dtype.kind in "iub" else jsonable(value.tolist())
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return [jsonable(v) for v in sorted(value)]
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return str(value)


def _as_is(value: Any) -> Any:
    return value


_ORJSON_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def _orjson_fallback(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    return jsonable(value)


def json_text(value: Any) -> str:
    """`json.dumps(jsonable(value))`, the same JSON values, about ten times faster (orjson, compact).

    >>> json_text({"ids": np.array([1, 2]), "s": Status.OK, "x": float("nan"), "when": date(2026, 1, 2)})
    '{"ids":[1,2],"s":"OK","x":null,"when":"2026-01-02"}'
    """
    try:
        return orjson.dumps(value, default=_orjson_fallback, option=_ORJSON_OPTIONS).decode()
    except orjson.JSONEncodeError:   # what orjson refuses (integers beyond 64 bits...): the plain way
        return json.dumps(jsonable(value), ensure_ascii=False)
