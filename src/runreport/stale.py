"""Unfinished runs that went quiet: the rule the site and `summary` share (pure).

A run without `run_end` is running until its records say otherwise. When a
log stops mid-run (a crashed worker, a killed job), that run would spin as
Running forever. So a running run whose latest record is more than
`stale_after` seconds older than the newest record of the whole input is
shown as "no activity since <time>". The reference is the input's own
newest time, not the clock: the same input builds the same site, and a log
that is still being written keeps every active run fresh.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from runreport.timefmt import instant_of_us

#: Seconds without a record after which a running run is shown as gone quiet.
DEFAULT_STALE_AFTER = 3600


def newest_activity(rows: Iterable) -> datetime | None:
    """The newest time any run of the input gives (index rows: last_activity, else started_at)."""
    newest = max((r.activity_us for r in rows if r.activity_us is not None), default=None)
    return None if newest is None else instant_of_us(newest)


def stale_before(rows: Iterable, stale_after: int) -> datetime | None:
    """Runs silent since before this time are stale; None when none can be (0 turns it off)."""
    newest = newest_activity(rows)
    if newest is None or stale_after <= 0:
        return None
    return newest - timedelta(seconds=stale_after)


def is_stale(row, before: datetime | None) -> bool:
    """Whether a run is running yet silent since before `before`."""
    if before is None or row.status != "running":
        return False
    return row.activity_us is not None and instant_of_us(row.activity_us) < before
