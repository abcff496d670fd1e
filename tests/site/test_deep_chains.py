"""A legal tree of any shape builds a site that grows with its entries, not their depth."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from runreport.model import Lineage


def test_a_10000_deep_chain_builds_a_linear_site_in_bounded_memory(tmp_path):
    log = tmp_path / "deep.jsonl"
    with open(log, "w") as fh:
        fh.write(json.dumps({"type": "run", "run_id": "deep", "composer": "C", "mode": "test",
                             "started_at": "2026-11-20T10:00:00Z"}) + "\n")
        for i in range(10_000):
            record = {"type": "step", "run_id": "deep", "entry_id": f"e{i}", "name": f"Step {i}",
                      "status": "success"}
            if i:
                record["parent"] = f"e{i - 1}"
            fh.write(json.dumps(record) + "\n")
    out = tmp_path / "site"
    # The build runs under a process of its own, which reports its peak memory.
    measure = ("import resource, subprocess, sys; "
               "done = subprocess.run(sys.argv[1:]); "
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(done.returncode)")
    done = subprocess.run([sys.executable, "-c", measure, sys.executable, "-m", "runreport", "build",
                           str(log), "-o", str(out)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    peak_mb = int(done.stdout.split()[-1]) / 1024
    assert peak_mb < 200, f"peak {peak_mb:.0f} MB"
    site_bytes = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    assert site_bytes < 12_000_000, site_bytes  # (quadratic, it was ~1 GB)
    largest = max((p for p in (out / "runs").glob("*.html")), key=lambda p: p.stat().st_size)
    assert largest.stat().st_size < 400_000
    page = largest.read_text()
    assert 'data-parent="' in page and "data-anc" not in page
    assert "Step 0 › … › " in page  # a deep lineage shows its root and its nearest names


def test_a_lineage_reads_like_the_tuple_it_stands_for():
    root = Lineage("a")
    chain = Lineage("c", Lineage("b", root))
    assert tuple(chain) == ("a", "b", "c") and chain == ("a", "b", "c") and ("a", "b", "c") == chain
    assert (len(chain), chain[0], chain[-1], chain[-2], chain[1:]) == (3, "a", "c", "b", ("b", "c"))
    assert list(root) == ["a"] and hash(chain) == hash(("a", "b", "c"))
