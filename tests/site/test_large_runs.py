"""Large runs: the per-entry HTML budget, and a 5,000-entry run page that is usable at once."""

from __future__ import annotations

import json

from bs4 import BeautifulSoup
from playwright.sync_api import expect

from runreport.site.build import RUN_PAGE_BASE_BUDGET, RUN_PAGE_ENTRY_BUDGET
from runreport.site.names import safe_name
from runreport.site.pagedata import LOG_PART_ENTRIES

from conftest import build

RUN = "r-big"
ENTRIES = 5000


def write_run(path, entries: int = ENTRIES) -> None:
    """One run of `entries` HTTP steps in two automations; the very last one fails."""
    t = "2026-11-20T10:00:00Z"
    lines = [{"v": 1, "type": "run", "run_id": RUN, "composer": "Big composer", "mode": "test",
              "started_at": t, "automations": ["Fetch", "Store"]}]
    for i in range(entries):
        last = i == entries - 1
        lines.append({
            "type": "step", "run_id": RUN, "entry_id": f"e{i}", "step_id": f"s{i}",
            "automation": "Fetch" if i < entries // 2 else "Store", "name": f"Step {i}",
            "kind": "http", "status": "error" if last else "success",
            "started_at": t, "ended_at": "2026-11-20T10:00:01Z",
            "http": {"request": {"method": "GET", "url": f"https://api.example.com/items/{i}"},
                     "response": {"status": 500 if last else 200, "body": {"n": i}}},
        })
    lines.append({"type": "run_end", "run_id": RUN, "ended_at": "2026-11-20T10:05:00Z"})
    path.write_text("".join(json.dumps(r) + "\n" for r in lines), encoding="utf-8")


def test_a_typical_entry_stays_within_the_per_entry_budget(site):
    """Every entry of the spec example, with its summary rows, in under the budget."""
    page = site("spec") / "runs" / f"{safe_name('r-104')}.html"
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    entries = soup.select("li.entry[data-entry-id]")
    assert entries
    for e in entries:
        assert len(str(e).encode("utf-8")) <= RUN_PAGE_ENTRY_BUDGET, e["data-entry-id"]
        # Readable without JavaScript: status text, name, kind and rows are in the HTML.
        assert e.select_one("summary > [class^=ic-]").get_text()
        assert e.select_one("summary > b").get_text()


def test_a_5000_entry_run_page_is_usable(tmp_path, browser):
    log = tmp_path / "big.jsonl"
    write_run(log)
    out = tmp_path / "site"
    build([log], out)
    name = safe_name(RUN)
    page_file = out / "runs" / f"{name}.html"
    html = page_file.read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "html.parser")
    # The page holds the first part; the rest is in part files and, without JavaScript, part pages.
    assert len(soup.select("li.entry")) == LOG_PART_ENTRIES
    assert len(html.encode()) <= RUN_PAGE_BASE_BUDGET + LOG_PART_ENTRIES * RUN_PAGE_ENTRY_BUDGET
    parts = -(-ENTRIES // LOG_PART_ENTRIES)
    assert soup.select_one(".run-log")["data-parts"] == str(parts)
    assert (out / "data" / name / f"log-{parts - 1}.js").is_file()
    assert soup.select_one('a[rel="next"]')["href"] == f"../runs/{name}-part-2.html"
    last = BeautifulSoup((out / "runs" / f"{name}-part-{parts}.html").read_text(), "html.parser")
    assert last.select_one(f"#entry-e{ENTRIES - 1}") is not None

    page = browser.new_page()
    try:
        page.set_default_timeout(15_000)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        # First entries visible and expandable.
        page.goto(page_file.as_uri())
        first = page.locator("#entry-e0")
        expect(first).to_be_visible()
        first.locator("summary").click()
        expect(first.locator('[data-section="input"] [data-act=section]')).to_be_visible()
        # A deep link to the last entry (in the last part) opens it.
        page.goto(page_file.as_uri() + f"#entry-e{ENTRIES - 1}")
        last_entry = page.locator(f"#entry-e{ENTRIES - 1}")
        expect(last_entry.locator(":scope > details")).to_have_attribute("open", "")
        expect(last_entry).to_be_in_viewport()
        # A filter finds the error entry in the last part (fresh load: parts not yet in).
        page.goto(page_file.as_uri() + "?filter=errors", wait_until="domcontentloaded")
        expect(page.locator(".entry:visible")).to_have_count(1)
        assert page.locator(".entry:visible").get_attribute("data-entry-id") == f"e{ENTRIES - 1}"
        assert page.locator("[data-run-count]").get_attribute("data-run-count") == "1"
        page.locator("[data-filter=errors]").click()  # off again: the whole log
        expect(page.locator(".entry")).to_have_count(ENTRIES)
        assert errors == []
    finally:
        page.close()
