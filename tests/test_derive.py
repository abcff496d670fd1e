"""Every rule of the format's "Derived values", with tiny literal inputs."""

from __future__ import annotations

import pytest

from runreport.derive import (
    badges,
    derive_run,
    display_order,
    display_status,
    group_status,
    lineage,
    parse_body,
    resolve_parents,
    run_status,
    sections,
    summary_rows,
)
from runreport.merge import RunState, apply_record
from runreport.records import RunEndRecord, RunRecord, StepRecord


def run_state(*records) -> RunState:
    state = RunState("r1", "a.jsonl", 1)
    for order, rec in enumerate(records, 1):
        apply_record(state, rec, order)
    return state


def run(**fields):
    base = {"composer": "Invoices", "mode": "live", "started_at": "2026-11-20T10:00:00Z"}
    return RunRecord("a.jsonl", 1, "r1", {**base, **fields})


def step(entry_id, line=2, seq=None, **fields):
    return StepRecord("a.jsonl", line, "r1", entry_id, seq, fields)


def end(**fields):
    return RunEndRecord("a.jsonl", 99, "r1", {"ended_at": "2026-11-20T10:05:00Z", **fields})


# --- badges -------------------------------------------------------------------


def test_badge_iteration_is_index_plus_one_and_page_as_logged():
    assert badges({"index": 0, "item": 1}, None) == ("iteration 1",)
    assert badges({"index": 4}, 2) == ("iteration 5", "page 2")
    assert badges(None, 3) == ("page 3",)
    assert badges(None, None) == ()


# --- display order ------------------------------------------------------------


def test_display_order_groups_iterations_then_pages_and_keeps_first_seen_otherwise():
    siblings = [
        ("setup", None, None),
        ("b1", {"index": 1}, None),
        ("a0", {"index": 0}, None),
        ("b0", {"index": 1}, None),  # same iteration as b1: stays after it (first seen)
        ("teardown", None, None),
    ]
    assert display_order(siblings) == ["setup", "a0", "b1", "b0", "teardown"]


def test_display_order_sorts_pages():
    assert display_order([("x3", None, 3), ("x1", None, 1), ("x2", None, 2)]) == ["x1", "x2", "x3"]


# --- lineage and parents ------------------------------------------------------


def test_lineage_runs_from_root_to_entry():
    parents = {"loop": None, "req": "loop", "page": "req"}
    assert lineage("page", parents) == ("loop", "req", "page")
    assert lineage("loop", parents) == ("loop",)


def test_unknown_parent_goes_to_top_level_with_a_reason():
    resolved, moved = resolve_parents({"a": None, "b": "ghost"})
    assert resolved == {"a": None, "b": None}
    assert moved == {"b": 'parent "ghost" names no entry of this run; placed at the top level of its group'}


def test_parent_cycle_members_go_to_top_level_others_keep_parents():
    resolved, moved = resolve_parents({"a": "b", "b": "a", "c": "a", "d": "d"})
    assert resolved == {"a": None, "b": None, "c": "a", "d": None}
    assert set(moved) == {"a", "b", "d"}
    assert "parent cycle (a → b → a)" in moved["a"]
    assert "parent cycle (d → d)" in moved["d"]


# --- statuses -----------------------------------------------------------------


@pytest.mark.parametrize(
    "own, children, expected",
    [
        ("success", [], "success"),
        ("success", ["success", "running"], "running"),
        ("success", ["error", "running"], "running"),
        ("success", ["error", "success"], "error"),
        ("success", ["rejected", "skipped"], "success"),  # a rejected iteration leaves the Loop green
        ("error", ["success"], "error"),
        ("rejected", ["success"], "rejected"),
        ("skipped", [], "skipped"),
        ("unknown", ["error"], "error"),
    ],
)
def test_entry_display_status(own, children, expected):
    assert display_status(own, children) == expected


@pytest.mark.parametrize(
    "statuses, expected",
    [
        (["success", "running", "error"], "running"),
        (["success", "error", "rejected"], "error"),
        (["success", "rejected", "skipped"], "rejected"),
        (["skipped", "skipped"], "skipped"),
        (["skipped", "success"], "success"),
        (["success"], "success"),
        (["unknown"], "success"),
    ],
)
def test_group_status_first_match_wins(statuses, expected):
    assert group_status(statuses) == expected


WAITING_REVIEW = ("review", "running", {"mode": "wait", "decision": None})


@pytest.mark.parametrize(
    "ended, error, entries, expected",
    [
        (False, None, [WAITING_REVIEW], "awaiting_review"),
        (False, None, [("review", "running", None)], "awaiting_review"),  # no mode means wait
        (False, None, [("review", "running", {"mode": "notify", "decision": None})], "running"),
        (False, None, [("review", "running", {"mode": "wait", "decision": "approved"})], "running"),
        (False, None, [], "running"),
        (False, None, [("http", "running", None)], "running"),
        (False, None, [("http", "success", None)], "completed"),
        (True, {"message": "timeout"}, [("http", "success", None)], "failed"),
        (True, "crash", [], "failed"),
        (True, None, [("http", "error", None)], "failed"),
        (True, None, [("review", "rejected", None), ("http", "skipped", None)], "completed"),
        (True, None, [WAITING_REVIEW], "completed"),  # ended: never awaiting
        (False, None, [WAITING_REVIEW, ("http", "error", None)], "awaiting_review"),
    ],
)
def test_run_status_first_match_wins(ended, error, entries, expected):
    assert run_status(ended, error, entries) == expected


# --- HTTP routing and summary rows --------------------------------------------


def test_http_4xx_goes_to_error_with_parsed_json_body_not_output():
    fields = {
        "http": {
            "request": {"method": "GET", "url": "https://api.example.com/x"},
            "response": {"status": 404, "headers": {"Content-Type": "application/json"}, "body": '{"error":"nope"}'},
        }
    }
    got = {s.key: s.value for s in sections(fields)}
    assert got == {
        "input": {"method": "GET", "url": "https://api.example.com/x"},
        "error": {"status": 404, "headers": {"Content-Type": "application/json"}, "body": {"error": "nope"}},
    }


def test_http_success_body_is_the_output_and_request_the_input():
    fields = {"input": {"ignored": True}, "http": {"request": {"method": "POST"}, "response": {"status": 201, "body": "[1,2]"}}}
    got = {s.key: s.value for s in sections(fields)}
    assert got == {"input": {"method": "POST"}, "output": [1, 2]}


def test_http_5xx_keeps_logged_error_and_adds_response():
    fields = {"error": "upstream failed", "http": {"response": {"status": 500, "body": {"code": 7}}}}
    assert sections(fields)[0].value == {"message": "upstream failed", "response": {"status": 500, "body": {"code": 7}}}


def test_body_parsing_rules():
    assert parse_body('{"a":1}') == {"a": 1}  # a string that parses
    assert parse_body(' [1, 2] ') == [1, 2]
    assert parse_body("42") == 42  # any JSON text, not only objects and arrays
    assert parse_body("plain text") == "plain text"
    assert parse_body("{not json") == "{not json"
    assert parse_body({"a": 1}) == {"a": 1}


def test_a_header_of_any_shape_never_stops_a_build():
    # Header values are whatever the engine logged: a list, a number, null.
    for headers in ({"Content-Type": ["application/json"]}, {"content-type": 7}, ["x"], None):
        fields = {"kind": "http", "status": "success",
                  "http": {"response": {"status": 200, "headers": headers, "body": '{"ok":true}'}}}
        output = next(s for s in sections(fields) if s.key == "output")
        assert output.value == {"ok": True}


def test_iteration_data_section_and_section_order():
    fields = {"input": 1, "output": 2, "error": "x", "iteration": {"index": 0, "item": {"id": 9}}}
    assert [(s.key, s.label) for s in sections(fields)] == [
        ("input", "Step Input"), ("output", "Step Output"), ("error", "Error"), ("iteration", "Iteration Data"),
    ]
    assert sections(fields)[3].value == {"id": 9}


def test_summary_rows_http_review_and_summary_fields():
    fields = {
        "http": {"request": {"method": "GET", "url": "https://x.example.com"}, "response": {"status": 200}},
        "review": {"mode": "wait", "decision": "approved", "reviewer": "dana"},
        "summary": {"table": "invoices", "rows": 3},
    }
    assert summary_rows(fields) == (
        ("Method", "GET"), ("URL", "https://x.example.com"), ("Status code", 200),
        ("Review mode", "wait"), ("Decision", "approved"), ("Reviewer", "dana"),
        ("table", "invoices"), ("rows", 3),
    )


# --- the whole run ------------------------------------------------------------


def test_spec_example_statuses():
    state = run_state(
        run(automations=["Ingest", "Enrich"], mode="test", composer="Lead enrichment"),
        step("e1", name="Fetch leads", kind="http", automation="Ingest", status="running", page=1),
        step("e1", status="success"),
        step("e2", name="For each lead", kind="loop", automation="Enrich", status="success"),
        step("e3", name="Approve lead", kind="review", automation="Enrich", parent="e2",
             iteration={"index": 0, "item": {"id": 1}}, status="rejected",
             review={"mode": "wait", "decision": "rejected"}),
        step("e4", name="Push to CRM", kind="http", automation="Enrich", parent="e2",
             iteration={"index": 0, "item": {"id": 1}}, status="skipped"),
        end(),
    )
    r, problems = derive_run(state)
    assert problems == []
    assert r.status == "completed"
    assert [(g.automation, g.status) for g in r.groups] == [("Ingest", "success"), ("Enrich", "rejected")]
    e = r.entries_by_id
    assert e["e2"].display_status == "success"
    assert (e["e3"].status, e["e3"].badges, e["e3"].lineage) == ("rejected", ("iteration 1",), ("For each lead", "Approve lead"))
    assert [x.entry_id for x in r.entries] == ["e1", "e2", "e3", "e4"]


def test_failed_iteration_makes_loop_and_group_red():
    state = run_state(
        run(),
        step("loop", name="Each", kind="loop", status="success"),
        step("a", name="Charge", parent="loop", iteration={"index": 0}, status="success"),
        step("b", name="Charge", parent="loop", iteration={"index": 1}, status="error", error={"message": "card declined"}),
        end(),
    )
    r, _ = derive_run(state)
    assert r.entries_by_id["loop"].display_status == "error"
    assert r.entries_by_id["loop"].status == "success"
    assert r.groups[0].status == "error"
    assert r.status == "failed"


def test_nesting_three_deep_and_running_rolls_up():
    state = run_state(
        run(),
        step("l1", name="Outer", status="success"),
        step("l2", name="Inner", parent="l1", status="success"),
        step("l3", name="Leaf", parent="l2", status="running"),
    )
    r, _ = derive_run(state)
    leaf = r.entries_by_id["l3"]
    assert leaf.depth == 2 and leaf.lineage == ("Outer", "Inner", "Leaf") and leaf.lineage_ids == ("l1", "l2", "l3")
    assert r.entries_by_id["l1"].display_status == "running"
    assert r.status == "running"


def test_group_defaults_to_composer_and_children_inherit_their_parents_group():
    state = run_state(run(), step("a", name="A", status="success"), step("b", name="B", parent="a", status="success"))
    r, _ = derive_run(state)
    assert [g.automation for g in r.groups] == ["Invoices"]
    assert r.entries_by_id["b"].automation == "Invoices"


def test_declared_automation_order_wins_over_first_seen():
    state = run_state(
        run(automations=["Second", "First"]),
        step("a", name="A", automation="First", status="success"),
        step("b", name="B", automation="Second", status="skipped"),
        step("c", name="C", automation="Third", status="success"),
    )
    r, _ = derive_run(state)
    assert [(g.automation, g.status) for g in r.groups] == [("Second", "skipped"), ("First", "success"), ("Third", "success")]


def test_problems_from_derivation_name_their_place():
    state = run_state(
        step("a", line=3, name="Orphan", parent="ghost", status="success"),
        step("b", line=4, name="No status"),
        step("c", line=5, name="Still going", status="running"),
        end(),
    )
    r, problems = derive_run(state)
    assert r.composer == "(unknown composer)" and not r.known
    assert r.entries_by_id["b"].status == "unknown"
    assert r.entries_by_id["c"].flagged
    texts = sorted((p.line, p.message) for p in problems)
    assert texts[0] == (1, 'no "run" record for run "r1"; shown with composer "(unknown composer)"')
    assert texts[1] == (3, 'entry "a": parent "ghost" names no entry of this run; placed at the top level of its group')
    assert texts[2][0] == 4 and 'missing required field "status"' in texts[2][1]
    assert texts[3] == (5, 'entry "c" is still "running" after the run ended (a.jsonl:99)')


# --- fields of the run the format does not define -------------------------------


def test_unknown_run_fields_come_from_run_and_run_end_and_the_run_end_wins():
    state = run_state(
        run(region="eu-west-1", worker="w-1", trigger={"type": "manual"}, ended_at="2026-11-20T10:04:00Z"),
        run(region="eu-west-2"),  # a later run record replaces the field, as for entries
        end(exit_code=3, worker="w-2", trigger="restarted", error=None),
    )
    r, _ = derive_run(state)
    # Names the format defines for a run are never "other", whichever record logs them.
    assert r.other_fields == {"region": "eu-west-2", "worker": "w-2", "exit_code": 3}


def test_a_run_without_unknown_fields_has_no_other_fields():
    r, _ = derive_run(run_state(run(automations=["A"], meta={"x": 1}), end(error="boom")))
    assert r.other_fields == {}
    r, _ = derive_run(run_state(step("a", name="Orphan", status="success", region="eu")))
    assert r.other_fields == {}  # (an entry's unknown fields are the entry's own)


def test_a_response_body_nested_deeper_than_a_record_may_be_is_shown_as_text_with_a_warning():
    from runreport.derive import derive_run
    from runreport.read import MAX_DEPTH

    deep = "[" * (MAX_DEPTH + 50) + "]" * (MAX_DEPTH + 50)
    wide = "[" + ",".join(["[1]"] * 500) + "]"  # many brackets, shallow: parsed as usual
    state = run_state(run(), step("e1", name="Deep", status="success",
                                  http={"response": {"status": 200, "body": deep}}),
                      step("e2", name="Wide", status="success", http={"response": {"status": 200, "body": wide}}))
    derived, problems = derive_run(state)
    by_id = derived.entries_by_id
    assert by_id["e1"].section("output").value == deep
    assert by_id["e2"].section("output").value == [[1]] * 500
    assert [p.message for p in problems if "nested" in p.message] == [
        f'entry "e1": "http.response.body" holds JSON nested more than {MAX_DEPTH} levels deep; shown as text']
    assert derive_run(state, detail=False)[1] == problems
