"""The local store: normalized run state on disk, so later reads touch only what changed.

Layout of a store folder::

    manifest.json        format, tool version, read position of every input
                         file, and per run its content hash, index row and
                         problems
    runs/<safe>.json     one compact file per run: its merged state (merge.RunState)

The store is a cache, never a source of truth: a manifest that is missing,
unreadable, of another format or another runreport version, or a run file
that fails to load, makes the store start empty and the inputs be read
again. All writes are atomic (temp file + rename).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from runreport import __version__
from runreport.atomic import write_bytes
from runreport.hashing import bytes_hash, safe_name
from runreport.merge import RunState

FORMAT = 2  # 2: run states list the files holding their records
MANIFEST = "manifest.json"
#: Bytes hashed at the start of a file and just before the read position to
#: tell an append (both unchanged) from a rewrite, truncation or rotation.
PROBE = 4096


@dataclass(slots=True)
class FileMark:
    """How far an input file has been read, and a fingerprint of what was read."""

    size: int
    offset: int  # bytes consumed (complete lines)
    line: int  # lines consumed
    head: str  # hash of the first PROBE bytes (up to offset)
    tail: str  # hash of the PROBE bytes before offset

    def to_json(self) -> dict:
        return {"size": self.size, "offset": self.offset, "line": self.line, "head": self.head, "tail": self.tail}


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


@dataclass(slots=True)
class StoredRun:
    hash: str
    row: dict
    problems: list[dict] = field(default_factory=list)


class Store:
    """A folder of run state. Create with :meth:`open`."""

    def __init__(self, root: Path):
        self.root = root
        self.order = 0  # read order of the next record, continued across reads
        self.files: dict[str, FileMark] = {}
        self.file_problems: dict[str, list[dict]] = {}
        self.runs: dict[str, StoredRun] = {}

    # --- opening ------------------------------------------------------------

    @classmethod
    def open(cls, root: Path) -> Store:
        """Open the store at `root`; anything untrustworthy means an empty store."""
        store = cls(root)
        try:
            manifest = orjson.loads((root / MANIFEST).read_bytes())
            store._load_manifest(manifest)
        except FileNotFoundError:
            store.reset()
        except Exception:  # corrupt or foreign: rebuilt from the inputs, never trusted
            store.reset()
        return store

    def _load_manifest(self, manifest: Any) -> None:
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or manifest.get("version") != __version__:
            raise ValueError("manifest of another format or version")
        self.order = int(manifest["order"])
        self.files = {k: FileMark(**v) for k, v in manifest["files"].items()}
        self.file_problems = {k: list(v) for k, v in manifest["file_problems"].items()}
        self.runs = {k: StoredRun(v["hash"], v["row"], v["problems"]) for k, v in manifest["runs"].items()}

    def reset(self) -> None:
        """Forget everything: the next read starts from the beginning of every file."""
        if self.root.exists():
            shutil.rmtree(self.root / "runs", ignore_errors=True)
            (self.root / MANIFEST).unlink(missing_ok=True)
        self.order = 0
        self.files = {}
        self.file_problems = {}
        self.runs = {}

    # --- runs ---------------------------------------------------------------

    def run_path(self, run_id: str) -> Path:
        return self.root / "runs" / f"{safe_name(run_id)}.json"

    def get_state(self, run_id: str) -> RunState | None:
        """The stored state of a run, or None; an unreadable file is treated as absent."""
        try:
            data = orjson.loads(self.run_path(run_id).read_bytes())
        except FileNotFoundError:
            return None
        except Exception as exc:
            raise StoreCorrupt(f"unreadable store file {self.run_path(run_id)}: {exc}") from exc
        try:
            state = RunState.from_json(data)
        except Exception as exc:
            raise StoreCorrupt(f"unreadable store file {self.run_path(run_id)}: {exc}") from exc
        if state.run_id != run_id:
            raise StoreCorrupt(f"store file {self.run_path(run_id)} holds run {state.run_id!r}, not {run_id!r}")
        return state

    def put_state(self, state: RunState) -> bytes:
        """Write a run's state; returns the bytes written (hashed by the caller)."""
        data = orjson.dumps(state.to_json())
        write_bytes(self.run_path(state.run_id), data)
        return data

    # --- manifest -----------------------------------------------------------

    def save(self) -> None:
        manifest = {
            "format": FORMAT,
            "version": __version__,
            "order": self.order,
            "files": {k: v.to_json() for k, v in sorted(self.files.items())},
            "file_problems": dict(sorted(self.file_problems.items())),
            "runs": {
                k: {"hash": v.hash, "row": v.row, "problems": v.problems} for k, v in sorted(self.runs.items())
            },
        }
        write_bytes(self.root / MANIFEST, orjson.dumps(manifest))

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
