"""Waivers: a policy owner overrides a WARN or FAIL on purpose, for a while, on the record.

A waiver names who granted it and why, when it expires, and its scope — any of a node, a baseline, a
workspace, an operator and an event code (all it names must match; at least one). It never turns the
guard off: the checks still run and their findings stay in the verdict; a matching waiver only changes
the result to OK, adds a `waiver` checkpoint naming it, and starts the tip with it, so the panel, the
details page and the audit trail all say the operation went through by waiver. Pure: the service passes
the waivers in force (from its store) to `apply_waivers`.

>>> from evaluator.verdict import Checkpoint, SnapshotInfo, Status, Verdict
>>> v = Verdict("m-1", "freeze-node", 215001, Status.FAIL, "FAIL", "FAIL: blocks 880 nodes",
...             (Checkpoint("downstream-blocked", Status.FAIL, "blocks 880 nodes"),), SnapshotInfo("s", None, None),
...             1.0, operator="203100000000042")
>>> w = Waiver("w-1", granted_by="alice", reason="planned migration (CHG-1234)", node_id=700000000101,
...            granted_at=datetime(2026, 12, 5, tzinfo=UTC), expires_at=datetime(2026, 12, 6, tzinfo=UTC))
>>> waived = apply_waivers(v, [w], node_ids=[700000000101], baseline_ids=[], now=datetime(2026, 12, 5, 9, tzinfo=UTC))
>>> waived.result.value, waived.wire_result, waived.tip
('OK', 'OK', 'OK: waived by alice until 2026-12-06 00:00 UTC (w-1: planned migration (CHG-1234)); was FAIL: blocks 880 nodes')
>>> apply_waivers(v, [w], node_ids=[1], baseline_ids=[], now=datetime(2026, 12, 5, 9, tzinfo=UTC)) is v
True
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from evaluator.verdict import TIP_LIMIT, Checkpoint, Status, Verdict

__all__ = ["Waiver", "WaiverError", "apply_waivers", "matching", "MAX_WAIVER_DAYS"]

MAX_WAIVER_DAYS = 7   # a waiver is an exception, not a setting: renew it if it must last longer


class WaiverError(ValueError):
    """A waiver that cannot be granted as asked (no scope, no reason, too long, already expired)."""


@dataclass(frozen=True)
class Waiver:
    """One waiver; None in a scope field = any."""

    waiver_id: str
    granted_by: str
    reason: str
    granted_at: datetime
    expires_at: datetime
    node_id: int | None = None
    baseline_id: int | None = None
    project_id: int | None = None
    operator: str | None = None
    event_code: str | None = None
    revoked_at: datetime | None = None

    def __post_init__(self) -> None:
        if not self.scope():
            raise WaiverError("a waiver needs a scope: a node, a baseline, a workspace, an operator or an event "
                              "code (a waiver for everything would turn the guard off)")
        if not self.granted_by.strip() or not self.reason.strip():
            raise WaiverError("a waiver needs who granted it and why")
        if self.expires_at <= self.granted_at:
            raise WaiverError("a waiver must expire after it is granted")
        if self.expires_at - self.granted_at > timedelta(days=MAX_WAIVER_DAYS):
            raise WaiverError(f"a waiver lasts at most {MAX_WAIVER_DAYS} days; grant a new one when it ends")

    def in_force(self, now: datetime) -> bool:
        return self.revoked_at is None and self.granted_at <= now < self.expires_at

    def scope(self) -> str:
        """What it covers, in words."""
        parts = [f"{name} {value}" for name, value in (("node", self.node_id), ("baseline", self.baseline_id),
                                                         ("workspace", self.project_id), ("operator", self.operator),
                                                         ("event", self.event_code)) if value is not None]
        return ", ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in self.__dict__.items()}


def matching(waivers: Iterable[Waiver], verdict: Verdict, node_ids: Sequence[int], baseline_ids: Sequence[int],
             now: datetime) -> list[Waiver]:
    """The waivers in force whose every named scope matches this verdict's event."""
    nodes, baselines = set(node_ids), set(baseline_ids)
    return [w for w in waivers if w.in_force(now)
            and (w.node_id is None or w.node_id in nodes)
            and (w.baseline_id is None or w.baseline_id in baselines)
            and (w.project_id is None or w.project_id == verdict.project_id)
            and (w.operator is None or w.operator == verdict.operator)
            and (w.event_code is None or w.event_code == verdict.event_code)]


def apply_waivers(verdict: Verdict, waivers: Iterable[Waiver], *, node_ids: Sequence[int],
                  baseline_ids: Sequence[int], now: datetime | None = None) -> Verdict:
    """`verdict` overridden to OK by the first waiver in force that matches it (the same object when none
    does, or when it is OK already). `node_ids`: the nodes the event names; `baseline_ids`: the baselines
    it reaches (the verdict's impact)."""
    if verdict.result is Status.OK:
        return verdict
    found = matching(waivers, verdict, node_ids, baseline_ids, now or datetime.now(UTC))
    if not found:
        return verdict
    waiver = min(found, key=lambda w: w.expires_at)
    until = waiver.expires_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    said = f"waived by {waiver.granted_by} until {until} ({waiver.waiver_id}: {waiver.reason})"
    checkpoint = Checkpoint("waiver", Status.OK, f"{said}; scope: {waiver.scope()}; opsguard's own result: "
                                                 f"{verdict.result.value}",
                            {"waiver": waiver.to_json(), "waived_result": verdict.result.value})
    was = verdict.tip.split(": ", 1)[-1]
    tip = f"OK: {said}; was {verdict.result.value}: {was}"
    if len(tip) > TIP_LIMIT:
        tip = tip[:TIP_LIMIT - 1].rstrip() + "…"
    return replace(verdict, result=Status.OK, wire_result=Status.OK.value, tip=tip,
                   checkpoints=(checkpoint, *verdict.checkpoints))
