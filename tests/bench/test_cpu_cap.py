"""bench/cpu_cap.py: `bench/serve.py --cpus X` holds the bench's process tree to X CPUs."""

from __future__ import annotations

import doctest
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest


def test_doctests(bench_module):
    result = doctest.testmod(bench_module("cpu_cap"))
    assert result.attempted > 0 and result.failed == 0


def test_a_hybrid_machine_uses_the_v1_cpu_hierarchy_and_returns_to_its_own_group(bench_module):
    cap = bench_module("cpu_cap")
    mounts = ("tmpfs /sys/fs/cgroup tmpfs rw 0 0\n"
              "cgroup /sys/fs/cgroup/cpuacct cgroup rw,relatime,cpuacct 0 0\n"
              "cgroup /sys/fs/cgroup/cpu cgroup rw,relatime,cpu 0 0\n"
              "cgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\n")
    cgroups = "3:cpuacct:/\n1:cpu:/ci/job-7\n0::/\n"
    assert cap.find_hierarchy(mounts, cgroups, "") == cap.Hierarchy(Path("/sys/fs/cgroup/cpu"), 1, "/ci/job-7")
    assert cap.find_hierarchy("cgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0\n", "2:memory:/\n") is None


def test_a_capped_process_gets_its_share_of_cpu_and_the_group_is_removed_after(bench_dir):
    """Two threads spinning for 1 s of wall time get ~2 s of CPU on two CPUs; held to 0.3 CPUs, ~0.3 s."""
    script = textwrap.dedent("""
        import json, os, sys, threading, time
        sys.path.insert(0, sys.argv[1])
        from cpu_cap import CpuCapError, cpu_cap

        def spin():
            end = time.monotonic() + 1.0
            while time.monotonic() < end:
                pass

        try:
            with cpu_cap(0.3) as cap:
                group = cap.group
                before = time.process_time()
                threads = [threading.Thread(target=spin) for _ in range(2)]
                for t in threads: t.start()
                for t in threads: t.join()
                used, throttled = time.process_time() - before, cap.throttled_seconds()
                inside = (group / "cgroup.procs").read_text().split()
        except CpuCapError as exc:
            print(json.dumps({"unavailable": str(exc)}))
            sys.exit(0)
        print(json.dumps({"cpu": used, "throttled": throttled, "inside": str(os.getpid()) in inside,
                          "group_left": group.exists()}))
    """)
    out = subprocess.run([sys.executable, "-c", script, str(bench_dir)], capture_output=True, text=True, timeout=60,
                         check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if "unavailable" in result:
        pytest.skip(f"this machine cannot cap CPU: {result['unavailable']}")
    assert result["inside"] and not result["group_left"]
    assert result["throttled"] > 0.5
    assert result["cpu"] < 0.6, result   # uncapped it would be ~2 s (1 s on a one-CPU machine)


def test_serve_refuses_a_cap_of_zero(bench_dir):
    out = subprocess.run([sys.executable, str(bench_dir / "serve.py"), "--cpus", "0"], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 2 and "--cpus must be above 0" in out.stderr
