"""Prometheus metrics of the server, rendered in the text exposition format (version 0.0.4).

Small on purpose: labelled counters, a histogram and gauges read at scrape time, all thread-safe.

>>> m = Metrics()
>>> m.events.inc(code="freeze-node", result="accepted")
>>> m.evaluation_seconds.observe(0.004)
>>> "opsguard_events_total{code=\\"freeze-node\\",result=\\"accepted\\"} 1" in m.render()
True
"""

from __future__ import annotations

import bisect
import math
import threading
from collections.abc import Callable, Sequence

__all__ = ["Counter", "Histogram", "Gauge", "Metrics", "CONTENT_TYPE"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(names: Sequence[str], values: Sequence[str], extra: str = "") -> str:
    parts = [f'{n}="{_escape(v)}"' for n, v in zip(names, values, strict=True)]
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}" if parts else ""


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


class Counter:
    """A monotonically increasing count per label set."""

    def __init__(self, name: str, help_text: str, labels: Sequence[str] = ()):
        self.name, self.help, self.labels = name, help_text, tuple(labels)
        self._values: dict[tuple[str, ...], float] = {}
        self._lock = threading.Lock()

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        key = tuple(str(labels[n]) for n in self.labels)
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount

    def value(self, **labels: str) -> float:
        return self._values.get(tuple(str(labels[n]) for n in self.labels), 0.0)

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} counter"]
        with self._lock:
            items = sorted(self._values.items())
        lines += [f"{self.name}{_labels(self.labels, k)} {_number(v)}" for k, v in items]
        return lines


class Histogram:
    """Observations in cumulative buckets (seconds), with `_sum` and `_count`."""

    def __init__(self, name: str, help_text: str, buckets: Sequence[float] = LATENCY_BUCKETS):
        self.name, self.help = name, help_text
        self.buckets = tuple(sorted(buckets))
        self._counts = [0] * (len(self.buckets) + 1)
        self._sum = 0.0
        self._lock = threading.Lock()

    def observe(self, value: float) -> None:
        i = bisect.bisect_left(self.buckets, value)
        with self._lock:
            self._counts[i] += 1
            self._sum += value

    @property
    def count(self) -> int:
        return sum(self._counts)

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} histogram"]
        with self._lock:
            counts, total = list(self._counts), self._sum
        running = 0
        for bound, count in zip((*self.buckets, math.inf), counts, strict=True):
            running += count
            lines.append(f'{self.name}_bucket{{le="{_number(bound)}"}} {running}')
        lines += [f"{self.name}_sum {_number(total)}", f"{self.name}_count {running}"]
        return lines


class Gauge:
    """A value read when scraped (None = not known yet: the sample is left out)."""

    def __init__(self, name: str, help_text: str, read: Callable[[], float | None]):
        self.name, self.help, self._read = name, help_text, read

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} gauge"]
        value = self._read()
        if value is not None:
            lines.append(f"{self.name} {_number(value)}")
        return lines


class Metrics:
    """Everything `GET /metrics` shows. Gauges are attached by the service with `gauge(...)`."""

    def __init__(self) -> None:
        self.events = Counter("opsguard_events_total",
                              "Messages received on POST /events by event code and what became of them "
                              "(accepted, duplicate, recheck, applied, ignored, rejected).", ("code", "result"))
        self.verdicts = Counter("opsguard_verdicts_total", "Verdicts by event code and result (OK, WARN, FAIL).",
                                ("code", "result"))
        self.rejected = Counter("opsguard_rejected_total", "Requests refused, by HTTP status and reason.",
                                ("status", "reason"))
        self.reports = Counter("opsguard_reports_total",
                               "UpdateWorkbenchEventResult attempts by outcome (delivered, retry, gave-up).",
                               ("outcome",))
        self.report_failures = Counter("opsguard_report_failures_total",
                                       "Failed UpdateWorkbenchEventResult attempts by error code.", ("code",))
        self.syncs = Counter("opsguard_syncs_total", "Scheduled syncs by kind and outcome.", ("kind", "outcome"))
        self.pruned = Counter("opsguard_state_pruned_rows_total",
                              "Rows dropped from the state database by table (server.keep_checks_days).",
                              ("table",))
        self.evaluation_seconds = Histogram("opsguard_evaluation_seconds", "Time to evaluate one event.")
        self.accept_seconds = Histogram("opsguard_accept_seconds", "POST /events handling time up to the answer.")
        self.report_seconds = Histogram("opsguard_accept_to_report_seconds",
                                        "Time from accepting an event to its delivered result.")
        self.journal_sync_seconds = Histogram("opsguard_journal_sync_seconds",
                                              "Time to write and fdatasync one group of new events to the accept "
                                              "journal (their answers wait for it).")
        self._gauges: list[Gauge] = []

    def gauge(self, name: str, help_text: str, read: Callable[[], float | None]) -> None:
        """Add a gauge read at scrape time."""
        self._gauges.append(Gauge(name, help_text, read))

    def render(self) -> str:
        lines: list[str] = []
        # every counter and histogram attribute, in the order __init__ made them, then the gauges
        fixed = [m for m in vars(self).values() if isinstance(m, (Counter, Histogram))]
        for metric in (*fixed, *self._gauges):
            lines += metric.render()
        return "\n".join(lines) + "\n"
