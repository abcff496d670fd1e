"""Accessibility: no serious or critical axe-core violations on any page kind."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from runreport.site.names import safe_name

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("scheme_name", ["light", "dark"])
def test_no_serious_axe_violations(browser, site, http_root, scheme_name):
    site("filters")
    site("problems")
    site("samples")
    site("loops")
    pages = [
        ("samples", "failures.html"),  # grouped failures, their sparklines
        ("filters", "index.html"),
        ("filters", f"composers/{safe_name('Alpha')}.html"),
        ("filters", f"runs/{safe_name('f-1')}.html"),
        ("problems", "problems.html"),
        ("problems", "index.html"),  # with the problems banner
        ("loops", f"runs/{safe_name('r-loops')}.html"),  # iteration headers, folded and open
        ("samples", f"runs/{safe_name('r1118-inv-03')}.html"),  # the time chart
        ("samples", "insights.html"),
        ("samples", f"insights/{safe_name('Invoice processing')}.html"),
    ]
    context = browser.new_context(color_scheme=scheme_name)
    page = context.new_page()
    axe = Axe()
    try:
        for name, path in pages:
            page.goto(f"{http_root}/sub/{name}/{path}")
            if path.startswith("runs/"):  # open an entry and its sections so they are checked too
                page.locator("summary:visible").nth(1).click()
                page.locator('[data-act=section][aria-expanded="false"]').first.click()
                page.locator(".sec-body table, .sec-body .str, .sec-body .scalar").first.wait_for()
            elif path not in ("problems.html", "failures.html") and "insights" not in path:
                page.locator("[data-act=expand]").first.click()
                page.locator(".card-log .run-log").first.wait_for()
            results = axe.run(page)
            bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
                   for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
            assert bad == [], (path, bad)
    finally:
        context.close()
