"""The site in headless Chromium, each test from file:// and over HTTP under a sub-path."""

from __future__ import annotations

import re
import shutil

import pytest
from playwright.sync_api import expect

from runreport.site.names import safe_name

pytestmark = pytest.mark.browser


def run_path(run_id: str, fragment: str = "") -> str:
    return f"runs/{safe_name(run_id)}.html{fragment}"


def visible_ids(page, selector: str, attr: str) -> list[str]:
    return page.eval_on_selector_all(
        selector, f"els => els.filter(e => e.offsetParent !== null).map(e => e.getAttribute('{attr}'))")


def test_card_expands_its_log_and_an_entry_loads_its_data(page, url):
    page.goto(url("spec"))
    card = page.locator('[data-run-id="r-104"]')
    expand = card.locator("[data-act=expand]")
    expand.click()
    assert expand.get_attribute("aria-expanded") == "true"
    e3 = card.locator('[data-entry-id="e3"]')
    e3.locator("summary").click()
    # One section (Iteration Data): shown expanded, with its value as a key/value table.
    body = e3.locator(".sec-body")
    expect(body.locator("table.kv th")).to_have_text("id")
    assert body.is_visible()
    assert body.locator("table.kv td").inner_text() == "1"
    # The time was rewritten to the reader's local time, the UTC text kept as a tooltip.
    time = card.locator("time")
    assert time.get_attribute("title") == "2026-11-20 10:00:00 UTC"
    expand.click()
    assert not card.locator(".card-log").is_visible()
    assert page.page_errors == []


def test_several_sections_start_collapsed_and_toggle_with_ui_raw(page, url):
    page.goto(url("spec", run_path("r-104")))
    e1 = page.locator("#entry-e1")
    e1.locator("summary").click()
    toggles = e1.locator("[data-act=section]")
    assert toggles.all_inner_texts() == ["Step Input", "Step Output"]
    assert [t.get_attribute("aria-expanded") for t in toggles.all()] == ["false", "false"]
    assert e1.locator(".sec-body:visible").count() == 0
    output = e1.locator('[data-section="output"]')
    output.locator("[data-act=section]").click()
    assert output.locator("[data-act=section]").get_attribute("aria-expanded") == "true"
    expect(output.locator("ol.items > li")).to_have_count(2)
    raw = output.locator('[data-view="raw"]')
    raw.click()
    assert raw.get_attribute("aria-pressed") == "true"
    assert output.locator('[data-view="ui"]').get_attribute("aria-pressed") == "false"
    expect(output.locator(".raw")).to_be_visible()
    assert re.sub(r"\s", "", output.locator(".raw").inner_text()) == '[{"id":1},{"id":2}]'
    output.locator("[data-act=section]").click()  # the label toggles it closed again
    assert not output.locator(".sec-body").is_visible()


def test_copy_buttons_copy_their_value(page, url, scheme):
    page.goto(url("spec", run_path("r-104")))
    e1 = page.locator("#entry-e1")
    e1.locator("summary").click()
    expected = "https://api.example.com/leads?page=1"
    e1.locator("dd", has_text=expected).locator("[data-act=copy]").click()
    page.wait_for_function("t => window.__copied.includes(t)", arg=expected)
    if scheme == "http":
        page.wait_for_function("async t => (await navigator.clipboard.readText()) === t", arg=expected)
    expect(e1.locator("dd", has_text=expected).locator("[data-act=copy]")).to_contain_text("Copied")
    # The Raw view's copy button copies the pretty JSON.
    out = e1.locator('[data-section="output"]')
    out.locator('[data-view="raw"]').click()
    expect(out.locator(".raw")).to_be_visible()
    raw = out.locator(".raw").inner_text()
    out.locator("[data-act=copy-raw]").click()
    page.wait_for_function("t => window.__copied.includes(t)", arg=raw)
    # When the Clipboard API refuses (as file:// may), the copy falls back to execCommand.
    page.evaluate("() => { window.__denyClipboard = true; }")
    e1.locator("dd", has_text="GET").locator("[data-act=copy]").click()
    page.wait_for_function("() => window.__copied.includes('exec:GET')")


def test_deep_link_opens_and_scrolls_to_its_entry(page, url):
    page.set_viewport_size({"width": 800, "height": 300})
    page.goto(url("spec", run_path("r-104", "#entry-e4")))
    e4 = page.locator("#entry-e4")
    page.wait_for_function("() => document.querySelector('#entry-e4 details').open")
    expect(e4.locator(".sec-body table.kv")).to_be_visible()
    assert page.evaluate("() => { const r = document.querySelector('#entry-e4').getBoundingClientRect();"
                         " return r.top >= 0 && r.top < innerHeight; }")
    assert not page.locator("#entry-e1 details").evaluate("d => d.open")


def test_http_500_json_body_is_shown_parsed_in_error(page, url):
    page.goto(url("http500", run_path("h-1", "#entry-req")))
    req = page.locator("#entry-req")
    page.wait_for_function("() => document.querySelector('#entry-req details').open")
    error = req.locator('[data-section="error"]')
    error.locator("[data-act=section]").click()
    table = error.locator(".sec-body > table.kv")
    expect(table).to_be_visible()
    rows = dict(zip(table.locator(":scope > tbody > tr > th").all_inner_texts(),
                    table.locator(":scope > tbody > tr > td").all_inner_texts()))
    assert rows["status"] == "500"
    assert "x-request-id" in rows["headers"] and "rq-42" in rows["headers"]
    body = error.locator("td table.kv", has_text="upstream down")
    assert body.locator("th").all_inner_texts() == ["error", "code"]
    # Markdown strings render as HTML; plain strings stay text.
    md = page.locator("#entry-md")
    md.locator("summary").click()
    expect(md.locator(".md h1")).to_have_text("Weekly report")
    assert md.locator(".md a").get_attribute("href") == "https://example.com/docs"
    assert md.locator("td", has_text="just text").locator(".str").count() == 1


def test_a_runs_other_fields_open_in_ui_and_raw_views_and_copy(page, url):
    page.goto(url("run_fields", run_path("rf-1")))
    head = page.locator(".run-head")
    assert head.locator("[data-act=section]").all_inner_texts() == ["Trigger", "Other fields"]
    other = head.locator('[data-section="other"]')
    toggle = other.locator("[data-act=section]")
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    table = other.locator(".sec-body > table.kv")
    expect(table).to_be_visible()
    rows = dict(zip(table.locator(":scope > tbody > tr > th").all_inner_texts(),
                    table.locator(":scope > tbody > tr > td").all_inner_texts()))
    assert rows == {"region": "eu-west-1", "api_token": "[redacted]", "worker": "w-2", "exit_code": "3"}
    other.locator('[data-view="raw"]').click()
    raw = other.locator(".raw")
    expect(raw).to_be_visible()
    text = raw.inner_text()
    assert "eu-west-1" in text and "exit_code" in text and "xyz" not in text
    other.locator("[data-act=copy-raw]").click()
    page.wait_for_function("t => window.__copied.includes(t)", arg=text)
    toggle.click()  # the label folds it again
    assert not other.locator(".sec-body").is_visible()
    assert page.page_errors == []


def test_a_missing_data_file_shows_a_message_and_the_page_keeps_working(page, scheme, site, url, tmp_path):
    folder = site("spec")
    broken = folder.parent / f"spec-broken-{scheme}"
    if not broken.exists():
        shutil.copytree(folder, broken)
        for f in (broken / "data").glob("r-104-*/v-0.js"):
            f.unlink()
        for f in (broken / "data").glob("r-104-*/log.js"):
            f.write_text("this is not javascript {")
    page.goto(url(broken.name, run_path("r-104")))
    e3 = page.locator("#entry-e3")
    e3.locator("summary").click()
    expect(e3.locator(".load-error")).to_contain_text("Could not show this data")
    page.locator("[data-filter=rejected]").click()  # the rest still works
    assert page.locator("[data-run-count]").get_attribute("data-run-count") == "1"
    page.goto(url(broken.name))
    page.locator("[data-act=expand]").click()
    expect(page.locator(".card-log .load-error")).to_contain_text("damaged")


# --- filters ------------------------------------------------------------------------------


def test_filters_on_the_runs_page(page, url):
    page.goto(url("filters"))
    count = page.locator("[data-run-count]")
    assert count.get_attribute("data-run-count") == "4"
    assert visible_ids(page, "article.card", "data-run-id") == ["f-4", "f-3", "f-2", "f-1"]
    errors = page.locator("[data-filter=errors]")
    rejected = page.locator("[data-filter=rejected]")
    errors.click()
    assert errors.get_attribute("aria-pressed") == "true"
    page.wait_for_function("() => document.querySelectorAll('.matches article.card').length === 2")
    assert visible_ids(page, "article.card", "data-run-id") == ["f-4", "f-1"]
    assert count.get_attribute("data-run-count") == "2" and count.inner_text() == "2 runs"
    assert "filter=errors" in page.url
    # Entries of an expanded run: the error and its ancestors (the Loop) only.
    card = page.locator('.matches [data-run-id="f-1"]')
    card.locator("[data-act=expand]").click()
    page.wait_for_selector('.matches [data-run-id="f-1"] .entry', state="attached")
    assert visible_ids(page, '.matches [data-run-id="f-1"] .entry', "data-entry-id") == ["a1", "a2"]
    rejected.click()  # both: either kind
    page.wait_for_function("() => document.querySelectorAll('.matches article.card').length === 3")
    assert visible_ids(page, "article.card", "data-run-id") == ["f-4", "f-2", "f-1"]
    assert count.get_attribute("data-run-count") == "3"
    errors.click()  # rejected only
    page.wait_for_function("() => document.querySelectorAll('.matches article.card').length === 2")
    assert visible_ids(page, "article.card", "data-run-id") == ["f-4", "f-2"]
    assert "filter=rejected" in page.url
    # The state is in the URL: a reload (or a shared link) restores it.
    page.reload()
    assert page.locator("[data-filter=rejected]").get_attribute("aria-pressed") == "true"
    page.wait_for_function("() => document.querySelectorAll('.matches article.card').length === 2")
    page.locator("[data-filter=rejected]").click()
    assert visible_ids(page, "article.card", "data-run-id") == ["f-4", "f-3", "f-2", "f-1"]
    assert "?filter=" not in page.url


def test_filters_on_a_run_page_keep_ancestors_and_say_when_nothing_matches(page, url):
    page.goto(url("filters", run_path("f-2", "?filter=rejected")))
    assert page.locator("[data-filter=rejected]").get_attribute("aria-pressed") == "true"
    assert visible_ids(page, ".entry", "data-entry-id") == ["r1", "r2"]
    assert visible_ids(page, "[data-automation]", "data-automation") == ["Review"]
    page.locator("[data-filter=errors]").click()
    assert visible_ids(page, ".entry", "data-entry-id") == ["r1", "r2"]
    page.locator("[data-filter=rejected]").click()  # errors only: f-2 has none
    assert page.get_by_text("No matching runs.").is_visible()
    assert page.locator("[data-run-count]").get_attribute("data-run-count") == "0"
    assert visible_ids(page, ".entry", "data-entry-id") == []


def test_composer_page_filter_hides_runs_and_shows_the_empty_message(page, url):
    page.goto(url("filters", f"composers/{safe_name('Beta')}.html"))
    assert visible_ids(page, "article.card", "data-run-id") == ["f-4", "f-3"]
    page.locator("[data-filter=rejected]").click()
    page.wait_for_function("() => document.querySelectorAll('.matches article.card').length === 1")
    assert visible_ids(page, "article.card", "data-run-id") == ["f-4"]
    page.goto(url("http500", f"composers/{safe_name('Webhook relay')}.html?filter=rejected"))
    assert page.get_by_text("No matching runs.").is_visible()
    assert page.locator("[data-run-count]").get_attribute("data-run-count") == "0"


# --- hostile input ------------------------------------------------------------------------------


def test_hostile_input_runs_no_script(page, url, site):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    folder = site("hostile")
    pages = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.html"))
    for path in pages:
        page.goto(url("hostile", path))
        click_all = "sel => document.querySelectorAll(sel).forEach(b => b.click())"
        page.evaluate(click_all, "[data-act=expand]")
        page.wait_for_timeout(150)
        page.evaluate(click_all, "summary")
        page.wait_for_timeout(150)
        page.evaluate(click_all, "[data-act=section][aria-expanded=false]")
        page.wait_for_timeout(150)
        page.evaluate(click_all, '[data-view="raw"]')
        page.evaluate(click_all, '[data-view="ui"]')
        page.wait_for_timeout(100)
        assert page.evaluate("() => window.__pwned") is None, path
        handlers = page.evaluate(
            "() => [...document.querySelectorAll('*')].flatMap(e => [...e.attributes]"
            ".filter(a => a.name.startsWith('on')).map(a => e.tagName + ' ' + a.name))")
        assert handlers == [], path
        bad = page.evaluate("() => [...document.querySelectorAll('[href],[src]')].map(e => "
                            "e.getAttribute('href') || e.getAttribute('src'))"
                            ".filter(v => /^\\s*(javascript|data|vbscript):/i.test(v))")
        assert bad == [], path
        assert page.locator("img").count() == 0, path
        if path.startswith("runs/"):
            # The hostile Markdown was rendered, minus its dangers.
            expect(page.locator(".md h1").first).to_have_text("Hi")
            assert page.locator(".md a").count() == 0  # every link of it was unsafe
    assert dialogs == []


def test_an_entry_opened_before_the_script_ran_still_gets_its_data(browser, site, http_root):
    """A reader can open an entry while the deferred script is still loading."""
    page = browser.new_page()
    held = []
    page.route("**/runreport.js", lambda route: held.append(route))
    site("spec")
    page.goto(f"{http_root}/sub/spec/{run_path('r-104')}", wait_until="commit")
    page.locator('[data-entry-id="e3"] > details > summary').click()  # native <details>, no script yet
    page.wait_for_timeout(100)
    assert held, "the page script was not requested"
    for route in held:
        route.continue_()
    body = page.locator('[data-entry-id="e3"] .sec-body')
    expect(body.locator("table.kv th")).to_have_text("id")
    page.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_step_data_keeps_its_words_whole_on_a_phone_and_a_desktop(browser, site, width):
    # A value nested in an object was squeezed to one letter a line on a 390 px screen,
    # and a Markdown table ran off the right edge.
    folder = site("samples")
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        page.goto((folder / "runs" / f"{safe_name('r1117-export-01')}.html").as_uri())
        entry = page.locator("#entry-e002")
        expect(entry).to_contain_text("Build export")
        entry.locator("summary").first.click()
        entry.locator('[data-section="output"] [data-act=section]').click()
        nested = entry.locator(".kv .kv td").first
        expect(nested).to_be_visible()
        cells = entry.locator(".kv .kv td").evaluate_all("tds => tds.map(td => [td.innerText, td.clientHeight])")
        line_height = page.evaluate("() => parseFloat(getComputedStyle(document.body).lineHeight) || 20")
        # No short value wraps: each word of a nested value fits on its line.
        assert all(h < 2.5 * line_height for text, h in cells if len(text) <= 12), cells
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width

        page.goto((folder / "runs" / f"{safe_name('r1116-digest-01')}.html").as_uri())
        digest = page.locator(".entry", has_text="Write digest").first
        digest.locator("summary").first.click()
        section = digest.locator('[data-section="output"]')
        if section.locator("[data-act=section]").get_attribute("aria-expanded") != "true":
            section.locator("[data-act=section]").click()
        md = section.locator(".md").first
        expect(md).to_contain_text("By region")
        body = section.locator(".sec-body").bounding_box()
        # The Markdown (its table scrolls on its own when too wide) stays inside the section.
        assert md.bounding_box()["x"] + md.bounding_box()["width"] <= body["x"] + body["width"] + 1
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    finally:
        context.close()


def test_times_are_shown_in_the_readers_zone_and_name_it(browser, site):
    folder = site("spec")
    context = browser.new_context(timezone_id="Asia/Tokyo", locale="en-US")
    try:
        page = context.new_page()
        page.goto((folder / "runs" / f"{safe_name('r-104')}.html").as_uri())
        when = page.locator(".run-meta time")
        # Without the script: "2026-11-20 10:00:00 UTC"; with it, Tokyo time, zone named.
        expect(when).to_have_attribute("data-local", "")
        assert when.get_attribute("title") == "2026-11-20 10:00:00 UTC"
        assert when.inner_text() == "Nov 20, 2026, 07:00:00 PM GMT+9"
    finally:
        context.close()


def test_a_run_page_shows_the_input_problem_count_from_its_data_file(page, url):
    page.goto(url("problems"))
    page.locator(".card a").first.click()
    banner = page.locator("body > .banner")
    expect(banner).to_contain_text("The input had")
    expect(banner.locator("a")).to_have_attribute("href", "../problems.html")


def test_a_run_page_of_an_input_without_problems_drops_the_problems_link(page, url):
    page.goto(url("spec", run_path("r-104")))
    expect(page.locator(".run-log")).to_be_visible()
    expect(page.locator('header.site a[href$="problems.html"]')).to_have_count(0)
    expect(page.locator("body > .banner")).to_have_count(0)
