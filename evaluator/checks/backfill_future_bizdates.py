"""backfill-future-bizdates: bizdates today or later in the DataWorks time zone. (backfill-data)"""

from __future__ import annotations

from datetime import datetime

from evaluator.checks.derived import backfill_estimate, bizdate_today
from evaluator.checks.doc import CheckDoc
from evaluator.checks.judging import active_rule, judge, plural, shown_list
from evaluator.events import Backfill
from evaluator.policy import Policy
from evaluator.verdict import Checkpoint
from lineage.graph import LineageGraph

NAME = "backfill-future-bizdates"
DOC = CheckDoc(
    title="future bizdates started now",
    events=("backfill-data",),
    unit="future bizdates started immediately",
    settings=("timezone",),
    measures="Bizdates of today or later (in the DataWorks region's time zone) when \"start future instances "
             "immediately\" is on; 0 when they wait for their scheduled time.",
    why="Today's bizdate has no complete input yet: started now, these instances compute from partial data "
        "and collide with the regular instance that runs later.",
    to_pass=("End the period at yesterday's bizdate.",
             "Or turn off \"start future instances immediately\" so they wait for their time."),
)


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
