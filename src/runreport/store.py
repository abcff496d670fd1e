"""The local store: each run's records as logged, so later reads touch only what changed.

Layout of a store folder::

    manifest.json        format, tool version, a token made afresh at each
                         write, read position of every input file, and per run
                         its content hash, index row (its values in field
                         order) and problems
    manifest.log         what saves changed since, a JSON line each (the read
                         positions, and the runs set or removed): an appended
                         run costs a line, not a rewrite of every run's entry
                         (38 MB at 100,000 runs); folded into manifest.json
                         when it grows past an eighth of it
    site-check.json      what the site's last build left for the next one: the
                         store state its site was made from (Store.state), its
                         build id, and what its check of kept files starts
                         from (runreport.site.build.CheckRecord)
    runs/<safe>.rec      one file per run: a JSON header line naming the run
                         and, for each of its records, its place, its byte
                         offset in the input file and its length; then the
                         bytes of the records that have no offset (read from
                         a gzip file, or merged by a continued read), one a line;
                         or "ref " and where such a file is packed inside another
                         file of the store (a shard bundle the merge keeps)

A run file refers to the input, not to a re-serialized merged state:
writing it costs no serialization and no second copy of the input. The
run's content hash is the SHA-256 of its places and record bytes
(:func:`run_digest`); reading a run back reads its records (from the input
files or the run file), checks that hash, and merges them again in read
order (:func:`runreport.merge.replay`). An input file changed under a
reference fails the check and makes the store start again.

The store keeps (or points to) the input as logged, secrets included: it is
a cache beside the output folder, never part of the site, and its files are
readable by their owner only (0600).

The store is a cache, never a source of truth: a manifest that is missing,
unreadable, of another format or another runreport version, or a run file
that fails to load, makes the store start empty and the inputs be read
again. All writes are atomic (temp file + rename).
"""

from __future__ import annotations

import hashlib
import mmap
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Optional

import msgspec
import orjson

from runreport import __version__
from runreport.atomic import PRIVATE, write_bytes
from runreport.hashing import bytes_hash, safe_name
from runreport.merge import RunState, replay
from runreport.model import ROW_FIELDS, RUN_STATUSES

#: One record of a run as read: (display path of its file, line number, its bytes).
RawLine = tuple[str, int, bytes]
#: Offset of a record in the run file rather than in its input file.
INLINE = -1
#: The start of a run file that refers to a run file packed inside another file.
REFERENCE = b"ref "

FORMAT = 13  # 13: a token naming each manifest written (Store.state); 12: a journal of saves beside the manifest; 11: an export's run log named by its file name in content hashes (store-independent); 10: index rows as lists of values (runreport.model.ROW_FIELDS); 9: index rows keep step names and durations as one JSON text; 8: index rows keep their times as epoch microseconds; 7: index rows keep their steps' durations; 6: failures name their HTTP endpoint; 5: index rows say what went wrong; 4: records as read or placed
MANIFEST = "manifest.json"
#: What saves changed since the manifest was written, a line each.
JOURNAL = "manifest.log"
#: The journal is folded into the manifest when it grows past this share of it.
JOURNAL_SHARE = 1 / 8
#: Bytes hashed at the start of a file and just before the read position to
#: tell an append (both unchanged) from a rewrite, truncation or rotation.
PROBE = 4096


class FileMark(msgspec.Struct):
    """How far an input file has been read, and a fingerprint of what was read."""

    size: int
    offset: int  # bytes consumed (complete lines)
    line: int  # lines consumed
    head: str  # hash of the first PROBE bytes (up to offset)
    tail: str  # hash of the PROBE bytes before offset


def fingerprint(path: Path, offset: int) -> tuple[str, str]:
    """Hashes of the first bytes and of the bytes just before `offset`."""
    with open(path, "rb") as f:
        head = f.read(min(PROBE, offset))
        start = max(0, offset - PROBE)
        f.seek(start)
        tail = f.read(offset - start)
    return bytes_hash(head), bytes_hash(tail)


class StoreCorrupt(Exception):
    """A store file could not be trusted; the caller rebuilds from the inputs."""


#: An index row as the store keeps it: its values in the order of ROW_FIELDS, each of its
#: type (msgspec checks them as it decodes; a row of another shape is a damaged store).
#: Statuses decode to the one string of each: counting 100,000 of them then hashes none.
StoredRow = tuple[str, str, Optional[str], str, Literal[RUN_STATUSES], Optional[str], Optional[str], int,
                  bool, bool, Optional[dict], Optional[dict], Optional[str], Optional[str], Optional[int],
                  Optional[int], Optional[int]]
assert len(StoredRow.__args__) == len(ROW_FIELDS)


class StoredRun(msgspec.Struct):
    hash: str
    row: StoredRow  # the index row's values (runreport.model.ROW_FIELDS); a list when made here
    problems: list[dict] = msgspec.field(default_factory=list)


class _Manifest(msgspec.Struct):
    """The store's manifest as written by `Store.save` (runs sorted by id)."""

    format: int
    version: str
    generation: int  # one more at each write: journal lines of another are not its
    token: str  # made afresh at each write (see Store.state)
    order: int
    files: dict[str, FileMark]
    file_problems: dict[str, list[dict]]
    runs: dict[str, StoredRun]


class _Saved(msgspec.Struct):
    """A line of the journal: one save after the manifest was written."""

    generation: int  # the manifest's it follows
    order: int
    files: dict[str, FileMark]
    file_problems: dict[str, list[dict]]
    runs: dict[str, StoredRun | None]  # runs set, or removed (None)


class _Runs(dict):
    """The store's runs by id, noting which were set or removed since the last save (a
    dict: every read is a dict's)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.changed: set[str] = set()

    def __setitem__(self, run_id: str, run: StoredRun) -> None:
        super().__setitem__(run_id, run)
        self.changed.add(run_id)

    def __delitem__(self, run_id: str) -> None:
        super().__delitem__(run_id)
        self.changed.add(run_id)

    def pop(self, run_id: str, *default: Any) -> Any:
        self.changed.add(run_id)
        return super().pop(run_id, *default)

    def popitem(self) -> tuple[str, StoredRun]:
        run_id, run = super().popitem()
        self.changed.add(run_id)
        return run_id, run

    def setdefault(self, run_id: str, default: Any = None) -> Any:
        if run_id not in self:
            self[run_id] = default
        return self[run_id]

    def update(self, *args: Any, **kwargs: Any) -> None:
        for run_id, run in dict(*args, **kwargs).items():
            self[run_id] = run

    def clear(self) -> None:
        self.changed.update(self)
        super().clear()


class _Stamp(msgspec.Struct):
    """What says whose manifest it is (decoded alone when the whole does not decode)."""

    format: Any = None
    version: Any = None


# (msgspec decodes the manifest into these types in half the time orjson takes to make
# dicts of it, checking every type on the way: 10,000 runs are 6.5 MB, read on every
# rebuild.)
_MANIFEST = msgspec.json.Decoder(_Manifest)
_SAVED = msgspec.json.Decoder(_Saved)
_ENCODER = msgspec.json.Encoder()


class _OtherFormat(Exception):
    """A store written by another version of runreport: started again, nothing to report."""


@contextmanager
def _mapped(path: Path) -> Iterator[Any]:
    """A file's bytes, mapped rather than copied (the store's manifest: 38 MB at 100,000
    runs, decoded into new objects anyway)."""
    with open(path, "rb") as fh:
        try:
            data = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError:  # (an empty file cannot be mapped)
            yield b""
            return
        try:
            yield data
        finally:
            data.close()


class Store:
    """A folder of run state. Create with :meth:`open`."""

    def __init__(self, root: Path):
        self.root = root
        self.order = 0  # read order of the next record, continued across reads
        self.files: dict[str, FileMark] = {}
        self.file_problems: dict[str, list[dict]] = {}
        self.runs: dict[str, StoredRun] = _Runs()
        self.damage: str | None = None  # why a damaged store was started again (to be said)
        self._generation = 0  # of the manifest on disk (0: none)
        self._token = ""  # of the manifest on disk ("": none)
        self.resets = 0  # times this store was started again since it was opened
        self._manifest_size = 0
        self._journal_size = 0
        self._saved: tuple = ()  # (order, files, file_problems) as last saved

    # --- opening ------------------------------------------------------------

    @classmethod
    def open(cls, root: Path) -> Store:
        """Open the store at `root`; anything untrustworthy means an empty store."""
        store = cls(root)
        try:
            with _mapped(root / MANIFEST) as data:
                store._load_manifest(data)
            store._replay_journal()
            store._saved = (store.order, dict(sorted(store.files.items())),
                            dict(sorted(store.file_problems.items())))
        except (FileNotFoundError, _OtherFormat):  # (none yet, or made by another version)
            store.reset()
        except Exception as exc:  # corrupt: rebuilt from the inputs, never trusted
            store.reset()
            store.damage = f"its manifest could not be read: {type(exc).__name__}"
        return store

    def _load_manifest(self, data: bytes) -> None:
        try:
            manifest = _MANIFEST.decode(data)
        except msgspec.ValidationError:  # (valid JSON, other types: whose is it?)
            stamp = msgspec.json.decode(data, type=_Stamp)
            if stamp.format != FORMAT or stamp.version != __version__:
                raise _OtherFormat() from None
            raise
        if manifest.format != FORMAT or manifest.version != __version__:
            raise _OtherFormat()
        self.order = manifest.order
        self.files = manifest.files
        self.file_problems = manifest.file_problems
        self.runs = _Runs(manifest.runs)
        self._generation = manifest.generation
        self._token = manifest.token
        self._manifest_size = len(data)

    def _replay_journal(self) -> None:
        """Apply the saves made since the manifest was written (lines of another
        generation were folded into it already: a save stopped between the two writes)."""
        try:
            data = (self.root / JOURNAL).read_bytes()
        except FileNotFoundError:
            return
        if data and not data.endswith(b"\n"):
            raise ValueError("the journal ends in a cut line")
        for line in data.splitlines():
            saved = _SAVED.decode(line)
            if saved.generation != self._generation:
                continue
            self.order, self.files, self.file_problems = saved.order, saved.files, saved.file_problems
            for run_id, run in saved.runs.items():  # (saved already: not noted as changed)
                if run is None:
                    dict.pop(self.runs, run_id, None)
                else:
                    dict.__setitem__(self.runs, run_id, run)
        self._journal_size = len(data)

    def reset(self) -> None:
        """Forget everything: the next read starts from the beginning of every file."""
        if self.root.exists():
            for name in ("runs", MANIFEST, JOURNAL):  # (any may be anything: a file, a folder, a link)
                path = self.root / name
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
        self.order = 0
        self.files = {}
        self.file_problems = {}
        self.runs = _Runs()
        self._generation = self._manifest_size = self._journal_size = 0
        self._token = ""
        self.resets += 1

    def state(self) -> str | None:
        """What names the runs as last saved (or opened): the manifest's token and the
        journal's length, which every save changes. A build that keeps it beside its site
        knows, when the store is in that state again, that the site was made from these
        runs exactly (runreport.site.build: only the runs a load changed are looked at)."""
        return f"{self._token}:{self._journal_size}" if self._token else None

    # --- runs ---------------------------------------------------------------

    def run_path(self, run_id: str) -> Path:
        return self.root / "runs" / f"{safe_name(run_id)}.rec"

    def get_lines(self, run_id: str) -> list[RawLine] | None:
        """The stored records of a run, or None when it has none; a damaged file, or an
        input changed under a reference, raises StoreCorrupt."""
        path = self.run_path(run_id)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreCorrupt(f"unreadable store file {path}: {exc}") from exc
        try:
            stored_id, lines = unpack_run(self._dereferenced(data))
        except Exception as exc:
            raise StoreCorrupt(f"unreadable store file {path}: {exc}") from exc
        if stored_id != run_id:
            raise StoreCorrupt(f"store file {path} holds run {stored_id!r}, not {run_id!r}")
        stored = self.runs.get(run_id)
        if stored is not None and run_digest(run_id, lines) != stored.hash:
            raise StoreCorrupt(f"the records of run {run_id!r} changed since they were read")
        return lines

    def get_state(self, run_id: str) -> RunState | None:
        """The merged state of a stored run (its records merged again), or None."""
        lines = self.get_lines(run_id)
        if lines is None:
            return None
        state = replay(run_id, lines)
        if state is None:
            raise StoreCorrupt(f"store file {self.run_path(run_id)} holds no record of run {run_id!r}")
        return state

    def put_lines(self, run_id: str, lines: list[RawLine], offsets: list[int] | None = None) -> str:
        """Write a run's records (by offset into their input where given); returns its content hash."""
        write_bytes(self.run_path(run_id), pack_run(run_id, lines, offsets), mode=PRIVATE)
        return run_digest(run_id, lines)

    def put_reference(self, run_id: str, container: Path, offset: int, length: int) -> None:
        """Point a run at a run file packed inside another file of the store (a shard bundle
        kept by runreport.site.sitemerge): `length` bytes at `offset` of `container`."""
        ref = {"in": Path(container).relative_to(self.root).as_posix(), "at": offset, "length": length}
        write_bytes(self.run_path(run_id), REFERENCE + orjson.dumps(ref) + b"\n", mode=PRIVATE)

    def _dereferenced(self, data: bytes) -> bytes:
        """A run file's own bytes, or those of the packed run file it refers to."""
        if not data.startswith(REFERENCE):
            return data
        ref = orjson.loads(data[len(REFERENCE):])
        with open(self.root / ref["in"], "rb") as f:
            packed = os.pread(f.fileno(), ref["length"], ref["at"])
        if len(packed) != ref["length"] or packed.startswith(REFERENCE):
            raise ValueError(f"{ref['in']} no longer holds the run's records")
        return packed

    # --- manifest -----------------------------------------------------------

    def save(self) -> None:
        """Add a line to the journal with what changed since the last save, or, when there
        is no manifest yet or the journal has grown past JOURNAL_SHARE of it, write the
        manifest whole and empty the journal."""
        runs = self.runs
        if not isinstance(runs, _Runs):  # (replaced by a plain dict: written whole)
            runs = self.runs = _Runs(runs)
            self._generation = 0
        files, problems = dict(sorted(self.files.items())), dict(sorted(self.file_problems.items()))
        if self._generation and not runs.changed and self._saved == (self.order, files, problems):
            return  # (nothing new: a watch polling an idle input)
        self._saved = (self.order, files, problems)
        if self._generation:
            line = _ENCODER.encode(_Saved(self._generation, self.order, files, problems,
                                          {rid: runs.get(rid) for rid in sorted(runs.changed)})) + b"\n"
            if self._journal_size + len(line) <= self._manifest_size * JOURNAL_SHARE:
                _append(self.root / JOURNAL, line)
                self._journal_size += len(line)
                runs.changed.clear()
                return
        # (The manifest first: a save stopped before the journal is emptied leaves lines
        # of the last generation, which the next open passes over.)
        self._generation += 1
        self._token = os.urandom(8).hex()
        data = _ENCODER.encode(_Manifest(FORMAT, __version__, self._generation, self._token, self.order, files,
                                         problems, dict(sorted(runs.items()))))
        write_bytes(self.root / MANIFEST, data, mode=PRIVATE)
        (self.root / JOURNAL).unlink(missing_ok=True)
        self._manifest_size, self._journal_size = len(data), 0
        runs.changed.clear()

    def resume_point(self, display: str, path: Path) -> FileMark | None:
        """Where to continue reading `path`, or None when it must be read from the start.

        A file continues from its mark only if it grew or kept its size and
        the bytes already read are unchanged (an append). Anything else —
        truncation, rotation, an atomic rewrite — returns None.
        """
        mark = self.files.get(display)
        if mark is None:
            return None
        gz = path.suffix == ".gz"
        try:
            size = path.stat().st_size
            if size < mark.offset or gz and size != mark.size:
                return None
            # A gzip file cannot be appended to in place: its fingerprint covers all of it.
            head, tail = fingerprint(path, size if gz else mark.offset)
        except OSError:
            return None
        if head != mark.head or tail != mark.tail:
            return None
        return mark


def _append(path: Path, line: bytes) -> None:
    """Append a line to a file of the store (made readable by its owner only)."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), PRIVATE)
    try:
        view = memoryview(line)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


#: Where an export imported into a store is kept as a run log (`<store>/imported/<name>`):
#: its name holds a hash of the export's path as given (see runreport.importers.inputs).
IMPORTED = "imported"
_IMPORTED_NAME = re.compile(r"(?:^|[/\\])" + IMPORTED + r"[/\\]([^/\\]+\.[0-9a-f]{16}\.jsonl)$")


@lru_cache(maxsize=4096)  # (asked for every record of every run; a build reads few files)
def _place_name(file: str) -> str:
    """A record's file as its run's content hash names it: the path it is read by, except
    for an export's run log, named by its file name alone, so that the hash (and the site's
    manifest) is the same whichever store the export was imported into."""
    imported = _IMPORTED_NAME.search(file)
    return file if imported is None else f"{IMPORTED}:{imported[1]}"


def _places(run_id: str, lines: list[RawLine]) -> bytes:
    return orjson.dumps({"run_id": run_id,
                         "lines": [[_place_name(f), n, len(raw)] for f, n, raw in lines]})


def run_digest(run_id: str, lines: list[RawLine]) -> str:
    """A run's content hash: its records' places and bytes, however they are stored."""
    h = hashlib.sha256(_places(run_id, lines))
    for _, _, raw in lines:
        h.update(b"\n")
        h.update(raw)
    return h.hexdigest()


def pack_run(run_id: str, lines: list[RawLine], offsets: list[int] | None = None) -> bytes:
    """A run file: the header (run id; file, line, offset, length of each record),
    then the bytes of the records without an offset (INLINE)."""
    offsets = offsets or [INLINE] * len(lines)
    header = orjson.dumps({"run_id": run_id, "lines": [[f, n, at, len(raw)]
                                                        for (f, n, raw), at in zip(lines, offsets)]})
    inline = [raw for (_, _, raw), at in zip(lines, offsets) if at == INLINE]
    return b"\n".join([header, *inline]) + b"\n"


def unpack_run(data: bytes) -> tuple[str, list[RawLine]]:
    """The run id and records of a run file, reading referenced records from their inputs
    (ValueError or OSError when something is damaged or gone)."""
    end = data.index(b"\n")
    header = orjson.loads(data[:end])
    pos = end + 1
    lines: list[RawLine] = []
    files: dict[str, object] = {}
    try:
        for file, number, offset, length in header["lines"]:
            if offset == INLINE:
                raw = data[pos:pos + length]
                if len(raw) != length or data[pos + length:pos + length + 1] != b"\n":
                    raise ValueError("record bytes do not match the header")
                pos += length + 1
            else:
                f = files.get(file)
                if f is None:
                    f = files[file] = open(file, "rb")
                f.seek(offset)
                raw = f.read(length)
                if len(raw) != length:
                    raise ValueError(f"{file} is shorter than a record read from it")
            lines.append((file, number, raw))
    finally:
        for f in files.values():
            f.close()
    if pos != len(data):
        raise ValueError("bytes after the last record")
    return header["run_id"], lines
