"""What went wrong, in one look: error lines on cards, the "Run error" row, messages on error entries."""

from __future__ import annotations

import json

import pytest
from bs4 import BeautifulSoup
from conftest import build, data_payload
from playwright.sync_api import expect

from runreport.site import BuildOptions
from runreport.site.names import safe_name


def _soup(path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def _card(index: BeautifulSoup, run_id: str):
    return index.select_one(f'article.card[data-run-id="{run_id}"]')


def test_failed_cards_say_the_failing_step_and_its_message_linked_to_the_entry(site):
    index = _soup(site("samples") / "index.html")
    said = _card(index, "r1119-lead-06").select_one(".said.said-error a")
    assert said.b.get_text() == "Fetch leads (paged)"
    assert said.select_one(".said-msg").get_text() == "Pagination stopped: page 3 returned HTTP 400"
    assert said["href"] == f"runs/{safe_name('r1119-lead-06')}.html#error-e001"
    # Without the script the link lands on the message, in the entry's summary line.
    run = _soup(site("samples") / f"runs/{safe_name('r1119-lead-06')}.html")
    assert run.find(id="error-e001").get_text() == "Pagination stopped: page 3 returned HTTP 400"
    assert run.find(id="error-e001").find_parent("li")["id"] == "entry-e001"
    # An HTTP failure says its status; a message with markup is text, not HTML.
    ticket = _card(index, "r1118-ticket-03").select_one(".said-msg")
    assert ticket.get_text().startswith("550 5.1.1 <chen.brown@")
    assert not ticket.find_all(True)
    # Completed runs that went well say nothing.
    assert _card(index, "r1119-contract-01").select_one(".said") is None


def test_a_run_level_failure_is_on_its_card_and_first_in_its_log(site):
    index = _soup(site("samples") / "index.html")
    card = _card(index, "r1119-digest-04")
    assert card["data-errors"] == "1"  # the Errors filter keeps it
    said = card.select_one(".said.said-error a")
    assert said.b.get_text() == "Run error"
    assert said.select_one(".said-msg").get_text() == "Worker wrk-10 was restarted during a deploy; the run was aborted"
    page_path, anchor = said["href"].split("#")
    run = _soup(site("samples") / page_path)
    timeline = run.select_one(".run-log .timeline")
    first = timeline.find("li")
    assert first["id"] == anchor == "run-error" and "run-failure" in first["class"]
    assert first["data-own-status"] == "error"
    assert "Worker wrk-10 was restarted" in first.get_text()
    # The row is no automation group and no entry: the hooks count only those.
    assert not first.has_attr("data-automation") and not first.has_attr("data-entry-id")
    assert run.select_one(".run")["data-errors"] == "1"


def test_a_rejected_run_says_which_review_rejected_it_and_why(site):
    said = _card(_soup(site("samples") / "index.html"), "r1118-lead-03").select_one(".said.said-rejected a")
    assert said.b.get_text() == "Approve lead"
    assert [b.get_text() for b in said.select(".b")] == ["iteration 2"]
    assert said.select_one(".said-msg").get_text() == (
        "rejected by dana.kowalski@example.com: Duplicate of an existing account (ACC-2291).")


def test_error_entries_carry_their_message_in_the_summary_line(site):
    run = _soup(site("samples") / f"runs/{safe_name('r1117-lead-02')}.html")
    failing = run.select('li.entry[data-own-status="error"]')
    assert failing
    for entry in failing:
        assert entry.select_one("summary .em").get_text()
    assert failing[0].select_one("summary .em").get_text() == "Page 4 failed with HTTP 429 Too Many Requests"
    assert not run.select('li.entry[data-own-status="success"] summary .em')


def test_error_lines_are_redacted_and_never_in_the_manifest(tmp_path):
    log = tmp_path / "run.jsonl"
    log.write_text("".join(json.dumps(r) + "\n" for r in [
        {"type": "run", "run_id": "r-1", "composer": "C", "mode": "test", "started_at": "2026-11-20T10:00:00Z"},
        {"type": "step", "run_id": "r-1", "entry_id": "e1", "name": "Call", "status": "error",
         "error": {"message": "refused: Authorization: Bearer SEKRETabc123xyz"}},
        {"type": "run", "run_id": "r-2", "composer": "C", "mode": "test", "started_at": "2026-11-20T11:00:00Z"},
        {"type": "run_end", "run_id": "r-2", "ended_at": "2026-11-20T11:00:05Z",
         "error": "login failed for url https://bob:hunter2pass@db.example.com/x"},
    ]))
    out = tmp_path / "site"
    build([log], out, BuildOptions())
    for path in out.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            assert "SEKRETabc123xyz" not in text and "hunter2pass" not in text, path
    index = _soup(out / "index.html")
    assert "redacted" in _card(index, "r-1").select_one(".said-msg").get_text()
    # The filtered view builds its cards from the match index: the same line, redacted too.
    _, chunk = data_payload(out / "data" / "match" / "all-0.js")
    said = {row[0]: row[chunk["fields"].index("said")] for row in chunk["rows"]}
    assert said["r-1"][2] == "Call" and "redacted" in said["r-1"][4]
    assert said["r-2"][2] == "Run error" and said["r-2"][1].endswith("#run-error")


@pytest.mark.browser
def test_the_card_line_opens_the_entry_with_its_error_shown(page, url):
    page.goto(url("samples"))
    card = page.locator('[data-run-id="r1117-lead-02"]')
    card.locator(".said a").click()
    entry = page.locator('li.entry[data-entry-id="e001"]')
    expect(entry.locator(":scope > details")).to_have_attribute("open", "")
    error = entry.locator('.sec[data-section="error"]')
    expect(error.locator("[data-act=section]")).to_have_attribute("aria-expanded", "true")
    expect(error.locator(".sec-body")).to_be_visible()
    assert not page.page_errors
    # A plain deep link to the same entry opens it, its sections as the entry's rule says.
    page.goto(url("samples"))
    page.goto(url("samples", f"runs/{safe_name('r1117-lead-02')}.html#entry-e001"))
    expect(entry.locator(":scope > details")).to_have_attribute("open", "")
    expect(entry.locator('.sec[data-section="error"] [data-act=section]')).to_have_attribute(
        "aria-expanded", "false")


@pytest.mark.browser
def test_the_errors_filter_keeps_a_run_that_failed_at_run_level(page, url):
    page.goto(url("samples", f"runs/{safe_name('r1119-digest-04')}.html"))
    page.locator('[data-filter="errors"]').click()
    expect(page.locator("[data-run-count]")).to_have_attribute("data-run-count", "1")
    expect(page.locator(".run-failure")).to_be_visible()
    expect(page.locator(".run .run-log [data-empty]")).to_be_hidden()
    # Every entry of it went well: all hidden, the row stays.
    assert page.locator("li.entry:visible").count() == 0
    # On the Runs page the filtered list has it, with its line.
    page.goto(url("samples"))
    page.locator('[data-filter="errors"]').click()
    match = page.locator('.matches [data-run-id="r1119-digest-04"]')
    expect(match.locator(".said-msg")).to_have_text(
        "Worker wrk-10 was restarted during a deploy; the run was aborted")
    assert not page.page_errors


def test_filter_buttons_on_listings_say_how_many_runs_they_keep(site):
    index = _soup(site("samples") / "index.html")
    listing = index.select_one(".listing")
    errors = index.select_one('[data-filter="errors"] [data-count-of="errors"]')
    rejected = index.select_one('[data-filter="rejected"] [data-count-of="rejected"]')
    assert errors.get_text() == listing["data-count-errors"] == "7"
    assert rejected.get_text() == listing["data-count-rejected"]
    # The count is not part of the button's name; run pages have no counts.
    assert errors["aria-hidden"] == "true"
    run = _soup(site("samples") / f"runs/{safe_name('r1119-digest-04')}.html")
    assert not run.select("[data-count-of]")


@pytest.mark.browser
def test_next_and_previous_error_move_focus_through_every_error_in_order(page, url):
    page.goto(url("samples", f"runs/{safe_name('r1118-inv-03')}.html"))
    focused = "() => document.activeElement.closest('li.entry').getAttribute('data-entry-id')"
    page.get_by_role("button", name="Next error").click()
    assert page.evaluate(focused) == "e003"
    error = page.locator('li.entry[data-entry-id="e003"] .sec[data-section="error"]')
    expect(error.locator("[data-act=section]")).to_have_attribute("aria-expanded", "true")
    page.get_by_role("button", name="Next error").click()
    assert page.evaluate(focused) == "e012"
    page.get_by_role("button", name="Next error").click()  # round again
    assert page.evaluate(focused) == "e003"
    page.keyboard.press("Shift+E")
    assert page.evaluate(focused) == "e012"
    page.keyboard.press("e")
    assert page.evaluate(focused) == "e003"
    # A run whose only error is its own: the "Run error" row is the stop.
    page.goto(url("samples", f"runs/{safe_name('r1119-digest-04')}.html"))
    page.get_by_role("button", name="Next error").click()
    assert page.evaluate("() => document.activeElement.id") == "run-error"
    # A run without errors has no such buttons.
    page.goto(url("samples", f"runs/{safe_name('r1119-contract-01')}.html"))
    assert page.get_by_role("button", name="Next error").count() == 0
    assert not page.page_errors


def test_review_steps_say_who_decided_or_since_when_they_wait(site):
    waiting = _soup(site("samples") / f"runs/{safe_name('r1120-contract-04')}.html")
    entry = waiting.select_one('li.entry[data-own-status="running"] i.wait').find_parent("li")
    assert entry["data-status"] == "running"  # the hook is unchanged: a pause is how it looks
    assert entry.select_one("summary i").get_text() == "Awaiting review"
    assert entry.select_one(".rv.rv-wait").get_text().startswith("waiting since 2026-11-20 ")
    rejected = _soup(site("samples") / f"runs/{safe_name('r1118-lead-03')}.html")
    line = rejected.select_one('li.entry[data-own-status="rejected"] .rv').get_text()
    assert line.startswith("Rejected by dana.kowalski@example.com at ")
    assert line.endswith(": Duplicate of an existing account (ACC-2291).")
    assert not rejected.select("i.wait")


def test_the_runs_page_totals_its_runs_by_status(site):
    index = _soup(site("samples") / "index.html")
    totals = {t["data-total"]: t.b.get_text() for t in index.select(".totals [data-total]")}
    assert totals == {"failed": "7", "running": "3", "awaiting_review": "1", "completed": "25"}
    assert sum(map(int, totals.values())) == int(index.select_one("[data-run-count]")["data-run-count"])


@pytest.fixture(scope="module")
def many_runs(www, tmp_path_factory):
    """260 runs (three listing pages); the oldest fails with a message no other run has,
    and one run in the middle has a step named like no other."""
    log = tmp_path_factory.mktemp("many") / "runs.jsonl"
    records = []
    for n in range(260):
        rid = f"run-{n:03d}"
        records.append({"type": "run", "run_id": rid, "composer": f"Composer {n % 3}", "mode": "test",
                        "started_at": f"2026-11-{1 + n // 24:02d}T{n % 24:02d}:00:00Z"})
        records.append({"type": "step", "run_id": rid, "entry_id": "e1",
                        "name": "Reconcile ledger" if n == 130 else "Fetch", "status": "success"})
        if n == 0:
            records.append({"type": "step", "run_id": rid, "entry_id": "e2", "name": "Charge card",
                            "status": "error", "error": {"message": "Card issuer quasar-77 declined"}})
        records.append({"type": "run_end", "run_id": rid, "ended_at": f"2026-11-{1 + n // 24:02d}T{n % 24:02d}:00:05Z"})
    log.write_text("".join(json.dumps(r) + "\n" for r in records))
    out = www / "sub" / "many"
    build([log], out, BuildOptions())
    return out


def test_the_search_index_holds_every_run_with_its_steps_and_error(many_runs):
    index = _soup(many_runs / "index.html")
    listing = index.select_one(".listing")
    assert listing["data-search-chunks"] == "1"
    assert not index.select('[data-run-id="run-000"]')  # not on the first page
    _, chunk = data_payload(many_runs / "data" / "search" / "all-0.js")
    rows = {row[0]: dict(zip(chunk["fields"], row)) for row in chunk["rows"]}
    assert len(rows) == 260
    assert [chunk["names"][i] for i in rows["run-000"]["steps"]] == ["Fetch", "Charge card"]
    assert rows["run-000"]["said"][:2] == ["Charge card", "Card issuer quasar-77 declined"]
    # Composer pages carry no index of their own; the search box is the script's (absent without it).
    composer = next((many_runs / "composers").glob("*.html"))
    assert not _soup(composer).select_one(".listing").has_attr("data-search-chunks")
    assert not index.select("input")


@pytest.mark.browser
def test_search_finds_runs_on_any_page_by_error_step_id_or_composer(page, url, many_runs):
    page.goto(url("many"))
    box = page.get_by_role("searchbox", name="Search runs")
    box.fill("quasar-77")
    result = page.locator(".search-results .result")
    expect(result).to_have_count(1)
    expect(result).to_have_attribute("data-run-id", "run-000")
    expect(result.locator(".why")).to_have_text("error in Charge card: Card issuer quasar-77 declined")
    expect(page.locator("[data-run-count]")).to_have_attribute("data-run-count", "1")
    assert page.locator(".cards").is_hidden()
    box.fill("reconcile")
    expect(result).to_have_attribute("data-run-id", "run-130")
    box.fill("run-25")
    expect(result).to_have_count(10)  # run-250 … run-259
    box.fill("composer 1")
    expect(page.locator(".result-count")).to_have_text("87 runs match.")
    box.fill("fetch")
    expect(page.locator(".result-count")).to_have_text("259 runs match. The newest 100 are shown.")
    expect(result).to_have_count(100)
    # The result opens the run (an error hit opens it at its message).
    box.fill("quasar")
    expect(result).to_have_count(1)
    result.locator("a").click()
    expect(page.locator('li.entry[data-entry-id="e2"] .sec[data-section="error"] .sec-body')).to_be_visible()
    # Emptied, the box gives the cards back.
    page.go_back()
    box = page.get_by_role("searchbox", name="Search runs")
    box.fill("")
    expect(page.locator(".cards")).to_be_visible()
    expect(page.locator("[data-run-count]")).to_have_attribute("data-run-count", "260")
    assert not page.page_errors


QUIET_LOG = [
    {"type": "run", "run_id": "old", "composer": "C", "mode": "test", "started_at": "2026-11-20T08:00:00Z"},
    {"type": "step", "run_id": "old", "entry_id": "e1", "name": "Wait", "status": "running",
     "started_at": "2026-11-20T08:01:00Z"},
    {"type": "run", "run_id": "new", "composer": "C", "mode": "test", "started_at": "2026-11-20T11:59:00Z"},
    {"type": "step", "run_id": "new", "entry_id": "e1", "name": "Go", "status": "running",
     "started_at": "2026-11-20T12:00:00Z"},
]


def test_a_running_run_silent_long_before_the_newest_record_shows_since_when(tmp_path):
    log = tmp_path / "runs.jsonl"
    log.write_text("".join(json.dumps(r) + "\n" for r in QUIET_LOG))
    build([log], tmp_path / "site", BuildOptions())
    index = _soup(tmp_path / "site" / "index.html")
    old, new = _card(index, "old"), _card(index, "new")
    assert old["data-status"] == "running" and "quiet" in old["class"]  # the hook keeps its status
    assert old.select_one(".quiet-since").get_text() == "no activity since 2026-11-20 08:01:00 UTC"
    assert "quiet" not in new["class"] and not new.select(".quiet-since")
    # The same input builds the same site whenever it is built: the reference is the input's
    # newest record, not the clock. stale_after = 0 turns it off.
    build([log], tmp_path / "never", BuildOptions(stale_after=0))
    assert not _soup(tmp_path / "never" / "index.html").select(".quiet-since")
    build([log], tmp_path / "late", BuildOptions(stale_after=5 * 3600))
    assert not _soup(tmp_path / "late" / "index.html").select(".quiet-since")


def test_summary_says_which_running_runs_went_quiet(tmp_path):
    import subprocess
    import sys

    log = tmp_path / "runs.jsonl"
    log.write_text("".join(json.dumps(r) + "\n" for r in QUIET_LOG))
    done = subprocess.run([sys.executable, "-m", "runreport", "summary", str(log)], capture_output=True,
                          text=True, cwd=tmp_path)
    rows = {line.split()[-1]: line for line in done.stdout.splitlines()[1:] if line.strip() and not line.startswith("(")}
    assert rows["old"].startswith("running (quiet)") and rows["new"].startswith("running ")
    assert "running (quiet)" not in rows["new"]


@pytest.mark.browser
def test_an_imported_opentelemetry_trace_reads_as_a_run(page, url, www, tmp_path_factory):
    """A trace from `runreport import otlp`, opened in the browser: the failing span at its exception."""
    import subprocess
    import sys
    from pathlib import Path

    fixture = Path(__file__).parent.parent / "fixtures" / "otlp" / "traces.jsonl"
    log = tmp_path_factory.mktemp("otlp") / "runs.jsonl"
    subprocess.run([sys.executable, "-m", "runreport", "import", "otlp", str(fixture), "-o", str(log)],
                   check=True, capture_output=True)
    if not (www / "sub" / "otlp").is_dir():
        build([log], www / "sub" / "otlp", BuildOptions())
    page.goto(url("otlp"))
    card = page.locator('[data-run-id="4bf92f3577b34da6a3ce929d0e0e4736"]')
    expect(card.locator(".said-msg")).to_have_text("payment failed")
    page.goto(url("otlp", f"runs/{safe_name('4bf92f3577b34da6a3ce929d0e0e4736')}.html#error-b7ad6b7169203332"))
    error = page.locator('li.entry[data-entry-id="b7ad6b7169203332"] .sec[data-section="error"] .sec-body')
    expect(error).to_contain_text("payment gateway returned 502")
    assert not page.page_errors


def _imported_site(www, name: str, fixture: str) -> None:
    """The site of an export (tests/fixtures/<fixture>) read directly by `build` (`--from auto`),
    built once into www/sub/<name>."""
    from pathlib import Path

    from runreport.commands import load_inputs
    from runreport.site import build_site

    if not (www / "sub" / name).is_dir():
        loaded = load_inputs([Path(__file__).parent.parent / "fixtures" / fixture], www / f"{name}-store",
                             source="auto")
        assert loaded.problems == []
        build_site(loaded, www / "sub" / name, BuildOptions())


def test_an_imported_n8n_execution_reads_as_a_run(page, url, www):
    """n8n executions read directly by `build` (`--from auto`): the failed node's error, its input."""
    from runreport.site.names import error_anchor

    _imported_site(www, "n8n", "n8n/executions.jsonl")
    page.goto(url("n8n"))
    card = page.locator('[data-run-id="n8n-1002"]')
    expect(card.locator(".said b")).to_have_text("Get contacts")
    expect(card.locator(".said-msg")).to_contain_text("could not be found")
    page.goto(url("n8n", f"runs/{safe_name('n8n-1002')}.html#{error_anchor('Get contacts')}"))
    entry = page.locator('li.entry[data-entry-id="Get contacts"]')
    expect(entry.locator('.sec[data-section="error"] .sec-body')).to_contain_text("does not exist")
    expect(entry.locator("dl")).to_contain_text("https://crm.example.com/api/contacts")
    # A node that ran three times: three entries with iteration badges.
    page.goto(url("n8n", f"runs/{safe_name('n8n-1003')}.html"))
    expect(page.locator('li.entry[data-entry-id^="Score lead#"] [data-badge=iteration]')).to_have_text(
        ["iteration 1", "iteration 2", "iteration 3"])
    assert not page.page_errors


def test_an_imported_temporal_history_reads_as_a_run(page, url, www):
    """A Temporal history read directly by `build`: the failed activity, its failure and cause."""
    from runreport.site.names import error_anchor

    _imported_site(www, "temporal", "temporal/order-failed.json")
    page.goto(url("temporal"))
    card = page.locator('[data-run-id="7c1f0a3e-0002"]')
    expect(card.locator(".said b")).to_have_text("ReserveStock")
    expect(card.locator(".said-msg")).to_have_text("stock service unavailable")
    page.goto(url("temporal", f"runs/{safe_name('7c1f0a3e-0002')}.html#{error_anchor('activity-5')}"))
    error = page.locator('li.entry[data-entry-id="activity-5"] .sec[data-section="error"] .sec-body')
    expect(error).to_contain_text("connection refused")  # the cause, inside the failure
    expect(page.locator('li.entry[data-entry-id="activity-5"] dl')).to_contain_text("3")  # attempt 3
    assert not page.page_errors


def test_the_failures_page_groups_failed_runs_by_step_and_masked_message(tmp_path):
    records = []
    for n, (step, message) in enumerate([
        ("Charge card", "Timeout after 30s calling gateway 10.0.0.7 (req 4bf92f3577b34da6)"),
        ("Charge card", "Timeout after 45s calling gateway 10.0.0.9 (req 00f067aa0ba902b7)"),
        ("Charge card", "Timeout after 30s calling gateway 10.0.0.7 (req b7ad6b7169203331)"),
        ("Fetch", "HTTP 500: upstream down"),
        ("Fetch", "HTTP 502: upstream down"),
    ]):
        rid = f"r-{n}"
        records += [
            {"type": "run", "run_id": rid, "composer": "Pay" if step == "Charge card" else "Sync", "mode": "live",
             "started_at": f"2026-11-2{n}T10:00:00Z"},
            {"type": "step", "run_id": rid, "entry_id": "e1", "name": step, "status": "error",
             "error": {"message": message}},
            {"type": "run_end", "run_id": rid, "ended_at": f"2026-11-2{n}T10:00:05Z"},
        ]
    log = tmp_path / "runs.jsonl"
    log.write_text("".join(json.dumps(r) + "\n" for r in records))
    out = tmp_path / "site"
    build([log], out, BuildOptions())
    page = _soup(out / "failures.html")
    groups = page.select("section.fgroup")
    assert [g.h2.get_text(" ", strip=True) for g in groups] == [
        "Charge card: Timeout after <n>s calling gateway <n> (req <id>)",
        "Fetch: HTTP 502: upstream down",  # the newer of two groups of one
        "Fetch: HTTP 500: upstream down",
    ]
    first = groups[0]
    assert first.select_one(".fmeta b").get_text() == "3 runs"
    assert "first 2026-11-20 10:00:00 UTC · last 2026-11-22 10:00:00 UTC · Pay" in first.select_one(".fmeta").get_text(" ", strip=True)
    assert first.select_one(".example").get_text() == ("Latest: Timeout after 30s calling gateway 10.0.0.7 "
                                                        "(req b7ad6b7169203331)")
    # The sparkline: runs per day over the 14 days up to the newest failure (Nov 24).
    spark = first.select_one("svg.spark")
    assert spark["aria-label"].endswith(": 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0")
    assert [r["class"] for r in spark.select("rect")].count(["day"]) == 3
    links = [a["href"] for a in first.select(".fruns a")]
    assert links == [f"runs/{safe_name(r)}.html#error-e1" for r in ("r-2", "r-1", "r-0")]
    for href in links:
        path, anchor = href.split("#")
        assert _soup(out / path).find(id=anchor) is not None
    # Every page links it.
    assert _soup(out / "index.html").select_one('nav a[href="failures.html"]').get_text() == "Failures"


def test_the_failures_page_of_the_sample_runs(site):
    page = _soup(site("samples") / "failures.html")
    causes = [g.h2.get_text(" ", strip=True) for g in page.select("section.fgroup")]
    assert causes == [
        "Run error: Worker wrk-<n> was restarted during a deploy; the run was aborted",
        "Fetch leads (paged) api.crm.example.com/v<n>/leads : Pagination stopped: page <n> returned HTTP 400",
        "Email customer: <n> <n> <<email>>: Recipient address rejected: User unknown",
        "For each invoice: <n> of <n> iterations failed",
        "Run error: Run exceeded its time limit of <n> minutes",
        "Fetch all leads api.crm.example.com/v<n>/leads : Page <n> failed with HTTP 429 Too Many Requests",
        "Create bills in accounting POST api.ledger.example.com/v<n>/bills/batch : HTTP 500",
    ]
    assert page.select_one(".lede").get_text().startswith("7 failed runs in 7 groups")


def test_http_failures_group_by_endpoint_as_well(tmp_path):
    records = []
    for n, url in enumerate(["https://api.example.com/v1/orders/1001?x=1", "https://api.example.com/v1/orders/1002",
                             "https://user:pw@api.example.com/v1/refunds/7"]):
        rid = f"h-{n}"
        records += [
            {"type": "run", "run_id": rid, "composer": "Shop", "mode": "live", "started_at": f"2026-11-2{n}T10:00:00Z"},
            {"type": "step", "run_id": rid, "entry_id": "e1", "name": "Call API", "kind": "http", "status": "error",
             "http": {"request": {"method": "post", "url": url}, "response": {"status": 503, "body": "busy"}}},
            {"type": "run_end", "run_id": rid, "ended_at": f"2026-11-2{n}T10:00:05Z"},
        ]
    log = tmp_path / "runs.jsonl"
    log.write_text("".join(json.dumps(r) + "\n" for r in records))
    build([log], tmp_path / "site", BuildOptions())
    page = _soup(tmp_path / "site" / "failures.html")
    assert [(g.select_one(".endpoint").get_text(), g.select_one(".fmeta b").get_text())
            for g in page.select("section.fgroup")] == [
        ("POST api.example.com/v<n>/orders/<n>", "2 runs"),
        ("POST api.example.com/v<n>/refunds/<n>", "1 run"),  # (no credentials in an endpoint)
    ]


def test_a_large_failure_group_lists_every_run_on_pages_of_its_own(tmp_path, monkeypatch):
    from runreport.site import build as site_build
    from runreport.site import failures

    monkeypatch.setattr(failures, "RUNS_PER_PAGE", 60)
    monkeypatch.setattr(site_build, "RUNS_PER_PAGE", 60)
    records = []
    for n in range(130):  # one cause: 130 runs, more than the Failures page lists
        rid = f"f-{n:03d}"
        at = f"2026-11-{1 + n // 24:02d}T{n % 24:02d}:00:00Z"
        records += [
            {"type": "run", "run_id": rid, "composer": "Shop", "mode": "live", "started_at": at},
            {"type": "step", "run_id": rid, "entry_id": "e1", "name": "Charge", "status": "error",
             "error": {"message": f"Card {n} declined"}},
            {"type": "run_end", "run_id": rid, "ended_at": at},
        ]
    log = tmp_path / "runs.jsonl"
    log.write_text("".join(json.dumps(r) + "\n" for r in records))
    site = tmp_path / "site"
    build([log], site, BuildOptions())
    page = _soup(site / "failures.html")
    group = page.select_one("section.fgroup")
    assert len(group.select("ul.fruns li")) == failures.RUNS_SHOWN
    more = group.select_one("details p a")
    assert more.get_text() == "all 130 runs of this group" and "(3 pages)" in more.parent.get_text()
    seen = []
    href = more["href"]
    while href:  # follow the pages: every run once, newest first, every link resolving
        path = (site / href).resolve() if not seen else (current.parent / href).resolve()
        current = path
        runs_page = _soup(path)
        for a in runs_page.select("ul.fruns a"):
            assert (path.parent / a["href"].split("#")[0]).resolve().is_file()
            seen.append(a.code.get_text())
        nxt = runs_page.select_one('nav.pager a[rel="next"]')
        href = nxt["href"] if nxt else None
    assert seen == [f"f-{n:03d}" for n in reversed(range(130))]
