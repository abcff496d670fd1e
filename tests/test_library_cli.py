"""`runreport library list | show | save`: output, files written, errors and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from runreport.library import load_library, save_variable
from runreport.library_cli import library

# The example of the run log format, with a Step Output added to the Loop entry.
RUN_LOG = """\
{"v":1,"type":"run","run_id":"r-104","composer":"Lead enrichment","mode":"test","started_at":"2026-11-20T10:00:00Z","automations":["Ingest","Enrich"]}
{"type":"step","run_id":"r-104","entry_id":"e1","step_id":"fetch","name":"Fetch leads","kind":"http","automation":"Ingest","status":"running","started_at":"2026-11-20T10:00:01Z","http":{"request":{"method":"GET","url":"https://api.example.com/leads?page=1"}},"page":1}
{"type":"step","run_id":"r-104","entry_id":"e1","status":"success","ended_at":"2026-11-20T10:00:02Z","http":{"request":{"method":"GET","url":"https://api.example.com/leads?page=1"},"response":{"status":200,"headers":{"content-type":"application/json"},"body":[{"id":1},{"id":2}]}}}
{"type":"step","run_id":"r-104","entry_id":"e2","step_id":"each","name":"For each lead","kind":"loop","automation":"Enrich","status":"success","output":{"processed":2,"notes":"%s"}}
{"type":"step","run_id":"r-104","entry_id":"e3","step_id":"approve","name":"Approve lead","kind":"review","automation":"Enrich","parent":"e2","iteration":{"index":0,"item":{"id":1}},"status":"rejected","review":{"mode":"wait","decision":"rejected","reviewer":"dana"}}
{"type":"step","run_id":"r-104","entry_id":"e4","step_id":"crm","name":"Push to CRM","kind":"http","automation":"Enrich","parent":"e2","iteration":{"index":0,"item":{"id":1}},"status":"skipped"}
{"type":"run_end","run_id":"r-104","ended_at":"2026-11-20T10:00:09Z"}
"""
LONG_NOTES = "n" * 500  # long enough that `show` must abbreviate it


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "logs" / "run.jsonl"
    path.parent.mkdir()
    path.write_text(RUN_LOG % LONG_NOTES, encoding="utf-8")
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "lib"


def run(*args: str | Path):
    result = CliRunner().invoke(library, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def save(log: Path, folder: Path, *extra: str, entry: str = "e1", run_id: str = "r-104"):
    return run(
        "save", "--run", run_id, "--entry", entry, "--prompt", "lead-summary", "--case", "two-leads",
        "--library", folder, *extra, log,
    )  # fmt: skip


def test_save_then_show_round_trip(log, folder):
    result = save(log, folder, "--create")
    assert result.exit_code == 0, result.output
    assert "Saved step.fetch_leads.output from entry 'e1' (Fetch leads) into lead-summary/two-leads" in result.stdout

    doc = json.loads((folder / "cases/lead-summary/two-leads.json").read_text())
    variable = doc["variables"]["step.fetch_leads.output"]
    assert variable["value"] == [{"id": 1}, {"id": 2}]  # the HTTP response body is the output
    source = variable["source"]
    assert {k: source[k] for k in ("run_id", "entry_id", "step_id", "step_name")} == {
        "run_id": "r-104",
        "entry_id": "e1",
        "step_id": "fetch",
        "step_name": "Fetch leads",
    }
    assert source["saved_at"].endswith("Z") and len(source["saved_at"]) == len("2026-11-20T10:00:05Z")

    shown = run("show", "lead-summary", "--library", folder)
    assert shown.exit_code == 0
    assert "# lead-summary" in shown.stdout
    assert "two-leads (1 variable)" in shown.stdout
    assert 'step.fetch_leads.output = [{"id": 1}, {"id": 2}]' in shown.stdout
    assert "from run r-104, entry e1 (Fetch leads), saved " in shown.stdout


def test_the_full_output_is_saved_and_show_abbreviates_it(log, folder):
    assert save(log, folder, "--create", "--var", "loop.result", entry="e2").exit_code == 0
    case = load_library(folder).prompt("lead-summary").cases[0]
    assert case.variables[0].path == "loop.result"
    assert case.variables[0].value == {"processed": 2, "notes": LONG_NOTES}

    shown = run("show", "lead-summary", "--library", folder).stdout
    line = next(line for line in shown.splitlines() if "loop.result =" in line)
    assert "…" in line and "characters)" in line
    assert len(line) < 200


def test_list_shows_prompts_descriptions_and_cases(log, folder):
    (folder / "prompts").mkdir(parents=True)
    (folder / "prompts/lead-summary.md").write_text("---\nname: lead-summary\ndescription: Summarise leads\n---\nText\n")
    (folder / "prompts/empty.md").write_text("Nothing saved yet\n")
    assert save(log, folder, "--create").exit_code == 0  # the case is new; the prompt is kept as written
    assert save(log, folder, entry="e2").exit_code == 0
    result = run("list", "--library", folder)
    assert result.exit_code == 0
    assert result.stdout == (
        "empty\n"
        "  (no test cases)\n"
        "lead-summary - Summarise leads\n"
        "  two-leads (2 variables)\n"
    )


def test_list_of_an_empty_library_says_so(folder):
    result = run("list", "--library", folder)
    assert result.exit_code == 0
    assert f"No prompts in {folder}" in result.stdout


def test_list_warns_about_malformed_files_and_lists_the_rest(log, folder):
    save(log, folder, "--create")
    (folder / "cases/lead-summary/broken.json").write_text("{")
    result = run("list", "--library", folder)
    assert result.exit_code == 0
    assert "two-leads (1 variable)" in result.stdout
    assert "warning:" in result.stderr and "broken.json: expected a JSON test case" in result.stderr


def test_missing_prompt_or_case_needs_create(log, folder):
    result = save(log, folder)
    assert result.exit_code == 1
    assert "prompt 'lead-summary' does not exist" in result.stderr and "--create" in result.stderr
    assert not folder.exists()

    save_variable(folder, "lead-summary", "one-lead", "x", 1, {}, create=True)
    result = save(log, folder)
    assert result.exit_code == 1
    assert "test case 'two-leads' does not exist" in result.stderr and "--create" in result.stderr


def test_existing_variable_needs_replace(log, folder):
    assert save(log, folder, "--create").exit_code == 0
    result = save(log, folder)
    assert result.exit_code == 1
    assert "variable 'step.fetch_leads.output' already exists" in result.stderr and "--replace" in result.stderr

    assert save(log, folder, "--replace").exit_code == 0


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--prompt", "../escape", "invalid prompt name '../escape'"),
        ("--case", ".hidden", "invalid case name '.hidden'"),
        ("--var", "a..b", "invalid variable path 'a..b'"),
    ],
)
def test_bad_names_are_refused(log, folder, option, value, message):
    args = {"--prompt": "p", "--case": "c", option: value}
    result = run("save", "--run", "r-104", "--entry", "e1", *[x for kv in args.items() for x in kv], "--create",
                 "--library", folder, log)  # fmt: skip
    assert result.exit_code == 1
    assert message in result.stderr
    assert not folder.exists()


def test_unknown_run_id(log, folder):
    result = save(log, folder, "--create", run_id="r-105")
    assert result.exit_code == 1
    assert "unknown run id 'r-105'" in result.stderr and "known run ids: 'r-104'" in result.stderr
    assert not folder.exists()


def test_unknown_entry_id_lists_known_ones(log, folder):
    result = save(log, folder, "--create", entry="e9")
    assert result.exit_code == 1
    assert "unknown entry id 'e9' in run 'r-104'" in result.stderr
    assert "'e1' (Fetch leads)" in result.stderr and "'e4' (Push to CRM)" in result.stderr


def test_an_entry_without_output(log, folder):
    result = save(log, folder, "--create", entry="e3")
    assert result.exit_code == 1
    assert "entry 'e3' (Approve lead) of run 'r-104' has no output" in result.stderr


def test_show_unknown_prompt_suggests_close_names(log, folder):
    save(log, folder, "--create")
    result = run("show", "lead-sumary", "--library", folder)
    assert result.exit_code == 1
    assert "prompt 'lead-sumary' does not exist" in result.stderr and "'lead-summary'" in result.stderr


@pytest.mark.parametrize("command", ["list", "show", "save"])
def test_every_command_has_help_with_the_library_option(command):
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "--library DIRECTORY" in result.stdout
    assert len(library.commands[command].help or "") > 20


def test_commands_are_documented():
    docs = (Path(__file__).resolve().parents[1] / "docs" / "library.md").read_text(encoding="utf-8")
    for command in library.commands:
        assert f"runreport library {command}" in docs


def test_a_saved_output_is_redacted_as_the_site_shows_it_unless_asked_otherwise(tmp_path, folder):
    log = tmp_path / "secret.jsonl"
    log.write_text(
        '{"type":"run","run_id":"r-1","composer":"C","mode":"test","started_at":"2026-11-20T10:00:00Z"}\n'
        '{"type":"step","run_id":"r-1","entry_id":"e1","name":"Login","status":"success",'
        '"output":{"user":"dana","api_token":"SEKRIT-1","note":"token refreshed"}}\n')
    result = save(log, folder, "--create", entry="e1", run_id="r-1")
    assert result.exit_code == 0, result.output
    assert "Secret values were saved as [redacted]" in result.stdout
    text = (folder / "cases/lead-summary/two-leads.json").read_text()
    assert "SEKRIT-1" not in text
    saved = json.loads(text)["variables"]["step.login.output"]["value"]
    assert saved == {"user": "dana", "api_token": "[redacted]", "note": "token refreshed"}

    result = save(log, folder, "--replace", "--no-redact", entry="e1", run_id="r-1")
    assert result.exit_code == 0, result.output
    assert "[redacted]" not in result.stdout
    assert json.loads((folder / "cases/lead-summary/two-leads.json").read_text())[
        "variables"]["step.login.output"]["value"]["api_token"] == "SEKRIT-1"
