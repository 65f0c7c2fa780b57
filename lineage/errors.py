"""Exceptions raised by `lineage`, one tree so callers can catch at the level they need.

    LineageError
    ├── ConfigError              bad or unreadable opsguard.toml / settings
    │   └── DataDirError         the data dir is a file, or lies below one (carries the path)
    ├── SnapshotError            no live snapshot, unreadable or corrupt snapshot file
    ├── UnknownNodeError         node ids the snapshot does not know (carries them)
    │   └── UnknownNodeNameError a node name no node has (carries it and close names)
    ├── AmbiguousNodeError       a node name several nodes share (carries the candidates)
    ├── NotDownstreamError       a node asked about is not downstream of the changed nodes
    ├── CronError                malformed DataWorks cron expression (carries it)
    └── DataWorksError           the DataWorks API failed for good (after retries)
        ├── CredentialsError     missing, unknown or wrongly signed access key
        ├── AccessDeniedError    the key may not read that workspace
        ├── ApiUnavailableError  5xx / network that outlived the retries, throttling that outlived the patience
        │   └── EndpointUnreachableError  no answer at all: refused, unresolvable, timed out (carries the endpoint)
        └── PageLimitError       a listing that no partition of its query brings within the page limits
"""

from __future__ import annotations

from collections.abc import Iterable


class LineageError(Exception):
    """Base of every error `lineage` raises on purpose."""


class ConfigError(LineageError):
    """A configuration file or setting is wrong; the message names the file and key."""


class DataDirError(ConfigError):
    """The data dir cannot be a directory: `path` (or `blocker`, an ancestor of it) is a file."""

    def __init__(self, path: str, blocker: str, source: str):
        self.path, self.blocker, self.source = path, blocker, source
        what = "is a file" if blocker == path else f"lies below {blocker}, which is a file"
        fix = "$OPSGUARD_HOME" if source == "$OPSGUARD_HOME" else "--data-dir (or data_dir in opsguard.toml)"
        super().__init__(f"{source} {path} is not a directory: it {what}; point {fix} at a directory "
                         "(a missing one is created)")


class SnapshotError(LineageError):
    """A metadata snapshot is missing or unreadable; the message says which and what to run."""


class UnknownNodeError(LineageError, KeyError):
    """Node ids not present in the snapshot. `node_ids` holds every unknown id asked for."""

    def __init__(self, node_ids: Iterable[int]):
        self.node_ids = tuple(node_ids)
        shown = ", ".join(str(n) for n in self.node_ids[:5])
        more = f" (+{len(self.node_ids) - 5} more)" if len(self.node_ids) > 5 else ""
        super().__init__(f"unknown node id(s) in the snapshot: {shown}{more}")

    def __str__(self) -> str:  # KeyError would repr() the message
        return self.args[0]


class UnknownNodeNameError(UnknownNodeError):
    """No node of the snapshot has the name `name`; `suggestions` are names that contain it or are spelled close."""

    def __init__(self, name: str, suggestions: Iterable[str] = ()):
        self.name = name
        self.suggestions = tuple(suggestions)
        self.node_ids = ()
        close = self.suggestions and not all(name.lower() in s.lower() for s in self.suggestions)
        label = "close names" if close else "names containing it"
        hint = f" ({label}: {', '.join(self.suggestions)})" if self.suggestions else ""
        LineageError.__init__(self, f"no node named {name!r} in the snapshot{hint}")


class AmbiguousNodeError(LineageError, KeyError):
    """Several nodes share the name `name`: `candidates` are (node id, workspace, owner) of each; pass an id."""

    def __init__(self, name: str, candidates: Iterable[tuple[int, str | None, str | None]]):
        self.name = name
        self.candidates = tuple(candidates)
        shown = "; ".join(f"{node_id} (workspace {workspace or '?'}, owner {owner or '?'})"
                          for node_id, workspace, owner in self.candidates[:10])
        more = f" +{len(self.candidates) - 10} more" if len(self.candidates) > 10 else ""
        super().__init__(f"{len(self.candidates)} nodes are named {name!r}: {shown}{more}; pass the node id instead")

    def __str__(self) -> str:  # KeyError would repr() the message
        return self.args[0]


class NotDownstreamError(LineageError):
    """`node_id` is not reached from `start` (so no dependency path explains it)."""

    def __init__(self, node_id: int, start: Iterable[int]):
        self.node_id = node_id
        self.start = tuple(start)
        shown = ", ".join(str(n) for n in self.start[:5]) + (" ..." if len(self.start) > 5 else "")
        super().__init__(f"node {node_id} is not downstream of {shown or 'the changed nodes'}")


class CronError(LineageError, ValueError):
    """A cron expression DataWorks would not accept. `expression` holds it."""

    def __init__(self, expression: str, reason: str):
        self.expression = expression
        self.reason = reason
        super().__init__(f"bad cron expression {expression!r}: {reason}")


class DataWorksError(LineageError):
    """A DataWorks API call failed for good. `code`, `status` and `action` say which and how."""

    def __init__(self, message: str, *, action: str = "", code: str = "", status: int | None = None,
                 request_id: str = ""):
        self.action = action
        self.code = code
        self.status = status
        self.request_id = request_id
        super().__init__(message)


class CredentialsError(DataWorksError):
    """The access key is missing, unknown, or its secret does not sign correctly."""


class AccessDeniedError(DataWorksError):
    """The access key is valid but may not read what was asked (HTTP 403)."""


class ApiUnavailableError(DataWorksError):
    """Throttling, server errors or network failures that outlived every retry."""


class EndpointUnreachableError(ApiUnavailableError):
    """No DataWorks answer at all (refused, unresolvable host, timeout) after every retry. `endpoint` is the
    URL that was tried, `reason` the network failure in a few words."""

    def __init__(self, endpoint: str, reason: str, attempts: int, *, action: str = ""):
        self.endpoint, self.reason = endpoint, reason
        super().__init__(f"cannot reach DataWorks at {endpoint} ({reason}, {attempts} attempt(s) of {action}): "
                         "check --endpoint or dataworks.endpoint / dataworks.region in opsguard.toml, the network "
                         "and any proxy (HTTPS_PROXY / HTTP_PROXY)", action=action)


class PageLimitError(DataWorksError):
    """A list query has more rows than its pages reach and no filter splits it exactly (`key`, `total`)."""

    def __init__(self, message: str, *, action: str = "", key: object = None, total: int = 0):
        super().__init__(message, action=action)
        self.key = key
        self.total = total
