"""A first build reads and renders on every core; the site must not tell.

`runreport build` with no previous site indexes the input by byte ranges and
builds each run in a worker (runreport.site.firstbuild). These tests build
the same input that way, with 1 and 2 workers and ranges of a few hundred
bytes (so runs are cut across ranges and files), and through the one-reader
path (pipeline.load, then build_site), and compare the sites byte for byte,
manifest included: runs spread over files, records after a run's end, bad
lines, an unterminated last line, a byte order mark, run ids the byte
search cannot route.

The builds run in a fresh interpreter: the test process has threads (the
browser tests' servers), and a pool is only forked from a process without
any.
"""

from __future__ import annotations

import gzip
import shutil
import json
import os
import subprocess
import sys
from pathlib import Path

_SCRIPT = """
import json, sys
from pathlib import Path
from runreport import partition, pipeline
from runreport.site import firstbuild
from runreport.site.build import BuildOptions, build_site

inputs, out, mode = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
store = out.parent / (out.name + ".store")
if len(sys.argv) > 4:  # a render that fails where the run is read (forked workers see the patch)
    from runreport.atomic import write_new
    from runreport.site import build
    real = build.write_run
    def write_run(w, run, *args):
        if run.run_id == sys.argv[4] and w._write is write_new:
            raise RuntimeError("render failed")
        return real(w, run, *args)
    build.write_run = write_run
options = BuildOptions()
partition.MIN_PART_BYTES = 300  # many small ranges: runs cut across them
firstbuild.BATCH_BYTES = 500
if mode == "one-reader":
    loaded, rendered, how = pipeline.load([inputs], store_dir=store, max_resident=4), None, "one-reader"
else:
    first = firstbuild.load_and_render([inputs], store, out, options, jobs=int(mode))
    loaded, rendered = first if first is not None else (pipeline.load([inputs], store_dir=store), None)
    how = "first" if first is not None else "fallback"
report = build_site(loaded, out, options, prerendered=rendered, jobs=1)
print(json.dumps({"how": how, "prerendered": report.prerendered_runs, "runs": report.runs,
                  "problems": report.problems}))
"""


def _runs(n: int, prefix: str = "run") -> list[dict]:
    records = []
    for i in range(n):
        rid = f"{prefix}-{i:03d}"
        records += [
            {"type": "run", "run_id": rid, "composer": f"Composer {i % 3}", "mode": "live",
             "started_at": f"2026-11-20T10:{i // 60:02d}:{i % 60:02d}Z"},
            {"type": "step", "run_id": rid, "entry_id": "e1", "name": "Fetch", "status": "success",
             "automation": "Main", "output": {"rows": list(range(i % 7)), "note": "**done**"},
             "http": {"request": {"url": "https://h.example/x?page=2&token=t0p",
                                  "headers": {"Authorization": "Bearer s3cr3t"}}}},
            {"type": "step", "run_id": rid, "entry_id": "e2", "name": "Check", "status":
             "error" if i % 5 == 0 else "success", "automation": "Main",
             "error": {"message": "boom"} if i % 5 == 0 else None},
            {"type": "run_end", "run_id": rid, "ended_at": f"2026-11-20T11:{i // 60:02d}:{i % 60:02d}Z"},
        ]
    return records


def _lines(records: list) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def _build(inputs: Path, out: Path, mode: str, *failing: str) -> dict:
    env = {**os.environ, "RUNREPORT_JOBS": ""}
    done = subprocess.run([sys.executable, "-c", _SCRIPT, str(inputs), str(out), mode, *failing],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _same_sites(tmp_path: Path, inputs: Path, *, how: str = "first") -> dict:
    one = _build(inputs, tmp_path / "one-reader", "one-reader")
    sites = {}
    for jobs in ("1", "2"):
        got = _build(inputs, tmp_path / f"jobs{jobs}", jobs)
        assert got["how"] == how and got["runs"] == one["runs"] and got["problems"] == one["problems"]
        sites[jobs] = _tree(tmp_path / f"jobs{jobs}")
    reference = _tree(tmp_path / "one-reader")
    for jobs, tree in sites.items():
        assert sorted(tree) == sorted(reference), jobs
        assert [name for name in tree if tree[name] != reference[name]] == [], jobs
    return one


def test_runs_spread_over_files_and_ranges_give_the_one_reader_site(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    records = _runs(12)
    # Half of every run in one file, the rest (and records after some run ends) in the next.
    (folder / "a.jsonl").write_text(_lines(records[0::2]))
    late = [{"type": "step", "run_id": "run-003", "entry_id": "e1", "status": "error",
             "error": {"message": "late"}},
            {"type": "step", "run_id": "run-004", "entry_id": "e9", "name": "After end",
             "status": "success", "automation": "Other"}]
    (folder / "b.jsonl").write_text(_lines(records[1::2] + late))
    got = _same_sites(tmp_path, folder)
    assert got["runs"] == 12


def test_bad_lines_a_bom_and_an_unterminated_last_line_give_the_one_reader_site(tmp_path):
    path = tmp_path / "runs.jsonl"
    text = _lines(_runs(8)) + "{not json\n\n   \n[1, 2]\n" + _lines(_runs(2, "tail"))
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n", 3).encode() +
                     b'{"type": "step", "run_id": "run-001", "entry_id": "e7", "name": "Cut", '
                     b'"status": "success"}')
    got = _same_sites(tmp_path, path)
    assert got["problems"] >= 2


def test_run_ids_the_byte_search_cannot_route_give_the_one_reader_site(tmp_path):
    records = _runs(6)
    records[5]["input"] = {"run_id": "run-000"}  # a second "run_id" on the line
    records[9]["run_id"] = 'run-"q"'  # an escaped quote
    records.append({"type": "step", "run_id": 7, "entry_id": "e1", "name": "x", "status": "success"})
    records.append({"type": "step", "entry_id": "e1", "name": "x", "status": "success",
                    "meta": {"run_id": "run-002"}})  # no run id of its own: a problem, not run-002
    # A value nesting a "run_id" before the record's own: routed to run-000 by the byte
    # search, handed back, and merged into its own run in read order.
    records.insert(3, {"type": "step", "input": {"run_id": "run-000"}, "run_id": "run-002",
                       "entry_id": "e5", "name": "Nested first", "status": "error", "automation": "Main"})
    records.append({"type": "step", "input": {"run_id": "run-001"}, "run_id": "run-002",
                    "entry_id": "e5", "status": "success"})
    # A run known only from such lines.
    records.append({"type": "run", "meta": {"run_id": "run-003"}, "run_id": "solo", "composer": "S",
                    "mode": "test", "started_at": "2026-11-20T12:00:00Z"})
    text = _lines(records).replace('"run_id": "run-004"', '"run\\u005fid": "run-004"', 1)
    (tmp_path / "runs.jsonl").write_text(text)
    _same_sites(tmp_path, tmp_path / "runs.jsonl")


def test_a_run_whose_render_fails_where_it_is_read_is_rendered_again(tmp_path):
    path = tmp_path / "runs.jsonl"
    path.write_text(_lines(_runs(6)))
    got = _build(path, tmp_path / "failing", "2", "run-003")
    assert got == {"how": "first", "prerendered": 5, "runs": 6, "problems": 0}
    _build(path, tmp_path / "one-reader", "one-reader")
    a, b = _tree(tmp_path / "failing"), _tree(tmp_path / "one-reader")
    assert sorted(a) == sorted(b) and [n for n in a if a[n] != b[n]] == []


def test_gzip_input_is_read_by_the_one_reader_path(tmp_path):
    path = tmp_path / "runs.jsonl.gz"
    path.write_bytes(gzip.compress(_lines(_runs(4)).encode()))
    assert _build(path, tmp_path / "site", "2")["how"] == "fallback"


def test_a_first_build_stores_references_that_a_later_build_continues_from(tmp_path):
    path = tmp_path / "runs.jsonl"
    path.write_text(_lines(_runs(10)))
    site, store = tmp_path / "site", tmp_path / ".site.store"
    env = {**os.environ, "RUNREPORT_JOBS": "2"}
    run = lambda: subprocess.run([sys.executable, "-m", "runreport", "build", str(path), "-o", str(site),
                                  "--store", str(store)], capture_output=True, text=True, env=env,
                                 timeout=300, check=True)
    run()
    # The store points into the input rather than copying it.
    assert not any(b"Bearer s3cr3t" in p.read_bytes() for p in (store / "runs").iterdir())
    with open(path, "a") as f:
        f.write(json.dumps({"type": "step", "run_id": "run-004", "entry_id": "e3", "name": "Appended",
                            "status": "success", "automation": "Main"}) + "\n")
    run()
    page = next((site / "runs").glob("run-004-*.html")).read_text(encoding="utf-8")
    assert "Appended" in page and "Fetch" in page
    # The same site as one build of the whole input from scratch.
    fresh = tmp_path / "fresh"
    subprocess.run([sys.executable, "-m", "runreport", "build", str(path), "-o", str(fresh),
                    "--store", str(tmp_path / ".fresh.store")], env=env, check=True, capture_output=True)
    a, b = _tree(site), _tree(fresh)
    assert sorted(a) == sorted(b)
    assert [n for n in a if a[n] != b[n] and n not in {"build.js", ".runreport-manifest.json"}] == []


def test_an_input_edited_in_place_under_the_store_is_read_again(tmp_path):
    # The store points into the input; a same-length edit (a secret scrubbed) fails the
    # run's hash when it is read back, and the build reads everything again.
    path = tmp_path / "runs.jsonl"
    records = _runs(30)
    records[15 * 4 + 1]["note"] = "LEAKED"  # mid-file: outside the bytes a file's fingerprint reads
    path.write_text(_lines(records))
    site, store = tmp_path / "site", tmp_path / ".site.store"
    env = {**os.environ, "RUNREPORT_JOBS": "2"}

    def build(out: Path, store_dir: Path) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "runreport", "build", str(path), "-o", str(out),
                               "--store", str(store_dir)], capture_output=True, text=True, env=env,
                              timeout=300)

    assert build(site, store).returncode == 0
    path.write_text(path.read_text().replace("LEAKED", "XXXXXX"))
    shutil.rmtree(site)
    done = build(site, store)
    assert done.returncode == 0, done.stderr
    assert build(tmp_path / "fresh", tmp_path / ".fresh.store").returncode == 0
    a, b = _tree(site), _tree(tmp_path / "fresh")
    assert sorted(a) == sorted(b)
    assert [n for n in a if a[n] != b[n] and n != ".runreport-manifest.json"] == []


def test_a_new_problem_reaches_the_listing_data_of_an_incremental_build(tmp_path):
    path = tmp_path / "runs.jsonl"
    path.write_text(_lines(_runs(5)))
    env = {**os.environ, "RUNREPORT_JOBS": "1"}
    cmd = [sys.executable, "-m", "runreport", "build", str(path), "-o", str(tmp_path / "site")]
    subprocess.run(cmd, env=env, check=True, capture_output=True, timeout=300)
    with open(path, "a") as f:
        f.write("{not json\n")
    subprocess.run(cmd, env=env, capture_output=True, timeout=300)
    listing = (tmp_path / "site" / "data" / "list" / "all.js").read_text()
    assert '"problems":1' in listing
    assert '"count":1' in (tmp_path / "site" / "data" / "problems.js").read_text()
