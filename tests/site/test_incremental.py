"""Incremental builds: which files a rebuild writes, and when everything is rebuilt."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from runreport import pipeline
from runreport.cli import main
from runreport.site import build as site_build
from runreport.site import manifest, render
from runreport.site.build import BuildOptions, build_site
from runreport.site.names import safe_name
from runreport.site.pagedata import PAGE_SIZE


def run_records(i: int, composer: str, *, error: bool = False) -> list[dict]:
    rid = f"run-{i:04d}"
    t = f"2026-11-20T{i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z"
    return [
        {"v": 1, "type": "run", "run_id": rid, "composer": composer, "mode": "test", "started_at": t},
        {"type": "step", "run_id": rid, "entry_id": "s1", "name": "Fetch",
         "status": "error" if error else "success", "output": {"n": i}},
        {"type": "run_end", "run_id": rid, "ended_at": t},
    ]


def append(path: Path, records: list[dict]) -> None:
    with open(path, "a", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")


def snapshot(out: Path) -> dict[str, tuple[int, int]]:
    """Every file of the site with its inode and mtime: an atomic write changes the inode."""
    return {p.relative_to(out).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in out.rglob("*") if p.is_file()}


def rewritten(before: dict, after: dict) -> set[str]:
    return {rel for rel, mark in after.items() if before.get(rel) != mark}


class Site:
    def __init__(self, tmp: Path):
        self.log = tmp / "runs.jsonl"
        self.log.touch()
        self.store = tmp / "store"
        self.out = tmp / "site"

    def build(self, **kw):
        loaded = pipeline.load([self.log], store_dir=self.store, accept_partial_tail=False)
        return build_site(loaded, self.out, BuildOptions(), **kw)


def composer_files(name: str) -> set[str]:
    # (Its insights page too: the composer's numbers changed.)
    return {f"composers/{safe_name(name)}.html", f"data/list/{safe_name(name)}.js", f"insights/{safe_name(name)}.html"}


def run_files(i: int) -> set[str]:
    rid = f"run-{i:04d}"
    d = f"data/{safe_name(rid)}/"
    return {f"runs/{safe_name(rid)}.html", d + "log.js", d + "v-0.js"}


def block_file(i: int) -> set[str]:
    """The manifest's block holding run i's entry (rewritten when the run changes)."""
    return {f"{manifest.BLOCKS}/{manifest.block_of(f'run-{i:04d}')}.json"}


# (data/search/all-0.js: the newest block of the search index, which every new run joins.)
# (insights.html: every composer's numbers, which a new or changed run moves.)
HEAD = {"index.html", "data/list/all.js", "data/search/all-0.js", "build.js", "insights.html", manifest.NAME}


def test_appending_one_run_rewrites_only_its_files_its_composer_and_the_newest_pages(tmp_path):
    site = Site(tmp_path)
    n = 2 * PAGE_SIZE + 30  # two full blocks of the Runs listing plus 30 newer runs
    for i in range(n):
        append(site.log, run_records(i, "Alpha" if i % 2 else "Beta", error=i % 7 == 0))
    first = site.build()
    assert first.full and (site.out / "runs" / "page-2.html").is_file()
    before = snapshot(site.out)

    append(site.log, run_records(n, "Alpha"))
    report = site.build()

    expected = run_files(n) | composer_files("Alpha") | HEAD | block_file(n)
    assert not report.full
    assert report.rendered_runs == [f"run-{n:04d}"]
    assert rewritten(before, snapshot(site.out)) == expected
    assert set(report.written) == expected - {manifest.NAME} - block_file(n)
    # Block pages and the match index do not move: a new run changes only the newest ones.
    index = (site.out / "index.html").read_text()
    assert f'data-run-id="run-{n:04d}"' in index and 'data-count-all="231"' in index
    page1 = (site.out / "runs" / "page-1.html").read_text()
    assert 'data-run-id="run-0000"' in page1 and "data-count-all" not in page1

    # A run with an error also rewrites the newest chunk of the match index it appears in,
    # the Failures page, which lists it, and what grouping made of the failed runs.
    before = snapshot(site.out)
    append(site.log, run_records(n + 1, "Beta", error=True))
    site.build()
    assert rewritten(before, snapshot(site.out)) == (
        run_files(n + 1) | composer_files("Beta") | HEAD | block_file(n + 1)
        | {"data/match/all-0.js", f"data/match/{safe_name('Beta')}-0.js", "failures.html",
           site_build.FAILURE_FACTS})


def test_a_rebuild_of_unchanged_input_writes_nothing_but_the_manifest(tmp_path):
    site = Site(tmp_path)
    for i in range(3):
        append(site.log, run_records(i, "Alpha"))
    site.build()
    before = snapshot(site.out)
    report = site.build()
    assert report.written == [] and report.rendered_runs == []
    assert rewritten(before, snapshot(site.out)) == {manifest.NAME}


def test_a_status_change_rewrites_the_run_and_the_pages_showing_it(tmp_path):
    site = Site(tmp_path)
    append(site.log, run_records(0, "Alpha"))
    append(site.log, run_records(1, "Beta")[:1])  # started, nothing more yet: running
    site.build()
    assert 'data-status="running"' in (site.out / "index.html").read_text()
    before = snapshot(site.out)
    append(site.log, run_records(1, "Beta")[1:])
    site.build()
    assert rewritten(before, snapshot(site.out)) == (
        run_files(1) | composer_files("Beta") | HEAD | block_file(1))
    assert 'data-status="running"' not in (site.out / "index.html").read_text()


def test_a_vanished_run_loses_its_pages(tmp_path):
    site = Site(tmp_path)
    append(site.log, run_records(0, "Alpha"))
    append(site.log, run_records(1, "Beta"))
    site.build()
    site.log.write_text("".join(json.dumps(r) + "\n" for r in run_records(0, "Alpha")))
    report = site.build()
    assert set(report.deleted) == run_files(1) | composer_files("Beta")
    assert not (site.out / "data" / safe_name("run-0001")).exists()
    assert "run-0001" not in (site.out / "index.html").read_text()


@pytest.mark.parametrize("damage", [
    lambda p: p.write_text("{not json"),
    lambda p: p.unlink(),
    lambda p: p.write_text(p.read_text().replace('"version":"', '"version":"0.0.0-')),
])
def test_a_missing_corrupt_or_foreign_manifest_rebuilds_everything(tmp_path, damage):
    site = Site(tmp_path)
    for i in range(3):
        append(site.log, run_records(i, "Alpha"))
    site.build()
    (site.out / "runs" / "stray.html").write_text("left over")  # not ours any more: swept
    damage(site.out / manifest.NAME)
    before = snapshot(site.out)
    report = site.build()
    assert report.full and len(report.rendered_runs) == 3
    after = snapshot(site.out)
    # Every file is written again; the folder's site marker stays as it was.
    assert rewritten(before, after) == set(after) - {site_build.SITE_MARKER}
    assert "runs/stray.html" not in after


def _built_by_the_command(tmp_path, runs: int) -> tuple:
    """`runreport build runs.jsonl -o site` of `runs` runs, done once: the site and the arguments."""
    log = tmp_path / "runs.jsonl"
    for i in range(runs):
        append(log, run_records(i, "Alpha"))
    out = tmp_path / "site"
    args = ["build", str(log), "-o", str(out)]
    assert CliRunner().invoke(main, args).exit_code == 0
    return out, args


def test_a_first_build_over_a_site_without_its_manifest_sweeps_what_it_did_not_write(tmp_path):
    """The build command's first build (every run rendered on the way in) still looks for
    files it did not write when the folder held a site; into a new folder it has none to find."""
    out, args = _built_by_the_command(tmp_path, 3)
    fresh = snapshot(out)
    (out / manifest.NAME).unlink()
    shutil.rmtree(tmp_path / ".site.store")  # (every run is then rendered on the way in)
    (out / "runs" / "stray.html").write_text("left over")
    (out / "data" / "gone-run").mkdir()
    (out / "data" / "gone-run" / "v-0.js").write_text("left over")
    done = CliRunner().invoke(main, args)
    assert done.exit_code == 0, done.output
    assert not (out / "runs" / "stray.html").exists() and not (out / "data" / "gone-run").exists()
    assert set(snapshot(out)) == set(fresh)


def test_a_template_change_rebuilds_everything(tmp_path, monkeypatch):
    site = Site(tmp_path)
    for i in range(3):
        append(site.log, run_records(i, "Alpha"))
    site.build()
    templates = tmp_path / "templates"
    shutil.copytree(render.templates_dir(), templates)
    base = templates / "base.html"
    base.write_text(base.read_text().replace("<main", "<!-- changed --><main"))
    monkeypatch.setattr(render, "templates_dir", lambda: templates)
    monkeypatch.setattr(site_build, "templates_dir", lambda: templates)
    render.environment.cache_clear()
    try:
        before = snapshot(site.out)
        report = site.build()
    finally:
        monkeypatch.undo()
        render.environment.cache_clear()
    assert report.full
    after = snapshot(site.out)
    html = {rel for rel in after if rel.endswith(".html")}
    assert html and html <= rewritten(before, after)
    assert "<!-- changed -->" in (site.out / "index.html").read_text()


def test_build_command_keeps_its_store_beside_the_output_so_a_second_build_is_incremental(tmp_path):
    out, args = _built_by_the_command(tmp_path, 2)
    assert (tmp_path / ".site.store" / "manifest.json").is_file()
    before = snapshot(out)
    assert CliRunner().invoke(main, args).exit_code == 0
    assert rewritten(before, snapshot(out)) == {manifest.NAME}


def test_gitignore_covers_the_default_store_of_site():
    root = Path(__file__).resolve().parents[2]
    assert "/.site.store/" in (root / ".gitignore").read_text().splitlines()


def _cut(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _tree(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.name != manifest.NAME}


@pytest.mark.parametrize("early", [False, True], ids=["checked-in-build", "checked-while-reading"])
def test_kept_runs_files_checked_in_a_forked_process_are_made_again_when_cut(tmp_path, monkeypatch, early):
    """The check of kept runs' files (a stat of each) runs in a forked process for many
    runs; a file cut short since the last build is found there and its run made again."""
    monkeypatch.setattr(site_build, "FORKED_CHECK_MIN_RUNS", 1)
    # (Earlier tests of this process leave threads behind, where the build would check in
    # the process: the child only stats files and writes to a pipe, safe to fork here.)
    monkeypatch.setattr(site_build, "_forking_is_safe", lambda: True)
    forks = []
    real_fork = site_build._DiskCheck._fork
    monkeypatch.setattr(site_build._DiskCheck, "_fork", lambda self: forks.append(1) or real_fork(self))
    site = Site(tmp_path)
    for i in range(5):
        append(site.log, run_records(i, "Alpha", error=i == 3))
    site.build()
    fresh = _tree(site.out)
    victim = site.out / next(iter(run_files(2) - {f"runs/{safe_name('run-0002')}.html"}))
    _cut(victim)
    loaded = pipeline.load([site.log], store_dir=site.store, accept_partial_tail=False)
    previous = site_build.previous_build(site.out, BuildOptions()) if early else None
    report = build_site(loaded, site.out, BuildOptions(), previous=previous)
    assert forks, "the check did not run in a forked process"
    assert report.rendered_runs == ["run-0002"]
    assert _tree(site.out) == fresh


def _six_runs_with_their_logs_cut(tmp_path: Path, monkeypatch) -> tuple[Site, Path, dict]:
    """A site of six runs built with a check record (and two runs a share), its tree as
    built, and then every run's log.js cut short."""
    monkeypatch.setattr(site_build, "FULL_CHECK_MAX_RUNS", 2)
    record = tmp_path / "store" / site_build.CHECK_RECORD
    site = Site(tmp_path)
    for i in range(6):
        append(site.log, run_records(i, "Alpha"))
    site.build(check_record=record)
    fresh = _tree(site.out)
    for i in range(6):
        _cut(site.out / f"data/{safe_name(f'run-{i:04d}')}/log.js")
    return site, record, fresh


def test_a_large_site_checks_its_kept_files_a_share_at_a_time(tmp_path, monkeypatch):
    """Beyond FULL_CHECK_MAX_RUNS kept runs a rebuild checks the files of a share of the
    manifest's blocks: files cut in place are all made again, each run once, within as
    many rebuilds as there are shares; a deleted run page at the next rebuild."""
    site, record, fresh = _six_runs_with_their_logs_cut(tmp_path, monkeypatch)
    rendered = [site.build(check_record=record).rendered_runs for _ in range(3)]  # (3 shares of 2 runs)
    assert sorted(sum(rendered, [])) == [f"run-{i:04d}" for i in range(6)]
    assert len(rendered[0]) < 6, "the first rebuild checked every run"
    assert _tree(site.out) == fresh
    (site.out / f"runs/{safe_name('run-0004')}.html").unlink()
    assert site.build(check_record=record).rendered_runs == ["run-0004"]
    assert _tree(site.out) == fresh


@pytest.mark.parametrize("damage", ["none", "a kept run's file cut", "a manifest block deleted",
                                    "the input edited in place"])
def test_a_rebuild_looking_only_at_changed_runs_builds_what_a_fresh_build_does(tmp_path, monkeypatch,
                                                                              damage):
    """`build` keeps in its store which state of the store's runs the site was made from;
    the next build, finding the store so, looks only at the blocks of the runs its load
    changed. Whatever else happened to the site or the store since, the result is the
    site a fresh build of the same input makes."""
    log = tmp_path / "runs.jsonl"
    for i in range(12):
        append(log, run_records(i, "Alpha" if i % 2 else "Beta", error=i % 5 == 0))

    def build(out: Path, store: Path) -> str:
        done = CliRunner().invoke(main, ["build", str(log), "-o", str(out), "--store", str(store)])
        assert done.exit_code == 0, done.output
        return done.output

    site, store = tmp_path / "site", tmp_path / "store"
    build(site, store)
    assert json.loads((store / site_build.CHECK_RECORD).read_text())["store"]
    append(log, run_records(12, "Alpha", error=True))
    if damage == "a kept run's file cut":
        _cut(site / f"data/{safe_name('run-0003')}/log.js")
    elif damage == "a manifest block deleted":
        (site / next(iter(block_file(5)))).unlink()
    elif damage == "the input edited in place":  # (the store starts again: every run is looked at)
        log.write_text(log.read_text().replace('"n": 2}', '"n": 7}'))
    grouped = []
    real = manifest.runs_by_block
    monkeypatch.setattr(manifest, "runs_by_block", lambda digests: grouped.append(1) or real(digests))
    output = build(site, store)
    # (Every run grouped by block only when the runs the load changed are not all there is to know.)
    assert bool(grouped) == (damage in ("a manifest block deleted", "the input edited in place"))
    if damage == "none":
        assert "1 run rendered again" in output
    fresh = tmp_path / "fresh"
    build(fresh, tmp_path / "fresh-store")
    assert _tree(site) == _tree(fresh)


@pytest.mark.parametrize("added", ["the newest run", "a run older than most", "a run going on",
                                   "an older run's start moved", "an older run's composer changed"])
def test_block_pages_kept_by_their_place_are_those_a_fresh_build_makes(tmp_path, monkeypatch, added):
    """A rebuild keeps the block pages older than the oldest run its load changed without
    working out their keys; a run that comes in among older ones (or moves there) changes
    the pages from its place on, as a fresh build shows."""
    log = tmp_path / "runs.jsonl"
    for i in range(10, 360):
        append(log, run_records(i, "Alpha" if i % 3 else "Beta", error=i % 7 == 0))

    def build(out: Path, store: Path) -> None:
        done = CliRunner().invoke(main, ["build", str(log), "-o", str(out), "--store", str(store)])
        assert done.exit_code == 0, done.output

    site, store = tmp_path / "site", tmp_path / "store"
    build(site, store)
    if added == "the newest run":
        append(log, run_records(400, "Alpha"))
    elif added == "a run older than most":
        append(log, run_records(5, "Alpha"))  # (started before every run but five)
    elif added == "a run going on":
        append(log, run_records(400, "Beta")[:2])  # (no run_end: running)
    elif added == "an older run's start moved":  # (a later record of run 200 gives it another start)
        append(log, [{"type": "run", "run_id": "run-0200", "composer": "Beta", "mode": "test",
                      "started_at": "2026-11-20T00:00:01Z"}])
    else:  # (run 20 leaves Alpha's oldest block page and its insights for Beta's, same start)
        append(log, [{"type": "run", "run_id": "run-0020", "composer": "Beta", "mode": "test",
                      "started_at": "2026-11-20T00:00:20Z"}])
    settled = {}
    real = site_build._settled_blocks
    monkeypatch.setattr(site_build, "_settled_blocks", lambda w, lst, *a: settled.setdefault(
        lst.head.list_src, real(w, lst, *a)))
    build(site, store)
    # (350 runs: three block pages of the Runs listing; the newest links to the head page.)
    assert settled["data/list/all.js"] == {"the newest run": 2, "a run going on": 2}.get(added, 0)
    fresh = tmp_path / "fresh"
    build(fresh, tmp_path / "fresh-store")
    assert _tree(site) == _tree(fresh)


@pytest.mark.parametrize("facts", ["as written", "garbled", "deleted"])
def test_an_appended_failed_run_is_grouped_alone_with_what_grouping_made_of_the_others(
        tmp_path, monkeypatch, facts):
    """The Failures pages group every failed run again when one comes, but take what
    the last grouping made of the others (their redacted, masked messages) from the file
    it left; a file not as written is not trusted, and the pages are the same."""
    from runreport.site import failures

    site = Site(tmp_path)
    for i in range(40):
        append(site.log, run_records(i, "Alpha", error=i % 2 == 0))
    site.build()
    kept = site.out / site_build.FAILURE_FACTS
    if facts == "garbled":
        kept.write_bytes(kept.read_bytes().replace(b"Fetch", b"Fetcx"))
    elif facts == "deleted":
        kept.unlink()
    append(site.log, run_records(40, "Alpha", error=True))
    made = []
    real = failures.failure_fact
    monkeypatch.setattr(failures, "failure_fact", lambda row, redact=None: made.append(row.run_id)
                        or real(row, redact))
    site.build()
    assert made == (["run-0040"] if facts == "as written" else [f"run-{i:04d}" for i in range(40, -1, -2)])
    # (And with the failed runs as they were, a file not as written is written again.)
    if facts == "garbled":
        kept.write_bytes(b"{}")
    append(site.log, run_records(41, "Alpha"))
    site.build()
    (tmp_path / "fresh").mkdir()
    fresh = Site(tmp_path / "fresh")
    fresh.log = site.log
    fresh.build()
    assert _tree(site.out) == _tree(fresh.out)


def test_without_a_check_record_every_kept_file_is_checked(tmp_path, monkeypatch):
    site, record, _ = _six_runs_with_their_logs_cut(tmp_path, monkeypatch)
    record.write_bytes(b"{not a record")
    assert len(site.build(check_record=record).rendered_runs) == 6


def test_a_check_not_wanted_is_stopped(tmp_path, monkeypatch):
    monkeypatch.setattr(site_build, "FORKED_CHECK_MIN_RUNS", 1)
    monkeypatch.setattr(site_build, "_forking_is_safe", lambda: True)
    site = Site(tmp_path)
    for i in range(3):
        append(site.log, run_records(i, "Alpha"))
    site.build()
    previous = site_build.previous_build(site.out, BuildOptions())
    assert previous is not None and previous.check._child is not None
    pid = previous.check._child[0]
    site.build(full=True, previous=previous)  # a full build has no use for it
    assert previous.check._child is None
    with pytest.raises(ChildProcessError):  # reaped: no process left behind
        os.waitpid(pid, os.WNOHANG)


def test_failures_pages_kept_whole_are_checked_on_disk(tmp_path):
    """With the failed runs unchanged, the Failures pages are kept without grouping the
    runs again; one deleted since is made again all the same."""
    site = Site(tmp_path)
    for i in range(6):
        append(site.log, run_records(i, "Alpha", error=i % 2 == 0))
    site.build()
    fresh = _tree(site.out)
    append(site.log, run_records(6, "Beta"))  # no failure: the Failures pages stay as they are
    before = snapshot(site.out)
    site.build()
    assert "failures.html" not in rewritten(before, snapshot(site.out))
    (site.out / "failures.html").unlink()
    report = site.build()
    assert report.written == ["failures.html"]
    assert (site.out / "failures.html").read_bytes() == fresh["failures.html"]
