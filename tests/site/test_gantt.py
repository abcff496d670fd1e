"""Where the time went: a run page's time chart, drawn by the build as SVG."""

from __future__ import annotations

from bs4 import BeautifulSoup
from playwright.sync_api import expect

from runreport import pipeline
from runreport.site import gantt
from runreport.site.names import safe_name

RUN = f"runs/{safe_name('r1118-inv-03')}.html"


def _page(site) -> BeautifulSoup:
    return BeautifulSoup((site("samples") / RUN).read_text(encoding="utf-8"), "html.parser")


def test_each_step_is_a_row_and_each_entry_a_bar_linked_to_it(site):
    page = _page(site)
    chart = page.select_one("figure.gantt svg")
    labels = [t.contents[0].strip() for t in chart.select("g.row > text.label")]
    assert labels[:3] == ["Read mailbox", "Download attachments", "For each invoice"]
    # A loop's steps are rows of their own, one bar per iteration.
    rows = {t.contents[0].strip(): t.parent for t in chart.select("g.row > text.label")}
    assert len(rows["Parse PDF"].select("a > rect.bar")) == 4
    failed = [r for r in rows["Validate totals"].select("rect.bar") if "st-error" in r["class"]]
    assert len(failed) == 1 and failed[0].title.get_text().endswith(", error")
    for link in chart.select("a"):
        assert page.find(id=link["href"][1:]) is not None, link["href"]  # every bar opens its entry
    # Drawn with attributes and classes only (strict CSP), readable without the script.
    assert not chart.find_all(style=True)
    assert "26 s from the first start to the last end" in page.select_one("figure.gantt figcaption").get_text()


def test_a_huge_run_stays_a_small_chart(tmp_path):
    lines = ['{"v":1,"type":"run","run_id":"big","composer":"C","started_at":"2026-01-01T00:00:00Z"}']
    for i in range(5000):
        lines.append('{"type":"step","run_id":"big","entry_id":"e%d","name":"Step %d","automation":"A",'
                     '"status":"success","started_at":"2026-01-01T00:%02d:%02dZ","ended_at":"2026-01-01T00:%02d:%02dZ"}'
                     % (i, i % 60, (i // 60) % 60, i % 60, (i // 60) % 60, i % 60))
    log = tmp_path / "big.jsonl"
    log.write_text("\n".join(lines) + "\n")
    chart = gantt.chart(pipeline.load([str(log)]).run("big"))
    assert len(chart.rows) == gantt.MAX_ROWS + 1 and chart.hidden_rows == 60 - gantt.MAX_ROWS
    assert sum(len(r.bars) for r in chart.rows) <= gantt.MAX_BARS
    assert chart.rows[-1].label == f"… {60 - gantt.MAX_ROWS} more steps"


def test_bars_are_as_long_as_their_entries_took_and_open_them_on_click(page, url):
    page.goto(url("samples", RUN))
    plot = page.locator("figure.gantt svg")
    expect(plot).to_be_visible()
    scale = plot.evaluate("s => s.getBoundingClientRect().width / s.viewBox.baseVal.width")
    # The axis spans 26 s over 720 units: Extract fields, iteration 1, took 2.8 s.
    bar = page.locator('a[href="#entry-e005"] rect')
    width = bar.evaluate("r => r.getBoundingClientRect().width")
    assert abs(width - 2.8 / 26.0 * 720 * scale) <= 1.5 * scale + 0.5
    page.locator('a[href="#entry-e005"]').click()
    expect(page.locator("#entry-e005 > details")).to_have_attribute("open", "")
    expect(page.locator("#entry-e005 > details > summary")).to_be_focused()
