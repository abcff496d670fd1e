"""The derived model: what every consumer (summary, site, library, bench) reads.

These dataclasses are produced by :mod:`runreport.derive` from merged run
state and contain only plain JSON-able values plus other model objects. They
carry no behaviour beyond small read-only conveniences, and no I/O happens
here.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import orjson

from runreport.failure import first_error, first_rejection
from runreport.jsontext import plain
from runreport.timefmt import epoch_us, parse_instant, seconds_between

# --- statuses -------------------------------------------------------------
# One small shared vocabulary. The JavaScript of the site uses the same
# strings (assets/runreport.js reads them from data-status attributes).

ENTRY_STATUSES = ("running", "success", "error", "rejected", "skipped", "unknown")
RUN_STATUSES = ("running", "awaiting_review", "completed", "failed")
GROUP_STATUSES = ("running", "error", "rejected", "skipped", "success")
MODES = ("test", "live", "unknown")

#: Status aliases accepted on input, normalised to the canonical name.
STATUS_ALIASES = {
    "succeeded": "success",
    "ok": "success",
    "completed": "success",
    "failed": "error",
    "failure": "error",
    "pending": "running",
    "in_progress": "running",
    "waiting": "running",
    "skip": "skipped",
}

#: Placeholder composer of a run whose `run` record never arrived.
UNKNOWN_COMPOSER = "(unknown composer)"

#: Names of the data sections of an entry, in display order, with labels.
SECTION_LABELS = {
    "input": "Step Input",
    "output": "Step Output",
    "error": "Error",
    "iteration": "Iteration Data",
}


@dataclass(slots=True, eq=False)
class Section:
    """One data section of an entry (Step Input, Step Output, Error, Iteration Data)."""

    key: str  # one of SECTION_LABELS
    held: Any  # the JSON value shown (already routed, e.g. an HTTP 4xx response), or its RawJSON

    @property
    def value(self) -> Any:
        """The JSON value shown (a RawJSON's is parsed on first use)."""
        return plain(self.held)

    @property
    def label(self) -> str:
        return SECTION_LABELS[self.key]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Section) and (self.key, self.value) == (other.key, other.value)

    __hash__ = None  # type: ignore[assignment]


class Lineage(Sequence):
    """Names (or ids) from the root ancestor down to one entry, sharing its parent's.

    An entry's lineage is its parent's plus itself, so each is one link: a
    chain of 10,000 entries, each nested in the last, holds 10,000 links
    rather than 50 million names. Reads like the tuple it stands for.
    """

    __slots__ = ("last", "up", "root", "_length")

    def __init__(self, last: str, up: "Lineage | None" = None) -> None:
        self.last = last
        self.up = up
        self.root = up.root if up is not None else last
        self._length = 1 + (up._length if up is not None else 0)

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[str]:
        items = []
        node: Lineage | None = self
        while node is not None:
            items.append(node.last)
            node = node.up
        return reversed(items)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return tuple(self)[index]
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError("lineage index out of range")
        if index == 0:
            return self.root
        node = self
        for _ in range(self._length - 1 - index):  # (near the end: a few steps up)
            node = node.up
        return node.last

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (Lineage, tuple, list)):
            return tuple(self) == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"Lineage({tuple(self)!r})"


@dataclass(slots=True)
class Entry:
    """One log entry (one execution of a step) after merge and derivation."""

    entry_id: str
    name: str
    kind: str | None
    automation: str  # effective group name
    step_id: str | None
    parent_id: str | None  # resolved parent (None when top level, also after a bad parent)
    status: str  # own status, one of ENTRY_STATUSES
    display_status: str  # what the icon shows (rolls up running/error of descendants)
    depth: int  # 0 for top level
    lineage: Sequence[str]  # names from the root ancestor down to this entry (a Lineage)
    lineage_ids: Sequence[str]  # entry ids matching `lineage`
    badges: tuple[str, ...]  # "iteration N", "page N"
    iteration_index: int | None
    page: int | None
    started_at: str | None
    ended_at: str | None
    summary: tuple[tuple[str, Any], ...]  # (label, scalar) rows in display order
    sections: tuple[Section, ...]  # present sections in display order
    review: dict | None
    http_status: int | None
    children: tuple[str, ...]  # child entry ids in display order
    flagged: bool  # still running after its run ended
    raw: dict  # every merged field of the entry as logged (Raw view), unknown fields included

    def section(self, key: str) -> Section | None:
        for s in self.sections:
            if s.key == key:
                return s
        return None


@dataclass(slots=True)
class Group:
    """One automation group: a node of the run page's timeline."""

    automation: str
    status: str  # one of GROUP_STATUSES
    entry_ids: tuple[str, ...]  # every entry shown in the group, display order, depth first


@dataclass(slots=True)
class Run:
    """One run of a composer, fully derived."""

    run_id: str
    composer: str
    composer_id: str | None
    mode: str  # one of MODES
    started_at: str | None  # as logged (RFC 3339)
    ended_at: str | None
    status: str  # one of RUN_STATUSES
    error: Any  # run-level error (object or string) or None
    trigger: Any
    meta: Any
    groups: tuple[Group, ...]
    entries: tuple[Entry, ...]  # display order, depth first
    known: bool  # False when no `run` record arrived (placeholder composer)
    # Fields of its `run` and `run_end` records the format does not define, as logged
    # (shown as the run's "Other fields"); {} when there are none.
    other_fields: dict = field(default_factory=dict)

    @property
    def entries_by_id(self) -> dict[str, Entry]:
        return {e.entry_id: e for e in self.entries}


#: The default of a row's times: "work them out from the timestamps".
_FILLED_IN: Any = object()


@dataclass(slots=True)
class RunIndexRow:
    """The small facts of a run every listing needs, kept in memory for all runs."""

    run_id: str
    composer: str
    composer_id: str | None
    mode: str
    status: str
    started_at: str | None
    ended_at: str | None
    entry_count: int
    has_error: bool  # some entry's own status is "error", or the run has its own error
    has_rejected: bool  # some entry's own status is "rejected"
    # What the run's card says went wrong, as logged (the site redacts it when showing it):
    # {"entry_id" (None: the run's own error), "step", "badges", "message"}; None when nothing did.
    failure: dict | None = None
    rejection: dict | None = None  # the same for its first rejected review
    # Its distinct step names in display order (at most MAX_STEP_NAMES), for search, and
    # their longest durations in milliseconds by name, for the insights pages' slowest
    # steps without reading the run again: one JSON text `[names, {name: ms}]` (see
    # step_names and step_durations). Only search blocks and the insights of composers
    # whose runs changed read it, while a rebuild parses every stored row: one string
    # costs a third of the parse of a list and a dict for each run.
    step_detail: str | None = None
    # The latest time any of its records gives (as logged): how long an unfinished run has
    # been silent, against the newest time of the whole input (see runreport.stale).
    last_activity: str | None = None
    # Microseconds since the epoch of started_at, of ended_at, and of the latest activity
    # (last_activity, else started_at); None when not a timestamp. Kept with the row (the
    # store writes them): a rebuild orders, ages and charts every run without parsing its
    # times again (~4 µs a timestamp, three per run). Filled in when not given.
    start_us: int | None = _FILLED_IN
    end_us: int | None = _FILLED_IN
    activity_us: int | None = _FILLED_IN
    # The run's content hash (runreport.store: its records as read), set beside the row by
    # whoever read the run and not kept with it (not in ROW_FIELDS): what stands for the
    # row in the keys of listing pages, a rebuild's 100,000 of them. "" when not known.
    content_hash: str = field(default="", compare=False, repr=False)

    def step_names(self) -> list[str]:
        return orjson.loads(self.step_detail)[0] if self.step_detail else []

    def step_durations(self) -> dict[str, int]:
        return orjson.loads(self.step_detail)[1] if self.step_detail else {}

    def __post_init__(self) -> None:
        if self.start_us is _FILLED_IN:
            self.start_us = epoch_us(self.started_at)
        if self.end_us is _FILLED_IN:
            self.end_us = epoch_us(self.ended_at)
        if self.activity_us is _FILLED_IN:
            self.activity_us = epoch_us(self.last_activity or self.started_at)


#: Step names an index row keeps for search (a run of thousands of entries repeats a few).
MAX_STEP_NAMES = 100


def _said(found: Any) -> dict | None:
    if found is None:
        return None
    said = {"entry_id": found.entry_id, "step": found.step, "badges": list(found.badges),
            "message": found.message}
    if found.endpoint:
        said["endpoint"] = found.endpoint
    return said


#: An index row's fields in order: the store keeps a row as their values, a list (no keys
#: to parse for each of 10,000 rows, and a positional call to make the row again).
ROW_FIELDS = tuple(f.name for f in fields(RunIndexRow) if f.name != "content_hash")


def row_values(row: RunIndexRow) -> tuple:
    """The row as the store keeps it (`RunIndexRow(*values)` makes it again)."""
    return tuple([getattr(row, name) for name in ROW_FIELDS])


def index_row(run: Run) -> RunIndexRow:
    """The index row of a derived run."""
    return RunIndexRow(
        run_id=run.run_id,
        composer=run.composer,
        composer_id=run.composer_id,
        mode=run.mode,
        status=run.status,
        started_at=run.started_at,
        ended_at=run.ended_at,
        entry_count=len(run.entries),
        has_error=run.error is not None or any(e.status == "error" for e in run.entries),
        has_rejected=any(e.status == "rejected" for e in run.entries),
        failure=_said(first_error(run)),
        rejection=_said(first_rejection(run)),
        step_detail=orjson.dumps([_step_names(run), _step_ms(run)]).decode(),
        last_activity=_last_activity(run),
    )


def _step_ms(run: Run) -> dict[str, int]:
    longest: dict[str, int] = {}
    for e in run.entries:
        seconds = seconds_between(e.started_at, e.ended_at)
        if seconds is None:
            continue
        ms = round(seconds * 1000)
        if e.name in longest:
            longest[e.name] = max(longest[e.name], ms)
        elif len(longest) < MAX_STEP_NAMES:
            longest[e.name] = ms
    return longest


def _last_activity(run: Run) -> str | None:
    values = [v for v in (run.started_at, run.ended_at,
                          *(t for e in run.entries for t in (e.started_at, e.ended_at))) if isinstance(v, str)]
    if not values:
        return None
    # Timestamps written alike in UTC ("…Z", one length) order as text: no parsing, which
    # would cost more than the rest of the index row for a run of thousands of entries.
    if all(v[-1:] == "Z" for v in values) and len({(len(v), v[10:11]) for v in values}) == 1 \
            and parse_instant(max(values)) is not None and parse_instant(min(values)) is not None:
        return max(values)
    latest, text = None, None
    for value in values:
        at = parse_instant(value)
        if at is not None and (latest is None or at > latest):
            latest, text = at, value
    return text


def _step_names(run: Run) -> list[str]:
    names: dict[str, None] = {}
    for e in run.entries:
        if e.name not in names:
            names[e.name] = None
            if len(names) >= MAX_STEP_NAMES:
                break
    return list(names)
