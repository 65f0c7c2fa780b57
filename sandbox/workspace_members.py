"""Workspace members of a generated workspace, as ``ListProjectMembers`` returns them.

A node's ``OwnerId`` is the user id DataWorks lists as a member's ``ProjectMemberId``, so every owner of a
workspace's nodes and baselines is one of its members, under a realistic name. The names come from their own
random stream (seeded from the workspace's seed), so adding them changed none of the workspace's other draws.

Shapes follow the documented response: ``ProjectMemberId``, ``ProjectMemberName``, ``Nick``,
``ProjectMemberType`` ("1" Alibaba Cloud account, "5" RAM user, "6" RAM role), ``Status`` ("0" normal,
"1" forbidden, "2" deleted), ``ProjectRoleList``. The first owner (the sample operator) is a RAM user named
"Li Na"; one other owner is a RAM role, which has no member name, only a nick (readers show the nick).

>>> members = draw_members({215001: ["203100000000042", "203100000000007"]}, seed=0)
>>> m = members["215001"][0]
>>> m["ProjectMemberId"], m["ProjectMemberName"], m["Nick"], m["ProjectMemberType"]
('203100000000042', 'Li Na', 'lina', '5')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["draw_members", "SAMPLE_OWNER_NAME"]

SAMPLE_OWNER_NAME = "Li Na"
_FAMILY = ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun", "Ma", "Zhu",
           "Hu", "Guo", "He", "Lin", "Gao", "Luo", "Zheng", "Liang", "Xie", "Tang", "Han", "Cao", "Deng", "Feng")
_GIVEN = ("Wei", "Fang", "Min", "Jing", "Lei", "Qiang", "Jun", "Yan", "Jie", "Tao", "Ming", "Chao", "Xiu",
          "Xia", "Ping", "Gang", "Hui", "Yu", "Hao", "Bo", "Ning", "Xin", "Lan", "Kai", "Rui", "Yun", "Peng")
_ROLES = ({"ProjectRoleId": 3, "ProjectRoleType": "0", "ProjectRoleName": "Developer",
           "ProjectRoleCode": "role_project_dev"},
          {"ProjectRoleId": 4, "ProjectRoleType": "0", "ProjectRoleName": "O&M",
           "ProjectRoleCode": "role_project_pe"})
_ROBOT_NICK = "dw_sched_robot"


def draw_members(owners_by_project: Mapping[int, Sequence[str]], seed: int) -> dict[str, list[dict]]:
    """Project id (as text, like the fixture's ``options``) → its member records, one per owner id given.

    The first owner id ever seen is the sample operator (``SAMPLE_OWNER_NAME``); the second distinct one is a
    RAM role (no name, a nick). A person has the same name in every workspace.
    """
    rng = np.random.default_rng([seed, 0x6D656D62])   # its own stream: the workspace's draws stay as they were
    people: dict[str, dict] = {}
    taken: set[str] = {SAMPLE_OWNER_NAME}
    out: dict[str, list[dict]] = {}
    for project_id, owners in owners_by_project.items():
        records = []
        for owner in owners:
            if owner not in people:
                people[owner] = _person(owner, len(people), taken, rng)
            records.append({**people[owner], "Status": "0", "ProjectRoleList": [_ROLES[len(records) % 2]]})
        out[str(project_id)] = records
    return out


def _person(owner: str, k: int, taken: set[str], rng: np.random.Generator) -> dict:
    if k == 0:
        name = SAMPLE_OWNER_NAME
    elif k == 1:
        return {"ProjectMemberId": owner, "ProjectMemberName": "", "Nick": _ROBOT_NICK, "ProjectMemberType": "6"}
    else:
        name = SAMPLE_OWNER_NAME
        while name in taken:
            name = f"{_FAMILY[int(rng.integers(len(_FAMILY)))]} {_GIVEN[int(rng.integers(len(_GIVEN)))]}"
        taken.add(name)
    return {"ProjectMemberId": owner, "ProjectMemberName": name, "Nick": name.replace(" ", "").lower(),
            "ProjectMemberType": "5"}
