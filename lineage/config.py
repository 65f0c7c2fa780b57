"""The `[dataworks]` and `[sync]` tables of opsguard.toml: where DataWorks is, what to sync, how fast.

Each table is a frozen pydantic model (`Settings`): unknown keys are refused, types are strict (TOML's
`"80"` is not the integer 80, so a typo never silently falls back to a default or a coerced value), and
each check sits beside the field it guards. The whole file is read and validated in one place,
`opsguard.config.OpsguardConfig`; `lineage` code is handed these sections. `config_error` turns the
first of pydantic's errors into the one-line `ConfigError` that names the file and the dotted key:

>>> from pydantic import ValidationError
>>> try:
...     SyncSettings.model_validate({"keep_snapshots": 0})
... except ValidationError as exc:
...     print(config_error(exc, "opsguard.toml", SyncSettings, ("sync",)))
opsguard.toml: sync.keep_snapshots: must be positive, not 0

Only settings live here; credentials never do (see `lineage.credentials`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta, timezone
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, NonNegativeInt, PositiveFloat,
                      PositiveInt, ValidationError, field_validator, model_validator)

from lineage.errors import ConfigError

__all__ = ["Settings", "DataWorksSettings", "SyncSettings", "array_of", "between", "config_error", "toml_type",
           "parse_endpoint", "parse_timezone"]


class Settings(BaseModel):
    """Base of every config section: frozen (safe to share, and to pickle into worker processes),
    unknown keys refused, types strict (an integer is accepted where a float is expected, nothing else)."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


def array_of(kind: type, what: str) -> BeforeValidator:
    """A TOML array whose items are all `kind` (never a boolean), kept as a tuple."""

    def check(value: Any) -> tuple[Any, ...]:
        if isinstance(value, (list, tuple)) and all(isinstance(v, kind) and not isinstance(v, bool) for v in value):
            return tuple(value)
        shown = f"not {toml_type(value)}" if not isinstance(value, (list, tuple)) else f"not {list(value)!r}"
        raise ValueError(f"must be an array of {what}, {shown}")

    return BeforeValidator(check)


def between(low: int, high: int) -> AfterValidator:
    """An integer from `low` to `high`, both included."""

    def check(value: int) -> int:
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}, not {value}")
        return value

    return AfterValidator(check)


# The regions whose DataWorks offers the Extensions module (the extension documentation lists them; a region
# added later is one line here). An explicit `endpoint` is taken as given, whatever the region.
EXTENSION_REGIONS = ("cn-beijing", "cn-hangzhou", "cn-shanghai", "cn-zhangjiakou", "cn-shenzhen", "cn-chengdu",
                     "cn-hongkong", "ap-southeast-1", "ap-northeast-1", "eu-central-1", "us-west-1", "us-east-1")


class DataWorksSettings(Settings):
    """How to reach DataWorks. `endpoint` empty = the public endpoint of `region`."""

    region: str = "cn-shanghai"
    endpoint: str = ""                # host[:port] or http(s)://host[:port]
    protocol: str = "HTTPS"
    extension_code: str = ""
    project_env: str = "PROD"
    rate_limit: PositiveFloat = 20.0  # API requests per second, all threads together
    concurrency: PositiveInt = 8      # calls in flight at once
    max_attempts: PositiveInt = 8     # per call, first try included, for errors other than throttling; 1 = no retry
    throttle_patience_seconds: PositiveFloat = 300.0  # a throttled call is retried until no call got through for this long
    connect_timeout_ms: PositiveInt = 5_000
    read_timeout_ms: PositiveInt = 30_000
    timezone: str = "+08:00"          # the region's local time: bizdates and run times are in it

    @model_validator(mode="after")
    def _known_region(self) -> DataWorksSettings:
        if self.region not in EXTENSION_REGIONS and not self.endpoint:
            raise ValueError(f"region {self.region!r} is not one where DataWorks offers extensions; use one of "
                             f"{', '.join(EXTENSION_REGIONS)} (or set dataworks.endpoint)")
        return self

    @field_validator("endpoint")
    @classmethod
    def _endpoint_form(cls, value: str) -> str:
        if value:
            _split_endpoint(value)
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone_form(cls, value: str) -> str:
        _utc_offset(value)
        return value


class SyncSettings(Settings):
    """What a sync fetches and keeps."""

    # empty = every workspace the credentials can list
    projects: Annotated[tuple[int, ...], array_of(int, "integer ids")] = ()
    history_days: NonNegativeInt = 30  # bizdates of run history kept in a snapshot
    keep_snapshots: PositiveInt = 5


def parse_endpoint(endpoint: str) -> tuple[str, str]:
    """(host[:port], protocol) from `host:port` or a URL; a bare host means HTTPS.

    >>> parse_endpoint("http://127.0.0.1:8080")
    ('127.0.0.1:8080', 'HTTP')
    >>> parse_endpoint("dataworks.cn-shanghai.aliyuncs.com")
    ('dataworks.cn-shanghai.aliyuncs.com', 'HTTPS')
    >>> parse_endpoint("http://ak:s3cret@127.0.0.1:8080")
    Traceback (most recent call last):
    ...
    lineage.errors.ConfigError: endpoint must not carry user:password@ (credentials go in the AccessKey settings)
    """
    try:
        return _split_endpoint(endpoint)
    except ValueError as exc:
        raise ConfigError(f"endpoint {exc}") from None


def parse_timezone(value: str, *, where: str = "timezone") -> timezone:
    """A fixed UTC offset like `+08:00`. DataWorks regions do not observe DST, so an offset suffices.

    >>> parse_timezone("+08:00")
    datetime.timezone(datetime.timedelta(seconds=28800))
    """
    try:
        return _utc_offset(value)
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _split_endpoint(endpoint: str) -> tuple[str, str]:
    if "@" in endpoint:
        # DataWorks signs calls with the AccessKey; a user:password here is a secret in the wrong place,
        # and the endpoint is stored in every snapshot, so it is refused without being repeated.
        raise ValueError("must not carry user:password@ (credentials go in the AccessKey settings)")
    if "://" in endpoint:
        parts = urlsplit(endpoint)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ValueError(f"{endpoint!r} must be http(s)://host[:port]")
        return parts.netloc, parts.scheme.upper()
    if not endpoint or "/" in endpoint:
        raise ValueError(f"{endpoint!r} must be host[:port] or http(s)://host[:port]")
    return endpoint, "HTTPS"


def _utc_offset(value: str) -> timezone:
    sign = {"+": 1, "-": -1}.get(value[:1])
    try:
        hours, minutes = value[1:].split(":")
        if sign is None:
            raise ValueError
        return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))
    except ValueError:
        raise ValueError(f"{value!r} is not a UTC offset like +08:00") from None


# --- pydantic's errors as one line --------------------------------------------------------------------

_EXPECTED = {"int_type": "an integer", "float_type": "a number", "string_type": "a string",
             "bool_type": "true or false", "dict_type": "a table", "model_type": "a table",
             "model_attributes_type": "a table", "tuple_type": "an array", "list_type": "an array"}
_TOML_TYPES: tuple[tuple[type, str], ...] = (
    (bool, "a boolean"), (int, "an integer"), (float, "a float"), (str, "a string"), (list, "an array"),
    (tuple, "an array"), (dict, "a table"), (datetime, "a date-time"), (date, "a date"), (time, "a time"))


def config_error(exc: ValidationError, source: str | os.PathLike[str] | None, model: type[BaseModel],
                 prefix: Sequence[str] = ()) -> ConfigError:
    """The first of `exc`'s errors as one line a user can act on: `<file>: <section.key>: <what is wrong>`.

    `model` is the model that was validated (to list the keys it knows), `prefix` the keys above it in the
    file. The value given is shown only for numbers and choices; a string that may hold a secret (a URL with
    a password) is never repeated — validators that show one do it on purpose.
    """
    error = exc.errors(include_url=False)[0]
    loc = tuple(str(part) for part in error["loc"])
    key = ".".join((*prefix, *loc))
    where = f"{source}: " if source else ""
    if error["type"] == "extra_forbidden":
        known = ", ".join(sorted(_model_at(model, loc[:-1]).model_fields))
        return ConfigError(f"{where}unknown key {key} (expected one of {known})")
    return ConfigError(f"{where}{key}: {_describe(error)}")


def toml_type(value: Any) -> str:
    """What a TOML value is, in TOML's words ("an integer", "a table" ...)."""
    return next((name for kind, name in _TOML_TYPES if isinstance(value, kind)), type(value).__name__)


def _describe(error: Any) -> str:
    kind, ctx, given = error["type"], error.get("ctx") or {}, error.get("input")
    if kind == "value_error":
        return str(ctx["error"])
    if kind in _EXPECTED:
        return f"must be {_EXPECTED[kind]}, not {toml_type(given)}"
    if kind == "literal_error":
        shown = repr(given) if isinstance(given, str) else toml_type(given)
        return f"must be one of {ctx['expected']}, not {shown}"
    bounds: dict[str, Callable[[Any], str]] = {
        "greater_than": lambda n: "must be positive" if n == 0 else f"must be greater than {n}",
        "greater_than_equal": lambda n: "must not be negative" if n == 0 else f"must be at least {n}",
        "less_than": lambda n: f"must be less than {n}", "less_than_equal": lambda n: f"must be at most {n}"}
    if kind in bounds:
        bound = next(iter(ctx.values()))
        return f"{bounds[kind](int(bound) if float(bound).is_integer() else bound)}, not {given}"
    return f"is not valid: {error['msg']}"


def _model_at(model: type[BaseModel], loc: tuple[str, ...]) -> type[BaseModel]:
    for name in loc:
        annotation = model.model_fields[name].annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
    return model
