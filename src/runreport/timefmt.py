"""RFC 3339 timestamps: one parser (the records check's) for ordering, times and durations (pure)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from functools import lru_cache


def parse_instant(text: str | None) -> datetime | None:
    """An aware UTC datetime, or None when `text` is not a timestamp."""
    return _instant(text) if isinstance(text, str) else None


# (A build asks for the same times again: index order, listings, quiet runs, insights,
# durations. 65,536 holds a rebuild's run times up to ~20,000 runs: ~15 MB at most.)
@lru_cache(maxsize=65536)
def _instant(text: str) -> datetime | None:
    from runreport.records import parse_rfc3339

    parsed = parse_rfc3339(text)
    return parsed.astimezone(timezone.utc) if parsed else None


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)


def epoch_us(text: str | None) -> int | None:
    """Microseconds since the epoch (exact: what `parse_instant` gives), None when `text`
    is not a timestamp."""
    parsed = parse_instant(text)
    return None if parsed is None else (parsed - _EPOCH) // _MICROSECOND


def instant_of_us(us: int) -> datetime:
    """The aware UTC datetime of `epoch_us`'s number."""
    return _EPOCH + us * _MICROSECOND


def sort_instant(text: str | None) -> float:
    """Seconds since the epoch for ordering; -inf for a missing or bad timestamp."""
    parsed = parse_instant(text)
    return parsed.timestamp() if parsed else -math.inf


def duration_text(start: str | None, end: str | None) -> str | None:
    """How long from `start` to `end` as pages show it (`4.2 s`, `3 min 5 s`, `2 h 4 min`)."""
    seconds = seconds_between(start, end)
    return None if seconds is None else seconds_text(seconds)


def seconds_between(start: str | None, end: str | None) -> float | None:
    """Seconds from `start` to `end` (timestamps as logged); None when either is not one,
    or `end` comes first."""
    a, b = parse_instant(start), parse_instant(end)
    if a is None or b is None or b < a:
        return None
    return (b - a).total_seconds()


def seconds_text(seconds: float) -> str:
    """A number of seconds as pages show a duration (`4.2 s`, `3 min 5 s`, `2 h 4 min`)."""
    if seconds < 10:
        return f"{seconds:.1f} s".replace(".0 s", " s")
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    if h:
        return f"{h} h {m} min"
    return f"{m} min {s} s" if m else f"{s} s"
