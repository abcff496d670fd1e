"""The Failures page: every failed run's first error, grouped by cause (pure).

A cause is the failing step's name and its message with what changes from
run to run masked: ids (UUIDs, long hex), times, e-mail addresses and
numbers. An HTTP status code stays ("HTTP 502"), so calls that failed
differently stay apart. Only index rows are read (each run's first
error is in its row), so the page costs nothing per entry and changes only
when a run's first error does.
"""

from __future__ import annotations

import math
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


#: What grouping makes of a failed run, in order: its content hash, step, endpoint (masked),
#: cause, message (redacted), link, start as shown, start day (a date's ordinal) and start
#: for ordering (seconds since the epoch); None for a start that is not a time. Kept by
#: the build beside the Failures pages (see failure_groups' `known`).
Fact = list


def failure_fact(row: RunIndexRow, redact: Callable[[str], str] | None = None) -> Fact:
    """What grouping takes from a failed run's row (the costly part: redaction, masks,
    its start's times)."""
    shown = said(row, redact)
    # An HTTP failure groups by its endpoint too (ids in the path masked as in messages).
    where = row.failure.get("endpoint")
    where = cause(redact(where) if redact and isinstance(where, str) else where) if where else ""
    day = _day(row.started_at)
    at = sort_instant(row.started_at)
    return [row.content_hash, shown.step, where, cause(shown.message), shown.message, shown.href,
            human_time(row.started_at), day.toordinal() if day is not None else None,
            at if at != -math.inf else None]


def _at(fact: Fact) -> float:
    return fact[8] if fact[8] is not None else -math.inf


def failure_groups(rows: Sequence[RunIndexRow], redact: Callable[[str], str] | None = None,
                   known: dict[str, Fact] | None = None,
                   learned: dict[str, Fact] | None = None) -> tuple[FailureGroup, ...]:
    """Groups of failed runs by cause, the largest first (then the most recent).

    `known`: facts of failed runs by id from an earlier grouping with the same `redact`,
    used for a run whose content hash they name (at 100,000 runs with 11,000 failed, an
    appended failed run then costs one run's masks, not all of theirs). `learned` is
    given every failed run's fact.
    """
    grouped: dict[tuple[str, str, str], list[tuple[RunIndexRow, Fact]]] = {}
    for row in rows:
        if not row.failure:
            continue
        fact = known.get(row.run_id) if known else None
        if fact is None or len(fact) != 9 or not row.content_hash or fact[0] != row.content_hash:
            fact = failure_fact(row, redact)
        if learned is not None:
            learned[row.run_id] = fact
        grouped.setdefault((fact[1], fact[2], fact[3]), []).append((row, fact))
    last_day = max((f[7] for members in grouped.values() for _, f in members if f[7] is not None),
                   default=None)
    ranked = []
    for (step, where, key), members in grouped.items():
        members.sort(key=lambda m: (_at(m[1]), m[0].run_id), reverse=True)
        newest, oldest = members[0][1], members[-1][1]
        group = FailureGroup(
            step=step,
            endpoint=where,
            cause=key,
            example=newest[4],
            count=len(members),
            first_seen=oldest[6],
            last_seen=newest[6],
            composers=tuple(sorted({r.composer for r, _ in members})),
            runs=tuple(FailedRun(r.run_id, r.composer, fact[5], fact[6]) for r, fact in members[:RUNS_SHOWN]),
            more=max(0, len(members) - RUNS_SHOWN),
            per_day=_per_day([fact for _, fact in members], last_day),
            key=digest("\0".join((step, where, key))),
            all_runs=(tuple(FailedRun(r.run_id, r.composer, fact[5], fact[6]) for r, fact in members)
                      if len(members) > RUNS_SHOWN else ()),
        )
        ranked.append(((-group.count, -_at(newest), step, where, key), group))
    ranked.sort(key=lambda pair: pair[0])
    return tuple(group for _, group in ranked)


def _day(text: str | None):
    at = parse_instant(text)
    return at.date() if at is not None else None


def _per_day(facts: Sequence[Fact], last_day: int | None) -> tuple[int, ...]:
    """How many of these runs started on each of the SPARK_DAYS days up to `last_day`
    (dates' ordinals)."""
    if last_day is None:
        return ()
    counts = [0] * SPARK_DAYS
    for fact in facts:
        day = fact[7]
        if day is not None:
            back = last_day - day
            if 0 <= back < SPARK_DAYS:
                counts[SPARK_DAYS - 1 - back] += 1
    return tuple(counts)
