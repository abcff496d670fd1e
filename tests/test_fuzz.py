"""Arbitrary input never stops a command, and never costs the good records next to it.

Hypothesis writes run logs that mix whole, valid runs with damaged lines:
bytes that are not UTF-8 or not JSON, JSON that is not an object, and
records whose fields hold any JSON value (deep, huge, odd timestamps,
numbers beyond 64 bits). `validate`, `summary --json` and `build` then run
on them, in this process so that any exception surfaces as a failure:

- none raises, and each exits as the README says (validate 0 or 1,
  summary and build 0);
- every valid run, with all its entries, is in `summary --json`;
- `validate` names every line that is not a record.

CI runs a bounded number of examples; `tools/fuzz.py` runs many more.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runreport.cli import main

EXAMPLES = int(os.environ.get("RUNREPORT_FUZZ_EXAMPLES", "40"))

_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False), st.text(max_size=12),
    st.sampled_from(["2026-11-20T10:00:00Z", "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59",
                     "yesterday", "", "running", "success", "error", "rejected", "skipped", "done",
                     "[" * 300 + "]" * 300, '{"token": "x"}', "\ud800"]),
)
_ANY = st.recursive(_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                      st.dictionaries(st.text(max_size=6), inner, max_size=3)),
                    max_leaves=8)
_FIELDS = ["v", "type", "run_id", "composer", "mode", "started_at", "ended_at", "entry_id", "name",
           "status", "parent", "seq", "page", "iteration", "input", "output", "error", "http",
           "review", "summary", "kind", "automation", "step_id", "meta", "trigger"]


def _good_run(n: int) -> list[dict]:
    rid = f"good-{n}"
    return [
        {"type": "run", "run_id": rid, "composer": "Fuzz", "mode": "test",
         "started_at": "2026-11-20T10:00:00Z"},
        {"type": "step", "run_id": rid, "entry_id": "e1", "name": "One", "status": "success",
         "output": {"n": n}},
        {"type": "step", "run_id": rid, "entry_id": "e2", "name": "Two", "status": "error",
         "parent": "e1", "error": {"message": "boom"}},
        {"type": "run_end", "run_id": rid, "ended_at": "2026-11-20T10:00:05Z"},
    ]


_BAD_LINE = st.one_of(
    st.binary(max_size=40).filter(lambda b: b"\n" not in b and b"\r" not in b),
    _ANY.map(lambda v: json.dumps(v, ensure_ascii=False).encode("utf-8", "surrogatepass")),
    # A record of some run (maybe a good one: its damage must not cost that run) with fields of any value.
    st.builds(lambda base, fields: json.dumps({**base, **fields}, ensure_ascii=False)
              .encode("utf-8", "surrogatepass"),
              st.fixed_dictionaries({"type": st.sampled_from(["run", "step", "run_end", "other"]),
                                     "run_id": st.sampled_from(["good-0", "bad-1", "bad-2", ""])}),
              st.dictionaries(st.sampled_from(_FIELDS), _ANY, max_size=4)),
)


@st.composite
def _logs(draw) -> tuple[bytes, set[int], int]:
    """(file bytes, numbers of the lines that are not JSON objects, good run count)."""
    good = draw(st.integers(min_value=1, max_value=3))
    lines: list[tuple[bytes, bool]] = []  # (bytes, is a JSON object)
    for n in range(good):
        lines.extend((json.dumps(r).encode(), True) for r in _good_run(n))
    for bad in draw(st.lists(_BAD_LINE, max_size=8)):
        where = draw(st.integers(min_value=0, max_value=len(lines)))
        try:
            is_object = isinstance(json.loads(bad.decode("utf-8")), dict)
        except (ValueError, RecursionError):
            is_object = False
        lines.insert(where, (bad, is_object))
    ending = draw(st.sampled_from([b"\n", b"\r\n"]))

    def blank(i: int, raw: bytes) -> bool:
        # (A byte order mark opening the file is not data: the reader drops it.)
        if i == 0 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        return not raw.strip(b" \t\r\n")

    not_objects = {i + 1 for i, (raw, obj) in enumerate(lines) if not obj and not blank(i, raw)}
    return ending.join(b for b, _ in lines) + ending, not_objects, good


def _invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(_logs())
def test_no_input_stops_a_command_or_costs_a_good_run(log):
    data, not_objects, good = log
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.jsonl"
        path.write_bytes(data)

        validated = _invoke("validate", str(path))
        assert validated.exit_code in (0, 1), validated.output
        flagged = {int(line.split(":")[1]) for line in validated.output.splitlines()
                   if line.startswith(f"{path}:")}
        assert not_objects <= flagged, (not_objects - flagged, validated.output)

        summary = _invoke("summary", str(path), "--json", "--store", str(Path(tmp) / "store"))
        assert summary.exit_code == 0, summary.output
        runs = {r["run_id"]: r for r in json.loads(summary.stdout)["runs"]}
        for n in range(good):
            run = runs[f"good-{n}"]
            assert {"e1", "e2"} <= {e["entry_id"] for e in run["entries"]}

        built = _invoke("build", str(path), "-o", str(Path(tmp) / "site"), "--store",
                        str(Path(tmp) / "site.store"))
        assert built.exit_code == 0, built.output
        assert (Path(tmp) / "site" / "index.html").is_file()
