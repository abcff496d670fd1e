"""A build killed from outside takes its worker processes with it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest


def _children(pid: int) -> set[int]:
    kids = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids.update(int(p) for p in (task / "children").read_text().split())
        except OSError:
            pass
    return kids


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # (a zombie has ended: only its exit status is left)


def _slow_input(folder: Path) -> Path:
    """Enough runs, with large enough outputs, to keep two workers busy for seconds."""
    path = folder / "runs.jsonl"
    rows = [{"id": i, "name": f"lead {i}", "note": "x" * 200} for i in range(400)]
    with open(path, "wb") as fh:
        for n in range(400):
            rid = f"run-{n:04d}"
            fh.write(orjson.dumps({"type": "run", "run_id": rid, "composer": "Leads", "mode": "test",
                                   "started_at": "2026-11-20T10:00:00Z"}) + b"\n")
            for e in range(4):
                fh.write(orjson.dumps({"type": "step", "run_id": rid, "entry_id": f"{rid}-{e}",
                                       "name": f"Step {e}", "step_type": "code", "automation": "A",
                                       "status": "success", "started_at": "2026-11-20T10:00:01Z",
                                       "ended_at": "2026-11-20T10:00:02Z",
                                       "output": {"rows": rows, "page": e}}) + b"\n")
    return path


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_killing_a_build_ends_its_workers(tmp_path, how):
    log = _slow_input(tmp_path)
    env = {**os.environ, "RUNREPORT_JOBS": "2"}
    build = subprocess.Popen([sys.executable, "-m", "runreport", "build", str(log), "-o",
                              str(tmp_path / "site"), "--store", str(tmp_path / "store")],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        workers: set[int] = set()
        while len(workers) < 2 and build.poll() is None and time.monotonic() < deadline:
            workers = _children(build.pid)
            time.sleep(0.02)
        assert len(workers) >= 2, "the build finished before its workers were seen"
        build.send_signal(how)
        build.wait(10)
        deadline = time.monotonic() + 10
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [w for w in workers if _alive(w)], "workers outlived the build"
    finally:
        if build.poll() is None:
            build.kill()
            build.wait()
