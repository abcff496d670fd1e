"""Insights pages: is a composer getting worse? Runs per day, success rate, durations,
its slowest steps and latest failures (pure: index rows in, page data out).

Only index rows are read (each keeps its run's times, status, first error and
its steps' longest durations), so an incremental build recomputes these pages
from what is in memory, without reading any run again, and rewrites a page
only when its numbers change. Percentiles are by nearest rank
(runreport.stats); days are UTC dates of the runs' starts.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from runreport.model import RUN_STATUSES, RunIndexRow
from runreport.site.pagedata import Said, composer_href, human_time, insights_href, run_href, said
from runreport.stats import percentile
from runreport.timefmt import seconds_text

#: Days a composer's chart and table show, ending on the day of its newest run.
DAYS_SHOWN = 30
#: Steps listed, slowest first; failures listed, newest first.
STEPS_SHOWN = 8
FAILURES_SHOWN = 10
#: Drawing units of the runs-per-day chart.
CHART_HEIGHT = 120
BAR_WIDTH = 18
BAR_GAP = 6
#: Stacking order of the chart's bars, bottom first.
STACK = ("completed", "failed", "awaiting_review", "running")


def _duration(ms: int | None) -> str:
    return "–" if ms is None else seconds_text(ms / 1000)


def _rate(completed: int, failed: int) -> str:
    return f"{100 * completed / (completed + failed):.0f} %" if completed + failed else "–"


@dataclass(frozen=True)
class Segment:
    status: str
    y: float
    height: float


@dataclass(frozen=True)
class Day:
    day: str
    counts: dict  # by run status
    runs: int
    success_rate: str  # "92 %", or "–" before any run finished
    p50: str
    p95: str
    x: float  # the chart's bar
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class SlowStep:
    step: str
    runs: int  # runs in which it ran
    p50: str
    p95: str


@dataclass(frozen=True)
class LatestFailure:
    run_id: str
    href: str
    started_text: str
    said: Said | None


@dataclass(frozen=True)
class ComposerSummary:
    """A composer's line on the Insights page."""

    composer: str
    path: str  # its insights page
    runs: int
    by_status: dict
    success_rate: str
    p50: str
    p95: str


@dataclass(frozen=True)
class ComposerInsights:
    composer: str
    path: str  # this page
    listing_href: str  # the composer's runs
    runs: int
    by_status: dict
    success_rate: str
    p50: str
    p95: str
    days: tuple[Day, ...]
    chart_width: float
    chart_height: int
    steps: tuple[SlowStep, ...]
    failures: tuple[LatestFailure, ...]


def _ms(row: RunIndexRow) -> int | None:
    # (As timefmt.seconds_between from the row's kept times: the same float, not parsed again.)
    if row.start_us is None or row.end_us is None or row.end_us < row.start_us:
        return None
    return round((row.end_us - row.start_us) / 1_000_000 * 1000)


_US_PER_DAY = 86_400_000_000
_DAY_ONE = date(1970, 1, 1).toordinal()


@lru_cache(maxsize=4096)
def _day_of(day_number: int) -> str:
    return date.fromordinal(_DAY_ONE + day_number).isoformat()


def composer_summary(composer: str, rows: Sequence[RunIndexRow]) -> ComposerSummary:
    """A composer's line on the Insights page, from its index rows (a fraction of the
    work of its page: a rebuild makes the lines of composers whose runs did not change)."""
    statuses = Counter(r.status for r in rows)
    durations = [d for d in map(_ms, rows) if d is not None]
    return ComposerSummary(
        composer=composer,
        path=insights_href(composer),
        runs=len(rows),
        by_status={s: statuses.get(s, 0) for s in RUN_STATUSES},
        success_rate=_rate(statuses["completed"], statuses["failed"]),
        p50=_duration(percentile(durations, 50)),
        p95=_duration(percentile(durations, 95)),
    )


def summary_of(c: ComposerInsights) -> ComposerSummary:
    return ComposerSummary(composer=c.composer, path=c.path, runs=c.runs, by_status=c.by_status,
                           success_rate=c.success_rate, p50=c.p50, p95=c.p95)


def composer_insights(composer: str, rows: Sequence[RunIndexRow],
                      redact: Callable[[str], str] | None = None) -> ComposerInsights:
    """The insights of one composer from its index rows (newest first)."""
    line = composer_summary(composer, rows)
    ms_of = {r.run_id: _ms(r) for r in rows}
    by_day: dict[str, list[RunIndexRow]] = defaultdict(list)
    for r in rows:
        if r.start_us is not None:  # (its UTC day)
            by_day[_day_of(r.start_us // _US_PER_DAY)].append(r)
    shown = sorted(by_day)[-DAYS_SHOWN:]
    tallest = max((len(by_day[d]) for d in shown), default=1)
    days = []
    for k, day in enumerate(shown):
        day_rows = by_day[day]
        counts = Counter(r.status for r in day_rows)
        day_ms = [d for d in (ms_of[r.run_id] for r in day_rows) if d is not None]
        x = k * (BAR_WIDTH + BAR_GAP)
        y = float(CHART_HEIGHT)
        segments = []
        for status in STACK:
            if counts[status]:
                height = round(counts[status] / tallest * (CHART_HEIGHT - 4), 2)
                y = round(y - height, 2)
                segments.append(Segment(status, y, height))
        days.append(Day(day=day, counts={s: counts.get(s, 0) for s in RUN_STATUSES}, runs=len(day_rows),
                        success_rate=_rate(counts["completed"], counts["failed"]),
                        p50=_duration(percentile(day_ms, 50)), p95=_duration(percentile(day_ms, 95)),
                        x=x, segments=tuple(segments)))
    per_step: dict[str, list[int]] = defaultdict(list)
    for r in rows:
        for step, ms in r.step_durations().items():
            per_step[step].append(ms)
    slowest = sorted(per_step.items(), key=lambda item: (-(percentile(item[1], 95) or 0), item[0]))
    failed = [r for r in rows if r.status == "failed"][:FAILURES_SHOWN]
    return ComposerInsights(
        composer=composer,
        path=line.path,
        listing_href=composer_href(composer),
        runs=line.runs,
        by_status=line.by_status,
        success_rate=line.success_rate,
        p50=line.p50,
        p95=line.p95,
        days=tuple(days),
        chart_width=max(len(days) * (BAR_WIDTH + BAR_GAP), BAR_WIDTH),
        chart_height=CHART_HEIGHT,
        steps=tuple(SlowStep(step, len(values), _duration(percentile(values, 50)),
                             _duration(percentile(values, 95))) for step, values in slowest[:STEPS_SHOWN]),
        failures=tuple(LatestFailure(r.run_id, run_href(r.run_id), human_time(r.started_at), said(r, redact))
                       for r in failed),
    )
