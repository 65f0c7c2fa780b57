"""How the pages name things a person reads: owners, baselines, and the nodes a check is about.

Every page and the CSV go through `owner_label` and `baseline_label`, so names (when the snapshot carries
them: a row's `owner_name` / `baseline_name`) show up everywhere at once; without a name the id is shown. The id
is not repeated beside a name: the CSV and the JSON carry it in a column of its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["owner_label", "baseline_label", "workspace_label", "nodes_headline", "HEADLINE_NAMES"]

HEADLINE_NAMES = 3
NONE = "—"


def owner_label(row: Mapping[str, Any]) -> str:
    """An owner as a person reads it: the name when the row has one, else the id.

    >>> owner_label({"owner_id": "100231"}), owner_label({"owner_id": "100231", "owner_name": "Ann Li"})
    ('100231', 'Ann Li')
    >>> owner_label({"owner_id": None})
    '—'
    """
    return _label(row.get("owner_id"), row.get("owner_name"))


def baseline_label(row: Mapping[str, Any]) -> str:
    """A baseline as a person reads it: the name when the row has one, else the id.

    >>> baseline_label({"baseline_id": 90001, "baseline_name": "trade_daily_0800"}), baseline_label({})
    ('trade_daily_0800', '—')
    """
    return _label(row.get("baseline_id"), row.get("baseline_name"))


def workspace_label(row: Mapping[str, Any]) -> str:
    """A workspace as a person reads it: the name when the row has one, else the id.

    >>> workspace_label({"project_id": 215001, "workspace_name": "dw_trade"}), workspace_label({"project_id": 7})
    ('dw_trade', '7')
    """
    return _label(row.get("project_id"), row.get("workspace_name"))


def _label(ident: Any, name: Any) -> str:
    if name:
        return str(name)
    return NONE if ident in (None, "", 0) else str(ident)


def nodes_headline(names: Sequence[str], total: int | None = None) -> str:
    """The nodes a check is about, for its page's headline: the first `HEADLINE_NAMES` of `names` and "and N
    more" for the rest of `total` (default: len(names)).

    >>> nodes_headline(["ods_a"]), nodes_headline(["ods_a", "ods_b"]), nodes_headline(["a", "b", "c"])
    ('ods_a', 'ods_a and ods_b', 'a, b and c')
    >>> nodes_headline(["a", "b", "c", "d", "e"]), nodes_headline(["a", "b", "c"], total=40)
    ('a, b, c and 2 more', 'a, b, c and 37 more')
    """
    total = len(names) if total is None else total
    shown = list(names[:HEADLINE_NAMES])
    if total > len(shown):
        return ", ".join(shown) + f" and {total - len(shown)} more"
    if len(shown) <= 1:
        return shown[0] if shown else ""
    return ", ".join(shown[:-1]) + f" and {shown[-1]}"
