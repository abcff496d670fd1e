#!/usr/bin/env python3
"""Write the sample run logs shipped in sample_runs/, byte-identically every time.

Usage: ``python3 tools/generate_samples.py [OUT_DIR]`` (default: sample_runs/).

Everything is derived from fixed base timestamps and ``random.Random`` seeded
with each run id, so editing one run leaves the others unchanged. The logs
follow the run log format (version 1) and contain no problems: malformed
input belongs in test fixtures, not here.

Files written (several runs share a file; records of concurrent runs are
interleaved in write order, as the engine writes them):

    2026-11-17.jsonl .. 2026-11-20.jsonl   main engine, UTC timestamps with ms
    archive/2026-11-16.jsonl.gz            compressed, second precision
    eu/2026-11-19.jsonl, eu/2026-11-20.jsonl   timestamps with +01:00 offset
    webhooks/2026-11-18.ndjson             records without the optional "v"

Which run covers which case (tests of other modules refer to these ids),
with the run status the format derives:

    r1116-digest-01    completed       single-automation composer (no `automations`); Markdown
                                       output with headings, a list, a table, a link and code
    r1116-lead-01      completed       three automations in `automations` order; loop over leads
    r1116-inv-01       completed       invoice loop, database insert (summary table "invoices")
    r1116-ticket-01    completed       test mode; notification summary (recipient)
    r1117-inv-02       failed          HTTP 500 with a JSON body (object, application/json);
                                       the steps after it skipped; run failed
    r1117-lead-02      failed          paginated request: parent + pages 1..4, page 4 is a 429
                                       with a JSON object body; run failed
    r1117-ticket-02    completed       every step of automation "Respond" skipped
    r1117-digest-02    failed          run-level error on run_end (timeout) while every entry
                                       succeeded
    r1117-export-01    completed       output larger than 2 MB (a JSON object, an export)
    r1118-lead-03      completed       loop with a rejected iteration: Review in wait mode
                                       rejected, later steps of that iteration skipped; run
                                       completed
    r1118-catalog-01   completed       nesting three deep: loop > sub-loop > steps
    r1118-inv-03       failed          loop with a failed iteration (error with message, type,
                                       stack); loop's own error is a string
    r1118-ticket-03    failed          status aliases `in_progress`, `succeeded`, `failed`,
                                       `completed`
    r1118-digest-03    completed       Markdown output; unknown extra fields (tokens, cost)
    r1118-export-02    completed       test-mode export, small
    r1118-lead-04      completed       spread over two files (starts in 2026-11-18.jsonl,
                                       ends in 2026-11-19.jsonl)
    r1118-ticket-04    completed       `notify`-mode review approved (webhooks .ndjson)
    r1118-ticket-05    completed       updates carrying `seq` numbers
    r1118-ticket-06    completed       an update pair written out of `seq` order (seq 2 before
                                       seq 1)
    r1119-catalog-02   completed       loop > paginated request > pages (three deep)
    r1119-lead-05      completed       output that is an array of 640 objects
    r1119-lead-06      failed          paginated request whose last page is a 400 whose body
                                       is a JSON *string* (content-type text/plain)
    r1119-inv-04       completed       retried step: error, then success with `"error": null`
                                       clearing it; extra fields (attempt, worker)
    r1119-digest-04    failed          run-level error as a string
    r1119-inv-05       completed       plain successful live run
    r1119-contract-01  completed       Review in wait mode approved (eu, +01:00 timestamps)
    r1119-contract-02  completed       Review in wait mode rejected at top level; every step
                                       of "Send" skipped; run completed
    r1119-contract-03  completed       `notify`-mode review approved
    r1120-catalog-03   completed       nightly sync, success
    r1120-inv-06       completed       successful invoice run
    r1120-ticket-07    completed       secrets: `password` and `api_token` in an input,
                                       Authorization and X-Api-Key request headers
    r1120-lead-07      running         still running: an entry `in_progress`, no run_end
    r1120-export-03    running         still running: an entry `running`, no run_end
    r1120-digest-05    running         started, no entries yet (running)
    r1120-contract-04  awaiting_review awaiting review: wait-mode review running, decision
                                       null, no run_end
    r1120-contract-05  completed       test-mode contract run, success

Every run has `trigger`; most have `meta`, `composer_id` and `step_id`s.
Credentials (Authorization: Bearer, X-Api-Key) appear in the request headers
of the CRM, enrichment, helpdesk and ledger calls.
"""

from __future__ import annotations

import gzip
import io
import json
import random
import re
import sys
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sample_exports  # noqa: E402  (the other engines' exports, beside the run logs)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "sample_runs"
LOG_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".json")

UTC = timezone.utc
CET = timezone(timedelta(hours=1))

def utc(day: int, hh: int, mm: int, ss: int = 0) -> datetime:
    return datetime(2026, 11, day, hh, mm, ss, tzinfo=UTC)


# --- output files -----------------------------------------------------------


@dataclass(frozen=True)
class Stream:
    """Where and how one engine writes its log records."""

    folder: str
    suffix: str
    tz: timezone
    millis: bool = True
    versioned: bool = True
    single_file: str | None = None

    def ts(self, at: datetime) -> str:
        local = at.astimezone(self.tz)
        text = local.strftime("%Y-%m-%dT%H:%M:%S")
        if self.millis:
            text += f".{local.microsecond // 1000:03d}"
        if self.tz is UTC:
            return text + "Z"
        offset = local.strftime("%z")
        return f"{text}{offset[:3]}:{offset[3:]}"

    def path(self, at: datetime) -> str:
        name = self.single_file or at.astimezone(self.tz).strftime("%Y-%m-%d") + self.suffix
        return f"{self.folder}/{name}" if self.folder else name


MAIN = Stream("", ".jsonl", UTC)
ARCHIVE = Stream("archive", ".jsonl.gz", UTC, millis=False, single_file="2026-11-16.jsonl.gz")
EU = Stream("eu", ".jsonl", CET)
WEBHOOKS = Stream("webhooks", ".ndjson", UTC, versioned=False)


class Log:
    """Every record of every run, with the time and file it is written to."""

    def __init__(self) -> None:
        self._records: list[tuple[datetime, int, str, str]] = []

    def add(self, path: str, at: datetime, record: dict) -> None:
        # Serialise now: builders reuse and extend dicts after writing them.
        text = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        self._records.append((at, len(self._records), path, text))

    def files(self) -> dict[str, bytes]:
        """Return file contents by relative path, records in write-time order."""
        lines: dict[str, list[str]] = {}
        for _at, _n, path, text in sorted(self._records, key=lambda r: (r[0], r[1])):
            lines.setdefault(path, []).append(text + "\n")
        out = {}
        for path in sorted(lines):
            data = "".join(lines[path]).encode("utf-8")
            if path.endswith(".gz"):
                data = gzip_bytes(data)
            out[path] = data
        return out


def gzip_bytes(data: bytes) -> bytes:
    # mtime=0 and no file name keep the gzip header free of time and place.
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, filename="") as gz:
        gz.write(data)
    return buf.getvalue()


# --- the run builder ----------------------------------------------------------


@dataclass
class Entry:
    id: str
    request: dict | None = None
    seq: int | None = None


_FIELD_ORDER = (
    "entry_id", "seq", "step_id", "name", "kind", "automation", "parent", "iteration", "page",
    "status", "started_at", "ended_at", "input", "output", "error", "http", "review", "summary",
)


def _put(fields: dict, key: str, value) -> None:
    # None means "absent"; updates that clear a field with an explicit null use Run.write.
    if value is not None:
        fields[key] = value


class Run:
    """Writes the records of one run, keeping a clock that only moves forward."""

    def __init__(self, log: Log, stream: Stream, run_id: str, composer: str, composer_id: str | None,
                 mode: str, started: datetime, *, automations: list[str] | None = None,
                 trigger=None, meta=None) -> None:
        self.log, self.stream, self.run_id = log, stream, run_id
        self.rng = random.Random(run_id)
        self.now = started
        self.automation: str | None = None
        self._count = 0
        fields: dict = {"composer": composer}
        _put(fields, "composer_id", composer_id)
        fields["mode"] = mode
        fields["started_at"] = stream.ts(started)
        _put(fields, "automations", automations)
        _put(fields, "trigger", trigger)
        _put(fields, "meta", meta)
        self.write("run", fields, started)

    # clock
    def tick(self, lo: float, hi: float | None = None) -> datetime:
        """Move the clock by lo..hi seconds (millisecond steps)."""
        ms = round(lo * 1000) if hi is None else self.rng.randint(round(lo * 1000), round(hi * 1000))
        self.now += timedelta(milliseconds=ms)
        return self.now

    def ts(self, at: datetime | None = None) -> str:
        return self.stream.ts(at or self.now)

    def write(self, record_type: str, fields: dict, at: datetime) -> None:
        """Write one record as it is (for updates the helpers below do not shape)."""
        record: dict = {"v": 1} if self.stream.versioned else {}
        record["type"] = record_type
        record["run_id"] = self.run_id
        record.update(fields)
        self.log.add(self.stream.path(at), at, record)

    def _fields(self, values: dict, extra: dict | None) -> dict:
        fields: dict = {}
        for key in _FIELD_ORDER:
            _put(fields, key, values.get(key))
        for key, value in (extra or {}).items():
            _put(fields, key, value)
        return fields

    # entries
    def next_id(self) -> str:
        self._count += 1
        return f"e{self._count:03d}"

    def start(self, name: str, *, kind: str | None = None, step_id: str | None = None,
              automation: str | None = None, parent: Entry | None = None, iteration: dict | None = None,
              page: int | None = None, input=None, request: dict | None = None, review: dict | None = None,
              status: str = "running", seq: bool = False, extra: dict | None = None,
              gap: tuple[float, float] = (0.02, 0.3), write: bool = True) -> tuple[Entry, dict]:
        """Open an entry: write its first record with status running (unless write=False)."""
        self.tick(*gap)
        entry = Entry(self.next_id(), request=request, seq=1 if seq else None)
        values = {
            "entry_id": entry.id, "seq": entry.seq, "step_id": step_id, "name": name, "kind": kind,
            "automation": automation or self.automation, "parent": parent.id if parent else None,
            "iteration": iteration, "page": page, "status": status, "started_at": self.ts(),
            "input": input, "http": {"request": request} if request else None, "review": review,
        }
        fields = self._fields(values, extra)
        if write:
            self.write("step", fields, self.now)
        return entry, fields

    def finish(self, entry: Entry, status: str = "success", *, output=None, error=None,
               response: dict | None = None, review: dict | None = None, summary: dict | None = None,
               extra: dict | None = None, dur: tuple[float, float] | None = None,
               write: bool = True) -> dict:
        """Write the update that closes an entry (full `http`/`review`, as merge replaces them)."""
        if dur:
            self.tick(*dur)
        if entry.seq is not None:
            entry.seq += 1
        values = {
            "entry_id": entry.id, "seq": entry.seq, "status": status,
            "ended_at": self.ts(), "output": output, "error": error,
            "http": {"request": entry.request, "response": response} if response else None,
            "review": review, "summary": summary,
        }
        fields = self._fields(values, extra)
        if write:
            self.write("step", fields, self.now)
        return fields

    def step(self, name: str, *, dur: tuple[float, float] = (0.2, 1.5), status: str = "success",
             split: bool = True, output=None, error=None, response: dict | None = None,
             summary: dict | None = None, end_extra: dict | None = None,
             **start_kw) -> Entry:
        """One entry from start to end: a running record and its update, or one record."""
        entry, first = self.start(name, write=split, **start_kw)
        last = self.finish(entry, status, output=output, error=error, response=response,
                           summary=summary, extra=end_extra, dur=dur, write=split)
        if not split:
            merged = dict(first)
            merged.update(last)
            self.write("step", self._fields(merged, {k: v for k, v in merged.items() if k not in _FIELD_ORDER}),
                        self.now)
        return entry

    def skipped(self, name: str, **start_kw) -> Entry:
        """An entry the engine did not execute: one record, no timing."""
        self.tick(0.001, 0.004)
        entry = Entry(self.next_id())
        parent = start_kw.pop("parent", None)
        values = {"entry_id": entry.id, "name": name, "automation": start_kw.pop("automation", None) or self.automation,
                  "parent": parent.id if parent else None, "status": "skipped", **start_kw}
        self.write("step", self._fields(values, None), self.now)
        return entry

    def end(self, error=None, gap: tuple[float, float] = (0.05, 0.4)) -> None:
        self.tick(*gap)
        fields = {"ended_at": self.ts()}
        _put(fields, "error", error)
        self.write("run_end", fields, self.now)


# --- realistic data -----------------------------------------------------------

FIRST = ["Maria", "James", "Aisha", "Tomasz", "Yuki", "Lena", "Carlos", "Priya", "Noah", "Fatima",
         "Oliver", "Chen", "Sofia", "Mateo", "Ingrid", "Kwame", "Elena", "Ravi", "Hannah", "Lucas",
         "Amara", "Jonas", "Mei", "Diego", "Zoë", "Arjun", "Clara", "Emeka", "Sara", "Felix", "Björn",
         "Leila", "Hugo", "Nadia", "Kenji", "Olga"]
LAST = ["Lopez", "Smith", "Khan", "Nowak", "Tanaka", "Fischer", "Mendes", "Patel", "Brown", "Haddad",
        "Jensen", "Wang", "Rossi", "García", "Larsen", "Mensah", "Petrova", "Iyer", "Müller", "Dubois",
        "Okafor", "Berg", "Lin", "Santos", "Clarke", "Rao", "Schmidt", "Eze", "Cohen", "Weber",
        "Novák", "O'Brien", "Ferreira", "Kowalski", "Andersson", "Yamamoto"]
COMPANIES = ["Northwind Traders", "Acme Robotics", "Globex Logistics", "Initech Software",
             "Umbrella Health", "Stark Components", "Wayne Analytics", "Hooli Cloud", "Vandelay Imports",
             "Soylent Foods", "Tyrell Bioworks", "Cyberdyne Systems", "Pied Piper", "Aperture Labs",
             "Massive Dynamic", "Wonka Confectionery", "Oscorp Materials", "Monarch Travel",
             "Blue Sun Energy", "Bluth Properties"]
TITLES = ["Head of Operations", "VP Sales", "CTO", "Marketing Manager", "Procurement Lead",
          "Finance Director", "Founder & CEO", "IT Manager", "Customer Success Lead", "Data Engineer"]
INDUSTRIES = ["Logistics", "Software", "Healthcare", "Manufacturing", "Retail", "Food & Beverage",
              "Energy", "Financial Services", "Travel", "Biotech"]
COUNTRIES = ["US", "DE", "GB", "FR", "NL", "SE", "PL", "JP", "BR", "IN", "CA", "ES"]
CITIES = {"US": "Austin", "DE": "Berlin", "GB": "Manchester", "FR": "Lyon", "NL": "Utrecht",
          "SE": "Göteborg", "PL": "Kraków", "JP": "Osaka", "BR": "Curitiba", "IN": "Pune",
          "CA": "Montréal", "ES": "Valencia"}
STREETS = ["Market Street", "Hauptstraße", "Rue de la Paix", "Keizersgracht", "King Street",
           "Calle Mayor", "Storgatan", "ul. Floriańska", "Avenida Paulista", "MG Road"]
TEAM = ["dana.kowalski@example.com", "sam.okoro@example.com", "li.wei@example.com",
        "marta.nilsen@example.com", "ahmed.farouk@example.com"]
LEGAL = ["julia.hoffmann@example.com", "pierre.laurent@example.com"]
ENGINE = "FlowEngine/4.12.1 (+https://flow.example.com)"

CRM = "https://api.crm.example.com/v3"
ENRICH = "https://enrich.example.com/v1"
HELPDESK = "https://api.helpdesk.example.com/v2"
LEDGER = "https://api.ledger.example.com/v2"
CATALOG = "https://shop.example.com/admin/api/2026-10"
SLACK = "https://hooks.slack.example.com/services"

# Fake credentials, present so that redaction can be seen in the site.
CRM_TOKEN = "Bearer crm_live_7Hq2Lm9VxR4tK8sW3nZ6pB1c"
ENRICH_KEY = "ek_5f1c9a7e2b8d4036a9e1f0c2"
HELPDESK_TOKEN = "Bearer hd_pat_Qw3Er5Ty7Ui9Op1As3Df5Gh7"
LEDGER_TOKEN = "Bearer ldg_sk_live_2b7e151628aed2a6abf71588"
SHOP_KEY = "shpat_9f8e7d6c5b4a39281706f5e4"


def slug(text: str, sep: str = ".") -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", sep, plain.lower()).strip(sep)


def hexid(rng: random.Random, n: int) -> str:
    return f"{rng.getrandbits(4 * n):0{n}x}"


def company_domain(company: str) -> str:
    return f"{slug(company, '-')}.example.com"


def person(rng: random.Random) -> dict:
    first, last, company = rng.choice(FIRST), rng.choice(LAST), rng.choice(COMPANIES)
    return {"first_name": first, "last_name": last,
            "email": f"{slug(first)}.{slug(last)}@{company_domain(company)}",
            "company": company, "title": rng.choice(TITLES)}


def money(rng: random.Random, lo: float, hi: float) -> float:
    return round(rng.uniform(lo, hi), 2)


def json_response(r: Run, status: int, body, **headers) -> dict:
    h = {"content-type": "application/json; charset=utf-8", "date": http_date(r.now),
         "x-request-id": f"req_{hexid(r.rng, 16)}"}
    h.update({k.replace("_", "-"): v for k, v in headers.items()})
    return {"status": status, "headers": h, "body": body}


def http_date(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")


def request(method: str, url: str, *, auth: str | None = None, api_key: str | None = None,
            body=None, extra_headers: dict | None = None) -> dict:
    headers = {"Accept": "application/json", "User-Agent": ENGINE}
    if auth:
        headers["Authorization"] = auth
    if api_key:
        headers["X-Api-Key"] = api_key
    if body is not None:
        headers["Content-Type"] = "application/json"
    headers.update(extra_headers or {})
    req = {"method": method, "url": url, "headers": headers}
    if body is not None:
        req["body"] = body
    return req


def meta(version: str = "4.12.1", region: str = "us-east-1", **more) -> dict:
    return {"engine_version": version, "region": region, **more}


def slack_ts(r: Run) -> str:
    return f"{int(r.now.timestamp())}.{r.rng.randint(100000, 999999)}"


def it(index: int, item) -> dict:
    return {"index": index, "item": item}


# --- Lead enrichment ----------------------------------------------------------

LEAD_AUTOMATIONS = ["Ingest", "Enrich", "Sync to CRM"]


def new_lead(r: Run) -> dict:
    p = person(r.rng)
    return {"id": f"lead_{r.rng.randint(40000, 49999)}", **p,
            "source": r.rng.choice(["webinar", "website", "trade_show", "referral", "ebook"]),
            "created_at": r.ts(r.now - timedelta(hours=r.rng.randint(1, 20)))}


def lead_run(log: Log, run_id: str, started: datetime, mode: str, stream: Stream = MAIN, **kw) -> Run:
    return Run(log, stream, run_id, "Lead enrichment", "cmp_lead_enrichment", mode, started,
               automations=LEAD_AUTOMATIONS, **kw)


def fetch_leads(r: Run, leads: list[dict]) -> Entry:
    r.automation = "Ingest"
    return r.step("Fetch new leads", kind="http", step_id="fetch_leads", dur=(0.3, 1.2),
                  request=request("GET", f"{CRM}/leads?status=new&limit=50", auth=CRM_TOKEN),
                  response=json_response(r, 200, {"data": leads, "has_more": False}))


def enrich_lead(r: Run, loop: Entry, index: int, lead: dict, *, review: str | None = None,
                reviewer: str = TEAM[0], comment: str | None = None) -> dict:
    """One iteration of "For each lead": look up, score, optionally review, push."""
    item = {"id": lead["id"], "email": lead["email"]}
    iteration = it(index, item)
    domain = lead["email"].split("@")[1]
    company = {"domain": domain, "name": lead["company"],
               "employees": r.rng.choice([12, 48, 230, 1200, 5400]),
               "industry": r.rng.choice(INDUSTRIES), "country": r.rng.choice(COUNTRIES),
               "founded": r.rng.randint(1978, 2021),
               "linkedin_url": f"https://linkedin.example.com/company/{slug(lead['company'], '-')}"}
    r.step("Look up company", kind="http", step_id="lookup_company", parent=loop, iteration=iteration,
           dur=(0.3, 1.8), request=request("GET", f"{ENRICH}/companies?domain={domain}", api_key=ENRICH_KEY),
           response=json_response(r, 200, company, x_ratelimit_remaining=str(r.rng.randint(50, 900))))
    score = r.rng.randint(35, 96)
    fit = "strong" if score >= 75 else "moderate" if score >= 55 else "weak"
    text = (f"**Score: {score}/100** ({fit} fit)\n\n"
            f"- {company['employees']} employees, {company['industry']}\n"
            f"- Contact is *{lead['title']}*\n"
            f"- Source: `{lead['source']}`")
    r.step("Score lead", kind="prompt", step_id="score_lead", parent=loop, iteration=iteration, dur=(1.5, 4.5),
           input={"model": "gpt-4o-mini", "temperature": 0.2,
                  "prompt": "Score this B2B lead from 0 to 100 for fit with our ideal customer profile. "
                            "Answer with a bold score line and three bullet points.",
                  "variables": {"lead": lead, "company": company}},
           output={"score": score, "text": text})
    if review:
        decided = "approved" if review == "approved" else "rejected"
        rev, _ = r.start("Approve lead", kind="review", step_id="approve_lead", parent=loop, iteration=iteration,
                         review={"mode": "wait", "decision": None})
        r.tick(25, 240)
        done = {"mode": "wait", "decision": decided, "reviewer": reviewer, "comment": comment,
                "decided_at": r.ts()}
        r.finish(rev, "success" if decided == "approved" else "rejected", review=done,
                 output={"decision": decided})
        if decided == "rejected":
            r.skipped("Push to CRM", kind="http", step_id="push_crm", parent=loop, iteration=iteration)
            r.skipped("Notify owner", kind="notification", step_id="notify_owner", parent=loop,
                      iteration=iteration)
            return {"id": lead["id"], "pushed": False, "score": score}
    update = {"enrichment": {"employees": company["employees"], "industry": company["industry"],
                             "country": company["country"]}, "lead_score": score,
              "status": "qualified" if score >= 60 else "nurture"}
    r.step("Push to CRM", kind="http", step_id="push_crm", parent=loop, iteration=iteration, dur=(0.2, 0.9),
           request=request("PATCH", f"{CRM}/leads/{lead['id']}", auth=CRM_TOKEN, body=update),
           response=json_response(r, 200, {"id": lead["id"], "updated": True, **update}))
    owner = r.rng.choice(TEAM)
    r.step("Notify owner", kind="notification", step_id="notify_owner", parent=loop, iteration=iteration,
           dur=(0.1, 0.5), input={"channel": "email", "to": owner,
                                 "subject": f"New {fit}-fit lead: {lead['first_name']} {lead['last_name']}"},
           output={"delivered": True, "message_id": f"<{hexid(r.rng, 12)}@mail.example.com>"},
           summary={"recipient": owner})
    return {"id": lead["id"], "pushed": True, "score": score}


def sync_log(r: Run, results: list[dict]) -> None:
    r.automation = "Sync to CRM"
    pushed = [x for x in results if x["pushed"]]
    r.step("Write sync log", kind="database", step_id="write_sync_log", dur=(0.05, 0.3),
           input={"operation": "insert", "table": "lead_sync_log",
                  "rows": [{"lead_id": x["id"], "score": x["score"], "pushed": x["pushed"]} for x in results]},
           output={"inserted": len(results)}, summary={"table": "lead_sync_log", "rows": len(results)})
    lines = "\n".join(f"• `{x['id']}` score {x['score']}" for x in pushed) or "• none"
    r.step("Notify sales channel", kind="notification", step_id="notify_sales", dur=(0.2, 0.6),
           input={"channel": "#sales-leads", "text": f"*{len(pushed)} new leads enriched*\n{lines}"},
           output={"ok": True, "channel": "C04SALES01", "ts": slack_ts(r)},
           summary={"recipient": "#sales-leads"})


def simple_lead_run(log: Log, run_id: str, started: datetime, mode: str, n: int, *, reviews=None,
                    stream_meta=None, stream: Stream = MAIN) -> Run:
    r = lead_run(log, run_id, started, mode, stream, trigger={"type": "schedule", "cron": "*/30 * * * *"},
                 meta=stream_meta)
    leads = [new_lead(r) for _ in range(n)]
    fetch_leads(r, leads)
    r.automation = "Enrich"
    loop, _ = r.start("For each lead", kind="loop", step_id="each_lead", input={"items": len(leads)})
    results = [enrich_lead(r, loop, i, lead, **((reviews or {}).get(i, {}))) for i, lead in enumerate(leads)]
    r.finish(loop, output={"iterations": len(leads), "pushed": sum(x["pushed"] for x in results)})
    sync_log(r, results)
    r.end()
    return r


def r1116_lead_01(log: Log) -> None:
    simple_lead_run(log, "r1116-lead-01", utc(16, 9, 30, 12), "live", 3, stream=ARCHIVE,
                    stream_meta=meta(version="4.12.0", worker="wrk-03"))


def r1117_lead_02(log: Log) -> None:
    """Paginated request; page 4 is a 429 with a JSON object body."""
    r = lead_run(log, "r1117-lead-02", utc(17, 10, 3, 55), "test",
                 trigger={"type": "manual", "user": TEAM[2]}, meta=meta())
    r.automation = "Ingest"
    parent, _ = r.start("Fetch all leads", kind="http", step_id="fetch_all_leads",
                        input={"url": f"{CRM}/leads?status=any", "pagination": {"type": "cursor", "limit": 100}})
    cursor = None
    for page in range(1, 5):
        url = f"{CRM}/leads?status=any&limit=100" + (f"&cursor={cursor}" if cursor else "")
        req = request("GET", url, auth=CRM_TOKEN)
        if page < 4:
            cursor = hexid(r.rng, 12)
            leads = [new_lead(r) for _ in range(5)]
            r.step("Fetch all leads", kind="http", step_id="fetch_all_leads", parent=parent, page=page,
                   dur=(0.4, 1.1), request=req,
                   response=json_response(r, 200, {"data": leads, "has_more": True, "next_cursor": cursor},
                                          x_ratelimit_remaining=str(3 - page)))
        else:
            body = {"error": {"code": "rate_limited", "message": "Too many requests: limit of 3 requests per "
                              "second exceeded. Retry after 30 seconds.", "limit": 3, "retry_after": 30}}
            r.step("Fetch all leads", kind="http", step_id="fetch_all_leads", parent=parent, page=page,
                   status="error", dur=(0.1, 0.3), request=req,
                   response=json_response(r, 429, body, retry_after="30", x_ratelimit_remaining="0"))
    r.finish(parent, "error", output={"pages": 3, "records": 15},
             error={"message": "Page 4 failed with HTTP 429 Too Many Requests", "type": "PaginationError"})
    r.end()


def r1118_lead_03(log: Log) -> None:
    """Loop with a rejected iteration (wait-mode review)."""
    simple_lead_run(log, "r1118-lead-03", utc(18, 9, 0, 4), "live", 4, reviews={
        0: {"review": "approved", "reviewer": TEAM[0]},
        1: {"review": "rejected", "reviewer": TEAM[0], "comment": "Duplicate of an existing account (ACC-2291)."},
        2: {"review": "approved", "reviewer": TEAM[3], "comment": "Good fit, fast-track."},
        3: {"review": "approved", "reviewer": TEAM[3]},
    }, stream_meta=meta(worker="wrk-05", tags=["crm", "enrichment"]))


def r1118_lead_04(log: Log) -> None:
    """Starts before midnight, ends after: spread over two daily files."""
    simple_lead_run(log, "r1118-lead-04", utc(18, 23, 56, 40), "live", 5, reviews={
        i: {"review": "approved", "reviewer": TEAM[1]} for i in range(5)
    }, stream_meta=meta(worker="wrk-09"))


def r1119_lead_05(log: Log) -> None:
    """Output that is an array of 640 objects."""
    r = lead_run(log, "r1119-lead-05", utc(19, 9, 15, 0), "live",
                 trigger={"type": "schedule", "cron": "15 9 * * *"}, meta=None)
    r.automation = "Ingest"
    sql = ("SELECT id, first_name, last_name, email, company, title, country, lead_score, updated_at\n"
           "FROM contacts\nWHERE updated_at >= now() - interval '30 days'\nORDER BY updated_at DESC")
    rows = []
    for n in range(640):
        p = person(r.rng)
        rows.append({"id": 100000 + n * 7 + r.rng.randint(0, 6), **p, "country": r.rng.choice(COUNTRIES),
                     "lead_score": r.rng.randint(5, 99),
                     "updated_at": r.ts(r.now - timedelta(minutes=n * 61 + r.rng.randint(0, 60)))})
    r.step("Load recent contacts", kind="database", step_id="load_contacts", dur=(1.2, 2.5),
           input={"operation": "select", "query": sql}, output=rows,
           summary={"table": "contacts", "rows": len(rows)})
    r.step("Deduplicate contacts", kind="code", step_id="dedupe", dur=(0.1, 0.4),
           input={"language": "javascript", "source": "return dedupeBy(items, c => c.email.toLowerCase());"},
           output={"unique": len(rows) - 9, "duplicates": 9})
    r.automation = "Sync to CRM"
    r.step("Bulk upsert contacts", kind="http", step_id="bulk_upsert", dur=(2.0, 4.0),
           request=request("POST", f"{CRM}/contacts/bulk", auth=CRM_TOKEN,
                           body={"mode": "upsert", "match_on": "email", "count": len(rows) - 9}),
           response=json_response(r, 202, {"job_id": f"job_{hexid(r.rng, 10)}", "accepted": len(rows) - 9}))
    r.end()


def r1119_lead_06(log: Log) -> None:
    """Paginated request whose last page is a 400 with a JSON string body."""
    r = lead_run(log, "r1119-lead-06", utc(19, 10, 40, 21), "test",
                 trigger={"type": "manual", "user": TEAM[1]}, meta=meta(debug=True))
    r.automation = "Ingest"
    parent, _ = r.start("Fetch leads (paged)", kind="http", step_id="fetch_leads_paged",
                        input={"url": f"{CRM}/leads", "pagination": {"type": "page", "per_page": 50}})
    for page in range(1, 4):
        req = request("GET", f"{CRM}/leads?page={page}&per_page=50", auth=CRM_TOKEN)
        if page < 3:
            r.step("Fetch leads (paged)", kind="http", step_id="fetch_leads_paged", parent=parent, page=page,
                   dur=(0.3, 0.9), request=req,
                   response=json_response(r, 200, {"data": [new_lead(r) for _ in range(4)], "page": page,
                                                   "total_pages": 7}))
        else:
            body = json.dumps({"error": "invalid_page", "message": "page=3 is beyond the snapshot; restart "
                               "pagination from page 1", "snapshot_id": "snap_" + hexid(r.rng, 8)})
            resp = {"status": 400, "headers": {"content-type": "text/plain; charset=utf-8",
                                               "date": http_date(r.now), "content-length": str(len(body))},
                    "body": body}
            r.step("Fetch leads (paged)", kind="http", step_id="fetch_leads_paged", parent=parent, page=page,
                   status="error", dur=(0.1, 0.4), request=req, response=resp)
    r.finish(parent, "error", error="Pagination stopped: page 3 returned HTTP 400")
    r.end()


def r1120_lead_07(log: Log) -> None:
    """Still running: an entry in_progress, no run_end."""
    r = lead_run(log, "r1120-lead-07", utc(20, 10, 58, 0), "live",
                 trigger={"type": "schedule", "cron": "*/30 * * * *"}, meta=meta(worker="wrk-02"))
    leads = [new_lead(r) for _ in range(3)]
    fetch_leads(r, leads)
    r.automation = "Enrich"
    loop, _ = r.start("For each lead", kind="loop", step_id="each_lead", input={"items": 3},
                      status="in_progress")
    enrich_lead(r, loop, 0, leads[0])
    item = {"id": leads[1]["id"], "email": leads[1]["email"]}
    domain = leads[1]["email"].split("@")[1]
    r.start("Look up company", kind="http", step_id="lookup_company", parent=loop, iteration=it(1, item),
            request=request("GET", f"{ENRICH}/companies?domain={domain}", api_key=ENRICH_KEY),
            status="in_progress", extra={"attempt": 2, "timeout_ms": 30000})


# --- Invoice processing -------------------------------------------------------

INV_AUTOMATIONS = ["Receive", "Extract", "Book & notify"]
VENDORS = ["Contoso Office Supply", "Fabrikam Print Co.", "Tailspin Couriers", "Litware Cloud Hosting",
           "Proseware Consulting", "Adatum Cleaning Services", "Lucerne Catering"]


def inv_run(log: Log, run_id: str, started: datetime, mode: str, stream: Stream = MAIN, **kw) -> Run:
    return Run(log, stream, run_id, "Invoice processing", "cmp_invoice_processing", mode, started,
               automations=INV_AUTOMATIONS,
               trigger=kw.pop("trigger", {"type": "email", "mailbox": "invoices@example.com"}), **kw)


def new_invoice(r: Run) -> dict:
    vendor = r.rng.choice(VENDORS)
    items = []
    for _ in range(r.rng.randint(1, 4)):
        qty = r.rng.randint(1, 12)
        price = money(r.rng, 8, 420)
        items.append({"description": r.rng.choice(["Printer paper A4 (box)", "Toner cartridge", "Monthly hosting",
                                                   "Consulting hours", "Courier delivery", "Office cleaning",
                                                   "Lunch catering", "Ergonomic chair"]),
                      "quantity": qty, "unit_price": price, "amount": round(qty * price, 2)})
    subtotal = round(sum(x["amount"] for x in items), 2)
    tax = round(subtotal * 0.2, 2)
    day = r.rng.randint(2, 14)
    return {"vendor": vendor, "invoice_number": f"INV-{r.rng.randint(2026000, 2026999)}",
            "issue_date": f"2026-11-{day:02d}", "due_date": f"2026-12-{day:02d}", "currency": "EUR",
            "line_items": items, "subtotal": subtotal, "tax": tax, "total": round(subtotal + tax, 2)}


def receive_invoices(r: Run, n: int) -> list[dict]:
    r.automation = "Receive"
    msg_id = f"msg_{hexid(r.rng, 12)}"
    files = [{"filename": f"invoice-{r.rng.randint(1000, 9999)}.pdf", "size": r.rng.randint(40_000, 900_000),
              "content_type": "application/pdf"} for _ in range(n)]
    r.step("Read mailbox", kind="email", step_id="read_mailbox", dur=(0.4, 1.5),
           input={"mailbox": "invoices@example.com", "folder": "INBOX", "unread_only": True},
           output={"messages": [{"id": msg_id, "from": f"billing@{slug(r.rng.choice(VENDORS), '-')}.example.com",
                                 "subject": "Your invoice", "attachments": files}]},
           summary={"mailbox": "invoices@example.com"})
    r.step("Download attachments", kind="http", step_id="download_attachments", dur=(0.5, 2.5),
           request=request("GET", f"https://mail.example.com/api/messages/{msg_id}/attachments",
                           auth="Bearer mail_oauth_" + hexid(r.rng, 20)),
           response=json_response(r, 200, {"attachments": [
               {**f, "stored_as": f"s3://inbox-attachments/{msg_id}/{f['filename']}"} for f in files]}))
    return files


def extract_iteration(r: Run, loop: Entry, i: int, f: dict, *, fail: bool = False) -> dict | None:
    iteration = it(i, {"filename": f["filename"], "size": f["size"]})
    inv = new_invoice(r)
    r.step("Parse PDF", kind="code", step_id="parse_pdf", parent=loop, iteration=iteration, dur=(0.3, 1.4),
           input={"file": f["filename"]}, output={"pages": r.rng.randint(1, 3), "text_chars": r.rng.randint(900, 6000)})
    extracted = dict(inv)
    if fail:
        extracted = dict(inv, total=round(inv["total"] + 70, 2))
    r.step("Extract fields", kind="prompt", step_id="extract_fields", parent=loop, iteration=iteration,
           dur=(2.0, 6.0), input={"model": "gpt-4o", "prompt": "Extract vendor, invoice number, dates, currency, "
                                  "line items and totals from the invoice text as JSON.", "response_format": "json"},
           output=extracted,
           end_extra={"tokens": {"prompt": r.rng.randint(900, 3000), "completion": r.rng.randint(150, 500)}})
    line_total = round(sum(x["amount"] for x in inv["line_items"]) + inv["tax"], 2)
    if fail:
        stack = ("ValidationError: Line items total does not match invoice total\n"
                 "    at validateTotals (/app/steps/invoices/validate.js:41:11)\n"
                 "    at runCodeStep (/app/engine/steps/code.js:118:23)\n"
                 "    at async Loop.iterate (/app/engine/steps/loop.js:77:9)\n"
                 "    at async Runner.execute (/app/engine/runner.js:212:5)")
        r.step("Validate totals", kind="code", step_id="validate_totals", parent=loop, iteration=iteration,
               status="error", dur=(0.01, 0.05), input={"line_total": line_total, "invoice_total": extracted["total"]},
               error={"message": f"Line items total {line_total:,.2f} does not match invoice total "
                                 f"{extracted['total']:,.2f} ({inv['invoice_number']})",
                      "type": "ValidationError", "stack": stack, "code": "TOTAL_MISMATCH"})
        return None
    r.step("Validate totals", kind="code", step_id="validate_totals", parent=loop, iteration=iteration,
           dur=(0.01, 0.05), input={"line_total": line_total, "invoice_total": inv["total"]},
           output={"valid": True})
    return inv


def book_invoices(r: Run, invoices: list[dict], *, fail_500: bool = False) -> None:
    r.automation = "Book & notify"
    bills = [{"vendor": x["vendor"], "reference": x["invoice_number"], "amount": x["total"],
              "currency": x["currency"], "due_date": x["due_date"]} for x in invoices]
    req = request("POST", f"{LEDGER}/bills/batch", auth=LEDGER_TOKEN, body={"bills": bills},
                  extra_headers={"Idempotency-Key": hexid(r.rng, 32)})
    if fail_500:
        body = {"error": {"code": "internal_error", "message": "Unexpected error while posting bills. "
                          "Our team has been notified.", "request_id": f"req_{hexid(r.rng, 16)}",
                          "details": [{"bill": 1, "reason": "ledger lock timeout"}]}}
        r.step("Create bills in accounting", kind="http", step_id="create_bills", status="error", dur=(5.0, 12.0),
               request=req, response=json_response(r, 500, body))
        r.skipped("Save invoices", kind="database", step_id="save_invoices")
        r.skipped("Notify accounts payable", kind="notification", step_id="notify_ap")
        return
    ids = [f"bill_{hexid(r.rng, 10)}" for _ in invoices]
    r.step("Create bills in accounting", kind="http", step_id="create_bills", dur=(0.6, 2.0), request=req,
           response=json_response(r, 201, {"created": [{"id": i, "status": "draft"} for i in ids]}))
    r.step("Save invoices", kind="database", step_id="save_invoices", dur=(0.05, 0.3),
           input={"operation": "insert", "table": "invoices",
                  "values": [{"invoice_number": x["invoice_number"], "vendor": x["vendor"], "total": x["total"],
                              "bill_id": b} for x, b in zip(invoices, ids)]},
           output={"inserted": len(invoices), "ids": [r.rng.randint(8000, 9999) for _ in invoices]},
           summary={"table": "invoices"})
    total = round(sum(x["total"] for x in invoices), 2)
    r.step("Notify accounts payable", kind="notification", step_id="notify_ap", dur=(0.1, 0.5),
           input={"channel": "email", "to": "ap@example.com",
                  "subject": f"{len(invoices)} invoices booked (EUR {total:,.2f})"},
           output={"delivered": True}, summary={"recipient": "ap@example.com"})


def invoice_run(log: Log, run_id: str, started: datetime, mode: str, n: int, *, fail_at: int | None = None,
                fail_500: bool = False, stream: Stream = MAIN, **kw) -> Run:
    r = inv_run(log, run_id, started, mode, stream, **kw)
    files = receive_invoices(r, n)
    r.automation = "Extract"
    loop, _ = r.start("For each invoice", kind="loop", step_id="each_invoice", input={"items": n})
    invoices = [extract_iteration(r, loop, i, f, fail=(i == fail_at)) for i, f in enumerate(files)]
    good = [x for x in invoices if x]
    if fail_at is None:
        r.finish(loop, output={"iterations": n, "valid": len(good)})
    else:
        r.finish(loop, "error", output={"iterations": n, "valid": len(good)},
                 error=f"{n - len(good)} of {n} iterations failed")
    book_invoices(r, good, fail_500=fail_500)
    r.end()
    return r


def r1116_inv_01(log: Log) -> None:
    invoice_run(log, "r1116-inv-01", utc(16, 10, 15, 40), "live", 3, stream=ARCHIVE,
                meta=meta(version="4.12.0"))


def r1117_inv_02(log: Log) -> None:
    invoice_run(log, "r1117-inv-02", utc(17, 8, 47, 13), "live", 2, fail_500=True,
                meta=meta(worker="wrk-04"))


def r1118_inv_03(log: Log) -> None:
    invoice_run(log, "r1118-inv-03", utc(18, 9, 5, 11), "live", 4, fail_at=2,
                meta=meta(worker="wrk-01"))


def r1119_inv_04(log: Log) -> None:
    """A retried request: error, then success with `"error": null`; extra fields."""
    r = inv_run(log, "r1119-inv-04", utc(19, 11, 5, 36), "live",
                meta=meta(worker="wrk-06"))
    files = receive_invoices(r, 2)
    r.automation = "Extract"
    req = request("GET", "https://fx.example.com/v1/rates?base=EUR&symbols=USD,GBP,SEK",
                  api_key="fx_" + hexid(r.rng, 24))
    fx, _ = r.start("Fetch exchange rates", kind="http", step_id="fetch_fx", request=req,
                    extra={"attempt": 1, "worker": "wrk-06"})
    r.tick(30, 30)
    r.write("step", {"entry_id": fx.id, "status": "error", "ended_at": r.ts(),
                      "error": {"message": "connect ETIMEDOUT 203.0.113.10:443", "type": "RequestError",
                                "code": "ETIMEDOUT"}}, r.now)
    r.tick(5, 5)
    r.write("step", {"entry_id": fx.id, "status": "running", "ended_at": None, "attempt": 2}, r.now)
    r.tick(0.3, 0.8)
    r.write("step", {"entry_id": fx.id, "status": "success", "ended_at": r.ts(), "error": None,
                      "http": {"request": req, "response": json_response(
                          r, 200, {"base": "EUR", "date": "2026-11-19",
                                   "rates": {"USD": 1.0842, "GBP": 0.8571, "SEK": 11.472}})}},
             r.now)
    loop, _ = r.start("For each invoice", kind="loop", step_id="each_invoice", input={"items": 2})
    invoices = [extract_iteration(r, loop, i, f) for i, f in enumerate(files)]
    r.finish(loop, output={"iterations": 2, "valid": 2})
    book_invoices(r, invoices)
    r.end()


def r1119_inv_05(log: Log) -> None:
    invoice_run(log, "r1119-inv-05", utc(19, 16, 20, 2), "live", 2,
                meta=meta())


def r1120_inv_06(log: Log) -> None:
    invoice_run(log, "r1120-inv-06", utc(20, 8, 55, 10), "live", 3,
                meta=meta(worker="wrk-11"))


# --- Support ticket triage ----------------------------------------------------

TICKET_AUTOMATIONS = ["Intake", "Classify", "Respond"]
SUBJECTS = [
    ("billing", "Charged twice for the November invoice", "Hi, my card was charged twice this month (two "
     "payments of $249.00 on Nov 3). Can you refund one of them?"),
    ("bug", "Export to CSV hangs at 99%", "When I export more than 10k rows the progress bar stops at 99% and "
     "nothing downloads. Chrome 131 on macOS."),
    ("account", "Can't reset my password", "The reset email never arrives. I checked spam. My username is "
     "the email I'm writing from."),
    ("feature", "Dark mode for the dashboard?", "Our team works late; is a dark theme on the roadmap?"),
]


def ticket_run(log: Log, run_id: str, started: datetime, mode: str, stream: Stream = MAIN, **kw) -> Run:
    return Run(log, stream, run_id, "Support ticket triage", "cmp_ticket_triage", mode, started,
               automations=TICKET_AUTOMATIONS,
               trigger=kw.pop("trigger", {"type": "webhook", "source": "helpdesk", "event": "ticket.created"}), **kw)


def ticket_intake(r: Run, topic: int, *, seq: bool = False) -> dict:
    r.automation = "Intake"
    _category, subject, body = SUBJECTS[topic]
    p = person(r.rng)
    ticket = {"id": r.rng.randint(51000, 59999), "subject": subject, "body": body,
              "requester": {"name": f"{p['first_name']} {p['last_name']}", "email": p["email"]},
              "channel": r.rng.choice(["email", "web", "chat"]), "priority": "normal",
              "created_at": r.ts(r.now - timedelta(seconds=2))}
    r.step("Receive ticket", kind="trigger", step_id="receive_ticket", dur=(0.0, 0.05), split=False,
           output=ticket, seq=seq)
    r.step("Load customer", kind="http", step_id="load_customer", dur=(0.2, 0.7), seq=seq,
           request=request("GET", f"{HELPDESK}/customers?email={p['email']}", auth=HELPDESK_TOKEN),
           response=json_response(r, 200, {"id": f"cus_{hexid(r.rng, 8)}", "name": ticket["requester"]["name"],
                                           "plan": r.rng.choice(["starter", "growth", "enterprise"]),
                                           "open_tickets": r.rng.randint(0, 3), "since": "2023-04-11"}))
    return ticket


def ticket_classify(r: Run, ticket: dict, *, seq: bool = False, spam: bool = False) -> dict:
    r.automation = "Classify"
    if spam:
        result = {"category": "spam", "urgency": "none", "confidence": 0.97, "language": "en"}
    else:
        category = next(c for c, subject, _ in SUBJECTS if subject == ticket["subject"])
        result = {"category": category, "urgency": r.rng.choice(["low", "normal", "high"]),
                  "sentiment": r.rng.choice(["neutral", "frustrated", "positive"]),
                  "confidence": round(r.rng.uniform(0.71, 0.98), 2), "language": "en"}
    r.step("Classify ticket", kind="prompt", step_id="classify", dur=(1.0, 3.0), seq=seq,
           input={"model": "gpt-4o-mini", "prompt": "Classify the support ticket. Return JSON with category "
                  "(billing, bug, account, feature, spam), urgency, sentiment, confidence and language.",
                  "variables": {"subject": ticket["subject"], "body": ticket["body"]}},
           output=result)
    return result


def draft_reply_text(ticket: dict) -> str:
    name = ticket["requester"]["name"].split()[0]
    return (f"Hi {name},\n\nThanks for reaching out about **{ticket['subject'].lower()}**.\n\n"
            "Here is what we'll do:\n\n1. Check your account history.\n2. Fix the issue or refund where needed.\n"
            "3. Follow up within one business day.\n\n"
            "In the meantime, see our [help center article](https://help.example.com/articles/4021).\n\n"
            "Best,\nThe Support Team")


def ticket_respond(r: Run, ticket: dict, cls: dict, *, seq: bool = False, notify_review: bool = False) -> None:
    r.automation = "Respond"
    text = draft_reply_text(ticket)
    r.step("Draft reply", kind="prompt", step_id="draft_reply", dur=(2.0, 5.0), seq=seq,
           input={"model": "gpt-4o", "prompt": "Write a short, friendly first reply in Markdown.",
                  "variables": {"ticket": ticket["subject"], "category": cls["category"]}},
           output={"text": text})
    review = None
    if notify_review:
        review, _ = r.start("Review reply", kind="review", step_id="review_reply", status="success",
                            review={"mode": "notify", "decision": None}, seq=seq)
    r.step("Send reply", kind="http", step_id="send_reply", dur=(0.3, 0.9), seq=seq,
           request=request("POST", f"{HELPDESK}/tickets/{ticket['id']}/replies", auth=HELPDESK_TOKEN,
                           body={"body_markdown": text, "public": True}),
           response=json_response(r, 201, {"id": r.rng.randint(900000, 999999), "ticket_id": ticket["id"]}))
    if review:
        r.tick(60, 300)
        r.finish(review, "success", review={"mode": "notify", "decision": "approved", "reviewer": TEAM[4],
                                            "comment": "Reply reads well.", "decided_at": r.ts()})
    r.step("Update ticket", kind="http", step_id="update_ticket", dur=(0.2, 0.6), seq=seq,
           request=request("PATCH", f"{HELPDESK}/tickets/{ticket['id']}", auth=HELPDESK_TOKEN,
                           body={"status": "pending", "tags": [cls["category"], cls["urgency"]]}),
           response=json_response(r, 200, {"id": ticket["id"], "status": "pending"}))


def ticket_flow(log, run_id, started, mode, topic, stream=MAIN, *, seq=False, notify_review=False, **kw) -> Run:
    r = ticket_run(log, run_id, started, mode, stream, **kw)
    ticket = ticket_intake(r, topic, seq=seq)
    cls = ticket_classify(r, ticket, seq=seq)
    ticket_respond(r, ticket, cls, seq=seq, notify_review=notify_review)
    r.end()
    return r


def r1116_ticket_01(log: Log) -> None:
    r = ticket_run(log, "r1116-ticket-01", utc(16, 15, 42, 5), "test", ARCHIVE,
                   trigger={"type": "manual", "user": TEAM[4]}, meta=meta(version="4.12.0"))
    ticket = ticket_intake(r, 1)
    cls = ticket_classify(r, ticket)
    ticket_respond(r, ticket, cls)
    r.step("Alert engineering", kind="notification", step_id="alert_eng", dur=(0.1, 0.4),
           input={"channel": "#support-escalations",
                  "text": f"Bug report from ticket #{ticket['id']}: {ticket['subject']}"},
           output={"ok": True}, summary={"recipient": "#support-escalations"})
    r.end()


def r1117_ticket_02(log: Log) -> None:
    """Spam: every step of "Respond" skipped."""
    r = ticket_run(log, "r1117-ticket-02", utc(17, 11, 20, 31), "live",
                   meta=meta())
    ticket = ticket_intake(r, 3)
    ticket["subject"] = "Cheap SEO backlinks!!! Rank #1 on Google today"
    ticket_classify(r, ticket, spam=True)
    r.step("Mark as spam", kind="http", step_id="mark_spam", dur=(0.2, 0.5),
           request=request("PUT", f"{HELPDESK}/tickets/{ticket['id']}/spam", auth=HELPDESK_TOKEN),
           response=json_response(r, 200, {"id": ticket["id"], "status": "spam"}))
    r.automation = "Respond"
    for name, kind, sid in [("Draft reply", "prompt", "draft_reply"), ("Send reply", "http", "send_reply"),
                            ("Update ticket", "http", "update_ticket")]:
        r.skipped(name, kind=kind, step_id=sid)
    r.end()


def r1118_ticket_03(log: Log) -> None:
    """Status aliases: in_progress, succeeded, failed, completed."""
    r = ticket_run(log, "r1118-ticket-03", utc(18, 9, 10, 48), "live",
                   trigger={"type": "email", "mailbox": "support@example.com"},
                   meta=meta(version="4.11.8", worker="wrk-legacy-1"))
    ticket = ticket_intake(r, 0)
    r.automation = "Classify"
    e, _ = r.start("Classify ticket", kind="prompt", step_id="classify", status="in_progress",
                   input={"model": "gpt-4o-mini", "prompt": "Classify the support ticket.",
                          "variables": {"subject": ticket["subject"]}})
    r.finish(e, "succeeded", dur=(1.0, 2.0), output={"category": "billing", "urgency": "high", "language": "en"})
    e, _ = r.start("Look up payments", kind="http", step_id="lookup_payments", status="in_progress",
                   request=request("GET", "https://api.payments.example.com/v1/charges?customer=cus_8812&limit=5",
                                   auth="Bearer pay_sk_live_" + hexid(r.rng, 24)))
    r.finish(e, "completed", dur=(0.3, 0.8), response=json_response(r, 200, {"data": [
        {"id": "ch_1", "amount": 24900, "currency": "usd", "created": "2026-11-03T10:02:11Z", "status": "succeeded"},
        {"id": "ch_2", "amount": 24900, "currency": "usd", "created": "2026-11-03T10:02:14Z", "status": "succeeded"},
    ]}))
    r.automation = "Respond"
    e, _ = r.start("Refund duplicate charge", kind="http", step_id="refund", status="in_progress",
                   request=request("POST", "https://api.payments.example.com/v1/refunds",
                                   auth="Bearer pay_sk_live_" + hexid(r.rng, 24), body={"charge": "ch_2"}))
    r.finish(e, "succeeded", dur=(0.5, 1.5), response=json_response(r, 200, {"id": "re_31", "status": "succeeded"}))
    e, _ = r.start("Email customer", kind="email", step_id="email_customer", status="in_progress",
                   input={"to": ticket["requester"]["email"], "template": "refund_issued"})
    r.finish(e, "failed", dur=(2.0, 4.0), error={
        "message": "550 5.1.1 <" + ticket["requester"]["email"] + ">: Recipient address rejected: User unknown",
        "type": "SMTPError", "code": 550,
        "stack": "SMTPError: 550 5.1.1 Recipient address rejected\n    at SMTPConnection._actionRCPT "
                 "(/app/node_modules/nodemailer/lib/smtp-connection/index.js:1643:24)\n    at sendEmail "
                 "(/app/engine/steps/email.js:58:13)"})
    r.end()


def r1118_ticket_04(log: Log) -> None:
    ticket_flow(log, "r1118-ticket-04", utc(18, 12, 1, 7), "live", 2, WEBHOOKS, notify_review=True,
                meta=meta(delivery_id="whd_7731"))


def r1118_ticket_05(log: Log) -> None:
    ticket_flow(log, "r1118-ticket-05", utc(18, 12, 1, 9), "live", 0, WEBHOOKS, seq=True,
                meta=meta(delivery_id="whd_7732"))


def r1118_ticket_06(log: Log) -> None:
    """An update pair written out of seq order."""
    r = ticket_run(log, "r1118-ticket-06", utc(18, 12, 2, 30), "test", WEBHOOKS,
                   meta=meta(delivery_id="whd_7735"))
    ticket = ticket_intake(r, 1, seq=True)
    r.automation = "Classify"
    r.tick(0.1, 0.2)
    started = r.now
    r.tick(1.2, 2.4)
    ended = r.now
    entry_id = r.next_id()
    base = {"entry_id": entry_id, "seq": 2, "step_id": "classify", "name": "Classify ticket", "kind": "prompt",
            "automation": "Classify", "status": "success", "started_at": r.ts(started), "ended_at": r.ts(ended),
            "output": {"category": "bug", "urgency": "high", "language": "en", "component": "export"}}
    # Two writers flushed their buffers in the wrong order: seq 2 lands first.
    r.write("step", base, ended)
    r.write("step", {"entry_id": entry_id, "seq": 1, "step_id": "classify", "name": "Classify ticket",
                      "kind": "prompt", "automation": "Classify", "status": "running", "started_at": r.ts(started),
                      "input": {"model": "gpt-4o-mini", "prompt": "Classify the support ticket."}},
             ended + timedelta(milliseconds=4))
    r.tick(0.1, 0.1)
    ticket_respond(r, ticket, {"category": "bug", "urgency": "high"}, seq=True)
    r.end()


def r1120_ticket_07(log: Log) -> None:
    """Secrets in an input (password, api_token) and in headers."""
    r = ticket_run(log, "r1120-ticket-07", utc(20, 9, 30, 45), "test",
                   trigger={"type": "manual", "user": TEAM[2]}, meta=meta())
    r.automation = "Intake"
    r.step("Connect to legacy helpdesk", kind="code", step_id="connect_legacy", dur=(0.4, 1.0),
           input={"host": "legacy-helpdesk.example.com", "port": 993, "username": "triage-bot",
                  "password": "hunter2-Legacy!2026", "api_token": "lh_tok_" + hexid(r.rng, 32)},
           output={"connected": True, "server": "LegacyDesk 7.2", "mailboxes": ["INBOX", "Escalations"]})
    ticket = ticket_intake(r, 2)
    cls = ticket_classify(r, ticket)
    ticket_respond(r, ticket, cls)
    r.end()


# --- Weekly sales digest (one automation: no `automations`, no `automation`) --

REGIONS = ["North America", "EMEA", "APAC", "LATAM"]


def digest_markdown(week: str, rows: list[dict], deals: list[dict], slipped: list[str]) -> str:
    total = sum(x["revenue"] for x in rows)
    count = sum(x["deals"] for x in rows)
    table = "\n".join(f"| {x['region']} | {x['deals']} | ${x['revenue']:,} | {x['change']:+d}% |" for x in rows)
    top = deals[0]
    return (f"## Weekly sales digest: {week}\n\n"
            f"**Closed won:** {count} deals, **${total:,}** in total.\n\n"
            "### By region\n\n"
            "| Region | Deals | Revenue | vs. last week |\n|---|---:|---:|---:|\n"
            f"{table}\n\n"
            "### Highlights\n\n"
            f"- **{top['company']}** signed a {top['term']}-year plan (${top['amount']:,}).\n"
            f"- Slipped to next week: {', '.join('*' + s + '*' for s in slipped)}.\n"
            f"- Largest region: {max(rows, key=lambda x: x['revenue'])['region']}.\n\n"
            "### Next steps\n\n"
            "1. Follow up on deals stalled for more than 45 days.\n"
            "2. Review the pipeline in the [sales dashboard](https://app.example.com/dashboards/sales?range=7d).\n\n"
            "Query used:\n\n"
            "```sql\nSELECT region, count(*) AS deals, sum(amount) AS revenue\nFROM deals\n"
            "WHERE stage = 'closed_won' AND closed_at >= date_trunc('week', now() - interval '7 days')\n"
            "GROUP BY region;\n```\n")


def digest_run(log: Log, run_id: str, started: datetime, mode: str, stream: Stream = MAIN, *,
               week: str, timeout: bool = False, crash: str | None = None, extras: bool = False, **kw) -> Run:
    r = Run(log, stream, run_id, "Weekly sales digest", "cmp_sales_digest", mode, started, **kw)
    deals = []
    for _ in range(r.rng.randint(9, 16)):
        deals.append({"id": f"deal_{hexid(r.rng, 6)}", "company": r.rng.choice(COMPANIES),
                      "region": r.rng.choice(REGIONS), "amount": r.rng.randrange(6000, 120000, 100),
                      "term": r.rng.choice([1, 1, 2, 3]), "owner": r.rng.choice(TEAM)})
    deals.sort(key=lambda d: -d["amount"])
    r.step("Load closed deals", kind="http", step_id="load_deals", dur=(0.5, 2.0),
           request=request("GET", f"{CRM}/deals?stage=closed_won&closed_after=2026-11-09", auth=CRM_TOKEN),
           response=json_response(r, 200, {"data": deals, "count": len(deals)}))
    rows = []
    for region in REGIONS:
        mine = [d for d in deals if d["region"] == region]
        rows.append({"region": region, "deals": len(mine), "revenue": sum(d["amount"] for d in mine),
                     "change": r.rng.randint(-15, 25)})
    r.step("Aggregate by region", kind="code", step_id="aggregate", dur=(0.02, 0.1),
           input={"language": "python",
                  "source": "rows = group_by(deals, 'region', deals=count, revenue=sum('amount'))"},
           output=rows)
    slipped = r.rng.sample(COMPANIES, 2)
    text = digest_markdown(week, rows, deals, slipped)
    extra = {"tokens": {"prompt": r.rng.randint(2500, 4000), "completion": r.rng.randint(350, 600)},
             "cost_usd": round(r.rng.uniform(0.004, 0.02), 4), "model_version": "gpt-4o-2024-08-06"} if extras else None
    r.step("Write digest", kind="prompt", step_id="write_digest", dur=(540, 560) if timeout else (4.0, 12.0),
           input={"model": "gpt-4o", "temperature": 0.4,
                  "prompt": "Write a weekly sales digest in Markdown with a table by region, highlights "
                            "and next steps. Include the SQL used.",
                  "variables": {"week": week, "regions": rows, "top_deals": deals[:3], "slipped": slipped}},
           output={"text": text, "finish_reason": "stop"}, end_extra=extra)
    if timeout:
        r.tick(50, 58)
        r.end(error={"type": "Timeout", "message": "Run exceeded its time limit of 10 minutes",
                     "limit_seconds": 600})
        return r
    if crash:
        r.end(error=crash, gap=(1.0, 3.0))
        return r
    r.step("Post digest to Slack", kind="notification", step_id="post_slack", dur=(0.2, 0.8),
           input={"channel": "#sales", "text": text, "unfurl_links": False},
           output={"ok": True, "channel": "C02SALES", "ts": slack_ts(r)},
           summary={"recipient": "#sales"})
    r.end()
    return r


def r1116_digest_01(log: Log) -> None:
    digest_run(log, "r1116-digest-01", utc(16, 8, 0, 0), "live", ARCHIVE, week="9–15 November 2026",
               trigger={"type": "schedule", "cron": "0 8 * * MON", "timezone": "UTC"},
               meta=meta(version="4.12.0"))


def r1117_digest_02(log: Log) -> None:
    digest_run(log, "r1117-digest-02", utc(17, 13, 30, 0), "test", week="9–15 November 2026", timeout=True,
               trigger={"type": "manual", "user": TEAM[3]}, meta=meta())


def r1118_digest_03(log: Log) -> None:
    digest_run(log, "r1118-digest-03", utc(18, 14, 0, 0), "live", week="9–15 November 2026 (resend)", extras=True,
               trigger={"type": "manual", "user": TEAM[3], "reason": "Resend after CRM fix"},
               meta=meta(worker="wrk-08"))


def r1119_digest_04(log: Log) -> None:
    digest_run(log, "r1119-digest-04", utc(19, 15, 12, 44), "test", week="16–22 November 2026 (preview)",
               crash="Worker wrk-10 was restarted during a deploy; the run was aborted",
               trigger={"type": "manual", "user": TEAM[3]}, meta=meta())


def r1120_digest_05(log: Log) -> None:
    Run(log, MAIN, "r1120-digest-05", "Weekly sales digest", "cmp_sales_digest", "live", utc(20, 11, 2, 0),
        trigger={"type": "manual", "user": TEAM[0]}, meta=meta())


# --- Customer data export -----------------------------------------------------

PLANS = [("starter", 29), ("growth", 99), ("business", 299), ("enterprise", 1200)]


def customer_record(rng: random.Random, n: int) -> dict:
    p = person(rng)
    country = rng.choice(COUNTRIES)
    plan, price = rng.choice(PLANS)
    seats = rng.randint(1, 80)
    created = datetime(2021, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randint(0, 5 * 365 * 86400))
    return {
        "id": f"cus_{n:06d}", "name": f"{p['first_name']} {p['last_name']}", "email": p["email"],
        "company": p["company"], "plan": plan, "seats": seats, "mrr": round(price * seats * rng.uniform(0.8, 1.0), 2),
        "currency": "EUR" if country in ("DE", "FR", "NL", "ES") else "USD",
        "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "address": {"street": f"{rng.randint(1, 240)} {rng.choice(STREETS)}", "city": CITIES[country],
                    "postal_code": f"{rng.randint(10000, 99999)}", "country": country},
        "tags": rng.sample(["newsletter", "beta", "priority-support", "annual", "partner", "churn-risk"],
                           rng.randint(0, 3)),
        "marketing_opt_in": rng.random() < 0.6,
    }


def export_run(log: Log, run_id: str, started: datetime, mode: str, n: int, *, running: bool = False, **kw) -> Run:
    r = Run(log, MAIN, run_id, "Customer data export", "cmp_customer_export", mode, started,
            automations=["Export"], **kw)
    r.automation = "Export"
    r.step("Count customers", kind="database", step_id="count_customers", dur=(0.1, 0.6),
           input={"operation": "select", "query": "SELECT count(*) FROM customers WHERE deleted_at IS NULL"},
           output={"count": n}, summary={"table": "customers"})
    records = [customer_record(r.rng, i + 1) for i in range(n)]
    export_id = f"exp_{hexid(r.rng, 10)}"
    output = {"export_id": export_id, "format": "json", "generated_at": r.ts(), "record_count": n,
              "columns": list(records[0]), "records": records}
    r.step("Build export", kind="code", step_id="build_export", dur=(8.0, 40.0) if n > 1000 else (0.5, 2.0),
           input={"language": "python", "source": "return {'records': [serialize(c) for c in customers]}",
                  "batch_size": 1000},
           output=output)
    url = f"https://files.example.com/exports/{export_id}.json"
    req = request("PUT", url, auth="Bearer files_" + hexid(r.rng, 24),
                  extra_headers={"Content-Type": "application/json", "Content-Length": str(len(json.dumps(output)))})
    if running:
        r.start("Upload export", kind="http", step_id="upload_export", request=req, extra={"bytes_sent": 1048576})
        return r
    r.step("Upload export", kind="http", step_id="upload_export", dur=(3.0, 20.0), request=req,
           response={"status": 200, "headers": {"etag": f'"{hexid(r.rng, 32)}"', "date": http_date(r.now)}, "body": ""})
    to = kw.get("trigger", {}).get("user", "data-team@example.com")
    r.step("Email download link", kind="notification", step_id="email_link", dur=(0.2, 0.6),
           input={"channel": "email", "to": to, "subject": "Your customer export is ready",
                  "body": f"Download: {url} (link valid for 7 days)"},
           output={"delivered": True}, summary={"recipient": to})
    r.end()
    return r


def r1117_export_01(log: Log) -> None:
    export_run(log, "r1117-export-01", utc(17, 17, 0, 0), "live", 6000,
               trigger={"type": "schedule", "cron": "0 17 * * TUE"},
               meta=meta(worker="wrk-big-1", memory_mb=4096))


def r1118_export_02(log: Log) -> None:
    export_run(log, "r1118-export-02", utc(18, 16, 31, 20), "test", 40,
               trigger={"type": "manual", "user": TEAM[1]}, meta=meta())


def r1120_export_03(log: Log) -> None:
    export_run(log, "r1120-export-03", utc(20, 11, 0, 0), "live", 120, running=True,
               trigger={"type": "manual", "user": TEAM[2]}, meta=meta())


# --- Product catalog sync (nesting) ------------------------------------------

CATEGORIES = {"Office chairs": ["Ergo Mesh Chair", "Task Chair Basic", "Executive Leather Chair"],
              "Standing desks": ["Lift Desk 140", "Lift Desk 180"],
              "Monitor arms": ["Single Arm Pro", "Dual Arm Pro", "Wall Mount Arm"]}
WAREHOUSES = ["Rotterdam", "Memphis", "Singapore"]


def catalog_run(log: Log, run_id: str, started: datetime, mode: str, **kw) -> Run:
    return Run(log, MAIN, run_id, "Product catalog sync", "cmp_catalog_sync", mode, started,
               automations=["Load", "Sync"], **kw)


def r1118_catalog_01(log: Log) -> None:
    """Three deep: For each category > For each product > steps."""
    r = catalog_run(log, "r1118-catalog-01", utc(18, 9, 2, 30), "test",
                    trigger={"type": "manual", "user": TEAM[1]}, meta=meta())
    r.automation = "Load"
    r.step("Load categories", kind="http", step_id="load_categories", dur=(0.3, 0.9),
           request=request("GET", f"{CATALOG}/categories.json", extra_headers={"X-Shop-Access-Token": SHOP_KEY}),
           response=json_response(r, 200, {"categories": [{"title": c, "products": len(p)}
                                                           for c, p in CATEGORIES.items()]}))
    r.automation = "Sync"
    outer, _ = r.start("For each category", kind="loop", step_id="each_category", input={"items": len(CATEGORIES)})
    for ci, (category, products) in enumerate(CATEGORIES.items()):
        inner, _ = r.start("For each product", kind="loop", step_id="each_product", parent=outer,
                           iteration=it(ci, {"category": category}), input={"items": len(products)})
        for pi, product in enumerate(products):
            sku = f"{slug(category, '')[:3].upper()}-{r.rng.randint(1000, 9999)}"
            item = {"sku": sku, "title": product}
            price = money(r.rng, 89, 1290)
            r.step("Upsert product", kind="http", step_id="upsert_product", parent=inner, iteration=it(pi, item),
                   dur=(0.2, 0.8), request=request("PUT", f"{CATALOG}/products/{sku}.json",
                                                   extra_headers={"X-Shop-Access-Token": SHOP_KEY},
                                                   body={"product": {"title": product, "price": price,
                                                                     "category": category}}),
                   response=json_response(r, 200, {"product": {"sku": sku, "title": product, "price": price,
                                                               "updated_at": r.ts()}}))
            stock = r.rng.randint(0, 250)
            r.step("Update stock", kind="database", step_id="update_stock", parent=inner, iteration=it(pi, item),
                   dur=(0.02, 0.1), input={"operation": "update", "table": "stock_levels",
                                           "where": {"sku": sku}, "set": {"on_hand": stock}},
                   output={"updated": 1}, summary={"table": "stock_levels"})
        r.finish(inner, output={"iterations": len(products)})
    r.finish(outer, output={"iterations": len(CATEGORIES)})
    r.end()


def catalog_stock_run(log: Log, run_id: str, started: datetime, **kw) -> None:
    """Loop > paginated request > pages."""
    r = catalog_run(log, run_id, started, "live", trigger={"type": "schedule", "cron": "0 2 * * *"}, **kw)
    r.automation = "Load"
    loop, _ = r.start("For each warehouse", kind="loop", step_id="each_warehouse", input={"items": len(WAREHOUSES)})
    total = 0
    for wi, wh in enumerate(WAREHOUSES):
        code = wh[:3].upper()
        req_parent, _ = r.start("Fetch stock levels", kind="http", step_id="fetch_stock", parent=loop,
                                iteration=it(wi, {"warehouse": wh, "code": code}),
                                input={"url": f"https://wms.example.com/api/warehouses/{code}/stock",
                                       "pagination": {"type": "link_header"}})
        pages = r.rng.randint(2, 3)
        for page in range(1, pages + 1):
            rows = [{"sku": f"SKU-{r.rng.randint(1000, 9999)}", "on_hand": r.rng.randint(0, 400)} for _ in range(6)]
            total += len(rows)
            headers = {"link": f'<https://wms.example.com/api/warehouses/{code}/stock?page={page + 1}>; rel="next"'} \
                if page < pages else {}
            r.step("Fetch stock levels", kind="http", step_id="fetch_stock", parent=req_parent, page=page,
                   dur=(0.2, 0.7),
                   request=request("GET", f"https://wms.example.com/api/warehouses/{code}/stock?page={page}",
                                   api_key="wms_" + hexid(r.rng, 20)),
                   response=json_response(r, 200, rows, **headers))
        r.finish(req_parent, output={"pages": pages})
    r.finish(loop, output={"iterations": len(WAREHOUSES)})
    r.automation = "Sync"
    r.step("Write stock snapshot", kind="database", step_id="write_snapshot", dur=(0.1, 0.5),
           input={"operation": "insert", "table": "stock_snapshots", "rows": total},
           output={"inserted": total}, summary={"table": "stock_snapshots", "rows": total})
    r.end()


def r1119_catalog_02(log: Log) -> None:
    catalog_stock_run(log, "r1119-catalog-02", utc(19, 2, 0, 0), meta=meta())


def r1120_catalog_03(log: Log) -> None:
    catalog_stock_run(log, "r1120-catalog-03", utc(20, 2, 0, 0), meta=meta())


# --- Contract approval (eu engine, +01:00 timestamps) -------------------------

CONTRACT_AUTOMATIONS = ["Prepare", "Legal review", "Send"]


def contract_summary(customer: str, value: int, term: int) -> str:
    return (f"# Master services agreement: {customer}\n\n"
            f"**Value:** EUR {value:,} over {term} months  \n**Governing law:** Netherlands\n\n"
            "## Key terms\n\n"
            "- Payment within 30 days of invoice\n"
            "- Liability capped at 12 months of fees\n"
            "- Auto-renewal unless cancelled 60 days before the end of the term\n\n"
            "## Deviations from our template\n\n"
            "1. Customer asks for a **99.95%** uptime SLA (template: 99.9%).\n"
            "2. Data processing addendum references `DPA-2024-v3`, not the current `DPA-2026-v1`.\n\n"
            "> Recommendation: approve if the SLA credit is capped at 10% of the monthly fee.\n\n"
            "See the [contract playbook](https://wiki.example.com/legal/playbook#msa) for context.")


def contract_run(log: Log, run_id: str, started: datetime, mode: str, *, decision: str | None,
                 review_mode: str = "wait", **kw) -> None:
    r = Run(log, EU, run_id, "Contract approval", "cmp_contract_approval", mode, started,
            automations=CONTRACT_AUTOMATIONS, trigger={"type": "webhook", "source": "crm", "event": "deal.won"},
            meta=meta(region="eu-west-1", data_residency="EU"), **kw)
    customer = r.rng.choice(COMPANIES)
    value = r.rng.randrange(24000, 480000, 1000)
    term = r.rng.choice([12, 24, 36])
    doc_id = f"doc_{hexid(r.rng, 10)}"
    r.automation = "Prepare"
    r.step("Fetch contract draft", kind="http", step_id="fetch_draft", dur=(0.3, 1.0),
           request=request("GET", f"https://docs.example.com/api/v1/documents/{doc_id}",
                           auth="Bearer docs_" + hexid(r.rng, 24)),
           response=json_response(r, 200, {"id": doc_id, "title": f"MSA – {customer}", "pages": r.rng.randint(8, 22),
                                           "language": "en", "format": "docx"}))
    r.step("Summarize contract", kind="prompt", step_id="summarize", dur=(6.0, 18.0),
           input={"model": "gpt-4o", "prompt": "Summarize this contract for the legal team in Markdown: key terms, "
                  "deviations from our template, a recommendation.", "variables": {"document_id": doc_id}},
           output={"text": contract_summary(customer, value, term)})
    r.automation = "Legal review"
    reviewer = r.rng.choice(LEGAL)
    r.step("Notify legal team", kind="notification", step_id="notify_legal", dur=(0.1, 0.4),
           input={"channel": "#legal-approvals", "text": f"Contract for *{customer}* (EUR {value:,}) needs review"},
           output={"ok": True}, summary={"recipient": "#legal-approvals"})
    rev, _ = r.start("Legal sign-off", kind="review", step_id="legal_signoff",
                     status="success" if review_mode == "notify" else "running",
                     review={"mode": review_mode, "decision": None}, input={"document_id": doc_id, "value_eur": value})
    if decision is None:
        return  # awaiting review: no decision, no run_end
    if review_mode == "notify":
        r.automation = "Send"
        send_contract(r, customer, doc_id)
        r.tick(120, 600)
        r.finish(rev, "success", review={"mode": "notify", "decision": "approved", "reviewer": reviewer,
                                         "comment": "Fine as sent.", "decided_at": r.ts()})
        r.end()
        return
    r.tick(180, 1500)
    comment = ("Approved with the SLA credit cap at 10%." if decision == "approved"
               else "Rejected: the DPA reference must be updated before sending.")
    r.finish(rev, "success" if decision == "approved" else "rejected",
             review={"mode": "wait", "decision": decision, "reviewer": reviewer, "comment": comment,
                     "decided_at": r.ts()})
    r.automation = "Send"
    if decision == "approved":
        send_contract(r, customer, doc_id)
    else:
        r.skipped("Send for signature", kind="http", step_id="send_signature")
        r.skipped("Notify account owner", kind="notification", step_id="notify_owner")
    r.end()


def send_contract(r: Run, customer: str, doc_id: str) -> None:
    signer = person(r.rng)
    r.step("Send for signature", kind="http", step_id="send_signature", dur=(0.5, 1.5),
           request=request("POST", "https://sign.example.com/api/v2/envelopes", auth="Bearer sign_" + hexid(r.rng, 24),
                           body={"document_id": doc_id,
                                 "signers": [{"name": f"{signer['first_name']} {signer['last_name']}",
                                              "email": signer["email"]}],
                                 "subject": f"Please sign: MSA – {customer}"}),
           response=json_response(r, 201, {"envelope_id": f"env_{hexid(r.rng, 12)}", "status": "sent"}))
    owner = r.rng.choice(TEAM)
    r.step("Notify account owner", kind="notification", step_id="notify_owner", dur=(0.1, 0.4),
           input={"channel": "email", "to": owner, "subject": f"Contract sent to {customer}"},
           output={"delivered": True}, summary={"recipient": owner})


def r1119_contract_01(log: Log) -> None:
    contract_run(log, "r1119-contract-01", utc(19, 8, 12, 0), "live", decision="approved")


def r1119_contract_02(log: Log) -> None:
    contract_run(log, "r1119-contract-02", utc(19, 9, 40, 0), "test", decision="rejected")


def r1119_contract_03(log: Log) -> None:
    contract_run(log, "r1119-contract-03", utc(19, 13, 5, 0), "live", decision="approved", review_mode="notify")


def r1120_contract_04(log: Log) -> None:
    contract_run(log, "r1120-contract-04", utc(20, 10, 20, 0), "live", decision=None)


def r1120_contract_05(log: Log) -> None:
    contract_run(log, "r1120-contract-05", utc(20, 8, 45, 0), "test", decision="approved")


# --- assembly -----------------------------------------------------------------

RUNS = [
    r1116_digest_01, r1116_lead_01, r1116_inv_01, r1116_ticket_01,
    r1117_inv_02, r1117_lead_02, r1117_ticket_02, r1117_digest_02, r1117_export_01,
    r1118_lead_03, r1118_catalog_01, r1118_inv_03, r1118_ticket_03, r1118_digest_03, r1118_export_02,
    r1118_lead_04, r1118_ticket_04, r1118_ticket_05, r1118_ticket_06,
    r1119_catalog_02, r1119_lead_05, r1119_lead_06, r1119_inv_04, r1119_digest_04, r1119_inv_05,
    r1119_contract_01, r1119_contract_02, r1119_contract_03,
    r1120_catalog_03, r1120_inv_06, r1120_ticket_07, r1120_lead_07, r1120_export_03, r1120_digest_05,
    r1120_contract_04, r1120_contract_05,
]

README = """\
# Sample run logs

Realistic run logs in the run log format (version 1), used by the tests and
for trying runreport out: `runreport build sample_runs`.

`imports/` holds one export of each other engine runreport reads: an n8n
execution, a Temporal workflow history and an OpenTelemetry trace
(OTLP/JSON). A build recognises them by their shape and shows each as a
run (see docs/importers.md).

These files are generated: edit tools/generate_samples.py (the exports:
tools/sample_exports.py) and run `python3 tools/generate_samples.py`, never
edit them by hand. The generator's docstring lists which run covers which
case of the format.
"""


def build() -> dict[str, bytes]:
    """Return every sample file by path relative to the output folder."""
    log = Log()
    for make in RUNS:
        make(log)
    files = log.files()
    files.update(sample_exports.build())
    files["README.md"] = README.encode("utf-8")
    return files


def main(out_dir: str | Path | None = None) -> int:
    """Write the samples into out_dir (default sample_runs/), removing stale log files."""
    out = Path(out_dir) if out_dir is not None else DEFAULT_OUT
    files = build()
    out.mkdir(parents=True, exist_ok=True)
    for old in sorted(out.rglob("*")):
        rel = old.relative_to(out).as_posix()
        if old.is_file() and rel.endswith(LOG_SUFFIXES) and rel not in files:
            old.unlink()
    for rel, data in files.items():
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() or target.read_bytes() != data:
            target.write_bytes(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else None))
