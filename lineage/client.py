"""The DataWorks OpenAPI (2020-05-18) as opsguard uses it: the real SDK, one attempt per call,
with our own rate limit, retries and error mapping around it (docs/dataworks.md: the SDK retries
nothing and reports `Success: false` without raising).

The SDK costs ~0.8 s to import, so it is imported when a client is built, never at module import.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lineage.config import DataWorksSettings, parse_endpoint
from lineage.credentials import AccessKey, ChainCredentials
from lineage.errors import (AccessDeniedError, ApiUnavailableError, CredentialsError, DataWorksError,
                            EndpointUnreachableError)
from lineage.paging import MAX_PAGES, PAGE_SIZE
from lineage.rate_limit import TokenBucket
from lineage.retry import Failure, FailureKind, backoff_seconds, classify

__all__ = ["ApiStats", "DataWorksClient", "PAGE_SIZE"]

log = logging.getLogger(__name__)


@dataclass
class ApiStats:
    """Counters shared by every thread of one client."""

    calls: int = 0
    retries: int = 0
    throttled: int = 0
    errors: int = 0
    by_action: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, action: str, *, retry: bool = False, throttled: bool = False, error: bool = False) -> None:
        with self._lock:
            if retry:
                self.retries += 1
            elif error:
                self.errors += 1
            else:
                self.calls += 1
                self.by_action[action] += 1
            if throttled:
                self.throttled += 1


class DataWorksClient:
    """Typed calls for the actions opsguard needs. Thread-safe; share one per sync or server."""

    def __init__(self, settings: DataWorksSettings, credentials: AccessKey | ChainCredentials, *,
                 sleep: Callable[[float], None] = time.sleep, rng: random.Random | None = None,
                 clock: Callable[[], float] = time.monotonic, max_pages: Mapping[str, int] | None = None):
        from alibabacloud_dataworks_public20200518 import models
        from alibabacloud_dataworks_public20200518.client import Client
        from alibabacloud_tea_openapi.utils_models import Config
        from darabonba.runtime import RuntimeOptions

        self.settings = settings
        self.models = models
        endpoint, protocol = parse_endpoint(settings.endpoint) if settings.endpoint else ("", settings.protocol)
        config = Config(region_id=settings.region, protocol=protocol,
                        connect_timeout=settings.connect_timeout_ms, read_timeout=settings.read_timeout_ms,
                        **credentials.sdk_config_kwargs())
        if endpoint:
            config.endpoint = endpoint
        self.endpoint = endpoint or f"dataworks.{settings.region}.aliyuncs.com"
        self.url = f"{str(protocol).lower()}://{self.endpoint}"   # what an error names when nothing answers
        self._sdk = Client(config)
        self._runtime = RuntimeOptions(autoretry=False, max_attempts=1,
                                       max_idle_conns=max(4, settings.concurrency * 2))
        self.stats = ApiStats()
        self.bucket = TokenBucket(settings.rate_limit, burst=max(1.0, settings.rate_limit / 20))
        self._sleep = sleep
        self._clock = clock
        self._last_success = float("-inf")
        #: PageNumber ceiling per list action (the documented ones unless a test narrows them)
        self.max_pages: dict[str, int] = {**MAX_PAGES, **(max_pages or {})}
        self._rng = rng or random.Random()
        self._backoff_base = 0.2
        # The SDK builds its HTTP session for an endpoint on the first call, without a lock: N threads calling
        # at once build N (an SSL context loading the default certificates each, ~10-40 ms of CPU). 64 posting
        # threads starting together spent half a second of CPU that way, so the first call goes alone.
        self._first_call = threading.Lock()
        self._session_built = False
        self._answered = threading.local()   # the headers of this thread's last HTTP 200 answer

    def last_response_headers(self) -> dict[str, str]:
        """The HTTP headers (lower-cased names) of this thread's last call answered HTTP 200: e.g. `date`, the
        gateway's clock, which `opsguard doctor` compares with ours."""
        return dict(getattr(self._answered, "headers", None) or {})

    # -- one call, retried ----------------------------------------------------------------------
    def call(self, action: str, request: Any) -> dict[str, Any]:
        """Run SDK method `<action>_with_options` with retries; return the response body as a dict.

        Throttling (`Throttling.*`, HTTP 429, `x-acs-retry-after`) cuts the shared rate and the call tries
        again, as often as it takes while calls keep getting through: it gives up only after
        `throttle_patience_seconds` in which no call of this client succeeded. Other retryable failures
        (5xx, network) get `max_attempts` attempts with exponential backoff and full jitter; the rest fail
        at once. `max_attempts = 1` means one attempt, throttled or not (the reporter counts its own).
        INFERRED: throttling is transient (the account's quota is not readable through the API), so a call
        refused now goes through later at a lower rate.
        """
        method = getattr(self._sdk, _snake(action) + "_with_options")
        attempts = self.settings.max_attempts
        failures = 0
        started = self._clock()
        while True:
            epoch = self.bucket.acquire()
            self.stats.add(action)
            failure = self._attempt(method, request)
            if isinstance(failure, dict):
                self.bucket.succeeded(epoch)
                self._last_success = self._clock()
                return failure
            throttled = failure.kind is FailureKind.THROTTLED
            if throttled:  # every caller of this client slows down, whoever retries
                self.bucket.throttled(epoch, None if failure.retry_after_ms is None else failure.retry_after_ms / 1000)
            if throttled and attempts > 1:
                waited = self._clock() - max(started, self._last_success)
                if waited <= self.settings.throttle_patience_seconds:
                    self.stats.add(action, retry=True, throttled=True)
                    continue  # the bucket paces the next attempt
                self.stats.add(action, error=True)
                raise _as_error(action, failure, failures + 1, throttled_for=waited, url=self.url)
            failures += 1
            if not failure.retryable or failures >= attempts:
                self.stats.add(action, error=True)
                raise _as_error(action, failure, failures, url=self.url)
            delay = backoff_seconds(failures, failure, base=self._backoff_base, rng=self._rng)
            self.stats.add(action, retry=True, throttled=throttled)
            log.debug("%s attempt %d failed (%s %s); retrying in %.2fs", action, failures, failure.status,
                      failure.code, delay)
            self._sleep(delay)

    def _attempt(self, method: Callable[..., Any], request: Any) -> dict[str, Any] | Failure:
        if not self._session_built:
            with self._first_call:
                if not self._session_built:
                    try:
                        return self._send(method, request)
                    finally:
                        self._session_built = True
        return self._send(method, request)

    def _send(self, method: Callable[..., Any], request: Any) -> dict[str, Any] | Failure:
        from darabonba.exceptions import ResponseException
        from Tea.exceptions import TeaException

        try:
            response = method(request, self._runtime)
        except ResponseException as exc:  # ClientException / ServerException / ThrottlingException
            return classify(getattr(exc, "code", None), getattr(exc, "status_code", None),
                            getattr(exc, "message", "") or str(exc), request_id=getattr(exc, "request_id", "") or "",
                            retry_after_ms=getattr(exc, "retry_after", None))
        except (TeaException, OSError) as exc:  # network failure, non-JSON body
            return classify(None, None, str(exc).splitlines()[0] if str(exc) else type(exc).__name__, network=True)
        body = response.body.to_map() if response.body is not None else {}
        self._answered.headers = {str(k).lower(): str(v) for k, v in (response.headers or {}).items()}
        if body.get("Success") is False:
            return classify(str(body.get("ErrorCode") or body.get("Code") or "Success=false"),
                            body.get("HttpStatusCode"), str(body.get("ErrorMessage") or body.get("Message") or ""),
                            request_id=str(body.get("RequestId") or ""))
        return body

    # -- the actions ------------------------------------------------------------------------------
    def list_projects_page(self, page: int) -> tuple[list[dict[str, Any]], int]:
        body = self.call("ListProjects", self.models.ListProjectsRequest(page_number=page, page_size=PAGE_SIZE))
        result = body.get("PageResult") or {}
        return list(result.get("ProjectList") or []), int(result.get("TotalCount") or 0)

    def list_nodes_page(self, project_id: int, page: int, **filters: Any) -> tuple[list[dict[str, Any]], int]:
        """One page of a workspace's nodes; `filters`: `scheduler_type`, `program_type`, `owner`, `node_name`."""
        request = self.models.ListNodesRequest(project_id=project_id, project_env=self.settings.project_env,
                                               page_number=page, page_size=PAGE_SIZE, **filters)
        data = self.call("ListNodes", request).get("Data") or {}
        return list(data.get("Nodes") or []), int(data.get("TotalCount") or 0)

    def get_node(self, node_id: int) -> dict[str, Any] | None:
        """One node's record in the configured environment (`ProjectEnv`, PROD), or None when it does not
        exist there. INFERRED: DataWorks answers an unknown node with a 4xx whose code names it not found
        (`...NotFound` / `...NotExist`); any other error is raised."""
        request = self.models.GetNodeRequest(node_id=node_id, project_env=self.settings.project_env)
        try:
            body = self.call("GetNode", request)
        except DataWorksError as exc:
            if exc.status in (400, 404) and any(s in (exc.code or "") for s in ("NotFound", "NotExist")):
                return None
            raise
        return dict(body.get("Data") or {}) or None

    def get_node_parents(self, node_id: int) -> list[dict[str, Any]]:
        request = self.models.GetNodeParentsRequest(node_id=node_id, project_env=self.settings.project_env)
        return list((self.call("GetNodeParents", request).get("Data") or {}).get("Nodes") or [])

    def get_node_children(self, node_id: int) -> list[dict[str, Any]]:
        request = self.models.GetNodeChildrenRequest(node_id=node_id, project_env=self.settings.project_env)
        return list((self.call("GetNodeChildren", request).get("Data") or {}).get("Nodes") or [])

    def list_instances_page(self, project_id: int, bizdate: str, page: int,
                            **filters: Any) -> tuple[list[dict[str, Any]], int]:
        """One page of a workspace's instances of one bizdate (`yyyy-MM-dd`); `filters`: `node_id`, `status`,
        `program_type`, `owner`, `node_name`."""
        request = self.models.ListInstancesRequest(project_id=project_id, project_env=self.settings.project_env,
                                                   bizdate=f"{bizdate} 00:00:00", page_number=page,
                                                   page_size=PAGE_SIZE, **filters)
        data = self.call("ListInstances", request).get("Data") or {}
        return list(data.get("Instances") or []), int(data.get("TotalCount") or 0)

    def list_baselines_page(self, project_id: int, page: int, **filters: Any) -> tuple[list[dict[str, Any]], int]:
        """One page of a workspace's baselines; `filters`: `priority`, `baseline_types`, `owner`."""
        request = self.models.ListBaselinesRequest(project_id=project_id, page_number=page, page_size=PAGE_SIZE,
                                                   **{k: str(v) for k, v in filters.items()})
        data = self.call("ListBaselines", request).get("Data") or {}
        return list(data.get("Baselines") or []), int(data.get("TotalCount") or 0)

    def list_project_members_page(self, project_id: int, page: int) -> tuple[list[dict[str, Any]], int]:
        """One page of a workspace's members: `ProjectMemberId` (the user id nodes name as `OwnerId`),
        `ProjectMemberName`, `Nick`, `ProjectMemberType`, `Status`."""
        request = self.models.ListProjectMembersRequest(project_id=project_id, page_number=page, page_size=PAGE_SIZE)
        data = self.call("ListProjectMembers", request).get("Data") or {}
        return list(data.get("ProjectMemberList") or []), int(data.get("TotalCount") or 0)

    def get_option_value(self, project_id: int, extension_code: str) -> str | None:
        request = self.models.GetOptionValueForProjectRequest(project_id=str(project_id),
                                                              extension_code=extension_code)
        return self.call("GetOptionValueForProject", request).get("OptionValue")

    def get_extension(self, extension_code: str) -> dict[str, Any]:
        """The registered extension (`GetExtension`): `Status`, `DetailUrl`, `HelpDocUrl`, `BindEventList`...
        Only `opsguard doctor` calls it."""
        request = self.models.GetExtensionRequest(extension_code=extension_code)
        return dict(self.call("GetExtension", request).get("Extension") or {})

    def update_workbench_event_result(self, message_id: str, extension_code: str, check_result: str,
                                      tip: str) -> None:
        """Answer an extension-point event: DataWorks unblocks (OK) or stops (FAIL) the operation."""
        request = self.models.UpdateWorkbenchEventResultRequest(
            message_id=message_id, extension_code=extension_code, check_result=check_result,
            check_result_tip=tip)
        self.call("UpdateWorkbenchEventResult", request)


def _snake(action: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in action).lstrip("_")


def _as_error(action: str, failure: Failure, attempts: int, throttled_for: float | None = None,
              url: str = "") -> DataWorksError:
    where = f"{action}: HTTP {failure.status} {failure.code}".rstrip()
    detail = f"{where}: {failure.message}" if failure.message else where
    kwargs = {"action": action, "code": failure.code, "status": failure.status, "request_id": failure.request_id}
    if failure.kind is FailureKind.CREDENTIALS:
        return CredentialsError(f"DataWorks rejected the credentials ({failure.code}): check "
                                f"ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET", **kwargs)
    if failure.kind is FailureKind.FORBIDDEN:
        return AccessDeniedError(f"access denied: {detail}", **kwargs)
    if failure.kind is FailureKind.CLOCK:
        return DataWorksError(f"DataWorks rejected the request time; is this machine's clock right? ({detail})",
                              **kwargs)
    if throttled_for is not None:
        return ApiUnavailableError(f"DataWorks throttled every call for {throttled_for:.0f} s (no call got through; "
                                   f"is another client using the account's quota?): {detail}", **kwargs)
    if failure.network:
        return EndpointUnreachableError(url or "the DataWorks endpoint", failure.message, attempts, action=action)
    if failure.retryable:
        return ApiUnavailableError(f"DataWorks unavailable after {attempts} attempts: {detail}", **kwargs)
    return DataWorksError(f"DataWorks rejected the request: {detail}", **kwargs)
