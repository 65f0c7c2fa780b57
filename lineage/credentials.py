"""Alibaba Cloud credentials for the DataWorks API, from the environment or the SDK's default chain.

Never from files in the repo, never logged: `AccessKey.__repr__` hides the secret.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lineage.errors import CredentialsError

__all__ = ["AccessKey", "ChainCredentials", "resolve_credentials"]

ENV_ID = "ALIBABA_CLOUD_ACCESS_KEY_ID"
ENV_SECRET = "ALIBABA_CLOUD_ACCESS_KEY_SECRET"
ENV_TOKEN = "ALIBABA_CLOUD_SECURITY_TOKEN"
# Variables that tell the SDK's default chain where else to look (profile file, RAM role, OIDC).
_CHAIN_HINTS = ("ALIBABA_CLOUD_CREDENTIALS_FILE", "ALIBABA_CLOUD_PROFILE", "ALIBABA_CLOUD_ECS_METADATA",
                "ALIBABA_CLOUD_ROLE_ARN", "ALIBABA_CLOUD_OIDC_TOKEN_FILE", "ALIBABA_CLOUD_CREDENTIALS_URI")


@dataclass(frozen=True)
class AccessKey:
    """A static AccessKey pair (optionally an STS token). The secret never appears in repr or logs."""

    id: str
    secret: str = field(repr=False)
    security_token: str | None = field(default=None, repr=False)

    def sdk_config_kwargs(self) -> dict[str, Any]:
        return {"access_key_id": self.id, "access_key_secret": self.secret,
                "security_token": self.security_token}

    def describe(self) -> str:
        """A loggable description: the key id with its middle masked."""
        masked = self.id[:4] + "…" + self.id[-3:] if len(self.id) > 8 else "…"
        return f"AccessKey {masked} from the environment"


@dataclass(frozen=True)
class ChainCredentials:
    """Defer to the SDK's default credential chain (profile file, ECS RAM role, OIDC...)."""

    def sdk_config_kwargs(self) -> dict[str, Any]:
        from alibabacloud_credentials.client import Client as CredentialClient

        return {"credential": CredentialClient()}

    def describe(self) -> str:
        return "the Alibaba Cloud default credential chain"


def resolve_credentials(env: Mapping[str, str] | None = None) -> AccessKey | ChainCredentials:
    """Credentials from `ALIBABA_CLOUD_ACCESS_KEY_ID`/`_SECRET` (and `_SECURITY_TOKEN`), else the
    SDK's default chain when it has something to go on; raises `CredentialsError` saying what to set."""
    env = os.environ if env is None else env
    key_id, secret = env.get(ENV_ID, "").strip(), env.get(ENV_SECRET, "").strip()
    if key_id and secret:
        return AccessKey(key_id, secret, env.get(ENV_TOKEN) or None)
    if key_id or secret:
        missing = ENV_SECRET if key_id else ENV_ID
        raise CredentialsError(f"incomplete credentials: {missing} is not set")
    default_profile = Path.home() / ".alibabacloud" / "credentials.ini"
    if any(env.get(name) for name in _CHAIN_HINTS) or default_profile.is_file():
        return ChainCredentials()
    raise CredentialsError(
        f"no Alibaba Cloud credentials: set {ENV_ID} and {ENV_SECRET} (or configure the credential chain)")
