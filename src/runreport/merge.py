"""Merge checked records into per-run state (pure: no I/O).

Records with the same (run_id, entry_id) are merged field by field: a field
present in a later record replaces the earlier value, an explicit null clears
it, an absent field keeps its value. "Later" is the higher `seq` when both
records carry one, otherwise read order.

To make that order-independent for seq-numbered updates, every field keeps a
*stamp* — the (seq, read order) of the record that last wrote it — and a new
value wins only over an older stamp. A whole record is never compared with a
whole entry, so updates that arrive shuffled still converge on one result.

The state is plain dicts and lists so it can be spilled to the store as JSON
and merged into again later (see :mod:`runreport.store`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from runreport.problems import Problem
from runreport.records import RunEndRecord, RunRecord, StepRecord

Stamp = tuple  # (seq: int | None, order: int)


def newer(candidate: Stamp, current: Stamp) -> bool:
    """Does a write stamped `candidate` replace one stamped `current`?"""
    cand_seq, cand_order = candidate
    cur_seq, cur_order = current
    if cand_seq is not None and cur_seq is not None and cand_seq != cur_seq:
        return cand_seq > cur_seq
    return cand_order > cur_order


@dataclass(slots=True)
class FieldSet:
    """Merged fields of one record stream (an entry, a run, a run's end)."""

    values: dict[str, Any] = field(default_factory=dict)
    stamps: dict[str, Stamp] = field(default_factory=dict)

    def apply(self, fields: dict[str, Any], stamp: Stamp) -> None:
        for key, value in fields.items():
            current = self.stamps.get(key)
            if current is None or newer(stamp, current):
                self.values[key] = value
                self.stamps[key] = stamp

    def to_json(self) -> dict:
        return {"values": self.values, "stamps": {k: list(v) for k, v in self.stamps.items()}}

    @classmethod
    def from_json(cls, data: dict) -> FieldSet:
        return cls(dict(data["values"]), {k: tuple(v) for k, v in data["stamps"].items()})


@dataclass(slots=True)
class EntryState:
    entry_id: str
    file: str  # place of the entry's first record, for problems about the entry
    line: int
    order: int  # read order of the first record: the entry's first-seen position
    fields: FieldSet = field(default_factory=FieldSet)

    def to_json(self) -> dict:
        return {
            "entry_id": self.entry_id,
            "file": self.file,
            "line": self.line,
            "order": self.order,
            "fields": self.fields.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict) -> EntryState:
        return cls(data["entry_id"], data["file"], data["line"], data["order"], FieldSet.from_json(data["fields"]))


@dataclass(slots=True)
class RunState:
    """Everything read so far about one run, before derivation."""

    run_id: str
    file: str  # place of the first record naming the run
    line: int
    run: FieldSet | None = None  # merged `run` records; None until one arrives
    end: FieldSet | None = None  # merged `run_end` records
    end_place: tuple[str, int] | None = None
    entries: dict[str, EntryState] = field(default_factory=dict)  # first-seen order
    files: list[str] = field(default_factory=list)  # every file with a record of the run, first seen first

    @property
    def ended(self) -> bool:
        return self.end is not None

    def to_json(self) -> dict:
        return {
            "run_id": self.run_id,
            "file": self.file,
            "line": self.line,
            "run": self.run.to_json() if self.run else None,
            "end": self.end.to_json() if self.end else None,
            "end_place": list(self.end_place) if self.end_place else None,
            "entries": [e.to_json() for e in self.entries.values()],
            "files": self.files,
        }

    @classmethod
    def from_json(cls, data: dict) -> RunState:
        state = cls(data["run_id"], data["file"], data["line"])
        state.run = FieldSet.from_json(data["run"]) if data["run"] else None
        state.end = FieldSet.from_json(data["end"]) if data["end"] else None
        state.end_place = tuple(data["end_place"]) if data["end_place"] else None
        state.files = list(data["files"])
        for e in data["entries"]:
            entry = EntryState.from_json(e)
            state.entries[entry.entry_id] = entry
        return state


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
                )
            ]
        entry = EntryState(record.entry_id, record.file, record.line, order)
        state.entries[record.entry_id] = entry
    entry.fields.apply(record.fields, (record.seq, order))
    return []
