"""`runreport import temporal`: Temporal workflow histories read as runs, checked through `summary --json`."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest
from clirun import runreport

FIXTURES = Path(__file__).parent / "fixtures" / "temporal"
HISTORIES = ["order-ok.json", "order-failed.json", "shipment.json", "histories.jsonl"]


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> tuple[dict, str, list[dict]]:
    tmp = tmp_path_factory.mktemp("temporal")
    done = runreport("import", "temporal", *(FIXTURES / h for h in HISTORIES), "-o", tmp / "runs.jsonl", cwd=tmp)
    assert done.returncode == 0, done.stderr
    summary = runreport("summary", tmp / "runs.jsonl", "--json", "--details", cwd=tmp)
    assert summary.returncode == 0, summary.stderr
    records = [json.loads(line) for line in (tmp / "runs.jsonl").read_text().splitlines()]
    return {r["run_id"]: r for r in json.loads(summary.stdout)["runs"]}, done.stderr, records


def test_an_execution_is_a_run_its_activities_timers_and_signals_entries(imported):
    runs, stderr, records = imported
    assert "imported 6 workflow executions" in stderr
    run = runs["7c1f0a3e-0001"]
    assert (run["composer"], run["status"]) == ("OrderWorkflow", "completed")
    assert run["started_at"] == "2025-11-22T08:00:00.000Z" and run["ended_at"] == "2025-11-22T08:00:41.000Z"
    assert [(e["name"], e["status"]) for e in run["entries"]] == [
        ("ChargeCard", "success"), ("Timer 30s", "success"), ("Signal approve", "success")]
    charge = next(r for r in records if r.get("run_id") == "7c1f0a3e-0001" and r.get("entry_id") == "activity-5")
    # Payloads (base64 json/plain in the CLI's export) read as the JSON they hold.
    assert charge["input"] == {"amount": 42.5}
    assert charge["output"] == {"charge": "ch_1", "status": "paid"}
    start = next(r for r in records if r.get("run_id") == "7c1f0a3e-0001" and r["type"] == "run")
    assert start["input"] == {"order": "A-17", "amount": 42.5}
    end = next(r for r in records if r.get("run_id") == "7c1f0a3e-0001" and r["type"] == "run_end")
    assert end["output"] == {"shipped": True}


def test_a_failed_activity_after_retries_in_the_web_uis_spelling(imported):
    runs, _, records = imported
    run = runs["7c1f0a3e-0002"]
    assert run["status"] == "failed"
    assert run["first_error"]["step"] == "ReserveStock"
    assert run["first_error"]["message"] == "stock service unavailable"
    failing = next(r for r in records if r.get("run_id") == "7c1f0a3e-0002" and r.get("entry_id") == "activity-5")
    assert failing["summary"] == {"attempt": 3}  # retried: the attempt that failed
    assert failing["last_failure"]["message"] == "connection refused"
    assert failing["error"]["type"] == "StockError" and failing["error"]["stack"].startswith("main.ReserveStock")
    assert failing["error"]["cause"] == {"message": "connection refused", "type": "NetError", "source": "GoSDK"}
    assert failing["retry_state"] == "maximum_attempts_reached"
    assert failing["input"] == {"sku": "X-1"}  # (the Web UI's payloads, already decoded)


def test_child_workflows_and_events_not_mapped_are_entries(imported):
    runs, _, records = imported
    entries = runs["7c1f0a3e-0003"]["entries"]
    assert [(e["name"], e["status"]) for e in entries] == [
        ("PrintLabel", "success"), ("WorkflowExecutionUpdateAccepted", "success")]
    child = next(r for r in records if r.get("entry_id") == "child-label-A-17")
    assert child["kind"] == "child workflow" and child["child_run"] == "label-A-17/9d2e-0001"
    assert child["output"] == {"label": "1Z999"}
    kept = next(r for r in records if r.get("entry_id") == "event-8")
    assert kept["attributes"] == {"protocolInstanceId": "u-1"}  # never dropped silently


def test_running_timed_out_and_terminated_executions(imported):
    runs, _, _ = imported
    assert runs["7c1f0a3e-0004"]["status"] == "running"  # no closing event
    assert runs["7c1f0a3e-0004"]["entries"][0]["status"] == "running"
    assert runs["7c1f0a3e-0005"]["status"] == "failed"
    assert runs["7c1f0a3e-0005"]["first_error"]["message"] == "The workflow execution timed out"
    assert runs["7c1f0a3e-0006"]["first_error"]["message"] == "Terminated: stuck order, closed by ops"


def test_damaged_input_is_named_by_file_and_line_and_costs_nothing_else(tmp_path):
    validated = runreport("validate", FIXTURES / "damaged.jsonl", cwd=tmp_path)
    assert validated.returncode == 1
    assert "damaged.jsonl:2: expected a Temporal workflow history" in validated.stdout
    assert "damaged.jsonl:3: expected a JSON document, found invalid JSON" in validated.stdout
    summary = runreport("summary", FIXTURES / "damaged.jsonl", "--json", cwd=tmp_path)
    assert {r["run_id"] for r in json.loads(summary.stdout)["runs"]} == {"7c1f0a3e-0004", "7c1f0a3e-0006"}


def test_every_command_reads_histories_directly_from_a_folder_and_gzip(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in HISTORIES[:3]:
        (folder / name).write_text((FIXTURES / name).read_text())
    (folder / "more.jsonl.gz").write_bytes(gzip.compress((FIXTURES / "histories.jsonl").read_bytes()))
    (folder / "tsconfig.json").write_text('{"events": "none"}\n')  # not a history: no input
    summary = runreport("summary", folder, "--json", cwd=tmp_path)
    assert summary.returncode == 0, summary.stderr
    assert len(json.loads(summary.stdout)["runs"]) == 6
    built = runreport("build", folder, "-o", tmp_path / "site", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    forced = runreport("summary", FIXTURES / "order-ok.json", "--from", "temporal", "--json", cwd=tmp_path)
    assert [r["run_id"] for r in json.loads(forced.stdout)["runs"]] == ["7c1f0a3e-0001"]


def test_a_child_workflows_history_is_nested_under_the_entry_that_started_it(tmp_path):
    done = runreport("import", "temporal", FIXTURES / "label.json", FIXTURES / "shipment.json",
                      "-o", tmp_path / "runs.jsonl", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    summary = runreport("summary", tmp_path / "runs.jsonl", "--json", cwd=tmp_path)
    runs = json.loads(summary.stdout)["runs"]
    assert [r["run_id"] for r in runs] == ["7c1f0a3e-0003"]  # the child is no run of its own
    assert [(e["name"], e["lineage"], e["status"]) for e in runs[0]["entries"]] == [
        ("PrintLabel", ["PrintLabel"], "success"),
        ("RenderLabel", ["PrintLabel", "RenderLabel"], "success"),
        ("SendToPrinter", ["PrintLabel", "SendToPrinter"], "success"),
        ("WorkflowExecutionUpdateAccepted", ["WorkflowExecutionUpdateAccepted"], "success")]
    assert runs[0]["status"] == "completed"
    assert runreport("validate", tmp_path / "runs.jsonl", cwd=tmp_path).returncode == 0
    # Without its parent's history, the child is a run of its own.
    alone = runreport("summary", FIXTURES / "label.json", "--json", cwd=tmp_path)
    assert [r["run_id"] for r in json.loads(alone.stdout)["runs"]] == ["9d2e-0001"]


def test_grandchildren_nest_down_the_chain_whatever_order_the_histories_come_in():
    from runreport.importers.otlp import Document
    from runreport.importers.temporal import records

    docs = [Document(_history("C", parent="B"), "c.json", 1), Document(_history("B", ["C"], parent="A"), "b.json", 1),
            Document(_history("A", ["B"]), "a.json", 1)]
    out, problems = records(docs)
    assert not problems
    assert {r["run_id"] for r in out} == {"A"} and [r["type"] for r in out].count("run") == 1
    by_id = {r["entry_id"]: r for r in out if r["type"] == "step"}
    assert by_id["child-wf-B"].get("parent") is None
    assert by_id["child-wf-B/child-wf-C"]["parent"] == "child-wf-B"
    assert by_id["child-wf-B/child-wf-C/activity-a"]["parent"] == "child-wf-B/child-wf-C"
    assert by_id["child-wf-B/child-wf-C/activity-a"]["name"] == "work-C"
    # Parents are written before the children nested under them.
    order = [r["entry_id"] for r in out if r["type"] == "step"]
    assert order.index("child-wf-B") < order.index("child-wf-B/child-wf-C") < order.index(
        "child-wf-B/child-wf-C/activity-a")


def _history(execution, children=(), parent=None, child_ids=None):
    """A small history: `children` started (each child's workflow id `wf-<child>`, or
    `child_ids[child]`), one activity of its own."""
    started = {"workflowType": {"name": f"W-{execution}"}, "originalExecutionRunId": execution}
    if parent:
        started["parentWorkflowExecution"] = {"workflowId": f"wf-{parent}", "runId": parent}
    events = [{"eventId": "1", "eventType": "WorkflowExecutionStarted",
               "workflowExecutionStartedEventAttributes": started}]
    for n, child in enumerate(children, 2):
        wid = (child_ids or {}).get(child, f"wf-{child}")
        events += [{"eventId": f"{n}0", "eventType": "StartChildWorkflowExecutionInitiated",
                    "startChildWorkflowExecutionInitiatedEventAttributes": {
                        "workflowId": wid, "workflowType": {"name": f"W-{child}"}}},
                   {"eventId": f"{n}1", "eventType": "ChildWorkflowExecutionStarted",
                    "childWorkflowExecutionStartedEventAttributes": {
                        "initiatedEventId": f"{n}0", "workflowExecution": {"workflowId": wid, "runId": child}}}]
    events.append({"eventId": "99", "eventType": "ActivityTaskScheduled",
                   "activityTaskScheduledEventAttributes": {"activityId": "a", "activityType": {"name": f"work-{execution}"}}})
    return {"events": events}


def test_histories_that_name_each_other_as_children_stay_runs_of_their_own():
    from runreport.importers.otlp import Document
    from runreport.importers.temporal import records

    docs = [Document(_history("S", ["S"]), "s.json", 1),  # starts itself
            Document(_history("L1", ["L2"]), "l1.json", 1), Document(_history("L2", ["L1"]), "l2.json", 1)]
    out, problems = records(docs)
    assert not problems
    assert sorted(r["run_id"] for r in out if r["type"] == "run") == ["L1", "L2", "S"]
    assert not [r for r in out if r.get("parent")]


def test_two_children_of_one_workflow_id_keep_entries_of_their_own():
    from runreport.importers.otlp import Document
    from runreport.importers.temporal import records

    parent = _history("P", ["D1", "D2"], child_ids={"D1": "dup", "D2": "dup"})
    out, _ = records([Document(parent, "p.json", 1), Document(_history("D1", parent="P"), "d1.json", 1),
                      Document(_history("D2", parent="P"), "d2.json", 1)])
    steps = {r["entry_id"]: r for r in out if r["type"] == "step"}
    assert {"child-dup", "child-dup@30", "child-dup/activity-a", "child-dup@30/activity-a"} <= set(steps)
    assert steps["child-dup/activity-a"]["name"] == "work-D1"
    assert steps["child-dup@30/activity-a"]["name"] == "work-D2"


def test_a_child_nests_in_a_parent_read_from_another_file_by_every_command(tmp_path):
    folder = tmp_path / "histories"
    folder.mkdir()
    for name in ("label.json", "shipment.json"):  # (the child's file sorts first)
        shutil.copy(FIXTURES / name, folder / name)
    summary = runreport("summary", folder, "--json", cwd=tmp_path)
    assert summary.returncode == 0, summary.stderr
    runs = json.loads(summary.stdout)["runs"]
    assert [r["run_id"] for r in runs] == ["7c1f0a3e-0003"]
    assert [e["lineage"] for e in runs[0]["entries"]][:3] == [
        ["PrintLabel"], ["PrintLabel", "RenderLabel"], ["PrintLabel", "SendToPrinter"]]
    built = runreport("build", folder, "-o", tmp_path / "site", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    assert len(list((tmp_path / "site" / "runs").glob("*.html"))) == 1


def test_exports_build_the_same_site_wherever_the_checkout_is(tmp_path):
    """An export is read through a run log imported into the store; the places of its
    records (which runs' content hashes and the build id cover) must not name where the
    store is, or the same command in two checkouts would write two different sites."""
    from clirun import tree

    sites = []
    for where in (tmp_path / "a", tmp_path / "b" / "deeper" / "still"):
        logs = where / "logs"
        logs.mkdir(parents=True)
        for name in ("order-ok.json", "shipment.json"):
            shutil.copy(FIXTURES / name, logs / name)
        shutil.copy(FIXTURES.parent / "otlp" / "traces.jsonl", logs / "traces.jsonl")
        shutil.copy(FIXTURES.parent / "n8n" / "executions.jsonl", logs / "executions.jsonl")
        done = runreport("build", "logs", "-o", "site", cwd=where)
        assert done.returncode == 0, done.stderr
        sites.append(tree(where / "site"))
    assert "build.js" in sites[0] and sites[0] == sites[1]
