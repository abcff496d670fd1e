"""Helpers the root-level tests share (a module, not a conftest: tests/site and tests/live
have conftests of their own, and two conftest modules cannot both be imported by name)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def runreport(*args, cwd: Path) -> subprocess.CompletedProcess:
    """`python -m runreport ARGS` in `cwd`, its output captured as text."""
    return subprocess.run([sys.executable, "-m", "runreport", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=120)


def tree(root: Path) -> dict[str, bytes]:
    """Every file under `root` (relative POSIX path -> bytes): two sites compared byte for byte."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
