"""`GET /checks/{message_id}/nodes.csv`: every node of a check's node table, past the page's display cap.

One row per node: for a freeze, unfreeze or undeploy the changed nodes (depth 0) and every descendant; for
a backfill the selected nodes, then the downstream left stale (`part` says which). Owners and baselines go
through the same `opsguard.pages.labels` functions as the page, beside their ids.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

from opsguard.pages.labels import baseline_label, owner_label

__all__ = ["COLUMNS", "nodes_csv"]

COLUMNS = ("part", "node_id", "node_name", "depth", "workspace", "owner_id", "owner", "priority", "baseline_id",
           "baseline", "scheduler_type", "via_node_id", "via_name")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def nodes_csv(nodes: Mapping[str, Any]) -> str:
    """The CSV text of a check view's `nodes` (computed with no row cap).

    >>> print(nodes_csv({"kind": "impact", "rows": [{"node_id": 1, "name": "=ods_a", "depth": 0, "owner_id": "7"}]}))
    part,node_id,node_name,depth,workspace,owner_id,owner,priority,baseline_id,baseline,scheduler_type,via_node_id,via_name
    changed,1,'=ods_a,0,,7,7,,,,,,
    <BLANKLINE>
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    if nodes.get("kind") == "backfill":
        parts: Iterable[tuple[str, Mapping[str, Any]]] = [
            *(("dry-run" if r.get("dry_run") else "selected", r) for r in nodes.get("rows", ())),
            *(("left-stale", r) for r in nodes.get("stale_rows", ()))]
    else:
        parts = (("changed" if not r.get("depth") else "downstream", r) for r in nodes.get("rows", ()))
    for part, r in parts:
        writer.writerow([part, r["node_id"], _cell(r.get("name")), _cell(r.get("depth")), _cell(r.get("project_id")),
                         _cell(r.get("owner_id")), _cell(_or_blank(owner_label(r))), _cell(r.get("priority")),
                         _cell(r.get("baseline_id")), _cell(_or_blank(baseline_label(r))),
                         _cell(r.get("scheduler_type")), _cell(r.get("via")), _cell(r.get("via_name"))])
    return out.getvalue()


def _or_blank(label: str) -> str:
    return "" if label == "—" else label


def _cell(value: Any) -> Any:
    """A value as a spreadsheet should read it: text starting like a formula is quoted (never run)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value
