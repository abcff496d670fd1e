"""Fixtures of the live tests: a `runreport serve` process on a free port, a browser."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest
from browsers import launch_chromium

from polling import wait_for

ROOT = Path(__file__).resolve().parents[2]


class ServeExited(Exception):
    """The server process ended while a test waited for it."""


class Served:
    """`runreport serve INPUT ...` running in `cwd` (so ./library is the library).

    It listens on a port of its own choosing (--port 0: no other process can
    take the port between choosing and listening) and says which one on stderr,
    which is read all along (a full pipe would stall the server).
    """

    def __init__(self, cwd: Path, inputs: list[Path], *extra: str):
        self.cwd = cwd
        env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "runreport", "serve", *map(str, inputs), "-o", str(cwd / "site"),
             "--port", "0", *extra],
            cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.err: list[str] = []
        self.reader = threading.Thread(target=self._read_stderr, daemon=True)
        self.reader.start()
        try:
            self.port = wait_for(self._listening_on, "serve to say where it listens")
            self.base = f"http://127.0.0.1:{self.port}"
            wait_for(self._answers, "serve to answer " + self.base + "/index.html")
        except (AssertionError, ServeExited) as exc:
            raise AssertionError(f"serve did not start: {exc}\n{self.stop()}") from None

    def _read_stderr(self) -> None:
        for line in self.proc.stderr:
            self.err.append(line)

    def _running(self) -> None:
        if self.proc.poll() is not None:
            raise ServeExited(f"serve exited with status {self.proc.returncode}")

    def _listening_on(self) -> int | None:
        for line in list(self.err):
            found = re.search(r"^serving .* at http://\S+:(\d+)/", line)
            if found:
                return int(found.group(1))
        self._running()
        return None

    def _answers(self) -> bytes:
        self._running()
        with urllib.request.urlopen(self.base + "/index.html", timeout=5) as r:
            return r.read()

    def stop(self) -> str:
        """Stop the server; everything it wrote to stderr."""
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.reader.join(30)
        return "".join(self.err)


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
        b = launch_chromium(p)
        yield b
        b.close()
