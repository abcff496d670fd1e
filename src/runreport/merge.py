"""Merge checked records into per-run state (pure: no I/O).

Records with the same (run_id, entry_id) are merged field by field: a field
present in a later record replaces the earlier value, an explicit null clears
it, an absent field keeps its value. "Later" is the higher `seq` when both
records carry one, otherwise read order.

To make that order-independent for seq-numbered updates, every field keeps a
*stamp* — the (seq, read order) of the record that last wrote it — and a new
value wins only over an older stamp. A whole record is never compared with a
whole entry, so updates that arrive shuffled still converge on one result.

The store keeps a run's records as read, not this state: :func:`replay`
merges them again when a spilled or stored run is needed (see
:mod:`runreport.store`).
"""

from __future__ import annotations

from typing import Any

import msgspec
import orjson

from runreport.problems import Problem
from runreport.read import Line, read_keeping_text
from runreport.records import RunEndRecord, RunRecord, StepRecord, check_record

Stamp = tuple  # (seq: int | None, order: int)


def newer(candidate: Stamp, current: Stamp) -> bool:
    """Does a write stamped `candidate` replace one stamped `current`?"""
    cand_seq, cand_order = candidate
    cur_seq, cur_order = current
    if cand_seq is not None and cur_seq is not None and cand_seq != cur_seq:
        return cand_seq > cur_seq
    return cand_order > cur_order


class FieldSet(msgspec.Struct):
    """Merged fields of one record stream (an entry, a run, a run's end)."""

    values: dict[str, Any] = msgspec.field(default_factory=dict)
    stamps: dict[str, Stamp] = msgspec.field(default_factory=dict)

    def apply(self, fields: dict[str, Any], stamp: Stamp) -> None:
        for key, value in fields.items():
            current = self.stamps.get(key)
            if current is None or newer(stamp, current):
                self.values[key] = value
                self.stamps[key] = stamp


class EntryState(msgspec.Struct):
    entry_id: str
    file: str  # place of the entry's first record, for problems about the entry
    line: int
    order: int  # read order of the first record: the entry's first-seen position
    fields: FieldSet = msgspec.field(default_factory=FieldSet)


class RunState(msgspec.Struct):
    """Everything read so far about one run, before derivation."""

    run_id: str
    file: str  # place of the first record naming the run
    line: int
    run: FieldSet | None = None  # merged `run` records; None until one arrives
    end: FieldSet | None = None  # merged `run_end` records
    end_place: tuple[str, int] | None = None
    entries: dict[str, EntryState] = msgspec.field(default_factory=dict)  # first-seen order
    files: list[str] = msgspec.field(default_factory=list)  # every file with a record of the run, first seen first

    @property
    def ended(self) -> bool:
        return self.end is not None


def new_run_state(record: RunRecord | RunEndRecord | StepRecord) -> RunState:
    return RunState(record.run_id, record.file, record.line)


def apply_record(state: RunState, record: RunRecord | RunEndRecord | StepRecord, order: int) -> list[Problem]:
    """Merge one checked record (read as number `order`) into its run's state."""
    if not state.files or state.files[-1] != record.file:
        if record.file not in state.files:
            state.files.append(record.file)
    if isinstance(record, RunRecord):
        if state.run is None:
            state.run = FieldSet()
        state.run.apply(record.fields, (None, order))
        return []
    if isinstance(record, RunEndRecord):
        if state.end is None:
            state.end = FieldSet()
        if state.end_place is None:
            state.end_place = (record.file, record.line)
        state.end.apply(record.fields, (None, order))
        return []
    return _apply_step(state, record, order)


def _apply_step(state: RunState, record: StepRecord, order: int) -> list[Problem]:
    entry = state.entries.get(record.entry_id)
    if entry is None:
        # The first record of an entry must name it (spec: `name` is required
        # on the first record); without one the record is skipped, and the
        # next record of that entry is then its first.
        name = record.fields.get("name")
        if not isinstance(name, str):
            found = "nothing" if "name" not in record.fields else "null"
            return [
                Problem(
                    record.file,
                    record.line,
                    record.run_id,
                    "error",
                    f'step record: expected a "name" (string) on the first record of entry '
                    f'"{record.entry_id}", found {found}; record skipped',
                    record.entry_id,
                )
            ]
        entry = EntryState(record.entry_id, record.file, record.line, order)
        state.entries[record.entry_id] = entry
    entry.fields.apply(record.fields, (record.seq, order))
    return []


def replay(run_id: str, lines, problems: list[Problem] | None = None) -> RunState | None:
    """One run's state from its records as read ((file, line, bytes), in read order).

    Each line is parsed and checked again and merged in order, exactly as
    reading the input did; None when no line holds a record of the run.
    Their problems were reported when they were first read and are dropped,
    unless `problems` collects them (a run whose records were read apart,
    by the shards of a build, is merged whole: runreport.site.sitemerge).
    """
    state = None
    for order, (file, number, raw) in enumerate(lines, 1):
        # (Its values kept as their text where reading the input kept them: see jsontext.)
        line = read_keeping_text(raw, file, number) or Line(file, number, orjson.loads(raw))
        record, found = check_record(line)
        if record is not None and record.run_id != run_id:
            continue
        if problems is not None:
            problems.extend(found)
        if record is None:
            continue
        if state is None:
            state = new_run_state(record)
        applied = apply_record(state, record, order)
        if problems is not None:
            problems.extend(applied)
    return state
