"""backfill-future-bizdates: bizdates today or later in the DataWorks time zone. (backfill-data)"""

from __future__ import annotations

from datetime import datetime

from evaluator.checks.derived import backfill_estimate, bizdate_today
from evaluator.checks.doc import CheckDoc
from evaluator.checks.judging import graded, is_backfill, judge, plural, shown_list
from evaluator.events import Backfill
from evaluator.policy import Policy, Rule
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


@graded(NAME, applies=is_backfill)
def backfill_future_bizdates(event: Backfill, graph: LineageGraph, policy: Policy,
                             now: datetime, rule: Rule) -> Checkpoint:
    """Graded on future bizdates started immediately (startFutureInstanceImmediately); waiting ones are OK."""
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
