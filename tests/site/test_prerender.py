"""A first build renders runs while the input is still read; the site must not tell.

`runreport build` hands each run to a pool of forked workers as soon as it
is settled in the store (site.build.Prerenderer). These tests build the same
input with and without that overlap and compare the sites byte for byte,
including the cases where prerendered pages must be thrown away: inputs with
problems (every page shows their count, known only at the end) and runs that
are settled twice because their records were spread out.

The builds run in a fresh interpreter: the test process has threads (the
browser tests' servers), and a pool is only forked from a process without
any.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import log_markup

_SCRIPT = """
import json, sys
from pathlib import Path
from runreport import pipeline
from runreport.site.build import BuildOptions, Prerenderer, build_site

from runreport.site import build

inputs, out, store, overlap, max_resident, failing = sys.argv[1:7]
out, store = Path(out), Path(store)
if failing:  # a render that fails in the worker (forked workers see this module as patched)
    real = build._prerender_one
    def _prerender_one(run_id, digest):
        if run_id == failing:
            raise RuntimeError("render failed")
        return real(run_id, digest)
    build._prerender_one = _prerender_one
options = BuildOptions()
with Prerenderer(out, store, options, jobs=2 if overlap == "1" else 1) as pre:
    loaded = pipeline.load([inputs], store_dir=store, max_resident=int(max_resident),
                           on_settle=pre.settled)
    ready = pre.results()
report = build_site(loaded, out, options, prerendered=ready, jobs=1)
print(json.dumps({"prerendered": report.prerendered_runs, "runs": report.runs,
                  "problems": report.problems}))
"""


def _runs(n: int) -> list[dict]:
    records = []
    for i in range(n):
        rid = f"run-{i:03d}"
        records += [
            {"type": "run", "run_id": rid, "composer": f"Composer {i % 3}", "mode": "live",
             "started_at": f"2026-11-20T10:{i // 60:02d}:{i % 60:02d}Z"},
            {"type": "step", "run_id": rid, "entry_id": "e1", "name": "Fetch", "status": "success",
             "automation": "Main", "output": {"rows": list(range(i % 7)), "note": "**done**"}},
            {"type": "step", "run_id": rid, "entry_id": "e2", "name": "Check", "status":
             "error" if i % 5 == 0 else "success", "automation": "Main",
             "error": {"message": "boom"} if i % 5 == 0 else None},
            {"type": "run_end", "run_id": rid, "ended_at": f"2026-11-20T11:{i // 60:02d}:{i % 60:02d}Z"},
        ]
    return records


def _write(path: Path, records: list, extra_lines: tuple[str, ...] = ()) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records) + "".join(extra_lines))
    return path


def _build(inputs: Path, out: Path, *, overlap: bool, max_resident: int = 64,
           failing: str = "") -> dict:
    env = {**os.environ, "RUNREPORT_JOBS": ""}
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(inputs), str(out), str(out.parent / (out.name + ".store")),
         "1" if overlap else "0", str(max_resident), failing],
        capture_output=True, text=True, env=env, timeout=300, check=True)
    return json.loads(done.stdout)


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _same_site(a: Path, b: Path) -> None:
    ta, tb = _tree(a), _tree(b)
    assert sorted(ta) == sorted(tb)
    assert [name for name in ta if ta[name] != tb[name]] == []


def test_runs_rendered_while_reading_give_the_same_site(tmp_path):
    inputs = _write(tmp_path / "runs.jsonl", _runs(40))
    overlapped = _build(inputs, tmp_path / "a", overlap=True)
    plain = _build(inputs, tmp_path / "b", overlap=False)
    assert overlapped == {"prerendered": 40, "runs": 40, "problems": 0}
    assert plain["prerendered"] == 0
    _same_site(tmp_path / "a", tmp_path / "b")


def test_with_problems_run_pages_are_kept_and_read_the_count_from_one_file(tmp_path):
    # The bad line comes last: every run was prerendered before it was read, and stays.
    inputs = _write(tmp_path / "runs.jsonl", _runs(30), ("{not json\n",))
    overlapped = _build(inputs, tmp_path / "a", overlap=True)
    assert overlapped == {"prerendered": 30, "runs": 30, "problems": 1}
    _build(inputs, tmp_path / "b", overlap=False)
    _same_site(tmp_path / "a", tmp_path / "b")
    page = next((tmp_path / "a" / "runs").glob("run-000-*.html")).read_text(encoding="utf-8")
    assert 'data-problems="data/problems.js"' in page and 'href="../problems.html"' in page
    assert '"count":1' in (tmp_path / "a" / "data" / "problems.js").read_text(encoding="utf-8")


def test_a_run_settled_twice_is_rendered_from_its_final_state(tmp_path):
    records = _runs(20)
    # run-000 gets a third entry after 19 other runs pushed it out of memory (4 resident).
    records.append({"type": "step", "run_id": "run-000", "entry_id": "e3", "name": "Late",
                    "status": "success", "automation": "Main"})
    inputs = _write(tmp_path / "runs.jsonl", records)
    overlapped = _build(inputs, tmp_path / "a", overlap=True, max_resident=4)
    assert overlapped["prerendered"] == 19
    _build(inputs, tmp_path / "b", overlap=False, max_resident=4)
    _same_site(tmp_path / "a", tmp_path / "b")
    log = next((tmp_path / "a" / "data").glob("run-000-*/log.js"))
    assert 'data-entry-id="e3"' in log_markup(log)


def test_a_render_failing_while_reading_is_rendered_again_after(tmp_path):
    inputs = _write(tmp_path / "runs.jsonl", _runs(24))
    overlapped = _build(inputs, tmp_path / "a", overlap=True, failing="run-003")
    assert overlapped == {"prerendered": 23, "runs": 24, "problems": 0}
    _build(inputs, tmp_path / "b", overlap=False)
    _same_site(tmp_path / "a", tmp_path / "b")
