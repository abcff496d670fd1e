#!/usr/bin/env python3
"""Write a deterministic benchmark workload: run logs plus the peers' equivalents.

Usage: ``python3 bench/workload.py N OUT_DIR [--formats jsonl,robot,allure]``

Shape of one run (the same for every format, so the byte volume matches):

* 38 log entries in three automations: a paginated HTTP request (parent +
  3 pages), a code step, a Loop of 10 iterations x 3 child steps (HTTP
  enrichment, code scoring, a notify-mode review), a database insert and a
  notification;
* about 2.4 KB of input + output on an ordinary entry, and one entry in 50
  with a ~100 KB output, so an entry averages ~4.5 KB and a run ~170 KB;
* one run in 250 carries a ~2 MB output (the MB-scale outputs);
* one run in 20 fails (an enrichment request answers HTTP 500);
* most entries carry the words of secret names in prose ("OAuth token",
  "author", "cookie", "signature", "password"), as real HTTP logs do, and
  every run logs real secrets where they belong: a bearer `authorization`
  header on page fetches, an `x-api-key` header on enrichment requests and a
  database `password`. Each secret holds SECRET_MARK, which the bench looks
  for in the built site (it must find none).

Everything is a pure function of the run number (``random.Random`` seeded
with it), so a run generated alone equals the same run in a big workload:
``append_run`` relies on that to add run N to an existing workload.

Files written under OUT_DIR (streamed, one run in memory at a time):

    jsonl/runs-0000.jsonl ...   run log, 500 runs per file (runreport input)
    output.xml                  Robot Framework output (suites = composers,
                                tests = runs, keywords = entries, FOR loops,
                                messages carrying the input/output JSON)
    allure-results/            one <uuid>-result.json per run with nested
                                steps, one JSON attachment per entry
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import sys
import uuid
from pathlib import Path
from typing import Any, Iterator
from xml.sax.saxutils import escape, quoteattr

import orjson

RUNS_PER_FILE = 500
ENTRIES_PER_RUN = 38
COMPOSERS = (
    "Lead enrichment", "Invoice processing", "Support ticket triage", "Product catalog sync",
    "Weekly sales digest", "Contract approval", "Customer data export", "Order fulfilment",
)
AUTOMATIONS = ("Ingest", "Process", "Deliver")
BASE = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
WORDS = (
    "alpha bravo cedar delta ember falcon garnet harbor indigo juniper kestrel lumen maple "
    "nectar onyx pepper quartz raven sierra tundra umber violet willow xenon yarrow zephyr "
    "acme globex initech umbrella stark wayne wonka tyrell cyberdyne soylent hooli vandelay"
).split()
NW = len(WORDS)
#: Prose as real HTTP and CRM logs carry it: the words of secret names in ordinary text,
#: never under a secret key, so redaction must leave them as they are.
PROSE = (
    "Refreshed the OAuth token before paging through the results",
    "Cookie consent recorded; the author asked for a follow-up",
    "Signature on the contract verified by the account owner",
    "Customer reset their password in prose, not in a field",
    "Auth flow completed; session renewed for the author",
    "Token bucket rate limit: 40 requests left this minute",
    "Webhook signature header checked against the shared key policy",
)
#: Marks every real secret the workload logs (under secret keys and headers): the bench
#: checks that no file of the built site holds it.
SECRET_MARK = "Zq9s3cr3t"


def _ts(seconds: float) -> str:
    t = BASE + dt.timedelta(seconds=seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def _items(seed: int, n: int) -> list[dict[str, Any]]:
    """`n` record-like objects (~130 bytes of JSON each), cheap to make: arithmetic, no RNG."""
    out = []
    for j in range(n):
        k = seed + j * 7
        a, b, c = WORDS[k % NW], WORDS[(k // 3) % NW], WORDS[(k // 11) % NW]
        out.append({
            "id": k,
            "name": f"{a.title()} {b.title()}",
            "email": f"{a}.{b}@{c}.example.com",
            "company": f"{c.title()} Ltd",
            "score": round((k % 1000) / 10, 1),
            "tags": [b, c],
            "author": b,
        })
    return out


class Entry:
    """One log entry in a format-neutral shape (the writers translate it)."""

    __slots__ = ("entry_id", "name", "kind", "automation", "parent", "iteration", "page",
                 "status", "start", "end", "input", "output", "error", "http", "review",
                 "summary", "children")

    def __init__(self, **kw: Any) -> None:
        for s in self.__slots__:
            setattr(self, s, kw.get(s))
        if self.children is None:
            self.children = []


class Run:
    __slots__ = ("n", "run_id", "composer", "composer_id", "mode", "start", "end", "entries",
                 "failed")

    def __init__(self, n, run_id, composer, composer_id, mode, start, end, entries, failed):
        self.n, self.run_id, self.composer, self.composer_id = n, run_id, composer, composer_id
        self.mode, self.start, self.end, self.entries, self.failed = mode, start, end, entries, failed

    def tops(self) -> list[Entry]:
        return [e for e in self.entries if e.parent is None]


def make_run(n: int, *, entries: int | None = None) -> Run:
    """Run number `n` (deterministic); `entries` sets about how many entries (loop size)."""
    rng = random.Random(n)
    composer = COMPOSERS[n % len(COMPOSERS)]
    t0 = n * 90.0
    t = t0
    out: list[Entry] = []
    failed = n % 20 == 13
    counter = 0

    def payload(kind: str, big_ok: bool = True) -> tuple[Any, Any]:
        nonlocal counter
        counter += 1
        seed = rng.randrange(1_000_000)
        inp = {"request_id": f"{n}-{counter}", "note": PROSE[(n + counter) % len(PROSE)],
               "items": _items(seed, 4)}
        if big_ok and n % 250 == 125 and counter == 5:
            outp: Any = {"export": _items(seed, 15_000)}  # ~2 MB
        elif big_ok and (n * ENTRIES_PER_RUN + counter) % 50 == 0:
            outp = {"rows": _items(seed, 750)}  # ~100 KB
        else:
            outp = {"rows": _items(seed + 1, 13), "kind": kind}
        return inp, outp

    def add(**kw: Any) -> Entry:
        nonlocal t
        start = t
        t += 0.2 + rng.random()
        e = Entry(entry_id=f"e{len(out) + 1:04d}", start=start, end=t, **kw)
        out.append(e)
        if e.parent is not None:
            by_id[e.parent].children.append(e)
        by_id[e.entry_id] = e
        return e

    by_id: dict[str, Entry] = {}

    def secret(*parts: Any) -> str:
        return f"{SECRET_MARK}-{n}-" + "-".join(map(str, parts))

    url = f"https://api.example.com/{composer.split()[0].lower()}/records"
    fetch = add(name="Fetch records", kind="http", automation="Ingest", status="success",
                http={"request": {"method": "GET", "url": url}})
    for page in (1, 2, 3):
        inp, outp = payload("http")
        add(name="Fetch records", kind="http", automation="Ingest", parent=fetch.entry_id,
            page=page, status="success",
            http={"request": {"method": "GET", "url": f"{url}?page={page}",
                              "headers": {"accept": "application/json",
                                          "authorization": f"Bearer {secret('fetch', page)}"},
                              "body": inp},
                  "response": {"status": 200, "headers": {"content-type": "application/json"},
                               "body": outp}})
    inp, outp = payload("code")
    add(name="Normalise", kind="code", automation="Ingest", status="success", input=inp,
        output=outp)
    loop = add(name="For each record", kind="loop", automation="Process", status="success",
               input={"count": 10})
    iterations = 10 if entries is None else max(1, (entries - 7) // 3)
    for i in range(iterations):
        item = {"id": n * 100 + i, "name": WORDS[(n + i) % NW]}
        inp, outp = payload("http")
        if failed and i == 7:
            add(name="Enrich record", kind="http", automation="Process", parent=loop.entry_id,
                iteration={"index": i, "item": item}, status="error",
                http={"request": {"method": "POST", "url": "https://enrich.example.com/v1",
                                  "headers": {"x-api-key": secret("enrich", i)}, "body": inp},
                      "response": {"status": 500,
                                   "headers": {"content-type": "application/json"},
                                   "body": {"error": "upstream timeout", "detail": outp}}})
        else:
            add(name="Enrich record", kind="http", automation="Process", parent=loop.entry_id,
                iteration={"index": i, "item": item}, status="success",
                http={"request": {"method": "POST", "url": "https://enrich.example.com/v1",
                                  "headers": {"x-api-key": secret("enrich", i)}, "body": inp},
                      "response": {"status": 200,
                                   "headers": {"content-type": "application/json"},
                                   "body": outp}})
        inp, outp = payload("code")
        add(name="Score record", kind="code", automation="Process", parent=loop.entry_id,
            iteration={"index": i, "item": item}, status="success", input=inp, output=outp)
        inp, outp = payload("review", big_ok=False)
        add(name="Review score", kind="review", automation="Process", parent=loop.entry_id,
            iteration={"index": i, "item": item}, status="success", input=inp, output=outp,
            review={"mode": "notify", "decision": "approved", "reviewer": "dana"})
    loop.end = t
    if failed:
        loop.status = "error"
    inp, outp = payload("database")
    inp["connection"] = {"host": "db.internal", "user": "app", "password": secret("db")}
    add(name="Insert rows", kind="database", automation="Deliver", status="success", input=inp,
        output=outp, summary={"table": "records"})
    inp, outp = payload("notification")
    add(name="Notify team", kind="notification", automation="Deliver", status="success",
        input=inp, output=outp, summary={"recipient": "ops@example.com"})
    return Run(n, f"run-{n:06d}", composer, f"c-{n % len(COMPOSERS)}",
               "test" if n % 7 == 0 else "live", t0, t + 0.5, out, failed)


def make_tiny_run(n: int) -> Run:
    """Run number `n` with one small entry: for listings of very many runs. One run in
    nine fails on an HTTP call (two status codes, messages that differ by numbers), so
    the Failures page and the insights pages have something to group and count."""
    t0 = n * 60.0
    failed = n % 9 == 4
    if failed:
        code = 503 if n % 2 else 504
        e = Entry(entry_id="e0001", name="Fetch items", kind="http", automation="Ingest",
                  status="error", start=t0, end=t0 + 1 + n % 30,
                  http={"request": {"method": "GET", "url": f"https://api.example.com/v2/items/{n}"},
                        "response": {"status": code,
                                     "body": {"message": f"Upstream timed out after {n % 30 + 1} s"}}})
    else:
        e = Entry(entry_id="e0001", name="Check", kind="code", automation="Ingest",
                  status="success", start=t0, end=t0 + 1)
    return Run(n, f"run-{n:06d}", COMPOSERS[n % len(COMPOSERS)], f"c-{n % len(COMPOSERS)}",
               "test" if n % 7 == 0 else "live", t0, t0 + 2 + (n % 30 if failed else 0), [e], failed)


# --- JSONL (runreport) ---------------------------------------------------------------

def jsonl_records(run: Run) -> Iterator[dict[str, Any]]:
    yield {"v": 1, "type": "run", "run_id": run.run_id, "composer": run.composer,
           "composer_id": run.composer_id, "mode": run.mode, "started_at": _ts(run.start),
           "automations": list(AUTOMATIONS), "trigger": {"type": "schedule"}}
    for e in run.entries:
        rec: dict[str, Any] = {"type": "step", "run_id": run.run_id, "entry_id": e.entry_id,
                               "step_id": e.name.lower().replace(" ", "-"), "name": e.name,
                               "kind": e.kind, "automation": e.automation}
        for key in ("parent", "iteration", "page", "input", "output", "http", "review",
                    "summary"):
            v = getattr(e, key)
            if v is not None:
                rec[key] = v
        rec["started_at"] = _ts(e.start)
        if e.children:
            # A parent is logged when it starts and updated when its children are done.
            rec["status"] = "running"
            yield rec
            continue
        rec["status"] = e.status
        rec["ended_at"] = _ts(e.end)
        yield rec
    for e in run.entries:
        if e.children:
            yield {"type": "step", "run_id": run.run_id, "entry_id": e.entry_id,
                   "status": e.status, "ended_at": _ts(e.end)}
    yield {"type": "run_end", "run_id": run.run_id, "ended_at": _ts(run.end)}


def jsonl_bytes(run: Run) -> bytes:
    return b"".join(orjson.dumps(r) + b"\n" for r in jsonl_records(run))


# --- Robot Framework output.xml ------------------------------------------------------

def _rf_time(seconds: float) -> str:
    t = BASE + dt.timedelta(seconds=seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f")


def _rf_status(ok: bool, start: float, end: float) -> str:
    return (f'<status status="{"PASS" if ok else "FAIL"}" start="{_rf_time(start)}" '
            f'elapsed="{end - start:.3f}"/>\n')


def _rf_entry(e: Entry, out: list[str]) -> None:
    ok = e.status != "error"
    out.append(f'<kw name={quoteattr(e.name)} owner={quoteattr(e.kind.title())}>\n')
    data_in = e.input if e.http is None else e.http.get("request")
    data_out = e.output if e.http is None else e.http.get("response")
    for label, value in (("input", data_in), ("output", data_out)):
        if value is not None:
            text = escape(orjson.dumps(value).decode())
            out.append(f'<msg time="{_rf_time(e.start)}" level="INFO">{label}: {text}</msg>\n')
    if e.children:
        if e.kind == "loop":
            out.append('<for flavor="IN">\n')
            by_iter: dict[int, list[Entry]] = {}
            for c in e.children:
                by_iter.setdefault(c.iteration["index"], []).append(c)
            for idx, kids in by_iter.items():
                out.append("<iter>\n")
                out.append(f'<var name="${{item}}">{escape(orjson.dumps(kids[0].iteration["item"]).decode())}</var>\n')
                for c in kids:
                    _rf_entry(c, out)
                out.append(_rf_status(all(c.status != "error" for c in kids),
                                      kids[0].start, kids[-1].end))
                out.append("</iter>\n")
            out.append('<var>${item}</var>\n<value>${records}</value>\n')
            out.append(_rf_status(ok, e.start, e.end))
            out.append("</for>\n")
        else:
            for c in e.children:
                _rf_entry(c, out)
    if not ok:
        out.append(f'<msg time="{_rf_time(e.end)}" level="FAIL">request failed</msg>\n')
    out.append(_rf_status(ok, e.start, e.end))
    out.append("</kw>\n")


def robot_test(run: Run, test_id: str) -> str:
    out = [f'<test id="{test_id}" name="{run.run_id}" line="1">\n']
    for e in run.tops():
        _rf_entry(e, out)
    out.append(f'<tag>{run.mode}</tag>\n')
    out.append(_rf_status(not run.failed, run.start, run.end))
    out.append("</test>\n")
    return "".join(out)


# --- Allure results ------------------------------------------------------------------

def _ms(seconds: float) -> int:
    return int((BASE.timestamp() + seconds) * 1000)


def allure_files(run: Run) -> Iterator[tuple[str, bytes]]:
    """(file name, bytes) of one run's result and its attachments."""
    ns = uuid.UUID(int=run.n)

    def step(e: Entry) -> dict[str, Any]:
        data_in = e.input if e.http is None else e.http.get("request")
        data_out = e.output if e.http is None else e.http.get("response")
        att = []
        if data_in is not None or data_out is not None:
            name = f"{uuid.uuid5(ns, e.entry_id)}-attachment.json"
            files.append((name, orjson.dumps({"input": data_in, "output": data_out})))
            att.append({"name": "input and output", "source": name, "type": "application/json"})
        params = []
        if e.iteration is not None:
            params.append({"name": "iteration", "value": str(e.iteration["index"] + 1)})
        if e.page is not None:
            params.append({"name": "page", "value": str(e.page)})
        return {"name": e.name, "status": "failed" if e.status == "error" else "passed",
                "stage": "finished", "start": _ms(e.start), "stop": _ms(e.end),
                "attachments": att, "parameters": params,
                "steps": [step(c) for c in e.children]}

    files: list[tuple[str, bytes]] = []
    steps = [step(e) for e in run.tops()]
    rid = str(uuid.uuid5(ns, run.run_id))
    result = {
        "uuid": rid, "historyId": run.run_id, "testCaseId": run.run_id,
        "name": run.run_id, "fullName": f"{run.composer}.{run.run_id}",
        "status": "failed" if run.failed else "passed", "stage": "finished",
        "start": _ms(run.start), "stop": _ms(run.end),
        "labels": [{"name": "suite", "value": run.composer},
                   {"name": "tag", "value": run.mode}],
        "steps": steps,
    }
    yield f"{rid}-result.json", orjson.dumps(result)
    yield from files


# --- writers -------------------------------------------------------------------------

def generate(n: int, out: Path, formats: set[str]) -> dict[str, int]:
    """Write the workload of `n` runs under `out`; return bytes per format."""
    out.mkdir(parents=True, exist_ok=True)
    sizes = {f: 0 for f in formats}
    jfh = None
    parts: dict[str, Any] = {}
    tmp = out / "robot-parts"
    if "robot" in formats:
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
    if "allure" in formats:
        shutil.rmtree(out / "allure-results", ignore_errors=True)
        (out / "allure-results").mkdir()
    if "jsonl" in formats:
        shutil.rmtree(out / "jsonl", ignore_errors=True)
        (out / "jsonl").mkdir()
    counts: dict[str, int] = {}
    for i in range(n):
        run = make_run(i)
        if "jsonl" in formats:
            if i % RUNS_PER_FILE == 0:
                if jfh:
                    jfh.close()
                jfh = open(out / "jsonl" / f"runs-{i // RUNS_PER_FILE:04d}.jsonl", "wb")
            data = jsonl_bytes(run)
            jfh.write(data)
            sizes["jsonl"] += len(data)
        if "robot" in formats:
            c = COMPOSERS.index(run.composer)
            if run.composer not in parts:
                parts[run.composer] = open(tmp / f"{c}.xml", "w", encoding="utf-8")
            counts[run.composer] = counts.get(run.composer, 0) + 1
            parts[run.composer].write(robot_test(run, f"s1-s{c + 1}-t{counts[run.composer]}"))
        if "allure" in formats:
            for name, data in allure_files(run):
                (out / "allure-results" / name).write_bytes(data)
                sizes["allure"] += len(data)
    if jfh:
        jfh.close()
    if "robot" in formats:
        for fh in parts.values():
            fh.close()
        sizes["robot"] = _assemble_robot(out / "output.xml", tmp, n)
        shutil.rmtree(tmp)
    return sizes


def _assemble_robot(path: Path, parts: Path, n: int) -> int:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                 '<robot generator="Robot 7.0 (Python 3.11 on linux)" '
                 f'generated="{_rf_time(0)}" rpa="false" schemaversion="5">\n'
                 '<suite id="s1" name="Bench">\n')
        for c, composer in enumerate(COMPOSERS):
            part = parts / f"{c}.xml"
            if not part.exists():
                continue
            fh.write(f'<suite id="s1-s{c + 1}" name={quoteattr(composer)}>\n')
            with open(part, encoding="utf-8") as src:
                shutil.copyfileobj(src, fh, 1 << 20)
            fh.write(_rf_status(True, 0, n * 90.0) + "</suite>\n")
        fh.write(_rf_status(True, 0, n * 90.0) + "</suite>\n")
        fh.write("<statistics>\n<total>\n</total>\n<tag>\n</tag>\n<suite>\n</suite>\n"
                 "</statistics>\n<errors>\n</errors>\n</robot>\n")
    return path.stat().st_size


def append_run(jsonl_dir: Path, n: int) -> int:
    """Append run number `n` to the last JSONL file of a workload; return bytes appended."""
    last = sorted(jsonl_dir.glob("runs-*.jsonl"))[-1]
    data = jsonl_bytes(make_run(n))
    with open(last, "ab") as fh:
        fh.write(data)
    return len(data)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int)
    ap.add_argument("out", type=Path)
    ap.add_argument("--formats", default="jsonl,robot,allure")
    a = ap.parse_args(argv)
    sizes = generate(a.n, a.out, set(a.formats.split(",")))
    for k, v in sizes.items():
        print(f"{k}: {v / 1e6:.1f} MB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
