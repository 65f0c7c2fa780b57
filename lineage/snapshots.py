"""Where metadata snapshots live and how one becomes the live one.

Layout: `<data-dir>/snapshots/<UTC timestamp>.duckdb`; `CURRENT` holds the live file's name and is
replaced atomically (temp file + `os.replace`), so a reader sees the old snapshot or the new one,
never half of either. A sync writes `<name>.duckdb.partial` and renames it only when complete.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from lineage.errors import SnapshotError

__all__ = ["SnapshotRef", "SnapshotStore", "connect_snapshot", "default_data_dir", "snapshot_id_of", "fsync_dir"]

SNAPSHOT_SUFFIX = ".duckdb"
PARTIAL_SUFFIX = ".duckdb.partial"


def default_data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """`--data-dir` if given, else `$OPSGUARD_HOME`, else `./.opsguard` (DESIGN.md)."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("OPSGUARD_HOME")
    return Path(env) if env else Path(".opsguard")


def snapshot_id_of(path: str | os.PathLike[str]) -> str:
    """A snapshot's id: its file name without `.duckdb` (or `.duckdb.partial`).

    >>> snapshot_id_of("snapshots/20261124T194354.687029Z.duckdb.partial")
    '20261124T194354.687029Z'
    """
    return Path(path).name.removesuffix(".partial").removesuffix(SNAPSHOT_SUFFIX)


@dataclass(frozen=True)
class SnapshotRef:
    """One published snapshot file; `id` is its file name without the suffix."""

    id: str
    path: Path


class SnapshotStore:
    """The snapshot directory of one data dir: list, create, publish, prune."""

    def __init__(self, data_dir: str | os.PathLike[str]):
        self.data_dir = Path(data_dir)
        self.dir = self.data_dir / "snapshots"
        self.current_file = self.dir / "CURRENT"

    def current(self) -> SnapshotRef | None:
        """The live snapshot, or None before the first successful sync."""
        try:
            name = self.current_file.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        path = self.dir / name
        if not name or not path.is_file():
            raise SnapshotError(f"{self.current_file} names {name!r}, which does not exist; run `opsguard sync`")
        return SnapshotRef(id=name.removesuffix(SNAPSHOT_SUFFIX), path=path)

    def require_current(self) -> SnapshotRef:
        """The live snapshot; raises `SnapshotError` telling the user to sync when there is none."""
        ref = self.current()
        if ref is None:
            raise SnapshotError(f"no metadata snapshot in {self.dir} yet; run `opsguard sync` first")
        return ref

    def get(self, snapshot_id: str) -> SnapshotRef:
        """A published snapshot by id (its timestamp name)."""
        path = self.dir / f"{snapshot_id}{SNAPSHOT_SUFFIX}"
        if not path.is_file():
            raise SnapshotError(f"no snapshot named {snapshot_id!r} in {self.dir}")
        return SnapshotRef(id=snapshot_id, path=path)

    def list(self) -> list[SnapshotRef]:
        """Published snapshot files, oldest first."""
        if not self.dir.is_dir():
            return []
        return [SnapshotRef(p.name.removesuffix(SNAPSHOT_SUFFIX), p)
                for p in sorted(self.dir.glob(f"*{SNAPSHOT_SUFFIX}"))]

    def new_partial(self, now: datetime | None = None) -> Path:
        """A fresh, unused `.partial` path named for the UTC time, for a sync to write into."""
        self.dir.mkdir(parents=True, exist_ok=True)
        stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S.%fZ")
        path = self.dir / f"{stamp}{PARTIAL_SUFFIX}"
        n = 1
        while path.exists() or path.with_name(path.name.removesuffix(".partial")).exists():
            path = self.dir / f"{stamp}-{n}{PARTIAL_SUFFIX}"
            n += 1
        return path

    def publish(self, partial: Path) -> SnapshotRef:
        """Make a completely written `.partial` file the live snapshot, atomically."""
        final = partial.with_name(partial.name.removesuffix(".partial"))
        _fsync_file(partial)
        os.replace(partial, final)
        tmp = self.current_file.with_name(f"CURRENT.{os.getpid()}.tmp")
        tmp.write_text(final.name + "\n", encoding="utf-8")
        _fsync_file(tmp)
        os.replace(tmp, self.current_file)
        fsync_dir(self.dir)
        return SnapshotRef(id=final.name.removesuffix(SNAPSHOT_SUFFIX), path=final)

    def prune(self, keep: int = 5) -> list[Path]:
        """Delete all but the newest `keep` snapshots (never the live one) and stale partial files."""
        current = self.current()
        removed: list[Path] = []
        published = self.list()
        for ref in published[:-keep] if keep > 0 else published:
            if current is None or ref.path != current.path:
                ref.path.unlink(missing_ok=True)
                removed.append(ref.path)
        newest = published[-1].path.name if published else ""
        for partial in self.dir.glob(f"*{PARTIAL_SUFFIX}"):
            # Only partials older than the newest snapshot are certainly abandoned.
            if partial.name.removesuffix(".partial") < newest:
                partial.unlink(missing_ok=True)
                removed.append(partial)
        return removed


def connect_snapshot(path: str | os.PathLike[str]) -> duckdb.DuckDBPyConnection:
    """Open a published snapshot read-only; raises `SnapshotError` if it is not a snapshot."""
    try:
        return duckdb.connect(str(path), read_only=True)
    except (duckdb.Error, OSError) as exc:
        raise SnapshotError(f"cannot open snapshot {path}: {exc}") from exc


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Make the names in directory `path` durable (a new or renamed file survives a crash)."""
    try:
        _fsync_file(path)
    except OSError:  # some filesystems refuse fsync on directories; the rename is still atomic
        pass
