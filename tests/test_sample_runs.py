"""The shipped sample logs: reproducible from their generator, valid, and covering the format."""

from __future__ import annotations

import gzip
import importlib.util
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from clirun import runreport

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_runs"
GENERATOR = ROOT / "tools" / "generate_samples.py"
LOG_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz")
TWO_MB = 2 * 1024 * 1024


def load_generator():
    """Import tools/generate_samples.py (not a package) once."""
    name = "runreport_sample_generator"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, GENERATOR)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up while the file executes
        spec.loader.exec_module(module)
    return sys.modules[name]


def files_under(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def log_files() -> list[Path]:
    return [p for p in sorted(SAMPLES.rglob("*")) if p.is_file() and p.name.endswith(LOG_SUFFIXES)]


def read_lines(path: Path) -> list[str]:
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    return data.decode("utf-8").split("\n")


@pytest.fixture(scope="module")
def records() -> list[tuple[str, dict]]:
    """Every record of the samples in read order (sorted paths), with its file."""
    out = []
    for path in log_files():
        rel = path.relative_to(SAMPLES).as_posix()
        out.extend((rel, json.loads(line)) for line in read_lines(path) if line.strip())
    return out


@pytest.fixture(scope="module")
def runs(records) -> dict[str, dict]:
    """Runs with their run record, run_end and merged entries (seq-aware)."""
    result: dict[str, dict] = defaultdict(lambda: {"run": None, "end": None, "entries": {}, "files": []})
    for rel, rec in records:
        run = result[rec["run_id"]]
        if rel not in run["files"]:
            run["files"].append(rel)
        if rec["type"] == "run":
            run["run"] = rec
        elif rec["type"] == "run_end":
            run["end"] = rec
        elif rec["type"] == "step":
            entry = run["entries"].setdefault(rec["entry_id"], {})
            if "seq" in rec and "seq" in entry and rec["seq"] < entry["seq"]:
                entry.update({k: v for k, v in rec.items() if k not in entry})
            else:
                entry.update(rec)
    return dict(result)


def test_generator_reproduces_the_committed_samples_byte_for_byte(tmp_path):
    load_generator().main(tmp_path)
    assert files_under(tmp_path) == files_under(SAMPLES)


def test_regenerating_removes_stale_log_files_only(tmp_path):
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "gone.jsonl").write_text("{}\n")
    (tmp_path / "notes.txt").write_text("kept")
    load_generator().main(tmp_path)
    assert not (tmp_path / "old" / "gone.jsonl").exists()
    assert (tmp_path / "notes.txt").read_text() == "kept"


def test_every_line_is_a_json_object_with_a_known_type():
    for path in log_files():
        lines = read_lines(path)
        assert lines[-1] == "", f"{path}: last line must end with a newline"
        for number, line in enumerate(lines[:-1], 1):
            record = json.loads(line)
            assert isinstance(record, dict), f"{path}:{number}"
            assert record.get("type") in {"run", "step", "run_end"}, f"{path}:{number}"
            assert record.get("v", 1) == 1, f"{path}:{number}"
            assert isinstance(record.get("run_id"), str), f"{path}:{number}"


def test_samples_use_every_kind_of_input_file():
    names = [p.relative_to(SAMPLES).as_posix() for p in log_files()]
    assert any(n.endswith(".ndjson") for n in names)
    assert any(n.endswith(".jsonl.gz") for n in names)
    assert any("/" in n and n.endswith(".jsonl") for n in names)
    total = sum(p.stat().st_size for p in SAMPLES.rglob("*") if p.is_file())
    assert total < 6_500_000


def test_counts_of_runs_composers_and_modes(runs):
    assert len(runs) >= 30
    assert all(run["run"] is not None for run in runs.values()), "every run has a run record"
    assert len({run["run"]["composer"] for run in runs.values()}) >= 5
    assert {run["run"]["mode"] for run in runs.values()} == {"test", "live"}


def test_one_output_over_two_megabytes_and_another_run_with_a_500_item_array(runs):
    big, long_array = set(), set()
    for run_id, run in runs.items():
        for entry in run["entries"].values():
            output = entry.get("output")
            if len(json.dumps(output, ensure_ascii=False, separators=(",", ":"))) >= TWO_MB:
                big.add(run_id)
            if isinstance(output, list) and len(output) >= 500 and all(isinstance(x, dict) for x in output):
                long_array.add(run_id)
    assert big and long_array
    assert big != long_array


def test_a_run_spans_two_files_and_one_file_interleaves_runs(runs, records):
    assert any(len(run["files"]) >= 2 for run in runs.values())
    by_file = defaultdict(list)
    for rel, rec in records:
        by_file[rel].append(rec["run_id"])
    switches = max(sum(a != b for a, b in zip(ids, ids[1:])) for ids in by_file.values())
    distinct = max(len(set(ids)) for ids in by_file.values())
    assert switches > distinct, "records of concurrent runs are mixed in one file"


def test_samples_hold_no_problems(runs):
    """Problem fixtures live in tests; the samples must read cleanly."""
    for run_id, run in runs.items():
        entries = run["entries"]
        for entry_id, entry in entries.items():
            where = f"{run_id}/{entry_id}"
            assert entry.get("name") and entry.get("status"), where
            parent = entry.get("parent")
            assert parent is None or parent in entries, where
            if run["end"] is not None:
                assert entry["status"] not in {"running", "in_progress", "pending", "waiting"}, where


def test_samples_cover_the_cases_of_the_format(runs):
    entries = [(run_id, e) for run_id, run in runs.items() for e in run["entries"].values()]
    statuses = {e["status"] for _, e in entries}
    assert {"succeeded", "failed", "in_progress", "rejected", "skipped", "error"} <= statuses
    # An HTTP error page of a paginated request, with a JSON object body and with a JSON string body.
    pages = [e for _, e in entries if e.get("page") and e.get("http", {}).get("response", {}).get("status", 0) >= 400]
    assert any(isinstance(e["http"]["response"]["body"], dict) for e in pages)
    assert any(isinstance(json.loads(e["http"]["response"]["body"]), dict) for e in pages
               if isinstance(e["http"]["response"]["body"], str))
    assert any(e.get("http", {}).get("response", {}).get("status") == 500 for _, e in entries)
    # Reviews: awaiting (running, wait, undecided, no run_end) and an approved notify-mode one.
    assert any(e.get("kind") == "review" and e["status"] == "running" and e["review"]["decision"] is None
               and runs[run_id]["end"] is None for run_id, e in entries)
    assert any(e.get("review", {}).get("mode") == "notify" and e["review"]["decision"] == "approved"
               for _, e in entries)
    # Nesting three deep.
    def depth(run_id, e):
        return 0 if not e.get("parent") else 1 + depth(run_id, runs[run_id]["entries"][e["parent"]])
    assert max(depth(run_id, e) for run_id, e in entries) >= 2
    # Run-level error, seq numbers (one pair out of order), extra fields, secrets.
    assert any(run["end"] and run["end"].get("error") for run in runs.values())
    assert any("seq" in e for _, e in entries)
    text = "\n".join(json.dumps(e) for _, e in entries)
    assert '"Authorization": "Bearer ' in text and '"X-Api-Key"' in text
    assert '"password"' in text and '"api_token"' in text
    assert re.search(r"\| ---|\|---", text) and "](https://" in text and "```" in text


def test_out_of_order_seq_pair_is_present():
    found = False
    for path in log_files():
        last_seq: dict[tuple[str, str], int] = {}
        for line in read_lines(path):
            if not line:
                continue
            rec = json.loads(line)
            if "seq" in rec:
                key = (rec["run_id"], rec["entry_id"])
                if key in last_seq and rec["seq"] < last_seq[key]:
                    found = True
                last_seq[key] = rec["seq"]
    assert found


def test_generator_docstring_names_exactly_the_sample_runs(runs):
    documented = set(re.findall(r"^\s{4}(r\d{4}-[a-z]+-\d{2})\s", load_generator().__doc__, re.M))
    assert documented == set(runs)


def test_the_imports_folder_holds_one_export_of_each_engine_read_as_runs(tmp_path):
    """`runreport build sample_runs` recognises the three exports by their shape and shows
    each as a completed run, beside the 36 runs of the run logs."""
    names = sorted(p.name for p in (SAMPLES / "imports").iterdir())
    assert names == ["n8n-execution.json", "otlp-trace.json", "temporal-history.json"]
    done = runreport("summary", SAMPLES / "imports", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["problems"] == []
    runs = {run["composer"]: run for run in summary["runs"]}
    assert sorted(runs) == ["FulfilOrder", "Invoice closed orders (n8n)",
                            "payments-api · POST /v1/refunds"]
    assert {run["status"] for run in runs.values()} == {"completed"}

    n8n = runs["Invoice closed orders (n8n)"]
    assert n8n["run_id"] == "n8n-7312"
    invoices = [e for e in n8n["entries"] if e["name"] == "Create invoice"]
    assert [e["badges"] for e in invoices] == [["iteration 1"], ["iteration 2"], ["iteration 3"]]

    temporal = runs["FulfilOrder"]
    assert temporal["run_id"] == "fulfil-SO-48213/3f6b1c2e-8a47-4d0b-9e51-7a2f0c9d4e18"
    assert [e["name"] for e in temporal["entries"]] == [
        "ReserveStock", "BookCarrier", "Timer 900s", "Signal pickedUp", "NotifyCustomer"]

    trace = runs["payments-api · POST /v1/refunds"]
    lineage = {e["name"]: e["lineage"] for e in trace["entries"]}
    assert lineage["UPDATE payments"] == ["POST /v1/refunds", "UPDATE payments"]

    everything = json.loads(runreport("summary", SAMPLES, "--json", cwd=tmp_path).stdout)
    assert len(everything["runs"]) == 39
    logs_only = json.loads(runreport("summary", SAMPLES, "--json", "--from", "runlog", cwd=tmp_path).stdout)
    assert len(logs_only["runs"]) == 36
