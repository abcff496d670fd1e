"""Values kept as their text: the reader's shortcut reads what the full parse reads, and a
text is written as logged only when orjson would write the same bytes."""

from __future__ import annotations

import json

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runreport import read
from runreport.jsontext import NOT_AS_WRITTEN, RawJSON, plain
from runreport.problems import Problem
from runreport.site import bytepattern
from runreport.site.chunks import _plain_json

_NOT_AS_WRITTEN = bytepattern.PatternSet([(p, 1) for p in NOT_AS_WRITTEN])

# Numbers as writers write them: integers of any size, floats in Python's notation,
# and decimal texts with trailing zeros, exponents and many digits.
_NUMBER_TEXTS = st.one_of(
    st.integers().map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["1.50", "1e5", "1E+400", "-0", "-0.0", "0.000001", "1e-7", "100.0", "2.5e-400",
                     "12345678901234567", "0.1000000000000000055511151231257827", "1e400", "7e308"]),
)
_KEYS = st.text(st.sampled_from(list("ab e0/\\\"é\u2028")), max_size=4)
_LEAVES = st.one_of(st.none(), st.booleans(), _NUMBER_TEXTS.map(lambda t: ("number", t)),
                    st.text(st.sampled_from(list("a \"\\/\n\x01é\u2028e1[]{}")), max_size=6))


def _values(depth: int = 3):
    return st.recursive(_LEAVES, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                          st.dictionaries(_KEYS, inner, max_size=3)),
                        max_leaves=10)


def _text(value, style: str) -> str:
    """`value` (numbers as ("number", text)) as JSON text, the way a writer of `style` would."""
    if isinstance(value, tuple):
        return value[1]
    if isinstance(value, list):
        sep = ", " if style == "spaced" else ","
        return "[" + sep.join(_text(v, style) for v in value) + "]"
    if isinstance(value, dict):
        sep, colon = (", ", ": ") if style == "spaced" else (",", ":")
        return "{" + sep.join(_text(k, style) + colon + _text(v, style) for k, v in value.items()) + "}"
    text = json.dumps(value, ensure_ascii=style == "ascii")
    return text.replace("/", "\\/") if style == "slashes" else text


_STYLES = st.sampled_from(["compact", "spaced", "ascii", "slashes"])


@settings(max_examples=3000, deadline=None)
@given(_values(), _STYLES)
def test_a_text_passed_as_written_is_what_orjson_writes(value, style):
    text = _text(value, style).encode()
    try:
        parsed = orjson.loads(text)
        written = orjson.dumps(parsed)
    except (orjson.JSONDecodeError, TypeError):
        return  # (not JSON orjson reads: never kept as text, see the reader test below)
    if isinstance(parsed, dict) and len(parsed) < text.count(b":") - text.count(b'\\":'):
        return  # (a repeated key: kept as logged, see jsontext)
    if not _NOT_AS_WRITTEN.groups(text):
        assert written == text
    data, shown, _ = _plain_json(RawJSON(text)) if text[:1] in b"[{" else (written, None, None)
    assert orjson.loads(data) == parsed and (data == written or b'":' in data)


def _record(fields: dict, style: str) -> bytes:
    parts = [f"{json.dumps(k)}:{v if isinstance(v, str) and k in ('input', 'output', 'http') else json.dumps(v)}"
             for k, v in fields.items()]
    return ("{" + ",".join(parts) + "}").encode()


def _line_fields(value, body, style: str, extra: dict) -> dict:
    fields = {"type": "step", "run_id": "r", "entry_id": "e0001", "name": "Fetch"}
    fields["input"] = _text(value, style)
    fields["http"] = ('{"request":{"method":"GET","url":"https://h.example/"},'
                      f'"response":{{"status":200,"body":{_text(body, style)}}}}}')
    fields.update(extra)
    return fields


def _full_parse(raw: bytes, number: int = 3):
    """What the reader gives without keeping any text."""
    original = read.read_keeping_text
    read.read_keeping_text = lambda *args: None
    try:
        return read._parse_line(raw, "f.jsonl", number)
    finally:
        read.read_keeping_text = original


def _plain_data(data: dict) -> dict:
    out = {k: plain(v) for k, v in data.items()}
    response = out.get("http", {}).get("response") if isinstance(out.get("http"), dict) else None
    if isinstance(response, dict) and "body" in response:
        out["http"] = {**out["http"], "response": {**response, "body": plain(response["body"])}}
    return out


@settings(max_examples=1500, deadline=None)
@given(_values(), _values(), _STYLES,
       st.sampled_from([{}, {"unknown": 1}, {"seq": 2**70}, {"output": "[" * 199 + "]" * 199},
                        {"output": "[" * 220 + "]" * 220}, {"output": '["[[[", 1]'}, {"v": 1}]))
def test_the_reader_keeps_text_only_where_the_full_parse_reads_the_same(value, body, style, extra):
    raw = _record(_line_fields(value, body, style, extra), style)
    full = _full_parse(raw)
    kept = read._parse_line(raw, "f.jsonl", 3)
    if isinstance(full, Problem):
        assert kept == full
        return
    assert isinstance(kept, read.Line) and kept.big_integers == full.big_integers
    assert _plain_data(kept.data) == full.data


@pytest.mark.parametrize("raw", [
    # Fields of other record types are this record's other fields, shown in the order logged.
    b'{"v":1,"type":"run_end","run_id":"r1","ended_at":"2026-01-01T00:00:03Z","output":{"a":42},"status":"ok"}',
    b'{"v":1,"type":"run","run_id":"r1","composer":"C","http":{"response":{"body":1,"status":2}},"name":"x"}',
    b'{"type":"step","run_id":"r","entry_id":"e","composer":"C","ended_at":"2026-01-01T00:00:03Z","mode":"test"}',
])
def test_a_record_with_fields_of_another_type_keeps_them_in_the_order_logged(raw):
    kept = read._parse_line(raw, "f.jsonl", 1)
    assert read.read_keeping_text(raw, "f.jsonl", 1) is None
    assert list(kept.data) == list(orjson.loads(raw)) and kept.data == orjson.loads(raw)


def test_a_line_nested_deeper_than_msgspec_goes_is_a_problem_not_a_crash():
    raw = b'{"type":"step","run_id":"r","entry_id":"e","output":' + b"[" * 1000 + b"1" + b"]" * 1000 + b"}"
    assert read.read_keeping_text(raw, "f.jsonl", 1) is None
    got = read._parse_line(raw, "f.jsonl", 1)
    assert isinstance(got, Problem) and "nested" in got.message and got == _full_parse(raw, 1)


@pytest.mark.parametrize("raw", [
    b'{"type":"step","run_id":"r","entry_id":"e","input":[1e400]}',
    b'{"type":"step","run_id":"r","entry_id":"e","output":{"n":1E+309}}',
    b'{"type":"step","run_id":"r","entry_id":"e","input":["\xff"]}',
    b'{"type":"step","run_id":"r","entry_id":"e","input":[' + b"[" * 200 + b"]" * 200 + b"]}",
    b'{"type":"step","run_id":"r","entry_id":"e","input":[123456789012345678901234567890]}',
])
def test_what_the_full_parse_refuses_or_rewrites_is_never_kept_as_text(raw):
    assert read.read_keeping_text(raw, "f.jsonl", 1) is None
    assert read._parse_line(raw, "f.jsonl", 1) == _full_parse(raw, 1)


def test_values_of_input_output_and_response_bodies_are_kept_as_their_text():
    raw = (b'{"type":"step","run_id":"r","entry_id":"e","input":{"a":[1,2]},"output":"done",'
           b'"http":{"request":{"url":"https://h.example/"},"response":{"status":200,"body":[{"id":1}]}}}')
    line = read._parse_line(raw, "f.jsonl", 1)
    assert type(line.data["input"]) is RawJSON and line.data["input"].data == b'{"a":[1,2]}'
    assert line.data["output"] == "done"  # (a string is read: it is one object anyway)
    assert line.data["http"]["request"] == {"url": "https://h.example/"}
    body = line.data["http"]["response"]["body"]
    assert type(body) is RawJSON and body.value == [{"id": 1}] and body == [{"id": 1}]
