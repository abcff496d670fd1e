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

from runreport.site import bytepattern

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
# emphasis lookarounds are dropped.


def json_hints(space: str, non_space: str, digit: str, first_line: str = "") -> str:
    """The JSON-text hints, with the classes for white space, anything else and a digit
    (`first_line`: a look-ahead that lets a backtracking engine skip most quotes)."""
    ws = rf"(?:{space}|\\[tnrf]|\\u00(?:0[bB]|1[c-fC-F]))"
    line_body = (
        rf"(?:{ws}{{0,3}}(?:\#{{1,6}}{ws}+{non_space}|(?:[-*+]|{digit}{{1,9}}[.)]){ws}+{non_space}"
        rf"|```|>{ws})|{ws}*\|?{ws}*:?-{{3,}}:?{ws}*\|)"
    )
    return "|".join((
        rf'"{first_line}{line_body}',  # a string's first line
        rf"\\n{line_body}",  # a later line
        r"\[[^\]\n]+\]\([^)\s]+\)",
        r"\*\*[^*\n]+\*\*", r"__[^_\n]+__", r"\*[^*\s][^*\n]*\*",
        r"`[^`\n]+`",
    ))


# For any text (Python's Unicode classes). Every branch starts with a literal, so
# the search skips at C speed to the few places worth trying.
_JSON_HINTS = re.compile(json_hints(r"\s", r"\S", r"\d", r"(?=[\s\\#*+\-\d`>|]|:-)"))
#: What Python's `\s` matches in ASCII text, spelt out for a byte-level engine.
ASCII_SPACE = r"[\t\n\x0b\x0c\r\x1c-\x1f ]"
#: The hints for ASCII JSON text, where they mean what _JSON_HINTS means, as one
#: linear-time automaton (RE2) over the bytes: a single pass, whatever the text.
JSON_HINTS_ASCII = json_hints(ASCII_SPACE, r"[^\t\n\x0b\x0c\r\x1c-\x1f ]", "[0-9]").replace(
    r"\s", ASCII_SPACE[1:-1])
_JSON_HINTS_ASCII = bytepattern.compile(JSON_HINTS_ASCII.encode())

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


def may_hold_markdown(data: bytes) -> bool:
    """False only when no string of the value whose compact JSON is `data` (UTF-8) looks
    like Markdown: one pass of an automaton over ASCII text; other text is decoded and
    searched with Python's Unicode classes."""
    if data.isascii():
        return _JSON_HINTS_ASCII.search(data) is not None
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
