#!/usr/bin/env python3
"""Run the input fuzz test (tests/test_fuzz.py) for many examples and print the verdict.

Usage: python3 tools/fuzz.py [EXAMPLES]   (default 10,000; CI runs a few dozen)

Each example is a run log mixing valid runs with damaged lines, run through
`validate`, `summary --json` and `build`. Any exception, a wrong exit code, a
good run missing from the summary, or a damaged line `validate` did not name
fails it; Hypothesis then shrinks it to a small example and prints it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    examples = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    env = {**os.environ, "RUNREPORT_FUZZ_EXAMPLES": str(examples)}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(ROOT / "tests" / "test_fuzz.py")], env=env, cwd=ROOT)
    minutes = (time.perf_counter() - started) / 60
    verdict = "0 crashes, 0 lost records" if done.returncode == 0 else "FAILED (the example is above)"
    print(f"fuzz: {examples:,} examples in {minutes:.1f} min: {verdict}")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
