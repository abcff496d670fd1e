"""The build manifest: what the last build wrote, so the next one writes only what changed.

Kept in the output folder as `.runreport-manifest.json`::

    format, version     a manifest of another format or runreport version is ignored
    globals             hash of everything every page depends on: options,
                        template and asset text, the problem count (the banner)
    build               the build id (also in build.js), a hash of every file's hash
    runs                per run: [content hash (from the loader), bytes of its files,
                        its files as "path\tsha256\tsize" lines]
    pages               per listing page: the hash of the data it was rendered from
    files               per other written file: [sha256 of its bytes, size]

A run's files are one string, not a list of lists: a rebuild reads and writes
the entry of every kept run, and one string per run is a fifth of the JSON
values to parse (10,000 runs: 30,000 files). Only a run rendered again, or
checked on disk, has its string split.

A manifest that is missing, unreadable, of another format, version or
globals hash means "rebuild everything", never an error (like coverage.py's
status file).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import msgspec
import orjson

from runreport import __version__
from runreport.atomic import write_bytes
from runreport.hashing import content_hash

FORMAT = 6  # 6: a run's files as one string; 5: runs without their index rows (unread, and the rows grew); 4: insights pages; 3: cards and logs say what went wrong; 2: problem count from data/problems.js
NAME = ".runreport-manifest.json"


@dataclass
class Manifest:
    globals: str = ""
    build: str = ""
    runs: dict[str, Sequence] = field(default_factory=dict)  # run_id -> [hash, bytes, files text]
    pages: dict[str, str] = field(default_factory=dict)  # listing page path -> data hash
    files: dict[str, list] = field(default_factory=dict)  # rel path -> [sha256, size]

    def run_hash(self, run_id: str) -> str | None:
        entry = self.runs.get(run_id)
        return entry[0] if entry is not None else None

    def run_marks(self, run_id: str) -> list[tuple[str, list]]:
        """The run's files as (path, [sha256, size]), in the order they were written; none
        when its entry is damaged (its files are then written again, whatever they hold)."""
        entry = self.runs.get(run_id)
        try:
            return unpack_files(entry[2]) if entry is not None else []
        except ValueError:
            return []

    def tally(self) -> tuple[int, int, int]:
        """(files, bytes, pages) of the whole site."""
        files = len(self.files) + sum(e[2].count("\n") + 1 for e in self.runs.values())
        size = sum(m[1] for m in self.files.values()) + sum(e[1] for e in self.runs.values())
        pages = (sum(1 for rel in self.files if rel.endswith(".html"))
                 + sum(e[2].count(".html\t") for e in self.runs.values()))
        return files, size, pages

    def to_json(self) -> dict:
        return {
            "format": FORMAT,
            "version": __version__,
            "globals": self.globals,
            "build": self.build,
            "runs": dict(sorted(self.runs.items())),
            "pages": dict(sorted(self.pages.items())),
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
    """The manifest as `write` keeps it; a run's entry is [hash, bytes, files text]."""

    format: int
    version: str
    globals: str
    build: str
    runs: dict[str, tuple[str, int, str]]
    pages: dict[str, str]
    files: dict[str, list]


# (msgspec checks every type as it decodes, in about half of orjson's time for a dict of
# 10,000 runs: a rebuild reads all of them.)
_STORED = msgspec.json.Decoder(_Stored)


def read(out_dir: Path, globals_digest: str) -> Manifest | None:
    """The previous build's manifest, or None when a full rebuild is needed."""
    try:
        data = _STORED.decode((out_dir / NAME).read_bytes())
        if data.format != FORMAT or data.version != __version__ or data.globals != globals_digest:
            return None
        if not all(run[2] for run in data.runs.values()):  # (a run has files; a text is split when used)
            return None
        if not all(len(value) == 2 for value in data.files.values()):
            return None
        return Manifest(globals=data.globals, build=data.build, runs=data.runs, pages=data.pages,
                        files=data.files)
    except Exception:  # missing, unreadable, damaged, of another shape: not trusted, rebuilt
        return None


def write(out_dir: Path, manifest: Manifest) -> None:
    write_bytes(out_dir / NAME, orjson.dumps(manifest.to_json()))
