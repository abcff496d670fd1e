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

from runreport.model import RunIndexRow
from runreport.site.pagedata import human_time, said
from runreport.timefmt import sort_instant

#: Runs listed under a group before "and N more".
RUNS_SHOWN = 100

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
    cause: str
    example: str  # the newest run's message, redacted
    count: int
    first_seen: str
    last_seen: str
    composers: tuple[str, ...]
    runs: tuple[FailedRun, ...]  # newest first, at most RUNS_SHOWN
    more: int  # runs beyond those


def failure_groups(rows: Sequence[RunIndexRow],
                   redact: Callable[[str], str] | None = None) -> tuple[FailureGroup, ...]:
    """Groups of failed runs by cause, the largest first (then the most recent)."""
    grouped: dict[tuple[str, str], list[tuple[RunIndexRow, object]]] = {}
    for row in rows:
        if not row.failure:
            continue
        shown = said(row, redact)
        grouped.setdefault((shown.step, cause(shown.message)), []).append((row, shown))
    ranked = []
    for (step, key), members in grouped.items():
        members.sort(key=lambda m: (sort_instant(m[0].started_at), m[0].run_id), reverse=True)
        newest, oldest = members[0][0], members[-1][0]
        group = FailureGroup(
            step=step,
            cause=key,
            example=members[0][1].message,
            count=len(members),
            first_seen=human_time(oldest.started_at),
            last_seen=human_time(newest.started_at),
            composers=tuple(sorted({r.composer for r, _ in members})),
            runs=tuple(FailedRun(r.run_id, r.composer, s.href, human_time(r.started_at))
                       for r, s in members[:RUNS_SHOWN]),
            more=max(0, len(members) - RUNS_SHOWN),
        )
        ranked.append(((-group.count, -sort_instant(newest.started_at), step, key), group))
    ranked.sort(key=lambda pair: pair[0])
    return tuple(group for _, group in ranked)
