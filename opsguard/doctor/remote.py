"""The checks of `opsguard doctor` that go over the network: DataWorks (endpoint, credentials, clock, the
extension and its options, through the real SDK client) and this server's webhook URL.

DataWorks is asked three cheap questions, at most once each per workspace looked at: `ListProjects` (page 1),
`GetExtension` and `GetOptionValueForProject` (for up to `OPTION_WORKSPACES` workspaces).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

from evaluator.policy import PolicyError
from lineage.errors import AccessDeniedError, CredentialsError, DataWorksError
from opsguard.config import ServerSettings
from opsguard.doctor import Finding, Setup, skipped
from opsguard.config import is_loopback

__all__ = ["check_dataworks", "check_webhook", "clock_finding", "Probe", "OPERATION_CENTER_EVENTS",
           "OPTION_WORKSPACES", "DATAWORKS_SKEW_SECONDS"]

OPERATION_CENTER_EVENTS = ("freeze-node", "unfreeze-node", "undeploy-node", "backfill-data")
OPTION_WORKSPACES = 3
DATAWORKS_SKEW_SECONDS = 15 * 60    # the API gateway refuses a request dated further from its clock
EXTENSION_STATUS = {0: "testing", 1: "publishing", 3: "disabled", 4: "processing", 5: "approved",
                    6: "approval failed"}


@dataclass
class Probe:
    """What one `ListProjects` call (page 1) told: the workspaces, or the error; the gateway's `Date`."""

    projects: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0
    error: DataWorksError | None = None
    sent: float = 0.0          # epoch seconds, this machine's clock, just before the call ...
    answered: float = 0.0      # ... and just after it
    date: str | None = None    # the answer's Date header


def check_dataworks(setup: Setup, client_factory: Callable[..., Any] | None = None) -> list[Finding]:
    """`endpoint`, `credentials`, `clock`, `extension` and `options` findings, in that order."""
    from lineage.client import DataWorksClient
    from lineage.credentials import resolve_credentials

    names = ("endpoint", "credentials", "clock", "extension", "options")
    try:
        credentials = resolve_credentials(setup.env)
    except CredentialsError as exc:
        return [skipped("endpoint", "no credentials to sign a call with"), Finding("credentials", False, str(exc)),
                *(skipped(n, "no credentials") for n in names[2:])]
    settings = setup.config.dataworks.model_copy(update={"max_attempts": 2})   # a doctor reports, it does not wait
    client = (client_factory or DataWorksClient)(settings, credentials)
    probe = _probe(client)
    endpoint, accepted = _endpoint_and_credentials(probe, client.endpoint, credentials.describe(), setup)
    window = setup.config.server.max_age_seconds if setup.config.server.auth == "signature" else DATAWORKS_SKEW_SECONDS
    clock = clock_finding(probe, window)
    if not accepted.ok:
        return [endpoint, accepted, clock, *(skipped(n, "DataWorks did not accept a call") for n in names[3:])]
    if not setup.config.dataworks.extension_code:
        why = "no dataworks.extension_code to look up"
        return [endpoint, accepted, clock, skipped("extension", why), skipped("options", why)]
    extension, known = _extension(client, setup)
    options = _options(client, setup, probe) if known else skipped("options", "DataWorks does not know the extension")
    return [endpoint, accepted, clock, extension, options]


def _probe(client: Any) -> Probe:
    probe = Probe(sent=time.time())
    try:
        probe.projects, probe.total = client.list_projects_page(1)
    except DataWorksError as exc:
        probe.error = exc
    probe.answered = time.time()
    probe.date = client.last_response_headers().get("date") if probe.error is None else None
    return probe


def _endpoint_and_credentials(probe: Probe, endpoint: str, who: str, setup: Setup) -> tuple[Finding, Finding]:
    error = probe.error
    if error is None:
        return (Finding("endpoint", True, f"{endpoint} answers signed calls ({(probe.answered - probe.sent) * 1000:.0f} "
                        "ms for ListProjects)"), _visible(probe, who, setup))
    reached = Finding("endpoint", True, f"{endpoint} answers")
    if isinstance(error, CredentialsError):
        return reached, Finding("credentials", False, f"DataWorks refused {who}: {_credentials_problem(error.code)} "
                                f"({error.code})")
    if isinstance(error, AccessDeniedError):
        return reached, Finding("credentials", False, f"{who} may not call ListProjects ({error.code}): grant the "
                                "actions of docs/operating.md's RAM policy")
    if (error.code or "").startswith("InvalidTimeStamp"):
        return reached, skipped("credentials", "DataWorks refused the request time first")
    if error.status is None:
        return (Finding("endpoint", False, f"cannot reach DataWorks at {endpoint}: {_first_line(error)} (check "
                        "dataworks.endpoint / region, DNS, proxy and firewall)"),
                skipped("credentials", "DataWorks cannot be reached"))
    return (Finding("endpoint", False, f"{endpoint} does not answer as DataWorks 2020-05-18 does: {_first_line(error)}"),
            skipped("credentials", "the endpoint did not answer as DataWorks"))


def _credentials_problem(code: str) -> str:
    if code.startswith("InvalidAccessKeyId"):
        return "DataWorks does not know this access key id, or it is disabled"
    if "SecurityToken" in code:
        return "the STS security token is expired or does not belong to the key"
    return "the access key secret does not sign correctly (wrong secret)"


def _visible(probe: Probe, who: str, setup: Setup) -> Finding:
    wanted = set(setup.config.sync.projects)
    listed = {int(p.get("ProjectId", 0)) for p in probe.projects}
    if wanted and probe.total <= len(probe.projects) and wanted - listed:
        missing = ", ".join(str(p) for p in sorted(wanted - listed))
        return Finding("credentials", False, f"{who} accepted, but sync.projects lists workspaces they cannot see "
                       f"({missing}): check the ids, or add the RAM user to those workspaces")
    return Finding("credentials", True, f"{who} accepted; {probe.total} workspace(s) visible")


def clock_finding(probe: Probe, window_seconds: float) -> Finding:
    """This machine's clock against the DataWorks gateway's `Date`, allowing for the call's duration and the
    header's one-second resolution. Wrong when more than half of `window_seconds` (the age past which a signed
    push is refused) is gone to the difference.

    >>> from email.utils import formatdate
    >>> clock_finding(Probe(sent=1000.0, answered=1000.2, date=formatdate(1000, usegmt=True)), 60).ok
    True
    >>> clock_finding(Probe(sent=1000.0, answered=1000.2, date=formatdate(1120, usegmt=True)), 60).message[:47]
    "this machine's clock is 120 s behind DataWorks'"
    """
    error = probe.error
    if error is not None and (error.code or "").startswith("InvalidTimeStamp"):
        return Finding("clock", False, f"DataWorks refused the request time ({error.code}): this machine's clock is "
                       f"more than {DATAWORKS_SKEW_SECONDS // 60} minutes off; synchronise it (chrony, "
                       "systemd-timesyncd)")
    if error is not None:
        return skipped("clock", "no answer from DataWorks to compare with")
    if not probe.date:
        return skipped("clock", "DataWorks' answer carried no Date header")
    try:
        theirs = parsedate_to_datetime(probe.date).timestamp()
    except (TypeError, ValueError):
        return skipped("clock", f"unreadable Date header {probe.date!r}")
    ours = (probe.sent + probe.answered) / 2
    slack = (probe.answered - probe.sent) / 2 + 1.0
    skew = theirs - ours
    if abs(skew) <= slack:
        return Finding("clock", True, f"in step with DataWorks' clock (within {slack:.1f} s)")
    side = "behind" if skew > 0 else "ahead of"
    limit = window_seconds / 2
    if abs(skew) - slack > limit:
        return Finding("clock", False, f"this machine's clock is {abs(skew):.0f} s {side} DataWorks': signed pushes are "
                       f"refused once {window_seconds:g} s old by this clock, so pushes would be refused or let in "
                       "late; synchronise it (chrony, systemd-timesyncd)")
    return Finding("clock", True, f"{abs(skew):.0f} s {side} DataWorks' clock (under {limit:g} s)")


def _extension(client: Any, setup: Setup) -> tuple[Finding, bool]:
    """The `extension` finding, and whether DataWorks knows the code (else its options cannot be asked for)."""
    code = setup.config.dataworks.extension_code
    try:
        record = client.get_extension(code)
    except AccessDeniedError as exc:
        return Finding("extension", False, f"the credentials may not call GetExtension ({exc.code}): add it to the RAM "
                       "policy (only `opsguard doctor` calls it)"), True
    except DataWorksError as exc:
        if exc.status is not None and 400 <= exc.status < 500:   # INFERRED: the error code of an unknown extension
            return Finding("extension", False, f"DataWorks does not know extension code {code!r} ({exc.code}): copy "
                           "the code from DataWorks Open Platform > Extensions into dataworks.extension_code"), False
        return Finding("extension", False, f"GetExtension failed: {_first_line(exc)}"), True
    problems = _extension_problems(record, setup.config.server)
    status = EXTENSION_STATUS.get(record.get("Status"), f"status {record.get('Status')}")
    if problems:
        return Finding("extension", False, f"extension {code}: " + "; ".join(problems)), True
    testing = (f", so only workspace {record.get('ProjectTesting')} sends its events"
               if record.get("Status") == 0 else "")
    return Finding("extension", True, f"extension {code} ({record.get('ExtensionName') or 'unnamed'}) is {status}"
                   f"{testing}; View Details and View Documentation point at this server"), True


def _extension_problems(record: dict[str, Any], server: ServerSettings) -> list[str]:
    problems = []
    if record.get("Status") in (3, 6):
        problems.append(f"it is {EXTENSION_STATUS[record['Status']]} in DataWorks: no event reaches opsguard")
    bound = {str(e.get("EventCode")) for e in record.get("BindEventList") or ()}
    if not bound & set(OPERATION_CENTER_EVENTS):
        problems.append(f"it is bound to none of {', '.join(OPERATION_CENTER_EVENTS)}: bind it to them in its "
                        "registration")
    base = (server.public_url or (f"http://{server.host}:{server.port}" if is_loopback(server.host) else "")).rstrip("/")
    for key, label, path in (("DetailUrl", "View Details URL", "/checks"), ("HelpDocUrl", "View Documentation URL",
                                                                            "/docs")):
        registered = str(record.get(key) or "").rstrip("/")
        if base and registered != base + path:
            problems.append(f"its {label} is {registered or 'empty'!r}, not {base + path}")
    return problems


def _options(client: Any, setup: Setup, probe: Probe) -> Finding:
    code = setup.config.dataworks.extension_code
    workspaces = list(setup.config.sync.projects) or [int(p["ProjectId"]) for p in probe.projects if "ProjectId" in p]
    if not workspaces:
        return skipped("options", "no workspace is configured or visible")
    checked = workspaces[:OPTION_WORKSPACES]
    used = setup.policy.use_extension_options
    for workspace in checked:
        try:
            value = client.get_option_value(workspace, code)
        except DataWorksError as exc:
            return Finding("options", False, f"the extension options of workspace {workspace} cannot be read: "
                           f"{_first_line(exc)}")
        if used:
            try:
                setup.policy.for_project(workspace, value or "")
            except PolicyError as exc:
                return Finding("options", False, f"{exc}: that workspace's operations are answered with on_error "
                               f"({setup.policy.on_error.value}) until they are fixed")
    more = f" (of {len(workspaces)})" if len(workspaces) > len(checked) else ""
    note = "valid for the policy" if used else "not used: policy use_extension_options = false"
    return Finding("options", True, f"extension options readable for workspace(s) {', '.join(map(str, checked))}"
                   f"{more}; {note}")


def check_webhook(settings: ServerSettings, *, timeout: float = 5.0) -> Finding:
    """`GET <public_url>/healthz` answers as opsguard, and `/readyz` says ready."""
    base = (settings.public_url or (f"http://{settings.host}:{settings.port}" if is_loopback(settings.host)
                                     else "")).rstrip("/")
    if not base:
        return Finding("webhook", False, "server.public_url is not set: EventBridge has no URL to call")
    status, body = _get(f"{base}/healthz", timeout)
    if status is None:
        return Finding("webhook", False, f"nothing answers at {base}/healthz ({body}): is `opsguard serve` running, "
                       "and does this URL reach it (DNS, load balancer, firewall, TLS)?")
    if status != 200 or '"status"' not in body:
        return Finding("webhook", False, f"{base}/healthz answered HTTP {status}, not as opsguard does: does "
                       "server.public_url point at opsguard?")
    if base.startswith("http://") and not _loopback_url(base):
        return Finding("webhook", False, f"{base} is plain http: tokens, sessions and verdicts would cross the network "
                       "in clear; put opsguard behind TLS and set an https public_url")
    status, body = _get(f"{base}/readyz", timeout)
    if status != 200:
        reason = _reason(body)
        return Finding("webhook", False, f"{base} answers but is not ready (HTTP {status}: {reason})")
    return Finding("webhook", True, f"{base} answers and is ready; EventBridge's target is {base}/events")


def _get(url: str, timeout: float) -> tuple[int | None, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:  # noqa: S310 — the configured server URL
            return answer.status, answer.read(65536).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(65536).decode("utf-8", "replace")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return None, str(getattr(exc, "reason", None) or exc)


def _reason(body: str) -> str:
    try:
        return str(json.loads(body).get("reason") or "no reason given")
    except (ValueError, AttributeError):
        return body[:200] or "no reason given"


def _loopback_url(url: str) -> bool:
    from urllib.parse import urlsplit

    return is_loopback(urlsplit(url).hostname or "")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
