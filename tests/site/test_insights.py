"""Insights: each composer's runs per day, success rate, durations, slowest steps, latest failures."""

from __future__ import annotations

import json
import subprocess
import sys

from bs4 import BeautifulSoup
from conftest import ROOT
from playwright.sync_api import expect

from runreport.site.pagedata import insights_href


def _soup(path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def _stats() -> dict:
    done = subprocess.run([sys.executable, "-m", "runreport", "summary", str(ROOT / "sample_runs"), "--json",
                           "--stats", "--from", "runlog"], capture_output=True, text=True, check=True)
    return {c["composer"]: c for c in json.loads(done.stdout)["stats"]["composers"]}


def test_the_insights_page_lists_every_composer_with_the_numbers_of_summary_stats(site):
    folder = site("samples")
    page = _soup(folder / "insights.html")
    stats = _stats()
    rows = {tr.th.get_text(): [td.get_text() for td in tr.select("td")] for tr in page.select("table.insights tbody tr")}
    assert set(rows) == set(stats)
    for name, cells in rows.items():
        s = stats[name]
        assert cells[0] == str(s["runs"]) and cells[1] == str(s["by_status"]["failed"])
        rate = s["success_rate"]
        assert cells[2] == ("–" if rate is None else f"{100 * rate:.0f} %")
    # Linked from every page's navigation, and from each composer's runs.
    assert _soup(folder / "index.html").select_one('nav a[href="insights.html"]') is not None
    from runreport.site.pagedata import composer_href

    composer = _soup(folder / composer_href("Invoice processing"))
    assert composer.select_one(".insights-link a")["href"] == "../" + insights_href("Invoice processing")


def test_a_composers_page_shows_its_days_steps_and_failures(site):
    folder = site("samples")
    page = _soup(folder / insights_href("Invoice processing"))
    stats = _stats()["Invoice processing"]
    days = {tr.th.get_text(): [td.get_text() for td in tr.select("td")] for tr in page.select("table.insights")[0].select("tbody tr")}
    for day in stats["days"]:
        cells = days[day["day"]]
        assert cells[1:5] == [str(day[s]) for s in ("completed", "failed", "running", "awaiting_review")]
    # One bar per day, stacked by status, each part titled with its number; no style attributes.
    chart = page.select_one("svg.perday-svg")
    assert len({r["x"] for r in chart.select("rect")}) == len(stats["days"])
    assert chart.select_one("rect.st-failed title").get_text().endswith(": 1 failed")
    assert not page.find_all(style=True)
    steps = [tr.th.get_text() for tr in page.select("table.insights")[1].select("tbody tr")]
    assert steps[:2] == [s["step"] for s in stats["slowest_steps"][:2]]
    failures = page.select("ul.latest-failures li")
    assert [li.code.get_text() for li in failures] == ["r1118-inv-03", "r1117-inv-02"]
    for link in page.select("main a[href]"):  # every link resolves
        target = (folder / insights_href("Invoice processing")).parent / link["href"].split("#")[0]
        assert target.resolve().is_file(), link["href"]


def test_insights_read_without_javascript(site, browser):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto((site("samples") / insights_href("Invoice processing")).as_uri())
        expect(page.locator("h1")).to_have_text("Invoice processing: insights")
        expect(page.locator("svg.perday-svg rect").first).to_be_visible()
        expect(page.locator("table.insights").first).to_contain_text("2026-11-18")
    finally:
        context.close()
