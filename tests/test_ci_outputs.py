"""What a CI job reads: the --fail-on gate, JUnit XML and the Markdown job summary."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import xmlschema
from junitparser import Failure, JUnitXml, Skipped

ROOT = Path(__file__).parent.parent
SAMPLES = ROOT / "sample_runs"
#: The JUnit shape Jenkins and GitLab read (see the file's header).
JUNIT_SCHEMA = xmlschema.XMLSchema(str(Path(__file__).parent / "fixtures" / "junit.xsd"))


def _run(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "runreport", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def _log(path: Path, status: str = "success", run_error=None, rejected=False, ended=True) -> Path:
    records = [{"type": "run", "run_id": "r-1", "composer": "C", "mode": "test",
                "started_at": "2026-11-20T10:00:00Z"},
               {"type": "step", "run_id": "r-1", "entry_id": "e1", "name": "Call", "status": status,
                **({"error": {"message": "boom", "type": "Timeout"}} if status == "error" else {})}]
    if rejected:
        records.append({"type": "step", "run_id": "r-1", "entry_id": "e2", "name": "Approve",
                        "kind": "review", "status": "rejected", "review": {"mode": "wait", "decision": "rejected"}})
    if ended:
        records.append({"type": "run_end", "run_id": "r-1", "ended_at": "2026-11-20T10:00:05Z",
                        **({"error": run_error} if run_error else {})})
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


@pytest.mark.parametrize(("gate", "log", "matches"), [
    ("failed", {"run_error": "timed out"}, True),
    ("failed", {}, False),
    ("error", {"status": "error"}, True),  # (a step error fails the run: also "failed")
    ("error", {}, False),
    ("rejected", {"rejected": True}, True),
    ("rejected", {}, False),
    ("running", {"ended": False, "status": "running"}, True),
    ("running", {}, False),
    ("problems", {"status": "sucess"}, True),
    ("problems", {}, False),
])
def test_each_gate_exits_1_only_when_a_run_matches(tmp_path, gate, log, matches):
    path = _log(tmp_path / "run.jsonl", **log)
    for command in (["summary", path], ["build", path, "-o", tmp_path / "site"]):
        done = _run(*command, "--fail-on", gate, cwd=tmp_path)
        assert done.returncode == (1 if matches else 0), done.stderr
        assert (f"--fail-on {gate}:" in done.stderr) == matches
        assert "Traceback" not in done.stderr
    if matches and gate != "problems":
        assert "r-1" in done.stderr.splitlines()[-1]


def test_the_sample_runs_fail_the_gate_and_write_all_three_outputs(tmp_path):
    done = _run("build", SAMPLES, "-o", "site", "--fail-on", "failed", "--junit", "junit.xml",
                "--summary-md", "summary.md", cwd=tmp_path)
    assert done.returncode == 1
    assert "--fail-on failed: 7 runs failed: r1119-digest-04, r1119-lead-06" in done.stderr
    assert (tmp_path / "site" / "index.html").is_file()

    xml = JUnitXml.fromfile(str(tmp_path / "junit.xml"))
    suites = {s.name: s for s in xml}
    assert sum(s.tests for s in suites.values()) == 39
    assert sum(s.failures for s in suites.values()) == 7
    assert sum(s.skipped for s in suites.values()) == 4
    cases = {c.name.split(" ")[0]: c for s in suites.values() for c in s}
    lead = cases["r1119-lead-06"]
    assert lead.classname == "Lead enrichment"
    (failure,) = [r for r in lead.result if isinstance(r, Failure)]
    assert failure.message == "Fetch leads (paged): Pagination stopped: page 3 returned HTTP 400"
    assert any(isinstance(r, Skipped) for r in cases["r1120-lead-07"].result)
    assert not cases["r1119-contract-02"].result  # rejected in review: passed, with a note
    assert "rejected in review: Legal sign-off" in cases["r1119-contract-02"].system_out
    # Each case says its mode and run page where CI test views show it; the page exists.
    out = dict(line.split(": ", 1) for line in lead.system_out.splitlines())
    assert out["mode"] in ("live", "test")
    assert (tmp_path / "site" / out["run page"]).is_file()
    JUNIT_SCHEMA.validate(str(tmp_path / "junit.xml"))

    summary = (tmp_path / "summary.md").read_text()
    assert summary.startswith("## runreport\n\n**39 runs**: 7 failed, 3 running, 1 awaiting review, 28 completed")
    assert ("| [r1119-lead-06](runs/r1119-lead-06-f57bc067c8.html#entry-e001) | Lead enrichment | "
            "Fetch leads (paged) | Pagination stopped: page 3 returned HTTP 400 |") in summary
    # Appended, as a job summary file expects; absolute links with --link-base.
    _run("summary", SAMPLES, "--summary-md", "summary.md", "--link-base", "https://ci.example/site/",
         cwd=tmp_path)
    again = (tmp_path / "summary.md").read_text()
    assert again.startswith(summary) and "(https://ci.example/site/runs/r1119-lead-06-" in again
    markdown = _run("summary", SAMPLES, "--format", "markdown", cwd=tmp_path)
    assert markdown.returncode == 0 and markdown.stdout == summary


def test_ci_outputs_are_redacted_as_the_site_is(tmp_path):
    path = tmp_path / "run.jsonl"
    path.write_text(
        '{"type":"run","run_id":"r-1","composer":"C","mode":"test","started_at":"2026-11-20T10:00:00Z"}\n'
        '{"type":"step","run_id":"r-1","entry_id":"e1","name":"Call","status":"error",'
        '"error":{"message":"refused: Authorization: Bearer SEKRETabc123"}}\n')
    done = _run("summary", path, "--junit", "j.xml", "--summary-md", "s.md", cwd=tmp_path)
    assert done.returncode == 0
    for name in ("j.xml", "s.md"):
        text = (tmp_path / name).read_text()
        assert "SEKRET" not in text and "redacted" in text


def test_a_missing_input_path_is_a_usage_error_in_every_command(tmp_path):
    for command in (["build", "-o", "site"], ["summary"], ["validate"]):
        done = _run(*command, tmp_path / "nope.jsonl", cwd=tmp_path)
        assert done.returncode == 2, (command, done.stderr)
        assert "nope.jsonl" in done.stderr and "Traceback" not in done.stderr


def test_inputs_with_no_run_are_an_error_unless_allowed(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "notes.log").write_text("not a run log\n")
    for command in (["build", "-o", "site"], ["summary"], ["validate"]):
        done = _run(*command, logs, cwd=tmp_path)
        assert done.returncode == 1, (command, done.stderr)
        assert f"no input files in {logs} (folders are searched for *.jsonl, *.ndjson, *.jsonl.gz)" in done.stderr
        assert _run(*command, logs, "--allow-empty", cwd=tmp_path).returncode == 0
    (logs / "empty.jsonl").write_text("\n")
    done = _run("summary", logs, cwd=tmp_path)
    assert done.returncode == 1 and "no run in the 1 input file read from" in done.stderr


def test_the_junit_schema_refuses_what_ci_readers_do_not_take(tmp_path):
    """The schema check can fail: properties inside a case, a suite without counts."""
    good = '<testsuites><testsuite name="C" tests="1" failures="0" errors="0"><testcase name="r"/></testsuite></testsuites>'
    assert JUNIT_SCHEMA.is_valid(good)
    assert not JUNIT_SCHEMA.is_valid(good.replace('<testcase name="r"/>', '<testcase name="r"><properties/></testcase>'))
    assert not JUNIT_SCHEMA.is_valid(good.replace(' failures="0"', ""))


def test_junit_of_awkward_runs_is_valid_and_escaped(tmp_path):
    """Control characters, markup and quotes in names and errors still give a valid report."""
    path = tmp_path / "run.jsonl"
    path.write_text(json.dumps({"type": "run", "run_id": "r<1>", "composer": 'C "&" <x>\u0001', "mode": "test",
                                "started_at": "2026-11-20T10:00:00Z"}) + "\n"
                    + json.dumps({"type": "step", "run_id": "r<1>", "entry_id": "e1", "name": "a]]>b\u0007",
                                  "status": "error", "error": {"message": "<![CDATA[x]]> \u0000 & more"}}) + "\n")
    done = _run("summary", path, "--junit", "j.xml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    JUNIT_SCHEMA.validate(str(tmp_path / "j.xml"))
    (suite,) = JUnitXml.fromfile(str(tmp_path / "j.xml"))
    assert suite.name == 'C "&" <x>\ufffd'
    (case,) = suite
    (failure,) = case.result
    assert failure.message.startswith("a]]>b\ufffd: <![CDATA[x]]>")


def test_markdown_summary_of_the_sample_runs_matches_the_golden_file(tmp_path):
    """The whole job summary, byte for byte (regenerate with
    `runreport summary sample_runs --format markdown > tests/fixtures/sample_summary.md`
    after a deliberate change, and read the diff)."""
    done = _run("summary", SAMPLES, "--format", "markdown", cwd=tmp_path)
    assert done.returncode == 0
    assert done.stdout == (ROOT / "tests" / "fixtures" / "sample_summary.md").read_text()
