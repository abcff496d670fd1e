#!/usr/bin/env python3
"""Benchmark runreport (and its peers, when they install) and print one table.

Usage: python3 bench/run.py [--sizes 200,2000] [--peers/--no-peers] [--quick]
                             [--listing-runs 100000] [--profile]

Every figure is measured in this run; peers are compared as ratios
(runreport ÷ peer) because absolute times vary between machines. Workloads
and sites go to bench/out/ (git-ignored); the table is also written to
bench/out/results.md and results.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import html.parser
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import orjson

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import browser  # noqa: E402
import peers  # noqa: E402
import workload  # noqa: E402

OUT = HERE / "out"
RUNREPORT = [sys.executable, "-m", "runreport"]
MB = 1e6


# --- helpers -------------------------------------------------------------------------

TRASH = OUT / ".trash"


def set_aside(folder: Path) -> None:
    """Move `folder` out of the way, to be deleted when the benchmark is done.

    Deleting a site just before building the next one would time the kernel
    more than the build: for a minute or more ext4 skips its recently freed
    inodes, reading each, on every file created next (`recently_deleted` in a
    kernel profile), and a site is thousands of files. A rename frees none.
    """
    if folder.exists():
        TRASH.mkdir(parents=True, exist_ok=True)
        folder.rename(TRASH / f"{folder.name}-{time.time_ns()}")

#: Files created to measure what creating one costs (see settle_file_system).
PROBE_FILES = 400
DROP_CACHES = Path("/proc/sys/vm/drop_caches")


def file_creation_us() -> float:
    """Microseconds to create and write one small file in OUT, measured on PROBE_FILES."""
    probe = OUT / f".probe-{time.time_ns()}"
    probe.mkdir(parents=True)
    t0 = time.perf_counter()
    for i in range(PROBE_FILES):
        with open(probe / f"f{i}", "wb") as fh:
            fh.write(b"x" * 512)
    us = (time.perf_counter() - t0) / PROBE_FILES * 1e6
    set_aside(probe)
    return us


def settle_file_system(inputs: list[Path]) -> dict:
    """Put the file system in the same state before each timed build; say what it costs.

    After files are deleted, ext4 checks every free inode it considers for
    a new file against the deletion time kept in its inode table block, and
    skips those freed within `dirty_expire_centisecs` read as seconds (50
    minutes by default) for as long as that block stays cached (the
    kernel's `recently_deleted`). On a machine that deleted sites or test
    folders in the last hour, creating a file then costs ~0.5 ms instead of
    ~40 µs: 4 s of a 2,000-run build, which writes 8,000 files, and nothing
    of rebot's, which writes two. A fresh CI machine has none of this.

    So, when allowed (root), clean cached blocks are dropped before each
    timed build (`sync`, then `vm.drop_caches=1`: the deletions are on
    disk, the check finds no cached block and passes) and the inputs are
    read back into the cache, so every tool starts from the same warm
    inputs. The cost of creating a file is measured before and after and
    printed with the figures either way.
    """
    before = file_creation_us()
    dropped = False
    if os.environ.get("BENCH_KEEP_CACHES") != "1":
        os.sync()
        try:
            DROP_CACHES.write_text("1\n")
            dropped = True
        except OSError:
            pass
    for f in inputs:
        with open(f, "rb") as fh:
            while fh.read(1 << 24):
                pass
    return {"before_us": before, "after_us": file_creation_us() if dropped else before,
            "dropped": dropped}


def tree_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def ensure_workload(n: int, formats: set[str]) -> Path:
    """Generate (or reuse, when the generator is unchanged) the workload of `n` runs."""
    folder = OUT / f"w{n}"
    stamp = folder / ".stamp"
    want = hashlib.sha256((HERE / "workload.py").read_bytes()).hexdigest()[:16]
    have = json.loads(stamp.read_text()) if stamp.exists() else {}
    if have.get("gen") == want and formats <= set(have.get("formats", [])):
        return folder
    t0 = time.perf_counter()
    print(f"  generating N={n:,} ({', '.join(sorted(formats))}) …", file=sys.stderr, flush=True)
    workload.generate(n, folder, formats)
    stamp.write_text(json.dumps({"gen": want, "formats": sorted(formats)}))
    print(f"  generated in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    return folder


class _Refs(html.parser.HTMLParser):
    """Collect what a page loads on first view: <script src> and stylesheet <link href>."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script" and a.get("src"):
            self.refs.append(a["src"])
        elif tag == "link" and a.get("href") and "stylesheet" in (a.get("rel") or ""):
            self.refs.append(a["href"])


def first_view_bytes(page: Path) -> tuple[int, int]:
    """(HTML bytes, HTML + every script and stylesheet it references)."""
    text = page.read_text(encoding="utf-8")
    parser = _Refs()
    parser.feed(text)
    total = len(text.encode("utf-8"))
    html_size = total
    for ref in dict.fromkeys(parser.refs):
        path = (page.parent / ref.split("?")[0].split("#")[0]).resolve()
        if path.is_file():
            total += path.stat().st_size
    return html_size, total


def _why(t: peers.Timed) -> str:
    """One line saying why a command failed: its exit code and last line of stderr."""
    lines = [ln.strip() for ln in t.stderr.splitlines() if ln.strip()]
    return f"exit {t.returncode}: {lines[-1][:200] if lines else 'no message'}".replace("|", "/")


def runreport_build(inputs: Path, site: Path, store: Path, jobs: int | None = None) -> peers.Timed:
    env = None if jobs is None else {**os.environ, "RUNREPORT_JOBS": str(jobs)}
    return peers.timed(RUNREPORT + ["build", str(inputs), "-o", str(site), "--store", str(store)],
                       env=env)


def compile_bytecode() -> None:
    """Compile runreport's modules to bytecode, as installing a package does.

    An editable install run with PYTHONDONTWRITEBYTECODE set (as on some CI
    machines) would otherwise compile every module from source in every
    process, a fixed ~0.2 s that an installed runreport never pays; rebot,
    installed by pip, has its bytecode.
    """
    import compileall

    import runreport

    compileall.compile_dir(Path(runreport.__file__).parent, quiet=1)


def tree_digest(folder: Path) -> str:
    """One hash of every file's path and bytes (the manifest aside: it names the store)."""
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file() and p.name != ".runreport-manifest.json":
            h.update(str(p.relative_to(folder)).encode() + b"\0" + hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


def files_holding(folder: Path, mark: bytes) -> list[str]:
    """Files under `folder` whose bytes hold `mark` (a secret of the workload)."""
    return [str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and mark in p.read_bytes()]


# --- in-process baselines (the reference points) -----------------------------

def baseline_parse(files: list[Path]) -> float:
    """Seconds to read + orjson-parse every line."""
    t0 = time.perf_counter()
    loads = orjson.loads
    for f in files:
        with open(f, "rb") as fh:
            for line in fh:
                if line.strip():
                    loads(line)
    return time.perf_counter() - t0


def baseline_parse_write(files: list[Path], out: Path) -> float:
    """Seconds to parse every line and write one JSON file per run (at its run_end)."""
    set_aside(out)
    out.mkdir(parents=True)
    t0 = time.perf_counter()
    loads, dumps = orjson.loads, orjson.dumps
    runs: dict[str, list] = {}
    for f in files:
        with open(f, "rb") as fh:
            for line in fh:
                if not line.strip():
                    continue
                rec = loads(line)
                rid = rec.get("run_id")
                runs.setdefault(rid, []).append(rec)
                if rec.get("type") == "run_end":
                    (out / f"{rid}.json").write_bytes(dumps(runs.pop(rid)))
    for rid, recs in runs.items():
        (out / f"{rid}.json").write_bytes(dumps(recs))
    seconds = time.perf_counter() - t0
    set_aside(out)
    return seconds


# --- one size ------------------------------------------------------------------------

def bench_size(n: int, *, with_peers: bool, rebot_cmd, allure_cmd, allure_max: int,
               pairs: int = 3) -> dict:
    formats = {"jsonl"}
    if with_peers and isinstance(rebot_cmd, list):
        formats.add("robot")
    if with_peers and isinstance(allure_cmd, list) and n <= allure_max:
        formats.add("allure")
    w = ensure_workload(n, formats)
    files = sorted((w / "jsonl").glob("*.jsonl"))
    in_bytes = sum(f.stat().st_size for f in files)
    entries = n * workload.ENTRIES_PER_RUN
    r: dict = {"n": n, "input_mb": in_bytes / MB, "entries": entries}

    print(f"  N={n:,}: baselines …", file=sys.stderr, flush=True)
    r["parse_mbs"] = in_bytes / MB / baseline_parse(files)
    r["parse_write_mbs"] = in_bytes / MB / baseline_parse_write(files, OUT / f"pw{n}")

    print(f"  N={n:,}: runreport build …", file=sys.stderr, flush=True)
    site, store = OUT / f"site{n}", OUT / f"store{n}"
    set_aside(site)
    set_aside(store)
    r["file_system"] = settle_file_system(files)
    full = runreport_build(w / "jsonl", site, store)
    if full.returncode != 0:
        r["error"] = f"runreport build failed, {_why(full)}"
        return r
    r["build_s"] = full.seconds
    r["build_cpu_s"] = full.cpu_seconds
    r["build_mbs"] = in_bytes / MB / full.seconds
    r["leaked"] = files_holding(site, workload.SECRET_MARK.encode())
    r["build_eps"] = entries / full.seconds
    r["build_rss_mb"] = full.peak_rss_mb
    r["site_mb"] = tree_bytes(site) / MB
    r["store_mb"] = tree_bytes(store) / MB
    pages = list(site.rglob("*.html"))
    largest = max(pages, key=lambda p: p.stat().st_size)
    r["largest_page"] = str(largest.relative_to(site))
    r["largest_html_kb"], fv = first_view_bytes(largest)
    r["largest_html_kb"] /= 1e3
    r["largest_first_view_kb"] = fv / 1e3

    print(f"  N={n:,}: runreport build in one process …", file=sys.stderr, flush=True)
    one_site, one_store = OUT / f"site{n}-one", OUT / f"store{n}-one"
    set_aside(one_site)
    set_aside(one_store)
    settle_file_system(files)
    one = runreport_build(w / "jsonl", one_site, one_store, jobs=1)
    if one.returncode == 0:
        r["one_s"], r["one_cpu_s"] = one.seconds, one.cpu_seconds
        r["one_identical"] = tree_digest(one_site) == tree_digest(site)
    set_aside(one_site)
    set_aside(one_store)

    print(f"  N={n:,}: incremental rebuild …", file=sys.stderr, flush=True)
    last = files[-1]
    size_before = last.stat().st_size
    try:
        workload.append_run(w / "jsonl", n)
        inc = runreport_build(w / "jsonl", site, store)
    finally:
        with open(last, "r+b") as fh:  # put the workload back as generated
            fh.truncate(size_before)
    r["incr_s"] = inc.seconds if inc.returncode == 0 else None
    r["incr_ratio"] = inc.seconds / full.seconds if inc.returncode == 0 else None

    if "robot" in formats:
        print(f"  N={n:,}: rebot …", file=sys.stderr, flush=True)
        xml = w / "output.xml"
        rf_out = OUT / f"rebot{n}"
        set_aside(rf_out)
        settle_file_system([xml])
        t = peers.timed(rebot_cmd + ["--outputdir", str(rf_out), "--log", "log.html",
                                     "--report", "report.html", str(xml)])
        # rebot exits with the number of failed tests; 252+ means it could not run.
        if t.returncode >= 252 or not (rf_out / "log.html").exists():
            r["rebot"] = f"rebot failed, {_why(t)}"
        else:
            size = xml.stat().st_size
            r["rebot"] = {"s": t.seconds, "input_mb": size / MB, "mbs": size / MB / t.seconds,
                          "rss_mb": t.peak_rss_mb, "site_mb": tree_bytes(rf_out) / MB}
            # rebot's speed moves by a fifth between runs on a shared machine: more pairs,
            # each a build of ours then one of rebot's, and the median of their ratios.
            ratios = [r["build_mbs"] / r["rebot"]["mbs"]]
            for k in range(1, pairs):
                print(f"  N={n:,}: pair {k + 1} of {pairs} (runreport build, rebot) …",
                      file=sys.stderr, flush=True)
                again, again_store = OUT / f"site{n}-again", OUT / f"store{n}-again"
                set_aside(again)
                set_aside(again_store)
                settle_file_system(files)
                ours = runreport_build(w / "jsonl", again, again_store)
                set_aside(rf_out)
                settle_file_system([xml])
                theirs = peers.timed(rebot_cmd + ["--outputdir", str(rf_out), "--log", "log.html",
                                                  "--report", "report.html", str(xml)])
                if ours.returncode == 0 and theirs.returncode < 252:
                    ratios.append((in_bytes / ours.seconds) / (size / theirs.seconds))
            set_aside(OUT / f"site{n}-again")
            set_aside(OUT / f"store{n}-again")
            r["rebot"]["ratios"] = ratios
    elif with_peers:
        r["rebot"] = rebot_cmd if isinstance(rebot_cmd, str) else "skipped"
    if "allure" in formats:
        print(f"  N={n:,}: allure generate …", file=sys.stderr, flush=True)
        results = w / "allure-results"
        al_out = OUT / f"allure{n}"
        set_aside(al_out)
        settle_file_system(sorted(results.iterdir()) if results.is_dir() else [])
        t = peers.timed(allure_cmd + ["generate", str(results), "-o", str(al_out)])
        if t.returncode != 0 or not al_out.exists():
            r["allure"] = f"allure generate failed, {_why(t)}"
        else:
            size = tree_bytes(results)
            r["allure"] = {"s": t.seconds, "input_mb": size / MB, "mbs": size / MB / t.seconds,
                           "rss_mb": t.peak_rss_mb, "site_mb": tree_bytes(al_out) / MB}
    elif with_peers:
        r["allure"] = (allure_cmd if isinstance(allure_cmd, str)
                       else f"skipped above N={allure_max:,} (--allure-max)")
    return r


# --- single-purpose workloads --------------------------------------------------------

def bench_listing(runs: int) -> dict:
    """Runs page first-view transfer for a site of `runs` tiny runs."""
    folder = OUT / f"listing{runs}"
    log = folder / "runs.jsonl"
    stamp = folder / ".stamp"
    want = hashlib.sha256((HERE / "workload.py").read_bytes()).hexdigest()[:16]
    if not log.exists() or not stamp.exists() or stamp.read_text() != want:
        folder.mkdir(parents=True, exist_ok=True)
        print(f"  generating {runs:,} tiny runs …", file=sys.stderr, flush=True)
        with open(log, "wb") as fh:
            for n in range(runs):
                fh.write(workload.jsonl_bytes(workload.make_tiny_run(n)))
        stamp.write_text(want)
    site, store = folder / "site", folder / "store"
    set_aside(site)
    set_aside(store)
    print(f"  building {runs:,} tiny runs …", file=sys.stderr, flush=True)
    settle_file_system([log])
    t = runreport_build(log, site, store)
    if t.returncode != 0:
        return {"error": f"runreport build failed, {_why(t)}"}
    html_size, total = first_view_bytes(site / "index.html")
    pages = {"failures.html": site / "failures.html", "insights.html": site / "insights.html"}
    composer_pages = sorted((site / "insights").glob("*.html"), key=lambda p: p.stat().st_size)
    if composer_pages:
        pages["largest insights/"] = composer_pages[-1]
    views = {name: first_view_bytes(path)[1] / 1e3 for name, path in pages.items() if path.exists()}
    # One more run appended: the rebuild's share of the full build.
    size_before = log.stat().st_size
    try:
        with open(log, "ab") as fh:
            fh.write(workload.jsonl_bytes(workload.make_tiny_run(runs)))
        inc = runreport_build(log, site, store)
    finally:
        with open(log, "r+b") as fh:
            fh.truncate(size_before)
    return {"runs": runs, "html_kb": html_size / 1e3, "first_view_kb": total / 1e3,
            "build_s": t.seconds, "rss_mb": t.peak_rss_mb, "views_kb": views,
            "incr_s": inc.seconds if inc.returncode == 0 else None}


def bench_import(executions: int = 1000) -> dict:
    """Peak memory of importing `executions` n8n executions (JSON Lines), against the
    file's size: the import streams, one execution at a time."""
    fixture = HERE.parent / "tests" / "fixtures" / "n8n" / "executions.jsonl"
    template = json.loads(fixture.read_text().splitlines()[0])
    folder = OUT / f"n8n{executions}"
    folder.mkdir(parents=True, exist_ok=True)
    export = folder / "executions.jsonl"
    with open(export, "wb") as fh:
        for k in range(executions):
            execution = json.loads(json.dumps(template))
            execution["id"] = 10_000 + k
            items = [{"json": {"id": i, "name": f"contact {k}-{i}", "active": i % 3 != 0,
                               "notes": "word " * 20}} for i in range(600)]
            execution["data"]["resultData"]["runData"]["Get contacts"][0]["data"]["main"][0] = items
            fh.write(orjson.dumps(execution) + b"\n")
    size = export.stat().st_size
    print(f"  importing {executions:,} n8n executions ({size / MB:,.0f} MB) …", file=sys.stderr, flush=True)
    t = peers.timed(RUNREPORT + ["import", "n8n", str(export), "-o", str(folder / "runs.jsonl")])
    if t.returncode != 0:
        return {"error": f"runreport import failed, {_why(t)}"}
    return {"executions": executions, "input_mb": size / MB, "s": t.seconds, "rss_mb": t.peak_rss_mb}


def bench_shards(n: int, shards: int = 4) -> dict:
    """N runs built as `shards` shards at once (one process each, as separate machines
    would), then merged; against one build of the same input, in the same run."""
    from concurrent.futures import ThreadPoolExecutor

    w = ensure_workload(n, {"jsonl"})
    inputs = w / "jsonl"
    print(f"  N={n:,}: one build, for the sharded build to compare with …", file=sys.stderr, flush=True)
    single, single_store = OUT / f"shard-single{n}", OUT / f"shard-single-store{n}"
    set_aside(single)
    set_aside(single_store)
    settle_file_system(sorted(inputs.glob("*.jsonl")))
    whole = runreport_build(inputs, single, single_store)
    if whole.returncode != 0:
        return {"error": f"runreport build failed, {_why(whole)}"}
    folder = OUT / f"shards{n}"
    set_aside(folder)
    folder.mkdir(parents=True)
    env = {**os.environ, "RUNREPORT_JOBS": "1"}
    cmds = [RUNREPORT + ["build", str(inputs), "--shard", f"{k}/{shards}",
                         "--bundle", str(folder / f"part-{k}.zip")] for k in range(1, shards + 1)]
    print(f"  N={n:,}: {shards} shards at once …", file=sys.stderr, flush=True)
    with ThreadPoolExecutor(shards) as pool:
        parts = list(pool.map(lambda cmd: peers.timed(cmd, env=env), cmds))
    failed = next((t for t in parts if t.returncode != 0), None)
    if failed is not None:
        return {"error": f"a shard failed, {_why(failed)}"}
    print(f"  N={n:,}: merge …", file=sys.stderr, flush=True)
    merged = folder / "site"
    merge = peers.timed(RUNREPORT + ["merge", str(folder), "-o", str(merged)])
    if merge.returncode != 0:
        return {"error": f"runreport merge failed, {_why(merge)}"}
    return {
        "n": n, "shards": shards, "single_s": whole.seconds, "single_rss_mb": whole.peak_rss_mb,
        "slowest_shard_s": max(t.seconds for t in parts),
        "shard_cpu_s": max(t.cpu_seconds for t in parts),
        "shard_rss_mb": max(t.peak_rss_mb for t in parts),
        "merge_s": merge.seconds, "merge_rss_mb": merge.peak_rss_mb,
        "bundles_mb": sum(f.stat().st_size for f in folder.glob("*.zip")) / MB,
        "identical": tree_digest(merged) == tree_digest(single),
    }


def bench_import_otlp(target_mb: int = 200) -> dict:
    """Peak memory of importing an OTLP/JSON file of about `target_mb` MB (the Collector's
    file exporter: one document a line), each trace's spans spread over documents."""
    fixture = HERE.parent / "tests" / "fixtures" / "otlp" / "traces.jsonl"
    template = json.loads(fixture.read_text().splitlines()[0])
    rs = template["resourceSpans"][0]
    spans = rs["scopeSpans"][0]["spans"]
    folder = OUT / f"otlp{target_mb}"
    folder.mkdir(parents=True, exist_ok=True)
    export = folder / "traces.jsonl"
    size = 0
    k = 0
    with open(export, "wb") as fh:
        while size < target_mb * MB:
            # Each document holds spans of 20 traces; a trace's spans come in 5 documents.
            batch = []
            for t in range(20):
                trace = f"{(k // 5) * 20 + t:032x}"
                for n, span in enumerate(spans):
                    copy = dict(span, traceId=trace, spanId=f"{k % 5:04x}{n:012x}",
                                attributes=span.get("attributes", []) + [
                                    {"key": "note", "value": {"stringValue": "word " * 40}}])
                    if "parentSpanId" in copy:
                        copy["parentSpanId"] = f"{k % 5:04x}{0:012x}"
                    batch.append(copy)
            doc = {"resourceSpans": [{"resource": rs["resource"],
                                      "scopeSpans": [{"scope": rs["scopeSpans"][0]["scope"], "spans": batch}]}]}
            line = orjson.dumps(doc) + b"\n"
            fh.write(line)
            size += len(line)
            k += 1
    print(f"  importing an OTLP file of {size / MB:,.0f} MB …", file=sys.stderr, flush=True)
    t = peers.timed(RUNREPORT + ["import", "otlp", str(export), "-o", str(folder / "runs.jsonl")])
    if t.returncode != 0:
        return {"error": f"runreport import failed, {_why(t)}"}
    return {"input_mb": size / MB, "s": t.seconds, "rss_mb": t.peak_rss_mb}


def bench_tti(entries: int = 5000) -> dict:
    folder = OUT / f"tti{entries}"
    log = folder / "run.jsonl"
    folder.mkdir(parents=True, exist_ok=True)
    run = workload.make_run(1, entries=entries)
    log.write_bytes(workload.jsonl_bytes(run))
    site = folder / "site"
    set_aside(site)
    print(f"  building one run of {len(run.entries):,} entries …", file=sys.stderr, flush=True)
    t = peers.timed(RUNREPORT + ["build", str(log), "-o", str(site)])
    if t.returncode != 0:
        return {"error": f"runreport build failed, {_why(t)}"}
    page = next(p for p in (site / "runs").glob("run-*.html"))
    html_size, fv = first_view_bytes(page)
    print("  opening it in Chromium …", file=sys.stderr, flush=True)
    try:
        r = browser.time_to_interactive(page)
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"}
    r.update(entries=len(run.entries), html_kb=html_size / 1e3, first_view_kb=fv / 1e3)
    return r


def profile_build(n: int) -> str | None:
    """Profile a full build at N=`n` with pyinstrument (a bench-only dependency).

    Writes profile-N.txt (call tree), profile-N.html and profile-N.pstats under
    bench/out/ and returns the top functions by own time, as file:function lines.
    """
    try:
        import pyinstrument  # noqa: F401
    except ImportError:
        print("  pyinstrument missing: pip install pyinstrument", file=sys.stderr)
        return None
    import pstats

    w = ensure_workload(n, {"jsonl"})
    site, store = OUT / f"prof-site{n}", OUT / f"prof-store{n}"
    set_aside(site)
    set_aside(store)
    session = OUT / f"profile-{n}.pyisession"
    pyi = [sys.executable, "-m", "pyinstrument"]
    subprocess.run(pyi + ["-r", "session", "-o", str(session), "-m", "runreport", "build",
                          str(w / "jsonl"), "-o", str(site), "--store", str(store)], check=False)
    for renderer, ext in (("text", "txt"), ("html", "html"), ("pstats", "pstats")):
        subprocess.run(pyi + ["--load", str(session), "-r", renderer,
                              "-o", str(OUT / f"profile-{n}.{ext}")], check=False)
    stats = pstats.Stats(str(OUT / f"profile-{n}.pstats"))
    total = sum(v[2] for v in stats.stats.values())  # own times add up to the whole
    lines = [f"profile of a full build at N={n:,} ({total:.1f} s under pyinstrument); "
             "own time, then cumulative (which counts recursive calls more than once):"]
    by_own = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:15]
    for (file, line, func), (_, _, tt, ct, _) in by_own:
        short = file.split("/site-packages/")[-1].split("/src/")[-1].split("/lib/python3")[-1]
        lines.append(f"  {100 * tt / total:5.1f} % own {100 * ct / total:5.1f} % cum  "
                     f"{short}:{line}:{func}")
    text = "\n".join(lines)
    (OUT / f"profile-{n}-top.txt").write_text(text + "\n")
    return text


# --- the table -----------------------------------------------------------------------

def _f(x, fmt="{:,.1f}") -> str:
    return "n/a" if x is None else fmt.format(x)


def _ok(cond) -> str:
    return "—" if cond is None else ("met" if cond else "MISSED")


def table(sizes: list[dict], listing: dict | None, tti: dict | None, watch: dict | None,
          imported: dict | None = None, sharded: dict | None = None) -> str:
    rows: list[tuple[str, str, str, str]] = []  # figure, value, target, verdict
    if sharded is not None:
        if "error" in sharded:
            rows.append(("sharded build", sharded["error"], "", "MISSED"))
        else:
            n, k = sharded["n"], sharded["shards"]
            total = sharded["slowest_shard_s"] + sharded["merge_s"]
            rows.append((f"{n:,} one build (both cores)",
                         f"{sharded['single_s']:.1f} s, peak RSS {sharded['single_rss_mb']:,.0f} MB", "", ""))
            rows.append((f"{n:,} as {k} shards at once (one process each) + merge",
                         f"slowest shard {sharded['slowest_shard_s']:.1f} s (peak RSS "
                         f"{sharded['shard_rss_mb']:,.0f} MB) + merge {sharded['merge_s']:.1f} s = "
                         f"{total:.1f} s ({total / sharded['single_s']:.2f}× one build; bundles "
                         f"{sharded['bundles_mb']:,.0f} MB)", "", ""))
            rows.append((f"{n:,} on {k} machines (projected: largest shard's CPU time + merge)",
                         f"{sharded['shard_cpu_s']:.1f} s + {sharded['merge_s']:.1f} s = "
                         f"{sharded['shard_cpu_s'] + sharded['merge_s']:.1f} s "
                         f"({(sharded['shard_cpu_s'] + sharded['merge_s']) / sharded['single_s']:.2f}× one build)",
                         "", ""))
            rows.append((f"{n:,} merge alone", f"{sharded['merge_s']:.1f} s, peak RSS "
                         f"{sharded['merge_rss_mb']:,.0f} MB", "< 200 MB", _ok(sharded["merge_rss_mb"] < 200)))
            rows.append((f"{n:,} merged site = one build's, byte for byte",
                         "yes" if sharded["identical"] else "NO", "yes", _ok(sharded["identical"])))
    if imported is not None:
        if "error" in imported:
            rows.append(("n8n import", imported["error"], "bounded memory", "MISSED"))
        else:
            rows.append((f"import of {imported['executions']:,} n8n executions "
                         f"({imported['input_mb']:,.0f} MB)",
                         f"{imported['s']:.1f} s, peak RSS {imported['rss_mb']:,.0f} MB",
                         "bounded: < 100 MB, whatever the file's size",
                         _ok(imported["rss_mb"] < 100)))
        otlp = imported.get("otlp")
        if otlp is not None and "error" in otlp:
            rows.append(("OTLP import", otlp["error"], "bounded memory", "MISSED"))
        elif otlp is not None:
            rows.append((f"import of an OTLP file of {otlp['input_mb']:,.0f} MB",
                         f"{otlp['s']:.1f} s, peak RSS {otlp['rss_mb']:,.0f} MB",
                         "bounded: < 100 MB, whatever the file's size", _ok(otlp["rss_mb"] < 100)))

    for r in sizes:
        n = f"N={r['n']:,}"
        if "error" in r:
            rows.append((f"{n} full build", r["error"], "", "MISSED"))
            continue
        rows.append((f"{n} input (JSONL)", f"{r['input_mb']:,.1f} MB, {r['entries']:,} entries",
                     "", ""))
        fs = r.get("file_system")
        if fs:
            rows.append((f"{n} creating a file before the timed builds",
                         f"{fs['before_us']:,.0f} µs; " + (
                             f"{fs['after_us']:,.0f} µs after dropping clean cached blocks"
                             if fs["dropped"] else "caches kept (not root, or BENCH_KEEP_CACHES=1)"),
                         "", ""))
        rows.append((f"{n} full build", f"{r['build_s']:,.1f} s = {r['build_mbs']:.2f} MB/s, "
                     f"{r['build_eps']:,.0f} entries/s", "", ""))
        rows.append((f"{n} parse + orjson baseline", f"{r['parse_mbs']:,.1f} MB/s", "", ""))
        per100 = 100 / r["input_mb"]
        rows.append((f"{n} CPU ÷ wall (both cores)",
                     f"{r['build_cpu_s'] / r['build_s']:.2f} ({r['build_cpu_s']:,.1f} CPU-s, "
                     f"{r['build_cpu_s'] * per100:.1f} CPU-s per 100 MB)", "≥ 1.7 on a quiet machine",
                     _ok(r["build_cpu_s"] / r["build_s"] >= 1.7)))
        if "one_cpu_s" in r:
            rows.append((f"{n} one process (RUNREPORT_JOBS=1)",
                         f"{r['one_s']:,.1f} s, {r['one_cpu_s'] * per100:.1f} CPU-s per 100 MB; "
                         f"site {'byte-identical' if r['one_identical'] else 'DIFFERENT'}",
                         "≤ 6 CPU-s per 100 MB, same bytes",
                         _ok(r["one_cpu_s"] * per100 <= 6 and r["one_identical"])))
        rows.append((f"{n} secrets of the workload in the site",
                     f"{len(r['leaked'])} files" + (f" (first: {r['leaked'][0]})" if r["leaked"] else ""),
                     "0", _ok(not r["leaked"])))
        pw = r["build_mbs"] / r["parse_write_mbs"]
        rows.append((f"{n} parse + write per-run JSON baseline",
                     f"{r['parse_write_mbs']:,.1f} MB/s (runreport ÷ this = {pw:.3f})",
                     "runreport ≥ 0.5×", _ok(pw >= 0.5)))
        target_rss = r["n"] >= 10_000
        rows.append((f"{n} peak RSS", f"{r['build_rss_mb']:,.0f} MB",
                     "< 200 MB at N=10,000" if target_rss else "(target at N=10,000: < 200 MB)",
                     _ok(r["build_rss_mb"] < 200) if target_rss else ""))
        ratio = r["site_mb"] / r["input_mb"]
        rows.append((f"{n} site size ÷ input", f"{ratio:.2f} ({r['site_mb']:,.1f} MB; "
                     f"store {r['store_mb']:,.1f} MB)", "≤ 1.2", _ok(ratio <= 1.2)))
        if r.get("incr_s") is None:
            rows.append((f"{n} incremental rebuild (+1 run)", "failed", "< 1 % of full", "MISSED"))
        else:
            rows.append((f"{n} incremental rebuild (+1 run)",
                         f"{r['incr_s']:,.2f} s = {100 * r['incr_ratio']:.1f} % of full",
                         "< 1 % of full", _ok(r["incr_ratio"] < 0.01)))
        rows.append((f"{n} largest page", f"{r['largest_page']}: {r['largest_html_kb']:,.0f} KB "
                     f"HTML, {r['largest_first_view_kb']:,.0f} KB first view", "", ""))
        rb = r.get("rebot")
        if isinstance(rb, dict):
            ratios = rb.get("ratios") or [r["build_mbs"] / rb["mbs"]]
            ratio = statistics.median(ratios)
            need = "≥ 2.5× (at N=2,000; stretch 3.5×)"
            each = ", ".join(f"{x:.2f}" for x in ratios)
            rows.append((f"{n} runreport ÷ rebot, input MB/s",
                         f"{ratio:.2f}× median of {len(ratios)} pairs ({each}); first pair: rebot "
                         f"{rb['mbs']:.2f} MB/s on {rb['input_mb']:,.0f} MB output.xml, {rb['s']:,.1f} s",
                         need, _ok(ratio >= 2.5) if r["n"] == 2000 else ""))
            rows.append((f"{n} runreport ÷ rebot, peak RSS",
                         f"{r['build_rss_mb'] / rb['rss_mb']:.2f}× (rebot {rb['rss_mb']:,.0f} MB)",
                         "", ""))
            rows.append((f"{n} runreport ÷ rebot, output size",
                         f"{r['site_mb'] / rb['site_mb']:.2f}× (rebot {rb['site_mb']:,.1f} MB)",
                         "", ""))
        elif rb is not None:
            rows.append((f"{n} rebot", rb, "", ""))
        al = r.get("allure")
        if isinstance(al, dict):
            rows.append((f"{n} runreport ÷ Allure 3, input MB/s",
                         f"{r['build_mbs'] / al['mbs']:.2f}× (allure {al['mbs']:.2f} MB/s on "
                         f"{al['input_mb']:,.0f} MB results, {al['s']:,.1f} s, "
                         f"{al['rss_mb']:,.0f} MB RSS)", "", ""))
        elif al is not None:
            rows.append((f"{n} Allure 3", al, "", ""))

    if watch is not None:
        if "error" in watch:
            rows.append(("watch latency append → page updated", watch["error"],
                         "p95 < 1 s", "not measured"))
        else:
            rows.append(("watch latency append → page updated",
                         f"p50 {watch['p50']:.2f} s, p95 {watch['p95']:.2f} s "
                         f"({watch['n']} appends)", "p95 < 1 s", _ok(watch["p95"] < 1)))
    if listing is not None:
        if "error" in listing:
            rows.append(("Runs page initial transfer", listing["error"], "< 500 KB", "MISSED"))
        else:
            at = listing["runs"]
            rows.append((f"Runs page initial transfer at {at:,} runs",
                         f"{listing['first_view_kb']:,.0f} KB (index.html "
                         f"{listing['html_kb']:,.0f} KB; build {listing['build_s']:,.0f} s, "
                         f"{listing['rss_mb']:,.0f} MB RSS)",
                         "< 500 KB at 100,000 runs",
                         _ok(listing["first_view_kb"] < 500) if at >= 100_000
                         else "(fewer runs than the target's)"))
            for name, kb in listing.get("views_kb", {}).items():
                rows.append((f"{name} first view at {at:,} runs", f"{kb:,.0f} KB", "< 500 KB",
                             _ok(kb < 500) if at >= 100_000 else "(fewer runs than the target's)"))
            if listing.get("incr_s") is not None:
                share = listing["incr_s"] / listing["build_s"]
                rows.append((f"incremental rebuild (+1 run) at {at:,} runs",
                             f"{listing['incr_s']:.2f} s = {100 * share:.1f} % of full", "< 1 % of full",
                             _ok(share < 0.01)))
    if tti is not None:
        if "error" in tti:
            rows.append(("run page time to interactive", tti["error"], "< 1 s", "MISSED"))
        else:
            rows.append((f"{tti['entries']:,}-entry run page: time to interactive",
                         f"{tti['interactive']:,.0f} ms (DOMContentLoaded {tti['dcl']:,.0f} ms, "
                         f"load {tti['load']:,.0f} ms; {tti['html_kb']:,.0f} KB HTML, "
                         f"{tti['first_view_kb']:,.0f} KB first view)", "< 1 s",
                         _ok(tti["interactive"] < 1000)))

    head = ("| figure | value | target | verdict |", "|---|---|---|---|")
    return "\n".join(head + tuple(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Benchmark runreport against its peers.")
    ap.add_argument("--sizes", default="200,2000", help="run counts, comma separated")
    ap.add_argument("--peers", action=argparse.BooleanOptionalAction, default=True,
                    help="install and measure rebot and Allure 3 (default on)")
    ap.add_argument("--quick", action="store_true",
                    help="N=200 only, 10,000-run listing, fewer watch appends")
    ap.add_argument("--listing-runs", type=int, default=None,
                    help="runs of the Runs page transfer figure (default 100,000; quick 10,000)")
    ap.add_argument("--pairs", type=int, default=3,
                    help="builds of ours and rebot's timed in turn at each size (median ratio)")
    ap.add_argument("--allure-max", type=int, default=2000,
                    help="largest N to run Allure on (it writes a file per attachment)")
    ap.add_argument("--skip", default="", help="comma list of: listing,tti,watch,sizes,import,shards")
    ap.add_argument("--shards-n", type=int, default=10_000, metavar="N",
                    help="runs of the sharded build figure (4 shards at once, then a merge)")
    ap.add_argument("--profile", type=int, default=None, metavar="N",
                    help="also write a pyinstrument profile of a full build at N runs")
    a = ap.parse_args(argv)
    sizes = [200] if a.quick else [int(s) for s in a.sizes.split(",") if s]
    listing_runs = a.listing_runs or (10_000 if a.quick else 100_000)
    skip = set(a.skip.split(","))
    OUT.mkdir(exist_ok=True)

    compile_bytecode()
    rebot_cmd = allure_cmd = None
    if a.peers:
        rebot_cmd = peers.rebot(install=True)
        allure_cmd = peers.allure(install=True)
    started = dt.datetime.now().astimezone()
    size_results = []
    if "sizes" not in skip:
        for n in sizes:
            size_results.append(bench_size(n, with_peers=a.peers, rebot_cmd=rebot_cmd,
                                           allure_cmd=allure_cmd, allure_max=a.allure_max,
                                           pairs=max(1, a.pairs)))
    watch = None
    if "watch" not in skip:
        print("  watch latency …", file=sys.stderr, flush=True)
        watch = browser.watch_latency(OUT / "watch", appends=20)
    listing = None if "listing" in skip else bench_listing(listing_runs)
    tti = None if "tti" in skip else bench_tti(5000)
    imported = None if "import" in skip else bench_import(1000)
    if imported is not None:
        imported["otlp"] = bench_import_otlp(200)
    sharded = None if "shards" in skip else bench_shards(a.shards_n)
    if a.profile:
        print(f"  profiling a build at N={a.profile:,} …", file=sys.stderr, flush=True)
        top = profile_build(a.profile)
        if top:
            print(top)

    tools = [f"runreport {subprocess.run(RUNREPORT + ['--version'], capture_output=True, text=True).stdout.strip()}"]
    if isinstance(rebot_cmd, list):
        tools.append(peers.version(rebot_cmd))
    if isinstance(allure_cmd, list):
        tools.append(f"allure {peers.version(allure_cmd)}")
    header = (f"runreport benchmark, {started:%Y-%m-%d %H:%M %Z}, {os.cpu_count()} cores, "
              f"Python {platform.python_version()}; " + "; ".join(tools))
    text = header + "\n\n" + table(size_results, listing, tti, watch, imported, sharded)
    print(text)
    (OUT / "results.md").write_text(text + "\n")
    (OUT / "results.json").write_text(json.dumps(
        {"header": header, "sizes": size_results, "listing": listing, "tti": tti,
         "watch": watch, "import": imported, "sharded": sharded}, indent=1, default=str))
    shutil.rmtree(TRASH, ignore_errors=True)  # (now that nothing is timed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
