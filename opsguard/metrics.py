"""What `GET /metrics` shows, with `prometheus_client` (one registry per server).

Counters and histograms are updated through two calls, `inc(name, **labels)` and `observe(name, value)`,
so code in a worker process can send the same calls over a queue (`RemoteMetrics`) and the server process
applies them (`Metrics.apply`): one scrape shows the whole replica. Gauges are read at scrape time.

>>> m = Metrics()
>>> m.inc("events", code="freeze-node", result="accepted")
>>> m.observe("evaluation_seconds", 0.004)
>>> 'opsguard_events_total{code="freeze-node",result="accepted"} 1.0' in m.render().decode()
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import CONTENT_TYPE_LATEST as CONTENT_TYPE

__all__ = ["Metrics", "RemoteMetrics", "CONTENT_TYPE"]

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

_COUNTERS = {
    "events": ("opsguard_events", "Messages received on POST /events by event code and what became of them "
               "(accepted, unreadable, node-change, duplicate, ignored, rejected, unavailable).", ("code", "result")),
    "verdicts": ("opsguard_verdicts", "Verdicts by event code and result (OK, WARN, FAIL).", ("code", "result")),
    "rejected": ("opsguard_rejected", "Requests refused, by HTTP status and reason.", ("status", "reason")),
    "reports": ("opsguard_reports", "UpdateWorkbenchEventResult attempts by outcome (delivered, retry, gave-up).",
                ("outcome",)),
    "report_failures": ("opsguard_report_failures", "Failed UpdateWorkbenchEventResult attempts by error code.",
                        ("code",)),
    "node_changes": ("opsguard_node_changes", "Node-change events by what the production check decided "
                     "(applied, discarded, retry).", ("outcome",)),
    "syncs": ("opsguard_syncs", "Scheduled syncs by kind and outcome.", ("kind", "outcome")),
    "pruned": ("opsguard_state_pruned_rows", "Rows dropped from the state store by table (keep_checks_days).",
               ("table",)),
    "worker_restarts": ("opsguard_worker_restarts", "Worker processes replaced after ending unexpectedly.", ()),
}
_HISTOGRAMS = {
    "evaluation_seconds": ("opsguard_evaluation_seconds", "Time to judge one event."),
    "accept_seconds": ("opsguard_accept_seconds", "POST /events handling time up to the answer."),
    "report_seconds": ("opsguard_accept_to_report_seconds", "Time from accepting an event to its delivered result."),
}


class Metrics:
    """The metrics of one server process (and, through `apply`, of its workers)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._counters = {key: Counter(name, text, labels, registry=self.registry)
                          for key, (name, text, labels) in _COUNTERS.items()}
        self._histograms = {key: Histogram(name, text, buckets=LATENCY_BUCKETS, registry=self.registry)
                            for key, (name, text) in _HISTOGRAMS.items()}

    def inc(self, name: str, amount: float = 1.0, **labels: str) -> None:
        counter = self._counters[name]
        (counter.labels(**labels) if labels else counter).inc(amount)

    def observe(self, name: str, value: float) -> None:
        self._histograms[name].observe(value)

    def value(self, name: str, **labels: str) -> float:
        """A counter's current value (tests and `/readyz`)."""
        sample = self.registry.get_sample_value(f"{_COUNTERS[name][0]}_total", labels or None)
        return sample or 0.0

    def count(self, name: str) -> int:
        """How many observations a histogram has."""
        return int(self.registry.get_sample_value(f"{_HISTOGRAMS[name][0]}_count") or 0)

    def gauge(self, name: str, help_text: str, read: Callable[[], float | None]) -> None:
        """A gauge read when scraped (None: not known yet, shown as NaN)."""
        Gauge(name, help_text, registry=self.registry).set_function(lambda: _number(read()))

    def apply(self, message: tuple[Any, ...]) -> None:
        """One call sent by `RemoteMetrics`: ("inc", name, amount, labels) or ("observe", name, value)."""
        if message[0] == "inc":
            self.inc(message[1], message[2], **message[3])
        elif message[0] == "observe":
            self.observe(message[1], message[2])

    def render(self) -> bytes:
        return generate_latest(self.registry)


class RemoteMetrics:
    """`Metrics`' `inc`/`observe` in a worker process: sent to the server process over a queue."""

    def __init__(self, queue: Any):
        self._queue = queue

    def inc(self, name: str, amount: float = 1.0, **labels: str) -> None:
        self._queue.put(("inc", name, amount, labels))

    def observe(self, name: str, value: float) -> None:
        self._queue.put(("observe", name, value))


def _number(value: float | None) -> float:
    return float("nan") if value is None else float(value)
