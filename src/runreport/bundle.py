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
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path, PurePosixPath
from typing import Any

import orjson

from runreport import __version__
from runreport.atomic import PRIVATE
from runreport.hashing import bytes_hash, safe_name
from runreport.model import ROW_FIELDS
from runreport.problems import Problem
from runreport.store import INLINE, RawLine, run_digest, unpack_run

FORMAT = 2  # 2: index rows keep step names and durations as one JSON text (step_detail)
INDEX = "runreport-bundle.json"
KIND = "runreport shard bundle"
#: The folders a run's rendered files live in (runreport.site.pagedata).
RUN_FOLDERS = ("runs", "data")


#: The keys of an index row and of a problem (a bundle of this format has exactly these).
_ROW_FIELDS = set(ROW_FIELDS)
_PROBLEM_FIELDS = {f.name for f in fields(Problem)}
_PROBLEM_REQUIRED = {"file", "line", "run_id", "severity", "message"}


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
        self._files = set(self.files)
        self.problems: list[dict] = index["problems"]
        # The input files its build chose from: {"count", "sha256"} (see runreport.shard).
        self.input_files: dict[str, Any] = index["input_files"]
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
            raise BundleError(f"{self.path}: {name} is compressed: the bundle was packed again; use "
                              "it exactly as `runreport build --bundle` wrote it (zip it whole to move it)")
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
                          ("problems", list), ("runs", dict), ("inputs", list), ("input_files", dict)):
            if not isinstance(index.get(key), kind):
                raise BundleError(f"{self.path}: its index has no valid {key!r}")
        k, n = (index["shard"] + [0, 0])[:2]
        if (len(index["shard"]) != 2 or not all(isinstance(x, int) for x in (k, n)) or not 1 <= k <= n
                or index.get("shard_by") not in ("file", "run")):
            raise BundleError(f"{self.path}: its index names no valid shard")
        for rid, run in index["runs"].items():
            if not (isinstance(run, dict) and isinstance(run.get("hash"), str)
                    and isinstance(run.get("row"), dict) and isinstance(run.get("problems"), list)
                    and isinstance(run.get("files"), list)
                    and set(run["row"]) == _ROW_FIELDS and run["row"].get("run_id") == rid
                    and all(_problem_like(p) for p in run["problems"])):
                raise BundleError(f"{self.path}: its index entry for run {rid!r} is damaged")
            for mark in run["files"]:
                if not (isinstance(mark, list) and len(mark) == 3 and _run_file_path(mark[0])):
                    raise BundleError(f"{self.path}: run {rid!r} lists a file outside the run folders: {mark!r}")
        if not all(_problem_like(p) and isinstance(p["file"], str) for p in index["problems"]):
            raise BundleError(f"{self.path}: its index lists a damaged problem")

    def records_end(self) -> int:
        """Where the bundle's records end: they are the first members (see write_bundle), so
        the bytes before the first other member hold every run's records. (A bundle laid out
        otherwise, by another zip writer, answers its whole size.)"""
        infos = self._zip.infolist()
        others = [i.header_offset for i in infos if not i.filename.startswith("records/")]
        first_other = min(others, default=os.fstat(self._fd).st_size)
        if any(i.header_offset > first_other for i in infos if i.filename.startswith("records/")):
            return os.fstat(self._fd).st_size
        return first_other

    def copy_records(self, target: Path) -> None:
        """Write the bundle's records range (offsets unchanged) to `target`, owner-only."""
        end = self.records_end()
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        try:
            os.fchmod(fd, PRIVATE)
            at = 0
            while at < end:
                try:  # (a copy in the kernel where the file system can)
                    done = os.copy_file_range(self._fd, fd, end - at, at, at)
                except OSError:
                    data = os.pread(self._fd, min(end - at, 1 << 24), at)
                    done = os.pwrite(fd, data, at) if data else 0
                if done <= 0:
                    raise BundleError(f"{self.path}: cut short while its records were copied")
                at += done
            os.close(fd)
            fd = -1
            Path(tmp_name).replace(target)
        finally:
            if fd >= 0:
                os.close(fd)
            Path(tmp_name).unlink(missing_ok=True)

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
        outside = next((f for f, _, _ in lines if f not in self._files), None)
        if outside is not None:
            raise BundleError(f"{self.path}: run {run_id!r} has records of {outside}, which the "
                              "bundle does not say it read")
        return (start, len(data)), lines

    def file_bytes(self, mark: list) -> bytes:
        """A rendered file's bytes, checked against its size and SHA-256."""
        rel, digest, size = mark
        data, _ = self._stored(f"site/{rel}")
        if len(data) != size or bytes_hash(data) != digest:
            raise BundleError(f"{self.path}: {rel} does not match its recorded size and hash")
        return data


def _problem_like(p: Any) -> bool:
    return isinstance(p, dict) and _PROBLEM_REQUIRED <= set(p) <= _PROBLEM_FIELDS


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

    Records come first, so they are one range at the start of the file (the
    merge keeps a copy of that range, not of the pages). Written to a temporary
    file beside `path` (a name of its own: shards may share a folder) and
    renamed: never half a bundle. Readable by its owner only, like the store.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        os.fchmod(fd, PRIVATE)
        with os.fdopen(fd, "wb") as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED) as z:
            runs = sorted(index["runs"])
            for run_id in runs:
                z.writestr(_entry(f"records/{safe_name(run_id)}.rec"), records(run_id))
            for run_id in runs:
                for rel, _, _ in index["runs"][run_id]["files"]:
                    z.writestr(_entry(f"site/{rel}"), (site_dir / rel).read_bytes())
            # (Last, so a bundle cut short has no index: the zip's directory at its end is gone too.)
            z.writestr(_entry(INDEX), orjson.dumps({"kind": KIND, "format": FORMAT,
                                                    "version": __version__, **index}))
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _entry(name: str) -> zipfile.ZipInfo:
    # A fixed time: the same shard gives the same bundle bytes.
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.external_attr = PRIVATE << 16
    return info


__all__ = ["Bundle", "BundleError", "BundledRun", "FORMAT", "write_bundle"]
