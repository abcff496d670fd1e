"""Find or install the peer report tools, and run any tool as a measured subprocess.

Peers are installed only from the package registries, into bench/out/:
Robot Framework's `rebot` with pip into a venv, Allure 3 with npm. A peer
that cannot be installed or run is returned as a reason string, so the
table says so instead of dropping the row.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"


@dataclass
class Timed:
    seconds: float
    peak_rss_mb: float
    returncode: int
    stderr: str
    cpu_seconds: float = 0.0  # user + system of the process tree


def timed(cmd: list[str], *, cwd: Path | None = None, env: dict | None = None) -> Timed:
    """Run `cmd`, returning wall time, CPU time and the peak RSS of that process tree (wait4's rusage)."""
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=err)
        # wait4 reports this child's own rusage (its reaped children included), unlike
        # RUSAGE_CHILDREN, which keeps the maximum over every child this process ever had.
        _, status, usage = os.wait4(p.pid, 0)
        seconds = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
    return Timed(seconds, usage.ru_maxrss / 1024, p.returncode, text[-2000:],
                 usage.ru_utime + usage.ru_stime)


def rebot(install: bool) -> list[str] | str:
    """The `rebot` command, or why there is none."""
    venv_rebot = OUT / "venv-peers" / "bin" / "rebot"
    if venv_rebot.exists():
        return [str(venv_rebot)]
    found = shutil.which("rebot")
    if found:
        return [found]
    if not install:
        return "not installed (run with --peers to pip install robotframework)"
    venv = OUT / "venv-peers"
    r = subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True)
    if r.returncode != 0:
        return f"not available: venv failed: {r.stderr.strip()[-200:]}"
    r = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "robotframework"],
                       capture_output=True, text=True)
    if r.returncode != 0 or not venv_rebot.exists():
        return f"not available: pip install robotframework failed: {r.stderr.strip()[-200:]}"
    return [str(venv_rebot)]


def allure(install: bool) -> list[str] | str:
    """The Allure 3 `allure` command (a Node program from npm), or why there is none."""
    local = OUT / "allure" / "node_modules" / ".bin" / "allure"
    if local.exists():
        return [str(local)]
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        return "not available: Node.js/npm not installed"
    if not install:
        return "not installed (run with --peers to npm install allure)"
    r = subprocess.run([npm, "view", "allure", "version"], capture_output=True, text=True,
                       timeout=120)
    if r.returncode != 0:
        return f"not available: npm view allure failed: {r.stderr.strip()[-200:]}"
    (OUT / "allure").mkdir(parents=True, exist_ok=True)
    r = subprocess.run([npm, "install", "--no-audit", "--no-fund", "allure@3"],
                       cwd=OUT / "allure", capture_output=True, text=True, timeout=600)
    if r.returncode != 0 or not local.exists():
        return f"not available: npm install allure@3 failed: {r.stderr.strip()[-200:]}"
    return [str(local)]


def version(cmd: list[str]) -> str:
    try:
        r = subprocess.run(cmd + ["--version"], capture_output=True, text=True, timeout=60)
    except OSError as exc:
        return str(exc)
    return (r.stdout or r.stderr).strip().splitlines()[0] if (r.stdout or r.stderr) else "?"
