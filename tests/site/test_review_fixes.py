"""Regressions of a review of the generated site: strict CSP, accessibility, phones,
the Raw view, filters, match-index cards, reading without JavaScript, the Save dialog."""

from __future__ import annotations

import functools
import http.server
import json
import threading

import pytest
from bs4 import BeautifulSoup
from playwright.sync_api import expect

from runreport.site.names import safe_name

from conftest import build

pytestmark = pytest.mark.browser

STRICT_CSP = "default-src 'self'"

#: Records CSP violations the page reports (the console message is checked as well).
WATCH_CSP = """
    window.__csp = [];
    document.addEventListener('securitypolicyviolation',
        e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def run_path(run_id: str, fragment: str = "") -> str:
    return f"runs/{safe_name(run_id)}.html{fragment}"


@pytest.fixture(scope="module")
def strict_root(www):
    """Base URL of a static server that sends `Content-Security-Policy: default-src 'self'`."""

    class Strict(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def end_headers(self):
            self.send_header("Content-Security-Policy", STRICT_CSP)
            super().end_headers()

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Strict, directory=str(www)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(params=["file", "strict-http"])
def strict_url(request, site, strict_root):
    """url(site_name, path) from file:// (the page's <meta> CSP) or a server sending a strict CSP."""

    def make(name: str, path: str = "index.html") -> str:
        folder = site(name)
        if request.param == "file":
            return folder.as_uri() + "/" + path
        return f"{strict_root}/sub/{name}/{path}"

    return make


LONG_LABEL = "customer_billing_reconciliation_account_identifier_used_by_the_finance_team"
LONG_URL = "https://api.example.com/v2/customers/" + "segment/" * 12 + "export?format=json&page=1"
NESTED = {"lead": {"name": "Ada \"A\" Lovelace", "tags": ["vip", "new"], "score": 9.5,
                   "active": True, "notes": None, "empty": {}, "none": []},
          "count": 2}


def review_records() -> list[dict]:
    """A small run with what the review found hard: a long array, long labels, nesting."""
    run, t = "rv-1", "2026-11-21T09:00:0{}Z"
    return [
        {"v": 1, "type": "run", "run_id": run, "composer": "Review fixture", "mode": "test",
         "started_at": t.format(0)},
        {"type": "step", "run_id": run, "entry_id": "many", "name": "List contacts", "status": "success",
         "kind": "http", "output": [{"id": i} for i in range(45)]},
        {"type": "step", "run_id": run, "entry_id": "long", "name": "Reconcile", "status": "success",
         "kind": "http", "summary": {LONG_LABEL: LONG_URL, "url": LONG_URL},
         "input": {"url": LONG_URL}, "output": NESTED},
        {"type": "step", "run_id": run, "entry_id": "huge", "name": "Count", "status": "success",
         "output": list(range(12_000))},
        {"type": "run_end", "run_id": run, "ended_at": t.format(7)},
    ]


@pytest.fixture(scope="module")
def review_site(www):
    """The review fixture site, www/sub/review/ (served by the test servers too)."""
    out = www / "sub" / "review"
    if not (out / "index.html").exists():
        log = www / "review.jsonl"
        log.write_text("".join(json.dumps(r) + "\n" for r in review_records()))
        build([log], out)
    return out


@pytest.fixture
def review_url(review_site, scheme, http_root):
    def make(path: str = "index.html") -> str:
        if scheme == "file":
            return review_site.as_uri() + "/" + path
        return f"{http_root}/sub/review/{path}"

    return make


def open_section(page, entry_id: str, key: str, view: str = "ui"):
    """Open an entry and one of its sections (in the given view); returns the section."""
    entry = page.locator(f'[data-entry-id="{entry_id}"]')
    if not entry.locator(":scope > details").evaluate("d => d.open"):
        entry.locator("summary").click()
    sec = entry.locator(f'[data-section="{key}"]')
    sec.locator(f'[data-view="{view}"]').click()
    expect(sec.locator(".sec-body")).to_be_visible()
    expect(sec.locator(".sec-body")).not_to_contain_text("Loading")
    return sec


def painted(page, locator) -> bool:
    """True when the element draws something: hiding it changes its pixels."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    assert box and box["width"] > 0 and box["height"] > 0
    before = page.screenshot(clip=box)
    locator.evaluate("e => { e.style.visibility = 'hidden'; }")
    after = page.screenshot(clip=box)
    locator.evaluate("e => { e.style.visibility = ''; }")
    return before != after


# --- 1. icons under a strict Content-Security-Policy -------------------------------------


@pytest.mark.parametrize("scheme_name", ["light", "dark"])
def test_icons_show_under_a_strict_csp_header(browser, strict_url, scheme_name):
    context = browser.new_context(color_scheme=scheme_name, reduced_motion="reduce")
    context.add_init_script(WATCH_CSP)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    try:
        page.goto(strict_url("spec"))
        card = page.locator('[data-run-id="r-104"]')
        assert painted(page, card.locator(".ic").first)  # the run's status icon
        assert painted(page, card.locator(".chev"))  # the Step log chevron
        assert painted(page, page.locator("[data-filter=errors] .ic"))
        page.goto(strict_url("spec", run_path("r-104", "#entry-e1")))
        e1 = page.locator("#entry-e1")
        expect(e1.locator("[data-act=section]").first).to_be_visible()
        # An entry's status icon is drawn before its status text: hiding the text keeps it.
        status = e1.locator("summary > [class^=ic-]")
        status.evaluate("i => { i.style.color = 'transparent'; }")
        assert painted(page, status)
        # The section toggle's chevron is a ::before: hiding the button's text keeps it.
        toggle = e1.locator("[data-act=section]").first
        toggle.evaluate("b => { b.style.color = 'transparent'; }")
        assert painted(page, toggle)
        assert page.evaluate("() => window.__csp") == []
        assert [m for m in console if "Content Security Policy" in m or "violates" in m] == []
    finally:
        context.close()


def test_pages_allow_no_data_urls():
    from runreport.site.build import CSP

    assert "data:" not in CSP and "default-src 'self'" in CSP


# --- 2. Load more of a long array is not inside the list ------------------------------------


def test_long_array_load_more_sits_after_the_list_and_passes_axe(page, review_url):
    from axe_playwright_python.sync_playwright import Axe

    page.goto(review_url(run_path("rv-1")))
    sec = open_section(page, "many", "output")
    items = sec.locator("ol.items")
    expect(items.locator(":scope > li")).to_have_count(20)
    assert items.locator(":scope > :not(li)").count() == 0
    more = sec.locator("[data-act=more]")
    expect(more).to_have_text("Load more (25 more items)")
    more.click()
    expect(items.locator(":scope > li")).to_have_count(40)
    expect(more).to_have_text("Load more (5 more items)")
    assert items.locator(":scope > :not(li)").count() == 0
    results = Axe().run(page, context=".run-log", options={"runOnly": ["list", "listitem"]})
    assert results.response["violations"] == []
    more.click()
    expect(items.locator(":scope > li")).to_have_count(45)
    expect(sec.locator("[data-act=more]")).to_have_count(0)
    assert page.page_errors == []


# --- 3. summary rows fit a phone ------------------------------------------------------------


def test_long_summary_labels_and_urls_fit_a_phone(page, review_url):
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(review_url(run_path("rv-1", "#entry-long")))
    entry = page.locator("#entry-long")
    page.wait_for_function("() => document.querySelector('#entry-long details').open")
    for key in ("input", "output"):
        open_section(page, "long", key)
    open_section(page, "long", "input", "raw")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    # Every value and its Copy button stay inside the entry.
    right = entry.locator(":scope > details").bounding_box()
    right = right["x"] + right["width"]
    for node in entry.locator(".rows dd code, .rows .copy, .rows dt").all():
        box = node.bounding_box()
        assert box["x"] + box["width"] <= right + 0.5, node.inner_text()


# --- 4. the Raw view: inside its entry, a collapsible JSON tree -------------------------------


def right_edge(locator) -> float:
    box = locator.bounding_box()
    return box["x"] + box["width"]


def test_raw_view_is_a_collapsible_json_tree_inside_the_entry(page, review_url):
    page.goto(review_url(run_path("rv-1", "#entry-long")))
    sec = open_section(page, "long", "output", "raw")
    tree = sec.locator(".json-tree")
    expect(tree).to_be_visible()
    # All open, the tree reads as the pretty-printed JSON, keys and strings quoted.
    assert tree.inner_text() == json.dumps(NESTED, indent=2, ensure_ascii=False)
    assert tree.evaluate("t => getComputedStyle(t).fontFamily").startswith("ui-monospace")
    # The box ends at the entry's border, not past it.
    entry = page.locator("#entry-long > details")
    assert right_edge(sec.locator(".sec-body")) <= right_edge(entry) + 0.5
    assert right_edge(tree) <= right_edge(entry) + 0.5
    # Objects and arrays fold: a folded node says what it holds.
    lead = tree.locator("details.jt", has=page.locator(':scope > summary .jt-key:text-is(\'"lead"\')'))
    lead.locator(":scope > summary").click()
    expect(lead.locator(":scope > summary")).to_have_text('"lead": {…}, 7 keys')
    assert '"name"' not in tree.inner_text()
    lead.locator(":scope > summary").click()
    assert json.loads(tree.inner_text()) == NESTED
    # Copy copies the exact JSON text, whatever is folded.
    tree.locator("details.jt").first.locator(":scope > summary").click()
    sec.locator("[data-act=copy-raw]").click()
    page.wait_for_function("t => window.__copied.includes(t)", arg=json.dumps(NESTED, indent=2))
    # Opening a node of the tree does not redraw the section (it stays folded as left).
    tree.locator("details.jt").first.locator(":scope > summary").click()
    tags = tree.locator("details.jt", has=page.locator(':scope > summary .jt-key:text-is(\'"tags"\')'))
    tags.locator(":scope > summary").click()
    page.wait_for_timeout(100)
    expect(tags).not_to_have_attribute("open", "")
    assert page.page_errors == []



def test_raw_view_of_a_value_too_long_for_a_tree_shows_its_text(page, review_url):
    page.goto(review_url(run_path("rv-1", "#entry-huge")))
    sec = open_section(page, "huge", "output", "raw")
    expect(sec.locator(".note")).to_have_text("A large value: shown as its JSON text.")
    assert sec.locator(".json-tree").count() == 0
    assert json.loads(sec.locator("pre.raw").inner_text()) == list(range(12_000))


# --- 5. a filtered run page keeps its iteration dividers ---------------------------------------


def visible_texts(page, selector: str) -> list[str]:
    return page.eval_on_selector_all(
        selector, "els => els.filter(e => e.offsetParent !== null).map(e => e.textContent)")


def test_filtered_run_page_shows_the_divider_of_a_kept_iteration(page, url):
    page.goto(url("samples", run_path("r1118-lead-03", "?filter=rejected")))
    rejected = page.locator(".entry:visible", has_text="Approve lead")
    expect(rejected).to_have_count(1)
    expect(rejected.locator("[data-badge=iteration]")).to_have_text("iteration 2")
    # The divider of iteration 2 sat on its (hidden) first entry; it now heads the kept one.
    assert visible_texts(page, ".divider") == ["iteration 2"]
    expect(rejected.locator(":scope > .divider")).to_be_visible()
    page.locator("[data-filter=rejected]").click()  # filter off: the dividers as built
    assert visible_texts(page, ".divider") == ["iteration 2", "iteration 3", "iteration 4"]
    assert page.locator(".divider[data-moved]").count() == 0
    assert page.page_errors == []


# --- 6. cards of a filtered listing read like the page's own cards --------------------------------


#: A card's text: its meta line exactly, all it shows without the template's line breaks.
CARD_TEXT = """c => [c.querySelector('.card-meta').textContent,
                     c.innerText.replace(/\\s+/g, '')]"""


def test_filtered_listing_cards_match_the_server_rendered_ones(page, url):
    page.goto(url("filters"))
    built = {run: page.locator(f'.cards [data-run-id="{run}"]').evaluate(CARD_TEXT)
             for run in ("f-4", "f-2", "f-1")}
    assert " · 4 s · 4 entries · f-1 · " in built["f-1"][0]
    page.locator("[data-filter=errors]").click()
    page.locator("[data-filter=rejected]").click()
    page.wait_for_function("() => document.querySelectorAll('.matches article.card').length === 3")
    for run, text in built.items():
        assert page.locator(f'.matches [data-run-id="{run}"]').evaluate(CARD_TEXT) == text
    assert page.page_errors == []


# --- 7. without JavaScript: step data and runs can still be opened ------------------------------------


@pytest.fixture
def no_js_page(browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_without_javascript_each_step_links_to_its_data_and_cards_to_their_run(no_js_page, url):
    page = no_js_page
    page.goto(url("spec"))
    card = page.locator('[data-run-id="r-104"]')
    expect(card.locator("[data-act=expand]")).to_be_hidden()
    card.get_by_role("link", name="Open run").click()
    expect(page.locator("h1")).to_have_text("Lead enrichment")
    assert "r-104" in page.url
    e1 = page.locator("#entry-e1")
    link = e1.get_by_role("link", name="Open this step's data (raw JSON)")
    expect(link).to_be_hidden()  # inside the closed entry
    e1.locator("summary").click()
    expect(link).to_be_visible()
    link.click()
    text = page.locator("body").inner_text()
    assert text.startswith("RunReport.receive(") and '"e1":{"sections":' in text
    assert "https://api.example.com/leads?page=1" in text


def test_with_javascript_the_no_script_links_stay_out_of_sight(page, url):
    page.goto(url("spec"))
    expect(page.get_by_role("link", name="Open run")).to_have_count(0)
    page.goto(url("spec", run_path("r-104", "#entry-e1")))
    expect(page.locator("#entry-e1 .sec").first).to_be_visible()
    expect(page.get_by_role("link", name="Open this step's data (raw JSON)")).to_have_count(0)
    # A card shows the run page's log markup: without its no-script links and anchors.
    page.goto(url("spec"))
    card = page.locator('.card[data-run-id="r-104"]')
    card.get_by_role("button", name="Step log").click()
    expect(card.locator(".entry").first).to_be_visible()
    assert card.locator("noscript, .card-log [id]").count() == 0
    expect(page.get_by_role("link", name="Open this step's data (raw JSON)")).to_have_count(0)


def test_no_script_links_point_at_the_entries_values_files(site):
    folder = site("spec")
    run = folder / run_path("r-104")
    soup = BeautifulSoup(run.read_text(encoding="utf-8"), "html.parser")
    for entry in soup.select("li.entry[data-v]"):
        link = BeautifulSoup(entry.find("noscript").decode_contents(), "html.parser").a
        assert link.get_text() == "Open this step's data (raw JSON)"
        target = (run.parent / link["href"]).resolve()
        assert target.name == f"v-{entry['data-v']}.js"
        assert f'"{entry["data-entry-id"]}":' in target.read_text(encoding="utf-8")


# --- 8. the Save dialog opens ready, without an error -------------------------------------------------


def open_save_dialog(page, entry_id: str):
    sec = open_section(page, entry_id, "output")
    sec.locator("[data-act=save-output]").click()
    dialog = page.locator("dialog.save-dialog")
    expect(dialog).to_be_visible()
    return dialog


def test_save_dialog_opens_on_the_first_prompt_and_case_with_the_command(page, url, chunk_site):
    import shlex

    site, log, library = chunk_site
    page.goto(url("chunks", run_path("r-big")))
    dialog = open_save_dialog(page, "e-small")
    # "empty" has no test case: the first prompt that has one is chosen, with its first case.
    expect(page.get_by_label("Prompt", exact=True)).to_have_value("lead-summary")
    expect(page.get_by_label("Test case", exact=True)).to_have_value("many-leads")
    expect(dialog.locator(".save-problem")).to_be_hidden()
    expected = shlex.join(["runreport", "library", "save", "--run", "r-big", "--entry", "e-small",
                           "--prompt", "lead-summary", "--case", "many-leads",
                           "--library", str(library), str(log)])
    expect(dialog.locator("#rr-save-command")).to_have_text(expected)
    expect(dialog.locator(".save-download")).to_be_visible()
    # A problem shows once the reader makes one.
    page.get_by_label("Variable path").fill("not a path")
    expect(dialog.locator(".save-problem")).to_contain_text("variable path")
    expect(dialog.locator("#rr-save-command")).to_be_hidden()
    assert page.page_errors == []


def test_save_dialog_without_a_library_opens_neutral(page, url):
    page.goto(url("spec", run_path("r-104")))
    dialog = open_save_dialog(page, "e1")
    expect(page.get_by_label("Prompt", exact=True)).to_have_value("\u0000new")
    expect(page.get_by_label("New prompt name")).to_be_visible()
    expect(dialog.locator(".save-problem")).to_be_hidden()
    expect(dialog.locator(".save-hint")).to_be_visible()
    expect(dialog.locator("#rr-save-command")).to_be_hidden()
    page.get_by_label("New prompt name").fill("triage")
    page.get_by_label("New test case name").fill("first")
    expect(dialog.locator("#rr-save-command")).to_contain_text(
        "--prompt triage --case first --create")
    expect(dialog.locator(".save-problem")).to_be_hidden()
    expect(dialog.locator(".save-hint")).to_be_hidden()
    assert page.page_errors == []


# --- 9. the filter in the URL reads as written ----------------------------------------------------------


def test_filter_url_writes_a_plain_comma_and_reads_both_forms(page, url):
    page.goto(url("filters"))
    page.locator("[data-filter=errors]").click()
    page.locator("[data-filter=rejected]").click()
    assert page.url.endswith("index.html?filter=errors,rejected")
    page.goto(url("filters", "index.html?filter=errors%2Crejected"))
    expect(page.locator('[data-filter=errors][aria-pressed="true"]')).to_have_count(1)
    expect(page.locator('[data-filter=rejected][aria-pressed="true"]')).to_have_count(1)
    page.wait_for_function("() => document.querySelectorAll('.matches article.card').length === 3")
    page.locator("[data-filter=errors]").click()
    assert page.url.endswith("index.html?filter=rejected")
    page.locator("[data-filter=rejected]").click()
    assert page.url.endswith("index.html")


# --- live pages: the run header and the problems banner follow a newer build ------------------------


def test_live_pages_update_the_run_header_and_the_problems_banner(tmp_path, browser):
    from runreport import pipeline
    from runreport.site import build_site

    run = "live-h"
    start = {"v": 1, "type": "run", "run_id": run, "composer": "Live header", "mode": "test",
             "started_at": "2026-11-20T10:00:00Z"}
    step = {"type": "step", "run_id": run, "entry_id": "e1", "name": "Fetch", "status": "running"}
    end = {"type": "run_end", "run_id": run, "ended_at": "2026-11-20T10:00:05Z",
           "error": {"type": "Timeout", "message": "gave up after 5 s"}, "exit_code": 3}
    log, out = tmp_path / "run.jsonl", tmp_path / "site"
    log.write_text(json.dumps(start) + "\n" + json.dumps(step) + "\n")
    build_site(pipeline.load([str(log)]), out)
    context = browser.new_context()
    errors: list[str] = []
    pages = []
    for path in (run_path(run), "index.html"):
        p = context.new_page()
        p.set_default_timeout(12_000)
        p.on("pageerror", lambda e: errors.append(str(e)))
        p.goto((out / path).as_uri())
        pages.append(p)
    run_page, runs_page = pages
    try:
        assert run_page.locator(".run-meta .took").count() == 0
        assert run_page.locator(".run-error, .banner").count() == 0
        run_page.wait_for_timeout(400)  # the first build stamp seen is the page's own
        with open(log, "a", encoding="utf-8") as f:
            f.write(json.dumps(end) + "\nthis line is not JSON\n")
        build_site(pipeline.load([str(log)]), out)
        expect(run_page.locator(".run-meta .status")).to_have_text("Failed")
        expect(run_page.locator(".run-meta .took")).to_have_text("took 5 s")
        expect(run_page.locator(".run-meta")).to_contain_text(" · took 5 s · ")
        expect(run_page.locator(".run-error")).to_have_text("Run error: Timeout: gave up after 5 s")
        for p in pages:  # (a problem line, and the step still running at the run's end)
            expect(p.locator(".banner")).to_have_text(
                "The input had 2 problems: see the Problems page.")
            expect(p.get_by_role("navigation", name="Site").get_by_role("link", name="Problems")
                   ).to_have_count(1)
            assert p.locator(".banner a").get_attribute("href").endswith("problems.html")
        # The Run Error section the new build has shows its value.
        run_page.get_by_role("button", name="Run Error").click()
        expect(run_page.locator('.run-data [data-section="error"] .sec-body')).to_contain_text(
            "gave up after 5 s")
        run_page.get_by_role("button", name="Run Error").click()
        # So does the Other fields section of the run_end's field the format does not define.
        run_page.get_by_role("button", name="Other fields").click()
        expect(run_page.locator('.run-data [data-section="other"] .sec-body')).to_contain_text("exit_code")
        run_page.get_by_role("button", name="Other fields").click()
        # Once the page is reloaded it reads the same as the live one.
        live = [run_page.locator(sel).inner_text() for sel in (".run-head", ".banner", "nav")]
        run_page.reload()
        assert [run_page.locator(sel).inner_text() for sel in (".run-head", ".banner", "nav")] == live
        assert errors == []
    finally:
        context.close()
