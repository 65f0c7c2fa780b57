"""`opsguard.toml`: where DataWorks is, what to sync, how fast, where data lives.

Only settings live here; credentials never do (see `lineage.credentials`). Unknown keys and wrong
types are errors naming the file and key, so a typo never silently falls back to a default.
The server and policy sections are validated by `evaluator`; this module only checks they are tables.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from datetime import timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lineage.errors import ConfigError

__all__ = ["DataWorksSettings", "SyncSettings", "Config", "load_config", "parse_endpoint", "parse_timezone"]

CONFIG_ENV = "OPSGUARD_CONFIG"


@dataclass(frozen=True)
class DataWorksSettings:
    """How to reach DataWorks. `endpoint` empty = the public endpoint of `region`."""

    region: str = "cn-shanghai"
    endpoint: str = ""
    protocol: str = "HTTPS"
    extension_code: str = ""
    project_env: str = "PROD"
    rate_limit: float = 20.0          # API requests per second, all threads together
    concurrency: int = 8              # calls in flight at once
    max_attempts: int = 8             # per call, first try included, for errors other than throttling; 1 = no retry at all
    throttle_patience_seconds: float = 300.0  # a throttled call is retried until no call got through for this long
    connect_timeout_ms: int = 5_000
    read_timeout_ms: int = 30_000
    timezone: str = "+08:00"          # the region's local time: bizdates and run times are in it


@dataclass(frozen=True)
class SyncSettings:
    """What a sync fetches and keeps."""

    projects: tuple[int, ...] = ()    # empty = every workspace the credentials can list
    history_days: int = 30            # bizdates of run history kept in a snapshot
    keep_snapshots: int = 5


@dataclass(frozen=True)
class Config:
    """The whole file. `server` and `policy` stay raw mappings for `evaluator` to validate."""

    dataworks: DataWorksSettings = field(default_factory=DataWorksSettings)
    sync: SyncSettings = field(default_factory=SyncSettings)
    data_dir: str = ""
    server: dict[str, Any] = field(default_factory=dict)
    schedule: dict[str, Any] = field(default_factory=dict)
    policy: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Read `path`, else `$OPSGUARD_CONFIG`, else `./opsguard.toml` if present, else defaults."""
    explicit = path or os.environ.get(CONFIG_ENV)
    candidate = Path(explicit) if explicit else Path("opsguard.toml")
    if not candidate.is_file():
        if explicit:
            raise ConfigError(f"config file {candidate} does not exist")
        return Config()
    try:
        raw = tomllib.loads(candidate.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{candidate}: invalid TOML: {exc}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{candidate}: cannot read: {exc}") from exc
    return _from_mapping(raw, candidate)


def _from_mapping(raw: dict[str, Any], path: Path) -> Config:
    known = {"dataworks", "sync", "data_dir", "server", "schedule", "policy"}
    for key in raw:
        if key not in known:
            raise ConfigError(f"{path}: unknown key {key!r} (expected one of {', '.join(sorted(known))})")
    config = Config(path=path)
    if "dataworks" in raw:
        config = replace(config, dataworks=_section(DataWorksSettings, raw["dataworks"], path, "dataworks"))
        parse_timezone(config.dataworks.timezone, where=f"{path}: dataworks.timezone")
    if "sync" in raw:
        config = replace(config, sync=_section(SyncSettings, raw["sync"], path, "sync"))
    if "data_dir" in raw:
        if not isinstance(raw["data_dir"], str):
            raise ConfigError(f"{path}: data_dir must be a string")
        config = replace(config, data_dir=raw["data_dir"])
    for name in ("server", "schedule", "policy"):
        if name in raw:
            if not isinstance(raw[name], dict):
                raise ConfigError(f"{path}: [{name}] must be a table")
            config = replace(config, **{name: raw[name]})
    return config


def _section(cls: type, table: Any, path: Path, name: str) -> Any:
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [{name}] must be a table")
    defaults = cls()
    values: dict[str, Any] = {}
    by_name = {f.name: f for f in fields(cls)}
    for key, value in table.items():
        if key not in by_name:
            raise ConfigError(f"{path}: unknown key {name}.{key} (expected one of {', '.join(sorted(by_name))})")
        expected = type(getattr(defaults, key))
        if expected is tuple:
            if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
                raise ConfigError(f"{path}: {name}.{key} must be a list of integer ids")
            value = tuple(value)
        elif expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        elif not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ConfigError(f"{path}: {name}.{key} must be {expected.__name__}, not {type(value).__name__}")
        values[key] = value
    settings = cls(**values)
    for f in fields(settings):
        value = getattr(settings, f.name)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value <= 0 \
                and f.name not in {"history_days"}:
            raise ConfigError(f"{path}: {name}.{f.name} must be positive")
    return settings


def parse_endpoint(endpoint: str) -> tuple[str, str]:
    """(host[:port], protocol) from `host:port` or a URL; a bare host means HTTPS.

    >>> parse_endpoint("http://127.0.0.1:8080")
    ('127.0.0.1:8080', 'HTTP')
    >>> parse_endpoint("dataworks.cn-shanghai.aliyuncs.com")
    ('dataworks.cn-shanghai.aliyuncs.com', 'HTTPS')
    """
    if "://" in endpoint:
        parts = urlsplit(endpoint)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ConfigError(f"endpoint {endpoint!r} must be http(s)://host[:port]")
        return parts.netloc, parts.scheme.upper()
    if not endpoint or "/" in endpoint:
        raise ConfigError(f"endpoint {endpoint!r} must be host[:port] or http(s)://host[:port]")
    return endpoint, "HTTPS"


def parse_timezone(value: str, *, where: str = "timezone") -> timezone:
    """A fixed UTC offset like `+08:00`. DataWorks regions do not observe DST, so an offset suffices.

    >>> parse_timezone("+08:00")
    datetime.timezone(datetime.timedelta(seconds=28800))
    """
    sign = {"+": 1, "-": -1}.get(value[:1])
    try:
        hours, minutes = value[1:].split(":")
        if sign is None:
            raise ValueError
        return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))
    except ValueError:
        raise ConfigError(f"{where}: {value!r} is not a UTC offset like +08:00") from None
