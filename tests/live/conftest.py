"""Fixtures of the live tests: a `runreport serve` process on a free port, a browser."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: As in tests/site/conftest.py.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """`runreport serve INPUT --watch` running in `cwd` (so ./library is the library)."""

    def __init__(self, cwd: Path, inputs: list[Path], *extra: str):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.cwd = cwd
        env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "runreport", "serve", *map(str, inputs), "-o", str(cwd / "site"),
             "--port", str(self.port), *extra],
            cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(self.base + "/index.html", timeout=1).read()
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.proc.kill()
                    raise AssertionError("serve did not start: " + self.proc.communicate()[1])
                time.sleep(0.1)

    def stop(self) -> str:
        self.proc.terminate()
        try:
            _, err = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return err


@pytest.fixture
def serve(tmp_path):
    started: list[Served] = []

    def start(inputs: list[Path], *extra: str) -> Served:
        s = Served(tmp_path, inputs, *extra)
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        b.close()
