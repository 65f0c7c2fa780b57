"""Nodes on the command line: ids or names, space- or comma-separated, resolved against the live snapshot.

One road for every command (`impact`, `--explain`, `backfill` and its `--include`/`--exclude`, `waive --node`,
`audit --node`): `LineageGraph.names` (`lineage.names.NodeNames`), the resolver of the analyst API and the pages.
A name several nodes share raises `AmbiguousNodeError` listing them (workspace and owner by name), a name no node
has `UnknownNodeNameError` with close names; `handle_errors` turns both into one line and exit 2.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from lineage.graph import LineageGraph
from lineage.graph_load import load_directory
from lineage.snapshots import SnapshotStore
from opsguard.cli.app import fail, resolve_data_dir

__all__ = ["split_refs", "resolve_refs", "resolve_one", "resolve_offline", "resolve_operator"]


def split_refs(values: Iterable[str] | str) -> list[str]:
    """The node references in arguments and comma-separated lists, blanks dropped.

    >>> split_refs(["7", "ods_a,8", " "])
    ['7', 'ods_a', '8']
    """
    items = [values] if isinstance(values, str) else list(values)
    return [text.strip() for item in items for text in item.split(",") if text.strip()]


def resolve_refs(graph: LineageGraph, values: Iterable[str] | str, what: str) -> tuple[int, ...]:
    """Node ids of the references (ids or names) in the order given; exits 2 when there are none."""
    refs = split_refs(values)
    if not refs:
        fail(f"{what}: give at least one node id or name")
    return tuple(graph.names.resolve_all(refs))


def resolve_one(graph: LineageGraph, value: str, what: str) -> int:
    """The node id of exactly one reference; exits 2 for none or several."""
    refs = split_refs(value)
    if len(refs) != 1:
        fail(f"{what}: give exactly one node id or name, got {value!r}")
    return graph.names.resolve(refs[0])


def resolve_offline(data_dir: Path | None, value: str, what: str) -> int:
    """One node for commands that need no snapshot for an id (`waive`, `audit`): digits are taken as the id;
    a name is looked up in the live snapshot (`SnapshotError`, exit 2, when there is none)."""
    text = value.strip()
    if text.isdigit():
        return int(text)
    ref = SnapshotStore(resolve_data_dir(data_dir)).require_current()
    return resolve_one(LineageGraph.from_snapshot(ref.path), text, what)


def resolve_operator(data_dir: Path | None, value: str, what: str) -> str:
    """An operator (a workspace member) by user id or by name: digits are the id; a name is looked up among the
    live snapshot's members (exit 2 when two share it); a name no member has is kept as typed (some ids are
    not digits)."""
    text = value.strip()
    if text.isdigit():
        return text
    ref = SnapshotStore(resolve_data_dir(data_dir)).current()
    ids = load_directory(ref.path).owner_ids(text) if ref else []
    if len(ids) > 1:
        fail(f"{what}: {len(ids)} members are named {text!r} ({', '.join(ids[:5])}): give the user id")
    return ids[0] if ids else text
