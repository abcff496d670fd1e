"""RFC 3339 timestamps: parsing for ordering and durations (pure)."""

from __future__ import annotations

import math
from datetime import datetime, timezone


def parse_instant(text: str | None) -> datetime | None:
    """An aware UTC datetime, or None when `text` is not a timestamp."""
    from runreport.records import parse_rfc3339

    parsed = parse_rfc3339(text) if isinstance(text, str) else None
    return parsed.astimezone(timezone.utc) if parsed else None


def sort_instant(text: str | None) -> float:
    """Seconds since the epoch for ordering; -inf for a missing or bad timestamp."""
    parsed = parse_instant(text)
    return parsed.timestamp() if parsed else -math.inf


def duration_seconds(start: str | None, end: str | None) -> float | None:
    a, b = parse_instant(start), parse_instant(end)
    if a is None or b is None:
        return None
    return (b - a).total_seconds()


def format_duration(seconds: float | None) -> str:
    """`850 ms`, `4.2 s`, `3 min 05 s`, `2 h 04 min`."""
    if seconds is None or seconds < 0:
        return ""
    if seconds < 1:
        return f"{round(seconds * 1000)} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
