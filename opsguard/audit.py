"""Past decisions from the state database: who did what, when, and what opsguard answered.

`audit_frame(data_dir, since="7d", result="FAIL")` is a pandas DataFrame of verdicts (one row per message
and generation, newest first); `summary_frame(...)` counts results and checkpoint statuses per day.
`opsguard audit` prints the same; `GET /api/audit` serves the same rows from a running server.

The state database belongs to the server process, and DuckDB lets one process hold a file open for
writing and nobody else in at all — not even read-only. So the file is read directly (read-only) when no
server runs; while one does, the rows come from that server's `GET /api/audit`, which runs the same SQL
(`sql/audit_decisions.sql`) on its own connection. `StateBusyError` says which when neither works.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

import sql
from opsguard.state import STATE_FILE
from lineage.snapshots import default_data_dir

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["AuditFilter", "AuditError", "StateBusyError", "COLUMNS", "RESULTS", "FILTER_NAMES", "audit_frame",
           "summary_frame",
           "read_decisions", "decisions_from_file", "decisions_from_server", "server_rows", "summarise", "parse_time"]

# The columns of sql/audit_decisions.sql, in order.
COLUMNS = ("message_id", "generation", "evaluated_at", "received_at", "event_code", "project_id", "operator",
           "result", "wire_result", "tip", "checkpoints", "node_ids", "status", "snapshot_id", "latency_ms",
           "recheck_of")
RESULTS = ("OK", "WARN", "FAIL")
FILTER_NAMES = ("since", "until", "event_code", "result", "project", "operator", "node", "check", "limit")
_RELATIVE = re.compile(r"\s*([0-9]+)\s*([mhdw])\s*")


class AuditError(ValueError):
    """A filter that cannot be read, or a state database that cannot be read."""


class StateBusyError(AuditError):
    """The state database is held by a running server and that server could not be asked instead."""

    def __init__(self, path: Path, pid: int | None, reason: str = ""):
        self.path, self.pid = path, pid
        held = f"a running opsguard server (PID {pid})" if pid else "another process (a running opsguard server?)"
        super().__init__(f"{path} is held by {held}; DuckDB lets no other process read it. "
                         f"{reason + '. ' if reason else ''}Ask the server instead (--url http://HOST:PORT, or "
                         f"[server] public_url/host/port in opsguard.toml), or run the audit while it is stopped")


@dataclass(frozen=True)
class AuditFilter:
    """Which decisions to read; None = no filter. Field order = the SQL's parameters $1..$9."""

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
        return cls(since=parse_time(since, now, "--since"), until=parse_time(until, now, "--until"),
                   event_code=event_code or None, result=str(result).upper() if result is not None else None,
                   project_id=_integer(project, "--project"), operator=str(operator) if operator else None,
                   node_id=_integer(node, "--node"), check=check or None, limit=_integer(limit, "--limit"))

    def params(self) -> list[Any]:
        """The values of $1..$9 of sql/audit_decisions.sql."""
        return [getattr(self, f.name) for f in fields(self)]

    def query(self) -> dict[str, str]:
        """As URL query parameters (`GET /api/audit`), only the filters that are set."""
        names = {"project_id": "project", "node_id": "node"}
        return {names.get(k, k): v.isoformat() if isinstance(v, datetime) else str(v)
                for k, v in asdict(self).items() if v is not None}

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
        return now - timedelta(**{unit: int(relative.group(1))})
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise AuditError(f"{what}: expected a date (2026-11-20), a time (2026-11-20T08:00, UTC unless it says "
                         f"+08:00) or an age (30m, 12h, 7d, 2w), got {text!r}") from None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _integer(value: Any, what: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise AuditError(f"{what}: expected a whole number, got {value!r}") from None
    if number < 0:
        raise AuditError(f"{what}: expected a number >= 0, got {number}")
    return number


# -- reading --------------------------------------------------------------------------------------------
def decisions_from_file(path: str | os.PathLike[str], filters: AuditFilter) -> list[dict[str, Any]]:
    """Rows of the state database at `path`, opened read-only; `StateBusyError` while a server holds it."""
    path = Path(path)
    if not path.is_file():
        raise AuditError(f"no state database at {path}: `opsguard serve` creates it when it accepts its first event")
    try:
        con = duckdb.connect(str(path), read_only=True)
    except (duckdb.IOException, duckdb.ConnectionException) as exc:
        text = str(exc)
        if "lock" in text.lower() or "different configuration" in text:
            pid = re.search(r"PID (\d+)", text)
            raise StateBusyError(path, int(pid.group(1)) if pid else None) from None
        raise AuditError(f"cannot open {path}: {text}") from None
    try:
        cursor = con.execute(sql.load("audit_decisions"), filters.params())
        if tuple(d[0] for d in cursor.description) != COLUMNS:
            raise AuditError("sql/audit_decisions.sql and opsguard.audit.COLUMNS disagree")
        return [dict(zip(COLUMNS, row)) for row in cursor.fetchall()]
    except duckdb.Error as exc:
        raise AuditError(f"cannot read {path}: {exc}") from None
    finally:
        con.close()


def decisions_from_server(url: str, filters: AuditFilter, *, timeout: float = 30.0) -> list[dict[str, Any]]:
    """Rows from a running server's `GET /api/audit` (times as ISO text); `AuditError` when it cannot answer."""
    target = f"{url.rstrip('/')}/api/audit?{urllib.parse.urlencode(filters.query())}"
    try:
        with urllib.request.urlopen(target, timeout=timeout) as response:  # noqa: S310 — the operator's own server
            body = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise AuditError(f"{target}: HTTP {exc.code}: {exc.read()[:300].decode('utf-8', 'replace')}") from None
    except (OSError, ValueError) as exc:
        raise AuditError(f"cannot ask the server at {url}: {getattr(exc, 'reason', exc)}") from None
    return [dict(zip(COLUMNS, (row.get(c) for c in COLUMNS))) for row in body["decisions"]]


def read_decisions(data_dir: str | os.PathLike[str] | None, filters: AuditFilter, *,
                   server_url: str | None = None, prefer_server: bool = False) -> tuple[list[dict[str, Any]], str]:
    """(rows, where they came from): the state file of `data_dir`, or — while a server holds it, or when
    `prefer_server` — the server at `server_url`."""
    if prefer_server and server_url:
        return decisions_from_server(server_url, filters), server_url
    path = default_data_dir(data_dir) / STATE_FILE
    try:
        return decisions_from_file(path, filters), str(path)
    except StateBusyError as busy:
        if not server_url:
            raise
        try:
            return decisions_from_server(server_url, filters), server_url
        except AuditError as exc:
            raise StateBusyError(busy.path, busy.pid, str(exc)) from None


def server_rows(store: Any, filters: AuditFilter) -> list[dict[str, Any]]:
    """`GET /api/audit` inside the server: the same SQL on the server's own connection, JSON-ready."""
    rows = store.query("audit_decisions", filters.params())
    return [{c: v.isoformat() if isinstance(v, datetime) else v for c, v in zip(COLUMNS, row)} for row in rows]


# -- frames -----------------------------------------------------------------------------------------------
def audit_frame(data_dir: str | os.PathLike[str] | None = None, *, server_url: str | None = None,
                **filters: Any) -> pd.DataFrame:
    """Past decisions as a DataFrame (columns `COLUMNS`, times UTC-aware), newest first.

    Filters as `AuditFilter.build` takes them: since, until, event_code, result, project, operator, node,
    check, limit. `server_url` is asked when a running server holds the state file.
    """
    rows, _ = read_decisions(data_dir, AuditFilter.build(**filters), server_url=server_url)
    return _frame(rows)


def summary_frame(data_dir: str | os.PathLike[str] | None = None, *, server_url: str | None = None,
                  **filters: Any) -> pd.DataFrame:
    """Counts per UTC day: decisions by result (check = "verdict") and checkpoints by status."""
    rows, _ = read_decisions(data_dir, AuditFilter.build(**filters), server_url=server_url)
    return summarise(rows)


def summarise(rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """`sql/audit_summary.sql` over decision rows: columns day, check, status, count."""
    import pyarrow as pa

    frame = _frame(rows)
    decisions = pa.table({  # typed, so no rows (or NULLs) still read as a timestamp, a string and a list
        "evaluated_at": pa.array(frame["evaluated_at"], pa.timestamp("us", tz="UTC")),
        "result": pa.array(frame["result"], pa.string()),
        "checkpoints": pa.array(frame["checkpoints"], pa.list_(pa.string()))})
    con = duckdb.connect()
    try:
        con.register("decisions", decisions)
        out = con.execute(sql.load("audit_summary")).df()
    finally:
        con.close()
    out["day"] = out["day"].map(lambda d: d.date() if hasattr(d, "date") else d)   # a day, not a midnight
    return out


def _frame(rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
    import pandas as pd

    frame = pd.DataFrame(list(rows), columns=list(COLUMNS))
    for column in ("evaluated_at", "received_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
    frame["checkpoints"] = frame["checkpoints"].map(lambda v: list(v) if v is not None else [])
    frame["node_ids"] = frame["node_ids"].map(lambda v: list(v) if v is not None else [])
    return frame
