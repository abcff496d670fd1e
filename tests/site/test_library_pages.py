"""Library pages: prompts rendered from Markdown, cases with their variables and provenance links."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from playwright.sync_api import expect

from runreport.site import BuildOptions
from runreport.site.librarypages import prompt_href
from runreport.site.names import safe_name

from conftest import FIXTURES, build  # noqa: F401


def soup(path):
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def test_library_index_lists_prompts_and_every_page_links_to_it(chunk_site):
    site = chunk_site[0]
    index = soup(site / "library.html")
    cards = index.select("li.prompt-card")
    assert [c["data-prompt"] for c in cards] == ["empty", "lead-summary"]
    lead = cards[1]
    assert lead.a["href"] == "prompts/" + safe_name("lead-summary") + ".html"
    assert "Summarise the leads" in lead.get_text()
    assert [c.get_text() for c in lead.select("code")] == ["many-leads", "two-leads"]
    for page in ("index.html", f"runs/{safe_name('r-big')}.html", "problems.html"):
        nav = soup(site / page).select_one("header.site nav")
        assert any(a.get_text() == "Library" for a in nav.select("a")), page


def test_prompt_page_renders_markdown_without_raw_html(chunk_site):
    site = chunk_site[0]
    page = soup(site / prompt_href("lead-summary"))
    md = page.select_one(".prompt-text .md")
    assert md.h1.get_text() == "Lead summary"
    assert md.strong.get_text() == "one line"
    assert [li.get_text() for li in md.select("li")][0] == "be brief"
    assert md.select_one("a")["href"] == "https://example.com/guide"
    assert md.find("script") is None and "&lt;script&gt;" in str(md)
    empty = soup(site / prompt_href("empty"))
    assert empty.select_one(".prompt-text").get_text(strip=True) == "No front matter here."


def test_cases_list_variables_with_provenance_links(chunk_site):
    site = chunk_site[0]
    page = soup(site / prompt_href("lead-summary"))
    cases = page.select("section.case")
    assert [c["data-case"] for c in cases] == ["many-leads", "two-leads"]
    two = cases[1]
    paths = [v["data-var"] for v in two.select(".var")]
    assert paths == ["step.elsewhere.output", "step.fetch_leads.output"]
    fetch = two.select(".var")[1]
    link = fetch.select_one("a.source")
    assert link["href"] == f"../runs/{safe_name('r-big')}.html#entry-e-small"
    assert (site / "prompts" / link["href"].split("#")[0]).resolve().is_file()
    gone = two.select(".var")[0]
    assert gone.select_one("a.source") is None and "(not in this site)" in gone.get_text()


def test_no_library_means_no_library_pages(tmp_path):
    out = tmp_path / "site"
    build([FIXTURES / "spec_example.jsonl"], out, BuildOptions(library=tmp_path / "missing"))
    assert not (out / "library.html").exists() and not (out / "prompts").exists()
    nav = soup(out / "index.html").select_one("header.site nav")
    assert "Library" not in nav.get_text()
    assert (out / "data" / "save.js").is_file()  # the Save dialog still offers new names


@pytest.mark.browser
def test_library_values_load_in_chunks_and_link_back_to_the_run(page, url, chunk_site):
    page.goto(url("chunks", prompt_href("lead-summary")))
    big = page.locator('[data-case="many-leads"] .var')
    big.locator("[data-act=section]").click()
    expect(big.locator(".sec-body > ol.items > li")).to_have_count(20)
    expect(big.locator(".chunk-status")).to_contain_text("20 of 2,000 items shown")
    big.locator(".chunks [data-act=more]").click()
    expect(big.locator(".sec-body > ol.items > li")).to_have_count(40)
    small = page.locator('[data-var="step.fetch_leads.output"]')
    small.locator("[data-act=section]").click()
    expect(small.locator(".sec-body > ol.items > li")).to_have_count(2)
    assert small.locator("[data-act=save-output]").count() == 0  # saving is for run entries
    small.locator("a.source").click()
    entry = page.locator('[data-entry-id="e-small"]')
    expect(entry.locator("details")).to_have_attribute("open", "")
    expect(entry.locator('[data-section="output"] ol.items > li')).to_have_count(20)
    assert page.page_errors == []
