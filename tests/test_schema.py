"""The published JSON Schema says exactly what check_record accepts cleanly.

The schema is evaluated by a small evaluator of the keywords runreport
emits; it refuses any keyword it does not know, so a new keyword in the
schema must be given meaning here before the tests pass.
"""

from __future__ import annotations

import re

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runreport.read import Line
from runreport.records import RECORD_FIELDS, check_record, is_rfc3339
from runreport.schema import json_schema

SCHEMA = json_schema()

# Keywords that only annotate; they never change the outcome.
ANNOTATIONS = {"$schema", "$id", "$defs", "title", "description"}
TYPES = {"object", "array", "string", "integer", "number", "boolean", "null"}


def json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def json_equal(a, b) -> bool:
    # JSON Schema equality: 1 == 1.0, but true is not 1.
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


def ecma_search(pattern: str, text: str) -> bool:
    # ECMA-262 `$` (no multiline) matches only at the very end; Python's also before a final "\n".
    if pattern.endswith("$"):
        pattern = pattern[:-1] + r"\Z"
    return re.search(pattern, text) is not None


def valid(schema: dict, value, root: dict = SCHEMA) -> bool:
    """Evaluate the subset of draft 2020-12 used by runreport's schema."""
    results = []
    for key, arg in schema.items():
        if key in ANNOTATIONS:
            continue
        if key == "$ref":
            assert arg.startswith("#/$defs/")
            results.append(valid(root["$defs"][arg.removeprefix("#/$defs/")], value, root))
        elif key == "type":
            kinds = arg if isinstance(arg, list) else [arg]
            actual = json_type(value)
            results.append(actual in kinds or (actual == "integer" and "number" in kinds))
        elif key == "const":
            results.append(json_equal(value, arg))
        elif key == "enum":
            results.append(any(json_equal(value, v) for v in arg))
        elif key == "oneOf":
            results.append(sum(valid(s, value, root) for s in arg) == 1)
        elif key == "anyOf":
            results.append(any(valid(s, value, root) for s in arg))
        elif key == "required":
            results.append(not isinstance(value, dict) or all(k in value for k in arg))
        elif key == "properties":
            results.append(
                not isinstance(value, dict)
                or all(valid(s, value[k], root) for k, s in arg.items() if k in value)
            )
        elif key == "additionalProperties":
            assert arg is True
        elif key == "items":
            results.append(not isinstance(value, list) or all(valid(arg, v, root) for v in value))
        elif key == "minLength":
            results.append(not isinstance(value, str) or len(value) >= arg)
        elif key == "maxLength":
            results.append(not isinstance(value, str) or len(value) <= arg)
        elif key == "minimum":
            numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
            results.append(not numeric or value >= arg)
        elif key == "maximum":
            numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
            results.append(not numeric or value <= arg)
        elif key == "pattern":
            results.append(not isinstance(value, str) or ecma_search(arg, value))
        elif key == "format":
            assert arg == "date-time"
            results.append(not isinstance(value, str) or is_rfc3339(value))
        else:
            raise AssertionError(f"schema uses keyword {key!r} the test evaluator does not know")
    return all(results)


def clean(record: dict) -> bool:
    """check_record keeps the record and reports no problem at all."""
    result, problems = check_record(Line("t.jsonl", 1, record))
    return result is not None and not problems


RUN = {"type": "run", "run_id": "r1", "composer": "C", "mode": "live", "started_at": "2026-11-20T10:00:00Z"}
END = {"type": "run_end", "run_id": "r1", "ended_at": "2026-11-20T10:00:09.5+01:00"}
STEP = {"type": "step", "run_id": "r1", "entry_id": "e1"}

TABLE = [
    # (record, accepted)
    (RUN, True),
    ({**RUN, "v": 1}, True),
    ({**RUN, "v": 1.0}, True),
    ({**RUN, "v": 2}, False),
    ({**RUN, "v": True}, False),
    ({**RUN, "mode": "TEST"}, True),
    ({**RUN, "mode": "staging"}, False),
    ({**RUN, "mode": None}, False),
    ({**RUN, "run_id": ""}, False),
    ({**RUN, "run_id": "x" * 200}, True),
    ({**RUN, "run_id": "x" * 201}, False),
    ({**RUN, "started_at": "2026-11-20 10:00:00Z"}, False),
    ({**RUN, "started_at": "2026-02-30T10:00:00Z"}, False),
    ({**RUN, "started_at": "2026-11-20T10:00:00Z\n"}, False),
    ({**RUN, "automations": ["A", "B"], "trigger": [1], "meta": None, "extra": 1}, True),
    ({**RUN, "automations": ["A", 2]}, False),
    ({**RUN, "composer_id": None}, True),
    ({k: v for k, v in RUN.items() if k != "composer"}, False),
    (END, True),
    ({**END, "error": "timeout"}, True),
    ({**END, "error": 3}, False),
    ({**END, "ended_at": None}, False),
    (STEP, True),
    ({**STEP, "entry_id": ""}, False),
    ({**STEP, "status": "Succeeded", "name": "Fetch", "seq": 3}, True),
    ({**STEP, "status": "done"}, False),
    ({**STEP, "status": None, "name": None, "page": None}, True),
    ({**STEP, "seq": True}, False),
    ({**STEP, "seq": 2.0}, True),
    ({**STEP, "page": 0}, False),
    ({**STEP, "page": 1}, True),
    ({**STEP, "iteration": {"index": 0, "item": {"id": 1}}}, True),
    ({**STEP, "iteration": {"index": -1}}, False),
    ({**STEP, "iteration": {"item": 1}}, False),
    ({**STEP, "http": {"request": {}}, "review": {}, "summary": {"Table": "leads"}}, True),
    ({**STEP, "review": {"mode": "notify", "decision": None, "reviewer": "dana"}}, True),
    ({**STEP, "review": {"mode": None, "decision": "rejected"}}, True),
    ({**STEP, "review": {"decision": "maybe"}}, False),
    ({**STEP, "review": {"mode": "WAIT"}}, False),
    ({**STEP, "http": "GET /"}, False),
    ({"type": "other", "run_id": "r1"}, False),
    ({"run_id": "r1"}, False),
]


def test_schema_declares_draft_2020_12_with_one_definition_per_record_type():
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert SCHEMA["$id"]
    assert set(SCHEMA["$defs"]) == {"run", "run_end", "step"}
    assert SCHEMA["oneOf"] == [{"$ref": "#/$defs/run"}, {"$ref": "#/$defs/run_end"}, {"$ref": "#/$defs/step"}]
    assert SCHEMA["$defs"]["run"]["required"] == ["type", "run_id", "composer", "mode", "started_at"]
    assert SCHEMA["$defs"]["step"]["required"] == ["type", "run_id", "entry_id"]
    assert SCHEMA["$defs"]["step"]["properties"]["type"] == {"const": "step"}


def test_schema_is_plain_json():
    assert orjson.loads(orjson.dumps(SCHEMA)) == SCHEMA


def test_schema_names_every_field_of_the_contract():
    for record_type, fields in RECORD_FIELDS.items():
        properties = SCHEMA["$defs"][record_type]["properties"]
        assert set(properties) == {"v", "type", *(f.name for f in fields)}


@pytest.mark.parametrize(("record", "accepted"), TABLE)
def test_schema_and_checker_agree(record, accepted):
    assert valid(SCHEMA, record) is accepted
    assert clean(record) is accepted


def test_status_aliases_are_in_the_schema():
    status = SCHEMA["$defs"]["step"]["properties"]["status"]
    for name in ["running", "success", "error", "rejected", "skipped", "ok", "in_progress", "skip"]:
        assert valid(status, name, SCHEMA)
    assert not valid(status, "unknown", SCHEMA)


# --- random records drawn from the real field names --------------------------------

json_scalars = st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from([1.0, 2.5, -1.0])
candidate_values = (
    json_scalars
    | st.sampled_from(
        ["", "r1", "x" * 201, "test", "LIVE", "ok", "Done", "2026-11-20T10:00:00Z", "2026-11-20t10:00:60.123z",
         "2026-02-29T00:00:00Z", "2024-02-29T00:00:00-05:00", "20261120T100000Z"]
    )
    | st.lists(st.sampled_from(["A", "B", 1]), max_size=3)
    | st.fixed_dictionaries({}, optional={"index": json_scalars, "item": json_scalars})
)
field_names = sorted({f.name for fields in RECORD_FIELDS.values() for f in fields} | {"v", "extra"})


def _record(base: dict, body: dict, drop: str) -> dict:
    record = {**base, **body}
    record.pop(drop, None)
    return record


# A valid record with some fields replaced, added or removed, so both outcomes are common.
records = st.builds(
    _record,
    st.sampled_from([RUN, END, STEP, {"type": "nope"}]),
    st.dictionaries(st.sampled_from(field_names), candidate_values, max_size=3),
    st.sampled_from(["none", "type", *field_names]),
)


@settings(max_examples=300, deadline=None)
@given(records)
def test_schema_accepts_exactly_the_clean_records(record):
    assert valid(SCHEMA, record) is clean(record)
