"""Patterns over bytes, compiled by RE2: one linear pass, whatever the text.

Python's `re` backtracks and tries an alternation at every position; RE2
runs an automaton over the text once, so a value's JSON text can be judged
against many patterns in a single pass. Patterns and texts are Latin-1
here: every byte is one character, so any bytes can be searched (a
serializer's lone surrogates included) and a pattern's `\\xHH` is that byte.
"""

from __future__ import annotations

import re2


def options() -> re2.Options:
    """RE2 options for byte patterns: Latin-1, errors raised rather than logged."""
    opts = re2.Options()
    opts.encoding = re2.Options.Encoding.LATIN1
    opts.log_errors = False
    return opts


def compile(pattern: bytes) -> re2._Regexp:
    return re2.compile(pattern, options())


def literal(text: bytes) -> bytes:
    """A pattern matching exactly the bytes `text`."""
    return b"".join(b"\\x%02x" % byte for byte in text)


class PatternSet:
    """Several patterns searched at once: which of them occur in a text.

    Each pattern belongs to a group (a bit); :meth:`groups` tells which
    groups matched. RE2 gives up on a text when its automaton outgrows its
    memory, and then reports no match at all: a pattern that matches every
    text (at its end) tells that apart, and a text it gave up on is
    reported as matching every group.
    """

    def __init__(self, patterns: list[tuple[bytes, int]]) -> None:
        self._set = re2.Set.SearchSet(options())
        groups = []
        for pattern, group in patterns:
            self._set.Add(pattern)
            groups.append(group)
        self._end = self._set.Add(rb"\z")
        groups.append(0)
        self._set.Compile()
        self._groups = tuple(groups)
        self._every = 0
        for group in groups:
            self._every |= group

    def groups(self, text: bytes) -> int:
        """The bits of the groups with a pattern in `text` (all of them if RE2 gave up)."""
        found = self._set.Match(text)
        if not found or self._end not in found:
            return self._every
        bits = 0
        for index in found:
            bits |= self._groups[index]
        return bits
