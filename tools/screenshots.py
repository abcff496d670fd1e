#!/usr/bin/env python3
"""Take the README's screenshots of the sample site, in headless Chromium.

Usage: python3 tools/screenshots.py [OUTPUT_FOLDER]   (default docs/screenshots)

Builds the site of sample_runs/ into a temporary folder, opens it from
file:// at 1366×900 (desktop) and 390×844 (phone), and writes:

  runs-desktop.png          the Runs page
  runs-phone.png            the Runs page on a phone
  failed-card-phone.png     a failed card on a phone
  failed-iteration-phone.png  the failed loop iteration on a phone
  search-phone.png          search results on a phone
  runs-dark-phone.png       the Runs page in dark mode on a phone
  failed-card.png           a failed card, its error line and expanded log
  failed-iteration.png      a run page at its failed loop iteration, Error open
  runs-dark.png             the Runs page in dark mode
  errors-filter.png         the Runs page with the Errors filter on
  search.png                search across all runs: runs whose step or error matches
  failures.png              the Failures page: failed runs grouped by cause
  failures-dark.png         the same in dark mode
  time-chart.png            a run page's time chart: where the time went
  time-chart-dark.png       the same in dark mode
  insights.png              a composer's insights: runs per day, slowest steps, latest failures
  insights-dark.png         the same in dark mode
  folded-loop.png           a long loop, the iterations that went well folded

Uses Debian's Chromium (/usr/bin/chromium) when present, else Playwright's own.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from browsers import launch_chromium  # noqa: E402  (the tests' own browser choice)

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    from runreport.site.names import safe_name

    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        subprocess.run([sys.executable, "-m", "runreport", "build", str(ROOT / "sample_runs"), "-o", str(site),
                        "--store", str(Path(tmp) / "store")], check=True, capture_output=True)
        # (A loop long enough to fold, from the tests' fixtures, in a site of its own.)
        loops = Path(tmp) / "loops"
        subprocess.run([sys.executable, "-m", "runreport", "build",
                        str(ROOT / "tests" / "fixtures" / "site" / "loops.jsonl"), "-o", str(loops),
                        "--store", str(Path(tmp) / "loops-store")], check=True, capture_output=True)
        index = (site / "index.html").as_uri()
        with sync_playwright() as p:
            browser = launch_chromium(p)
            page = browser.new_page(viewport=DESKTOP)
            page.goto(index)
            page.screenshot(path=str(out / "runs-desktop.png"))

            card = page.locator('[data-run-id="r1118-inv-03"]')
            card.locator("[data-act=expand]").click()
            card.locator(".card-log .entry").first.wait_for()
            card.screenshot(path=str(out / "failed-card.png"))

            page.goto(index)
            page.locator('[data-filter="errors"]').click()
            page.locator(".matches .card").first.wait_for()
            page.screenshot(path=str(out / "errors-filter.png"))

            page.goto(index)
            page.get_by_role("searchbox", name="Search runs").fill("lead")
            page.locator(".search-results .result").first.wait_for()
            page.screenshot(path=str(out / "search.png"))

            page.goto((site / "failures.html").as_uri())
            page.screenshot(path=str(out / "failures.png"))

            run = site / "runs" / f"{safe_name('r1118-inv-03')}.html"
            page.goto(run.as_uri() + "#error-e012")
            page.locator('#entry-e012 .sec[data-section="error"] .sec-body').wait_for()
            page.screenshot(path=str(out / "failed-iteration.png"))

            phone = browser.new_page(viewport=PHONE, is_mobile=True, device_scale_factor=2)
            phone.goto(index)
            phone.screenshot(path=str(out / "runs-phone.png"))
            card = phone.locator('[data-run-id="r1118-inv-03"]')
            card.locator("[data-act=expand]").click()
            card.locator(".card-log .entry").first.wait_for()
            card.screenshot(path=str(out / "failed-card-phone.png"))
            phone.goto(run.as_uri() + "#error-e012")
            phone.locator('#entry-e012 .sec[data-section="error"] .sec-body').wait_for()
            phone.screenshot(path=str(out / "failed-iteration-phone.png"))
            phone.goto(index)
            phone.get_by_role("searchbox", name="Search runs").fill("lead")
            phone.locator(".search-results .result").first.wait_for()
            phone.screenshot(path=str(out / "search-phone.png"))
            dark_phone = browser.new_page(viewport=PHONE, is_mobile=True, device_scale_factor=2,
                                          color_scheme="dark")
            dark_phone.goto(index)
            dark_phone.screenshot(path=str(out / "runs-dark-phone.png"))

            dark = browser.new_page(viewport=DESKTOP, color_scheme="dark")
            dark.goto(index)
            dark.screenshot(path=str(out / "runs-dark.png"))

            insights = (site / "insights" / f"{safe_name('Invoice processing')}.html").as_uri()
            for shot, view in (("", page), ("-dark", dark)):
                view.goto(run.as_uri())
                view.locator("figure.gantt").screenshot(path=str(out / f"time-chart{shot}.png"))
                view.goto(insights)
                view.screenshot(path=str(out / f"insights{shot}.png"), full_page=True)
            dark.goto((site / "failures.html").as_uri())
            dark.screenshot(path=str(out / "failures-dark.png"))

            page.goto((loops / "runs" / f"{safe_name('r-loops')}.html").as_uri())
            page.locator("button[data-act=fold]").first.wait_for()
            page.locator(".run-log").screenshot(path=str(out / "folded-loop.png"))
            browser.close()
    for name in sorted(p.name for p in out.glob("*.png")):
        print(out / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
