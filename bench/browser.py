"""Figures measured in headless Chromium: time to interactive and watch latency."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@contextlib.contextmanager
def browser_page() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser.new_page()
        finally:
            browser.close()


# The first entry's summary is clicked right after `load`; the page is interactive
# once that entry is open *and* the script has filled its open section (which
# needs the page's set-up done and the value chunk loaded through <script>).
_CLICK_FIRST = """
() => new Promise(resolve => {
  const nav = performance.getEntriesByType('navigation')[0];
  const summary = document.querySelector('.entry[data-entry-id] summary');
  if (!summary) { resolve({error: 'no entry summary on the page'}); return; }
  const details = summary.closest('details');
  const clicked = performance.now();
  summary.click();
  const done = () => {
    const open = details.querySelector('[data-act=section][aria-expanded=true]');
    const body = open && open.closest('.sec').querySelector('.sec-body');
    return details.open && (!body || body.childElementCount > 0 || body.textContent.length > 0);
  };
  const tick = () => {
    if (done()) resolve({dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd,
                         clicked, interactive: performance.now()});
    else if (performance.now() - clicked > 5000) resolve({error: 'first entry did not open'});
    else requestAnimationFrame(tick);
  };
  tick();
})
"""


def time_to_interactive(page_path: Path, repeats: int = 3) -> dict:
    """Median over `repeats` fresh loads of `page_path` from file://, in ms from navigation start."""
    samples = []
    with browser_page() as page:
        for _ in range(repeats):
            page.goto("about:blank")
            page.goto(page_path.resolve().as_uri(), wait_until="load", timeout=60_000)
            r = page.evaluate(_CLICK_FIRST)
            if "error" in r:
                return r
            samples.append(r)
    samples.sort(key=lambda r: r["interactive"])
    return samples[len(samples) // 2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def watch_available() -> str | None:
    """None when `runreport serve --watch` exists, else why not."""
    r = subprocess.run([sys.executable, "-m", "runreport", "serve", "--help"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return "not available (runreport watch missing)"
    if "--watch" not in r.stdout:
        return "not available (runreport serve has no --watch)"
    return None


def watch_latency(work: Path, appends: int = 20, base_runs: int = 50) -> dict:
    """Append → run card completed on the live Runs page, p50/p95 over `appends` runs."""
    from workload import jsonl_bytes, make_run

    missing = watch_available()
    if missing:
        return {"error": missing}
    shutil.rmtree(work, ignore_errors=True)
    (work / "in").mkdir(parents=True)
    log = work / "in" / "live.jsonl"
    with open(log, "wb") as fh:
        for n in range(base_runs):
            fh.write(jsonl_bytes(make_run(n)))
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "runreport", "serve", "--watch", str(log), "-o", str(work / "site"),
         "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=open(work / "serve.log", "wb"))
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 300
        while True:
            if server.poll() is not None:
                return {"error": f"runreport serve exited with {server.returncode} "
                                 f"(see {work / 'serve.log'})"}
            try:
                urllib.request.urlopen(url, timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    return {"error": "runreport serve did not answer within 300 s"}
                time.sleep(0.2)
        latencies = []
        with browser_page() as page:
            page.goto(url, wait_until="load")
            for k in range(appends):
                n = 900_000 + k
                data = jsonl_bytes(make_run(n))
                t0 = time.perf_counter()
                with open(log, "ab") as fh:
                    fh.write(data)
                # One run in 20 of the workload fails on purpose: any finished status counts.
                page.wait_for_selector(f'[data-run-id="run-{n:06d}"][data-status="completed"], '
                                       f'[data-run-id="run-{n:06d}"][data-status="failed"]',
                                       state="attached", timeout=30_000)
                latencies.append(time.perf_counter() - t0)
        latencies.sort()
        return {"p50": latencies[len(latencies) // 2],
                "p95": latencies[min(len(latencies) - 1, round(0.95 * len(latencies)) - 1)],
                "n": len(latencies)}
    except Exception as exc:  # a failed measurement is a row of the table, not a crash
        return {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"}
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
