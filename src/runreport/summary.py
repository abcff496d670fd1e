"""The `summary` shape: derived facts as plain JSON-able data (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from runreport.model import ENTRY_STATUSES, Run
from runreport.problems import Problem


def run_summary(run: Run, details: bool = False, redactor: Any = None) -> dict:
    """One run as in site.md's "Hooks for tests and scripts"; entries depth-first.

    `details` adds what a CI script asks first (`summary --json --details`):
    the run's duration, its first error (message redacted by `redactor`, as
    on the site) and its entries counted by status.
    """
    shape = {
        "run_id": run.run_id,
        "composer": run.composer,
        "mode": run.mode,
        "status": run.status,
        "started_at": run.started_at,
        "ended_at": run.ended_at,
        "groups": [{"automation": g.automation, "status": g.status} for g in run.groups],
        "entries": [
            {
                "entry_id": e.entry_id,
                "name": e.name,
                "automation": e.automation,
                "status": e.status,
                "display_status": e.display_status,
                "lineage": list(e.lineage),
                "badges": list(e.badges),
            }
            for e in run.entries
        ],
    }
    if details:
        shape.update(run_details(run, redactor))
    return shape


def run_details(run: Run, redactor: Any = None) -> dict:
    """duration_ms (null while unknown), first_error (null when none) and counts."""
    from runreport.ciout import duration_seconds, first_error

    seconds = duration_seconds(run)
    error = first_error(run, redactor)
    counts = {"entries": len(run.entries), **{status: 0 for status in ENTRY_STATUSES}}
    for e in run.entries:
        counts[e.status] = counts.get(e.status, 0) + 1
    return {
        "duration_ms": None if seconds is None else round(seconds * 1000),
        "first_error": None if error is None else {
            "entry_id": error.entry_id, "step": error.step, "message": error.message, "type": error.kind},
        "counts": counts,
    }


def summary_document(runs: Iterable[Run], problems: Iterable[Problem], details: bool = False,
                     redactor: Any = None) -> dict:
    return {
        "runs": [run_summary(r, details, redactor) for r in runs],
        "problems": [p.summary_json() for p in problems],
    }


def table_rows(runs: Iterable[Run], quiet: Iterable[str] = ()) -> list[tuple[str, ...]]:
    """Rows of the readable `summary` table: status, composer, mode, start, run id.

    `quiet`: ids of running runs gone quiet (runreport.stale), whose status says so.
    """
    quiet = set(quiet)
    return [
        ("running (quiet)" if r.run_id in quiet else r.status, r.composer, r.mode, r.started_at or "-",
         str(len(r.entries)), r.run_id)
        for r in runs
    ]


def format_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)] if rows else [len(h) for h in header]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in [header, *rows]]
    return "\n".join(lines)
