"""The build manifest: what the last build wrote, so the next one writes only what changed.

Kept in the output folder as `.runreport-manifest.json`::

    format, version     a manifest of another format or runreport version is ignored
    globals             hash of everything every page depends on: options,
                        template and asset text, the problem count (the banner)
    build               the build id (also in build.js), a hash of every file's hash
    blocks              per block of runs: [runs key, sha256 of its file, runs,
                        files, bytes, pages] (see below)
    pages               per listing page: the hash of the data it was rendered from
    notes               per page, what its data makes that another page shows (a
                        composer's line on the Insights page)
    files               per other written file: [sha256 of its bytes, size]

and the runs' entries in `.runreport-manifest.d/<block>.json`, one file per
block of runs (`runreport.hashing.block_of`: 256 blocks by a CRC of its id)::

    per run: [content hash (from the loader), bytes of its files,
              its files as "path\tsha256\tsize" lines]

A rebuild reads a block only when one of its runs changed, came or went:
the block's runs key (a hash of its runs' ids and content hashes) says so
without reading it, and a block whose key holds is carried over as it is,
file and all. When the build knows which runs its load changed (the store in
the state the last build left it, see runreport.site.build._touched_blocks),
only those runs' blocks are looked at, and no key is worked out for the rest.
An appended run rewrites one block of 256, not the entries of 100,000 runs
(41 MB). Only the check of kept files on disk, in a forked
process beside the build, reads every block.

A run's files are one string, not a list of lists: one string per run is a
fifth of the JSON values to parse (10,000 runs: 30,000 files). Only a run
rendered again, or checked on disk, has its string split.

A manifest that is missing, unreadable, of another format, version or
globals hash means "rebuild everything", never an error (like coverage.py's
status file). A block file that does not match the hash the manifest gives
it is not read: its runs are rendered again.
"""

from __future__ import annotations

import os
import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import orjson

from runreport import __version__
from runreport.atomic import write_bytes
from runreport.hashing import BLOCK_COUNT, BLOCK_NAMES, block_of, bytes_hash, content_hash

FORMAT = 8  # 8: notes beside page keys (composers' Insights lines); 7: runs' entries in blocks; 6: a run's files as one string; 5: runs without their index rows (unread, and the rows grew); 4: insights pages; 3: cards and logs say what went wrong; 2: problem count from data/problems.js
NAME = ".runreport-manifest.json"
#: The folder of the runs' entries, beside the manifest.
BLOCKS = ".runreport-manifest.d"

#: A block's summary in the manifest: [runs key, sha256 of its file, runs, files, bytes, pages].
Summary = Sequence


def runs_key(runs: Iterable[tuple[str, str]]) -> str:
    """The key of a block: a hash of its runs' (id, content hash) pairs."""
    return bytes_hash(orjson.dumps(sorted(runs)))


def runs_by_block(digests: dict[str, str]) -> dict[str, dict[str, str]]:
    """Runs' content hashes grouped by block."""
    grouped: dict[str, dict[str, str]] = defaultdict(dict)
    crc, names, count = zlib.crc32, BLOCK_NAMES, BLOCK_COUNT  # (block_of, inlined: 100,000 runs)
    for run_id, digest in digests.items():
        grouped[names[crc(run_id.encode("utf-8", "surrogatepass")) % count]][run_id] = digest
    return grouped


def unchanged(old: Manifest, by_block: dict[str, dict[str, str]]) -> tuple[dict, dict]:
    """What of the last build's manifest still holds for runs with these content hashes
    (by block): (the blocks to carry over whole: block -> summary; the unchanged runs:
    run_id -> entry, None for those of a carried block, which is not read)."""
    carried: dict[str, Summary] = {}
    unchanged_runs: dict[str, Sequence | None] = {}
    for block, digests in by_block.items():
        summary = old.blocks.get(block)
        if summary is not None and all(digests.values()) and summary[0] == runs_key(digests.items()):
            carried[block] = summary
            unchanged_runs.update(dict.fromkeys(digests))
            continue
        unchanged_runs.update({rid: entry for rid, digest in digests.items()
                               if digest and (entry := old.entry(rid)) is not None and entry[0] == digest})
    return carried, unchanged_runs


def carry_over(old: Manifest, new: Manifest, by_block: dict[str, dict[str, str]], carried: dict,
               unchanged_runs: dict, damaged: set[str], damaged_blocks: set[str]) -> set[str]:
    """Put the unchanged runs into `new`: a carried block whole, unless one of its runs'
    files or its file failed the check; then its runs one by one, from `old`. Returns
    the further runs to make again (those whose entry could not be read)."""
    again: set[str] = set()
    damaged_in = {block_of(rid) for rid in damaged}
    for block, summary in carried.items():
        if block in damaged_blocks or block in damaged_in:
            runs = by_block.get(block)
            if runs is None:  # (left out of by_block, as no run of it changed: its runs are the last build's)
                runs = {rid: entry[0] for rid, entry in old.entries_of([block])}
            for rid, digest in runs.items():  # (not carried after all: read now)
                entry = old.entry(rid)
                if entry is not None and entry[0] == digest:
                    unchanged_runs[rid] = entry
                else:
                    again.add(rid)
        else:
            new.carry(block, summary)
    for run_id, entry in unchanged_runs.items():
        if run_id not in damaged and run_id not in again and entry is not None:
            new.runs[run_id] = entry
    return again


@dataclass
class Manifest:
    globals: str = ""
    build: str = ""
    # Runs' entries held here: run_id -> [hash, bytes, files text]. Of a manifest read
    # back, those of the blocks read so far; of one being made, those of every block
    # not carried over whole.
    runs: dict[str, Sequence] = field(default_factory=dict)
    # Block -> Summary. Of a manifest read back, every block; of one being made, the
    # blocks carried over whole, then (seal) all of them.
    blocks: dict[str, Summary] = field(default_factory=dict)
    pages: dict[str, str] = field(default_factory=dict)  # listing page path -> data hash
    # What a page's data makes that other pages show (a composer's line on the Insights
    # page), kept beside its key: a page kept by its key need not work it out again.
    notes: dict[str, Any] = field(default_factory=dict)
    files: dict[str, list] = field(default_factory=dict)  # rel path -> [sha256, size]
    folder: Path | None = None  # where the blocks of a manifest read back are
    carried: set[str] = field(default_factory=set)  # blocks carried over whole
    damaged: set[str] = field(default_factory=set)  # blocks whose file did not match
    _read: set[str] = field(default_factory=set)
    _sealed: dict[str, bytes] = field(default_factory=dict)  # block -> its file's new bytes

    # --- entries --------------------------------------------------------------

    def entry(self, run_id: str) -> Sequence | None:
        """A run's entry, reading its block if need be; None when it has none (or its
        block is damaged)."""
        if self.folder is not None:
            self._load(block_of(run_id))
        return self.runs.get(run_id)

    def all_runs(self) -> dict[str, Sequence]:
        """Every run's entry (every block read; a damaged block's runs are missing)."""
        for block in sorted(self.blocks):
            self._load(block)
        return self.runs

    def entries_of(self, blocks: Iterable[str]) -> Iterable[tuple[str, Sequence]]:
        """The entries of the runs of these blocks."""
        wanted = set(blocks)
        for block in sorted(wanted):
            self._load(block)
        return [(rid, e) for rid, e in self.runs.items() if block_of(rid) in wanted]

    def run_count(self) -> int:
        return sum(s[2] for s in self.blocks.values()) if self.folder is not None else len(self.runs)

    def _load(self, block: str) -> None:
        if self.folder is None or block in self._read:
            return
        self._read.add(block)
        summary = self.blocks.get(block)
        if summary is None:
            return
        try:
            data = (self.folder / f"{block}.json").read_bytes()
            if bytes_hash(data) != summary[1]:
                raise ValueError("not the block the manifest names")
            entries = _BLOCK.decode(data)
            if any(block_of(rid) != block or not e[2] for rid, e in entries.items()):
                raise ValueError("a run of another block, or without files")
        except Exception:  # (missing, changed, damaged: its runs are made again)
            self.damaged.add(block)
            return
        self.runs.update(entries)

    def run_hash(self, run_id: str) -> str | None:
        entry = self.entry(run_id)
        return entry[0] if entry is not None else None

    def run_marks(self, run_id: str) -> list[tuple[str, list]]:
        """The run's files as (path, [sha256, size]), in the order they were written; none
        when its entry is damaged (its files are then written again, whatever they hold)."""
        entry = self.entry(run_id)
        try:
            return unpack_files(entry[2]) if entry is not None else []
        except ValueError:
            return []

    # --- a manifest being made -----------------------------------------------------

    def carry(self, block: str, summary: Summary) -> None:
        """Keep a block of the last build whole: its runs and files are those it names."""
        self.blocks[block] = summary
        self.carried.add(block)

    def seal(self) -> None:
        """Work out every block not carried over (its file's bytes and summary)."""
        grouped: dict[str, list[tuple[str, Sequence]]] = defaultdict(list)
        for run_id, entry in self.runs.items():
            grouped[block_of(run_id)].append((run_id, entry))
        for block, entries in grouped.items():
            if block in self.carried:  # (a run of it made again after all: not carried)
                raise ValueError(f"block {block} is carried over and has runs of its own")
            entries.sort()
            data = orjson.dumps(dict(entries))
            texts = [e[2] for _, e in entries]
            self.blocks[block] = [runs_key((rid, e[0]) for rid, e in entries), bytes_hash(data),
                                  len(entries), sum(t.count("\n") + 1 for t in texts),
                                  sum(e[1] for _, e in entries), sum(t.count(".html\t") for t in texts)]
            self._sealed[block] = data
        self.blocks = dict(sorted(self.blocks.items()))

    def tally(self) -> tuple[int, int, int]:
        """(files, bytes, pages) of the whole site (once sealed)."""
        files = len(self.files) + sum(s[3] for s in self.blocks.values())
        size = sum(m[1] for m in self.files.values()) + sum(s[4] for s in self.blocks.values())
        pages = sum(1 for rel in self.files if rel.endswith(".html")) + sum(s[5] for s in self.blocks.values())
        return files, size, pages

    def build_id(self) -> str:
        """A hash of every file's hash (once sealed): a block's hash covers its runs' files."""
        return content_hash([sorted(self.files.items()), [[b, s[1]] for b, s in self.blocks.items()]])[:16]

    def to_json(self) -> dict:
        return {
            "format": FORMAT,
            "version": __version__,
            "globals": self.globals,
            "build": self.build,
            "blocks": self.blocks,
            "pages": dict(sorted(self.pages.items())),
            "notes": dict(sorted(self.notes.items())),
            "files": dict(sorted(self.files.items())),
        }


def run_entry(digest: str, marks: list[tuple[str, list]]) -> list:
    """A run's manifest entry from its content hash and its files' (path, [sha256, size])."""
    return [digest, sum(m[1] for _, m in marks),
            "\n".join(f"{rel}\t{sha}\t{size}" for rel, (sha, size) in marks)]


def unpack_files(text: str) -> list[tuple[str, list]]:
    out = []
    for line in text.split("\n"):
        rel, sha, size = line.split("\t")
        out.append((rel, [sha, int(size)]))
    return out


def default_store_dir(output: Path) -> Path:
    """The loader's store beside the output (`site` -> `.site.store`): rebuilds read only what is new."""
    output = Path(output).absolute()
    return output.parent / f".{output.name}.store"


def _tree_text(folder: Path) -> list:
    return [[p.relative_to(folder).as_posix(), p.read_bytes().hex()]
            for p in sorted(folder.rglob("*")) if p.is_file() and "__pycache__" not in p.parts]


def globals_hash(options: Any, templates: Path, assets: Path) -> str:
    """Hash of what every page depends on; a change rebuilds everything.

    (Not the input's problem count: run pages read it from a data file.)
    """
    return content_hash({
        "format": FORMAT,
        "version": __version__,
        "options": repr(options),
        "templates": _tree_text(templates),
        "assets": _tree_text(assets),
    })


class _Stored(msgspec.Struct):
    """The manifest as `write` keeps it."""

    format: int
    version: str
    globals: str
    build: str
    blocks: dict[str, tuple[str, str, int, int, int, int]]
    pages: dict[str, str]
    notes: dict[str, Any]
    files: dict[str, list]


# (msgspec checks every type as it decodes, in about half of orjson's time for dicts.)
_STORED = msgspec.json.Decoder(_Stored)
_BLOCK = msgspec.json.Decoder(dict[str, tuple[str, int, str]])


def read(out_dir: Path, globals_digest: str) -> Manifest | None:
    """The previous build's manifest, or None when a full rebuild is needed. Its blocks
    are read when asked for (Manifest.entry, all_runs)."""
    try:
        data = _STORED.decode((out_dir / NAME).read_bytes())
        if data.format != FORMAT or data.version != __version__ or data.globals != globals_digest:
            return None
        if not all(len(value) == 2 for value in data.files.values()):
            return None
        return Manifest(globals=data.globals, build=data.build, blocks=data.blocks, pages=data.pages,
                        notes=data.notes, files=data.files, folder=out_dir / BLOCKS)
    except Exception:  # missing, unreadable, damaged, of another shape: not trusted, rebuilt
        return None


def write(out_dir: Path, manifest: Manifest) -> None:
    """Write the blocks made again, remove those of no run, then the manifest itself."""
    folder = out_dir / BLOCKS
    for block, data in manifest._sealed.items():  # (every block not carried over whole)
        write_bytes(folder / f"{block}.json", data)
    try:
        names = os.listdir(folder)
    except OSError:
        names = []
    for name in names:
        if name.endswith(".json") and name[:-5] not in manifest.blocks:
            (folder / name).unlink(missing_ok=True)
    write_bytes(out_dir / NAME, orjson.dumps(manifest.to_json()))
