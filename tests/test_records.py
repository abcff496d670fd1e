"""check_record: each rule of the record contract, with the message a user reads."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runreport.problems import Problem
from runreport.read import Line
from runreport.records import (
    RECORD_FIELDS,
    RunEndRecord,
    RunRecord,
    StepRecord,
    check_record,
    is_rfc3339,
    parse_rfc3339,
)

RUN = {"v": 1, "type": "run", "run_id": "r1", "composer": "Leads", "mode": "test", "started_at": "2026-11-20T10:00:00Z"}
END = {"type": "run_end", "run_id": "r1", "ended_at": "2026-11-20T10:00:09Z"}
STEP = {"type": "step", "run_id": "r1", "entry_id": "e1"}


def check(data: dict):
    return check_record(Line("logs/a.jsonl", 7, data))


def only_problem(data: dict) -> Problem:
    _, problems = check(data)
    assert len(problems) == 1, problems
    return problems[0]


# --- clean records -----------------------------------------------------------------


def test_run_record_keeps_every_field_but_v_and_type():
    record, problems = check({**RUN, "composer_id": "c-9", "automations": ["A"], "trigger": {"cron": "* *"}, "x": 1})
    assert problems == []
    assert record == RunRecord(
        "logs/a.jsonl",
        7,
        "r1",
        {
            "run_id": "r1",
            "composer": "Leads",
            "mode": "test",
            "started_at": "2026-11-20T10:00:00Z",
            "composer_id": "c-9",
            "automations": ["A"],
            "trigger": {"cron": "* *"},
            "x": 1,
        },
    )


def test_run_end_record():
    record, problems = check({**END, "error": {"message": "timeout"}})
    assert problems == []
    assert record == RunEndRecord(
        "logs/a.jsonl", 7, "r1", {"run_id": "r1", "ended_at": "2026-11-20T10:00:09Z", "error": {"message": "timeout"}}
    )


def test_step_record_takes_ids_and_seq_out_of_fields():
    record, problems = check({**STEP, "seq": 4, "name": "Fetch", "status": "running", "input": [1], "custom": "kept"})
    assert problems == []
    assert record == StepRecord(
        "logs/a.jsonl", 7, "r1", "e1", 4, {"name": "Fetch", "status": "running", "input": [1], "custom": "kept"}
    )


def test_step_without_name_or_status_is_accepted_here():
    # Whether an entry's first record has them is for the merge stage to say.
    record, problems = check(STEP)
    assert problems == []
    assert record == StepRecord("logs/a.jsonl", 7, "r1", "e1", None, {})


# --- version and type ----------------------------------------------------------------


def test_newer_major_version_is_refused():
    assert check({**RUN, "v": 2}) == (
        None,
        [Problem("logs/a.jsonl", 7, "r1", "error", "record version 2 is newer than this runreport understands (1)")],
    )


def test_version_that_is_not_an_integer_is_refused():
    problem = only_problem({**RUN, "v": "1"})
    assert (problem.severity, problem.message) == ("error", 'record: expected "v" to be the integer 1, found a string of 1 character')
    assert check({**RUN, "v": True})[0] is None


def test_version_below_one_is_refused():
    assert only_problem({**RUN, "v": 0}).message == 'record: expected "v" to be 1, found an integer'


def test_version_may_be_absent_or_written_as_a_float():
    assert check({k: v for k, v in RUN.items() if k != "v"})[1] == []
    assert check({**RUN, "v": 1.0})[1] == []


def test_missing_type_is_refused():
    problem = only_problem({"run_id": "r1"})
    assert (problem.severity, problem.message, problem.run_id) == ("error", 'record: missing required field "type"', "r1")


def test_type_that_is_not_a_string_is_refused():
    problem = only_problem({**STEP, "type": 3})
    assert problem.message == 'record: expected "type" to be "run", "run_end" or "step", found an integer'
    assert problem.severity == "error"


def test_unknown_type_is_skipped_with_a_warning():
    assert check({"type": "heartbeat", "run_id": "r1"}) == (
        None,
        [Problem("logs/a.jsonl", 7, "r1", "warning", 'unknown record type "heartbeat" (expected "run", "run_end" or "step"); skipped')],
    )


# --- run ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["run_id", "composer", "mode", "started_at"])
def test_run_missing_required_field_is_refused(name):
    record, problems = check({k: v for k, v in RUN.items() if k != name})
    assert record is None
    assert [(p.severity, p.message) for p in problems] == [("error", f'run record: missing required field "{name}"')]


def test_run_timestamp_must_be_rfc3339():
    problem = only_problem({**RUN, "started_at": "yesterday"})
    assert problem == Problem(
        "logs/a.jsonl", 7, "r1", "error", 'run record: expected "started_at" to be an RFC 3339 timestamp within years 0001 to 9999 (UTC), found "yesterday"'
    )
    assert check({**RUN, "started_at": "yesterday"})[0] is None


@pytest.mark.parametrize(
    ("run_id", "found"), [("", "an empty string"), ("x" * 201, "a string of 201 characters"),
                          (42, "an integer"), (None, "null")]
)
def test_run_id_must_be_a_string_of_1_to_200_characters(run_id, found):
    problem = only_problem({**RUN, "run_id": run_id})
    assert problem.message == f'run record: expected "run_id" to be a string of 1 to 200 characters, found {found}'
    assert problem.run_id is None  # an unusable id is not shown as the run


def test_composer_must_be_a_string():
    assert only_problem({**RUN, "composer": ["Leads"]}).message == (
        'run record: expected "composer" to be a string, found an array of 1 item'
    )


def test_unknown_mode_is_kept_as_unknown_with_a_warning():
    record, problems = check({**RUN, "mode": "staging"})
    assert record.fields["mode"] == "unknown"
    assert problems == [
        Problem(
            "logs/a.jsonl", 7, "r1", "warning", 'run record: unknown mode "staging"; shown as unknown (expected "test" or "live")'
        )
    ]


def test_mode_is_matched_in_any_case():
    record, problems = check({**RUN, "mode": "Live"})
    assert (record.fields["mode"], problems) == ("live", [])


def test_mode_that_is_not_a_string_refuses_the_run():
    record, problems = check({**RUN, "mode": 1})
    assert record is None
    assert [p.message for p in problems] == ['run record: expected "mode" to be "test" or "live", found an integer']


def test_mistyped_optional_run_field_is_dropped_and_the_rest_kept():
    record, problems = check({**RUN, "automations": ["Ingest", 2], "composer_id": 7})
    assert set(record.fields) == {"run_id", "composer", "mode", "started_at"}
    assert [(p.severity, p.message) for p in problems] == [
        ("warning", 'run record: expected "composer_id" to be a string, found an integer; field dropped'),
        ("warning", 'run record: expected "automations" to be an array of strings, found an array of 2 items; field dropped'),
    ]


def test_every_problem_of_a_refused_record_is_reported_at_once():
    _, problems = check({"type": "run", "run_id": "r1", "mode": 3})
    assert [p.message for p in problems] == [
        'run record: missing required field "composer"',
        'run record: expected "mode" to be "test" or "live", found an integer',
        'run record: missing required field "started_at"',
    ]


# --- run_end ------------------------------------------------------------------------


def test_run_end_needs_ended_at():
    problem = only_problem({"type": "run_end", "run_id": "r1"})
    assert (problem.severity, problem.message) == ("error", 'run_end record: missing required field "ended_at"')


def test_run_end_error_must_be_an_object_or_a_string():
    record, problems = check({**END, "error": 500})
    assert "error" not in record.fields
    assert [p.message for p in problems] == [
        'run_end record: expected "error" to be an object or a string, found an integer; field dropped'
    ]


# --- step ---------------------------------------------------------------------------


def test_step_missing_entry_id_is_refused():
    record, problems = check({"type": "step", "run_id": "r1", "name": "Fetch"})
    assert record is None
    assert problems == [Problem("logs/a.jsonl", 7, "r1", "error", 'step record: missing required field "entry_id"')]


def test_step_entry_id_must_not_be_empty():
    assert only_problem({**STEP, "entry_id": ""}).message == (
        'step record: expected "entry_id" to be a non-empty string, found an empty string'
    )


def test_step_name_that_is_not_a_string_is_dropped():
    record, problems = check({**STEP, "name": 12, "status": "success"})
    assert record.fields == {"status": "success"}
    assert [(p.severity, p.message) for p in problems] == [
        ("warning", 'step record: expected "name" to be a string, found an integer; field dropped')
    ]


@pytest.mark.parametrize(
    ("given", "status"),
    [
        ("success", "success"),
        ("ERROR", "error"),
        ("Succeeded", "success"),
        ("ok", "success"),
        ("completed", "success"),
        ("failed", "error"),
        ("Failure", "error"),
        ("pending", "running"),
        ("in_progress", "running"),
        ("waiting", "running"),
        ("skip", "skipped"),
        ("rejected", "rejected"),
    ],
)
def test_status_aliases_are_normalised(given, status):
    record, problems = check({**STEP, "status": given})
    assert (record.fields["status"], problems) == (status, [])


@pytest.mark.parametrize(("given", "found"), [("done", '"done"'), (3, "an integer"), ("unknown", '"unknown"'),
                                                  ("Done2", "a string of 5 characters")])
def test_unknown_status_is_shown_as_unknown(given, found):
    record, problems = check({**STEP, "status": given})
    assert record.fields["status"] == "unknown"
    assert problems == [
        Problem(
            "logs/a.jsonl",
            7,
            "r1",
            "warning",
            f"step record: unknown status {found}; shown as unknown "
            "(expected running, success, error, rejected or skipped)",
        )
    ]


def test_status_names_outside_ascii_are_not_folded():
    # "\u212a" (Kelvin sign) lower-cases to "k"; it must not pass for "skip".
    assert check({**STEP, "status": "s\u212aip"})[0].fields["status"] == "unknown"


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("step_id", 1, "a string"),
        ("kind", False, "a string"),
        ("automation", {}, "a string"),
        ("parent", ["e0"], "a string"),
        ("iteration", 0, 'an object with a 64-bit integer "index" >= 0'),
        ("iteration", {"index": -1}, 'an object with a 64-bit integer "index" >= 0'),
        ("iteration", {"index": "0"}, 'an object with a 64-bit integer "index" >= 0'),
        ("iteration", {"item": 1}, 'an object with a 64-bit integer "index" >= 0'),
        ("page", 0, "a 64-bit integer >= 1"),
        ("page", 1.5, "a 64-bit integer >= 1"),
        ("page", True, "a 64-bit integer >= 1"),
        ("started_at", "2026-11-20", "an RFC 3339 timestamp within years 0001 to 9999 (UTC)"),
        ("ended_at", 1700000000, "an RFC 3339 timestamp within years 0001 to 9999 (UTC)"),
        ("error", 3, "an object or a string"),
        ("http", "GET", "an object"),
        ("review", [], "an object"),
        ("summary", "rows", "an object"),
        ("seq", "3", "a 64-bit integer"),
        ("seq", True, "a 64-bit integer"),
        ("seq", 1e20, "a 64-bit integer"),
        ("page", 18446744073709551616, "a 64-bit integer >= 1"),
    ],
)
def test_mistyped_optional_step_field_is_dropped_with_a_warning(field, value, expected):
    record, problems = check({**STEP, "name": "Fetch", field: value})
    assert record.fields == {"name": "Fetch"}
    assert record.seq is None
    assert len(problems) == 1
    assert problems[0].severity == "warning"
    assert problems[0].message.startswith(f'step record: expected "{field}" to be {expected}, found ')
    assert problems[0].message.endswith("; field dropped")


def test_well_typed_optional_step_fields_are_kept():
    fields = {
        "step_id": "fetch",
        "kind": "http",
        "automation": "Ingest",
        "parent": "e0",
        "iteration": {"index": 2, "item": {"id": 3}},
        "page": 2,
        "started_at": "2026-11-20T10:00:01.250Z",
        "ended_at": "2026-11-20T11:00:02+01:00",
        "error": "boom",
        "http": {"request": {"method": "GET"}},
        "review": {"mode": "wait"},
        "summary": {"Table": "leads"},
        "output": None,
    }
    record, problems = check({**STEP, **fields})
    assert (record.fields, problems) == (fields, [])


def test_explicit_null_is_kept_and_never_a_problem():
    nulls = {f.name: None for f in RECORD_FIELDS["step"] if not f.required}
    record, problems = check({**STEP, **nulls})
    assert problems == []
    assert record.fields == {k: v for k, v in nulls.items() if k != "seq"}
    assert record.seq is None


def test_integers_written_as_floats_are_integers():
    record, problems = check({**STEP, "seq": 3.0, "page": 2.0, "iteration": {"index": 1.0}})
    assert problems == []
    assert (record.seq, record.fields["page"], record.fields["iteration"]) == (3, 2, {"index": 1})
    assert type(record.seq) is int


def test_values_are_described_by_type_and_size_in_messages():
    message = only_problem({**STEP, "kind": list(range(100))}).message
    assert message == 'step record: expected "kind" to be a string, found an array of 100 items; field dropped'


# --- timestamps ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-20T10:00:00Z",
        "2026-11-20t10:00:00z",
        "2026-11-20T10:00:00.123456789Z",
        "2026-11-20T10:00:00+05:30",
        "2026-11-20T10:00:00.5-08:00",
        "2024-02-29T00:00:00Z",
        "2016-12-31T23:59:60Z",
    ],
)
def test_rfc3339_accepted(text):
    assert is_rfc3339(text)


@pytest.mark.parametrize(
    "text",
    [
        "yesterday",
        "2026-11-20",
        "2026-11-20T10:00:00",  # no offset
        "2026-11-20 10:00:00Z",
        "2026-11-20T10:00Z",
        "2026-13-01T10:00:00Z",
        "2026-02-29T10:00:00Z",  # not a leap year
        "2026-11-20T24:00:00Z",
        "2026-11-20T10:00:00.Z",
        "2026-11-20T10:00:00+0530",
        "2026-11-20T10:00:00Z\n",
        "２０２６-11-20T10:00:00Z",  # full-width digits
        20261120,
    ],
)
def test_rfc3339_refused(text):
    assert not is_rfc3339(text)


def test_parse_rfc3339_gives_an_aware_datetime():
    assert parse_rfc3339("2026-11-20t10:00:00.123456789+05:30") == datetime(
        2026, 11, 20, 10, 0, 0, 123456, tzinfo=timezone(timedelta(hours=5, minutes=30))
    )
    assert parse_rfc3339("2016-12-31T23:59:60Z") == datetime(2016, 12, 31, 23, 59, 59, tzinfo=timezone.utc)
    assert parse_rfc3339("nope") is None


# --- never raises -------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
field_names = sorted({f.name for fields in RECORD_FIELDS.values() for f in fields} | {"v", "type"})
known_keys = st.dictionaries(
    st.sampled_from(field_names),
    json_values | st.sampled_from(["run", "run_end", "step", "r1", "2026-11-20T10:00:00Z", 1]),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=8), json_values, max_size=6) | known_keys)
def test_check_record_never_raises(data):
    record, problems = check(data)
    assert all(isinstance(p, Problem) and p.file == "logs/a.jsonl" and p.line == 7 for p in problems)
    if record is None:
        assert problems, "a refused record always says why"


def test_a_problem_never_quotes_a_value_which_could_be_a_secret():
    # Problem messages reach the Problems page and stderr unredacted.
    _, problems = check({**STEP, "name": "Call", "http": ["GET /x", {"Authorization": "Bearer sk_live_A"}],
                         "review": [{"token": "sk_live_B"}], "summary": 7, "error": {"password": "x"},
                         "kind": 4471, "status": "Hunter2!"})
    assert not any(secret in p.message for p in problems for secret in ("4471", "Hunter2", "sk_live"))
    assert [p.message for p in problems] == [
        'step record: expected "kind" to be a string, found an integer; field dropped',
        "step record: unknown status a string of 8 characters; shown as unknown "
        "(expected running, success, error, rejected or skipped)",
        'step record: expected "http" to be an object, found an array of 2 items; field dropped',
        'step record: expected "review" to be an object, found an array of 1 item; field dropped',
        'step record: expected "summary" to be an object, found an integer; field dropped',
    ]


def test_a_long_escaped_string_is_described_as_a_string():
    _, problems = check({**STEP, "name": "Fetch", "status": '"quoted" ' * 8})
    assert [p.message for p in problems] == [
        "step record: unknown status a string of 72 characters; shown as unknown "
        "(expected running, success, error, rejected or skipped)"
    ]


def test_a_review_with_an_unknown_mode_or_decision_is_kept_with_a_warning():
    review = {"mode": "Wait", "decision": "maybe", "reviewer": "dana"}
    record, problems = check({**STEP, "name": "Approve", "kind": "review", "review": review})
    assert record.fields["review"] == review
    assert [(p.severity, p.message) for p in problems] == [
        ("warning", 'step record: unknown review mode a string of 4 characters; kept as logged (expected "wait", "notify" or null)'),
        ("warning", 'step record: unknown review decision "maybe"; kept as logged '
                    '(expected "approved", "rejected" or null)'),
    ]
    record, problems = check({**STEP, "name": "Approve", "review": {"mode": None, "decision": "approved"}})
    assert problems == []
