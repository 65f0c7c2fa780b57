"""`bench/serve.py --cpus X`: a run with the bench's whole process tree held to X CPUs.

Why: on a shared virtual machine the host's speed moves between runs (the same pushes have cost
opsguard from 3.0 to 5.2 ms of CPU per event), so one run's p99s say as much about the host as about
opsguard. A cap takes a known share of the machine away: "the targets hold at 1.5 of 2 CPUs" is a
headroom figure that one command reproduces. The kernel's CFS bandwidth limit does it: this process
moves into a new cgroup with a CPU quota, and everything it starts afterwards (the server, its
workers, the pusher) is born inside. Periods are 10 ms, so a group out of quota waits a few
milliseconds, not the default 100.

Needs the cgroup `cpu` controller, v1 (`cpu.cfs_quota_us`) or v2 (`cpu.max`), and root: the group
is made at the top of the hierarchy. Anything else is a `CpuCapError` that says so.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CpuCapError", "Hierarchy", "Cap", "find_hierarchy", "cpu_cap", "PERIOD_US"]

PERIOD_US = 10_000


class CpuCapError(RuntimeError):
    """The CPU cap cannot be set up here (the message says why and what would make it work)."""


@dataclass(frozen=True)
class Hierarchy:
    """The cgroup hierarchy that holds the `cpu` controller: its mount point, version, and this process's group."""

    root: Path
    version: int        # 1 or 2
    current: str        # this process's cgroup, relative to `root` ("/" for the top)


def find_hierarchy(mounts: str, cgroups: str, v2_controllers: str = "") -> Hierarchy | None:
    """The `cpu` hierarchy from `/proc/self/mounts` and `/proc/self/cgroup` (v1 first: on a hybrid
    machine the v2 tree has no controllers); `v2_controllers` is the v2 root's `cgroup.controllers`.

    >>> find_hierarchy("cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,cpu,cpuacct 0 0\\n",
    ...                "4:cpu,cpuacct:/user.slice\\n0::/user.slice\\n")
    Hierarchy(root=PosixPath('/sys/fs/cgroup/cpu,cpuacct'), version=1, current='/user.slice')
    >>> find_hierarchy("cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\\n", "0::/\\n", "cpuset cpu io memory")
    Hierarchy(root=PosixPath('/sys/fs/cgroup'), version=2, current='/')
    >>> find_hierarchy("cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\\n", "0::/\\n", "memory pids") is None
    True
    """
    v1_root = v2_root = None
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 4:
            continue
        if fields[2] == "cgroup" and "cpu" in fields[3].split(","):
            v1_root = v1_root or Path(fields[1])
        elif fields[2] == "cgroup2":
            v2_root = v2_root or Path(fields[1])
    for line in cgroups.splitlines():
        number, _, rest = line.partition(":")
        controllers, _, path = rest.partition(":")
        if v1_root is not None and number != "0" and "cpu" in controllers.split(","):
            return Hierarchy(v1_root, 1, path or "/")
        if v1_root is None and v2_root is not None and number == "0" and "cpu" in v2_controllers.split():
            return Hierarchy(v2_root, 2, path or "/")
    return None


@dataclass(frozen=True)
class Cap:
    """A cgroup this process runs in, at `cpus` CPUs."""

    group: Path
    version: int
    cpus: float

    def throttled_seconds(self) -> float:
        """How long the group has waited out of quota so far (the kernel's `cpu.stat`)."""
        stat = dict(line.split() for line in (self.group / "cpu.stat").read_text().splitlines() if line.strip())
        if self.version == 1:
            return int(stat.get("throttled_time", 0)) / 1e9
        return int(stat.get("throttled_usec", 0)) / 1e6


def _hierarchy() -> Hierarchy:
    mounts, cgroups = Path("/proc/self/mounts"), Path("/proc/self/cgroup")
    if not mounts.exists() or not cgroups.exists():
        raise CpuCapError("--cpus needs Linux cgroups (/proc/self/mounts and /proc/self/cgroup are missing)")
    text = mounts.read_text()
    controllers = ""
    for line in text.splitlines():
        fields = line.split()
        if len(fields) > 2 and fields[2] == "cgroup2" and (Path(fields[1]) / "cgroup.controllers").exists():
            controllers = (Path(fields[1]) / "cgroup.controllers").read_text()
            break
    found = find_hierarchy(text, cgroups.read_text(), controllers)
    if found is None:
        raise CpuCapError("--cpus needs the cgroup cpu controller, and this machine has none mounted")
    return found


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text)
    except OSError as exc:
        raise CpuCapError(f"--cpus cannot write {path} ({exc.strerror}): it needs root") from None


@contextmanager
def cpu_cap(cpus: float) -> Iterator[Cap]:
    """Run the body (and every process it starts) held to `cpus` CPUs; the group is removed afterwards."""
    if cpus <= 0:
        raise CpuCapError(f"--cpus must be above 0, got {cpus:g}")
    found = _hierarchy()
    group = found.root / f"opsguard-bench-{os.getpid()}"
    quota = max(1000, round(cpus * PERIOD_US))
    try:
        group.mkdir()
    except OSError as exc:
        raise CpuCapError(f"--cpus cannot create the cgroup {group} ({exc.strerror}): it needs root") from None
    home = found.root / found.current.lstrip("/")
    try:
        if found.version == 1:
            _write(group / "cpu.cfs_period_us", str(PERIOD_US))
            _write(group / "cpu.cfs_quota_us", str(quota))
        else:
            _write(found.root / "cgroup.subtree_control", "+cpu")
            _write(group / "cpu.max", f"{quota} {PERIOD_US}")
        _write(group / "cgroup.procs", str(os.getpid()))
        yield Cap(group, found.version, cpus)
    finally:
        try:
            (home / "cgroup.procs").write_text(str(os.getpid()))
        except OSError:
            pass   # still in the group: removing it fails below and says so
        _remove(group)


def _remove(group: Path, wait: float = 10.0) -> None:
    """Remove the cgroup once the processes started in it have gone (a child may still be exiting)."""
    deadline = time.monotonic() + wait
    while True:
        try:
            group.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError as exc:
            if time.monotonic() > deadline:
                raise CpuCapError(f"the cgroup {group} could not be removed ({exc.strerror}); remove it with "
                                  f"`rmdir {group}` once its processes have ended") from None
            time.sleep(0.1)
