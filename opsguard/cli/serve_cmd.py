"""`opsguard serve`: the webhook server with its scheduled syncs, until SIGINT/SIGTERM."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer

from opsguard.cli.app import DataDirOption, JsonOption, app, fail, handle_errors, resolve_data_dir
from opsguard.config import OpsguardConfig, ServerSettings, build_policy, is_loopback
from opsguard.http.access import AccessPolicy
from opsguard.webhook.auth import Authenticator, NoAuth, TokenAuth, require_signed_url, signature_auth
from lineage.config import parse_timezone
from lineage.errors import ConfigError

__all__ = ["serve", "build_access", "build_authenticator", "build_policy", "refuse_open_doors"]

log = logging.getLogger("opsguard.serve")
ConfigOption = Annotated[Path | None, typer.Option("--config", help="opsguard.toml (default: $OPSGUARD_CONFIG, "
                                                   "else ./opsguard.toml if present).", show_default=False)]


@app.command()
@handle_errors
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (default: server.host of the config, else 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: server.port of the config, else 8080; 0 picks a free one).")] = None,
    config: ConfigOption = None,
    insecure: Annotated[bool, typer.Option("--insecure", help="Allow auth or ui_auth = \"none\" on an address "
                                           "other than loopback (anyone who reaches it can push, or read every "
                                           "page).")] = False,
    json_output: JsonOption = False,
    data_dir: DataDirOption = None,
) -> None:
    """Run the EventBridge webhook: check freeze/unfreeze/undeploy/backfill events and report to DataWorks.

    Keeps the metadata fresh with a periodic refresh sync and a nightly full sync (the schedule table).
    Credentials come from ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET or the Alibaba Cloud credential chain.
    """
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # not a line per snapshot poll
    cfg = OpsguardConfig.load(config)
    settings = cfg.server.model_copy(update={"host": host or cfg.server.host,
                                             "port": cfg.server.port if port is None else port})
    if not 0 <= settings.port <= 65535:
        fail(f"--port must be between 0 and 65535, got {settings.port}")
    if not cfg.dataworks.extension_code:
        fail("set dataworks.extension_code in opsguard.toml: UpdateWorkbenchEventResult needs the extension's code")
    directory = resolve_data_dir(data_dir or (Path(cfg.data_dir) if cfg.data_dir else None))
    from lineage.credentials import resolve_credentials
    from opsguard.http.app import create_app, listen_socket, serve_forever
    from opsguard.service import Service, ServiceOptions

    sock = listen_socket(settings.host, settings.port)   # a busy port is one line, before anything starts

    credentials = resolve_credentials()
    options = ServiceOptions(data_dir=directory, server=settings, schedule=cfg.schedule, policy=build_policy(cfg),
                             extension_code=cfg.dataworks.extension_code, tz=parse_timezone(cfg.dataworks.timezone))
    refuse_open_doors(settings, insecure)
    service = Service(options, client_factory=_result_client(cfg, settings, credentials),
                      auth=build_authenticator(settings), access=build_access(settings),
                      sync_runner=_sync_runner(cfg, directory, credentials))
    service.start()

    def started(bound: int) -> None:
        if not service.base_url:
            service.base_url = f"http://{settings.host}:{bound}"
        line: dict[str, Any] = {"event": "listening", "url": f"http://{settings.host}:{bound}",
                                "events_url": f"http://{settings.host}:{bound}/events",
                                "data_dir": str(directory), "auth": settings.auth}
        print(json.dumps(line) if json_output else f"opsguard serving on {line['url']} (POST /events, "
              f"GET /checks, /readyz, /metrics); data in {directory}", flush=True)

    try:
        serve_forever(create_app(service), settings.host, settings.port, on_started=started,
                      limit_concurrency=settings.max_concurrent_requests, sock=sock)
    finally:
        service.stop()


def refuse_open_doors(settings: ServerSettings, insecure: bool) -> None:
    """`auth` or `ui_auth` = "none" only on loopback, unless `--insecure` says it is meant (`ConfigError`)."""
    loopback = is_loopback(settings.host)
    for key, value in (("auth", settings.auth), ("ui_auth", settings.ui_auth)):
        if value == "none" and not loopback and not insecure:
            raise ConfigError(f"server.{key} = \"none\" on {settings.host}: anyone who reaches it gets in. Use it on "
                              f"127.0.0.1 only, choose another server.{key}, or pass --insecure if you mean it")


def build_access(settings: ServerSettings) -> AccessPolicy:
    """Who may read pages and APIs (`[server] ui_auth`); `ConfigError` when its token is missing or short."""
    token = os.environ.get(settings.ui_token_env, "") if settings.ui_auth == "token" else ""
    if settings.ui_auth == "token" and len(token) < 16:
        raise ConfigError(f"server.ui_auth = \"token\" needs a token of 16+ characters in ${settings.ui_token_env} "
                          f"({'too short' if token else 'not set'}); or set server.ui_auth = \"header\" behind an "
                          f"SSO proxy")
    return AccessPolicy(mode=settings.ui_auth, token=token, header=settings.trusted_header,
                        trusted_proxies=settings.trusted_proxies, metrics_open=settings.metrics_open,
                        secure_cookies=settings.public_url.startswith("https://"))


def build_authenticator(settings: ServerSettings) -> Authenticator:
    """The webhook authenticator `[server] auth` asks for; `ConfigError` when its key, key URLs, token or the
    signed URL (`public_url`, needed unless the server listens on loopback) is missing or wrong."""
    if settings.auth == "signature":
        require_signed_url(settings.public_url, settings.host)
        token = os.environ.get(settings.eventbridge_token_env, "") if settings.eventbridge_token_env else None
        if token == "":
            raise ConfigError(f"server.eventbridge_token_env names ${settings.eventbridge_token_env}, which is empty")
        if token is None:
            log.warning("server.eventbridge_token_env is not set: any EventBridge rule (any account's) that "
                        "targets this URL gets in; set the target's token and name its variable there")
        return signature_auth(public_key_file=settings.public_key_file, key_urls=settings.key_urls,
                              fetch_timeout_seconds=settings.key_fetch_timeout_seconds,
                              max_age_seconds=settings.max_age_seconds, token=token)
    if settings.auth == "token":
        token = os.environ.get(settings.token_env, "")
        if not token:
            raise ConfigError(f"server.auth = \"token\" needs the token in ${settings.token_env}")
        return TokenAuth(token)
    log.warning("server.auth = \"none\": every push is accepted unauthenticated; use only on loopback")
    return NoAuth()


def _result_client(cfg: OpsguardConfig, settings: ServerSettings, credentials: Any) -> Callable[[], Any]:
    """What builds the DataWorks client for results in the posting worker process: one HTTP attempt per
    call (the worker retries and records each)."""
    from lineage.client import DataWorksClient

    report = cfg.dataworks.model_copy(update={"max_attempts": 1, "rate_limit": settings.report_rate_limit,
                                              "concurrency": max(settings.report_workers, 1)})
    return partial(DataWorksClient, report, credentials)


def _sync_runner(cfg: OpsguardConfig, directory: Path, credentials: Any) -> Any:
    def run(full: bool) -> Any:
        from lineage.client import DataWorksClient
        from lineage.snapshots import SnapshotStore
        from lineage.sync import SyncRequest, run_sync

        request = SyncRequest(projects=cfg.sync.projects, full=full, history_days=cfg.sync.history_days,
                              extension_code=cfg.dataworks.extension_code, keep_snapshots=cfg.sync.keep_snapshots,
                              tz=parse_timezone(cfg.dataworks.timezone))
        return run_sync(DataWorksClient(cfg.dataworks, credentials), SnapshotStore(directory), request)

    return run
