"""backfill-future-bizdates: bizdates today or later in the DataWorks time zone. (backfill-data)"""

from __future__ import annotations

from datetime import datetime

from evaluator.checks.derived import backfill_estimate, bizdate_today
from evaluator.checks.judging import active_rule, judge, plural, shown_list
from evaluator.events import Backfill
from evaluator.policy import Policy
from evaluator.verdict import Checkpoint
from lineage.graph import LineageGraph

NAME = "backfill-future-bizdates"


def backfill_future_bizdates(event: object, graph: LineageGraph, policy: Policy,
                             now: datetime) -> Checkpoint | None:
    """Graded on future bizdates started immediately (startFutureInstanceImmediately); waiting ones are OK."""
    if not isinstance(event, Backfill):
        return None
    rule = active_rule(policy, NAME)
    if rule is None:
        return None
    today = bizdate_today(now, policy)
    future = [b for b in backfill_estimate(event, graph, policy).bizdates if b >= today]
    immediate = event.start_future_instance_immediately
    facts = {"today": today, "future_bizdates": future, "start_immediately": immediate}
    shown = shown_list([b.isoformat() for b in future])
    if not future:
        message = f"no bizdate today ({today}) or later"
    elif immediate:
        message = (f"{plural(len(future), 'bizdate')} today or later ({shown}) start immediately: "
                   "they run on incomplete data")
    else:
        message = f"{plural(len(future), 'future bizdate')} ({shown}) wait for their scheduled time"
    return judge(rule, policy, event.operator, len(future) if immediate else 0, message, facts,
                 f"{plural(len(future), 'future bizdate')} start immediately")
