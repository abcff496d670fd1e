"""Open pages follow the run logs in place: under `serve --watch`, and from file:// during `watch`."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from runreport.live.watch import Watcher
from runreport.site.build import BuildOptions
from runreport.site.names import safe_name

from playwright.sync_api import expect

from polling import DEADLINE_MS, wait_for

RUN, NEW = "live-1", "live-2"


def records(rid: str, started: str) -> dict[str, dict]:
    return {
        "start": {"v": 1, "type": "run", "run_id": rid, "composer": "Live", "mode": "test",
                  "started_at": started},
        "rejected": {"type": "step", "run_id": rid, "entry_id": "e0", "name": "Approve",
                     "kind": "review", "status": "rejected",
                     "review": {"mode": "wait", "decision": "rejected"}},
        "running": {"type": "step", "run_id": rid, "entry_id": "e1", "name": "Fetch page",
                    "status": "running", "input": {"url": "https://example.com"}},
        "success": {"type": "step", "run_id": rid, "entry_id": "e1", "status": "success",
                    "output": {"title": "Example Domain"}},
        "end": {"type": "run_end", "run_id": rid, "ended_at": started.replace(":00Z", ":05Z")},
    }


R = records(RUN, "2026-11-20T10:00:00Z")
N = records(NEW, "2026-11-20T11:00:00Z")


def write(path: Path, recs, mode="a") -> Path:
    with open(path, mode, encoding="utf-8") as f:
        f.write("".join(json.dumps(r) + "\n" for r in recs))
    return path


def watch_page(page) -> list[str]:
    """Record navigations of the page from now on, and mark its document to see it survive."""
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    page.evaluate("window.__sameDocument = true")
    return navigations


def test_serve_watch_updates_open_pages_in_place(tmp_path, serve, browser):
    log = write(tmp_path / "run.jsonl", [R["start"], R["rejected"], R["running"]])
    served = serve([log], "--watch")
    context = browser.new_context()
    errors: list[str] = []
    run_page, runs_page = context.new_page(), context.new_page()
    for p in (run_page, runs_page):
        p.set_default_timeout(DEADLINE_MS)
        p.on("pageerror", lambda e: errors.append(str(e)))

    run_page.goto(f"{served.base}/runs/{safe_name(RUN)}.html")
    run_page.click('[data-entry-id="e1"] summary')
    run_page.wait_for_selector('[data-entry-id="e1"] .sec-body:has-text("example.com")')
    assert run_page.locator('[data-entry-id="e1"]').get_attribute("data-status") == "running"
    assert run_page.locator(".run-meta .status").inner_text() == "Running"

    runs_page.goto(f"{served.base}/index.html")
    runs_page.click('[data-filter="rejected"]')
    match = runs_page.locator(f'.matches [data-run-id="{RUN}"]')
    match.wait_for()
    assert match.get_attribute("data-status") == "running"
    filtered_url = runs_page.url

    navigations = [watch_page(run_page), watch_page(runs_page)]
    write(log, [R["success"], R["end"], N["start"], N["rejected"], N["end"]])

    # The run page: status, spinner and the expanded entry's new output, entry still open.
    run_page.wait_for_function(
        "() => document.querySelector('.run-meta .status').classList.contains('st-completed')")
    assert run_page.locator(".run-meta .status").inner_text() == "Completed"
    entry = run_page.locator('[data-entry-id="e1"]')
    run_page.wait_for_function(
        "() => document.querySelector('[data-entry-id=\"e1\"]').dataset.status === 'success'")
    assert entry.locator("summary .ic-running").count() == 0
    assert entry.locator("summary .ic-success").count() == 1
    entry.locator('.sec[data-section="output"] .sec-body:has-text("Example Domain")').wait_for()
    assert entry.locator("details").evaluate("d => d.open")
    assert entry.locator('.sec[data-section="input"] .sec-body').is_visible()

    # The Runs page: the card resolves, the new run appears, the filter stays on.
    runs_page.locator(f'.matches [data-run-id="{RUN}"][data-status="completed"]').wait_for()
    expect(runs_page.locator(f'.matches [data-run-id="{RUN}"] .status')).to_have_text(
        "Completed", timeout=DEADLINE_MS)
    runs_page.locator(f'.matches [data-run-id="{NEW}"]').wait_for()
    assert runs_page.locator('[data-filter="rejected"]').get_attribute("aria-pressed") == "true"
    assert runs_page.url == filtered_url and "filter=rejected" in filtered_url
    expect(runs_page.locator("[data-run-count]")).to_have_text("2 runs", timeout=DEADLINE_MS)

    for p, navs in zip((run_page, runs_page), navigations):
        assert navs == [] and p.evaluate("window.__sameDocument") is True
    assert errors == []
    context.close()


def test_a_file_page_follows_a_watched_build_through_its_build_stamp(tmp_path, browser):
    log = write(tmp_path / "run.jsonl", [R["start"], R["running"]])
    out = tmp_path / "site"
    built: list[str] = []
    watcher = Watcher([log], out, BuildOptions(), tmp_path / "store", echo=built.append)
    stop = threading.Event()
    thread = threading.Thread(target=watcher.run, args=(stop,), daemon=True)
    thread.start()
    page = browser.new_page()
    page.set_default_timeout(DEADLINE_MS)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        wait_for(lambda: any(s.startswith("built ") for s in built), "the first build")
        # The first build stamp the page reads is the build it shows: only a later one updates it.
        with page.expect_request_finished(lambda r: "/build.js" in r.url):
            page.goto((out / "index.html").as_uri())
        card = page.locator(f'.cards [data-run-id="{RUN}"]')
        assert card.get_attribute("data-status") == "running"
        card.locator("[data-act=expand]").click()
        card.locator('.entry[data-entry-id="e1"][data-status="running"]').wait_for()
        navs = watch_page(page)
        write(log, [R["success"], R["end"], N["start"], N["end"]])
        page.locator(f'.cards [data-run-id="{RUN}"][data-status="completed"]').wait_for()
        card.locator('.entry[data-entry-id="e1"][data-status="success"]').wait_for()
        page.locator(f'.cards [data-run-id="{NEW}"]').wait_for()
        assert card.locator("[data-act=expand]").get_attribute("aria-expanded") == "true"
        assert navs == [] and errors == []
    finally:
        stop.set()
        thread.join(30)
        page.close()


def test_a_finished_static_page_does_not_poll(tmp_path, browser):
    log = write(tmp_path / "run.jsonl", [R["start"], R["running"], R["success"], R["end"]])
    out = tmp_path / "site"
    Watcher([log], out, BuildOptions(), tmp_path / "store", echo=lambda s: None).build()
    page = browser.new_page()
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto((out / "index.html").as_uri())
    page.wait_for_timeout(3500)
    page.close()
    assert not any("build.js" in u or "__runreport" in u for u in requested)


def test_a_part_page_of_a_large_run_patches_its_own_entries_only(tmp_path, serve, browser):
    from runreport.site.pagedata import LOG_PART_ENTRIES

    rid = "live-big"
    count = LOG_PART_ENTRIES + 10  # part 2 holds the last ten entries
    start = {"v": 1, "type": "run", "run_id": rid, "composer": "Live", "mode": "test",
             "started_at": "2026-11-20T12:00:00Z"}
    steps = [{"type": "step", "run_id": rid, "entry_id": f"s{n}", "name": f"Step {n}",
              "status": "running" if n == count - 1 else "success"} for n in range(count)]
    log = write(tmp_path / "big.jsonl", [start, *steps])
    served = serve([log], "--watch")
    page = browser.new_page()
    page.set_default_timeout(DEADLINE_MS)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{served.base}/runs/{safe_name(rid)}-part-2.html")
        last = page.locator(f'.entry[data-entry-id="s{count - 1}"]')
        assert last.get_attribute("data-status") == "running"
        entries = page.locator(".run-log .entry")
        expect(entries).to_have_count(10)
        navs = watch_page(page)
        write(log, [{"type": "step", "run_id": rid, "entry_id": f"s{count - 1}", "status": "success"},
                    {"type": "step", "run_id": rid, "entry_id": "late", "name": "Late step",
                     "status": "success"},
                    {"type": "run_end", "run_id": rid, "ended_at": "2026-11-20T12:01:00Z"}])
        page.locator(f'.entry[data-entry-id="s{count - 1}"][data-status="success"]').wait_for()
        expect(page.locator(".run-meta .status")).to_have_text("Completed", timeout=DEADLINE_MS)
        # The page keeps its slice: no entry of part 1, the new entry is for the run page.
        expect(entries).to_have_count(10)
        assert page.locator('.entry[data-entry-id="s0"], .entry[data-entry-id="late"]').count() == 0
        assert navs == [] and errors == []
    finally:
        page.close()


def test_a_search_left_open_finds_a_run_that_arrives_later(tmp_path, serve, browser):
    log = write(tmp_path / "run.jsonl", [R["start"], R["running"]])
    served = serve([log], "--watch")
    page = browser.new_page()
    page.set_default_timeout(DEADLINE_MS)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{served.base}/index.html")
    page.get_by_role("searchbox", name="Search runs").fill("fetch page")
    expect(page.locator(".search-results .result")).to_have_count(1, timeout=DEADLINE_MS)
    page.evaluate("window.__sameDocument = true")
    write(log, [R["success"], R["end"], N["start"], N["running"]])
    expect(page.locator(".search-results .result")).to_have_count(2, timeout=DEADLINE_MS)
    expect(page.locator(f'.search-results [data-run-id="{RUN}"]')).to_have_attribute(
        "data-status", "completed", timeout=DEADLINE_MS)
    assert page.evaluate("window.__sameDocument") is True
    assert errors == []
    page.close()


def test_a_run_between_steps_shows_running_then_settles_in_place(tmp_path, serve, browser):
    """serve --watch: a run whose step ended, with no run_end yet, stays Running while it is
    being written; `between_steps` quiet seconds later the open page says Completed."""
    (tmp_path / "runreport.toml").write_text("between_steps = 6\n")  # (> the page's 3 s poll, with room)
    log = write(tmp_path / "run.jsonl", [R["start"], R["running"]])
    served = serve([log], "--watch", "--config", str(tmp_path / "runreport.toml"))
    page = browser.new_page()
    page.set_default_timeout(DEADLINE_MS)
    page.goto(f"{served.base}/runs/{safe_name(RUN)}.html")
    navigations = watch_page(page)
    status = page.locator(".run-meta .status")
    expect(status).to_have_text("Running")
    write(log, [R["success"]])
    page.wait_for_function(
        "() => document.querySelector('[data-entry-id=\"e1\"]').dataset.status === 'success'")
    assert status.inner_text() == "Running"  # its step is done; the run is still being written
    expect(status).to_have_text("Completed", timeout=DEADLINE_MS)
    assert page.evaluate("window.__sameDocument") is True and not navigations
