"""Names a person reads beside the ids: workspaces, owners (workspace members) and baselines.

DataWorks identifies owners by user id (a node's `OwnerId` is a member's `ProjectMemberId`), baselines and
workspaces by number. The sync stores their names (`members`, `baselines.baseline_name`, `projects.project_name`);
this is the one place that turns an id into what a table, a tip or a page shows. The display rule: the name when
known (for a member: `ProjectMemberName`, else its `Nick`), else the id itself, so a snapshot written before
members were synced, or a sync whose member listing was refused, still reads — with ids.

>>> d = Directory(workspaces={215001: "dw_trade"}, owners={"2031": "Li Na"}, baselines={90001: "trade_sla_000"})
>>> d.owner("2031"), d.owner("2099"), d.owner(None), d.baseline(90001), d.baseline(90002), d.workspace(215001)
('Li Na', '2099', None, 'trade_sla_000', '90002', 'dw_trade')
>>> d.owner_name("2099") is None, d.owner_label("2031")
(True, 'Li Na (2031)')
>>> d.workspace_ids("dw_trade"), d.owner_ids("li na"), d.owner_ids("nobody")
([215001], ['2031'], [])
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar

__all__ = ["Directory"]

K = TypeVar("K", int, str)


@dataclass(frozen=True)
class Directory:
    """Id → name maps of one snapshot; every lookup falls back to the id (as text)."""

    workspaces: Mapping[int, str] = field(default_factory=dict)
    owners: Mapping[str, str] = field(default_factory=dict)       # member id → name (or nick)
    baselines: Mapping[int, str] = field(default_factory=dict)

    # -- the name, or None when the snapshot does not know it (for JSON: names beside ids) ----------------------
    def owner_name(self, owner_id: str | None) -> str | None:
        return self.owners.get(owner_id) if owner_id else None

    def baseline_name(self, baseline_id: int | None) -> str | None:
        return self.baselines.get(int(baseline_id)) if baseline_id is not None and baseline_id >= 0 else None

    def workspace_name(self, project_id: int | None) -> str | None:
        return self.workspaces.get(int(project_id)) if project_id is not None and project_id >= 0 else None

    # -- what a person reads: the name, else the id -------------------------------------------------------------
    def owner(self, owner_id: str | None) -> str | None:
        return self.owner_name(owner_id) or owner_id

    def baseline(self, baseline_id: int | None) -> str | None:
        return None if baseline_id is None or baseline_id < 0 else self.baseline_name(baseline_id) or str(baseline_id)

    def workspace(self, project_id: int | None) -> str | None:
        return None if project_id is None or project_id < 0 else self.workspace_name(project_id) or str(project_id)

    def owner_label(self, owner_id: str | None) -> str | None:
        """"Name (id)" when the name is known, else the id: for places where both help (candidates lists)."""
        name = self.owner_name(owner_id)
        return f"{name} ({owner_id})" if name else owner_id

    # -- back from a name a person typed: every id it may mean (exact first, else ignoring case) ---------------
    def workspace_ids(self, name: str) -> list[int]:
        return _ids_named(self.workspaces, name)

    def owner_ids(self, name: str) -> list[str]:
        return _ids_named(self.owners, name)


def _ids_named(names: Mapping[K, str], name: str) -> list[K]:
    exact = sorted(k for k, v in names.items() if v == name)
    return exact or sorted(k for k, v in names.items() if v.casefold() == name.casefold())
