"""backfill-future-bizdates: bizdates today or later in the DataWorks time zone. (backfill-data)"""

from __future__ import annotations

from datetime import datetime

from evaluator.checks.derived import bizdate_today
from evaluator.checks.doc import CheckDoc
from evaluator.checks.judging import graded, is_backfill, rule_checkpoint, plural, shown_list
from evaluator.events import Backfill
from evaluator.policy import Policy, Rule
from evaluator.verdict import Checkpoint
from lineage.backfill import BizdatePeriod, listed_bizdates, merge_periods
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
    spans = [BizdatePeriod(max(p.begin, today), p.end) for p in merge_periods(event.periods) if p.end >= today]
    count = sum(p.days for p in spans)        # counted, not enumerated: the periods may span millennia
    future = listed_bizdates(spans)           # the listing is capped (LISTED_BIZDATES)
    immediate = event.start_future_instance_immediately
    facts = {"today": today, "future_bizdates": list(future), "future_bizdate_count": count,
             "future_periods": [{"begin": p.begin, "end": p.end} for p in spans], "start_immediately": immediate}
    shown = shown_list([b.isoformat() for b in future[:3]], total=count)
    if not count:
        message = f"no bizdate today ({today}) or later"
    elif immediate:
        message = (f"{plural(count, 'bizdate')} today or later ({shown}) start immediately: "
                   "they run on incomplete data")
    else:
        message = f"{plural(count, 'future bizdate')} ({shown}) wait for their scheduled time"
    return rule_checkpoint(rule, policy, event.operator, count if immediate else 0, message, facts,
                 f"{plural(count, 'future bizdate')} start immediately")
