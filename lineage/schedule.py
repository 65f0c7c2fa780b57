"""When nodes next run: the first fire time of their cron at or after a moment, in DataWorks local time.

A cycle instance is generated per fire time of the node's cron on its *run date* (bizdate + 1 day); its
scheduled time is that fire time in the region's local time (`lineage.records.DATAWORKS_TZ`, +08:00
unless configured). Looked up day by day through `lineage.cron.fire_times` (cached per expression and
day) over at most `HORIZON_DAYS`: a yearly or quarterly cron is found, a cron that never fires is None.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo

from lineage.cron import fire_times
from lineage.errors import CronError
from lineage.records import DATAWORKS_TZ

__all__ = ["next_fire_time", "HORIZON_DAYS"]

HORIZON_DAYS = 400


def next_fire_time(expression: str | None, after: datetime, tz: tzinfo = DATAWORKS_TZ) -> datetime | None:
    """The first fire time of `expression` at or after `after`, as an aware datetime in `tz`; None when it
    has no fire time within `HORIZON_DAYS` or is not a valid DataWorks cron.

    >>> at = datetime(2026, 11, 20, 9, 0, tzinfo=DATAWORKS_TZ)
    >>> next_fire_time("00 30 05 * * ?", at).isoformat(), next_fire_time("00 15 * * * ?", at).isoformat()
    ('2026-11-21T05:30:00+08:00', '2026-11-20T09:15:00+08:00')
    >>> next_fire_time("00 05 00 * * 1", at).isoformat()     # Mondays (DataWorks weekday 1)
    '2026-11-23T00:05:00+08:00'
    """
    if expression is None:
        return None
    if after.tzinfo is None:
        raise ValueError("`after` must be an aware datetime (a time zone given)")
    local = after.astimezone(tz)
    day: date = local.date()
    try:
        for k in range(HORIZON_DAYS + 1):
            run_date = day + timedelta(days=k)
            for t in fire_times(expression, run_date):
                at = datetime.combine(run_date, t, tzinfo=tz)
                if at >= local:
                    return at
    except CronError:
        return None
    return None
