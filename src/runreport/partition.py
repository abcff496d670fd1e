"""Partitioned reading: which lines of the input belong to which run, found without parsing.

A first build splits its input into byte ranges at line boundaries
(:func:`parts`) and indexes each range on its own core (:func:`index_part`):
every line's place, offset and length, grouped by the run id it names. The
run id is the first `"run_id":"…"` of the line, found by a byte search
that stops there (writers put it first), not by parsing; a line without a
plain string id there is left to the caller to parse. The search is only a
route: whoever parses a routed line checks that its record names that run,
and hands it back when it does not (a value nesting a "run_id" first).

Line numbers are counted per range and made absolute by the caller, who
knows how many lines the earlier ranges of the file held.
"""

from __future__ import annotations

import os
import re
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

#: A range is at least this many bytes: smaller ones cost more to hand out than to read.
MIN_PART_BYTES = 4 << 20

# A plain string run id (no escapes) after the key, as JSON writers put it.
_RUN_ID = re.compile(rb'"run_id"\s*:\s*"([^"\\]*)"')
_KEY = b'"run_id"'
_BOM = b"\xef\xbb\xbf"
# JSON's own whitespace (as read.parse_block: other control bytes are a JSON error).
_JSON_SPACE = b" \t\r"
_BLOCK = 1 << 20


@dataclass(frozen=True, slots=True)
class Part:
    """A byte range of one input file: it owns every line that starts in [start, end)."""

    file: int  # index of the file in the caller's list
    start: int
    end: int


@dataclass(slots=True)
class PartIndex:
    """The lines of one Part, by run.

    `routed` maps a run id to flat (local line index, offset, length)
    triplets; `unrouted` holds the triplets of lines whose run id the byte
    search could not tell. Offsets and lengths cover the bytes to parse (no
    line end, no byte order mark). Local line indexes count every line the
    part owns from 0, blank ones included.
    """

    part: Part
    lines: int = 0  # lines owned, blank ones and an unterminated last line included
    tail_start: int | None = None  # offset of an unterminated last line of the file
    routed: dict[str, array] = field(default_factory=dict)
    unrouted: array = field(default_factory=lambda: array("q"))


def parts(sizes: list[int], count: int) -> list[Part]:
    """Cut files of `sizes` bytes into about `count` ranges of similar size, in read order."""
    total = sum(sizes)
    target = max(MIN_PART_BYTES, -(-total // max(1, count)))
    out: list[Part] = []
    for n, size in enumerate(sizes):
        pieces = max(1, round(size / target))
        step = -(-size // pieces) if size else 0
        start = 0
        for k in range(pieces):
            end = size if k == pieces - 1 else min(size, start + step)
            out.append(Part(n, start, end))
            start = end
    return out


def index_part(path: str, part: Part, *, strict: bool = False) -> PartIndex:
    """Index the lines `part` owns in the file at `path` (see PartIndex).

    `strict`: route a line only when its run id cannot be another's: one plain
    `"run_id"` key and no `\\u` escape (which could spell the record's own key);
    other lines are left unrouted, for the caller to parse. A build by run-id
    shards needs it: a shard never parses the lines routed to other shards' runs.
    """
    index = PartIndex(part)
    routed = index.routed
    unrouted = index.unrouted
    with open(path, "rb") as f:
        start = _first_line_start(f, part.start)
        if start is None or start >= part.end:
            return index
        f.seek(start)
        pos = start  # file offset of the next line
        local = 0
        pending = b""
        while pos < part.end:
            chunk = f.read(_BLOCK)
            if not chunk:
                if pending:  # an unterminated last line
                    index.tail_start = pos
                    _route(pending, pos, local, routed, unrouted, strict)
                    local += 1
                break
            lines = (pending + chunk if pending else chunk).split(b"\n")
            pending = lines.pop()
            for line in lines:
                if pos >= part.end:
                    break
                _route(line, pos, local, routed, unrouted, strict)
                local += 1
                pos += len(line) + 1
    index.lines = local
    return index


def _first_line_start(f, start: int) -> int | None:
    """The offset of the first line starting at or after `start` (None: none does)."""
    if start == 0:
        return 0
    f.seek(start - 1)
    while True:
        block = f.read(_BLOCK)
        if not block:
            return None
        at = block.find(b"\n")
        if at >= 0:
            return start - 1 + at + 1
        start += len(block)


def _route(line: bytes, offset: int, local: int, routed: dict, unrouted: array, strict: bool = False) -> None:
    length = len(line)
    if line.endswith(b"\r"):
        length -= 1
    if offset == 0 and line.startswith(_BOM):
        # (read.parse_block drops a byte order mark at the start of a file the same way)
        offset += len(_BOM)
        length -= len(_BOM)
        line = line[len(_BOM):]
    if not line.strip(_JSON_SPACE):
        return  # a blank line: counted, never parsed
    at = line.find(_KEY)
    found = _RUN_ID.match(line, at) if at >= 0 else None
    if found is not None and strict and (line.find(_KEY, found.end()) >= 0 or b"\\u" in line):
        found = None
    if found is not None:
        key = found[1].decode("utf-8", "surrogateescape")
        refs = routed.get(key)
        if refs is None:
            refs = routed[key] = array("q")
        refs.extend((local, offset, length))
    else:
        unrouted.extend((local, offset, length))


#: Lines of a file at most this far apart are read by one call (the bytes between dropped)...
_READ_GAP = 4096
#: ... up to this many bytes a call.
_READ_SPAN = 8 << 20


def read_lines(refs: array, fd_of: Callable[[int], int]) -> Iterator[tuple[int, int, int, bytes]]:
    """(file, line, offset, bytes) of each (file, line, offset, length) quadruplet of
    `refs`, in order. Neighbouring lines of a file (a run's records, as most logs
    write them) are read with one call: a call per line cost more than the parse."""
    n = len(refs)
    i = 0
    while i < n:
        file, start = refs[i], refs[i + 2]
        end = start + refs[i + 3]
        j = i + 4
        while (j < n and refs[j] == file and 0 <= refs[j + 2] - end <= _READ_GAP
               and refs[j + 2] + refs[j + 3] - start <= _READ_SPAN):
            end = refs[j + 2] + refs[j + 3]
            j += 4
        data = read_span(fd_of(file), start, end - start)
        for k in range(i, j, 4):
            at = refs[k + 2] - start
            yield file, refs[k + 1], refs[k + 2], data[at:at + refs[k + 3]]
        i = j


def read_span(fd: int, offset: int, length: int) -> bytes:
    """`length` bytes at `offset` of an open file."""
    data = os.pread(fd, length, offset)
    if len(data) != length:
        raise OSError(f"expected {length} bytes at offset {offset}, found {len(data)}")
    return data
