"""Run history of a generated workspace: one instance per fire time per bizdate.

The run date of bizdate ``d`` is ``d + 1``; an instance fires at each fire time of its
node's cron on the run date, so hourly nodes get 24 instances a bizdate and
``00 00/30 * * * ?`` gets 48. MANUAL nodes get none. Run times are log-normal per node
(seconds to an hour); PAUSE (frozen) nodes fail at once; SKIP (dry-run) nodes succeed at
once without running; a few normal instances fail.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from sandbox.workspace_schedule import Schedules, midnight_ms

INSTANCE_ID_BASE = 900_000_000_000
_FAILURE_P = 0.008
_MIN_MS, _MAX_MS = 1_000, 3_600_000


def node_run_medians(n: int, zero_time: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Median run time per node in ms: log-normal around ~2.5 min, 1 s .. 1 h."""
    median = np.exp(rng.normal(np.log(150_000), 1.1, size=n))
    median = np.clip(median, 5_000, _MAX_MS)
    median[zero_time] = 300.0  # virtual nodes finish at once
    return median


def generate_instances(
    node_ids: list[int],
    scheduler_type: np.ndarray,
    layer: np.ndarray,
    schedules: Schedules,
    median_ms: np.ndarray,
    bizdates: list[date],
    rng: np.random.Generator,
) -> list[dict]:
    """Instance dicts for every non-MANUAL node and every bizdate, ordered by bizdate."""
    scheduled = scheduler_type != "MANUAL"
    paused = scheduler_type == "PAUSE"
    skipped = scheduler_type == "SKIP"
    out: list[dict] = []
    next_id = 0
    for bizdate in bizdates:
        run_date = bizdate + timedelta(days=1)
        counts = np.where(scheduled, schedules.fires_on(run_date), 0)
        total = int(counts.sum())
        if total == 0:
            continue
        node = np.repeat(np.arange(counts.shape[0]), counts)
        first = np.repeat(np.cumsum(counts) - counts, counts)
        j = np.arange(total) - first
        cyc = midnight_ms(run_date) + (schedules.start[node] + j * schedules.step[node]) * 60_000

        single = counts[node] == 1
        wait = rng.exponential(np.where(single, 60_000.0 * (np.maximum(layer[node], 1) + 1), 15_000.0))
        duration = median_ms[node] * np.exp(rng.normal(0.0, 0.3, size=total))
        duration = np.clip(duration, _MIN_MS, _MAX_MS)
        status = np.where(rng.random(total) < _FAILURE_P, "FAILURE", "SUCCESS").astype(object)
        at_once = paused[node] | skipped[node]
        wait[at_once] = 0.0
        duration[at_once] = rng.integers(0, 400, size=int(at_once.sum()))
        status[paused[node]] = "FAILURE"
        status[skipped[node]] = "SUCCESS"
        failed = (status == "FAILURE") & ~at_once
        duration[failed] *= rng.random(int(failed.sum()))  # failures stop part-way

        begin = cyc + wait.astype(np.int64)
        finish = begin + duration.astype(np.int64)
        ids = INSTANCE_ID_BASE + (next_id + np.arange(total)) * 3 + rng.integers(0, 3, size=total)
        next_id += total
        out.extend(_instance_dicts(node_ids, bizdate.isoformat(), node, ids, status, cyc, begin, finish))
    return out


def _instance_dicts(node_ids: list[int], bizdate: str, node: np.ndarray, ids: np.ndarray, status: np.ndarray,
                    cyc: np.ndarray, begin: np.ndarray, finish: np.ndarray) -> list[dict]:
    succ, fail = "SUCCESS", "FAILURE"  # share the two status strings across all instances
    return [
        {"InstanceId": i, "NodeId": node_ids[n], "Bizdate": bizdate, "Status": succ if s == succ else fail,
         "BeginRunningTime": b, "FinishTime": f, "CycTime": c}
        for i, n, s, b, f, c in zip(ids.tolist(), node.tolist(), status.tolist(), begin.tolist(),
                                    finish.tolist(), cyc.tolist())
    ]


def bizdate_range(end_bizdate: date, days: int) -> list[date]:
    """The ``days`` bizdates ending at ``end_bizdate``, oldest first."""
    return [end_bizdate - timedelta(days=days - 1 - k) for k in range(days)]
