"""The checks of `opsguard doctor` that need no network: the config, the data dir, the state store, the
snapshot, and how pushes and pages are authenticated. Each returns one `Finding`."""

from __future__ import annotations

import ipaddress
import os
import shutil
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from evaluator.checks.snapshot_freshness import duration
from evaluator.policy import Policy
from lineage.errors import ConfigError, SnapshotError
from lineage.snapshots import SnapshotStore, default_data_dir
from opsguard.config import CONFIG_ENV, OpsguardConfig, ServerSettings, build_policy, is_loopback
from opsguard.doctor import Finding, Setup

__all__ = ["check_config", "check_data_dir", "data_dir_usable", "check_store", "check_snapshot", "check_push_auth",
           "check_ui_auth"]

OPEN_NETWORKS = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))


def check_config(path: str | os.PathLike[str] | None, data_dir: str | os.PathLike[str] | None,
                 env: Mapping[str, str]) -> tuple[Finding, Setup | None]:
    """The file loads, names the extension and holds a valid policy; the `Setup` the other checks use."""
    explicit = path or env.get(CONFIG_ENV)
    if not explicit and not Path("opsguard.toml").is_file():
        return Finding("config", False, f"no opsguard.toml here and ${CONFIG_ENV} is not set: write one with "
                       "`opsguard init`, or pass --config FILE"), None
    try:
        config = OpsguardConfig.load(explicit or "opsguard.toml")
        policy = build_policy(config)
    except ConfigError as exc:
        return Finding("config", False, str(exc)), None
    directory = default_data_dir(data_dir or config.data_dir or env.get("OPSGUARD_HOME") or None, check=False)
    setup = Setup(config=config, policy=policy, data_dir=directory, env=env)
    if not config.dataworks.extension_code:
        return Finding("config", False, f"{config.path}: dataworks.extension_code is empty: set it to the code "
                       "DataWorks showed when the extension was registered (Open Platform > Extensions)"), setup
    workspaces = (", ".join(str(p) for p in config.sync.projects) if config.sync.projects
                  else "every workspace the credentials list")
    return Finding("config", True, f"{config.path} is valid: extension {config.dataworks.extension_code}, region "
                   f"{config.dataworks.region}, syncing {workspaces}, "
                   f"{'the [policy] table' if config.policy else 'the default policy'}"), setup


def data_dir_usable(data_dir: Path) -> bool:
    """The data dir is a directory, or can become one (its nearest existing ancestor is a directory)."""
    return _nearest_existing(data_dir).is_dir()


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_data_dir(data_dir: Path) -> Finding:
    """The data dir (and its snapshots/) can be written; a missing one can be created."""
    existing = _nearest_existing(data_dir)
    if not existing.is_dir():
        return Finding("data_dir", False, f"data dir {data_dir} cannot be used: {existing} is not a directory; set "
                       "data_dir (or --data-dir) to a directory opsguard may write")
    targets = [existing] if existing != data_dir else [data_dir, data_dir / "snapshots"]
    for target in (t for t in targets if t.is_dir()):
        error = _write_error(target)
        if error:
            return Finding("data_dir", False, f"data dir {data_dir} cannot be written ({target}: {error}): give the "
                           "user running opsguard write access, or choose another data_dir")
    free = f"{shutil.disk_usage(existing).free / 2**30:.1f} GiB free"
    if existing != data_dir:
        return Finding("data_dir", True, f"data dir {data_dir} does not exist yet; `opsguard serve` or `opsguard "
                       f"sync` creates it in {existing} ({free})")
    return Finding("data_dir", True, f"data dir {data_dir} is writable ({free})")


def _write_error(directory: Path) -> str | None:
    try:
        handle, name = tempfile.mkstemp(prefix=".opsguard-doctor-", dir=directory)
    except OSError as exc:
        return exc.strerror or str(exc)
    os.close(handle)
    os.unlink(name)
    return None


def check_store(data_dir: Path, state_url: str) -> Finding:
    """The state store opens and takes the write `/readyz` makes, at a schema version this code knows."""
    from opsguard.store import STATE_FILE, StoreError, open_store
    from opsguard.store.migrations import latest_version

    if not state_url and not (data_dir / STATE_FILE).is_file():
        return Finding("store", True, f"no state store yet at {data_dir / STATE_FILE}: `opsguard serve` creates it")
    try:
        store = open_store(data_dir=data_dir, state_url=state_url, migrate_schema=False)
    except StoreError as exc:
        return Finding("store", False, f"{exc}")
    try:
        version = _schema_version(store)
        latest = latest_version()
        if version is None:
            return Finding("store", True, f"{store.describe()} is reachable and empty: `opsguard serve` creates its "
                           "tables at start")
        if version > latest:
            return Finding("store", False, f"{store.describe()} is at schema version {version}, newer than this "
                           f"opsguard knows ({latest}): upgrade opsguard to the version the other replicas run")
        store.probe()
    except StoreError as exc:
        return Finding("store", False, f"{exc}")
    finally:
        store.close()
    later = "" if version == latest else (f"; schema version {version}: `opsguard serve` migrates it to {latest} at "
                                          "start (back it up first)")
    return Finding("store", True, f"{store.describe()} can be written{later}")


def _schema_version(store: object) -> int | None:
    """The newest migration applied, None on a store without opsguard's tables."""
    from opsguard.store import StoreError

    try:
        with store.connector.read() as session:  # type: ignore[attr-defined]
            rows = session.all("store_migrations_applied")
    except StoreError as exc:
        if "store_migrations" in str(exc):   # "no such table" / "relation ... does not exist"
            return None
        raise
    return max((int(r["version"]) for r in rows), default=None)


def check_snapshot(data_dir: Path, policy: Policy, now: datetime) -> Finding:
    """A live snapshot exists and is younger than the policy's `staleness`."""
    from lineage.sync import read_sync_info

    snapshots = SnapshotStore(data_dir)
    try:
        ref = snapshots.current()
        if ref is None:
            return Finding("snapshot", False, f"no metadata snapshot in {snapshots.dir}: run `opsguard sync` (or start "
                           "`opsguard serve`, which syncs first; until then blocking events wait)")
        info = read_sync_info(ref.path)
    except SnapshotError as exc:
        return Finding("snapshot", False, f"{exc}")
    finished = info.get("finished_at")
    if finished is None:
        return Finding("snapshot", True, f"snapshot {ref.id} has no sync time (written by hand)")
    age = max((now - finished.astimezone(UTC)).total_seconds(), 0.0)
    limit = policy.staleness.total_seconds()
    nodes = info.get("node_count")
    if age > limit:
        return Finding("snapshot", False, f"snapshot {ref.id} is {duration(age)} old, past the policy's staleness "
                       f"limit ({duration(limit)}), so every verdict says on_stale = {policy.on_stale.value}: run "
                       "`opsguard sync`, and see /readyz `last_sync` for why the scheduled refresh failed")
    return Finding("snapshot", True, f"snapshot {ref.id} ({nodes} nodes) synced {duration(age)} ago (staleness "
                   f"limit {duration(limit)})")


def check_push_auth(settings: ServerSettings, env: Mapping[str, str]) -> Finding:
    """Pushes to /events are authenticated: EventBridge's signature with a key source and the target's token."""
    from opsguard.webhook.auth import require_signed_url, signature_auth

    if settings.auth == "none":
        if is_loopback(settings.host):
            return Finding("push_auth", True, "auth = \"none\": pushes are not authenticated (loopback only)")
        return Finding("push_auth", False, f"server.auth = \"none\" on {settings.host}: anyone who reaches it can "
                       "push; set server.auth = \"signature\"")
    if settings.auth == "token":
        if not env.get(settings.token_env):
            return Finding("push_auth", False, f"server.auth = \"token\" needs the token in ${settings.token_env}, "
                           "which is not set")
        return Finding("push_auth", True, f"pushes must carry the shared token of ${settings.token_env}")
    try:
        require_signed_url(settings.public_url, settings.host)
        signature_auth(public_key_file=settings.public_key_file, key_urls=settings.key_urls,
                       fetch_timeout_seconds=settings.key_fetch_timeout_seconds,
                       max_age_seconds=settings.max_age_seconds)
    except ConfigError as exc:
        return Finding("push_auth", False, str(exc))
    variable = settings.eventbridge_token_env
    if not variable:
        return Finding("push_auth", False, "server.eventbridge_token_env is not set: any account's EventBridge rule "
                       "that targets this URL gets in. Set a token on the EventBridge target and name the variable "
                       "holding it here")
    if not env.get(variable):
        return Finding("push_auth", False, f"server.eventbridge_token_env names ${variable}, which is empty: put the "
                       "EventBridge target's token in it")
    source = (f"pinned key {settings.public_key_file}" if settings.public_key_file
              else f"keys from {', '.join(settings.key_urls)}")
    return Finding("push_auth", True, f"EventBridge signatures (v1/v2) checked with {source}; pushes must carry the "
                   f"target's token (${variable})")


def check_ui_auth(settings: ServerSettings, env: Mapping[str, str]) -> Finding:
    """Pages and APIs need credentials: the UI token is present, header mode trusts real proxies only, and
    `ui_auth = "none"` is on loopback."""
    from opsguard.http.access import AccessPolicy

    if settings.ui_auth == "none":
        if is_loopback(settings.host):
            return Finding("ui_auth", True, "ui_auth = \"none\": pages open to anyone on this machine (loopback)")
        return Finding("ui_auth", False, f"server.ui_auth = \"none\" on {settings.host}: anyone who reaches it reads "
                       "every check; set server.ui_auth = \"token\" or \"header\"")
    if settings.ui_auth == "header":
        networks = [ipaddress.ip_network(n, strict=False) for n in settings.trusted_proxies]
        if any(n in OPEN_NETWORKS for n in networks):
            return Finding("ui_auth", False, f"server.trusted_proxies trusts every address: anyone can claim to be "
                           f"any user with {settings.trusted_header}; list your SSO proxy's addresses only")
        return Finding("ui_auth", True, f"pages trust {settings.trusted_header} from "
                       f"{', '.join(settings.trusted_proxies)}")
    token = env.get(settings.ui_token_env, "")
    try:
        AccessPolicy(mode="token", token=token)
    except ValueError:
        state = "too short" if token else "not set"
        return Finding("ui_auth", False, f"server.ui_auth = \"token\" needs a token of 16+ characters in "
                       f"${settings.ui_token_env} ({state}); or set server.ui_auth = \"header\" behind an SSO proxy")
    return Finding("ui_auth", True, f"pages and APIs need the token of ${settings.ui_token_env} (or a signed View "
                   f"Details link, valid {settings.link_ttl_hours:g} h)")


