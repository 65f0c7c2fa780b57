"""`opsguard doctor`: is this setup ready to guard DataWorks? One finding per check, each a line to act on.

The checks, in the order they are reported (`CHECKS`):

| check | asks |
|---|---|
| `config` | does opsguard.toml load, with an extension code and a valid policy? |
| `endpoint` | does the DataWorks endpoint answer a signed call (ListProjects, page 1)? |
| `credentials` | does DataWorks accept the credentials, and can they see the configured workspaces? |
| `clock` | is this machine's clock within the signature windows (the gateway's `Date` against ours)? |
| `extension` | does DataWorks know the extension code (GetExtension), bound to Operation Center's events, with the View Details / View Documentation URLs of this server? |
| `options` | can the extension's options be read for a workspace (GetOptionValueForProject), and are they valid? |
| `data_dir` | can the data dir be written? |
| `store` | can the state store be reached and written, at a schema this opsguard knows? |
| `snapshot` | is there a live metadata snapshot, younger than the policy's staleness limit? |
| `webhook` | does `<public_url>/healthz` answer, and is the server ready? |
| `push_auth` | are pushes authenticated (signature key or key URLs, the EventBridge target's token)? |
| `ui_auth` | are pages and APIs behind credentials (the UI token present, no open door off loopback)? |

A finding is `ok` True (green), False (something is wrong: what to do is in the message), or None (not checked,
because what it needs failed first: e.g. no `extension` check without accepted credentials). Checks only read,
apart from a file created and removed to prove the data dir writable and the store's own write probe (the row
`/readyz` writes); the store's schema is never migrated here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evaluator.policy import Policy
from opsguard.config import OpsguardConfig

__all__ = ["Finding", "Setup", "CHECKS", "diagnose", "skipped"]

CHECKS: tuple[str, ...] = ("config", "endpoint", "credentials", "clock", "extension", "options", "data_dir", "store",
                           "snapshot", "webhook", "push_auth", "ui_auth")


@dataclass(frozen=True)
class Finding:
    """One check's outcome. `ok`: True green, False wrong (the message says what to do), None not checked.

    >>> Finding("clock", False, "this machine's clock is 120 s behind DataWorks").line()
    "FAIL  clock        this machine's clock is 120 s behind DataWorks"
    """

    check: str
    ok: bool | None
    message: str

    def line(self) -> str:
        mark = {True: "ok", False: "FAIL", None: "skip"}[self.ok]
        return f"{mark:<5} {self.check:<12} {' '.join(self.message.split())}"

    def as_json(self) -> dict[str, Any]:
        return {"check": self.check, "ok": self.ok, "message": " ".join(self.message.split())}


def skipped(check: str, why: str) -> Finding:
    """A check that could not run because `why`."""
    return Finding(check, None, f"not checked: {why}")


def diagnose(config_path: str | os.PathLike[str] | None = None, *, data_dir: str | os.PathLike[str] | None = None,
             env: Mapping[str, str] | None = None, now: datetime | None = None,
             http_timeout_seconds: float = 5.0) -> list[Finding]:
    """Every check of `CHECKS` on the setup of `config_path` (as `opsguard serve` finds it), in that order.

    `data_dir` wins over the file's `data_dir` (as `--data-dir` does); `env` holds the credentials and tokens
    (default: this process's environment); `now` is the time snapshot ages are measured at.
    """
    from opsguard.doctor import local, remote

    env = os.environ if env is None else env
    now = now or datetime.now(UTC)
    config, setup = local.check_config(config_path, data_dir, env)
    if setup is None:
        return [config, *(skipped(name, "the config cannot be used") for name in CHECKS[1:])]
    state_url = setup.config.server.state_url
    if local.data_dir_usable(setup.data_dir):
        on_disk = (local.check_store(setup.data_dir, state_url), local.check_snapshot(setup.data_dir, setup.policy, now))
    else:
        why = "the data dir cannot be used"
        on_disk = (local.check_store(setup.data_dir, state_url) if state_url else skipped("store", why),
                   skipped("snapshot", why))
    found = {f.check: f for f in (config, *remote.check_dataworks(setup), local.check_data_dir(setup.data_dir),
                                  *on_disk,
                                  remote.check_webhook(setup.config.server, timeout=http_timeout_seconds),
                                  local.check_push_auth(setup.config.server, env),
                                  local.check_ui_auth(setup.config.server, env))}
    return [found[name] for name in CHECKS]


@dataclass(frozen=True)
class Setup:
    """What the checks after `config` work from: the loaded file, its policy, the data dir, the environment."""

    config: OpsguardConfig
    policy: Policy
    data_dir: Path
    env: Mapping[str, str]
