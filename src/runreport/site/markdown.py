"""Markdown strings of values, rendered to safe HTML at build time.

A string counts as Markdown when it contains a block or inline construct a
person would have written on purpose: an ATX heading (`# `), a list item
(`- `, `* `, `+ `, `1. `) at the start of a line, a link `[text](url)`,
emphasis `**bold**` / `__bold__` / `*em*`, inline code or a code fence, a
block quote, or a table delimiter row. Plain sentences stay plain text.

Rendering uses CommonMark with raw HTML off, images shown as their alt text (an image would load
something from another host) and a link validator that drops `javascript:`,
`data:`, `vbscript:` (and `file:`) links; the result is the only HTML the
page script ever inserts from a value.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import orjson

_MARKDOWN_HINTS = re.compile(
    r"""(?mx)
    ^\s{0,3}\#{1,6}\s+\S          # heading
    | ^\s{0,3}(?:[-*+]|\d{1,9}[.)])\s+\S   # list item
    | \[[^\]\n]+\]\([^)\s]+\)     # link
    | \*\*[^*\n]+\*\* | __[^_\n]+__ | (?<![*\w])\*[^*\s][^*\n]*\*(?![*\w])  # emphasis
    | `[^`\n]+` | ^\s{0,3}```     # code, fence
    | ^\s{0,3}>\s                 # block quote
    | ^\s*\|?\s*:?-{3,}:?\s*\|    # table delimiter row
    """
)

# The same hints, searched in the compact JSON text of a whole value (orjson's
# escaping), so a value with no Markdown-looking string is never walked.
# Every string matching _MARKDOWN_HINTS makes this match (tests check it);
# it may match more. A line starts after a string's opening quote or an
# escaped newline; whitespace may be escaped (\t, \n, \u001c, ...); the
# emphasis lookarounds are dropped. Every branch starts with a literal, so
# the search skips at C speed to the few places worth trying.
_JSON_WS = r"(?:\s|\\[tnrf]|\\u00(?:0[bB]|1[c-fC-F]))"
_LINE_BODY = (
    rf"(?:{_JSON_WS}{{0,3}}(?:\#{{1,6}}{_JSON_WS}+\S|(?:[-*+]|\d{{1,9}}[.)]){_JSON_WS}+\S"
    rf"|```|>{_JSON_WS})|{_JSON_WS}*\|?{_JSON_WS}*:?-{{3,}}:?{_JSON_WS}*\|)"
)
_JSON_HINTS = re.compile("|".join((
    rf'"(?=[\s\\#*+\-\d`>|]|:-){_LINE_BODY}',  # a string's first line
    rf"\\n{_LINE_BODY}",  # a later line
    r"\[[^\]\n]+\]\([^)\s]+\)",
    r"\*\*[^*\n]+\*\*", r"__[^_\n]+__", r"\*[^*\s][^*\n]*\*",
    r"`[^`\n]+`",
)))

_UNSAFE_SCHEMES = re.compile(r"^\s*(javascript|data|vbscript|file):", re.IGNORECASE)
#: Strings longer than this are shown as text: rendering them costs more than it helps.
MAX_MARKDOWN_CHARS = 20_000


def _validate_link(url: str) -> bool:
    # Browsers ignore control characters and whitespace inside a scheme.
    compact = re.sub(r"[\x00-\x20\x7f]+", "", url)
    return not _UNSAFE_SCHEMES.match(compact)


def _image_as_text(self, tokens, idx, options, env) -> str:
    # An <img> would load from another host: show its alt text instead.
    alt = self.renderInline(tokens[idx].children or [], options, env)
    return f'<span class="md-image">[image: {alt}]</span>'


def _aligned_cell(self, tokens, idx, options, env) -> str:
    # Table alignment arrives as style="text-align:…"; the site allows no
    # style attributes (strict CSP), so it becomes a class instead.
    token = tokens[idx]
    style = token.attrGet("style")
    if style:
        del token.attrs["style"]
        token.attrSet("class", "md-" + style.rpartition(":")[2].strip())
    return self.renderToken(tokens, idx, options, env)


@lru_cache(maxsize=1)  # (made on first use: most builds and rebuilds render no Markdown)
def _renderer():
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(["table", "strikethrough"])
    md.validateLink = _validate_link
    md.add_render_rule("image", _image_as_text)
    md.add_render_rule("th_open", _aligned_cell)
    md.add_render_rule("td_open", _aligned_cell)
    return md


def looks_like_markdown(text: str) -> bool:
    """True when `text` uses a Markdown construct (see the module docstring)."""
    return len(text) <= MAX_MARKDOWN_CHARS and bool(_MARKDOWN_HINTS.search(text))


def render(text: str) -> str:
    """Safe HTML of one Markdown string."""
    return _renderer().render(text)


def pointer_escape(key: str) -> str:
    """A JSON Pointer reference token (RFC 6901)."""
    return key.replace("~", "~0").replace("/", "~1")


# Every hint needs one of these in ASCII JSON text (the only raw whitespace
# there is a space; other whitespace is escaped, so starts with a backslash):
# substring tests run at memchr speed, several times faster than the regex.
_RARE_CHARS = ("#", "*", "`", ">", "|", "+", ")")
_RARE_PAIRS = ("__", "](", "- ", "-\\", ". ", ".\\")


def _hint_classes() -> bytes:
    """A bytes.translate table that folds the hints' characters into classes: R for a
    rare character, A for the first of a pair ("]", "-", "."), B for a second one (" ",
    "\\", "("), C for "_" (both, in "__"); x for anything else. Every _RARE_CHARS and
    _RARE_PAIRS hint then holds "R", "AB" or "CC" (and a few harmless others do too)."""
    table = bytearray(b"x" * 256)
    for chars, cls in (("".join(_RARE_CHARS), "R"), ("]-.", "A"), (" \\(", "B"), ("_", "C")):
        for c in chars.encode():
            table[c] = ord(cls)
    return bytes(table)


_HINT_CLASSES = _hint_classes()


def may_hold_markdown(data: bytes) -> bool:
    """False only when no string of the value whose compact JSON is `data` (UTF-8) looks
    like Markdown: one pass folds it into character classes, three searches clear it,
    and only a value they cannot clear is decoded and searched by the regex."""
    if data.isascii():
        classes = data.translate(_HINT_CLASSES)
        if b"R" not in classes and b"AB" not in classes and b"CC" not in classes:
            return False
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:  # (lone surrogates, from the lenient serializer: look closer)
        return True
    return _JSON_HINTS.search(text) is not None


def markdown_map(value: Any, base: str = "", data: bytes | None = None) -> dict[str, str]:
    """Map of JSON Pointer -> rendered HTML for every Markdown string inside `value`.

    `data`, the value's compact JSON when the caller has it, spares a
    serialization for the precheck.
    """
    if isinstance(value, (dict, list)):
        if data is None:
            try:
                data = orjson.dumps(value)
            except TypeError:  # beyond what orjson encodes: walk it
                data = None
        if data is not None and not may_hold_markdown(data):
            return {}
    out: dict[str, str] = {}
    stack: list[tuple[str, Any]] = [(base, value)]
    while stack:
        ptr, v = stack.pop()
        if isinstance(v, str):
            if looks_like_markdown(v):
                out[ptr] = render(v)
        elif isinstance(v, dict):
            for k, child in v.items():
                stack.append((f"{ptr}/{pointer_escape(str(k))}", child))
        elif isinstance(v, list):
            for i, child in enumerate(v):
                stack.append((f"{ptr}/{i}", child))
    return dict(sorted(out.items()))
