"""opsguard.toml, validated in one place: `OpsguardConfig`, one frozen model per table.

`[dataworks]` and `[sync]` are `lineage.config`'s models; `[server]` and `[schedule]` are these:

```toml
[server]
host = "127.0.0.1"
port = 8080
public_url = "https://opsguard.example.com"   # what EventBridge calls (signed URL) and details links use
auth = "signature"                            # signature | token | none
# signature: pushes signed with EventBridge's key (v1 or v2), checked against the URL public_url + /events;
# public_url is required unless the server listens on loopback (see opsguard.webhook.auth.require_signed_url)
public_key_file = ""                          # a pinned key file (PEM key or certificate, relative to this
                                              # file): nothing fetched. Empty: fetch the key a push names,
key_urls = ["https://*-eventbridge.oss-accelerate.aliyuncs.com"]   # from these origins only (https;
                                              # http only for loopback hosts, e.g. "http://127.0.0.1:*")
key_fetch_timeout_seconds = 5.0               # a key download, all of it
eventbridge_token_env = ""                    # names the variable holding the x-eventbridge-signature-token set
                                              # on our EventBridge target: pushes must carry it (set it in production)
token_env = "OPSGUARD_WEBHOOK_TOKEN"          # auth = "token": the shared token is read from this variable
max_age_seconds = 60                          # older signed pushes are refused (401)
max_body_kib = 256
max_concurrent_requests = 512                 # requests handled at once; past it, 503 (EventBridge retries)
rate_per_source = 500.0                       # requests a second from one address (bursts of twice); past it, 429;
                                              # 0 = no limit. Keep it well above your EventBridge event rate
state_url = ""                                # "" = SQLite under the data dir; "postgresql://user@host/db" for several
                                              # replicas (password from the URL or libpq's PGPASSWORD/PGPASSFILE)
worker_processes = 2                          # processes that judge events and post results (2+: one only posts)
lease_seconds = 20.0                          # a worker's claim on a message lapses this long after it stops renewing
poll_seconds = 0.05                           # how often an idle worker looks for work in the store
report_workers = 64                           # results being posted at once (each waits a round trip to DataWorks)
worker_nice = 5                               # workers' and the state writer's CPU priority below the server's
report_rate_limit = 100.0                     # UpdateWorkbenchEventResult calls per second
report_backoff_cap_seconds = 30.0
report_give_up_hours = 24.0
graph_poll_seconds = 5.0                      # how often CURRENT is checked for a new snapshot
keep_checks_days = 90.0                       # finished checks (verdicts, attempts) and refused requests older
                                              # than this are dropped from the state store; 0 = keep everything
ui_auth = "token"                             # pages and APIs: token (bearer, or a login with it) | header (an SSO
                                              # proxy's header) | none (loopback only). /healthz, /readyz always open
ui_token_env = "OPSGUARD_UI_TOKEN"            # ui_auth = "token": the token (16+ characters) is read from this variable
trusted_header = "X-Forwarded-User"           # ui_auth = "header": who the SSO proxy says the user is...
trusted_proxies = ["127.0.0.1/32", "::1/128"] # ...honoured only from these addresses
metrics_open = false                          # /metrics without credentials (for a scraper inside your network)
link_ttl_hours = 72.0                         # how long a check's signed "View Details" link opens it

[schedule]
refresh_minutes = 30                          # periodic sync; 0 = off
full_sync_at = "02:30"                        # nightly full sync, DataWorks local time; "" = off
misfire_grace_seconds = 900
```
The `[policy]` table is kept as it was written, for `evaluator.policy.policy_from_mapping` (`opsguard serve`,
`opsguard check`). A bad file is one `ConfigError` line naming the file and the key, e.g.
`opsguard.toml: server.port: must be between 0 and 65535, not 70000` or
`opsguard.toml: unknown key server.prot (expected one of …)`.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, get_args

from pydantic import (Field, NonNegativeFloat, NonNegativeInt, PrivateAttr, ValidationError, ValidationInfo,
                      field_validator)

from lineage.config import DataWorksSettings, Settings, SyncSettings, array_of, between, config_error
from lineage.errors import ConfigError

if TYPE_CHECKING:
    from evaluator.policy import Policy

__all__ = ["build_policy", "is_loopback", "OpsguardConfig", "ServerSettings", "ScheduleSettings", "AUTH_MODES", "CONFIG_ENV", "TOKEN_HEADER",
           "parse_server", "parse_schedule"]

CONFIG_ENV = "OPSGUARD_CONFIG"
AuthMode = Literal["signature", "token", "none"]
UiAuthMode = Literal["token", "header", "none"]
AUTH_MODES: tuple[str, ...] = get_args(AuthMode)
TOKEN_HEADER = "x-opsguard-token"


class ServerSettings(Settings):
    """How `opsguard serve` listens, authenticates pushes and works through its inbox (numbers never negative)."""

    host: str = "127.0.0.1"
    port: Annotated[int, between(0, 65535)] = 8080
    public_url: str = ""
    auth: AuthMode = "signature"
    public_key_file: str = ""         # relative to the config file it was read from
    key_urls: Annotated[tuple[str, ...], array_of(str, "strings")] = (
        "https://*-eventbridge.oss-accelerate.aliyuncs.com",)   # OFFICIAL_KEY_URLS
    key_fetch_timeout_seconds: NonNegativeFloat = 5.0
    eventbridge_token_env: str = ""
    token_env: str = "OPSGUARD_WEBHOOK_TOKEN"
    max_age_seconds: NonNegativeFloat = 60.0
    max_body_kib: NonNegativeInt = 256
    max_concurrent_requests: Annotated[int, Field(ge=1)] = 512
    rate_per_source: NonNegativeFloat = 500.0
    state_url: str = ""               # may hold a password: never shown in an error
    worker_processes: Annotated[int, Field(ge=1)] = 2
    lease_seconds: Annotated[float, Field(ge=3)] = 20.0
    poll_seconds: NonNegativeFloat = 0.05
    # Posts in flight = result rate x round trip: 64 keep 300 results/s flowing up to ~200 ms a call. With 8,
    # a 30 ms round trip capped posting at ~240/s (bench/serve.py --result-latency-ms 30).
    report_workers: NonNegativeInt = 64
    worker_nice: Annotated[int, between(0, 19)] = 5
    report_rate_limit: NonNegativeFloat = 100.0
    report_backoff_cap_seconds: NonNegativeFloat = 30.0
    report_give_up_hours: NonNegativeFloat = 24.0
    graph_poll_seconds: NonNegativeFloat = 5.0
    keep_checks_days: NonNegativeFloat = 90.0
    ui_auth: UiAuthMode = "token"     # who may read pages and APIs: token | header | none (loopback only)
    ui_token_env: str = "OPSGUARD_UI_TOKEN"
    trusted_header: str = "X-Forwarded-User"
    trusted_proxies: Annotated[tuple[str, ...], array_of(str, "strings")] = ("127.0.0.1/32", "::1/128")
    metrics_open: bool = False
    link_ttl_hours: Annotated[float, Field(gt=0)] = 72.0

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        import ipaddress

        for network in value:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError:
                raise ValueError(f"{network!r} is not an address or network (e.g. 10.0.0.0/8)") from None
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url_form(cls, value: str) -> str:
        if value and not re.match(r"https?://[^/]+", value):
            raise ValueError("must be http(s)://host[:port][/path]")
        return value

    @field_validator("state_url")
    @classmethod
    def _state_url_form(cls, value: str) -> str:
        if value and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("must be a postgresql:// URL (or empty for SQLite)")   # the value itself: never
        return value

    @field_validator("public_key_file")
    @classmethod
    def _relative_to_the_config_file(cls, value: str, info: ValidationInfo) -> str:
        config_dir = (info.context or {}).get("config_dir")
        if value and config_dir is not None and not Path(value).is_absolute():
            return str(Path(config_dir) / value)
        return value

    @property
    def max_body_bytes(self) -> int:
        return self.max_body_kib * 1024


class ScheduleSettings(Settings):
    """When the server syncs by itself: a periodic refresh and a nightly full sync."""

    refresh_minutes: NonNegativeFloat = 30.0   # 0 = off
    full_sync_at: str = "02:30"                # HH:MM, DataWorks local time; "" = off
    misfire_grace_seconds: NonNegativeInt = 900

    @field_validator("full_sync_at")
    @classmethod
    def _hh_mm(cls, value: str) -> str:
        if value and not re.fullmatch(r"([01]?[0-9]|2[0-3]):[0-5][0-9]", value):
            raise ValueError(f'must be HH:MM (24 h) or "", not {value!r}')
        return value

    @property
    def full_sync_time(self) -> tuple[int, int] | None:
        """(hour, minute) of the nightly full sync, None when off."""
        if not self.full_sync_at:
            return None
        hour, minute = self.full_sync_at.split(":")
        return int(hour), int(minute)


class OpsguardConfig(Settings):
    """The whole opsguard.toml. `path` is the file it was read from (None: defaults, no file).

    >>> OpsguardConfig.from_mapping({"server": {"port": 9000}, "sync": {"projects": [7]}}).server.port
    9000
    >>> OpsguardConfig.from_mapping({"server": {"prot": 9000}}, Path("opsguard.toml"))
    Traceback (most recent call last):
    ...
    lineage.errors.ConfigError: opsguard.toml: unknown key server.prot (expected one of auth, ...)
    """

    data_dir: str = ""                # "" = $OPSGUARD_HOME, else ./.opsguard (--data-dir wins over all)
    dataworks: DataWorksSettings = DataWorksSettings()
    sync: SyncSettings = SyncSettings()
    server: ServerSettings = ServerSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    policy: dict[str, Any] = {}       # the raw table; evaluator.policy validates it when it is used
    _path: Path | None = PrivateAttr(default=None)

    @property
    def path(self) -> Path | None:
        return self._path

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> OpsguardConfig:
        """Read `path` (`--config`), else `$OPSGUARD_CONFIG`, else `./opsguard.toml` if present, else defaults."""
        explicit = path or os.environ.get(CONFIG_ENV)
        candidate = Path(explicit) if explicit else Path("opsguard.toml")
        if not candidate.is_file():
            if explicit:
                raise ConfigError(f"config file {candidate} does not exist")
            return cls()
        try:
            raw = tomllib.loads(candidate.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{candidate}: invalid TOML: {exc}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{candidate}: cannot read: {exc}") from None
        return cls.from_mapping(raw, candidate)

    @classmethod
    def from_mapping(cls, raw: dict[str, Any], path: Path | None = None) -> OpsguardConfig:
        """Validate a parsed file; relative paths in it are resolved against `path`'s directory."""
        try:
            config = cls.model_validate(raw, context={"config_dir": path.parent if path else None})
        except ValidationError as exc:
            raise config_error(exc, path, cls) from None   # not chained: pydantic's text repeats the values
        config._path = path
        return config


def parse_server(table: dict[str, Any], config_path: Path | None = None) -> ServerSettings:
    """`[server]` → `ServerSettings`; a relative `public_key_file` is resolved against the config file."""
    return OpsguardConfig.from_mapping({"server": table}, config_path).server


def parse_schedule(table: dict[str, Any], config_path: Path | None = None) -> ScheduleSettings:
    """`[schedule]` → `ScheduleSettings` (`full_sync_at` as HH:MM).

    >>> parse_schedule({"refresh_minutes": 15, "full_sync_at": "03:10"}).full_sync_time
    (3, 10)
    >>> parse_schedule({"full_sync_at": "25:00"})
    Traceback (most recent call last):
    ...
    lineage.errors.ConfigError: schedule.full_sync_at: must be HH:MM (24 h) or "", not '25:00'
    """
    return OpsguardConfig.from_mapping({"schedule": table}, config_path).schedule


def is_loopback(host: str) -> bool:
    """Whether a listen address is this machine only (where an open door is no door).

    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("[::1]"), is_loopback("0.0.0.0")
    (True, True, True, False)
    """
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def build_policy(config: OpsguardConfig) -> Policy:
    """The policy of the `[policy]` table (what `serve`, `check` and `doctor` judge by), else the default."""
    from evaluator.policy import PolicyError, default_policy, policy_from_mapping

    if not config.policy:
        return default_policy()
    try:
        return policy_from_mapping(config.policy, f"{config.path} [policy]")
    except PolicyError as exc:
        raise ConfigError(f"bad policy: {exc}") from None
