"""The Failures page: every failed run's first error, grouped by cause (pure).

A cause is the failing step's name and its message with what changes from
run to run masked: ids (UUIDs, long hex), times, e-mail addresses and
numbers. An HTTP status code stays ("HTTP 502"), so calls that failed
differently stay apart. Only index rows are read (each run's first
error is in its row), so the page costs nothing per entry and changes only
when a run's first error does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from runreport.hashing import digest
from runreport.model import RunIndexRow
from runreport.site.pagedata import human_time, said
from runreport.timefmt import parse_instant, sort_instant

#: Runs listed under a group on the Failures page; all of them are on its own pages,
#: RUNS_PER_PAGE a page (failures/<key>-<n>.html).
RUNS_SHOWN = 100
RUNS_PER_PAGE = 500
#: Days a group's sparkline covers, ending on the day of the newest failed run.
SPARK_DAYS = 14

_MASKS = (
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I), "<id>"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"), "<time>"),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "<email>"),
    (re.compile(r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b", re.I), "<id>"),
    (re.compile(r"(?<!HTTP )(?<!\d)\d+(?:[.,]\d+)*"), "<n>"),  # (an HTTP status code stays)
)


def cause(message: str) -> str:
    """`message` with what varies between runs masked; an HTTP status code is kept."""
    for pattern, mask in _MASKS:
        message = pattern.sub(mask, message)
    return message


@dataclass(frozen=True)
class FailedRun:
    run_id: str
    composer: str
    href: str  # the run page at its failing entry's message
    started_text: str


@dataclass(frozen=True)
class FailureGroup:
    step: str
    endpoint: str  # a failing HTTP call's method, host and path (ids masked); "" otherwise
    cause: str
    example: str  # the newest run's message, redacted
    count: int
    first_seen: str
    last_seen: str
    composers: tuple[str, ...]
    runs: tuple[FailedRun, ...]  # newest first, at most RUNS_SHOWN
    more: int  # runs beyond those
    per_day: tuple[int, ...] = ()  # its runs on each of the SPARK_DAYS days, oldest first
    key: str = ""  # names its pages: a digest of its step, endpoint and cause
    all_runs: tuple[FailedRun, ...] = ()  # every run, newest first (when there are more)

    def page_href(self, n: int) -> str:
        """Page n (from 1) of the group's runs."""
        return f"failures/{self.key}-{n}.html"

    @property
    def pages(self) -> int:
        return -(-len(self.all_runs) // RUNS_PER_PAGE) if self.more else 0

    @property
    def spark(self) -> list[tuple[int, int, int]]:
        """(x, y, height) of each day's bar in a 0..SPARK_DAYS*5 by 0..16 box."""
        top = max(self.per_day, default=0) or 1
        bars = []
        for day, n in enumerate(self.per_day):
            height = round(14 * n / top) if n else 0
            bars.append((day * 5, 16 - height, height))
        return bars

    @property
    def spark_label(self) -> str:
        return (f"runs per day over the last {len(self.per_day)} days, oldest first: "
                + ", ".join(str(n) for n in self.per_day))


def failure_groups(rows: Sequence[RunIndexRow],
                   redact: Callable[[str], str] | None = None) -> tuple[FailureGroup, ...]:
    """Groups of failed runs by cause, the largest first (then the most recent)."""
    grouped: dict[tuple[str, str, str], list[tuple[RunIndexRow, object]]] = {}
    for row in rows:
        if not row.failure:
            continue
        shown = said(row, redact)
        # An HTTP failure groups by its endpoint too (ids in the path masked as in messages).
        where = row.failure.get("endpoint")
        where = cause(redact(where) if redact and isinstance(where, str) else where) if where else ""
        grouped.setdefault((shown.step, where, cause(shown.message)), []).append((row, shown))
    days = [_day(r.started_at) for r in rows if r.failure]
    last_day = max((d for d in days if d is not None), default=None)
    ranked = []
    for (step, where, key), members in grouped.items():
        members.sort(key=lambda m: (sort_instant(m[0].started_at), m[0].run_id), reverse=True)
        newest, oldest = members[0][0], members[-1][0]
        group = FailureGroup(
            step=step,
            endpoint=where,
            cause=key,
            example=members[0][1].message,
            count=len(members),
            first_seen=human_time(oldest.started_at),
            last_seen=human_time(newest.started_at),
            composers=tuple(sorted({r.composer for r, _ in members})),
            runs=tuple(FailedRun(r.run_id, r.composer, s.href, human_time(r.started_at))
                       for r, s in members[:RUNS_SHOWN]),
            more=max(0, len(members) - RUNS_SHOWN),
            per_day=_per_day([r for r, _ in members], last_day),
            key=digest("\0".join((step, where, key))),
            all_runs=(tuple(FailedRun(r.run_id, r.composer, s.href, human_time(r.started_at))
                            for r, s in members) if len(members) > RUNS_SHOWN else ()),
        )
        ranked.append(((-group.count, -sort_instant(newest.started_at), step, where, key), group))
    ranked.sort(key=lambda pair: pair[0])
    return tuple(group for _, group in ranked)


def _day(text: str | None):
    at = parse_instant(text)
    return at.date() if at is not None else None


def _per_day(rows: Sequence[RunIndexRow], last_day) -> tuple[int, ...]:
    """How many of `rows` started on each of the SPARK_DAYS days up to `last_day`."""
    if last_day is None:
        return ()
    counts = [0] * SPARK_DAYS
    for r in rows:
        day = _day(r.started_at)
        if day is not None:
            back = (last_day - day).days
            if 0 <= back < SPARK_DAYS:
                counts[SPARK_DAYS - 1 - back] += 1
    return tuple(counts)
