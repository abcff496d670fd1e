"""Any log, cut into files and shards any way: `merge` writes the site one build writes.

Hypothesis writes run logs as tests/test_fuzz.py does (valid runs mixed with
damaged lines and records of any field values), spreads their lines over
one to four files (so runs and their problems span files and shards), and
builds them once whole and once as 1–4 shards, by file or by run id,
merged. The two sites must be equal byte for byte.

CI runs a bounded number of examples (RUNREPORT_FUZZ_EXAMPLES raises it).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clirun import tree
from runreport.cli import main
from test_fuzz import _BAD_LINE, _good_run

EXAMPLES = max(8, int(os.environ.get("RUNREPORT_FUZZ_EXAMPLES", "40")) // 4)


@st.composite
def _spread_logs(draw) -> list[list[bytes]]:
    """The lines of one to four files."""
    lines = [json.dumps(r).encode() for n in range(draw(st.integers(1, 3))) for r in _good_run(n)]
    for bad in draw(st.lists(_BAD_LINE, max_size=6)):
        lines.insert(draw(st.integers(min_value=0, max_value=len(lines))), bad)
    files = draw(st.integers(min_value=1, max_value=4))
    out: list[list[bytes]] = [[] for _ in range(files)]
    for line in lines:
        out[draw(st.integers(min_value=0, max_value=files - 1))].append(line)
    return out


def _run(*args) -> None:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(_spread_logs(), st.integers(min_value=1, max_value=4), st.sampled_from(["file", "run"]))
def test_a_merge_of_any_sharding_is_the_single_build(files, shards, by):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        logs = tmp / "logs"
        logs.mkdir()
        for n, lines in enumerate(files):
            (logs / f"part-{n}.jsonl").write_bytes(b"".join(line + b"\n" for line in lines))
        _run("build", logs, "-o", tmp / "whole", "--store", tmp / "whole.store", "--allow-empty")
        for k in range(1, shards + 1):
            _run("build", logs, "--shard", f"{k}/{shards}", "--shard-by", by,
                 "--bundle", tmp / "bundles" / "part-{k}.zip")
        _run("merge", tmp / "bundles", "-o", tmp / "merged", "--allow-empty")
        whole, merged = tree(tmp / "whole"), tree(tmp / "merged")
        assert sorted(merged) == sorted(whole)
        assert [rel for rel in whole if whole[rel] != merged[rel]] == []
