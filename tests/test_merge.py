"""Merging records per (run_id, entry_id): read order, seq, null clears."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from runreport.merge import RunState, apply_record, newer
from runreport.records import RunEndRecord, RunRecord, StepRecord


def step(entry_id="e1", seq=None, line=1, **fields):
    return StepRecord("a.jsonl", line, "r1", entry_id, seq, fields)


def merged(*records) -> dict:
    state = RunState("r1", "a.jsonl", 1)
    for order, rec in enumerate(records, 1):
        apply_record(state, rec, order)
    return state.entries["e1"].fields.values


def test_later_record_replaces_present_fields_and_keeps_absent_ones():
    assert merged(
        step(name="Fetch", status="running", input={"q": 1}),
        step(status="success", output=[1]),
    ) == {"name": "Fetch", "status": "success", "input": {"q": 1}, "output": [1]}


def test_explicit_null_clears_a_field():
    assert merged(step(name="Fetch", status="running", error="boom"), step(error=None))["error"] is None


def test_higher_seq_wins_over_read_order():
    values = merged(step(name="A", status="running", seq=1), step(status="success", seq=3), step(status="running", seq=2))
    assert values["status"] == "success"


def test_read_order_decides_when_either_record_has_no_seq():
    values = merged(step(name="A", status="running", seq=5), step(status="success"))
    assert values["status"] == "success"


def test_first_record_without_name_is_skipped_with_a_problem():
    state = RunState("r1", "a.jsonl", 1)
    problems = apply_record(state, step(status="running", line=7), 1)
    assert "e1" not in state.entries
    assert [(p.line, p.run_id) for p in problems] == [(7, "r1")]
    assert 'expected a "name" (string) on the first record of entry "e1"' in problems[0].message
    assert apply_record(state, step(name="Now named", status="success", line=8), 2) == []
    assert state.entries["e1"].line == 8


def test_run_and_run_end_records_merge_too():
    state = RunState("r1", "a.jsonl", 1)
    apply_record(state, RunRecord("a.jsonl", 1, "r1", {"composer": "A", "mode": "test"}), 1)
    apply_record(state, RunRecord("a.jsonl", 2, "r1", {"composer": "B"}), 2)
    apply_record(state, RunEndRecord("b.jsonl", 9, "r1", {"ended_at": "2026-11-20T10:00:00Z"}), 3)
    assert state.run.values == {"composer": "B", "mode": "test"}
    assert state.ended and state.end_place == ("b.jsonl", 9)


def test_a_run_merged_again_from_its_records_as_read_is_the_same_state():
    from runreport.merge import replay

    lines = [("a.jsonl", 1, b'{"type":"step","run_id":"r1","entry_id":"e1","name":"A","status":"running","seq":2}'),
             ("a.jsonl", 2, b'{"type":"step","run_id":"r1","entry_id":"e1","status":"success","seq":1}'),
             ("b.jsonl", 7, b'{"type":"step","run_id":"r2","entry_id":"e1","name":"B","status":"success"}')]
    state = replay("r1", lines)
    assert state.entries["e1"].fields.values["status"] == "running"  # the older seq loses
    assert list(state.entries) == ["e1"] and state.files == ["a.jsonl"]
    assert (state.file, state.line) == ("a.jsonl", 1)
    assert replay("r3", lines) is None


def test_newer_rule():
    assert newer((2, 1), (1, 9))
    assert not newer((1, 9), (2, 1))
    assert newer((None, 5), (3, 4))
    assert newer((3, 5), (3, 4))  # equal seq: read order


FIELDS = ["status", "output", "error", "ended_at", "summary"]
values = st.one_of(st.none(), st.integers(), st.text(max_size=5), st.lists(st.integers(), max_size=3))
update = st.dictionaries(st.sampled_from(FIELDS), values, min_size=1, max_size=4)


@settings(max_examples=200, deadline=None)
@given(updates=st.lists(update, min_size=1, max_size=8), data=st.data())
def test_seq_numbered_updates_give_the_same_result_in_any_order(updates, data):
    first = step(name="Entry", status="running", seq=0)
    records = [step(seq=i + 1, **fields) for i, fields in enumerate(updates)]
    shuffled = data.draw(st.permutations(records))
    assert merged(first, *records) == merged(first, *shuffled)
