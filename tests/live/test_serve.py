"""`runreport serve`: injected live hooks, the event stream, and the guarded save endpoint."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from pathlib import Path

from runreport.library import load_library

from polling import DEADLINE_MS, wait_for

RUN = "s-1"
RECORDS = [
    {"v": 1, "type": "run", "run_id": RUN, "composer": "Serve", "mode": "test",
     "started_at": "2026-11-20T10:00:00Z"},
    {"type": "step", "run_id": RUN, "entry_id": "e1", "name": "Summarize", "status": "success",
     "output": {"summary": "All good"}},
    {"type": "run_end", "run_id": RUN, "ended_at": "2026-11-20T10:00:02Z"},
]


def write_log(path: Path, records=RECORDS) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def token_of(html: str) -> str:
    return re.search(r'<meta name="runreport-live-token" content="([^"]+)">', html).group(1)


def post(base: str, body: dict, *, token: str | None, origin: str | None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["X-Runreport-Token"] = token
    if origin is not None:
        headers["Origin"] = origin
    req = urllib.request.Request(base + "/__runreport/library", data=json.dumps(body).encode(),
                                 headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


SAVE = {"run_id": RUN, "entry_id": "e1", "prompt": "summaries", "case": "good", "var": None,
        "create": True, "replace": False}


def test_pages_get_live_hooks_only_when_served_and_files_on_disk_stay_clean(tmp_path, serve):
    served = serve([write_log(tmp_path / "run.jsonl")], "--watch")
    html = urllib.request.urlopen(served.base + "/index.html").read().decode()
    assert '<meta name="runreport-live" content="/__runreport/events">' in html
    assert len(token_of(html)) >= 32
    on_disk = (tmp_path / "site" / "index.html").read_text()
    assert "runreport-live" not in on_disk and token_of(html) not in on_disk
    # The folder URL serves index.html, with the same hooks.
    assert token_of(urllib.request.urlopen(served.base + "/").read().decode()) == token_of(html)
    # The event stream starts with the current build id.
    stream = urllib.request.urlopen(served.base + "/__runreport/events", timeout=30)
    assert stream.headers["Content-Type"] == "text/event-stream"
    stamp = (tmp_path / "site" / "build.js").read_text()
    assert stream.readline() == b"retry: 2000\n" and stream.readline() == b"\n"
    assert stream.readline().decode().strip() == "data: " + stamp.split('"')[1]
    stream.close()


def test_the_save_endpoint_needs_the_token_and_the_servers_own_origin(tmp_path, serve):
    served = serve([write_log(tmp_path / "run.jsonl")])
    token = token_of(urllib.request.urlopen(served.base + "/index.html").read().decode())
    status, answer = post(served.base, SAVE, token=None, origin=served.base)
    assert status == 403 and not answer["ok"] and "token" in answer["error"]
    status, answer = post(served.base, SAVE, token="wrong", origin=served.base)
    assert status == 403 and not answer["ok"]
    status, answer = post(served.base, SAVE, token=token, origin="http://evil.example")
    assert status == 403 and "did not come from a page of this server" in answer["error"]
    status, answer = post(served.base, SAVE, token=token, origin=None)
    assert status == 403
    assert not (tmp_path / "library").exists()  # nothing was written by a refused request

    status, answer = post(served.base, dict(SAVE, entry_id="nope"), token=token, origin=served.base)
    assert status == 404 and "unknown entry id 'nope'" in answer["error"]
    status, answer = post(served.base, SAVE, token=token, origin=served.base)
    assert status == 200 and answer["ok"], answer
    case = load_library(tmp_path / "library").prompt("summaries").cases[0]
    assert case.name == "good"
    assert [v.value for v in case.variables] == [{"summary": "All good"}]
    # The site is built again: its Library page shows what was saved.
    library_page = tmp_path / "site" / "library.html"
    wait_for(lambda: library_page.is_file() and "summaries" in library_page.read_text(),
             "the Library page to show the saved prompt")
    # Saving again without replace says why, with 409, in the dialog's words.
    status, answer = post(served.base, SAVE, token=token, origin=served.base)
    assert status == 409 and answer["error"] == (
        "variable 'step.summarize.output' already exists in test case summaries/good; "
        "tick Replace to overwrite it, or choose another variable path")


def test_a_save_through_the_dialog_lands_in_the_library(tmp_path, serve, browser):
    served = serve([write_log(tmp_path / "run.jsonl")])
    page = browser.new_page()
    page.set_default_timeout(DEADLINE_MS)
    try:
        page.goto(served.base + "/index.html")
        page.click(f'[data-run-id="{RUN}"] .card-title a')
        # The run page's script must be running before the entry is opened (as for a reader).
        page.wait_for_url(f"{served.base}/runs/*.html", wait_until="load")
        page.click('[data-entry-id="e1"] summary')
        page.click("[data-act=save-output]")
        page.fill("#rr-save-prompt-new", "summaries")
        page.fill("#rr-save-case-new", "from-dialog")
        page.click("[data-act=save-live]")
        page.wait_for_function("() => /Saved into/.test(document.body.textContent)")
    finally:
        page.close()
    case = load_library(tmp_path / "library").prompt("summaries").cases[0]
    assert case.name == "from-dialog" and case.variables[0].value == {"summary": "All good"}


def test_serve_says_so_when_it_listens_beyond_this_machine(tmp_path, serve):
    served = serve([write_log(tmp_path / "run.jsonl")], "--host", "0.0.0.0")
    err = served.stop()
    assert "warning: --host 0.0.0.0: the site and its save endpoint" in err
    assert "reachable from other machines" in err


def _status(url: str, method: str = "GET") -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def test_only_the_sites_files_are_served_and_odd_requests_get_a_status(tmp_path, serve):
    import socket

    served = serve([write_log(tmp_path / "run.jsonl")])
    for folder in ("/runs/", "/data/", "/assets/", "/composers/"):
        assert _status(served.base + folder) == 404, folder  # no directory listings
    for hidden in ("/.runreport-manifest.json", "/.runreport-site", "/.runreport-lock",
                   "/data/%2e%2e/index.html"):
        assert _status(served.base + hidden) == 404, hidden
        assert _status(served.base + hidden, "HEAD") == 404, hidden
    assert _status(served.base + "/index.html%00.js") == 404
    assert _status(served.base + "/index.html") == 200
    # A request body nested past any parser's depth is refused, not dropped.
    html = urllib.request.urlopen(served.base + "/index.html").read().decode()
    deep = b"[" * 30_000 + b"]" * 30_000
    req = urllib.request.Request(served.base + "/__runreport/library", data=deep[:60_000],
                                 headers={"X-Runreport-Token": token_of(html), "Origin": served.base,
                                          "Content-Type": "application/json"}, method="POST")
    try:
        urllib.request.urlopen(req, timeout=30)
        raise AssertionError("a deep body was accepted")
    except urllib.error.HTTPError as e:
        assert e.code == 400
    # Clients that go away mid-request are not reported as errors.
    for _ in range(20):
        with socket.create_connection(("127.0.0.1", served.port)) as s:
            s.sendall(b"GET /data/")
    for _ in range(20):
        with socket.create_connection(("127.0.0.1", served.port)) as s:
            s.sendall(b"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    assert _status(served.base + "/index.html") == 200
    err = served.stop()
    assert "Traceback" not in err and "BrokenPipe" not in err and "ConnectionReset" not in err, err


def test_a_silent_connection_is_closed_after_the_request_timeout(tmp_path, monkeypatch):
    import socket
    import threading

    from runreport.live import server as live_server

    (tmp_path / "index.html").write_text("<!doctype html><head>\n</head>")
    monkeypatch.setattr(live_server.Handler, "timeout", 0.5)
    site = live_server.LiveSite(tmp_path, tmp_path / "library", live=False)
    httpd = live_server.make_server(site, "127.0.0.1", 0)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        with socket.create_connection(("127.0.0.1", site.port)) as s:
            s.settimeout(10)
            assert s.recv(1) == b""  # closed by the server, not left holding a thread
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_save_from_the_dialog_is_redacted_as_the_page_shows_it(tmp_path, serve):
    records = [dict(r) for r in RECORDS]
    records[1] = dict(records[1], output={"summary": "All good", "api_token": "SEKRIT-2"})
    served = serve([write_log(tmp_path / "run.jsonl", records)])
    token = token_of(urllib.request.urlopen(served.base + "/index.html").read().decode())
    status, answer = post(served.base, SAVE, token=token, origin=served.base)
    assert status == 200 and answer["ok"] and answer["redacted"] is True, answer
    text = next((tmp_path / "library").rglob("good.json")).read_text()
    assert "SEKRIT-2" not in text and "[redacted]" in text


def test_a_file_is_always_sent_again_never_304(tmp_path, serve):
    """A rebuild rewrites files within the second: Last-Modified cannot tell, so no 304."""
    served = serve([write_log(tmp_path / "run.jsonl")])
    request = urllib.request.Request(served.base + "/index.html",
                                     headers={"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200 and b"<html" in response.read()
        assert response.headers["Cache-Control"] == "no-cache"
