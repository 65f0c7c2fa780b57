"""The checks list, `GET /checks` (HTML) and `GET /api/checks` (JSON): filtered and paged.

Filters are query parameters a person types or a link carries — `result` (OK, WARN, FAIL, pending),
`event` (an extension-point code), `workspace` (id), `operator`, `node` (an id or a node name, resolved on
the live snapshot; the checks whose event named it), `since` / `until` (received time: a date, a time, or an
age such as `7d`). A value that cannot be read is a `CheckFilterError` naming it (the pages answer 400 with
the message, never an empty list that looks like "no checks"). Pages go back `limit` rows at a time by keyset:
`before` / `before_id` are the received time and message id of the previous page's last row, and every
link (next page, first page) carries the filters on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from evaluator.events import EventCode
from lineage.errors import AmbiguousNodeError, UnknownNodeError, UnknownNodeNameError
from lineage.graph import LineageGraph
from opsguard.audit import AuditError, parse_time
from opsguard.store.rows import CheckSummary

if TYPE_CHECKING:
    from opsguard.service import Service

__all__ = ["ChecksFilter", "CheckFilterError", "ChecksPage", "RESULTS", "EVENTS", "read_page", "DEFAULT_LIMIT"]

RESULTS = ("OK", "WARN", "FAIL", "pending")
EVENTS = tuple(code.value for code in EventCode if code.is_extension_point)
DEFAULT_LIMIT = 100
MAX_TEXT = 256
# The parameters a filter is made of, as the form and the links name them (`before*` is the page, not a filter).
FILTER_PARAMS = ("result", "event", "workspace", "operator", "node", "since", "until")


class CheckFilterError(AuditError):
    """A checks-list filter that cannot be read; the message names the parameter and what it takes."""


@dataclass(frozen=True)
class ChecksFilter:
    """What the list shows: the typed values (`typed`, carried on in links) and what they mean for the store.

    >>> f = ChecksFilter.parse({"result": "fail", "workspace": "215001", "since": "2026-11-01"})
    >>> f.store_args()["result"], f.store_args()["project_id"], f.store_args()["since"].isoformat()
    ('FAIL', 215001, '2026-11-01T00:00:00+00:00')
    >>> f.link(before=None)
    '?result=FAIL&workspace=215001&since=2026-11-01'
    >>> ChecksFilter.parse({"event": "freeze"})
    Traceback (most recent call last):
    ...
    opsguard.pages.checks_list.CheckFilterError: event: expected one of freeze-node, unfreeze-node, undeploy-node, backfill-data, got 'freeze'
    """

    typed: Mapping[str, str] = field(default_factory=dict)
    result: str | None = None
    event_code: str | None = None
    project_id: int | None = None
    operator: str | None = None
    node_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    before: tuple[datetime, str] | None = None
    limit: int = DEFAULT_LIMIT

    @classmethod
    def parse(cls, params: Mapping[str, str], *, graph: LineageGraph | None = None,
              now: datetime | None = None) -> ChecksFilter:
        """The filter of a request's query parameters (others, e.g. a signed link's, are ignored)."""
        now = now or datetime.now(UTC)
        typed = {k: str(params[k]).strip() for k in FILTER_PARAMS if str(params.get(k) or "").strip()}
        for name, value in typed.items():
            if len(value) > MAX_TEXT:
                raise CheckFilterError(f"{name}: at most {MAX_TEXT} characters, got {len(value)}")
        result = typed.get("result")
        if result is not None:
            result = {r.upper(): r for r in RESULTS}.get(result.upper())
            if result is None:
                raise CheckFilterError(f"result: expected one of {', '.join(RESULTS)}, got {typed['result']!r}")
            typed["result"] = result
        event = typed.get("event")
        if event is not None and event.lower() not in EVENTS:
            raise CheckFilterError(f"event: expected one of {', '.join(EVENTS)}, got {event!r}")
        try:
            since = parse_time(typed.get("since"), now, "since")
            until = parse_time(typed.get("until"), now, "until")
        except AuditError as exc:
            raise CheckFilterError(str(exc)) from None
        if since is not None and until is not None and since >= until:
            raise CheckFilterError(f"since ({since:%Y-%m-%d %H:%M} UTC) must be before until "
                                   f"({until:%Y-%m-%d %H:%M} UTC): nothing is received in that span")
        return cls(typed=typed, result=result, event_code=event.lower() if event else None,
                   project_id=_workspace(typed.get("workspace"), graph),
                   operator=_operator(typed.get("operator"), graph),
                   node_id=_node(typed.get("node"), graph), since=since, until=until,
                   before=_cursor(params.get("before"), params.get("before_id")),
                   limit=_limit(params.get("limit")))

    def store_args(self) -> dict[str, Any]:
        """Keyword arguments of `Store.checks` (one row more than a page: whether there is a next one)."""
        return {"result": self.result, "event_code": self.event_code, "project_id": self.project_id,
                "operator": self.operator, "node_id": self.node_id, "since": self.since, "until": self.until,
                "before": self.before, "limit": self.limit + 1}

    def link(self, *, before: CheckSummary | None) -> str:
        """The query of this list's page after `before` (None: its first page), filters carried on."""
        query: dict[str, str] = dict(self.typed)
        if self.limit != DEFAULT_LIMIT:
            query["limit"] = str(self.limit)
        if before is not None:
            query.update(before=before.received_at.isoformat(), before_id=before.message_id)
        return "?" + urlencode(query) if query else ""

    @property
    def active(self) -> bool:
        return bool(self.typed)


@dataclass(frozen=True)
class ChecksPage:
    """One page of the list: its rows and the links to the next (older) and the first page."""

    filter: ChecksFilter
    rows: list[CheckSummary]
    next_link: str | None
    first_link: str | None


def read_page(service: Service, checks_filter: ChecksFilter) -> ChecksPage:
    """The page `checks_filter` asks for."""
    rows = service.store.checks(**checks_filter.store_args()) if service.store else []
    more = len(rows) > checks_filter.limit
    rows = rows[:checks_filter.limit]
    return ChecksPage(checks_filter, rows,
                      next_link=checks_filter.link(before=rows[-1]) if more and rows else None,
                      first_link=checks_filter.link(before=None) if checks_filter.before else None)


# -- reading one parameter ------------------------------------------------------------------------------------
def _whole(value: str | None, what: str) -> int | None:
    if value is None:
        return None
    if not value.isdigit() or len(value) > 19 or int(value) >= 2**63:
        raise CheckFilterError(f"{what}: expected a {what} id (a whole number), got {value[:40]!r}")
    return int(value)


def _workspace(value: str | None, graph: LineageGraph | None) -> int | None:
    """A workspace id, or the name of exactly one workspace of the live snapshot (the list shows names)."""
    if value is None or value.isdigit() or graph is None:
        return _whole(value, "workspace")
    return _one_named("workspace", value, graph.directory.workspace_ids(value))


def _operator(value: str | None, graph: LineageGraph | None) -> str | None:
    """An operator's user id, or the name of exactly one workspace member of the live snapshot."""
    if value is None or value.isdigit() or graph is None:
        return value
    return _one_named("operator", value, graph.directory.owner_ids(value)) or value


def _one_named(what: str, value: str, ids: list[Any]) -> Any:
    if len(ids) > 1:
        raise CheckFilterError(f"{what}: {len(ids)} are named {value!r} ({', '.join(map(str, ids[:5]))}): "
                               "give the id instead")
    if not ids and what == "workspace":
        raise CheckFilterError(f"workspace: expected a workspace id or the name of one in the snapshot, "
                               f"got {value[:40]!r}")
    return ids[0] if ids else None


def _limit(value: Any) -> int:
    if value in (None, ""):
        return DEFAULT_LIMIT
    text = str(value)
    if not text.isdigit() or len(text) > 4 or not 1 <= int(text) <= 1000:
        raise CheckFilterError(f"limit: expected a number of rows from 1 to 1000, got {text[:40]!r}")
    return int(text)


def _cursor(before: Any, before_id: Any) -> tuple[datetime, str] | None:
    """The previous page's last row: both parts or neither."""
    if not before and not before_id:
        return None
    if not before or not before_id:
        raise CheckFilterError("before and before_id go together (the received time and message id of the "
                               "previous page's last row): follow the list's own 'older' link")
    try:
        at = datetime.fromisoformat(str(before))
    except ValueError:
        raise CheckFilterError(f"before: expected an ISO time, got {str(before)[:40]!r}") from None
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC), str(before_id)[:MAX_TEXT]


def _node(value: str | None, graph: LineageGraph | None) -> int | None:
    """A node id from an id or a name. An id the snapshot no longer has is still a filter (its past checks
    stay in the store); a name must name exactly one node of the live snapshot."""
    if value is None:
        return None
    if graph is None:
        if value.isdigit():
            return _whole(value, "node")
        raise CheckFilterError(f"node: no snapshot is loaded to look up the name {value!r}: give the node id")
    try:
        return graph.names.resolve(value)
    except (AmbiguousNodeError, UnknownNodeNameError) as exc:
        raise CheckFilterError(f"node: {exc}") from None
    except UnknownNodeError:
        return _whole(value, "node")
