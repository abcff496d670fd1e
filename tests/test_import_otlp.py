"""`runreport import otlp`: OpenTelemetry traces read as runs, checked through `summary --json`."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from clirun import runreport

FIXTURE = Path(__file__).parent / "fixtures" / "otlp" / "traces.jsonl"
OK = "0af7651916cd43dd8448eb211c80319c"
FAIL = "4bf92f3577b34da6a3ce929d0e0e4736"
RUNNING = "5b8efff798038103d269b633813fc60c"
ORPHAN = "6e0c63257de34c92bf9efcd03927272e"


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> tuple[dict, str, Path]:
    tmp = tmp_path_factory.mktemp("otlp")
    done = runreport("import", "otlp", FIXTURE, "-o", tmp / "runs.jsonl", cwd=tmp)
    assert done.returncode == 0, done.stderr
    summary = runreport("summary", tmp / "runs.jsonl", "--json", "--details", cwd=tmp)
    assert summary.returncode == 0, summary.stderr
    return {r["run_id"]: r for r in json.loads(summary.stdout)["runs"]}, done.stderr, tmp / "runs.jsonl"


def test_a_trace_is_a_run_and_its_spans_are_entries_nested_by_parent(imported):
    runs, _, _ = imported
    run = runs[OK]
    assert run["status"] == "completed" and run["composer"] == "checkout · POST /orders"
    assert run["mode"] == "test"  # deployment.environment = test
    assert run["started_at"] == "2025-11-20T10:00:00.000000Z" and run["ended_at"] == "2025-11-20T10:00:00.850000Z"
    assert [(e["name"], e["lineage"]) for e in run["entries"]] == [
        ("POST /orders", ["POST /orders"]),
        ("INSERT orders", ["POST /orders", "INSERT orders"]),
        ("POST payments", ["POST /orders", "POST payments"]),
    ]
    assert run["groups"] == [{"automation": "checkout", "status": "success"}]


def test_a_failed_span_shows_its_exception_and_fails_the_run(imported):
    runs, _, _ = imported
    run = runs[FAIL]
    assert run["status"] == "failed"
    statuses = [(e["name"], e["status"]) for e in run["entries"]]
    # The earlier attempt (503, status unset) and the failing one, in start order.
    assert statuses == [("POST /orders", "error"), ("POST payments", "success"), ("POST payments", "error")]
    assert run["first_error"]["message"] == "payment failed"
    assert run["first_error"]["step"] == "POST /orders"


def test_the_failing_calls_error_section_holds_the_exception(imported, tmp_path):
    _, _, log = imported
    records = [json.loads(line) for line in log.read_text().splitlines()]
    failing = next(r for r in records if r.get("entry_id") == "b7ad6b7169203332")
    assert failing["error"] == {"message": "payment gateway returned 502", "type": "UpstreamError",
                                "stack": "UpstreamError: payment gateway returned 502\n  at charge"}
    assert failing["http"] == {"request": {"method": "POST"}, "response": {"status": 502}}
    ok_db = next(r for r in records if r.get("entry_id") == "00f067aa0ba902b8")
    assert ok_db["kind"] == "database"
    assert ok_db["summary"] == {"database": "postgresql", "table": "orders", "operation": "INSERT"}
    assert ok_db["attributes"]["db.system.name"] == "postgresql"  # every attribute, as "Other fields"


def test_a_trace_without_an_end_is_running_and_snake_case_is_read(imported):
    runs, _, _ = imported
    run = runs[RUNNING]
    assert run["status"] == "running" and run["ended_at"] is None
    assert [(e["name"], e["status"]) for e in run["entries"]] == [("process batch", "running"),
                                                                   ("load items", "success")]


def test_bad_input_is_named_by_file_and_line_and_costs_nothing_else(imported):
    runs, stderr, _ = imported
    assert set(runs) == {OK, FAIL, RUNNING, ORPHAN}
    assert f"{FIXTURE}:3: expected a JSON document, found invalid JSON" in stderr
    assert f'{FIXTURE}:6: expected an OTLP/JSON trace document (an object whose "resourceSpans" is a list), ' \
           'found "resourceSpans" holding a JSON string; document skipped' in stderr
    assert f'{FIXTURE}:5: span "bb00000000000002": its parent "bb00000000000001" is not in this trace' in stderr
    assert [e["lineage"] for e in runs[ORPHAN]["entries"]] == [["late child"]]
    assert "imported 4 traces (9 spans)" in stderr


def test_one_document_a_folder_and_gzip_are_read_and_an_empty_input_is_an_error(tmp_path):
    first = json.loads(FIXTURE.read_text().splitlines()[0])
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "one.json").write_text(json.dumps(first, indent=2))  # one pretty document
    (tmp_path / "in" / "two.json.gz").write_bytes(gzip.compress(FIXTURE.read_text().splitlines()[1].encode()))
    done = runreport("import", "otlp", tmp_path / "in", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    runs = {json.loads(line)["run_id"] for line in done.stdout.splitlines()}
    assert runs == {OK, FAIL}
    (tmp_path / "empty.json").write_text("{}")
    empty = runreport("import", "otlp", tmp_path / "empty.json", cwd=tmp_path)
    assert empty.returncode == 1 and "no trace found in 1 file" in empty.stderr


def test_an_imported_trace_builds_a_site(imported, tmp_path):
    _, _, log = imported
    done = runreport("build", log, "-o", tmp_path / "site", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    pages = list((tmp_path / "site" / "runs").glob("*.html"))
    assert len([p for p in pages if not p.name.startswith("page-")]) == 4


def test_every_command_reads_otlp_exports_directly(tmp_path):
    """--from auto (the default) recognises a trace export and imports it on the way."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "traces.json").write_text(FIXTURE.read_text())  # an exporter's file name
    (folder / "settings.json").write_text('{"retries": 3}\n')  # not a trace export: no input
    summary = runreport("summary", folder, "--json", cwd=tmp_path)
    assert summary.returncode == 0, summary.stderr
    doc = json.loads(summary.stdout)
    assert {r["run_id"] for r in doc["runs"]} == {OK, FAIL, RUNNING, ORPHAN}
    # The importer's problems name the export, its line, and join the input's problems.
    assert any(p["file"].endswith("traces.json") and p["line"] == 3 for p in doc["problems"])
    validated = runreport("validate", folder, cwd=tmp_path)
    assert validated.returncode == 1 and "traces.json:6: expected an OTLP/JSON trace document" in validated.stdout
    def problem_places():
        from bs4 import BeautifulSoup

        page = BeautifulSoup((tmp_path / "site" / "problems.html").read_text(), "html.parser")
        return {(Path(row.td.get_text()).name, row.select("td")[1].get_text())
                for row in page.select("table.problems tbody tr")}

    built = runreport("build", folder, "-o", tmp_path / "site", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    assert {("traces.json", "3"), ("traces.json", "5"), ("traces.json", "6")} <= problem_places()
    assert len(list((tmp_path / "site" / "runs").glob("*.html"))) == 4
    again = runreport("build", folder, "-o", tmp_path / "site", cwd=tmp_path)  # incremental: same site
    assert again.returncode == 0 and ("traces.json", "3") in problem_places()
    # --from runlog reads it as a run log: its lines are no records.
    plain = runreport("validate", FIXTURE, "--from", "runlog", cwd=tmp_path)
    assert plain.returncode == 1 and 'missing required field "type"' in plain.stdout


def test_a_run_log_is_not_taken_for_an_export_and_a_mixed_file_loses_nothing(tmp_path):
    run = [{"type": "run", "run_id": "good-0", "composer": "Fuzz", "mode": "test",
            "started_at": "2026-11-20T10:00:00Z"},
           {"type": "step", "run_id": "good-0", "entry_id": "e1", "name": "One", "status": "success"},
           {"type": "run_end", "run_id": "good-0", "ended_at": "2026-11-20T10:00:05Z"}]
    lines = "".join(json.dumps(r) + "\n" for r in run)
    # A damaged first line that merely starts like an export (found by the fuzz test).
    damaged = tmp_path / "damaged.jsonl"
    damaged.write_text('{"resourceSpans"\n' + lines)
    done = runreport("summary", damaged, "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert [r["run_id"] for r in doc["runs"]] == ["good-0"]
    assert [(p["line"], p["severity"]) for p in doc["problems"]] == [(1, "error")]
    # An export line, then run-log records: the trace and the run.
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text(FIXTURE.read_text().splitlines()[0] + "\n" + lines)
    done = runreport("summary", mixed, "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert {r["run_id"] for r in json.loads(done.stdout)["runs"]} == {OK, "good-0"}
