"""Loops you can fold: a header per iteration, long loops folded where they went well."""

from __future__ import annotations

from bs4 import BeautifulSoup
from playwright.sync_api import expect

from runreport.site.names import safe_name

RUN = f"runs/{safe_name('r-loops')}.html"


def _run_page(site) -> BeautifulSoup:
    return BeautifulSoup((site("loops") / RUN).read_text(encoding="utf-8"), "html.parser")


def test_each_iteration_names_its_place_its_loop_size_and_how_it_went(site):
    page = _run_page(site)
    heads = {li["data-entry-id"]: (li["data-iter"], li["data-iter-of"], li["data-iter-status"])
             for li in page.select("li.entry[data-iter]")}
    assert heads["o0-charge"] == ("1", "12", "success")
    assert heads["o5-charge"] == ("6", "12", "error")  # its Charge card failed
    assert heads["o11-charge"] == ("12", "12", "success")
    # Nested loops name the whole path: region 2, store 3.
    assert heads["r1s2"] == ("2 › 3", "3", "success")
    assert heads["stores1"] == ("2", "2", "success")
    # Only an iteration's first entry is a header; the build's dividers stay between iterations.
    assert "o0-receipt" not in heads
    assert page.select_one("#entry-o0-charge > .divider") is None
    assert page.select_one("#entry-o1-charge > .divider").get_text() == "iteration 2"


def test_a_breadcrumb_never_repeats_the_entry_or_says_only_its_name(site):
    page = _run_page(site)
    assert page.select_one("#entry-o3-charge summary > .l").get_text() == "For each order › Charge card"
    assert page.select_one("#entry-r1s2 summary > .l").get_text() == "For each region › For each store › Update stock"
    # The pages of "Fetch all leads" sit under a request of the same name: nothing to add.
    assert page.select_one("#entry-lp2 summary > .l") is None
    assert [b.get_text() for b in page.select("#entry-lp2 [data-badge]")] == ["page 2"]


def test_long_loops_fold_what_went_well_and_open_on_click(page, url):
    page.goto(url("loops", RUN))
    fold = page.locator("#entry-o1-charge > button[data-act=fold]")
    expect(fold).to_have_attribute("aria-expanded", "false")
    expect(fold).to_have_accessible_name("iteration 2 of 12")
    expect(page.locator("#entry-o1-charge > .divider")).to_have_text("iteration 2")  # (its words as built)
    expect(page.locator("#entry-o1-receipt")).to_be_hidden()
    expect(page.locator("#entry-o1-charge > details")).to_be_hidden()
    # The failed iteration is open at load, its header saying so.
    failed = page.locator("#entry-o5-charge > button[data-act=fold]")
    expect(failed).to_have_attribute("aria-expanded", "true")
    expect(failed).to_have_accessible_name("iteration 6 of 12, failed")
    expect(page.locator("#entry-o5-charge > details > summary")).to_be_visible()
    expect(page.locator("#entry-o5-receipt > details > summary")).to_be_visible()
    # Iteration 1 has a header too, the same way (and no divider: none goes before it).
    expect(page.locator("#entry-o0-charge > button[data-act=fold]")).to_have_attribute(
        "aria-expanded", "false")
    expect(page.locator("#entry-o0-charge > .iter-head")).to_have_text("iteration 1")
    expect(page.locator("#entry-o0-charge > .divider")).to_have_count(0)
    fold.click()
    expect(fold).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#entry-o1-receipt > details > summary")).to_be_visible()
    fold.click()
    expect(page.locator("#entry-o1-receipt")).to_be_hidden()
    # A short loop (2 or 3 iterations) stays open, folding only when asked.
    inner = page.locator("#entry-r1s1 > button[data-act=fold]")
    expect(inner).to_have_attribute("aria-expanded", "true")
    expect(inner).to_have_accessible_name("iteration 2 › 2 of 3")
    page.locator("#entry-stores1 > button[data-act=fold]").click()
    expect(page.locator("#entry-r1s2")).to_be_hidden()  # an outer fold hides the inner loop too


def test_a_link_or_a_filter_shows_entries_of_folded_iterations(page, url):
    page.goto(url("loops", RUN + "#entry-o8-receipt"))
    expect(page.locator("#entry-o8-receipt > details")).to_have_attribute("open", "")
    expect(page.locator("#entry-o8-receipt > details > summary")).to_be_visible()
    expect(page.locator("#entry-o8-charge > button[data-act=fold]")).to_have_attribute(
        "aria-expanded", "true")
    expect(page.locator("#entry-o2-receipt")).to_be_hidden()
    # The Errors filter shows what it keeps, folded or not.
    page.locator("[data-filter=errors]").first.click()
    expect(page.locator("#entry-o5-charge > details > summary")).to_be_visible()
    expect(page.locator("#entry-o2-receipt")).to_be_hidden()


def test_without_the_script_every_iteration_is_shown(site, browser):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto((site("loops") / RUN).as_uri())
        expect(page.locator("#entry-o1-receipt > details > summary")).to_be_visible()
        expect(page.locator("#entry-o1-charge > .divider")).to_have_text("iteration 2")
        expect(page.locator("button[data-act=fold]")).to_have_count(0)
    finally:
        context.close()
