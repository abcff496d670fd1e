"""Page data: plain dataclasses built from runs and index rows, with no I/O.

Templates only read these fields. Every href or src here is relative to the
site root; templates prefix it with the page's `root` ("" or "../"), and the
page script does the same with `<body data-root>`.

Site layout (see docs/site-internals.md):

    index.html                      Runs: the newest runs (the "head" of the listing)
    runs/page-<n>.html              Runs, block n of PAGE_SIZE runs counted from the OLDEST
    runs/<run>.html                 one run
    composers/<composer>.html       one composer: its newest runs (<composer>-page-<n>.html: blocks)
    data/list/<listing>.js          a listing's counts, match chunk count and head cards
    problems.html                   input problems
    data/<run>/log.js               the run's log fragment (for in-place expansion)
    data/<run>/v-<n>.js             the run's values, entries packed in display order
    data/match/<listing>-<n>.js     match index of a listing: runs with errors/rejections
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from dataclasses import dataclass, field
from functools import cached_property
from operator import attrgetter
from typing import Any, Sequence
from urllib.parse import quote

import orjson

from runreport.failure import entry_error, one_line
from runreport.stale import is_stale
from runreport.model import Entry, Run, RunIndexRow
from runreport.problems import Problem
from runreport.site import chunks, gantt
from runreport.site.names import entry_anchor, error_anchor, safe_name
from runreport.site.redact import REDACTED, Redactor
from runreport.timefmt import duration_text, parse_instant

#: Cards per listing page (Runs page and composer pages).
PAGE_SIZE = 100
#: Rows per match-index chunk file.
MATCH_CHUNK_ROWS = 1000
#: Runs per search-index file (data/search/all-<k>.js): loaded all at once, on the first search.
SEARCH_CHUNK_ROWS = 5000
SEARCH_PREFIX = "data/search/all-"
#: The head page (index.html, a composer's first page) also shows the newest
#: full block while fewer than this many runs are past it, so it never looks empty.
HEAD_MIN = PAGE_SIZE // 2
#: A run page's HTML holds the first this many entries of its log; the rest is
#: in log part files (data/<run>/log-<k>.js) the page script loads after first
#: paint, and in part pages (runs/<run>-part-<k>.html) for readers without JavaScript.
LOG_PART_ENTRIES = 400
#: A values file is closed once its JSON passes this many bytes (one entry is never split yet).
VALUES_FILE_BUDGET = 256 * 1024

RUN_STATUS_LABELS = {
    "running": "Running",
    "awaiting_review": "Awaiting Review",
    "completed": "Completed",
    "failed": "Failed",
}
#: The run statuses of a listing's totals line, worst first.
TOTALS_ORDER = ("failed", "running", "awaiting_review", "completed")
ENTRY_STATUS_LABELS = {
    "running": "Running",
    "success": "Success",
    "error": "Error",
    "rejected": "Rejected",
    "skipped": "Skipped",
    "unknown": "Unknown",
}
MODE_LABELS = {"test": "Test", "live": "Live", "unknown": "Unknown mode"}

#: Field names of a match-index row, in order (shipped in every chunk too).
MATCH_FIELDS = (
    "run_id", "composer", "composer_href", "status", "status_label", "mode", "mode_label",
    "started_at", "started_text", "href", "log", "errors", "rejected", "duration", "entry_count",
    "said",  # [kind, href, step, badges, message] or null
    "quiet_since",  # a running run gone quiet: since when (runreport.stale), or null
)


# --- paths ------------------------------------------------------------------


def run_href(run_id: str) -> str:
    return f"runs/{safe_name(run_id)}.html"


def run_data_dir(run_id: str) -> str:
    return f"data/{safe_name(run_id)}/"


def composer_href(composer: str, page_no: int | None = None) -> str:
    """The composer's head page, or block `page_no` (1 = its oldest runs)."""
    name = safe_name(composer)
    return f"composers/{name}.html" if page_no is None else f"composers/{name}-page-{page_no}.html"


def insights_href(composer: str) -> str:
    """The composer's insights page (runreport.site.insights; not under composers/, which
    holds listings only)."""
    return f"insights/{safe_name(composer)}.html"


def runs_href(page_no: int | None = None) -> str:
    """index.html, or block `page_no` of the Runs listing (1 = the oldest runs)."""
    return "index.html" if page_no is None else f"runs/page-{page_no}.html"


def list_src(listing_name: str) -> str:
    return f"data/list/{listing_name}.js"


def root_of(path: str) -> str:
    """The relative prefix from the page at `path` back to the site root."""
    return "../" * path.count("/")


# --- formatting ---------------------------------------------------------------


def machine_time(value: str | None) -> str | None:
    """The `<time datetime>` value (UTC, seconds) or None when unparsable."""
    t = parse_instant(value)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ") if t else None


def human_time(value: str | None) -> str:
    """UTC text shown without JavaScript (the script rewrites it to local time)."""
    t = parse_instant(value)
    if t is None:
        return value or "unknown time"
    return t.strftime("%Y-%m-%d %H:%M:%S UTC")


def scalar_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, (int, float)):
        return str(value)
    return orjson.dumps(value).decode()


def error_text(error: Any) -> str | None:
    """One line of a run-level or entry error for the header."""
    if error is None:
        return None
    if isinstance(error, str):
        return error
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        kind = error.get("type")
        return f"{kind}: {error['message']}" if isinstance(kind, str) else error["message"]
    return scalar_text(error)


# --- listings (Runs page, composer pages) ------------------------------------


@dataclass(frozen=True)
class RunHead:
    """What a run card and a run page's header show alike (built by run_head)."""

    run_id: str
    composer: str
    composer_href: str
    status: str
    status_label: str
    mode: str
    mode_label: str
    started_at: str | None  # machine time
    started_text: str
    duration: str | None


@dataclass(frozen=True)
class Said:
    """What went wrong in a run, in one line on its card: the failing (or rejected) step
    with its badges and message, linked to that entry on the run page."""

    kind: str  # "error" or "rejected"
    href: str
    step: str  # the step's name; "Run error" for the run's own error
    badges: tuple[str, ...]
    message: str  # redacted


@dataclass(frozen=True)
class Card(RunHead):
    entry_count: int
    href: str
    log_src: str
    has_error: bool
    has_rejected: bool
    said: Said | None = None
    quiet_since: str | None = None  # a running run gone quiet: its last record's time


@dataclass(frozen=True)
class Counts:
    """Runs visible in each filter state, over the whole listing."""

    all: int
    errors: int
    rejected: int
    either: int
    # Runs by status, the Runs page's totals (0 for a status no run has).
    failed: int = 0
    running: int = 0
    awaiting_review: int = 0
    completed: int = 0

    @property
    def totals(self) -> list[tuple[str, str, int]]:
        """(status, label, runs) of each status, worst first, as the totals line shows them."""
        return [(s, RUN_STATUS_LABELS[s], getattr(self, s)) for s in TOTALS_ORDER]


@dataclass(frozen=True)
class ListingPage:
    """One listing page. Block pages (page_no set) hold nothing that changes
    when a newer run is added: no listing-wide counts, no page total."""

    path: str
    root: str
    kind: str  # "runs" or "composer"
    title: str
    listing: str  # listing name used by match files ("all" or the composer's safe name)
    rows: tuple[RunIndexRow, ...]  # its runs, newest first
    counts: Counts | None  # head page only; block pages load them from list_src
    page_no: int | None  # None for the head page, else the block number (1 = oldest)
    label: str | None  # "Page n" text of a block page
    prev_href: str | None  # newer runs
    next_href: str | None  # older runs
    match_prefix: str  # data/match/<listing>-
    match_chunks: int | None  # head page only
    search_chunks: int | None  # head page of the Runs page only: files of its search index
    list_src: str
    show_composer: bool
    # Hides secrets in the messages of cards (the site's Redactor.text); not part of the
    # page's data (the build's options are, in the manifest's globals).
    redact: Callable[[str], str] | None = field(default=None, compare=False, metadata={"unhashed": True})
    quiet: tuple[str, ...] = ()  # its running runs gone quiet (runreport.stale), sorted
    insights_href: str | None = None  # a composer's insights page

    @cached_property
    def cards(self) -> tuple[Card, ...]:
        """Made when the page is rendered: an incremental build compares rows and skips
        unchanged pages (10,000 runs make 10,000 cards otherwise)."""
        return tuple(card(r, self.redact, r.run_id in self.quiet) for r in self.rows)


class Listing:
    """One listing: its head page, its block pages (made when asked for: a rebuild
    renders only those whose rows changed, and 100,000 runs are 1,000 of them) and its
    match and search indexes, as blocks of rows."""

    def __init__(self, head: ListingPage, rows: Sequence[RunIndexRow], block_count: int,
                 block_fields: Callable[[int], dict], match_blocks: tuple[Sequence[RunIndexRow], ...],
                 quiet: frozenset[str], redact: Callable[[str], str] | None,
                 search_blocks: tuple[Sequence[RunIndexRow], ...],
                 href: Callable[[int | None], str]) -> None:
        self.head = head
        self.block_count = block_count  # block pages, numbered from 1 (the oldest runs)
        self.block_fields = block_fields  # block n's fields but its rows (its page's data)
        # Runs with errors or rejections, in blocks of MATCH_CHUNK_ROWS (match_chunk makes
        # each file's payload; the writer skips a block whose rows are unchanged).
        self.match_blocks = match_blocks
        self.quiet = quiet  # runs gone quiet (their cards say since when)
        self.redact = redact
        # The Runs page's search index, as blocks of rows (search_chunk makes each file's
        # payload; the writer skips a block whose rows are unchanged). Empty elsewhere.
        self.search_blocks = search_blocks
        self._rows = rows
        self._href = href

    def block_span(self, n: int) -> tuple[int, int]:
        """Where block page n's rows are in the listing's rows (newest first)."""
        size = len(self._rows)
        return size - n * PAGE_SIZE, size - (n - 1) * PAGE_SIZE

    def block_path(self, n: int) -> str:
        return self._href(n)

    def block_page(self, n: int) -> ListingPage:
        start, end = self.block_span(n)
        return ListingPage(rows=tuple(self._rows[start:end]), **self.block_fields(n))


#: A search row: run id, composer, run page, status, status label, start text, step
#: names (indexes into its file's "names"), what went wrong (redacted) or null.
SEARCH_FIELDS = ("run_id", "composer", "href", "status", "status_label", "started_text", "steps", "said")


def search_chunk(block: Sequence[RunIndexRow], redact: Callable[[str], str] | None) -> dict:
    """One file of the search index. Step names repeat from run to run, so the file
    lists them once and its rows point at them."""
    names: dict[str, int] = {}
    out = []
    for r in block:
        found = said(r, redact)
        out.append([
            r.run_id, r.composer, run_href(r.run_id), r.status,
            RUN_STATUS_LABELS.get(r.status, r.status.title()), human_time(r.started_at),
            [names.setdefault(n, len(names)) for n in r.step_names()],
            [found.step, found.message, found.href] if found is not None else None,
        ])
    return {"kind": "search", "fields": list(SEARCH_FIELDS), "names": list(names), "rows": out}


def run_head(run: Run | RunIndexRow) -> dict[str, Any]:
    """The fields a run card and a run page's header show alike."""
    return dict(
        run_id=run.run_id,
        composer=run.composer,
        composer_href=composer_href(run.composer),
        status=run.status,
        status_label=RUN_STATUS_LABELS.get(run.status, run.status.title()),
        mode=run.mode,
        mode_label=MODE_LABELS.get(run.mode, run.mode.title()),
        started_at=machine_time(run.started_at),
        started_text=human_time(run.started_at),
        duration=duration_text(run.started_at, run.ended_at),
    )


#: The anchor of a run's "Run error" row, at the top of its log.
RUN_ERROR_ANCHOR = "run-error"


def said(row: RunIndexRow, redact: Callable[[str], str] | None = None) -> Said | None:
    """The card's one line: the run's first error, else its first rejected review."""
    found, kind = (row.failure, "error") if row.failure else (row.rejection, "rejected")
    if not found:
        return None
    entry_id = found.get("entry_id")
    if entry_id is None:
        href = f"{run_href(row.run_id)}#{RUN_ERROR_ANCHOR}"
    else:
        # A failing entry is linked by its message's anchor: the run page opens the entry
        # with its Error section shown (a deep link to the entry opens the entry only, its
        # sections as the entry's rule says), and without the script the link still
        # scrolls to the message.
        anchor = error_anchor(entry_id) if kind == "error" else entry_anchor(entry_id)
        href = f"{run_href(row.run_id)}#{anchor}"
    message = str(found.get("message") or "")
    return Said(
        kind=kind,
        href=href,
        step=str(found.get("step")) if entry_id is not None else "Run error",
        badges=tuple(str(b) for b in found.get("badges") or ()),
        message=redact(message) if redact is not None else message,
    )


def card(row: RunIndexRow, redact: Callable[[str], str] | None = None, quiet: bool = False) -> Card:
    return Card(
        **run_head(row),
        entry_count=row.entry_count,
        href=run_href(row.run_id),
        log_src=run_data_dir(row.run_id) + "log.js",
        has_error=bool(row.has_error),
        has_rejected=bool(row.has_rejected),
        said=said(row, redact),
        quiet_since=human_time(row.last_activity or row.started_at) if quiet else None,
    )


def match_row(c: Card) -> list:
    s = c.said
    return [
        c.run_id, c.composer, c.composer_href, c.status, c.status_label, c.mode, c.mode_label,
        c.started_at, c.started_text, c.href, c.log_src, int(c.has_error), int(c.has_rejected),
        c.duration, c.entry_count,
        [s.kind, s.href, s.step, list(s.badges), s.message] if s is not None else None,
        c.quiet_since,
    ]


def match_chunk(block: Sequence[RunIndexRow], redact: Callable[[str], str] | None,
                quiet: frozenset[str]) -> dict:
    """The payload of one match-index file: the cards' fields of `block`'s runs."""
    return {"kind": "match", "fields": list(MATCH_FIELDS),
            "rows": [match_row(card(r, redact, r.run_id in quiet)) for r in block]}


def _anchored(items: Sequence, size: int) -> list[Sequence]:
    """Split newest-first `items` into blocks counted from the oldest: block 0
    holds the oldest `size`, the last one the newest (possibly partial) rest.
    Adding a newer item then changes only the last block."""
    n = len(items)
    count = -(-n // size)
    return [items[max(0, n - (b + 1) * size):n - b * size] for b in range(count)]


def listing(
    rows: Sequence[RunIndexRow], *, kind: str, title: str, composer: str | None = None,
    redact: Callable[[str], str] | None = None, stale_before: datetime | None = None,
) -> Listing:
    """Pages and match index of a listing of `rows` (already newest first).

    Block pages and match chunks are numbered from the oldest run, so a new
    run changes only the head page, the newest chunk and the list file.
    """
    name = "all" if composer is None else safe_name(composer)
    # (Passes over every row at C speed where they can: a rebuild makes the listings of
    # 100,000 runs.)
    by_status = Counter(map(_status_of, rows))
    flagged = [r for r in rows if r.has_error or r.has_rejected]
    counts = Counts(
        all=len(rows),
        errors=sum(map(_has_error, flagged)),
        rejected=sum(map(_has_rejected, flagged)),
        either=len(flagged),
        **{status: by_status.get(status, 0) for status in TOTALS_ORDER},
    )
    # (Only a running run can have gone quiet.)
    quiet = frozenset(r.run_id for r in rows if is_stale(r, stale_before)) if by_status["running"] else frozenset()
    chunks = tuple(_anchored(flagged, MATCH_CHUNK_ROWS))
    full = len(rows) // PAGE_SIZE  # full blocks, block 1 = the oldest runs
    rest = len(rows) - full * PAGE_SIZE  # the newest runs, in no full block yet
    merged = full > 0 and rest < HEAD_MIN
    head_rows = rows[:rest + (PAGE_SIZE if merged else 0)]
    head_older = full - 1 if merged else full

    def href(n: int | None) -> str:
        return runs_href(n) if composer is None else composer_href(composer, n)

    def quiet_of(page_rows: Sequence[RunIndexRow]) -> tuple[str, ...]:
        return tuple(sorted(r.run_id for r in page_rows if r.run_id in quiet)) if quiet else ()

    def fields(n: int | None, page_rows: Sequence[RunIndexRow], newer: str | None,
               older: str | None) -> dict:
        path = href(n)
        return dict(
            path=path,
            root=root_of(path),
            kind=kind,
            title=title,
            listing=name,
            counts=counts if n is None else None,
            page_no=n,
            label=None if n is None else f"Page {n:,} (page 1 holds the oldest runs)",
            prev_href=newer,
            next_href=older,
            match_prefix=f"data/match/{name}-",
            match_chunks=len(chunks) if n is None else None,
            search_chunks=(-(-len(rows) // SEARCH_CHUNK_ROWS) if n is None and composer is None else None),
            list_src=list_src(name),
            show_composer=composer is None,
            redact=redact,
            quiet=quiet_of(page_rows),
            insights_href=insights_href(composer) if composer is not None else None,
        )

    n_rows = len(rows)

    def block_fields(n: int) -> dict:
        newer = href(n + 1) if n < full else href(None)
        return fields(n, rows[n_rows - n * PAGE_SIZE:n_rows - (n - 1) * PAGE_SIZE] if quiet else (),
                      newer, href(n - 1) if n > 1 else None)

    head = ListingPage(rows=tuple(head_rows),
                       **fields(None, head_rows, None, href(head_older) if head_older else None))
    return Listing(head, rows, full, block_fields, chunks, quiet, redact,
                   # (Anchored at the oldest run, as the match index: a new run changes the newest.)
                   tuple(_anchored(rows, SEARCH_CHUNK_ROWS)) if composer is None else (), href)


_status_of = attrgetter("status")
_has_error = attrgetter("has_error")
_has_rejected = attrgetter("has_rejected")


# --- the run page ---------------------------------------------------------------


@dataclass(slots=True)
class Badge:
    kind: str  # "iteration" or "page"
    text: str


@dataclass(slots=True)
class SummaryRow:
    label: str
    text: str


@dataclass(slots=True)
class SectionView:
    key: str
    label: str
    expanded: bool


#: Names a lineage shows in full; a longer one shows the root, "…" and the nearest three.
MAX_LINEAGE_SHOWN = 4
#: Enclosing loops a loop iteration's header names at most ("iteration 2 › 1 › 5").
MAX_ITERATION_PATH = 8
#: Worst first: what a loop iteration's header shows of the entries in it.
ITERATION_STATUS_ORDER = ("running", "error", "rejected", "unknown", "success", "skipped")


@dataclass(frozen=True, slots=True)
class IterationHead:
    """What the page script's header of one loop iteration says (on its first entry)."""

    path: str  # "3", or "2 › 5" inside an outer loop's iteration 2
    of: int  # iterations of the loop
    status: str  # the worst display status of the iteration's entries


@dataclass(slots=True)  # (made per entry: a frozen dataclass's __init__ costs twice as much)
class EntryView:
    i: int  # position in the run's display order
    entry_id: str
    anchor: str
    name: str
    kind: str | None
    status: str  # display status (the icon)
    status_label: str
    own_status: str
    depth: int
    parent: str  # display position of the parent ("" at the top, or when it is on another part page)
    lineage: Sequence[str]  # the model's (a Lineage); empty for top-level entries
    badges: tuple[Badge, ...]
    divider: str | None  # "iteration N" when a new iteration starts before this entry
    summary: tuple[SummaryRow, ...]
    sections: tuple[SectionView, ...]
    values_file: int | None  # n of data/<run>/v-<n>.js holding its values
    edit_href: str | None
    duration: str | None
    flagged: bool
    error_line: str | None = None  # a failing entry's one-line message (redacted)
    review_line: str | None = None  # a Review step's state: waiting since, or decided by whom
    waiting: bool = False  # a Review step the run is paused on (a pause, not a spinner)
    iteration: IterationHead | None = None  # on the first entry of each loop iteration

    # Joined here, not by template filters: a run page renders thousands of entries.
    @property
    def section_keys(self) -> str:
        return " ".join(s.key for s in self.sections)

    @property
    def lineage_text(self) -> str:
        """The breadcrumb, root first: a name repeated by the next one (a paginated
        request's pages under it, a loop named as its step) is shown once, and a
        breadcrumb that would only say the entry's own name is not shown."""
        # Bounded, so a page grows with its entries, not with their depth: a chain of
        # 3,000 entries each nested in the last would otherwise repeat 4.5 million names.
        shown = self.lineage
        if len(shown) > MAX_LINEAGE_SHOWN:  # (indexed from both ends: a Lineage reads those at once)
            shown = (shown[0], "…", *(shown[i] for i in range(1 - MAX_LINEAGE_SHOWN, 0)))
        names = [name for k, name in enumerate(shown) if k == 0 or name != shown[k - 1]]
        return "" if names == [self.name] else " › ".join(names)

    @property
    def depth_class(self) -> int:
        """The depth CSS indents by (deeper entries share the last step)."""
        return min(self.depth, 8)


@dataclass(slots=True)
class GroupView:
    automation: str
    status: str
    status_label: str
    entries: tuple[EntryView, ...]


@dataclass(frozen=True)
class RunPage(RunHead):
    path: str
    root: str
    error_text: str | None
    run_sections: tuple[SectionView, ...]  # run-level Error / Trigger / Meta / Other fields (values in v-0)
    data_dir: str
    groups: tuple[GroupView, ...]
    entry_count: int
    has_error: bool
    has_rejected: bool
    # The log cut into parts of LOG_PART_ENTRIES entries (a group may span two parts).
    log_parts: tuple[tuple[GroupView, ...], ...] = ()
    chart: gantt.Chart | None = None  # where the time went (None: no entry logged a time)

    def part_href(self, k: int) -> str:
        """Part page k (1 = the run page itself) for readers without JavaScript."""
        return self.path if k <= 1 else self.path[:-len(".html")] + f"-part-{k}.html"


def split_log(groups: Sequence[GroupView], size: int = LOG_PART_ENTRIES
              ) -> tuple[tuple[GroupView, ...], ...]:
    """Groups cut into parts of at most `size` entries, in display order (at least one part)."""
    parts: list[list[GroupView]] = [[]]
    room = size
    for g in groups:
        entries = list(g.entries)
        if not entries:
            parts[-1].append(g)
            continue
        while entries:
            if room == 0:
                parts.append([])
                room = size
            take, entries = entries[:room], entries[room:]
            parts[-1].append(GroupView(g.automation, g.status, g.status_label, tuple(take)))
            room -= len(take)
    return tuple(tuple(p) for p in parts)


@dataclass(frozen=True)
class RunFiles:
    """Everything written for one run: its page and its data payloads."""

    page: RunPage
    values: tuple[dict, ...]  # payload of data/<run>/v-<n>.js
    chunks: tuple[tuple[str, dict], ...] = ()  # (src, payload) of data/<run>/c-<k>-<j>.js


def editor_link(template: str | None, run: Run, entry: Entry) -> str | None:
    """The Edit href, or None without a template or when a used placeholder has no value."""
    if not template:
        return None
    fields = {
        "composer_id": run.composer_id,
        "step_id": entry.step_id,
        "run_id": run.run_id,
        "entry_id": entry.entry_id,
    }
    href = template
    for key, value in fields.items():
        token = "{" + key + "}"
        if token in href:
            if not value:
                return None
            href = href.replace(token, quote(str(value), safe=""))
    return href


def _badge(text: str) -> Badge:
    return Badge(kind=text.split(" ", 1)[0], text=text)


#: The section of an entry's or a run's fields the format does not define (kept, shown as logged).
OTHER_SECTION = ("other", "Other fields")

#: A run's data sections in the header, in display order: key -> label.
RUN_SECTION_LABELS = {"error": "Run Error", "trigger": "Trigger", "meta": "Meta",
                      OTHER_SECTION[0]: OTHER_SECTION[1]}


def run_sections(run: Run) -> list[tuple[str, Any]]:
    """(key, value) of a run's data sections, "Other fields" last when there are any."""
    logged = (("error", run.error), ("trigger", run.trigger), ("meta", run.meta))
    out: list[tuple[str, Any]] = [(k, v) for k, v in logged if v is not None]
    if run.other_fields:
        out.append((OTHER_SECTION[0], run.other_fields))
    return out


def entry_sections(e: Entry) -> list[tuple[str, Any]]:
    """(key, value) of an entry's data sections, "Other fields" last when there are any."""
    # (A RawJSON goes to the packer as it is: its text is written unparsed when it can be.)
    out: list[tuple[str, Any]] = [(s.key, s.held) for s in e.sections]
    other = chunks.other_fields(e.raw)
    if other:
        out.append((OTHER_SECTION[0], other))
    return out


def section_views(e: Entry) -> list[tuple[str, str]]:
    out = [(s.key, s.label) for s in e.sections]
    if chunks.other_fields(e.raw):
        out.append(OTHER_SECTION)
    return out


def _awaits_review(e: Entry) -> bool:
    """A Review step that pauses its run: still running, undecided, in "wait" mode."""
    review = e.review
    return (e.status == "running" and isinstance(review, dict) and not review.get("decision")
            and review.get("mode") in (None, "wait"))


def review_line(e: Entry, redact_text: Callable[[str], str] | None = None) -> str | None:
    """What a Review step says beside its name: "waiting since …", or "Approved by … : note"."""
    review = e.review
    if not isinstance(review, dict):
        return None
    if _awaits_review(e):
        return f"waiting since {human_time(e.started_at)}" if e.started_at else "waiting for a reviewer"
    decision = review.get("decision")
    if decision not in ("approved", "rejected"):
        return None
    reviewer, comment = review.get("reviewer"), review.get("comment")
    line = decision.title()
    if isinstance(reviewer, str) and reviewer.strip():
        line += f" by {reviewer.strip()}"
    if isinstance(review.get("decided_at"), str):
        line += f" at {human_time(review['decided_at'])}"
    if isinstance(comment, str) and comment.strip():
        line += f": {one_line(comment)}"
    return redact_text(line) if redact_text is not None else line


def iteration_heads(run: Run) -> dict[str, IterationHead]:
    """The header of each loop iteration, by the id of its first entry.

    An iteration is the children of one entry sharing an iteration index
    (and their descendants); its status is the worst of its children's
    display statuses, a rejected review included.
    """
    by_id = run.entries_by_id
    heads: dict[str, IterationHead] = {}
    for loop in run.entries:
        firsts: dict[int, str] = {}
        worst: dict[int, int] = {}
        for child_id in loop.children:
            child = by_id.get(child_id)
            if child is None or child.iteration_index is None:
                continue
            k = child.iteration_index
            firsts.setdefault(k, child_id)
            for status in (child.display_status, child.status):
                rank = (ITERATION_STATUS_ORDER.index(status) if status in ITERATION_STATUS_ORDER
                        else ITERATION_STATUS_ORDER.index("unknown"))
                worst[k] = min(worst.get(k, rank), rank)
        if not firsts:
            continue
        outer = []  # the iterations the loop itself sits in, nearest first
        ids = loop.lineage_ids  # (read from its end, as far as a header can show)
        for j in range(1, min(len(ids), MAX_ITERATION_PATH) + 1):
            ancestor = by_id.get(ids[-j])
            if ancestor is not None and ancestor.iteration_index is not None:
                outer.append(str(ancestor.iteration_index + 1))
        prefix = " › ".join(reversed(outer))
        for k, first in firsts.items():
            heads[first] = IterationHead(
                path=f"{prefix} › {k + 1}" if prefix else str(k + 1),
                of=len(firsts),
                status=ITERATION_STATUS_ORDER[worst[k]],
            )
    return heads


def run_files(run: Run, *, editor_url: str | None = None,
              chunk_size: int = chunks.DEFAULT_CHUNK_SIZE, redactor: Redactor | None = None) -> RunFiles:
    """The run page and its values payloads, every value redacted by `redactor` on its way out."""
    by_id = run.entries_by_id
    position = {e.entry_id: i for i, e in enumerate(run.entries)}
    data_dir = run_data_dir(run.run_id)
    redact = redactor.value if redactor is not None else (lambda v: v)

    # Values files and chunk files of large values: see runreport.site.chunks.
    packer = chunks.Packer(data_dir, {"kind": "values", "run_id": run.run_id},
                           chunk_size=chunk_size, budget=VALUES_FILE_BUDGET,
                           to_json=redactor.json if redactor is not None else None)
    shown_run_sections = [(k, redact(v)) for k, v in run_sections(run)]
    packer.head("run", shown_run_sections)
    # What each failing entry says in its summary line (before packing lets go of values).
    error_lines = {e.entry_id: entry_error(e, redact) for e in run.entries if e.status == "error"}
    for e in run.entries:
        packer.add(e.entry_id, entry_sections(e), chunks.save_source(e))
    values_file = packer.packed.values_file

    def divider(e: Entry) -> str | None:
        if e.iteration_index is None:
            return None
        siblings = by_id[e.parent_id].children if e.parent_id in by_id else ()
        if e.entry_id not in siblings:
            return None
        k = siblings.index(e.entry_id)
        if k == 0:
            return None
        prev = by_id.get(siblings[k - 1])
        if prev is None or prev.iteration_index == e.iteration_index:
            return None
        return f"iteration {e.iteration_index + 1}"

    heads = iteration_heads(run)

    def summary_value(label: str, value: Any) -> Any:
        if redactor is not None and redactor.is_secret_key(label):
            return REDACTED
        return redact(value)

    def view(e: Entry) -> EntryView:
        shown = section_views(e)
        multiple = len(shown) > 1
        waiting = _awaits_review(e)
        return EntryView(
            i=position[e.entry_id],
            entry_id=e.entry_id,
            anchor=entry_anchor(e.entry_id),
            name=e.name,
            kind=e.kind,
            status=e.display_status,
            status_label=("Awaiting review" if waiting else
                          ENTRY_STATUS_LABELS.get(e.display_status, e.display_status.title())),
            own_status=e.status,
            depth=e.depth,
            # (A part page holds a slice of the log in display order: a parent before the
            # slice has every other ancestor before it too.)
            parent=(str(position[e.lineage_ids[-2]])
                    if e.depth > 0 and e.lineage_ids[-2] in position else ""),
            lineage=e.lineage if e.depth > 0 else (),
            badges=tuple(_badge(b) for b in e.badges),
            divider=divider(e),
            summary=tuple(SummaryRow(label, scalar_text(summary_value(label, v))) for label, v in e.summary),
            sections=tuple(SectionView(k, label, not multiple) for k, label in shown),
            values_file=values_file.get(e.entry_id),
            edit_href=editor_link(editor_url, run, e),
            duration=duration_text(e.started_at, e.ended_at),
            flagged=e.flagged,
            error_line=error_lines.get(e.entry_id),
            review_line=review_line(e, redactor.text if redactor is not None else None),
            waiting=waiting,
            iteration=heads.get(e.entry_id),
        )

    groups = tuple(
        GroupView(
            automation=g.automation,
            status=g.status,
            status_label=ENTRY_STATUS_LABELS.get(g.status, g.status.title()),
            entries=tuple(view(by_id[i]) for i in g.entry_ids if i in by_id),
        )
        for g in run.groups
    )
    path = run_href(run.run_id)
    page = RunPage(
        path=path,
        root=root_of(path),
        **run_head(run),
        error_text=error_text(redact(run.error)),
        run_sections=tuple(SectionView(k, RUN_SECTION_LABELS[k], False) for k, _ in shown_run_sections),
        data_dir=data_dir,
        groups=groups,
        entry_count=len(run.entries),
        has_error=run.error is not None or any(e.status == "error" for e in run.entries),
        has_rejected=any(e.status == "rejected" for e in run.entries),
        log_parts=split_log(groups),
        chart=gantt.chart(run),
    )
    return RunFiles(page=page, values=tuple(packer.packed.values),
                    chunks=tuple(packer.packed.chunks))


# --- problems -------------------------------------------------------------------


@dataclass(frozen=True)
class ProblemRow:
    file: str
    line: int
    run_id: str | None
    run_href: str | None  # the run page, at the problem's entry when it names one
    severity: str
    message: str


def problem_rows(problems: Sequence[Problem], known_runs: set[str]) -> tuple[ProblemRow, ...]:
    return tuple(
        ProblemRow(
            file=p.file,
            line=p.line,
            run_id=p.run_id,
            run_href=(run_href(p.run_id) + (f"#{entry_anchor(p.entry_id)}" if p.entry_id else "")
                      if p.run_id in known_runs else None),
            severity=p.severity,
            message=p.message,
        )
        for p in problems
    )
