"""Per-workspace overrides from the extension's options (GetOptionValueForProject / snapshot table
`project_options`): the same keys as a `[projects.<id>]` table, nested, flat (`"rule.key"`) or aliased."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from evaluator.policy._errors import PolicyError
from evaluator.policy._schema import DEFAULT_DOC, kind


def read_extension_options(snapshot_path: str | os.PathLike[str]) -> dict[int, str]:
    """The `project_options` table of a snapshot: workspace id → options JSON string."""
    from lineage.live import read_project_options

    return read_project_options(snapshot_path)


def options_doc(options: str | Mapping[str, Any], where: str) -> Mapping[str, Any]:
    if isinstance(options, str):
        if not options.strip():
            return {}
        try:
            options = json.loads(options)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise PolicyError(where, f"not valid JSON: {getattr(exc, 'msg', exc)}") from None
    if not isinstance(options, Mapping):
        raise PolicyError(where, f"expected a JSON object, got {kind(options)}")
    # The options may hold other settings of the extension; opsguard's live under "opsguard" when nested.
    nested = options.get("opsguard")
    doc: dict[str, Any] = {}
    for key, value in (nested if isinstance(nested, Mapping) else options).items():
        key = str(key)
        if key in _OPTION_ALIASES:
            target, convert = _OPTION_ALIASES[key]
            key, value = target, convert(value)
        rule, dot, setting = key.partition(".")
        if dot and rule in DEFAULT_DOC and isinstance(DEFAULT_DOC[rule], Mapping):
            doc.setdefault(rule, {})[setting] = value   # flat form: {"backfill-volume.fail": 5000}
        elif isinstance(value, Mapping) and isinstance(doc.get(key), dict):
            doc[key].update(value)
        else:
            doc[key] = dict(value) if isinstance(value, Mapping) else value
    return doc


def _max_to_fail(value: Any) -> Any:
    """A "max allowed" count becomes the fail threshold just above it (non-numbers are left for validation)."""
    return value + 1 if isinstance(value, int) and not isinstance(value, bool) else value


_OPTION_ALIASES: dict[str, tuple[str, Any]] = {
    "warnAsFail": ("warn_as", lambda v: ("FAIL" if v else "OK") if isinstance(v, bool) else v),
    "impact.max_downstream": ("downstream-blocked.fail", _max_to_fail),
    "backfill.max_run_instances": ("backfill-volume.fail", _max_to_fail),
}

