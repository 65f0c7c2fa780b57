"""Loading policies: the shipped default, a TOML file or text, or an already parsed table."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from evaluator.policy._errors import PolicyError
from evaluator.policy._model import Policy
from evaluator.policy._schema import DEFAULT_DOC, build, check_order, locate, merge, validate


def default_policy() -> Policy:
    """The shipped default policy (`evaluator/default_policy.toml`).

    >>> default_policy().rule("backfill-volume").warn
    2000
    """
    return _DEFAULT


def load_policy(path: str | os.PathLike[str]) -> Policy:
    """The default policy overridden by the TOML file at `path`; `PolicyError` if it is unreadable or wrong."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(source, f"cannot read policy file: {exc}") from None
    return parse_policy(text, source)


def parse_policy(text: str, source: str = "<policy>") -> Policy:
    """A policy from TOML text (defaults for every key it does not set).

    >>> parse_policy('warn_as = "FAIL"').warn_as
    <Status.FAIL: 'FAIL'>
    >>> parse_policy('[backfill-volume]\\nwarn = 9\\nfail = 3\\n', "p.toml")
    Traceback (most recent call last):
    ...
    evaluator.policy.PolicyError: p.toml:2: backfill-volume.warn: warn (9) is above fail (3)
    """
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        line = int(match.group(1)) if match else None
        raise PolicyError(source, f"TOML syntax error: {reason}" + (f" (column {match.group(2)})" if match else ""),
                          line=line) from None
    return policy_from_mapping(doc, source, text=text)


def policy_from_mapping(doc: Mapping[str, Any], source: str = "<policy>", *, text: str | None = None) -> Policy:
    """A policy from an already parsed document (e.g. the `[policy]` table of opsguard.toml).

    >>> policy_from_mapping({"backfill-volume": {"fail": "off"}}).rule("backfill-volume").fail is None
    True
    """
    doc = dict(doc)
    projects_raw = doc.pop("projects", {})
    validate(doc, source, text=text)
    if not isinstance(projects_raw, Mapping):
        raise PolicyError(source, "must be a table of workspaces, e.g. [projects.215001]", key="projects",
                          line=locate(text, (), "projects"))
    projects: dict[int, Mapping[str, Any]] = {}
    for pid_text, override in projects_raw.items():
        pid_text = str(pid_text)
        if not re.fullmatch(r"[0-9]+", pid_text) or not isinstance(override, Mapping):
            raise PolicyError(source, "expected [projects.<workspace id>] with a numeric id", key=f"projects.{pid_text}",
                              line=locate(text, ("projects",), pid_text))
        validate(override, source, text=text, path=("projects", pid_text))
        projects[int(pid_text)] = MappingProxyType(override)
    merged = merge(DEFAULT_DOC, doc)
    policy = build(merged, MappingProxyType(projects), source)
    check_order(policy, source, text)
    for pid in projects:  # a workspace override that puts warn above fail fails now, not at evaluation
        try:
            policy.for_project(pid)
        except PolicyError as exc:
            rule = (exc.key or "").rsplit(".", 1)[0]
            path = ("projects", str(pid), rule)
            line = locate(text, path, "warn") or locate(text, path, "fail")
            raise PolicyError(source, exc.reason, key=f"projects.{pid}.{exc.key}", line=line) from None
    return policy


_DEFAULT: Policy = build(DEFAULT_DOC, MappingProxyType({}), "<default>")
