"""Where metadata snapshots live and how one becomes the live one.

Layout: `<data-dir>/snapshots/<UTC timestamp>.duckdb`; `CURRENT` holds the live file's name and is
replaced atomically (temp file + `os.replace`), so a reader sees the old snapshot or the new one,
never half of either. A sync writes `<name>.duckdb.partial` and renames it only when complete.

While a sync writes its partial it holds an exclusive `flock` on `<name>.duckdb.partial.lock`. The kernel
drops the lock when the process dies however it dies, so `clean_partials()` (run by every sync) removes
exactly the partial files (and DuckDB's `.wal` / `.tmp` beside them) of syncs that are gone, never those
of a sync still running in another process.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from lineage.errors import DataDirError, SnapshotError

__all__ = ["SnapshotRef", "SnapshotStore", "connect_snapshot", "default_data_dir", "snapshot_id_of", "fsync_dir"]

SNAPSHOT_SUFFIX = ".duckdb"
PARTIAL_SUFFIX = ".duckdb.partial"
LOCK_SUFFIX = ".lock"


def default_data_dir(explicit: str | os.PathLike[str] | None = None, *, check: bool = True) -> Path:
    """`--data-dir` if given, else `$OPSGUARD_HOME`, else `./.opsguard` (docs/contract.md).

    With `check` (the default) the directory must be usable as one: `DataDirError` names the file that is
    in its place (the path itself, or an ancestor), so every command says so in one line instead of
    failing later on `NotADirectoryError`. A missing directory is fine (sync and serve create it).
    `opsguard doctor` passes `check=False` and reports the problem as one of its findings.

    >>> default_data_dir("/tmp/og-data")
    PosixPath('/tmp/og-data')
    >>> default_data_dir("/dev/null/og")
    Traceback (most recent call last):
    ...
    lineage.errors.DataDirError: data dir /dev/null/og is not a directory: it lies below /dev/null, which is a file; point --data-dir (or data_dir in opsguard.toml) at a directory (a missing one is created)
    """
    env = os.environ.get("OPSGUARD_HOME")
    path, source = (Path(explicit), "data dir") if explicit else (Path(env), "$OPSGUARD_HOME") if env \
        else (Path(".opsguard"), "data dir")
    if check:
        blocker = _nearest_existing(path)
        if not blocker.is_dir():
            raise DataDirError(str(path), str(blocker), source)
    return path


def _nearest_existing(path: Path) -> Path:
    """`path`, or its nearest ancestor that exists (`Path.exists` is False below a file)."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


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
        self._locks: dict[Path, int] = {}  # partial -> fd of its held lock file

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
        """A fresh, unused `.partial` path named for the UTC time, for a sync to write into.

        The partial's lock is taken before the path is handed out and held until `publish` or `release`
        (or this process's end), so no other process's `clean_partials` takes it for abandoned.
        """
        self.dir.mkdir(parents=True, exist_ok=True)
        stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S.%fZ")
        n = 0
        while True:
            path = self.dir / f"{stamp}{'-' + str(n) if n else ''}{PARTIAL_SUFFIX}"
            n += 1
            lock = _lock_path(path)
            if path.exists() or path.with_name(path.name.removesuffix(".partial")).exists():
                continue
            try:
                fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
            except FileExistsError:
                continue
            fcntl.flock(fd, fcntl.LOCK_EX)  # a file just made exclusively: no one else holds it
            os.write(fd, f"{os.getpid()}\n".encode())
            self._locks[path] = fd
            return path

    def release(self, partial: Path) -> None:
        """Drop the lock of a partial this store handed out (after `publish`, or once it is deleted)."""
        fd = self._locks.pop(partial, None)
        if fd is not None:
            _lock_path(partial).unlink(missing_ok=True)
            os.close(fd)

    def clean_partials(self) -> list[Path]:
        """Delete the partial files of syncs that are gone (their lock is free); return what went.

        A partial without a lock file (written by an older opsguard) goes only when a newer snapshot exists.
        """
        if not self.dir.is_dir():
            return []
        removed: list[Path] = []
        published = self.list()
        newest = published[-1].path.name if published else ""
        for partial in sorted(self.dir.glob(f"*{PARTIAL_SUFFIX}*")):
            base = self.dir / (partial.name[:partial.name.index(PARTIAL_SUFFIX)] + PARTIAL_SUFFIX)
            if partial.name.endswith(LOCK_SUFFIX) or base in self._locks:
                continue
            lock = _lock_path(base)
            if lock.exists():
                removed += _remove_if_abandoned(base, lock)
            elif partial.exists() and base.name.removesuffix(".partial") < newest:
                removed += _remove(partial)
        for lock in sorted(self.dir.glob(f"*{PARTIAL_SUFFIX}{LOCK_SUFFIX}")):  # locks whose partial is gone
            base = lock.with_name(lock.name.removesuffix(LOCK_SUFFIX))
            if base not in self._locks and not base.exists():
                removed += _remove_if_abandoned(base, lock)
        return removed

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
        self.release(partial)
        return SnapshotRef(id=final.name.removesuffix(SNAPSHOT_SUFFIX), path=final)

    def prune(self, keep: int = 5) -> list[Path]:
        """Delete all but the newest `keep` snapshots (never the live one) and abandoned partial files."""
        current = self.current()
        removed: list[Path] = []
        published = self.list()
        for ref in published[:-keep] if keep > 0 else published:
            if current is None or ref.path != current.path:
                ref.path.unlink(missing_ok=True)
                removed.append(ref.path)
        removed += self.clean_partials()
        return removed


def connect_snapshot(path: str | os.PathLike[str]) -> duckdb.DuckDBPyConnection:
    """Open a published snapshot read-only; raises `SnapshotError` if it is not a snapshot."""
    try:
        return duckdb.connect(str(path), read_only=True)
    except (duckdb.Error, OSError) as exc:
        raise SnapshotError(f"cannot open snapshot {path}: {exc}") from exc


def _lock_path(partial: Path) -> Path:
    return partial.with_name(partial.name + LOCK_SUFFIX)


def _remove_if_abandoned(base: Path, lock: Path) -> list[Path]:
    """Remove `base` and its companions if `lock` can be taken (its sync is gone), then the lock file."""
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        return []
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return []  # a live sync holds it
        removed = [p for companion in sorted(base.parent.glob(f"{base.name}*"))
                   if companion != lock for p in _remove(companion)]
        lock.unlink(missing_ok=True)
        return [*removed, lock]
    finally:
        os.close(fd)


def _remove(path: Path) -> list[Path]:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
    return [path]


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
