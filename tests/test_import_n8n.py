"""`runreport import n8n`: n8n executions read as runs, checked through `summary --json`."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from clirun import runreport

FIXTURES = Path(__file__).parent / "fixtures" / "n8n"
EXECUTIONS = FIXTURES / "executions.jsonl"


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> tuple[dict, str, list[dict]]:
    tmp = tmp_path_factory.mktemp("n8n")
    done = runreport("import", "n8n", EXECUTIONS, "-o", tmp / "runs.jsonl", cwd=tmp)
    assert done.returncode == 0, done.stderr
    summary = runreport("summary", tmp / "runs.jsonl", "--json", "--details", cwd=tmp)
    assert summary.returncode == 0, summary.stderr
    records = [json.loads(line) for line in (tmp / "runs.jsonl").read_text().splitlines()]
    return {r["run_id"]: r for r in json.loads(summary.stdout)["runs"]}, done.stderr, records


def test_an_execution_is_a_run_and_its_node_runs_are_entries_in_execution_order(imported):
    runs, stderr, _ = imported
    assert "imported 6 executions (18 node runs)" in stderr
    run = runs["n8n-1001"]
    assert (run["composer"], run["mode"], run["status"]) == ("Sync CRM contacts", "test", "completed")
    assert run["started_at"] == "2025-11-21T09:00:00.000Z" and run["ended_at"] == "2025-11-21T09:00:00.900Z"
    assert [(e["name"], e["status"]) for e in run["entries"]] == [
        ("Webhook", "success"), ("Get contacts", "success"), ("Keep active", "success")]
    assert runs["n8n-1003"]["mode"] == "live"  # triggered, not run by hand


def test_input_is_what_the_source_node_gave_and_output_is_the_items(imported):
    _, _, records = imported
    keep = next(r for r in records if r.get("run_id") == "n8n-1001" and r.get("entry_id") == "Keep active")
    assert keep["input"] == [{"id": 1, "name": "Ada", "active": True}, {"id": 2, "name": "Lin", "active": False}]
    assert keep["output"] == [{"id": 1, "name": "Ada", "active": True}]
    assert keep["kind"] == "filter" and keep["step_id"] == "n3"
    fetch = next(r for r in records if r.get("run_id") == "n8n-1001" and r.get("entry_id") == "Get contacts")
    # An HTTP step's Step Input is its request (the format's rule): the node's input items
    # go into it, beside the method and URL its parameters name.
    assert fetch["http"] == {"request": {"method": "GET", "url": "https://crm.example.com/api/contacts",
                                         "items": [{"body": {"since": "2025-11-20"}}]}}
    assert "input" not in fetch
    assert fetch["kind"] == "http"
    assert fetch["n8n"] == {"hints": []}  # what else a node run logs, as "Other fields"


def test_a_failed_node_shows_n8ns_error_and_fails_the_run(imported):
    runs, _, records = imported
    run = runs["n8n-1002"]
    assert run["status"] == "failed"
    assert run["first_error"]["step"] == "Get contacts"
    assert run["first_error"]["message"] == "The resource you are requesting could not be found"
    failing = next(r for r in records if r.get("run_id") == "n8n-1002" and r.get("entry_id") == "Get contacts")
    assert failing["status"] == "error"
    assert failing["error"]["description"] == "Contact list 'since=2025-11-21' does not exist"
    assert failing["error"]["httpCode"] == "404" and failing["error"]["node"] == "Get contacts"
    assert failing["http"]["response"] == {"status": 404}
    # The node carries the failure: no second "Run error" for the same thing.
    assert not any(r.get("type") == "run_end" and "error" in r for r in records if r.get("run_id") == "n8n-1002")


def test_a_node_that_ran_several_times_gets_iteration_badges(imported):
    runs, _, _ = imported
    entries = runs["n8n-1003"]["entries"]
    assert [(e["name"], e["badges"]) for e in entries] == [
        ("Schedule", []),
        ("Loop over leads", ["iteration 1"]), ("Score lead", ["iteration 1"]),
        ("Loop over leads", ["iteration 2"]), ("Score lead", ["iteration 2"]),
        ("Loop over leads", ["iteration 3"]), ("Score lead", ["iteration 3"]),
        ("Done", []),
    ]


def test_running_waiting_and_canceled_executions(imported):
    runs, _, records = imported
    assert runs["n8n-1004"]["status"] == "running"
    assert runs["n8n-1004"]["entries"][-1]["status"] == "running"
    # Waiting on a Wait node: the run waits for a person.
    assert runs["n8n-1005"]["status"] == "awaiting_review"
    wait = next(r for r in records if r.get("run_id") == "n8n-1005" and r.get("entry_id") == "Wait for approval")
    assert wait["kind"] == "review" and wait["review"] == {"mode": "wait"}
    assert runs["n8n-1006"]["status"] == "failed"
    assert runs["n8n-1006"]["first_error"]["message"] == "The execution was canceled"


def test_damaged_input_is_named_by_file_and_line_and_costs_nothing_else(tmp_path):
    damaged = FIXTURES / "damaged.jsonl"
    validated = runreport("validate", damaged, cwd=tmp_path)
    assert validated.returncode == 1
    assert "damaged.jsonl:2: expected an n8n execution with its data" in validated.stdout
    assert "damaged.jsonl:3: expected a JSON document, found invalid JSON" in validated.stdout
    summary = runreport("summary", damaged, "--json", cwd=tmp_path)
    assert {r["run_id"] for r in json.loads(summary.stdout)["runs"]} == {"n8n-1001", "n8n-1002"}


def test_the_list_endpoints_page_gzip_and_every_command_read_directly(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "page.json").write_text((FIXTURES / "list-page.json").read_text())  # pretty-printed
    (folder / "more.jsonl.gz").write_bytes(gzip.compress(EXECUTIONS.read_bytes()))
    (folder / "settings.json").write_text('{"data": [1, 2]}\n')  # not an export: no input
    summary = runreport("summary", folder, "--json", cwd=tmp_path)
    assert summary.returncode == 0, summary.stderr
    ids = [r["run_id"] for r in json.loads(summary.stdout)["runs"]]
    assert sorted(set(ids)) == [f"n8n-100{k}" for k in range(1, 7)]
    built = runreport("build", folder, "-o", tmp_path / "site", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    assert len([p for p in (tmp_path / "site" / "runs").glob("*.html") if not p.name.startswith("page-")]) == 6
    # --from n8n imports what auto-detection would; --from runlog does not.
    forced = runreport("summary", EXECUTIONS, "--from", "n8n", "--json", cwd=tmp_path)
    assert len(json.loads(forced.stdout)["runs"]) == 6
    plain = runreport("validate", EXECUTIONS, "--from", "runlog", cwd=tmp_path)
    assert plain.returncode == 1 and 'missing required field "type"' in plain.stdout


def test_a_long_first_line_is_still_recognised(tmp_path):
    # An execution's line can be megabytes long: detection reads the whole first line.
    execution = json.loads(EXECUTIONS.read_text().splitlines()[0])
    execution["data"]["resultData"]["runData"]["Keep active"][0]["data"]["main"][0] *= 4000
    big = tmp_path / "big.jsonl"
    big.write_text(json.dumps(execution) + "\n")
    assert big.stat().st_size > 1 << 17
    summary = runreport("summary", big, "--json", cwd=tmp_path)
    assert summary.returncode == 0, summary.stderr
    assert [r["run_id"] for r in json.loads(summary.stdout)["runs"]] == ["n8n-1001"]


def test_json_lines_exports_are_read_a_document_at_a_time(tmp_path):
    # Streamed: the first execution is at hand before the rest of the file is read,
    # so an export of any length costs the memory of its largest document.
    from runreport.importers.command import read_documents
    from runreport.importers.n8n import iter_records

    lines = EXECUTIONS.read_text().splitlines(keepends=True)
    export = tmp_path / "export.jsonl"
    export.write_text(lines[0] + lines[1] + "not json\n")
    problems: list = []
    records = iter_records(read_documents([export], problems), problems)
    first = next(records)
    assert first["type"] == "run" and first["run_id"] == "n8n-1001"
    assert problems == []  # the damaged third line is not read yet
    rest = list(records)
    assert {r["run_id"] for r in rest} == {"n8n-1001", "n8n-1002"}
    assert [p.line for p in problems] == [3]
