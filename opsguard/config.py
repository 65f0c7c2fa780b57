"""The `[server]` and `[schedule]` tables of opsguard.toml, validated into frozen settings.

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

[schedule]
refresh_minutes = 30                          # periodic sync; 0 = off
full_sync_at = "02:30"                        # nightly full sync, DataWorks local time; "" = off
misfire_grace_seconds = 900
```
Unknown keys and wrong types are `ConfigError`s naming the key, like the rest of the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from lineage.errors import ConfigError

__all__ = ["ServerSettings", "ScheduleSettings", "AUTH_MODES", "parse_server", "parse_schedule", "TOKEN_HEADER"]

AUTH_MODES = ("signature", "token", "none")
TOKEN_HEADER = "x-opsguard-token"


@dataclass(frozen=True)
class ServerSettings:
    """How `opsguard serve` listens, authenticates pushes and works through its inbox."""

    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = ""
    auth: str = "signature"
    public_key_file: str = ""
    key_urls: tuple[str, ...] = ("https://*-eventbridge.oss-accelerate.aliyuncs.com",)   # OFFICIAL_KEY_URLS
    key_fetch_timeout_seconds: float = 5.0
    eventbridge_token_env: str = ""
    token_env: str = "OPSGUARD_WEBHOOK_TOKEN"
    max_age_seconds: float = 60.0
    max_body_kib: int = 256
    state_url: str = ""
    worker_processes: int = 2
    lease_seconds: float = 20.0
    poll_seconds: float = 0.05
    # Posts in flight = result rate x round trip: 64 keep 300 results/s flowing up to ~200 ms a call. With 8,
    # a 30 ms round trip capped posting at ~240/s (bench/serve.py --result-latency-ms 30).
    report_workers: int = 64
    worker_nice: int = 5
    report_rate_limit: float = 100.0
    report_backoff_cap_seconds: float = 30.0
    report_give_up_hours: float = 24.0
    graph_poll_seconds: float = 5.0
    keep_checks_days: float = 90.0

    @property
    def max_body_bytes(self) -> int:
        return self.max_body_kib * 1024


@dataclass(frozen=True)
class ScheduleSettings:
    """When the server syncs by itself: a periodic refresh and a nightly full sync."""

    refresh_minutes: float = 30.0
    full_sync_at: str = "02:30"
    misfire_grace_seconds: int = 900

    @property
    def full_sync_time(self) -> tuple[int, int] | None:
        """(hour, minute) of the nightly full sync, None when off."""
        if not self.full_sync_at:
            return None
        hour, minute = self.full_sync_at.split(":")
        return int(hour), int(minute)


def parse_server(table: dict[str, Any], config_path: Path | None = None) -> ServerSettings:
    """`[server]` → `ServerSettings`; relative `public_key_file` is resolved against the config file."""
    settings = _section(ServerSettings, table, "server", config_path)
    if settings.auth not in AUTH_MODES:
        raise ConfigError(f"{_where(config_path)}server.auth must be one of {', '.join(AUTH_MODES)}, "
                          f"not {settings.auth!r}")
    if settings.public_url and not re.match(r"https?://[^/]+", settings.public_url):
        raise ConfigError(f"{_where(config_path)}server.public_url must be http(s)://host[:port][/path]")
    if not 0 <= settings.port <= 65535:
        raise ConfigError(f"{_where(config_path)}server.port must be between 0 and 65535")
    if settings.state_url and not settings.state_url.startswith(("postgresql://", "postgres://")):
        raise ConfigError(f"{_where(config_path)}server.state_url must be a postgresql:// URL (or empty for SQLite)")
    if settings.lease_seconds < 3:
        raise ConfigError(f"{_where(config_path)}server.lease_seconds must be at least 3")
    if settings.worker_processes < 1:
        raise ConfigError(f"{_where(config_path)}server.worker_processes must be at least 1")
    if not 0 <= settings.worker_nice <= 19:
        raise ConfigError(f"{_where(config_path)}server.worker_nice must be between 0 and 19")
    key = settings.public_key_file
    if key and config_path is not None and not Path(key).is_absolute():
        settings = _replace(settings, public_key_file=str(config_path.parent / key))
    return settings


def parse_schedule(table: dict[str, Any], config_path: Path | None = None) -> ScheduleSettings:
    """`[schedule]` → `ScheduleSettings` (`full_sync_at` as HH:MM).

    >>> parse_schedule({"refresh_minutes": 15, "full_sync_at": "03:10"}).full_sync_time
    (3, 10)
    >>> parse_schedule({"full_sync_at": "25:00"})
    Traceback (most recent call last):
    ...
    lineage.errors.ConfigError: schedule.full_sync_at must be HH:MM (24 h) or "", not '25:00'
    """
    settings = _section(ScheduleSettings, table, "schedule", config_path)
    at = settings.full_sync_at
    if at and not (re.fullmatch(r"([01]?[0-9]|2[0-3]):[0-5][0-9]", at)):
        raise ConfigError(f"{_where(config_path)}schedule.full_sync_at must be HH:MM (24 h) or \"\", not {at!r}")
    return settings


def _section(cls: type, table: dict[str, Any], name: str, config_path: Path | None) -> Any:
    if not isinstance(table, dict):
        raise ConfigError(f"{_where(config_path)}[{name}] must be a table")
    by_name = {f.name: f for f in fields(cls)}
    defaults = cls()
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in by_name:
            raise ConfigError(f"{_where(config_path)}unknown key {name}.{key} "
                              f"(expected one of {', '.join(sorted(by_name))})")
        expected = type(getattr(defaults, key))
        if expected is tuple:   # a TOML array of strings
            if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                raise ConfigError(f"{_where(config_path)}{name}.{key} must be an array of strings")
            value = tuple(value)
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ConfigError(f"{_where(config_path)}{name}.{key} must be {expected.__name__}, "
                              f"not {type(value).__name__}")
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
            raise ConfigError(f"{_where(config_path)}{name}.{key} must not be negative")
        values[key] = value
    return cls(**values)


def _replace(settings: ServerSettings, **changes: Any) -> ServerSettings:
    from dataclasses import replace

    return replace(settings, **changes)


def _where(config_path: Path | None) -> str:
    return f"{config_path}: " if config_path else ""
