"""Aggregates across runs, for scripts (`summary --json --stats`): pure, no I/O.

Per composer: runs by status, the success rate of finished runs, run
durations (p50 and p95), runs per day by status, and the slowest steps (p95
of their entries' durations); and the failures grouped by cause, as the
Failures page groups them (runreport.site.failures).

Percentiles are by nearest rank (a value that occurred); days are UTC dates
of the runs' starts; durations are in milliseconds.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from runreport.model import RUN_STATUSES, Run, RunIndexRow
from runreport.timefmt import parse_instant, seconds_between

#: Steps listed per composer, slowest first.
SLOWEST_STEPS = 5


def percentile(values: Sequence[float], p: float) -> float | None:
    """The nearest-rank `p`th percentile of `values` (None when there are none)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds * 1000)


def composer_stats(runs: Iterable[Run]) -> list[dict]:
    """One record per composer, by name."""
    by_composer: dict[str, list[Run]] = defaultdict(list)
    for run in runs:
        by_composer[run.composer].append(run)
    out = []
    for composer in sorted(by_composer):
        group = by_composer[composer]
        statuses = Counter(r.status for r in group)
        finished = statuses["completed"] + statuses["failed"]
        durations = [d for d in (seconds_between(r.started_at, r.ended_at) for r in group) if d is not None]
        days: dict[str, Counter] = defaultdict(Counter)
        for r in group:
            start = parse_instant(r.started_at)
            days[start.date().isoformat() if start else "unknown"][r.status] += 1
        steps: dict[str, list[float]] = defaultdict(list)
        for r in group:
            for e in r.entries:
                took = seconds_between(e.started_at, e.ended_at)
                if took is not None:
                    steps[e.name].append(took)
        slowest = sorted(steps.items(), key=lambda item: (-(percentile(item[1], 95) or 0), item[0]))
        out.append({
            "composer": composer,
            "runs": len(group),
            "by_status": {s: statuses.get(s, 0) for s in RUN_STATUSES},
            "success_rate": round(statuses["completed"] / finished, 4) if finished else None,
            "duration_ms": {"p50": _ms(percentile(durations, 50)), "p95": _ms(percentile(durations, 95))},
            "days": [{"day": day, **{s: days[day].get(s, 0) for s in RUN_STATUSES}} for day in sorted(days)],
            "slowest_steps": [
                {"step": name, "entries": len(values), "p50_ms": _ms(percentile(values, 50)),
                 "p95_ms": _ms(percentile(values, 95))}
                for name, values in slowest[:SLOWEST_STEPS]
            ],
        })
    return out


def failure_stats(rows: Sequence[RunIndexRow], redact: Callable[[str], str] | None = None) -> list[dict]:
    """Failed runs grouped by cause, largest group first (as on the Failures page)."""
    from runreport.site.failures import failure_groups

    return [
        {"step": g.step, "endpoint": g.endpoint or None, "cause": g.cause, "example": g.example,
         "count": g.count, "first_seen": _machine(g.first_seen), "last_seen": _machine(g.last_seen),
         "composers": list(g.composers), "runs": [r.run_id for r in g.runs]}
        for g in failure_groups(rows, redact)
    ]


def _machine(shown: str) -> str | None:
    """A time as pages show it ("2026-11-19 15:12:44 UTC") as RFC 3339, or None."""
    if not shown.endswith(" UTC") or len(shown) != len("2026-11-19 15:12:44 UTC"):
        return None
    return shown[:10] + "T" + shown[11:19] + "Z"


def stats_document(runs: Iterable[Run], rows: Sequence[RunIndexRow], redact: Any = None) -> dict:
    return {"composers": composer_stats(runs), "failures": failure_stats(rows, redact)}
