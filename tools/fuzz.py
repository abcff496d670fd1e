#!/usr/bin/env python3
"""Run the input fuzz test (tests/test_fuzz.py) for many examples and print the verdict.

Usage: python3 tools/fuzz.py [EXAMPLES] [--jobs N]
       (default 10,000 examples in 2 processes; CI runs a few dozen)

Each example is a run log mixing valid runs with damaged lines, run through
`validate`, `summary --json` and `build`. Any exception, a wrong exit code, a
good run missing from the summary, or a damaged line `validate` did not name
fails it; Hypothesis then shrinks it to a small example and prints it.

The examples are shared out over N processes, each with its own random seed:
one Hypothesis run of many thousand examples slows down as its own records
grow, and the machine's cores are used.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("examples", nargs="?", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    jobs = max(1, min(args.jobs, args.examples))
    shares = [args.examples // jobs + (1 if i < args.examples % jobs else 0) for i in range(jobs)]
    started = time.perf_counter()
    workers = []
    for share in shares:
        env = {**os.environ, "RUNREPORT_FUZZ_EXAMPLES": str(share)}
        workers.append(subprocess.Popen(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--hypothesis-show-statistics",
             str(ROOT / "tests" / "test_fuzz.py")], env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True))
    outputs = [w.communicate()[0] for w in workers]
    codes = [w.returncode for w in workers]
    for output in outputs:
        sys.stdout.write(output)
    # Hypothesis's own count of the examples that ran to the end (each one a log through all three commands).
    passing = sum(int(n) for out in outputs for n in re.findall(r"(\d+) passing examples", out))
    minutes = (time.perf_counter() - started) / 60
    failed = sum(1 for c in codes if c != 0)
    verdict = ("0 crashes, 0 lost records" if not failed
               else f"FAILED in {failed} of {jobs} processes (the examples are above)")
    print(f"fuzz: {passing:,} examples passed of {args.examples:,} asked, in {jobs} processes, "
          f"{minutes:.1f} min: {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
