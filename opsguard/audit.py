"""Past decisions from the state store: who did what, when, and what opsguard answered.

`audit_frame(data_dir, since="7d", result="FAIL")` is a pandas DataFrame of verdicts (one row per message,
newest first); `summary_frame(...)` counts results and checkpoint statuses per day. `opsguard audit` prints
the same and `GET /api/audit` serves the same rows. All read the store directly (SQLite lets any number of
readers in beside a running server; PostgreSQL is shared by every replica), through `sql/store_audit_decisions.sql`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from evaluator.checks import checkpoint_names
from evaluator.events import EventCode
from lineage.snapshots import default_data_dir
from opsguard.store import STATE_FILE, Store, StoreError, open_store

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["AuditFilter", "AuditError", "COLUMNS", "RESULTS", "FILTER_NAMES", "audit_frame", "summary_frame",
           "read_decisions", "open_audit_store", "summarise", "parse_time"]

# The columns of sql/store_audit_decisions.sql, in order.
COLUMNS = ("message_id", "evaluated_at", "received_at", "event_code", "project_id", "operator", "result",
           "wire_result", "tip", "checkpoints", "node_ids", "status", "snapshot_id", "latency_ms", "recheck_of")
RESULTS = ("OK", "WARN", "FAIL")
EVENT_CODES = tuple(c.value for c in EventCode if c.is_extension_point)   # the events opsguard decides on
FILTER_NAMES = ("since", "until", "event_code", "result", "project", "operator", "node", "check", "limit")
_RELATIVE = re.compile(r"\s*([0-9]+)\s*([mhdw])\s*")


class AuditError(ValueError):
    """A filter that cannot be read, or a state store that cannot be read."""


@dataclass(frozen=True)
class AuditFilter:
    """Which decisions to read; None = no filter."""

    since: datetime | None = None       # evaluated at or after (UTC-aware)
    until: datetime | None = None       # evaluated before
    event_code: str | None = None
    result: str | None = None           # OK | WARN | FAIL
    project_id: int | None = None
    operator: str | None = None
    node_id: int | None = None          # a node the event named
    check: str | None = None            # a checkpoint that was WARN or FAIL
    limit: int | None = None

    @classmethod
    def build(cls, *, since: Any = None, until: Any = None, event_code: str | None = None,
              result: str | None = None, project: Any = None, operator: Any = None, node: Any = None,
              check: str | None = None, limit: Any = None, now: datetime | None = None) -> AuditFilter:
        """Filters from what a user typed (or typed values); `AuditError` names the first bad one.

        >>> f = AuditFilter.build(since="2026-11-01", result="fail", project="215001", now=None)
        >>> f.since.isoformat(), f.result, f.project_id
        ('2026-11-01T00:00:00+00:00', 'FAIL', 215001)
        """
        now = now or datetime.now(UTC)
        if result is not None and str(result).upper() not in RESULTS:
            raise AuditError(f"--result: expected one of {', '.join(RESULTS)}, got {result!r}")
        start, end = parse_time(since, now, "--since"), parse_time(until, now, "--until")
        if start is not None and end is not None and start >= end:   # an empty window is a mistake, not a quiet day
            raise AuditError(f"--since ({start:%Y-%m-%d %H:%M} UTC) is not before --until ({end:%Y-%m-%d %H:%M} "
                             f"UTC), so nothing can match: ages count back from now, the older one goes to --since "
                             f"(--since 7d --until 1d)")
        return cls(since=start, until=end,
                   event_code=_one_of(event_code, EVENT_CODES, "--event-code"),
                   result=str(result).upper() if result is not None else None,
                   project_id=_integer(project, "--project"), operator=str(operator) if operator else None,
                   node_id=_integer(node, "--node"), check=_one_of(check, checkpoint_names(), "--check"),
                   limit=_integer(limit, "--limit"))

    def to_json(self) -> dict[str, Any]:
        return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in asdict(self).items() if v is not None}


def parse_time(value: Any, now: datetime, what: str = "time") -> datetime | None:
    """A UTC-aware datetime from `2026-11-20`, `2026-11-20T10:00` (UTC), `...+08:00`, or `7d` / `12h` / `30m`
    / `2w` ago.

    >>> now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    >>> parse_time("36h", now).isoformat(), parse_time("2026-11-19T08:00+08:00", now).isoformat()
    ('2026-11-19T00:00:00+00:00', '2026-11-19T00:00:00+00:00')
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    text = str(value)
    relative = _RELATIVE.fullmatch(text)
    if relative:
        unit = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[relative.group(2)]
        try:
            return now - timedelta(**{unit: int(relative.group(1))})
        except (OverflowError, ValueError):   # further back than a datetime reaches (year 1)
            raise AuditError(f"{what}: {text!r} reaches back before the year 1") from None
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise AuditError(f"{what}: expected a date (2026-11-20), a time (2026-11-20T08:00, UTC unless it says "
                         f"+08:00) or an age (30m, 12h, 7d, 2w), got {text!r}") from None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _one_of(value: str | None, names: Sequence[str], what: str) -> str | None:
    """`value` lower-cased when it is one of `names`; `AuditError` listing them otherwise. An unknown name
    would select nothing, which reads as "nothing happened" (stored decisions only carry these names).

    >>> _one_of("Freeze-Node", EVENT_CODES, "--event-code")
    'freeze-node'
    """
    if not value:
        return None
    name = str(value).strip().lower()
    if name not in names:
        raise AuditError(f"{what}: {value!r} is not one of {', '.join(names)}")
    return name


def _integer(value: Any, what: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):   # (a number of more than 4,300 digits is a ValueError too)
        raise AuditError(f"{what}: expected a whole number, got {str(value)[:30]!r}") from None
    if not 0 <= number < 2**63:
        raise AuditError(f"{what}: expected a number from 0 to 2^63 - 1, got {str(number)[:30]}")
    return number


# -- reading --------------------------------------------------------------------------------------------
def open_audit_store(data_dir: str | os.PathLike[str] | None = None, state_url: str = "") -> Store:
    """The store to read: PostgreSQL at `state_url`, else the data dir's SQLite file (which must exist)."""
    if not state_url:
        path = default_data_dir(data_dir) / STATE_FILE
        if not path.is_file():
            raise AuditError(f"no state store at {path}: `opsguard serve` (or `opsguard demo`) creates it when "
                             f"it starts; pass --data-dir, or --state-url for a PostgreSQL store")
    try:
        return open_store(data_dir=default_data_dir(data_dir), state_url=state_url)
    except StoreError as exc:
        raise AuditError(str(exc)) from None


def read_decisions(store: Store, filters: AuditFilter) -> list[dict[str, Any]]:
    """The decisions `filters` select, newest first (checkpoints as dicts with their messages)."""
    try:
        return store.decisions(since=filters.since, until=filters.until, event_code=filters.event_code,
                               result=filters.result, project_id=filters.project_id, operator=filters.operator,
                               node_id=filters.node_id, check=filters.check, limit=filters.limit)
    except StoreError as exc:
        raise AuditError(str(exc)) from None


def _read(data_dir: str | os.PathLike[str] | None, state_url: str, filters: dict[str, Any]) -> list[dict[str, Any]]:
    store = open_audit_store(data_dir, state_url)
    try:
        return read_decisions(store, AuditFilter.build(**filters))
    finally:
        store.close()


# -- frames -----------------------------------------------------------------------------------------------
def audit_frame(data_dir: str | os.PathLike[str] | None = None, *, state_url: str = "",
                **filters: Any) -> pd.DataFrame:
    """Past decisions as a DataFrame (columns `COLUMNS`, times UTC-aware), newest first.

    Filters as `AuditFilter.build` takes them: since, until, event_code, result, project, operator, node,
    check, limit.
    """
    return _frame(_read(data_dir, state_url, filters))


def summary_frame(data_dir: str | os.PathLike[str] | None = None, *, state_url: str = "",
                  **filters: Any) -> pd.DataFrame:
    """Counts per UTC day: decisions by result (check = "verdict") and checkpoints by status."""
    return summarise(_read(data_dir, state_url, filters))


def summarise(rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """Decision rows → columns day, check, status, count (newest day first; "verdict" first in a day).

    >>> when = datetime(2026, 11, 20, 9, tzinfo=UTC)
    >>> rows = [{"evaluated_at": when, "result": "FAIL", "checkpoints": [{"name": "downstream-blocked",
    ...          "status": "FAIL", "message": "880 nodes"}]}]
    >>> summarise(rows).to_dict("records")[0]
    {'day': datetime.date(2026, 11, 20), 'check': 'verdict', 'status': 'FAIL', 'count': 1}
    """
    import pandas as pd

    statuses = []
    for row in rows:
        day = _utc(row["evaluated_at"]).date()
        statuses.append((day, "verdict", row["result"]))
        statuses += [(day, c["name"], c["status"]) for c in row["checkpoints"] or ()]
    frame = pd.DataFrame(statuses, columns=["day", "check", "status"])
    out = frame.groupby(["day", "check", "status"]).size().reset_index(name="count")
    out["verdict_first"] = out["check"] != "verdict"
    out["severity"] = out["status"].map({"FAIL": 0, "WARN": 1}).fillna(2)
    out = out.sort_values(["day", "verdict_first", "check", "severity"], ascending=[False, True, True, True])
    out["count"] = out["count"].astype(int)
    return out.drop(columns=["verdict_first", "severity"]).reset_index(drop=True)


def _utc(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value)).astimezone(UTC)


def _frame(rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
    import pandas as pd

    frame = pd.DataFrame(list(rows), columns=list(COLUMNS))
    for column in ("evaluated_at", "received_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
    frame["checkpoints"] = frame["checkpoints"].map(lambda v: list(v) if v is not None else [])
    frame["node_ids"] = frame["node_ids"].map(lambda v: list(v) if v is not None else [])
    return frame
