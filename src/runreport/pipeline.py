"""read → check → merge → derive, with memory bounded by the largest run.

How streaming holds: records are merged into a small set of *resident* runs
(:class:`Collector`). When more than `max_resident` runs are resident, the
least recently touched run — a finished one (its `run_end` was read) first —
is spilled to the store (its records as read) and dropped from memory. A
later record for a spilled run reads its records back and merges them again
(:func:`runreport.merge.replay`), so nothing is lost when a run is spread
over files or its records interleave with others. After reading, only
changed runs are derived (for their index row); consumers then ask for runs
one at a time (:meth:`Loaded.runs`), each merged from the store and derived
on demand. Memory therefore grows with the largest run and the small
per-run index rows, not with the dump.

This one-reader path serves `summary`, `validate`, `watch`, `serve` and
incremental builds; a first `build` reads on every core instead
(:mod:`runreport.site.firstbuild`), with the same result.
"""

from __future__ import annotations

import gc
import itertools
import math
import tempfile
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path
from typing import Any

from runreport.derive import derive_run
from runreport.merge import RunState, apply_record, new_run_state, replay
from runreport.model import ROW_FIELDS, Run, RunIndexRow, index_row, row_values  # noqa: F401  (part of this module's API)
from runreport.problems import Problem, sort_key
from runreport.read import Cursor, find_inputs, read_file
from runreport.records import check_record
from runreport.store import FileMark, RawLine, Store, StoreCorrupt, StoredRun, fingerprint

#: Where a stored index row keeps its start time (runreport.model.ROW_FIELDS).
_START_US = ROW_FIELDS.index("start_us")
_COMPOSER = ROW_FIELDS.index("composer")

#: Runs kept in memory while reading; more are spilled to the store.
MAX_RESIDENT = 64

Progress = Callable[[str], None]
#: Told (run id, content hash) each time a changed run is written to the store.
Settled = Callable[[str, str], None]


def stored_index(runs: dict[str, StoredRun]) -> list[RunIndexRow]:
    """The index rows of the store's runs, newest first, each with its content hash."""
    return newest_first([RunIndexRow(*s.row, content_hash=s.hash) for s in runs.values()])


def newest_first(rows: Sequence[RunIndexRow]) -> list[RunIndexRow]:
    """Runs newest first by start time (UTC); runs without one last; ties by id."""
    # (Two stable sorts with simple keys: ties keep the first one's id order. A tuple key
    # per row costs twice as much at 100,000 rows.)
    by_id = sorted(rows, key=attrgetter("run_id"))
    if None not in map(_start_us, by_id):  # (reversed, a sort keeps ties in their order)
        return sorted(by_id, key=_start_us, reverse=True)
    return sorted(by_id, key=lambda r: -r.start_us if r.start_us is not None else math.inf)


def newest_first_key(row: RunIndexRow) -> tuple:
    """Where a row goes in an index newest first (the order `newest_first` gives): rows
    sorted by this key are in that order."""
    return (-row.start_us if row.start_us is not None else math.inf, row.run_id)


_start_us = attrgetter("start_us")
_problems_of = attrgetter("problems")


class ReadOrderChanged(Exception):
    """Continuing the last read would merge a run's records in another order than a fresh read."""


class Collector:
    """Merges records into resident runs, spilling to the store beyond a bound.

    `rank` (file -> its place in the read order) guards continued reads:
    merging depends on read order ("later" wins, the first record names an
    entry), so a record may join a run only if no file after its own already
    gave that run a record, as in a read from the start. Appending to the
    last file, or to any file whose runs no later file touches, passes.
    """

    def __init__(self, store: Store, max_resident: int = MAX_RESIDENT,
                 on_settle: Settled | None = None, rank: dict[str, int] | None = None):
        self.store = store
        self.rank = rank
        self.on_settle = on_settle
        self.max_resident = max_resident
        self.resident: OrderedDict[str, RunState] = OrderedDict()
        self.lines: dict[str, list[RawLine]] = {}  # records of each resident run, as read
        self.dirty: set[str] = set()
        self.grew: set[str] = set()  # runs given records the reader calls new (see _read_into)
        self.hash_before: dict[str, str | None] = {}  # each settled run's hash before this read
        # Runs whose place in the listings changed: their start time (the order), or their
        # composer (the listing they are in).
        self.moved: set[str] = set()
        self.peak_resident = 0  # observed by the memory test

    def add(self, record, order: int, raw: bytes) -> list[Problem]:
        """Merge one checked record, read as `raw`, into its run."""
        run_id = record.run_id
        state = self.resident.get(run_id)
        if state is None:
            self._evict(room_for=1)  # (before it joins: the run being added is never the one spilled)
            lines = self.store.get_lines(run_id) or []
            state = (replay(run_id, lines) if lines else None) or new_run_state(record)
            self.resident[run_id] = state
            self.lines[run_id] = lines
            self.peak_resident = max(self.peak_resident, len(self.resident))
        else:
            self.resident.move_to_end(run_id)
        lines = self.lines[run_id]
        place = (record.file, record.line)
        if lines and lines[-1][:2] == place:
            # A last line read before it was complete, read again whole: it replaces
            # what it said then (the state is merged again from the records before it,
            # and this record merged into it, so its problems are told again too).
            lines[-1] = (*place, raw)
            self.dirty.add(run_id)
            state = self.resident[run_id] = replay(run_id, lines[:-1]) or new_run_state(record)
            return apply_record(state, record, order)
        if self.rank is not None and state.files and state.files[-1] != record.file:
            place = self.rank.get(record.file, -1)
            later = [f for f in state.files if self.rank.get(f, -1) > place]
            if later:
                raise ReadOrderChanged(f"{record.file}:{record.line} adds to run {record.run_id!r}, "
                                       f"which {later[0]} (read after it) already has")
        self.dirty.add(run_id)
        lines.append((record.file, record.line, raw))
        return apply_record(state, record, order)

    def _evict(self, room_for: int = 0) -> None:
        """Spill runs until `room_for` more fit within `max_resident`."""
        while self.resident and len(self.resident) + room_for > self.max_resident:
            victim = next((rid for rid, s in self.resident.items() if s.ended), None)
            if victim is None:
                victim = next(iter(self.resident))
            self.settle(self.resident.pop(victim), self.lines.pop(victim))

    def settle(self, state: RunState, lines: list[RawLine]) -> None:
        """Write a run's records to the store with its hash, index row and problems.

        Done once when a run leaves memory, so a spilled run is never read
        back just to be indexed; a run touched again later is settled again.
        """
        digest = self.store.put_lines(state.run_id, lines)
        previous = self.store.runs.get(state.run_id)
        self.hash_before.setdefault(state.run_id, previous.hash if previous is not None else None)
        if previous is not None and previous.hash == digest:
            return
        run, found = derive_run(state, detail=False)  # (the index row needs no values)
        row = index_row(run)
        if previous is not None and (previous.row[_START_US] != row.start_us
                                     or previous.row[_COMPOSER] != row.composer):
            self.moved.add(state.run_id)
        self.store.runs[state.run_id] = StoredRun(digest, row_values(row), [p.to_json() for p in found])
        if self.on_settle is not None:
            self.on_settle(state.run_id, digest)

    def finish(self) -> None:
        """Settle every run still in memory."""
        while self.resident:
            run_id, state = self.resident.popitem(last=False)
            self.settle(state, self.lines.pop(run_id))


def stored_run(store: Store, run_id: str) -> Run | None:
    """A run read back from the store and derived in full, or None when it has no state there."""
    state = store.get_state(run_id)
    return None if state is None else derive_run(state)[0]


@dataclass
class Loaded:
    """The result of a load: index rows for every run, runs on demand."""

    store: Store
    index: list[RunIndexRow]  # newest first
    problems: list[Problem]  # sorted by place
    changed: set[str] = field(default_factory=set)  # runs whose content changed in this load
    grew: set[str] = field(default_factory=set)  # of those, runs that got new records (appended)
    removed: set[str] = field(default_factory=set)  # runs known before this load and gone now
    # Of the changed runs, those whose start time or composer changed (their place in
    # the listings): None when not known.
    moved: set[str] | None = None
    files: list[Path] = field(default_factory=list)
    bytes_read: int = 0
    peak_resident: int = 0
    _tmp: object = None  # keeps a temporary store alive as long as this object
    store_damage: str | None = None  # why the store was found damaged and read again
    # The store's state (Store.state) before this load and after it; before is None when
    # the load started the store again (its runs before are then not known).
    store_before: str | None = None
    store_after: str | None = None
    _imported: object = None  # keeps the folder of imported inputs alive (runreport.importers.inputs)

    def run(self, run_id: str) -> Run:
        """The derived run; KeyError for an unknown id."""
        run = stored_run(self.store, run_id) if run_id in self.store.runs else None
        if run is None:
            raise KeyError(run_id)
        return run

    def runs(self) -> Iterator[Run]:
        """Every run, newest first, one at a time."""
        for row in self.index:
            yield self.run(row.run_id)

    def content_hash(self, run_id: str) -> str:
        return self.store.runs[run_id].hash

    def content_hashes(self) -> dict[str, str]:
        """Every run's content hash at once (a rebuild of 100,000 runs asks for all)."""
        return {run_id: stored.hash for run_id, stored in self.store.runs.items()}


def load(
    inputs: Sequence[str | Path],
    *,
    store_dir: Path | None = None,
    progress: Progress | None = None,
    max_resident: int = MAX_RESIDENT,
    accept_partial_tail: bool = True,
    on_settle: Settled | None = None,
) -> Loaded:
    """Read run logs into the store (only what changed) and index every run.

    `accept_partial_tail`: a last line without a newline is read if it
    parses (a finished read, as `build` does); the watch mode passes False
    so such a line waits until it is complete. `on_settle` hears of each
    changed run as soon as it is in the store (a run may be settled more
    than once), so its pages can be rendered while reading goes on.
    """
    files = find_inputs(inputs)
    tmp = None
    if store_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="runreport-store-")
        store_dir = Path(tmp.name)
    with _collector_paused():  # (the store's manifest, the records and the index: no cycles)
        return _load_into(Store.open(Path(store_dir)), files, tmp, progress, max_resident,
                          accept_partial_tail, on_settle)


def _load_into(store: Store, files: list[Path], tmp: Any, progress: Progress | None,
               max_resident: int, accept_partial_tail: bool, on_settle: Settled | None) -> Loaded:
    # (The runs as opened: a store started again replaces its dict of runs, so this one
    # then still says what each was; else the collector notes each run's hash before.)
    runs_before, state_before, resets = store.runs, store.state(), store.resets
    read_problems: list[dict] = []
    try:
        collector, bytes_read, plan = _read_into(store, files, progress, max_resident,
                                                 accept_partial_tail, read_problems, on_settle)
    except (StoreCorrupt, ReadOrderChanged) as exc:
        # A spilled or stored run could not be read back, or new records belong before
        # records already merged (a new file sorting first, a growing earlier file):
        # trust nothing, start over.
        store.reset()
        if isinstance(exc, StoreCorrupt):
            store.damage = f"a stored run could not be read back: {exc}"
        read_problems.clear()
        collector, bytes_read, plan = _read_into(store, files, progress, max_resident,
                                                 accept_partial_tail, read_problems, on_settle)
    collector.finish()
    store.save()
    if store.resets == resets:  # (runs were set, none removed)
        hash_before = collector.hash_before
        changed = {rid for rid in collector.dirty if store.runs[rid].hash != hash_before.get(rid)}
        removed: set[str] = set()
    else:
        changed = {rid for rid, s in store.runs.items()
                   if rid not in runs_before or runs_before[rid].hash != s.hash}
        removed = set(runs_before) - set(store.runs)
    grew = {rid for rid in collector.grew if rid in changed}

    index = stored_index(store.runs)
    problems = [Problem(**p) for ps in store.file_problems.values() for p in ps]
    problems += [Problem(**p) for p in read_problems]
    problems += [Problem(**p) for p in itertools.chain.from_iterable(map(_problems_of, store.runs.values()))]
    problems.sort(key=sort_key)
    return Loaded(
        store=store,
        index=index,
        problems=problems,
        changed=changed,
        grew=grew,
        removed=removed,
        moved=collector.moved if store.resets == resets else None,
        files=[p for p, _, _ in plan],
        bytes_read=bytes_read,
        peak_resident=collector.peak_resident,
        _tmp=tmp,
        store_damage=store.damage,
        store_before=state_before if store.resets == resets else None,
        store_after=store.state(),
    )


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while reading.

    Reading makes millions of small dicts and lists (parsed records, merged
    fields) and keeps up to `max_resident` runs of them alive, so the
    collector's full passes, triggered by allocation counts, rescan all of
    them again and again: a third of the reading time, for nothing, since
    parsed JSON and merged state hold no reference cycles (memory is freed
    by reference counting as runs leave, collector or not). No collection is
    forced after: with nothing cyclic made there is nothing for it to find,
    and a full pass costs a long-lived process (`watch`, `serve`) time in
    proportion to everything it holds, on every load.
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _unterminated_tail(path: Path, display: str, cursor: Cursor):
    """The parsed last line of a file that does not end with a newline, if any.

    Called after a non-final read has stopped before that line; the lines
    are yielded lazily so they are read only after the complete ones.
    """
    size = path.stat().st_size if path.suffix != ".gz" else None
    if size is not None and size <= cursor.offset:
        return
    probe = Cursor(cursor.offset, cursor.line)
    yield from read_file(path, display, probe, final=True)


def _read_into(store: Store, files: list[Path], progress: Progress | None, max_resident: int,
               accept_partial_tail: bool, read_problems: list, on_settle: Settled | None = None):
    """Read what is new in `files` into the store's runs."""
    known_before = set(store.files)
    plan = _plan_reads(store, files)
    rank = {display: n for n, (_path, display, _mark) in enumerate(plan)}
    collector = Collector(store, max_resident, on_settle, rank)
    bytes_read = 0
    for n, (path, display, mark) in enumerate(plan, 1):
        if mark == "unchanged":
            continue
        # Records read past a file's last mark, or from a file new since the last read, are
        # new records; a file read again from its start (rewritten in place) brings none.
        growing = mark is not None or display not in known_before
        cursor = Cursor(mark.offset, mark.line) if mark else Cursor()
        start_offset = cursor.offset
        problems = list(store.file_problems.get(display, [])) if mark else []
        # Only complete lines move the stored position: a line still being
        # written is read again, whole, next time.
        items = read_file(path, display, cursor, final=False)
        tail = []
        if accept_partial_tail:
            tail = _unterminated_tail(path, display, cursor)
        for item in itertools.chain(items, tail):
            if isinstance(item, Problem):
                problems.append(item.to_json())
                continue
            record, found = check_record(item)
            problems.extend(p.to_json() for p in found)
            if record is None:
                continue
            store.order += 1
            problems.extend(p.to_json() for p in collector.add(record, store.order, item.raw))
            if growing:
                collector.grew.add(record.run_id)
        bytes_read += cursor.offset - start_offset
        # Problems of an unterminated last line belong to this read only.
        store.file_problems[display] = [p for p in problems if p["line"] <= cursor.line]
        read_problems.extend(p for p in problems if p["line"] > cursor.line)
        size = path.stat().st_size
        head, tail = fingerprint(path, size if path.suffix == ".gz" else cursor.offset)
        store.files[display] = FileMark(size, cursor.offset, cursor.line, head, tail)
        if progress:
            progress(f"read {n}/{len(plan)} files, {bytes_read / 1e6:.1f} MB, {len(collector.dirty)} runs changed")
    return collector, bytes_read, plan


def _plan_reads(store: Store, files: list[Path]) -> list[tuple[Path, str, object]]:
    """Which files to read and from where; a non-append change means a full re-read.

    Appends continue from the stored position. If any file was rewritten,
    truncated or removed since the last read, merged state can no longer be
    patched (records of that file are already folded into runs), so the
    store is reset and every file is read from the start; pages are still
    only re-rendered for runs whose content hash changed.
    """
    displays = [(path, str(path)) for path in files]
    plan: list[tuple[Path, str, object]] = []
    for path, display in displays:
        mark = store.resume_point(display, path)
        if mark is not None and path.suffix == ".gz":
            mark = "unchanged"
        elif display in store.files and mark is None:
            break  # changed in place
        plan.append((path, display, mark))
    else:
        if set(store.files) <= {d for _, d in displays}:
            return plan
    store.reset()
    return [(path, display, None) for path, display in displays]

