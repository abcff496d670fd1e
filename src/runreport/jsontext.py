"""JSON values kept as the text they were logged in, parsed only where needed.

Most of a run log's bytes are the values of its steps' `input` and `output`.
A build that parses each into objects only to write it back as JSON pays
three times: the parse, the serialization, and freeing the objects. The
reader (:mod:`runreport.read`) keeps an object or array value of those
fields as its text, a :class:`RawJSON`; a page writes that text as it is
when orjson would write the very same bytes for the value, and parses it
only for what needs its insides (a redaction hit, Markdown, a value split
into chunks, the library, a failure's message).

:data:`NOT_AS_WRITTEN` finds every text orjson might write otherwise. It is
conservative: a match only costs the parse and the serialization the text
would have cost anyway. A text that passes is written as it was logged:
compact, no ``\\u`` or ``\\/`` escape, numbers as orjson writes them. (An
object repeating a key keeps both in that text, where a parser keeps the
last; the site's script reads it as the parser does.)
"""

from __future__ import annotations

from typing import Any

import orjson

_UNPARSED = object()


class RawJSON:
    """An object or array value as its JSON text (checked by the reader), parsed on first use."""

    __slots__ = ("data", "_value")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._value = _UNPARSED

    @property
    def value(self) -> Any:
        """The value the text holds (parsed once, then kept)."""
        if self._value is _UNPARSED:
            self._value = orjson.loads(self.data)
        return self._value

    def __eq__(self, other: object) -> bool:
        return plain(other) == self.value

    __hash__ = None  # type: ignore[assignment]  # (equal to its value, which is a dict or a list)

    def __repr__(self) -> str:
        return f"RawJSON({self.data[:60]!r}{'…' if len(self.data) > 60 else ''})"


def plain(value: Any) -> Any:
    """`value` itself, or the value a RawJSON holds."""
    return value.value if type(value) is RawJSON else value


# Everything before a match must be outside strings: non-quote bytes and whole strings
# (outside a string, JSON text has no backslash).
_OUTSIDE = rb'^(?:[^"]|"(?:[^"\\]|\\.)*")*'

#: Patterns (RE2 syntax, over bytes) of which one occurs in every compact-or-not JSON text
#: that orjson could write with other bytes. Checked against `orjson.dumps(orjson.loads(t))`
#: by tests/test_jsontext.py.
NOT_AS_WRITTEN: tuple[bytes, ...] = (
    _OUTSIDE + rb"[ \t\r\n]",  # white space between tokens
    rb"\\[u/]",  # escapes orjson writes as the character itself (or as another escape)
    _OUTSIDE + rb"[0-9][eE]",  # an exponent (orjson chooses its own notation)
    _OUTSIDE + rb"\.[0-9]+0(?:[^0-9]|\z)",  # a fraction ending in a zero ("1.50"; "1.0" is orjson's)
    _OUTSIDE + rb"0\.0000",  # a small number orjson may write with an exponent
    _OUTSIDE + rb"(?:[0-9]\.?){16}",  # 16 digits or more (more than a double keeps, or 1e16 and up)
    _OUTSIDE + rb"-0(?:[^.0-9]|\z)",  # -0, an integer orjson writes as 0
)


__all__ = ["NOT_AS_WRITTEN", "RawJSON", "plain"]
