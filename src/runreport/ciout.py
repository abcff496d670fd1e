"""What a CI job reads besides the site: a failure gate, JUnit XML, a Markdown job summary (pure).

Each takes derived runs (and the input's problems) and returns data or
text; the commands write it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from runreport.failure import FirstError
from runreport.failure import first_error as _first_error
from runreport.model import Run
from runreport.problems import Problem
from runreport.site.pagedata import entry_anchor, run_href
from runreport.timefmt import parse_instant

#: What `--fail-on` can match, and what each means.
GATES = {
    "failed": "failed",
    "error": "with a step error, even in a completed run",
    "rejected": "with a rejected Review",
    "running": "not finished: running or awaiting review",
    "problems": "input problems",
}
#: Run ids a gate's message names before "and N more".
GATE_NAMES_SHOWN = 5
#: Rows of the Markdown summary's table before the rest is folded away.
SUMMARY_ROWS_SHOWN = 50


def first_error(run: Run, redactor: Any = None) -> FirstError | None:
    """The run's first error (runreport.failure), its message redacted by `redactor`
    (a site.redact.Redactor) as the site would: a job summary is as public as the site."""
    return _first_error(run, None if redactor is None else redactor.value)


def _matches(run: Run, gate: str) -> bool:
    if gate == "failed":
        return run.status == "failed"
    if gate == "error":
        return run.error is not None or any(e.status == "error" for e in run.entries)
    if gate == "rejected":
        return any(e.status == "rejected" for e in run.entries)
    if gate == "running":
        return run.status in ("running", "awaiting_review")
    return False


def gate_failures(runs: Iterable[Run], problems: Sequence[Problem], gates: Sequence[str]) -> list[str]:
    """One line per gate that matched (empty: the gate passes)."""
    gates = list(dict.fromkeys(gates))
    matched = {g: [] for g in gates if g != "problems"}
    if matched:
        for run in runs:
            for gate, ids in matched.items():
                if _matches(run, gate):
                    ids.append(run.run_id)
    lines = []
    for gate in gates:
        if gate == "problems":
            if problems:
                lines.append(f"--fail-on problems: {len(problems):,} input "
                             f"problem{'' if len(problems) == 1 else 's'}")
            continue
        ids = matched[gate]
        if ids:
            shown = ", ".join(ids[:GATE_NAMES_SHOWN])
            more = f" and {len(ids) - GATE_NAMES_SHOWN:,} more" if len(ids) > GATE_NAMES_SHOWN else ""
            lines.append(f"--fail-on {gate}: {len(ids):,} run{'' if len(ids) == 1 else 's'} "
                         f"{GATES[gate]}: {shown}{more}")
    return lines


def duration_seconds(run: Run) -> float | None:
    start, end = parse_instant(run.started_at), parse_instant(run.ended_at)
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())


# --- JUnit XML -------------------------------------------------------------------------

# Characters XML 1.0 cannot hold at all (not even escaped).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _attr(text: str) -> str:
    """A quoted XML attribute value, as `xml.sax.saxutils.quoteattr` writes it (that module
    imports urllib and ssl, ~20 ms of every command's start)."""
    text = _text(text).replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    if '"' not in text:
        return f'"{text}"'
    if "'" not in text:
        return f"'{text}'"
    return '"{}"'.format(text.replace('"', "&quot;"))


def _text(text: str) -> str:
    clean = _NOT_XML.sub("\ufffd", text)
    return clean.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _seconds(value: float | None) -> str:
    return f"{value or 0.0:.3f}"


def junit_xml(runs: Iterable[Run], redactor: Any = None) -> str:
    """JUnit XML: a <testsuite> per composer, a <testcase> per run.

    A failed run, or one with a step error, is a failure (its first error
    as the message, the failing steps' lineage as the text); a run still
    running or awaiting review is skipped, with the reason; a rejected run
    passes, with a note. Each case's standard output names the mode and the
    run page's URL relative to the site, and each suite's properties the
    modes of its runs: the JUnit schema that Jenkins and GitLab read has
    properties per suite only, and standard output is what their test views
    show for a case.
    """
    by_composer: dict[str, list[Run]] = {}
    for run in runs:
        by_composer.setdefault(run.composer, []).append(run)
    suites = []
    totals = [0, 0, 0.0]  # tests, failures, time
    for composer in sorted(by_composer):
        cases, failures, skipped, total = [], 0, 0, 0.0
        for run in sorted(by_composer[composer], key=lambda r: (r.started_at or "", r.run_id)):
            seconds = duration_seconds(run)
            total += seconds or 0.0
            name = f"{run.run_id} ({run.started_at})" if run.started_at else run.run_id
            body = ['    <testcase name=' + _attr(name) + ' classname=' + _attr(composer)
                    + ' time="' + _seconds(seconds) + '">']
            error = first_error(run, redactor)
            if run.status in ("running", "awaiting_review"):
                skipped += 1
                why = "awaiting review" if run.status == "awaiting_review" else "still running"
                body.append("      <skipped message=" + _attr(f"run {why}") + "/>")
            elif run.status == "failed" or error is not None:
                failures += 1
                error = error or FirstError(None, "run", "run failed", "error")
                failing = [" › ".join(e.lineage) for e in run.entries if e.status == "error"]
                if error.entry_id is None:
                    failing.insert(0, f"run error: {error.message}")
                body.append("      <failure message=" + _attr(f"{error.step}: {error.message}")
                            + " type=" + _attr(error.kind) + ">" + _text("\n".join(failing)) + "</failure>")
            out = [f"mode: {run.mode}", f"run page: {run_href(run.run_id)}"]
            rejected = [e for e in run.entries if e.status == "rejected"]
            if rejected:
                out.append("rejected in review: " + ", ".join(" › ".join(e.lineage) for e in rejected))
            body.append("      <system-out>" + _text("\n".join(out)) + "</system-out>")
            body.append("    </testcase>")
            cases.append("\n".join(body))
        suites.append(
            "  <testsuite name=" + _attr(composer) + f' tests="{len(cases)}" failures="{failures}"'
            f' errors="0" skipped="{skipped}" time="{_seconds(total)}">\n'
            + '    <properties>\n      <property name="modes" value='
            + _attr(", ".join(sorted({r.mode for r in by_composer[composer]}))) + '/>\n    </properties>\n'
            + "\n".join(cases)
            + "\n  </testsuite>")
        totals[0] += len(cases)
        totals[1] += failures
        totals[2] += total
    # (No "skipped" total on <testsuites>: the schema has it per suite only.)
    head = (f'<testsuites name="runreport" tests="{totals[0]}" failures="{totals[1]}" errors="0"'
            f' time="{_seconds(totals[2])}">')
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + head + "\n" + "\n".join(suites) + "\n</testsuites>\n"


# --- Markdown job summary --------------------------------------------------------------

_STATUS_ORDER = ("failed", "running", "awaiting_review", "completed")
_STATUS_WORDS = {"failed": "Failed", "running": "Running", "awaiting_review": "Awaiting review",
                 "completed": "Completed"}


def _cell(text: str) -> str:
    """Text for a Markdown table cell: one line, pipes and markup characters escaped."""
    text = " ".join(text.split())
    return re.sub(r"([\\|`*_\[\]<>#])", r"\\\1", text)


def markdown_summary(runs: Sequence[Run], problems: Sequence[Problem], link_base: str | None = None,
                     redactor: Any = None) -> str:
    """A job summary: totals by status, then a table of the runs with an error, each linked.

    `link_base` makes links absolute (a hosted site); without it they are
    relative to the site folder.
    """
    counts = {s: 0 for s in _STATUS_ORDER}
    for run in runs:
        counts[run.status] = counts.get(run.status, 0) + 1
    base = (link_base.rstrip("/") + "/") if link_base else ""
    total = len(runs)
    lines = ["## runreport", "",
             f"**{total:,} run{'' if total == 1 else 's'}**: " + ", ".join(
                 f"{n:,} {_STATUS_WORDS.get(s, s).lower()}" for s, n in counts.items() if n)
             + (f"; {len(problems):,} input problem{'' if len(problems) == 1 else 's'}" if problems else ""),
             ""]
    failing = [(run, first_error(run, redactor)) for run in runs]
    failing = [(run, error) for run, error in failing if error is not None or run.status == "failed"]
    if failing:
        rows = ["| run | composer | failing step | message |", "|---|---|---|---|"]
        for run, error in failing:
            href = base + run_href(run.run_id)
            if error is not None and error.entry_id is not None:
                href += "#" + entry_anchor(error.entry_id)
            rows.append(f"| [{_cell(run.run_id)}]({href}) | {_cell(run.composer)} | "
                        f"{_cell(error.step if error else 'run')} | {_cell(error.message if error else 'run failed')} |")
        shown, rest = rows[:2 + SUMMARY_ROWS_SHOWN], rows[2 + SUMMARY_ROWS_SHOWN:]
        lines.append(f"### Runs with errors ({len(failing):,})")
        lines.append("")
        lines.extend(shown)
        if rest:
            lines += ["", f"<details><summary>{len(rest):,} more</summary>", "", *rows[:2], *rest, "",
                      "</details>"]
    else:
        lines.append("No run has an error.")
    return "\n".join(lines) + "\n"
