"""The `summary` shape: derived facts as plain JSON-able data (pure)."""

from __future__ import annotations

from collections.abc import Iterable

from runreport.model import Run
from runreport.problems import Problem


def run_summary(run: Run) -> dict:
    """One run as in site.md's "Hooks for tests and scripts"; entries depth-first."""
    return {
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


def summary_document(runs: Iterable[Run], problems: Iterable[Problem]) -> dict:
    return {
        "runs": [run_summary(r) for r in runs],
        "problems": [p.to_json() for p in problems],
    }


def table_rows(runs: Iterable[Run]) -> list[tuple[str, ...]]:
    """Rows of the readable `summary` table: status, composer, mode, start, run id."""
    return [
        (r.status, r.composer, r.mode, r.started_at or "-", str(len(r.entries)), r.run_id)
        for r in runs
    ]


def format_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)] if rows else [len(h) for h in header]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in [header, *rows]]
    return "\n".join(lines)
