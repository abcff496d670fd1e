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
  chunk files `c-<k>-<j>.js` (value k of the values files' owner, part j):
  - an array is split by items (each chunk holds whole items, with the
    Markdown of those items), so the UI view can show real items at once;
  - any other value (or an array with one item larger than a chunk) is
    split as its pretty-printed JSON text (two-space indent), which the Raw
    view shows as it arrives; Markdown of such a value follows in further
    chunks holding only `md`.

Sizes are UTF-8 bytes of the data each chunk adds (item JSON with its
separators, or text, plus rendered Markdown), so the page can say
"1.2 MB of 5.0 MB" and the two numbers meet when the last chunk is in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable

import orjson

from runreport.model import Entry
from runreport.records import STEP_FIELDS
from runreport.site import markdown

#: Default size of a chunk file's data, and the largest value kept inline (bytes).
DEFAULT_CHUNK_SIZE = 256 * 1024
#: Smallest chunk size accepted: below this the file overhead dominates.
MIN_CHUNK_SIZE = 1024
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


def pretty_text(value: Any) -> str:
    """The value as the Raw view shows it: JSON with a two-space indent."""
    try:
        return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode("utf-8")
    except TypeError:
        return json.dumps(value, ensure_ascii=False, indent=2)


def _size(value: Any) -> int:
    return len(encoded(value))


def _text(data: bytes) -> str | None:
    """`encoded` bytes as text for the Markdown precheck (None: lone surrogates)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


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


def _split_items(value: list, limit: int) -> list[tuple[list, dict, int]] | None:
    """(items, md, bytes) per chunk, or None when one item does not fit a chunk."""
    chunks: list[tuple[list, dict, int]] = []
    items: list = []
    md: dict[str, str] = {}
    size = 0
    for i, item in enumerate(value):
        data = encoded(item)
        item_md = markdown.markdown_map(item, f"/{i}", _text(data))
        n = len(data) + 1 + sum(len(p) + len(h.encode("utf-8")) for p, h in item_md.items())
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


@dataclass
class ChunkedValue:
    """A value split into chunk files: the descriptor for the values file and the files."""

    descriptor: dict
    files: list[tuple[str, dict]]


def split_value(value: Any, src_prefix: str, chunk_size: int) -> ChunkedValue:
    """Split `value` into chunk files named `<src_prefix><j>.js`."""
    parts: list[dict] = []
    sizes: list[int] = []
    desc: dict[str, Any]
    by_items = _split_items(value, chunk_size) if isinstance(value, list) else None
    if by_items is not None:
        start = 0
        counts = []
        for items, md, size in by_items:
            part: dict[str, Any] = {"kind": "chunk", "start": start, "items": items}
            if md:
                part["md"] = md
            parts.append(part)
            sizes.append(size)
            counts.append(len(items))
            start += len(items)
        desc = {"mode": "items", "count": len(value), "items": counts}
    else:
        for piece in split_text(pretty_text(value), chunk_size):
            parts.append({"kind": "chunk", "text": piece})
            sizes.append(len(piece.encode("utf-8", "surrogatepass")))
        for group in _pack_md(markdown.markdown_map(value), chunk_size):
            parts.append({"kind": "chunk", "md": group})
            sizes.append(sum(len(p) + len(h.encode("utf-8")) for p, h in group.items()))
        desc = {"mode": "text"}
    srcs = [f"{src_prefix}{j}.js" for j in range(len(parts))]
    desc.update({"src": srcs, "bytes": sizes, "total": sum(sizes)})
    return ChunkedValue({"chunks": desc}, list(zip(srcs, parts)))


def section_payload(value: Any, json_text: str | None = None) -> dict:
    """An inline SECTION: the value and the rendered Markdown of its strings.

    `json_text`: the value's compact JSON when the caller has it (see markdown_map).
    """
    payload: dict = {"value": value}
    md = markdown.markdown_map(value, "", json_text)
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
                 budget: int = DEFAULT_CHUNK_SIZE) -> None:
        self.data_dir = data_dir
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
            data = encoded(value)
            n = len(data)
            if n <= self.chunk_size:  # (Markdown is rendered once: here, or by split_value)
                payload = section_payload(value, _text(data))
                # {"value":…} adds 10 bytes; with Markdown, measure it all.
                n = _size(payload) if "md" in payload else n + 10
            if n > self.chunk_size or inline + n > self.chunk_size:
                chunked = split_value(value, f"{self.data_dir}c-{self.count}-", self.chunk_size)
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
    "encoded", "other_fields", "pretty_text", "save_source", "section_payload", "split_text", "split_value",
]
