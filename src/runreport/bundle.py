"""Shard bundles: one part of a build, packed to be merged into a whole site elsewhere.

A bundle is a zip file (stored, not compressed: run pages are copied out
of it as they are, and CI artifact stores compress what they keep)::

    runreport-bundle.json   what the shard is: format, runreport version,
                            the build's options and globals hash, shard K/N,
                            the input files it read (display paths, read
                            order), their problems, and per run its content
                            hash, index row, problems and rendered files
                            ([path, sha256, size] each)
    records/<safe>.rec      each run's records as logged, with their places
                            (runreport.store.pack_run, bytes inline)
    site/<path>             each run's rendered files (run page, part pages,
                            data files)

Like the store, a bundle holds the input as logged, secrets included: it
is for moving a shard's work to the merge, never for publishing.

Everything read back is checked before it is trusted: the zip's own CRCs,
each record file against its run's content hash, each rendered file
against its size and SHA-256, paths against the folders a run writes.
"""

from __future__ import annotations

import os
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import orjson

from runreport import __version__
from runreport.hashing import bytes_hash, safe_name
from runreport.store import INLINE, RawLine, run_digest, unpack_run

FORMAT = 1
INDEX = "runreport-bundle.json"
KIND = "runreport shard bundle"
#: The folders a run's rendered files live in (runreport.site.pagedata).
RUN_FOLDERS = ("runs", "data")


class BundleError(Exception):
    """A bundle that cannot be merged: damaged, truncated, of another version, or mismatched."""


@dataclass(frozen=True)
class BundledRun:
    """What a bundle says of one run (its records and files stay in the zip until asked for)."""

    hash: str
    row: dict
    problems: list[dict]
    files: list[list]  # [path, sha256, size]


class Bundle:
    """An open bundle, its index checked. Use as a context manager, or call close()."""

    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            self._zip = zipfile.ZipFile(self.path)
            self._fd = self._zip.fp.fileno()
        except FileNotFoundError:
            raise BundleError(f"{self.path}: no such file") from None
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise BundleError(f"{self.path}: not a runreport bundle, or truncated ({exc})") from None
        try:
            raw_index = self._member(INDEX)
            index = orjson.loads(raw_index)
            self._check_index(index)
        except BundleError:
            self._zip.close()
            raise
        except Exception as exc:
            self._zip.close()
            raise BundleError(f"{self.path}: its index is damaged ({type(exc).__name__}: {exc})") from None
        self.index: dict[str, Any] = index
        self.digest = bytes_hash(raw_index)  # (names the bundle's copy in a merge store)
        self.globals: str = index["globals"]
        self.options: dict[str, Any] = index["options"]
        self.shard: tuple[int, int] = tuple(index["shard"])
        # What of its files it holds: all of each ("file"), or its runs of each ("run").
        self.shard_by: str = index["shard_by"]
        self.part: str = "" if self.shard_by == "file" else f"{self.shard[0]}/{self.shard[1]}"
        self.files: list[str] = index["files"]
        self.problems: list[dict] = index["problems"]
        self.runs: dict[str, BundledRun] = {
            rid: BundledRun(r["hash"], r["row"], r["problems"], r["files"]) for rid, r in index["runs"].items()}

    def __enter__(self) -> Bundle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._zip.close()

    def span(self, name: str) -> tuple[int, int]:
        """(offset, length) of a member's bytes in the bundle file (members are stored)."""
        try:
            info = self._zip.getinfo(name)
        except KeyError:
            raise BundleError(f"{self.path}: {name} is missing") from None
        header = os.pread(self._fd, zipfile.sizeFileHeader, info.header_offset)
        if len(header) != zipfile.sizeFileHeader or info.compress_type != zipfile.ZIP_STORED:
            raise BundleError(f"{self.path}: {name} is damaged (not a stored member)")
        fields = struct.unpack(zipfile.structFileHeader, header)
        if fields[0] != zipfile.stringFileHeader:
            raise BundleError(f"{self.path}: {name} is damaged (no member header)")
        start = info.header_offset + zipfile.sizeFileHeader + fields[10] + fields[11]
        return start, info.file_size

    def _stored(self, name: str) -> tuple[bytes, int]:
        """A member's bytes read in place (their hash is checked by the caller, which makes
        the zip's CRC a second pass for nothing), and their offset in the bundle."""
        start, size = self.span(name)
        data = os.pread(self._fd, size, start)
        if len(data) != size:
            raise BundleError(f"{self.path}: {name} is cut short")
        return data, start

    def _member(self, name: str) -> bytes:
        try:
            return self._zip.read(name)
        except KeyError:
            raise BundleError(f"{self.path}: {name} is missing") from None
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:  # (a bad CRC, a short read)
            raise BundleError(f"{self.path}: {name} is damaged ({exc})") from None

    def _check_index(self, index: Any) -> None:
        if not isinstance(index, dict) or index.get("kind") != KIND:
            raise BundleError(f"{self.path}: not a runreport bundle")
        if index.get("format") != FORMAT or index.get("version") != __version__:
            raise BundleError(
                f"{self.path}: made by runreport {index.get('version')} (bundle format "
                f"{index.get('format')}); this is runreport {__version__} (format {FORMAT}). "
                "Build every shard with the runreport that merges them.")
        for key, kind in (("globals", str), ("options", dict), ("shard", list), ("files", list),
                          ("problems", list), ("runs", dict), ("inputs", list)):
            if not isinstance(index.get(key), kind):
                raise BundleError(f"{self.path}: its index has no valid {key!r}")
        k, n = (index["shard"] + [0, 0])[:2]
        if (len(index["shard"]) != 2 or not all(isinstance(x, int) for x in (k, n)) or not 1 <= k <= n
                or index.get("shard_by") not in ("file", "run")):
            raise BundleError(f"{self.path}: its index names no valid shard")
        for rid, run in index["runs"].items():
            if not (isinstance(run, dict) and isinstance(run.get("hash"), str)
                    and isinstance(run.get("row"), dict) and isinstance(run.get("problems"), list)
                    and isinstance(run.get("files"), list)):
                raise BundleError(f"{self.path}: its index entry for run {rid!r} is damaged")
            for mark in run["files"]:
                if not (isinstance(mark, list) and len(mark) == 3 and _run_file_path(mark[0])):
                    raise BundleError(f"{self.path}: run {rid!r} lists a file outside the run folders: {mark!r}")

    def records(self, run_id: str) -> tuple[tuple[int, int], list[RawLine]]:
        """Where the run's record file (a store's run file, bytes inline) is in the bundle
        ((offset, length)), and its records in read order, checked against the run's
        content hash."""
        data, start = self._stored(f"records/{safe_name(run_id)}.rec")
        try:
            stored_id, lines = unpack_run(data)
            if any(at != INLINE for at in _offsets(data)):
                raise ValueError("a record refers to an input file")
        except Exception as exc:
            raise BundleError(f"{self.path}: the records of run {run_id!r} are damaged ({exc})") from None
        if stored_id != run_id or run_digest(run_id, lines) != self.runs[run_id].hash:
            raise BundleError(f"{self.path}: the records of run {run_id!r} do not match its hash")
        return (start, len(data)), lines

    def file_bytes(self, mark: list) -> bytes:
        """A rendered file's bytes, checked against its size and SHA-256."""
        rel, digest, size = mark
        data, _ = self._stored(f"site/{rel}")
        if len(data) != size or bytes_hash(data) != digest:
            raise BundleError(f"{self.path}: {rel} does not match its recorded size and hash")
        return data


def _offsets(data: bytes) -> list[int]:
    return [line[2] for line in orjson.loads(data[:data.index(b"\n")])["lines"]]


def _run_file_path(rel: Any) -> bool:
    """A path a run's files may have: relative, inside runs/ or data/, no way out."""
    if not isinstance(rel, str) or "\\" in rel or "\x00" in rel:
        return False
    path = PurePosixPath(rel)
    return (not path.is_absolute() and len(path.parts) >= 2 and path.parts[0] in RUN_FOLDERS
            and all(part not in ("", ".", "..") for part in path.parts))


def write_bundle(path: Path, index: dict[str, Any], records: Callable[[str], bytes],
                 site_dir: Path) -> None:
    """Write a bundle: `index` (runs with their files), each run's packed records
    (`records(run_id)`, one run at a time), and the run files from `site_dir`.
    Written beside `path` and renamed: never half a bundle."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as z:
        for run_id in sorted(index["runs"]):
            z.writestr(_entry(f"records/{safe_name(run_id)}.rec"), records(run_id))
            for rel, _, _ in index["runs"][run_id]["files"]:
                z.writestr(_entry(f"site/{rel}"), (site_dir / rel).read_bytes())
        # (Last, so a bundle cut short has no index: the zip's directory at its end is gone too.)
        z.writestr(_entry(INDEX), orjson.dumps({"kind": KIND, "format": FORMAT, "version": __version__,
                                                **index}))
    tmp.replace(path)


def _entry(name: str) -> zipfile.ZipInfo:
    # A fixed time: the same shard gives the same bundle bytes.
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.external_attr = 0o600 << 16
    return info


__all__ = ["Bundle", "BundleError", "BundledRun", "FORMAT", "write_bundle"]
