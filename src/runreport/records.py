"""Records: one parsed line checked against the run log contract (version 1).

The contract is one table of fields per record type (:data:`RECORD_FIELDS`),
each field with a :class:`Kind` that knows how to check a value, how to name
what it expected, and its JSON Schema. :func:`check_record` applies the
table; :mod:`runreport.schema` publishes the same table as JSON Schema, so
the checker and the schema cannot drift apart.

What a bad value costs:

- a missing or mistyped required field: the record (an error problem);
- a mistyped optional field: that field (a warning; the rest is kept);
- an unknown ``mode`` or ``status``: nothing, it is kept as ``"unknown"``
  (a warning).

An explicit ``null`` in an optional field is kept, since it clears the field
when records are merged. Fields the contract does not name are kept as they
are. Booleans are never integers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

import msgspec
import orjson

from runreport.model import ENTRY_STATUSES, MODES, STATUS_ALIASES
from runreport.problems import Problem
from runreport.read import Line

#: The major version of the run log format this runreport understands.
FORMAT_VERSION = 1

#: RFC 3339 date-time (``T``/``Z`` in either case, fractional seconds, numeric
#: offsets). Written for both Python and ECMA-262 (JSON Schema) regexes: no
#: ``\d`` (Unicode digits in Python), and callers use ``fullmatch`` so ``$``
#: cannot match before a trailing newline.
RFC3339_PATTERN = (
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?"
    r"([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)
_RFC3339 = re.compile(RFC3339_PATTERN)

#: Canonical step statuses a log may use ("unknown" is what runreport shows, never input).
INPUT_STATUSES = tuple(s for s in ENTRY_STATUSES if s != "unknown")
#: Modes a log may use.
INPUT_MODES = tuple(m for m in MODES if m != "unknown")

_BAD = object()  # the value has the wrong type or shape
_UNKNOWN = object()  # the value is of the right type but names nothing we know


# --- timestamps -----------------------------------------------------------------


def parse_rfc3339(value: str) -> datetime | None:
    """Return the aware datetime of an RFC 3339 timestamp, or None when it is not one.

    Sub-microsecond digits are dropped and a leap second (``:60``) reads as
    ``:59``, since :class:`datetime` can hold neither. A timestamp whose
    instant falls outside years 1 to 9999 in UTC (`9999-12-31T23:59:59-23:59`,
    year 0) is not one either: no page could show or order it.
    """
    if not isinstance(value, str):
        return None
    return _parse_rfc3339(value)


# (Each timestamp is parsed when its record is checked and again for the page's times and
# durations, a moment later in the same process: the second time is a lookup.)
@lru_cache(maxsize=8192)
def _parse_rfc3339(value: str) -> datetime | None:
    if not _RFC3339.fullmatch(value):
        return None
    text = value.upper()
    if text[17:19] == "60":
        text = text[:17] + "59" + text[19:]
    try:
        parsed = datetime.fromisoformat(text)  # (refuses day 31 of a 30-day month, year 0)
        parsed.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        return None
    return parsed


def is_rfc3339(value: object) -> bool:
    """Tell whether a value is an RFC 3339 date-time string (a real calendar date included)."""
    return isinstance(value, str) and parse_rfc3339(value) is not None


# --- kinds of values --------------------------------------------------------------


class Kind(msgspec.Struct, frozen=True):
    """What one field accepts: a check, the words for messages, and the JSON Schema."""

    expected: str  # completes 'expected "field" to be …'
    schema: dict
    check: Callable[[Any], Any]  # returns the value as kept, _BAD, or _UNKNOWN


#: Integers kept by a check: what a JSON parser reads as an integer and the store can write
#: back (a larger `seq` or `page` is a mistyped field, not a crash of the whole read).
INT_MIN, INT_MAX = -(2**63), 2**64 - 1


def _int_value(value: Any) -> int | None:
    # JSON has one number type; 3.0 is the integer 3 (as JSON Schema says), true is not.
    if type(value) is float and value.is_integer():
        value = int(value)
    if type(value) is int and INT_MIN <= value <= INT_MAX:
        return value
    return None


def _string(value: Any, min_length: int = 0, max_length: int | None = None) -> Any:
    if not isinstance(value, str) or len(value) < min_length:
        return _BAD
    if max_length is not None and len(value) > max_length:
        return _BAD
    return value


def _int_at_least(minimum: int | None) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        number = _int_value(value)
        if number is None or (minimum is not None and number < minimum):
            return _BAD
        return number

    return check


def _one_of(names: tuple[str, ...], aliases: dict[str, str], *, any_type: bool) -> Callable[[Any], Any]:
    """Check a name case-insensitively; ``any_type`` makes a non-string merely unknown."""

    def check(value: Any) -> Any:
        if not isinstance(value, str):
            return _UNKNOWN if any_type else _BAD
        # ASCII only: str.lower() maps a few other letters (the Kelvin sign) onto ASCII ones.
        key = value.lower() if value.isascii() else value
        if key in names:
            return key
        if key in aliases:
            return aliases[key]
        return _UNKNOWN

    return check


def _iteration(value: Any) -> Any:
    if not isinstance(value, dict) or "index" not in value:
        return _BAD
    index = _int_value(value["index"])
    if index is None or index < 0:
        return _BAD
    return {**value, "index": index}


def _string_list(value: Any) -> Any:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return _BAD


def _any_case_pattern(names: tuple[str, ...]) -> str:
    """An ECMA-262 pattern matching any of ``names`` in any letter case (JSON Schema has no flags)."""

    def letters(name: str) -> str:
        return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in name)

    return "^(" + "|".join(letters(n) for n in names) + ")$"


def _name_schema(names: tuple[str, ...]) -> dict:
    # The enum lets editors suggest values; the pattern states the case-insensitive rule exactly.
    return {"type": "string", "anyOf": [{"enum": list(names)}, {"pattern": _any_case_pattern(names)}]}


def _words(names: tuple[str, ...]) -> str:
    return ", ".join(names[:-1]) + " or " + names[-1]


RUN_ID = Kind(
    "a string of 1 to 200 characters",
    {"type": "string", "minLength": 1, "maxLength": 200},
    lambda v: _string(v, 1, 200),
)
TEXT = Kind("a string", {"type": "string"}, _string)
NON_EMPTY_TEXT = Kind("a non-empty string", {"type": "string", "minLength": 1}, lambda v: _string(v, 1))
TIMESTAMP = Kind(
    "an RFC 3339 timestamp within years 0001 to 9999 (UTC)",
    {"type": "string", "pattern": RFC3339_PATTERN, "format": "date-time"},
    lambda v: v if is_rfc3339(v) else _BAD,
)
TEXT_LIST = Kind("an array of strings", {"type": "array", "items": {"type": "string"}}, _string_list)
OBJECT = Kind("an object", {"type": "object"}, lambda v: v if isinstance(v, dict) else _BAD)
OBJECT_OR_TEXT = Kind(
    "an object or a string",
    {"type": ["object", "string"]},
    lambda v: v if isinstance(v, (dict, str)) else _BAD,
)
_INT_SCHEMA = {"type": "integer", "minimum": INT_MIN, "maximum": INT_MAX}
INTEGER = Kind("a 64-bit integer", _INT_SCHEMA, _int_at_least(None))
PAGE = Kind("a 64-bit integer >= 1", {**_INT_SCHEMA, "minimum": 1}, _int_at_least(1))
ITERATION = Kind(
    'an object with a 64-bit integer "index" >= 0',
    {"type": "object", "required": ["index"], "properties": {"index": {**_INT_SCHEMA, "minimum": 0}}},
    _iteration,
)
ANY = Kind("any JSON value", {}, lambda v: v)
#: Values a review's `mode` and `decision` may take (null: none yet / the default mode).
REVIEW_MODES = ("wait", "notify")
REVIEW_DECISIONS = ("approved", "rejected")
REVIEW = Kind(
    "an object",
    {"type": "object", "properties": {"mode": {"enum": [*REVIEW_MODES, None]},
                                      "decision": {"enum": [*REVIEW_DECISIONS, None]}}},
    lambda v: v if isinstance(v, dict) else _BAD,
)
MODE = Kind(
    '"test" or "live"',
    _name_schema(INPUT_MODES),
    _one_of(INPUT_MODES, {}, any_type=False),
)
STATUS = Kind(
    _words(INPUT_STATUSES),
    _name_schema(INPUT_STATUSES + tuple(STATUS_ALIASES)),
    _one_of(INPUT_STATUSES, STATUS_ALIASES, any_type=True),
)


# --- the contract: one table of fields per record type ---------------------------------


class Field(msgspec.Struct, frozen=True):
    """One top-level field of a record."""

    name: str
    kind: Kind
    required: bool = False


RUN_FIELDS = (
    Field("run_id", RUN_ID, required=True),
    Field("composer", TEXT, required=True),
    Field("composer_id", TEXT),
    Field("mode", MODE, required=True),
    Field("started_at", TIMESTAMP, required=True),
    Field("automations", TEXT_LIST),
    Field("trigger", ANY),
    Field("meta", ANY),
)

RUN_END_FIELDS = (
    Field("run_id", RUN_ID, required=True),
    Field("ended_at", TIMESTAMP, required=True),
    Field("error", OBJECT_OR_TEXT),
)

# `name` and `status` are required on an entry's first record only; that is
# known once records are merged, so here they are optional.
STEP_FIELDS = (
    Field("run_id", RUN_ID, required=True),
    Field("entry_id", NON_EMPTY_TEXT, required=True),
    Field("step_id", TEXT),
    Field("name", TEXT),
    Field("kind", TEXT),
    Field("automation", TEXT),
    Field("parent", TEXT),
    Field("iteration", ITERATION),
    Field("page", PAGE),
    Field("status", STATUS),
    Field("started_at", TIMESTAMP),
    Field("ended_at", TIMESTAMP),
    Field("input", ANY),
    Field("output", ANY),
    Field("error", OBJECT_OR_TEXT),
    Field("http", OBJECT),
    Field("review", REVIEW),
    Field("summary", OBJECT),
    Field("seq", INTEGER),
)

#: Every record type and its fields.
RECORD_FIELDS = {"run": RUN_FIELDS, "run_end": RUN_END_FIELDS, "step": STEP_FIELDS}


# --- checked records ------------------------------------------------------------------


class RunRecord(msgspec.Struct):
    """A `run` record; ``fields`` holds every field but ``v`` and ``type``, normalised."""

    file: str
    line: int
    run_id: str
    fields: dict


class RunEndRecord(msgspec.Struct):
    """A `run_end` record; ``fields`` holds every field but ``v`` and ``type``."""

    file: str
    line: int
    run_id: str
    fields: dict


class StepRecord(msgspec.Struct):
    """A `step` record; ``fields`` holds every field but ``v``, ``type``, ``run_id``, ``entry_id`` and ``seq``."""

    file: str
    line: int
    run_id: str
    entry_id: str
    seq: int | None
    fields: dict


Record = RunRecord | RunEndRecord | StepRecord


def check_record(line: Line) -> tuple[Record | None, list[Problem]]:
    """Check one parsed line against the contract: the record (or None when refused) and its problems."""
    data = line.data
    run_id = data.get("run_id")
    if RUN_ID.check(run_id) is _BAD:
        run_id = None
    problems: list[Problem] = []
    entry_id = data.get("entry_id") if data.get("type") == "step" else None
    entry_id = entry_id if isinstance(entry_id, str) and entry_id else None

    def report(severity: str, message: str) -> None:
        problems.append(Problem(line.file, line.line, run_id, severity, message, entry_id))

    if line.big_integers:
        report("warning", f"{_plural(line.big_integers, 'integer')} beyond 64 bits kept as text "
                          "(a number that large cannot be shown exactly as a number)")

    if "v" in data:
        version = _int_value(data["v"])
        if version is None:
            report("error", f'record: expected "v" to be the integer {FORMAT_VERSION}, found {_found(data["v"])}')
            return None, problems
        if version > FORMAT_VERSION:
            report(
                "error",
                f"record version {version} is newer than this runreport understands ({FORMAT_VERSION})",
            )
            return None, problems
        if version < 1:
            report("error", f'record: expected "v" to be {FORMAT_VERSION}, found {_found(data["v"])}')
            return None, problems

    if "type" not in data:
        report("error", 'record: missing required field "type"')
        return None, problems
    record_type = data["type"]
    if not isinstance(record_type, str):
        expected = _words(tuple(f'"{t}"' for t in RECORD_FIELDS))
        report("error", f'record: expected "type" to be {expected}, found {_found(record_type)}')
        return None, problems
    table = RECORD_FIELDS.get(record_type)
    if table is None:
        expected = _words(tuple(f'"{t}"' for t in RECORD_FIELDS))
        report("warning", f"unknown record type {_found(record_type)} (expected {expected}); skipped")
        return None, problems

    what = f"{record_type} record"
    fields = {k: v for k, v in data.items() if k not in ("v", "type")}
    refused = False
    for field in _fields_to_check(record_type, tuple(data)):
        if field.name not in data:  # (a required one)
            report("error", f'{what}: missing required field "{field.name}"')
            refused = True
            continue
        value = data[field.name]
        if value is None and not field.required:
            continue  # an explicit null clears the field when records are merged
        checked = field.kind.check(value)
        if checked is _UNKNOWN:
            fields[field.name] = "unknown"
            report(
                "warning",
                f"{what}: unknown {field.name} {_found(value)}; shown as unknown "
                f"(expected {field.kind.expected})",
            )
        elif checked is _BAD:
            message = f'{what}: expected "{field.name}" to be {field.kind.expected}, found {_found(value)}'
            if field.required:
                report("error", message)
                refused = True
            else:
                del fields[field.name]
                report("warning", message + "; field dropped")
        else:
            fields[field.name] = checked
    if refused:
        return None, problems
    review = fields.get("review")
    if record_type == "step" and isinstance(review, dict):
        # Kept as logged: an unknown mode or decision never awaits a reviewer (spec), which is
        # worth a word when it is a typo of one that would.
        for key, names in (("mode", REVIEW_MODES), ("decision", REVIEW_DECISIONS)):
            if review.get(key) is not None and review.get(key) not in names:
                expected = _words(tuple(f'"{n}"' for n in names) + ("null",))
                report("warning", f"{what}: unknown review {key} {_found(review[key])}; kept as logged "
                                  f"(expected {expected})")

    if record_type == "run":
        return RunRecord(line.file, line.line, fields["run_id"], fields), problems
    if record_type == "run_end":
        return RunEndRecord(line.file, line.line, fields["run_id"], fields), problems
    run = fields.pop("run_id")
    entry = fields.pop("entry_id")
    seq = fields.pop("seq", None)
    return StepRecord(line.file, line.line, run, entry, seq, fields), problems


@lru_cache(maxsize=4096)
def _fields_to_check(record_type: str, keys: tuple[str, ...]) -> tuple[Field, ...]:
    """The fields of a record of this type with these keys that are checked: those it
    has and the required ones, in the table's order (the order of the problems)."""
    return tuple(f for f in RECORD_FIELDS[record_type] if f.required or f.name in keys)


def _found(value: Any) -> str:
    """Describe a value for a message by its type and size, not its text.

    Problem messages go to the Problems page and to stderr unredacted, and
    a value in the wrong field may be anything, a secret included: so a
    string is "a string of 7 characters", a number "an integer". Only what
    cannot be a secret is written as it is: true, false, null, and a short
    word of lower-case letters (a misspelt status or record type, "sucess",
    "yesterday"), which is what a reader needs to see to fix it.
    """
    if value is None or isinstance(value, bool):
        return orjson.dumps(value).decode()
    if isinstance(value, str):
        if _WORD.fullmatch(value):
            return f'"{value}"'
        return "an empty string" if not value else f"a string of {_plural(len(value), 'character')}"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an empty array" if not value else f"an array of {_plural(len(value), 'item')}"
    return "a value of another kind"


#: A value a message may quote: a short word of lower-case ASCII letters (no digit, no
#: capital, no symbol but "_" and "-" inside), the shape of a misspelt keyword.
_WORD = re.compile(r"[a-z][a-z_-]{0,23}")


def _plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
