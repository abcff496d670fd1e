"""Regressions of a review of the generated site: strict CSP, accessibility, phones,
the Raw view, filters, match-index cards, reading without JavaScript, the Save dialog."""

from __future__ import annotations

import functools
import http.server
import threading

import pytest
from bs4 import BeautifulSoup
from playwright.sync_api import expect

from runreport.site.names import safe_name

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
        assert painted(page, e1.locator("summary .ic"))
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
