"""Shared fixtures of the site tests: built fixture sites, a static HTTP server, a browser."""

from __future__ import annotations

import base64
import functools
import json
import re
import zlib
import http.server
import shutil
import threading
from pathlib import Path

import pytest
from browsers import launch_chromium

from runreport import pipeline
from runreport.site import BuildOptions, build_site

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "site"
SAMPLE_RUNS = ROOT / "sample_runs"


#: Milliseconds a browser test waits for an expected state (Playwright actions and
#: `expect`). Generous because a loaded CI machine loads pages and chunks slowly; a
#: passing wait returns as soon as the state is there, so this costs nothing then.
BROWSER_WAIT_MS = 30_000

#: Fixture sites built once per test session: name -> (inputs, options).
SITES = {
    "spec": ([FIXTURES / "spec_example.jsonl"],
             BuildOptions(editor_url="https://app.example.com/composers/{composer_id}/canvas?step={step_id}")),
    "filters": ([FIXTURES / "filters.jsonl"], BuildOptions()),
    "http500": ([FIXTURES / "http500.jsonl"], BuildOptions()),
    "hostile": ([FIXTURES / "hostile.jsonl"], BuildOptions()),
    "secrets": ([FIXTURES / "secrets.jsonl"], BuildOptions(redact_keys=("ssn",))),
    "problems": ([FIXTURES / "problems.jsonl"], BuildOptions()),
    "run_fields": ([FIXTURES / "run_fields.jsonl"], BuildOptions()),
    "samples": ([SAMPLE_RUNS], BuildOptions()),
    "loops": ([FIXTURES / "loops.jsonl"], BuildOptions()),
}


def data_payload(path: Path) -> tuple[str, dict]:
    """The key and payload of a data file (`RunReport.receive(key, payload);`)."""
    text = path.read_text(encoding="utf-8")
    m = re.fullmatch(r"RunReport\.receive\((\"[^\"]*\"),(.*)\);\n", text, re.S)
    assert m, f"{path} is not a data file"
    return json.loads(m.group(1)), json.loads(m.group(2))


def log_markup(path: Path) -> str:
    """The run-log HTML a log data file carries packed (log.js, log-<k>.js)."""
    packed = data_payload(path)[1]["html_packed"]
    return zlib.decompress(base64.b64decode(packed), -15).decode("utf-8")


def build(inputs, out: Path, options: BuildOptions = BuildOptions()):
    """Load `inputs` through the real pipeline and write the site into `out`."""
    return build_site(pipeline.load([str(p) for p in inputs]), out, options)


@pytest.fixture(scope="session")
def www(tmp_path_factory) -> Path:
    """A folder served over HTTP; every fixture site lives under www/sub/<name>/ (a sub-path)."""
    root = tmp_path_factory.mktemp("www")
    (root / "sub").mkdir()
    return root


@pytest.fixture(scope="session")
def site(www):
    """site(name) -> the folder of that fixture site, built on first use."""
    built: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in built:
            out = www / "sub" / name
            if name not in SITES and out.is_dir():  # a copy a test made and altered
                return out
            inputs, options = SITES[name]
            build(inputs, out, options)
            built[name] = out
        return built[name]

    return get


@pytest.fixture(scope="session")
def http_root(www):
    """Base URL of a static HTTP server on 127.0.0.1 (free port) serving `www`."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(www))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=BROWSER_WAIT_MS)  # Playwright's default: 5 s
    try:
        with sync_playwright() as p:
            b = launch_chromium(p)
            yield b
            b.close()
    finally:
        expect.set_options(timeout=None)


@pytest.fixture(params=["file", "http"])
def scheme(request):
    return request.param


@pytest.fixture
def url(scheme, site, http_root):
    """url(site_name, path) -> the page's URL from file:// or over HTTP (under /sub/)."""

    def make(name: str, path: str = "index.html") -> str:
        folder = site(name)
        if scheme == "file":
            return (folder / path).as_uri() if "#" not in path and "?" not in path else \
                folder.as_uri() + "/" + path
        return f"{http_root}/sub/{name}/{path}"

    return make


@pytest.fixture
def page(browser, scheme, http_root):
    """A fresh page; clipboard permissions granted over HTTP; copies recorded in window.__copied.

    file:// refuses clipboard reads, so tests read what the page handed to the
    Clipboard API (or, prefixed "exec:", to the execCommand fallback).
    """
    context = browser.new_context()
    if scheme == "http":
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=http_root)
    context.add_init_script("""
        window.__copied = [];
        if (navigator.clipboard) {
            const write = navigator.clipboard.writeText.bind(navigator.clipboard);
            navigator.clipboard.writeText = (text) => {
                window.__copied.push(text);
                return window.__denyClipboard ? Promise.reject(new Error('denied')) : write(text);
            };
        }
        const exec = document.execCommand.bind(document);
        document.execCommand = function (cmd, ...rest) {
            if (cmd === 'copy') window.__copied.push('exec:' + document.activeElement.value);
            return exec(cmd, ...rest);
        };
    """)
    p = context.new_page()
    p.set_default_timeout(BROWSER_WAIT_MS)
    errors: list[str] = []
    p.on("pageerror", lambda e: errors.append(str(e)))
    p.page_errors = errors
    yield p
    context.close()


def copy_site(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


@pytest.fixture(scope="session")
def chunk_site(www, tmp_path_factory):
    """The large-values site (www/sub/chunks/): 5 MB object, 1,000-item array, library.

    Returns (site folder, run log path, library folder); generated, never committed.
    """
    import sys

    sys.path.insert(0, str(FIXTURES))
    import bigruns

    src = tmp_path_factory.mktemp("chunk-inputs")
    log = bigruns.write_chunk_log(src / "big.jsonl")
    lib = bigruns.write_library(src / "library")
    out = www / "sub" / "chunks"
    build([log], out, BuildOptions(library=lib, inputs=(str(log),)))
    return out, log, lib
