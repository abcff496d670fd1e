"""Save Output to Library: the dialog, its command, its download, and the serve contract."""

from __future__ import annotations

import json
import shlex

import pytest
from playwright.sync_api import expect

from runreport import library as lib
from runreport.site.names import safe_name

pytestmark = pytest.mark.browser

RUN_PAGE = f"runs/{safe_name('r-big')}.html"


def open_dialog(page, url, entry_id):
    page.goto(url("chunks", f"{RUN_PAGE}#entry-{entry_id}") if callable(url) else
              f"{url}{RUN_PAGE}#entry-{entry_id}")
    sec = page.locator(f'[data-entry-id="{entry_id}"] [data-section="output"]')
    if sec.locator("[data-act=section]").get_attribute("aria-expanded") != "true":
        sec.locator("[data-act=section]").click()
    expect(sec.locator(".sec-body")).not_to_contain_text("Loading")
    if sec.locator(".chunks").count():  # a chunked output: the Raw view loads a chunk per click
        sec.locator('[data-view="raw"]').click()
        while sec.locator("[data-act=save-output]").count() == 0:
            sec.locator(".chunks [data-act=more]").click()
    sec.locator("[data-act=save-output]").click()
    dialog = page.locator("dialog.save-dialog")
    expect(dialog).to_be_visible()
    return dialog


def test_dialog_prefills_and_builds_the_exact_command_and_download(page, url, chunk_site):
    site, log, library = chunk_site
    dialog = open_dialog(page, url, "e-small")
    var = page.get_by_label("Variable path")
    expect(var).to_have_value(lib.default_variable_path("Fetch leads"))
    expect(var).to_be_focused()
    prompt = page.get_by_label("Prompt", exact=True)
    # (The choices arrive with the Library's data file: wait for them.)
    expect(prompt.locator("option")).to_have_text(["empty", "lead-summary", "New prompt…"])
    prompt.select_option("lead-summary")
    case = page.get_by_label("Test case", exact=True)
    expect(case.locator("option")).to_have_text(["many-leads", "two-leads", "New test case…"])
    case.select_option("two-leads")
    # The case already has this variable: no download until Replace is ticked.
    expect(dialog.locator(".save-problem")).to_contain_text("already exists")
    expect(dialog.locator(".save-download")).to_be_hidden()
    page.get_by_label("Replace the variable if the test case already has it").check()
    expected = shlex.join(["runreport", "library", "save", "--run", "r-big", "--entry", "e-small",
                           "--prompt", "lead-summary", "--case", "two-leads", "--replace",
                           "--library", str(library), str(log)])
    expect(dialog.locator("#rr-save-command")).to_have_text(expected)
    with page.expect_download() as d:
        dialog.locator(".save-download").click()
    text = open(d.value.path(), encoding="utf-8").read()
    assert d.value.suggested_filename == "two-leads.json"
    saved_at = json.loads(text)["variables"]["step.fetch_leads.output"]["source"]["saved_at"]
    existing = json.loads((library / "cases" / "lead-summary" / "two-leads.json").read_text())
    value = [{"id": i, "tag": "tëst"} for i in range(45)]
    source = {"run_id": "r-big", "entry_id": "e-small", "step_id": "fetch",
              "step_name": "Fetch leads", "saved_at": saved_at}
    assert text == lib.test_case_json("lead-summary", "two-leads", "step.fetch_leads.output", value,
                                      source, existing=existing, replace=True)
    # Copy puts the command on the clipboard (or the fallback) and Escape closes.
    dialog.get_by_role("button", name="Copy command").click()
    page.wait_for_function("t => window.__copied.some(c => c.endsWith(t))", arg=expected)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert page.page_errors == []


def test_new_prompt_and_case_need_create_and_odd_names_are_quoted(page, url, chunk_site):
    site, log, library = chunk_site
    dialog = open_dialog(page, url, "e-arr")
    expect(page.get_by_label("Variable path")).to_have_value("step.list_leads_v2.output")
    page.get_by_label("Prompt", exact=True).select_option(label="New prompt…")
    page.get_by_label("New prompt name").fill("new.prompt")
    page.get_by_label("New test case name").fill("it's")
    expect(dialog.locator(".save-problem")).to_contain_text("test case name")
    page.get_by_label("New test case name").fill("case_1")
    page.get_by_label("Variable path").fill("leads.all")
    expected = shlex.join(["runreport", "library", "save", "--run", "r-big", "--entry", "e-arr",
                           "--prompt", "new.prompt", "--case", "case_1", "--var", "leads.all",
                           "--create", "--library", str(library), str(log)])
    expect(dialog.locator("#rr-save-command")).to_have_text(expected)
    with page.expect_download() as d:
        dialog.locator(".save-download").click()
    doc = json.loads(open(d.value.path(), encoding="utf-8").read())
    assert doc["prompt"] == "new.prompt" and len(doc["variables"]["leads.all"]["value"]) == 1000
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()


def test_js_merge_equals_the_python_one_byte_for_byte(page, url, chunk_site):
    page.goto(url("chunks", RUN_PAGE))
    value = {"b": [0.1, 1e-07, 1.5e16, 123.5, -2, 0, 3e-5, 1e100], "a": {}, "é": [], "z\u00e9": "x\ny",
             "\U0001f600": 1, "\uffff": 2, "ctrl": "\u0001\t\"\\", "nested": [{"k": None, "t": True}]}
    source = {"run_id": "r", "entry_id": "e", "step_id": None, "step_name": "S",
              "saved_at": "2026-11-20T10:00:00Z"}
    existing = {"prompt": "p", "case": "c", "extra": {"kept": 1},
                "variables": {"old.var": {"value": [1, 2], "source": source}}}
    got = page.evaluate("a => RunReport.testCaseJson('p', 'c', 'new.var', a[0], a[1], a[2], false)",
                        [value, source, existing])
    assert got == lib.test_case_json("p", "c", "new.var", value, source, existing=existing)
    assert page.evaluate("RunReport.testCaseJson('p', 'c', 'v', 1, {}, null, false)") == \
        lib.test_case_json("p", "c", "v", 1, {})
    for name in ["Fetch Leads (v2)!", "", "___", "Ünïcode step", "a" * 150]:
        assert page.evaluate("n => RunReport.defaultVariablePath(n)", name) == \
            lib.default_variable_path(name)
    for s in ["plain", "with space", "it's", "", "a/b.c", "$(x)"]:
        assert page.evaluate("s => RunReport.shellQuote(s)", s) == shlex.quote(s)


def test_under_serve_the_dialog_posts_to_the_library_endpoint(browser, http_root, chunk_site):
    # `runreport serve` is HTTP only: this test has no file:// twin.
    page = browser.new_context().new_page()
    page.set_default_timeout(10_000)
    requests = []

    def answer(route):
        requests.append((route.request.headers, route.request.post_data_json, route.request.url))
        route.fulfill(status=200, content_type="application/json",
                      body=json.dumps({"ok": True, "path": "library/cases/lead-summary/x.json"}))

    page.route("**/__runreport/library", answer)
    page.add_init_script("""document.addEventListener('DOMContentLoaded', () => {
        const m = document.createElement('meta'); m.name = 'runreport-live-token';
        m.content = 'tok-123'; document.head.appendChild(m); });""")
    dialog = open_dialog(page, f"{http_root}/sub/chunks/", "e-small")
    expect(dialog.locator(".save-static")).to_be_hidden()
    page.get_by_label("Prompt", exact=True).select_option("lead-summary")
    page.get_by_label("Test case", exact=True).select_option(label="New test case…")
    page.get_by_label("New test case name").fill("x")
    dialog.get_by_role("button", name="Save", exact=True).click()
    expect(dialog.locator(".save-result")).to_have_text("Saved into library/cases/lead-summary/x.json")
    headers, body, where = requests[0]
    assert headers["x-runreport-token"] == "tok-123"
    assert where == f"{http_root}/sub/chunks/__runreport/library"  # under the site root
    assert body == {"run_id": "r-big", "entry_id": "e-small", "prompt": "lead-summary", "case": "x",
                    "var": "step.fetch_leads.output", "create": True, "replace": False}
