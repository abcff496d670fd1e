"""The generated pages, read as HTML: every page kind, every data-* hook, safety rules."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from playwright.sync_api import expect

from runreport import pipeline
from runreport.model import RUN_STATUSES, ENTRY_STATUSES, GROUP_STATUSES
from runreport.site.names import entry_anchor, safe_name

from conftest import SAMPLE_RUNS, build, data_payload


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def html_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.html"))


def run_page(folder: Path, run_id: str) -> BeautifulSoup:
    return soup(folder / "runs" / f"{safe_name(run_id)}.html")


# --- the spec's example --------------------------------------------------------


def test_spec_example_run_page_shows_groups_badges_and_lineage(site):
    page = run_page(site("spec"), "r-104")
    groups = {g["data-automation"]: g["data-status"] for g in page.select("[data-automation]")}
    assert groups == {"Ingest": "success", "Enrich": "rejected"}
    e3 = page.select_one('[data-entry-id="e3"]')
    assert e3["data-status"] == "rejected" and e3["data-own-status"] == "rejected"
    assert [b.get_text() for b in e3.select("[data-badge]")] == ["iteration 1"]
    assert e3.select_one("[data-badge]")["data-badge"] == "iteration"
    assert e3.select_one("summary > .l").get_text() == "For each lead › Approve lead"
    e2 = page.select_one('[data-entry-id="e2"]')
    assert e2["data-status"] == "success" and not e2.select("summary > .l")
    e1 = page.select_one('[data-entry-id="e1"]')
    assert [b.get_text() for b in e1.select('[data-badge="page"]')] == ["page 1"]
    assert page.select_one("[data-run-count]")["data-run-count"] == "1"
    assert "Completed" in page.select_one(".run-meta").get_text()
    assert page.select_one(".run-meta time")["datetime"] == "2026-11-20T10:00:00Z"
    assert "took 9 s" in page.select_one(".run-meta").get_text()


def test_entry_sections_follow_the_one_or_several_rule(site, page, url):
    # The page names an entry's sections; the script adds their toggles when it opens.
    assert run_page(site("spec"), "r-104").select_one('[data-entry-id="e1"]')["data-sec"] == "input output"
    page.goto(url("spec", f"runs/{safe_name('r-104')}.html"))
    page.locator("#entry-e1 summary").click()
    # e1 (HTTP) has Step Input and Step Output: both start collapsed.
    e1 = page.locator('[data-entry-id="e1"] [data-act="section"]')
    expect(e1).to_have_count(2)
    assert [b.get_attribute("aria-expanded") for b in e1.all()] == ["false", "false"]
    # e3 has only Iteration Data: it starts expanded.
    page.locator("#entry-e3 summary").click()
    e3 = page.locator('[data-entry-id="e3"] [data-act="section"]')
    expect(e3).to_have_text(["Iteration Data"])
    assert e3.get_attribute("aria-expanded") == "true"


def test_summary_rows_have_copy_buttons_with_their_value(site, page, url):
    e1 = run_page(site("spec"), "r-104").select_one('[data-entry-id="e1"]')
    rows = {dt.get_text(): dd.select_one("code").get_text()
            for dt, dd in zip(e1.select("dt"), e1.select("dd"))}
    assert rows == {"Method": "GET", "URL": "https://api.example.com/leads?page=1", "Status code": "200"}
    # Copy buttons are added by the script when the entry is opened, one per row.
    page.goto(url("spec", f"runs/{safe_name('r-104')}.html"))
    page.locator("#entry-e1 summary").click()
    buttons = page.locator("#entry-e1 dd [data-act=copy]")
    expect(buttons).to_have_count(3)
    assert [b.locator("xpath=..").locator("code").inner_text() for b in buttons.all()] == list(rows.values())


def test_edit_link_fills_the_editor_template_url_encoded(site):
    page = run_page(site("spec"), "r-104")
    edit = page.select_one('[data-entry-id="e3"] a.edit')
    # The spec example has no composer_id: no Edit link may point at a broken URL.
    assert edit is None
    # Entries whose placeholders all have values do get one (see the CLI test with composer_id).


def test_entries_are_native_details_with_safe_anchors(site):
    page = run_page(site("spec"), "r-104")
    for entry in page.select("[data-entry-id]"):
        assert entry["id"] == f"entry-{entry['data-entry-id']}"
        assert entry.select_one("details > summary")


def test_runs_page_cards_carry_every_hook(site):
    index = soup(site("spec") / "index.html")
    (card,) = index.select("[data-run-id]")
    assert (card["data-run-id"], card["data-status"], card["data-mode"]) == ("r-104", "completed", "test")
    assert "Completed" in card.get_text() and "Test" in card.get_text()
    assert card.select_one("time")["datetime"] == "2026-11-20T10:00:00Z"
    assert card.select_one("time").get_text() == "2026-11-20 10:00:00 UTC"
    link = card.select_one("h2 a")["href"]
    assert (site("spec") / link).is_file()
    assert card.select_one("[data-act=expand]")["aria-expanded"] == "false"
    assert index.select_one("[data-run-count]")["data-run-count"] == "1"


# --- sample_runs -----------------------------------------------------------------


@pytest.fixture(scope="module")
def samples(site):
    folder = site("samples")
    loaded = pipeline.load([SAMPLE_RUNS])
    return folder, loaded


def test_every_sample_run_has_a_card_and_a_page_with_every_hook(samples):
    folder, loaded = samples
    cards = []
    page_path = folder / "index.html"
    while page_path:
        page = soup(page_path)
        cards += page.select("article.card")
        nxt = page.select_one("a[rel=next]")
        page_path = (page_path.parent / nxt["href"]).resolve() if nxt else None
    assert [c["data-run-id"] for c in cards] == [r.run_id for r in loaded.index]
    for c, row in zip(cards, loaded.index):
        assert c["data-status"] == row.status and c["data-status"] in RUN_STATUSES
        assert c["data-mode"] == row.mode
    for run in loaded.runs():
        page = run_page(folder, run.run_id)
        groups = page.select("[data-automation]")
        assert [(g["data-automation"], g["data-status"]) for g in groups] == \
            [(g.automation, g.status) for g in run.groups]
        assert all(g["data-status"] in GROUP_STATUSES for g in groups)
        shown = page.select("[data-entry-id]")
        assert sorted(e["data-entry-id"] for e in shown) == sorted(e.entry_id for e in run.entries)
        by_id = run.entries_by_id
        for node in shown:
            entry = by_id[node["data-entry-id"]]
            assert node["data-status"] == entry.display_status in ENTRY_STATUSES
            assert node["data-own-status"] == entry.status
            assert [b.get_text() for b in node.select("[data-badge]")] == list(entry.badges)
            for b in node.select("[data-badge]"):
                assert re.fullmatch(r"(iteration|page) \d+", b.get_text())
                assert b.get_text().startswith(b["data-badge"] + " ")


def test_one_composer_page_per_composer_listing_only_its_runs(samples):
    folder, loaded = samples
    composers = {r.composer for r in loaded.index}
    pages = sorted((folder / "composers").glob("*.html"))
    assert len(pages) == len(composers)  # sample composers have fewer than 100 runs each
    for composer in composers:
        page = soup(folder / "composers" / f"{safe_name(composer)}.html")
        assert page.select_one("h1").get_text() == composer
        ids = [c["data-run-id"] for c in page.select("[data-run-id]")]
        assert ids == [r.run_id for r in loaded.index if r.composer == composer]
        assert page.select_one("[data-run-count]")["data-run-count"] == str(len(ids))


def test_no_inline_script_style_or_handlers_in_any_page(samples, site):
    for folder in (samples[0], site("hostile")):
        for path in html_files(folder):
            page = soup(path)
            for script in page.find_all("script"):
                assert script.get("src") and not script.string, path
            for tag in page.find_all(True):
                assert "style" not in tag.attrs, (path, tag.name)
                assert not [a for a in tag.attrs if a.lower().startswith("on")], (path, tag.name)
            csp = page.select_one('meta[http-equiv="Content-Security-Policy"]')["content"]
            assert "default-src 'self'" in csp


def test_links_are_relative_and_resolve(samples):
    folder, _ = samples
    for path in html_files(folder):
        page = soup(path)
        for node in page.select("[href], [src]"):
            ref = node.get("href") or node.get("src")
            if ref.startswith("#"):
                continue
            assert not re.match(r"^[a-z]+:|^//|^/", ref), (path, ref)
            target = (path.parent / ref.split("#")[0]).resolve()
            assert target.is_file(), (path, ref)


def test_every_page_names_the_site_icon(samples):
    folder, _ = samples
    for path in html_files(folder):
        icons = soup(path).select('head link[rel="icon"]')
        assert len(icons) == 1, path
        assert icons[0]["type"] == "image/svg+xml"
        assert (path.parent / icons[0]["href"]).resolve() == (folder / "assets/icons/runreport.svg").resolve()


def test_browsers_fetch_the_site_icon_not_a_favicon_ico(browser, site, http_root):
    # Without an icon link a browser asks the server for /favicon.ico, which no site has
    # (a 404 in the server's log); from file:// browsers fetch no page icon at all.
    site("samples")
    context = browser.new_context()
    try:
        page = context.new_page()
        asked: dict[str, int] = {}
        page.on("response", lambda r: asked.__setitem__(r.url.rsplit("/", 1)[-1], r.status))
        page.goto(f"{http_root}/sub/samples/index.html", wait_until="networkidle")
        assert "favicon.ico" not in asked
        assert asked.get("runreport.svg") == 200
    finally:
        context.close()


def test_building_twice_gives_byte_identical_trees(tmp_path):
    def tree(folder: Path) -> dict[str, bytes]:
        return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}

    build([SAMPLE_RUNS], tmp_path / "a")
    build([SAMPLE_RUNS], tmp_path / "b")
    assert tree(tmp_path / "a") == tree(tmp_path / "b")


# --- a run's fields the format does not define ----------------------------------------


def test_unknown_run_fields_are_a_run_section_with_their_values_in_the_first_values_file(site):
    folder = site("run_fields")
    page = run_page(folder, "rf-1")
    sections = page.select(".run-data[data-v='0'] > .sec[data-run-section]")
    assert [(s["data-section"], s.get_text()) for s in sections] == [
        ("trigger", "Trigger"), ("other", "Other fields")]
    # Without JavaScript the page links the values file, as for every run section.
    v0 = f"data/{safe_name('rf-1')}/v-0.js"
    assert page.select_one(f'noscript a[href="../{v0}"]') is not None
    key, payload = data_payload(folder / v0)
    assert key == v0
    # run and run_end merged (the run_end's "worker" wins), a secret-looking name redacted.
    assert payload["run"]["other"] == {"value": {
        "region": "eu-west-1", "api_token": "[redacted]", "worker": "w-2", "exit_code": 3}}


def test_a_run_without_unknown_fields_has_no_other_fields_section(site):
    folder = site("run_fields")
    page = run_page(folder, "rf-2")
    assert [s["data-section"] for s in page.select(".run-data > .sec")] == ["trigger"]
    _, payload = data_payload(folder / "data" / safe_name("rf-2") / "v-0.js")
    assert list(payload["run"]) == ["trigger"]


def test_a_secret_looking_unknown_run_field_is_in_no_file_of_the_site(site, tmp_path):
    def texts(folder):
        return "\n".join(p.read_text(encoding="utf-8") for p in folder.rglob("*") if p.is_file())

    assert '"api_token":"xyz"' not in texts(site("run_fields"))
    from conftest import FIXTURES
    from runreport.site import BuildOptions

    build([FIXTURES / "run_fields.jsonl"], tmp_path, BuildOptions(redact=False))
    assert '"api_token":"xyz"' in texts(tmp_path)


# --- problems ----------------------------------------------------------------------


def test_problems_page_and_banner_on_every_page(site):
    folder = site("problems")
    problems = soup(folder / "problems.html")
    rows = problems.select("table.problems tbody tr")
    assert len(rows) >= 1
    cells = [td.get_text() for td in rows[0].select("td")]
    assert cells[0].endswith("problems.jsonl") and cells[1] == "2"
    # A long path may break after each "/", never inside a name: the text stays the path.
    name = rows[0].select_one("td code")
    assert len(name.find_all("wbr")) == cells[0].count("/") > 0
    assert all(w.previous_sibling.endswith("/") for w in name.find_all("wbr"))
    for path in html_files(folder):
        if path.name == "problems.html":
            continue
        page = soup(path)
        if path.parent.name == "runs" and not path.name.startswith("page-"):
            # Run pages link the Problems page; their script shows the count from one
            # data file (so a new problem does not rewrite every run page).
            link = page.select_one('header.site nav a[href$="problems.html"]')
            assert link is not None and page.body["data-problems"] == "data/problems.js", path
            assert (path.parent / link["href"]).resolve() == (folder / "problems.html").resolve()
            continue
        banner = page.select_one(".banner a")
        assert banner is not None, path
        assert (path.parent / banner["href"]).resolve() == (folder / "problems.html").resolve()


def test_no_banner_without_problems(site):
    assert soup(site("spec") / "index.html").select_one(".banner") is None


# --- secrets and hostile input -------------------------------------------------------


def test_secrets_appear_in_no_file_of_the_site(site):
    folder = site("secrets")
    text = "\n".join(p.read_text(encoding="utf-8") for p in folder.rglob("*") if p.is_file())
    assert "SECRET-" not in text
    assert "[redacted]" in text
    assert "bad credentials" in text  # the rest of the value is still there


def test_secrets_inside_bodies_and_urls_are_hidden_and_the_rest_is_shown(site):
    from conftest import log_markup

    folder = site("secrets")
    page = next((folder / "runs").glob("s-1-*.html")).read_text(encoding="utf-8")
    data = "".join(p.read_text(encoding="utf-8") for p in (folder / "data").rglob("*.js"))
    packed = "".join(log_markup(p) for p in (folder / "data").rglob("log*.js"))  # not greppable
    for secret in ("SECRET-JSONBODY-12", "SECRET-RESPTEXT-13", "SECRET-FORM-14", "SECRET-URLPASS-15"):
        assert secret not in page + data + packed
    # A JSON request body logged as text stays text, with only the password replaced.
    assert r'"body":"{\"username\":\"ann\",\"password\":\"[redacted]\"}"' in data
    # A form-encoded body keeps its other parameters as logged.
    assert '"body":"grant_type=password&client_id=runner&client_secret=[redacted]"' in data
    # A URL keeps its user name, host and query: in the URL summary row and in the values.
    assert "<code>https://admin:[redacted]@api.example.com/x?page=3</code>" in page
    assert '"url":"https://admin:[redacted]@api.example.com/x?page=3"' in data


def test_no_redact_publishes_values_as_logged(tmp_path):
    from conftest import FIXTURES
    from runreport.site import BuildOptions

    build([FIXTURES / "secrets.jsonl"], tmp_path, BuildOptions(redact=False))
    text = "\n".join(p.read_text(encoding="utf-8") for p in tmp_path.rglob("*.js"))
    assert "SECRET-AUTH-4" in text and "SECRET-PASS-8" in text


def test_hostile_data_files_cannot_break_out_of_their_script(site):
    folder = site("hostile")
    for path in (folder / "data").rglob("*.js"):
        text = path.read_text(encoding="utf-8")
        assert "</script" not in text.lower() and "<!--" not in text
        assert "\u2028" not in text and "\u2029" not in text
        assert text.startswith("RunReport.receive(") and text.count("\n") == 1


def test_a_problem_about_an_entry_links_to_that_entry_and_opens_it(tmp_path, page):
    log = tmp_path / "runs.jsonl"
    log.write_text(
        '{"type":"run","run_id":"p-9","composer":"C","mode":"test","started_at":"2026-11-20T10:00:00Z"}\n'
        '{"type":"step","run_id":"p-9","entry_id":"e1","name":"First","status":"success"}\n'
        '{"type":"step","run_id":"p-9","entry_id":"e2","name":"Second","status":"done"}\n'
        '{"type":"step","run_id":"p-9","entry_id":"a%41 b","name":"Odd id","status":"later"}\n'
        '{"type":"step","run_id":"p-9","entry_id":"aA","name":"Plain","status":"success"}\n'
        '{"type":"run_end","run_id":"p-9","ended_at":"2026-11-20T10:00:01Z"}\n'
        '{"type":"run_end","run_id":"p-9","ended_at":"2026-11-20T10:00:02Z","extra":1}\n')
    out = tmp_path / "site"
    build([log], out)
    rows = soup(out / "problems.html").select("table.problems tbody tr")
    links = {r.select("td")[1].get_text(): r.select_one("td a")["href"] for r in rows if r.select_one("td a")}
    assert links["3"] == f"runs/{safe_name('p-9')}.html#entry-e2"  # the step record's entry
    assert links["4"] == f"runs/{safe_name('p-9')}.html#{entry_anchor('a%41 b')}"  # (not #entry-a%41 b)
    assert all(not href.endswith("#entry-e2") for line, href in links.items() if line != "3")
    page.goto((out / "problems.html").as_uri())
    page.locator('table.problems a[href$="#entry-e2"]').click()
    expect(page.locator('[data-entry-id="e2"] > details')).to_have_attribute("open", "")
    page.goto((out / "problems.html").as_uri())
    page.locator(f'table.problems a[href$="#{entry_anchor("a%41 b")}"]').click()
    expect(page.locator('[data-entry-id="a%41 b"] > details')).to_have_attribute("open", "")
    expect(page.locator('[data-entry-id="aA"] > details')).not_to_have_attribute("open", "")
