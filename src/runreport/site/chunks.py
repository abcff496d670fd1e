"""Packing values into data files: small values inline, large ones split into chunk files.

A page never carries values; they live in `v-<n>.js` values files next to
the page's other data (see docs/site-internals.md, "Chunks"). This module
decides where each value goes, with no I/O:

- A section's value goes inline in a values file when its payload (value
  plus rendered Markdown) fits `chunk_size` and the owner's inline total
  stays within `chunk_size`. So one entry never weighs more than one chunk
  in a values file, however many sections it has: a run of 5,000 entries
  with 200 KB outputs still gives values files of at most about one chunk.
- Otherwise the section holds a descriptor and the value is written as
  chunk files `c-<k>-<j>.js` (value k of the values files' owner, part j),
  in one of two modes:
  - "items": an array is split by items (each chunk holds whole items, with
    the Markdown of those items), so the UI view can show real items at
    once. An object whose bulk is one array reached through objects (follow
    the largest member while it is an object, e.g. `{"export": [...]}` or
    `{"data": {"rows": [...]}}`) is split the same way at that array: the
    descriptor carries the rest of the value as a `shell` (the array left
    empty, at most `chunk_size // SHELL_SHARE` bytes) and the `path` of
    keys to the array, and the page puts the items back in place. Chunk
    files then weigh about what the items weigh in compact JSON.
  - "text": anything else (no such array, an item larger than a chunk, or a
    shell too large) is split as its compact JSON text, which the page shows
    indented as it arrives and parses once it is whole; Markdown of such a
    value follows in further chunks holding only `md`.

Sizes are UTF-8 bytes of the data each chunk adds (item JSON with its
separators, the shell with the first chunk, or text, plus rendered
Markdown), so the page can say "1.2 MB of 5.0 MB" and the two numbers meet
when the last chunk is in: without Markdown the total is the size of the
value's compact JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Iterable

import orjson

from runreport.jsontext import NOT_AS_WRITTEN, RawJSON
from runreport.model import Entry
from runreport.records import STEP_FIELDS
from runreport.site import bytepattern, markdown

#: Default size of a chunk file's data, and the largest value kept inline (bytes).
DEFAULT_CHUNK_SIZE = 256 * 1024
#: Smallest chunk size accepted: below this the file overhead dominates.
MIN_CHUNK_SIZE = 1024
#: A value split at a nested array keeps the rest of it (its shell) in the descriptor,
#: which sits in a values file: the shell may take at most chunk_size // SHELL_SHARE bytes
#: (16 KiB by default), else the value is split as text.
SHELL_SHARE = 16
#: Page-weight budget (default chunk size): the data files that opening any one entry
#: loads (its values file plus the first chunk of each chunked value) stay under this.
#: The run page's HTML has its own budget (build.RUN_PAGE_BASE_BUDGET + per entry),
#: which no value size changes. Checked on a 50 MB run by tests/site/test_chunks.py.
FIRST_VIEW_BUDGET = 1_200_000


def encoded(value: Any) -> bytes:
    """Compact JSON of `value` (the lenient path for integers beyond 64 bits)."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")


def compact_text(value: Any) -> str:
    """The value's compact JSON as text (lone surrogates kept: split_text passes them on)."""
    try:
        return orjson.dumps(value).decode("utf-8")
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _size(value: Any) -> int:
    return len(encoded(value))


def split_text(text: str, limit: int) -> list[str]:
    """Cut `text` into pieces of at most `limit` UTF-8 bytes, never inside a character."""
    data = text.encode("utf-8", "surrogatepass")
    pieces = []
    start = 0
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and end > start and (data[end] & 0xC0) == 0x80:
            end -= 1  # a UTF-8 continuation byte: back off to the character's start
        pieces.append(data[start:end].decode("utf-8", "surrogatepass"))
        start = end
    return pieces


def _pack_md(md: dict[str, str], limit: int) -> list[dict[str, str]]:
    groups: list[dict[str, str]] = [{}]
    size = 0
    for ptr, html in md.items():
        n = len(ptr) + len(html.encode("utf-8")) + 6
        if groups[-1] and size + n > limit:
            groups.append({})
            size = 0
        groups[-1][ptr] = html
        size += n
    return groups if groups[0] else []


def _md_size(md: dict[str, str]) -> int:
    return sum(len(p) + len(h.encode("utf-8")) for p, h in md.items())


def _split_items(value: list, limit: int, base: str = "") -> list[tuple[list, dict, int]] | None:
    """(items, md, bytes) per chunk, or None when one item does not fit a chunk.

    `base`: the JSON pointer of the array in the whole value (Markdown pointers are absolute).
    """
    chunks: list[tuple[list, dict, int]] = []
    items: list = []
    md: dict[str, str] = {}
    size = 0
    for i, item in enumerate(value):
        data = encoded(item)
        item_md = markdown.markdown_map(item, f"{base}/{i}", data)
        n = len(data) + 1 + _md_size(item_md)
        if n > limit:
            return None
        if items and size + n > limit:
            chunks.append((items, md, size))
            items, md, size = [], {}, 0
        items.append(item)
        md.update(item_md)
        size += n
    if items or not chunks:
        chunks.append((items, md, size))
    # The enclosing brackets: n items take n - 1 commas and 2 brackets.
    first_items, first_md, first_size = chunks[0]
    chunks[0] = (first_items, first_md, first_size + 1)
    return chunks


def bulk_path(value: Any) -> list[str] | None:
    """Keys leading to the array that holds the bulk of `value`, or None.

    Follows the largest member (the first of equals) while it is an object;
    the path ends at an array. A top-level array is the empty path.
    """
    path: list[str] = []
    node = value
    while isinstance(node, dict) and node:
        key = max(node, key=lambda k: len(encoded(node[k])))
        path.append(key)
        node = node[key]
    return path if isinstance(node, list) else None


def _at(value: Any, path: list[str]) -> Any:
    for key in path:
        value = value[key]
    return value


def with_items(value: Any, path: list[str], items: list) -> Any:
    """`value` with the array at `path` replaced by `items` (objects on the path copied)."""
    if not path:
        return items
    return {**value, path[0]: with_items(value[path[0]], path[1:], items)}


def _pointer(path: list[str]) -> str:
    return "".join("/" + markdown.pointer_escape(k) for k in path)


@dataclass
class ChunkedValue:
    """A value split into chunk files: the descriptor for the values file and the files."""

    descriptor: dict
    files: list[tuple[str, dict]]


def _by_items(value: Any, chunk_size: int) -> tuple[dict, list[dict], list[int]] | None:
    """Descriptor fields, chunk payloads and sizes of the "items" mode, or None."""
    path = bulk_path(value)
    if path is None:
        return None
    desc: dict[str, Any] = {"mode": "items"}
    shell_size = 0
    if path:
        shell = with_items(value, path, [])
        shell_md = markdown.markdown_map(shell)
        # The shell is the value's compact JSON less the array's, which the chunks count.
        shell_size = len(encoded(shell)) - 2 + _md_size(shell_md)
        if shell_size > chunk_size // SHELL_SHARE:
            return None
        desc.update({"path": path, "shell": shell})
        if shell_md:
            desc["md"] = shell_md
    array = _at(value, path)
    split = _split_items(array, chunk_size, _pointer(path))
    if split is None:
        return None
    parts: list[dict] = []
    sizes: list[int] = []
    counts: list[int] = []
    start = 0
    for items, md, size in split:
        part: dict[str, Any] = {"kind": "chunk", "start": start, "items": items}
        if md:
            part["md"] = md
        parts.append(part)
        sizes.append(size)
        counts.append(len(items))
        start += len(items)
    sizes[0] += shell_size  # the shell arrives with the descriptor: counted with the first chunk
    desc.update({"count": len(array), "items": counts})
    return desc, parts, sizes


def split_value(value: Any, src_prefix: str, chunk_size: int) -> ChunkedValue:
    """Split `value` into chunk files named `<src_prefix><j>.js`."""
    by_items = _by_items(value, chunk_size)
    if by_items is not None:
        desc, parts, sizes = by_items
    else:
        parts, sizes = [], []
        for piece in split_text(compact_text(value), chunk_size):
            parts.append({"kind": "chunk", "text": piece})
            sizes.append(len(piece.encode("utf-8", "surrogatepass")))
        for group in _pack_md(markdown.markdown_map(value), chunk_size):
            parts.append({"kind": "chunk", "md": group})
            sizes.append(_md_size(group))
        desc = {"mode": "text"}
    srcs = [f"{src_prefix}{j}.js" for j in range(len(parts))]
    desc.update({"src": srcs, "bytes": sizes, "total": sum(sizes)})
    return ChunkedValue({"chunks": desc}, list(zip(srcs, parts)))


def section_payload(value: Any, data: bytes | None = None) -> dict:
    """An inline SECTION: the value and the rendered Markdown of its strings.

    `data`: the value's compact JSON when the caller has it, written as it is (no
    second serialization) and spared to the Markdown precheck.
    """
    payload: dict = {"value": value if data is None else orjson.Fragment(data)}
    md = markdown.markdown_map(value, "", data)
    if md:
        payload["md"] = md
    return payload


#: Fields of a step record that are not shown as "Other fields" (the format's own, plus v/type).
_KNOWN_STEP_FIELDS = frozenset(f.name for f in STEP_FIELDS) | {"v", "type"}


def other_fields(raw: dict) -> dict:
    """The fields of an entry that the run log format does not define, as logged."""
    return {k: v for k, v in raw.items() if k not in _KNOWN_STEP_FIELDS}


def save_source(entry: Entry) -> dict | None:
    """What Save Output to Library needs besides the value (only for entries with output)."""
    if entry.section("output") is None:
        return None
    return {"save": {"step_id": entry.step_id, "step_name": entry.name}}


def _plain_json(value: Any) -> tuple[bytes, Any, None]:
    if type(value) is RawJSON:
        if not _not_as_written().groups(value.data):
            return value.data, None, None
        value = value.value
    return encoded(value), value, None


@lru_cache(maxsize=1)
def _not_as_written() -> bytepattern.PatternSet:
    return bytepattern.PatternSet([(pattern, 1) for pattern in NOT_AS_WRITTEN])


@dataclass
class Packed:
    """Values files and chunk files of one owner (a run, or a prompt of the library)."""

    values: list[dict]  # payloads of <data_dir>v-<n>.js
    chunks: list[tuple[str, dict]] = field(default_factory=list)  # (src, payload) of chunk files
    values_file: dict[str, int] = field(default_factory=dict)  # key -> n of its values file


class Packer:
    """Pack keyed groups of sections into values files of about `budget` bytes each.

    `head` is the first values file's fixed part (e.g. the run-level
    sections); `base` is copied into every values file (kind, run_id).
    """

    def __init__(self, data_dir: str, base: dict, *, chunk_size: int = DEFAULT_CHUNK_SIZE,
                 budget: int = DEFAULT_CHUNK_SIZE,
                 to_json: Callable[[Any], tuple[bytes, Any, bool | None]] | None = None) -> None:
        self.data_dir = data_dir
        # Serializes a value once: its compact JSON, the value it holds (None: parse the
        # bytes) and whether it may hold Markdown (None: not known); e.g. Redactor.json,
        # which redacts on the way.
        self.to_json = to_json or _plain_json
        self.base = base
        self.chunk_size = max(MIN_CHUNK_SIZE, int(chunk_size))
        self.budget = budget
        self.packed = Packed(values=[{**base, "entries": {}}])
        self.size = 0
        self.count = 0  # chunked values so far (k of c-<k>-<j>.js)

    def sections(self, sections: Iterable[tuple[str, Any]]) -> tuple[dict, int]:
        """SECTION payloads for (key, value) pairs, chunking what does not fit; and their size."""
        out: dict[str, dict] = {}
        inline = 0
        for key, value in sections:
            data, shown, markdown_hint = self.to_json(value)
            n = len(data)
            if n <= self.chunk_size:  # (Markdown is rendered once: here, or by split_value)
                if markdown_hint is None:
                    markdown_hint = markdown.may_hold_markdown(data)
                if not markdown_hint:
                    payload = {"value": orjson.Fragment(data)}
                else:
                    if shown is None:  # (patched text: the value is needed for Markdown)
                        shown = orjson.loads(data)
                    payload = section_payload(shown, data)
                # {"value":…} adds 10 bytes; with Markdown, measure it all.
                n = _size(payload) if "md" in payload else n + 10
            if n > self.chunk_size or inline + n > self.chunk_size:
                whole = orjson.loads(data) if shown is None else shown
                chunked = split_value(whole, f"{self.data_dir}c-{self.count}-", self.chunk_size)
                self.count += 1
                self.packed.chunks.extend(chunked.files)
                payload = chunked.descriptor
                n = _size(payload)
            out[key] = payload
            inline += n
        return out, inline

    def head(self, name: str, sections: Iterable[tuple[str, Any]]) -> None:
        """Put sections into the first values file under `name` (the run-level sections)."""
        payloads, n = self.sections(sections)
        if payloads:
            self.packed.values[0][name] = payloads
            self.size += n

    def add(self, key: str, sections: Iterable[tuple[str, Any]], extra: dict | None = None) -> None:
        """Add one keyed group (an entry's sections) to the current values file."""
        payloads, n = self.sections(sections)
        if not payloads:
            return
        item: dict = {"sections": payloads}
        if extra:
            item.update(extra)
            n += _size(extra)
        if self.size and self.size + n > self.budget:
            self.packed.values.append({**self.base, "entries": {}})
            self.size = 0
        self.packed.values[-1]["entries"][key] = item
        self.size += n
        self.packed.values_file[key] = len(self.packed.values) - 1


__all__ = [
    "DEFAULT_CHUNK_SIZE", "MIN_CHUNK_SIZE", "ChunkedValue", "Packed", "Packer",
    "bulk_path", "compact_text", "encoded", "other_fields", "save_source", "section_payload", "split_text",
    "split_value", "with_items",
]
