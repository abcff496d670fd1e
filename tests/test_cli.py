"""The command line: exit codes, output shapes, help and docs for every command."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from runreport.cli import COMMANDS, main

ROOT = Path(__file__).parent.parent
SPEC_EXAMPLE = Path(__file__).parent / "fixtures" / "spec_example.jsonl"


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_summary_json_has_the_spec_shape():
    result = invoke("summary", SPEC_EXAMPLE, "--json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert set(doc) == {"runs", "problems"}
    (run,) = doc["runs"]
    assert run["status"] == "completed"
    assert set(run) == {"run_id", "composer", "mode", "status", "started_at", "ended_at", "groups", "entries"}
    assert run["groups"] == [{"automation": "Ingest", "status": "success"}, {"automation": "Enrich", "status": "rejected"}]
    e3 = next(e for e in run["entries"] if e["entry_id"] == "e3")
    assert e3 == {"entry_id": "e3", "name": "Approve lead", "automation": "Enrich", "status": "rejected",
                  "display_status": "rejected", "lineage": ["For each lead", "Approve lead"], "badges": ["iteration 1"]}
    loop = next(e for e in run["entries"] if e["entry_id"] == "e2")
    assert loop["display_status"] == "success"


def test_summary_json_on_sample_runs_is_pure_json_with_problems_list():
    result = subprocess.run([sys.executable, "-m", "runreport", "summary", str(ROOT / "sample_runs"), "--json"],
                            capture_output=True, check=True)
    doc = json.loads(result.stdout)
    assert len(doc["runs"]) >= 30
    from runreport.timefmt import sort_instant

    starts = [sort_instant(r["started_at"]) for r in doc["runs"]]
    assert starts == sorted(starts, reverse=True)
    for run in doc["runs"]:
        assert run["status"] in ("running", "awaiting_review", "completed", "failed")
        for entry in run["entries"]:
            assert entry["lineage"][-1] == entry["name"]


def test_summary_table_lists_status_composer_mode_start():
    result = invoke("summary", SPEC_EXAMPLE)
    assert result.exit_code == 0
    header, row = result.stdout.splitlines()
    assert header.split()[:4] == ["STATUS", "COMPOSER", "MODE", "STARTED"]
    assert row.startswith("completed  Lead enrichment  test  2026-11-20T10:00:00Z")


def test_validate_prints_path_line_message_and_count_and_fails(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(SPEC_EXAMPLE.read_text() + "{oops\n" + '{"type":"run","run_id":"r2"}\n')
    result = invoke("validate", bad)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{bad}:8: ")
    assert lines[1].startswith(f"{bad}:9: ") and '"composer"' in lines[1]
    assert '"mode"' in lines[2] and '"started_at"' in lines[3]  # every missing field is named
    assert lines[-1] == "4 problems in 1 of 1 file; 1 run read"  # the run record was skipped


def test_validate_clean_input_exits_zero():
    result = invoke("validate", SPEC_EXAMPLE)
    assert result.exit_code == 0
    assert result.stdout.strip() == "no problems in 1 file; 1 run read"


def test_strict_makes_problems_fail_summary(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(SPEC_EXAMPLE.read_text() + "[]\n")
    assert invoke("summary", bad, "--json").exit_code == 0
    result = invoke("summary", bad, "--json", "--strict")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["problems"][0]["line"] == 8  # stdout stays pure JSON


def test_missing_input_is_a_clear_error():
    result = invoke("summary", "no/such/dir")
    assert result.exit_code != 0
    assert "no/such/dir" in result.output


def test_schema_is_json_schema_2020_12():
    result = invoke("schema")
    schema = json.loads(result.stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_every_command_has_help_and_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    for name in main.list_commands(None):
        result = CliRunner().invoke(main, [name, "--help"])
        assert result.exit_code == 0, name
        assert len(result.stdout.splitlines()) > 3
        assert re.search(rf"runreport {name}\b", readme), f"`runreport {name}` is not documented in README.md"


def test_python_dash_m_and_version():
    out = subprocess.run([sys.executable, "-m", "runreport", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("runreport, version ")


def test_the_validate_footer_says_how_many_files_hold_the_problems():
    from runreport.commands import validate_footer

    assert validate_footer(4, 1, 8, 37) == "4 problems in 1 of 8 files; 37 runs read"
    assert validate_footer(1, 1, 1, 1) == "1 problem in 1 of 1 file; 1 run read"
    assert validate_footer(0, 0, 3, 1200) == "no problems in 3 files; 1,200 runs read"


def test_timestamps_outside_the_datetime_range_cost_their_field_not_the_command(tmp_path):
    log = tmp_path / "edge.jsonl"
    records = [
        {"type": "run", "run_id": "r1", "composer": "C", "mode": "test", "started_at": "9999-12-31T23:59:59-23:59"},
        {"type": "run", "run_id": "r2", "composer": "C", "mode": "test", "started_at": "2026-11-20T10:00:00Z"},
        {"type": "step", "run_id": "r2", "entry_id": "e1", "name": "A", "status": "success",
         "started_at": "0001-01-01T00:00:00+23:59", "ended_at": "0000-01-01T00:00:00Z"},
        {"type": "run_end", "run_id": "r2", "ended_at": "2026-11-20T10:00:05Z"},
    ]
    log.write_text("".join(json.dumps(r) + "\n" for r in records))
    result = invoke("validate", log)
    assert result.exit_code == 1
    assert 'edge.jsonl:1: run record: expected "started_at" to be an RFC 3339 timestamp within years ' \
           '0001 to 9999 (UTC), found a string of 25 characters' in result.output
    assert "edge.jsonl:3: step record" in result.output
    summary = invoke("summary", log, "--json")
    assert summary.exit_code == 0
    (run,) = json.loads(summary.stdout)["runs"]  # the good run, next to the bad record
    assert run["run_id"] == "r2" and run["entries"][0]["status"] == "success"
    built = invoke("build", log, "-o", tmp_path / "site")
    assert built.exit_code == 0 and (tmp_path / "site" / "index.html").is_file()


def test_a_store_inside_the_output_folder_is_refused(tmp_path):
    # The store keeps the input as logged, secrets included: it must never be published.
    out = tmp_path / "site"
    result = CliRunner().invoke(main, ["build", str(SPEC_EXAMPLE), "-o", str(out), "--store", str(out / ".store")])
    assert result.exit_code == 2
    assert "inside the output folder" in result.output and "--store" in result.output
    assert not out.exists()
    ok = invoke("build", SPEC_EXAMPLE, "-o", out, "--store", tmp_path / ".site.store")
    assert ok.exit_code == 0


def test_mask_env_hides_a_variables_value_everywhere_in_the_site(tmp_path):
    log = tmp_path / "run.jsonl"
    token = "dpl-7f3a9c2e55"
    log.write_text(
        '{"type":"run","run_id":"r-1","composer":"C","mode":"test","started_at":"2026-11-20T10:00:00Z"}\n'
        '{"type":"step","run_id":"r-1","entry_id":"e1","name":"Deploy","status":"failed",'
        f'"input":{{"cmd":"deploy --to prod using {token}"}},'
        f'"error":{{"message":"push with {token} refused"}}}}\n')
    env = {**__import__("os").environ, "DEPLOY_TOKEN": token, "SHORT": "ab"}
    out = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "runreport", "build", str(log), "-o", str(out),
                           "--mask-env", "DEPLOY_TOKEN", "--mask-env", "SHORT", "--mask-env", "UNSET_X"],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert token not in done.stderr
    assert "--mask-env SHORT: its value is shorter than 4 characters" in done.stderr
    assert "--mask-env UNSET_X: the variable is not set" in done.stderr
    files = [p for p in out.rglob("*") if p.is_file()]
    assert not [p for p in files if token.encode() in p.read_bytes()]
    assert any(b"deploy --to prod using [redacted]" in p.read_bytes() for p in files)
    # The same from runreport.toml.
    (tmp_path / "runreport.toml").write_text('mask_env = ["DEPLOY_TOKEN"]\n')
    again = subprocess.run([sys.executable, "-m", "runreport", "build", str(log), "-o", str(tmp_path / "s2")],
                           capture_output=True, text=True, env=env, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert not [p for p in (tmp_path / "s2").rglob("*") if p.is_file() and token.encode() in p.read_bytes()]


def test_integers_beyond_64_bits_are_kept_exactly_as_text_with_a_warning(tmp_path):
    log = tmp_path / "big.jsonl"
    log.write_text(
        '{"type":"run","run_id":"r-1","composer":"C","mode":"test","started_at":"2026-11-20T10:00:00Z"}\n'
        '{"type":"step","run_id":"r-1","entry_id":"e1","name":"Count","status":"success",'
        '"seq":-9223372036854775809,"output":{"big":123456789012345678901234567890,'
        '"max":18446744073709551615}}\n')
    out = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "runreport", "build", str(log), "-o", str(out)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert f"{log}:2: 2 integers beyond 64 bits kept as text" in done.stderr
    assert 'expected "seq" to be a 64-bit integer, found a string of 20 characters' in done.stderr
    data = b"".join(p.read_bytes() for p in (out / "data").rglob("*.js"))
    assert b'"123456789012345678901234567890"' in data and b"1.2345678901234568e+29" not in data
    assert b"18446744073709551615" in data  # (the largest unsigned 64-bit integer is a number still)


def test_an_older_python_is_told_the_floor_at_start_up():
    code = "import sys; sys.version_info = (3, 10, 14, 'final', 0); import runreport"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 1
    assert "runreport needs Python 3.11 or newer; this is Python 3.10" in done.stderr
    assert "Traceback" not in done.stderr


def test_summary_details_give_duration_first_error_and_counts_in_the_published_shape(tmp_path):
    import jsonschema

    schema = json.loads(invoke("schema", "--summary").stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    damaged = tmp_path / "damaged.jsonl"
    damaged.write_text(SPEC_EXAMPLE.read_text() + 'not json\n{"type": "step", "run_id": "r-104"}\n')
    for source in (SPEC_EXAMPLE, ROOT / "sample_runs", damaged):
        plain = json.loads(invoke("summary", source, "--json").stdout)
        detailed = json.loads(invoke("summary", source, "--json", "--details").stdout)
        validator.validate(plain)
        validator.validate(detailed)
        # --details only adds: the spec's shape is unchanged without it.
        assert [{k: r[k] for k in run} for r, run in zip(detailed["runs"], plain["runs"])] == plain["runs"]
    assert plain["problems"]
    runs = {r["run_id"]: r for r in json.loads(
        invoke("summary", ROOT / "sample_runs", "--json", "--details").stdout)["runs"]}
    lead = runs["r1119-lead-06"]
    assert lead["first_error"]["step"] == "Fetch leads (paged)"
    assert lead["first_error"]["message"] == "Pagination stopped: page 3 returned HTTP 400"
    assert lead["counts"]["error"] >= 1 and lead["counts"]["entries"] == len(lead["entries"])
    assert isinstance(lead["duration_ms"], int) and lead["duration_ms"] > 0
    assert runs["r1120-digest-05"]["duration_ms"] is None  # still running
    # The schema is strict enough to catch a wrong shape.
    lead["counts"]["error"] = "1"
    assert not validator.is_valid({"runs": [lead], "problems": []})


def test_summary_stats_aggregate_across_runs_in_the_published_shape():
    import jsonschema

    validator = jsonschema.Draft202012Validator(json.loads(invoke("schema", "--summary").stdout))
    document = json.loads(invoke("summary", ROOT / "sample_runs", "--json", "--stats").stdout)
    validator.validate(document)
    plain = json.loads(invoke("summary", ROOT / "sample_runs", "--json").stdout)
    assert {k: v for k, v in document.items() if k != "stats"} == plain  # only added
    composers = {c["composer"]: c for c in document["stats"]["composers"]}
    contracts = composers["Contract approval"]
    assert contracts["runs"] == 5
    assert contracts["by_status"] == {"running": 0, "awaiting_review": 1, "completed": 4, "failed": 0}
    assert contracts["success_rate"] == 1.0
    assert [d["day"] for d in contracts["days"]] == ["2026-11-19", "2026-11-20"]
    assert contracts["slowest_steps"][0]["step"] == "Legal sign-off"  # a review waits for a person
    p50, p95 = contracts["duration_ms"]["p50"], contracts["duration_ms"]["p95"]
    assert 0 < p50 <= p95
    assert sum(c["runs"] for c in composers.values()) == len(plain["runs"])
    failures = document["stats"]["failures"]
    assert sum(f["count"] for f in failures) == sum(1 for r in plain["runs"] if r["status"] == "failed")
    digest = next(f for f in failures if f["step"] == "Run error")
    assert digest["cause"] == "Worker wrk-<n> was restarted during a deploy; the run was aborted"
    assert digest["runs"] == ["r1119-digest-04"] and digest["first_seen"].endswith("Z")
    # The schema catches a wrong shape.
    contracts["success_rate"] = 2
    assert not validator.is_valid(document)


def test_percentiles_are_by_nearest_rank():
    from runreport.stats import percentile

    assert percentile([], 50) is None
    assert percentile([3.0], 95) == 3.0
    assert percentile([1, 2, 3, 4], 50) == 2 and percentile([1, 2, 3, 4], 95) == 4
    assert percentile(list(range(1, 101)), 95) == 95


def test_details_need_json():
    result = invoke("summary", SPEC_EXAMPLE, "--details")
    assert result.exit_code == 2 and "--details goes with --json" in result.output


def test_config_between_steps_must_be_whole_seconds_from_zero(tmp_path):
    from runreport.site.config import DEFAULT_BETWEEN_STEPS, load_config

    config = tmp_path / "runreport.toml"
    config.write_text("between_steps = 5\n")
    assert load_config(config).between_steps == 5
    config.write_text("")
    assert load_config(config).between_steps == DEFAULT_BETWEEN_STEPS
    for bad, said in (("-1", "'between_steps' must be 0 (never) or more seconds"),
                      ('"soon"', "'between_steps' must be a int")):
        config.write_text(f"between_steps = {bad}\n")
        result = CliRunner().invoke(main, ["watch", str(tmp_path), "--config", str(config)])
        assert result.exit_code == 1 and said in result.output, result.output


def test_building_run_logs_loads_none_of_the_importers(tmp_path):
    """A run log is told from an export by its first record: building one (a rebuild of
    100,000 runs is 0.4 s) imports none of the n8n, Temporal and OTLP importers."""
    log = tmp_path / "runs.jsonl"
    log.write_text(json.dumps({"v": 1, "type": "run", "run_id": "r1", "composer": "C", "mode": "test",
                               "started_at": "2026-11-20T10:00:00Z"}) + "\n")
    probe = ("import sys; from runreport.cli import main\n"
             "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
             "print(sorted(m for m in sys.modules if m.startswith('runreport.importers.')))")
    done = subprocess.run([sys.executable, "-c", probe, "build", str(log), "-o", str(tmp_path / "site")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['runreport.importers.inputs']"
