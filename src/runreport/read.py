"""Read stage: JSON Lines files -> parsed lines (with file and line) and problems.

Only :func:`find_inputs` and :func:`read_file` touch the disk. They hand raw
bytes to :func:`parse_block`, the pure core, which splits and parses lines.
A bad line costs exactly that line: it becomes a :class:`Problem` and reading
goes on with the next one.

Reading can resume: :class:`Cursor` records how much of a file has been
consumed (complete lines only), so a watcher can read just the bytes appended
since the last pass. For ``*.gz`` files a cursor counts *decompressed* bytes;
a gzip stream cannot be entered in the middle, so resuming one decompresses
it again from the start and skips ``cursor.offset`` bytes.
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import msgspec
import orjson

from runreport.jsontext import RawJSON
from runreport.problems import Problem

#: Suffixes of the files a folder contributes (files named explicitly are read whatever their name).
INPUT_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz")
#: Deepest nesting of a record (the record itself is level 1). Values are written back
#: inside a few levels of the store's and the site's own JSON, and orjson writes at most
#: 254 levels: a deeper record would fail the whole build, so it is a bad line instead.
MAX_DEPTH = 200

# JSON's own whitespace; other control bytes on a line are a JSON error, not a blank line.
_JSON_SPACE = b" \t\r"
_BOM = b"\xef\xbb\xbf"


class InputError(Exception):
    """A path given by the user that does not exist or cannot be read."""


@dataclass(slots=True)
class Line:
    """One parsed JSON object with its place in the input."""

    file: str  # display path, as used in messages
    line: int  # 1-based line number
    data: dict
    raw: bytes = field(default=b"", compare=False)  # the bytes parsed (the store keeps them)
    big_integers: int = field(default=0, compare=False)  # integers beyond 64 bits, kept as text


class Cursor(msgspec.Struct):
    """How much of a file has been consumed: complete lines only."""

    offset: int = 0  # bytes (decompressed bytes for *.gz)
    line: int = 0  # lines, blank ones included


# --- finding files ----------------------------------------------------------


def find_inputs(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Expand the given files and folders into the files to read, in sorted path order.

    One order for every file, whatever the order of the arguments: merging
    depends on read order, and the same inputs must give the same site.
    """
    found: list[Path] = []
    seen: set[Path] = set()
    for given in paths:
        path = Path(given)
        if not path.exists():
            raise InputError(f"input path {os.fspath(given)!r} does not exist")
        if not os.access(path, os.R_OK):
            raise InputError(f"input path {os.fspath(given)!r} is not readable")
        files = _folder_files(path) if path.is_dir() else [path]
        for file in files:
            # The same file reached twice (a folder and a file inside it) is read once.
            key = file.resolve()
            if key not in seen:
                seen.add(key)
                found.append(file)
    return sorted(found, key=lambda p: p.as_posix())


def _folder_files(folder: Path) -> list[Path]:
    files = []
    # os.walk does not follow symlinked folders, so a link loop cannot recurse forever.
    for root, _dirs, names in os.walk(folder):
        for name in names:
            if name.endswith(INPUT_SUFFIXES):
                files.append(Path(root, name))
    return sorted(files, key=lambda p: p.as_posix())


# --- the pure core ------------------------------------------------------------


def parse_block(
    data: bytes, file: str, first_line: int, *, final: bool
) -> tuple[list[Line | Problem], int, int]:
    """Split a block of bytes into lines and parse each; return (items, bytes consumed, lines consumed).

    ``first_line`` is the 1-based number of the first line in ``data``. Blank
    lines yield nothing but are counted. Unless ``final``, an unterminated
    last line is held back (not parsed, not counted) since more of it may come.
    """
    parts = data.split(b"\n")
    tail = parts.pop()  # the bytes after the last newline: b"" when data ends with one
    consumed = len(data) - len(tail)
    if final and tail:
        parts.append(tail)
        consumed = len(data)
    items: list[Line | Problem] = []
    number = first_line
    for raw in parts:
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        if number == 1 and raw.startswith(_BOM):
            # Some editors start a UTF-8 file with a byte order mark; it is not part of the data.
            raw = raw[len(_BOM) :]
        if raw.strip(_JSON_SPACE):
            items.append(_parse_line(raw, file, number))
        number += 1
    return items, consumed, len(parts)


def _parse_line(raw: bytes, file: str, number: int) -> Line | Problem:
    line = read_keeping_text(raw, file, number)
    if line is not None:
        return line
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        # Decoding is tried only after a failure, to keep the common path fast.
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as bad:
            message = (
                f"expected UTF-8 text, found invalid byte 0x{raw[bad.start]:02x} "
                f"at column {bad.start + 1}"
            )
        else:
            # (orjson says "line 1 column N": the line is the file's, named by the problem.)
            message = f"expected a JSON object, found invalid JSON: {exc.msg} at column {exc.colno}"
        return Problem(file, number, None, "error", message)
    if not isinstance(value, dict):
        return Problem(file, number, None, "error", f"expected a JSON object, found {_json_kind(value)}")
    big = 0
    if _LONG_DIGITS in raw.translate(_DIGIT_CLASSES):
        value, big = _with_big_integers_as_text(raw, value)
    if nested_too_deep(raw, value):
        return Problem(file, number, None, "error",
                       f"expected a JSON object nested at most {MAX_DEPTH} levels deep, found one "
                       "nested deeper; line skipped")
    return Line(file, number, value, raw, big)


#: Fields whose object or array values are kept as their text (see runreport.jsontext).
KEPT_AS_TEXT = ("input", "output")


class _Response(msgspec.Struct, forbid_unknown_fields=True):
    status: Any = msgspec.UNSET
    headers: Any = msgspec.UNSET
    body: msgspec.Raw = msgspec.UNSET


class _Http(msgspec.Struct, forbid_unknown_fields=True):
    request: Any = msgspec.UNSET
    response: _Response = msgspec.UNSET


@lru_cache(maxsize=1)
def _record_decoder() -> msgspec.json.Decoder:
    """A decoder of a record with the contract's fields only, KEPT_AS_TEXT as text, and
    an `http` with the usual fields only, its response body as text."""
    from runreport.records import RECORD_FIELDS  # (records reads Line from here)

    names = tuple(dict.fromkeys(["v", "type", *(f.name for table in RECORD_FIELDS.values()
                                                 for f in table)]))
    types = {**{name: msgspec.Raw for name in KEPT_AS_TEXT}, "http": _Http}
    fields = [(name, types.get(name, Any), msgspec.UNSET) for name in names]
    record = msgspec.defstruct("RecordLine", fields, forbid_unknown_fields=True)
    return msgspec.json.Decoder(record)


def read_keeping_text(raw: bytes, file: str, number: int) -> Line | None:
    """The line with its KEPT_AS_TEXT values and response body as RawJSON, or None: the
    full parse decides.

    Taken only when the result is the one the full parse gives, which the
    line shows cheaply: only its record type's fields (the struct's order is
    not the line's, which its other fields keep) and an `http` of the usual
    ones (msgspec checks the JSON of the rest as it skips it), UTF-8,
    no integer beyond 64 bits, no number that could overflow a double,
    nesting provably within MAX_DEPTH. Anything else (a bad line included)
    is left to the full parse.
    """
    decoder = _record_decoder()
    try:
        record = decoder.decode(raw)
    except (msgspec.MsgspecError, RecursionError):  # (msgspec stops at 1,000 levels: deep)
        return None
    if not raw.isascii():
        try:
            raw.decode("utf-8")  # (the text kept is not decoded by msgspec)
        except UnicodeDecodeError:
            return None
    classes = raw.translate(_CLASSES, b"+")
    if _LONG_DIGITS in classes or b"Xddd" in classes and b"dXddd" in classes:
        return None  # (an integer beyond 64 bits, or maybe a number beyond a double)
    if classes.count(b"(") > MAX_DEPTH and not _provably_shallow(raw):
        return None
    unset = msgspec.UNSET
    data = {name: value for name, value in msgspec.structs.asdict(record).items() if value is not unset}
    # The struct knows every record type's fields; one of another type is an unknown field
    # of this record, shown among its other fields in the order logged, which the struct's
    # order is not: read in full.
    kind = data.get("type")
    if not isinstance(kind, str) or not _own_fields(kind).issuperset(data):
        return None
    for name in KEPT_AS_TEXT:
        value = data.get(name)
        if value is not None:
            data[name] = _kept(bytes(value))
    http = data.get("http")
    if http is not None:
        data["http"] = value = {}
        if http.request is not unset:
            value["request"] = http.request
        response = http.response
        if response is not unset:
            value["response"] = shown = {}
            if response.status is not unset:
                shown["status"] = response.status
            if response.headers is not unset:
                shown["headers"] = response.headers
            if response.body is not unset:
                shown["body"] = _kept(bytes(response.body))
    return Line(file, number, data, raw)


@lru_cache(maxsize=8)
def _own_fields(kind: str) -> frozenset[str]:
    """The names a line of this record type may hold: its table's, `v` and `type`."""
    from runreport.records import RECORD_FIELDS  # (records reads Line from here)

    table = RECORD_FIELDS.get(kind)
    return frozenset(["v", "type", *(f.name for f in table)]) if table else frozenset()


def _kept(text: bytes) -> Any:
    """A value's text as RawJSON when it is an object or an array, else the value."""
    return RawJSON(text) if text[:1] in _CONTAINER_START else orjson.loads(text)


_CONTAINER_START = (b"{", b"[")
#: Digits -> "d", "e" and "E" -> "X", "[" and "{" -> "(", anything else -> " " ("+" is
#: deleted): an integer beyond 64 bits has 19 digits or more (_LONG_DIGITS), a number
#: beyond a double an exponent of three digits or more right after a digit ("dXddd";
#: looked for only where "Xddd" is, which is quicker to find), and nesting deeper than
#: MAX_DEPTH more than MAX_DEPTH opening brackets.
_CLASSES = bytes(ord("d") if 48 <= c <= 57 else ord("X") if c in b"eE" else
                 ord("(") if c in b"[{" else 32 for c in range(256))
#: Every byte but quotes and brackets (deleted to see a text's shape).
_NOT_SHAPE = bytes(c for c in range(256) if c not in b'"[]{}')


def _provably_shallow(raw: bytes) -> bool:
    """Whether a valid JSON text nests at most MAX_DEPTH levels (False: not known).

    Its shape is its quotes and brackets. Without an escaped quote, and with
    no string holding a bracket, every string's quotes pair up ("") and the
    rest is the brackets of its objects and arrays. Removing each innermost
    pair ([] or {}) takes one or two levels a round, and what is left nests at
    most half its length.
    """
    if b"\\" in raw and b'\\"' in raw:
        return False
    shape = raw.translate(None, _NOT_SHAPE).replace(b'""', b"")
    if b'"' in shape:
        return False
    rounds = 0
    while 2 * rounds + len(shape) // 2 > MAX_DEPTH:
        if rounds == 8:
            return False
        shape = shape.replace(b"[]", b"").replace(b"{}", b"")
        rounds += 1
    return True


#: Integers a value may hold as numbers: what orjson reads and writes exactly.
INT64_MIN, UINT64_MAX = -(2**63), 2**64 - 1
#: ASCII digits -> "d", anything else -> " ": an integer beyond 64 bits has 19 digits or more.
_DIGIT_CLASSES = bytes(ord("d") if 48 <= c <= 57 else 32 for c in range(256))
_LONG_DIGITS = b"d" * 19


def _with_big_integers_as_text(raw: bytes, value: dict) -> tuple[dict, int]:
    """`raw` parsed again with its integers beyond 64 bits as their text, and how many.

    orjson reads such an integer as the nearest float (123456789012345678901234567890
    becomes 1.2345678901234568e+29, -2**63-1 becomes -2**63): a number shown other
    than logged. The standard parser keeps the digits; the site shows them as text.
    """
    count = 0

    def parse_int(text: str) -> int | str:
        nonlocal count
        number = int(text)
        if INT64_MIN <= number <= UINT64_MAX:
            return number
        count += 1
        return text

    try:
        exact = json.loads(raw, parse_int=parse_int)
    except (ValueError, RecursionError):  # (nested past the standard parser: refused below anyway)
        return value, 0
    return (exact, count) if count else (value, 0)


#: Nesting orjson writes at most (a value's own level counts as one).
_ORJSON_DEPTH = 254


def nested_too_deep(text: bytes | str, value: object) -> bool:
    """Whether `value`, parsed from `text`, nests more than MAX_DEPTH levels.

    (Counting brackets is cheap and rules out almost every text before any walk.)
    """
    opening = ("{", "[") if isinstance(text, str) else (b"{", b"[")
    return text.count(opening[0]) + text.count(opening[1]) > MAX_DEPTH and _deeper_than(value, MAX_DEPTH)


def _deeper_than(value: object, limit: int) -> bool:
    """Whether `value` nests objects and arrays more than `limit` levels (it is level 1).

    Asked of orjson in C: the value wrapped in `_ORJSON_DEPTH - limit` arrays
    serializes unless it is deeper than `limit`. (A serialization is several
    times faster than any walk of a wide line in Python.)
    """
    wrapped = value
    for _ in range(_ORJSON_DEPTH - limit):
        wrapped = [wrapped]
    try:
        orjson.dumps(wrapped)
    except TypeError as exc:
        if "ecursion" in str(exc):
            return True
        return _walk_deeper_than(value, limit)
    return False


def _walk_deeper_than(value: object, limit: int) -> bool:
    """`_deeper_than` by a walk, level by level (for what orjson cannot serialize)."""
    level = [value]
    depth = 1
    while level:
        if depth > limit:
            return True
        below = []
        push = below.append
        for node in level:
            for child in (node.values() if type(node) is dict else node):
                kind = type(child)
                if kind is dict or kind is list:
                    push(child)
        level = below
        depth += 1
    return False


def _json_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array"


# --- files --------------------------------------------------------------------


def read_file(
    path: Path,
    display: str,
    cursor: Cursor | None = None,
    *,
    final: bool = True,
    block_size: int = 1 << 20,
) -> Iterator[Line | Problem]:
    """Yield the lines of one file from ``cursor`` on, advancing the cursor past each block yielded.

    Memory stays within one block plus the longest line. With ``final=False``
    (a file still being written) an unterminated last line is left for the
    next read. A file that cannot be read yields one problem at line 0.
    A cursor beyond the end of the file (truncated or replaced since) reads
    nothing: telling that apart from "nothing new" is the caller's job.
    """
    cursor = cursor if cursor is not None else Cursor()
    compressed = Path(path).name.endswith(".gz")
    try:
        stream = IntactGzip(open(path, "rb")) if compressed else open(path, "rb")
    except OSError as exc:
        yield _file_problem(display, exc)
        return
    with stream:
        try:
            if compressed:
                _skip(stream, cursor.offset, block_size)
            else:
                stream.seek(cursor.offset)
            yield from _read_blocks(stream, display, cursor, final, block_size)
        except EOFError as exc:
            # A gzip file still being written ends early; while watching, wait for the rest.
            if final:
                yield _file_problem(display, exc)
        except (OSError, zlib.error) as exc:
            yield _file_problem(display, exc)


def _read_blocks(stream, display: str, cursor: Cursor, final: bool, block_size: int) -> Iterator[Line | Problem]:
    pending: list[bytes] = []  # bytes of a line not complete yet
    while True:
        chunk = stream.read(block_size)
        at_end = not chunk
        if not at_end and b"\n" not in chunk:
            # No line ends in this chunk: parsing now would only rescan the same partial line.
            pending.append(chunk)
            continue
        pending.append(chunk)
        data = b"".join(pending)
        items, used, lines = parse_block(data, display, cursor.line + 1, final=final and at_end)
        yield from items
        cursor.offset += used
        cursor.line += lines
        pending = [data[used:]] if used < len(data) else []
        if at_end:
            return


class IntactGzip:
    """A gzip file read as far as it is intact: `read` returns every byte that
    decompresses, and only then raises what stopped it.

    `gzip.GzipFile.read` raises as soon as a block fails, dropping what that
    block had decompressed: a file cut short by a crash, or followed by a
    few bytes of garbage, then gave no line at all. Members are read one
    after the other, as `gzip -dc` does; zero bytes after the last one are
    padding. A file that ends inside a member raises EOFError (it may still
    be being written); damaged data raises OSError.
    """

    _MAGIC = b"\x1f\x8b"

    def __init__(self, raw: Any, chunk_size: int = 1 << 16) -> None:
        self._raw = raw
        self._chunk_size = chunk_size
        self._inflate = zlib.decompressobj(wbits=31)
        self._in_member = False  # bytes of the current member were read
        self._out: list[bytes] = []
        self._buffered = 0
        self._consumed = 0  # compressed bytes read
        self._stop: BaseException | None = None
        self._done = False

    def __enter__(self) -> "IntactGzip":
        return self

    def __exit__(self, *exc: Any) -> None:
        self._raw.close()

    def read(self, n: int) -> bytes:
        while self._buffered < n and not self._done:
            chunk = self._raw.read(self._chunk_size)
            if not chunk:
                self._done = True
                if self._in_member:
                    self._stop = EOFError(f"the compressed data ends early at byte {self._consumed:,} "
                                          "(a file cut short?); the lines before were read")
                break
            self._feed(chunk)
            self._consumed += len(chunk)
        data = b"".join(self._out)
        out, rest = data[:n], data[n:]
        self._out, self._buffered = ([rest], len(rest)) if rest else ([], 0)
        if not out and self._stop is not None:
            raise self._stop
        return out

    def _feed(self, data: bytes) -> None:
        while data and not self._done:
            if not self._in_member:
                if not data.strip(b"\0"):
                    return  # padding after the last member
                if not data.startswith(self._MAGIC[:len(data)]):
                    if self._consumed == 0 and not self._out:
                        self._fail("not a gzip file (no gzip signature at its start)", read=False)
                    else:
                        self._fail("bytes after the end of the compressed data are not gzip")
                    return
                self._in_member = True
            try:
                piece = self._inflate.decompress(data)
            except zlib.error as exc:
                self._fail(f"the compressed data is damaged near byte {self._consumed:,} ({exc})")
                return
            self._out.append(piece)
            self._buffered += len(piece)
            if not self._inflate.eof:
                return
            data = self._inflate.unused_data
            self._inflate = zlib.decompressobj(wbits=31)
            self._in_member = False

    def _fail(self, why: str, *, read: bool = True) -> None:
        self._stop = OSError(why + ("; the lines before were read" if read else ""))
        self._done = True


def _skip(stream, count: int, block_size: int) -> None:
    while count > 0:
        chunk = stream.read(min(count, block_size))
        if not chunk:
            return
        count -= len(chunk)


def _file_problem(display: str, exc: BaseException) -> Problem:
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return Problem(display, 0, None, "error", f"cannot read file: {reason}")
