"""Build the site: gather every page's data first, then write files.

`build_site` reads top to bottom as its phases. Only `_Writer` touches disk.
Builds are incremental (see runreport.site.manifest): a run is rendered only
when its content hash changed, a listing page only when the data it shows
changed, and a file is written only when its bytes changed, atomically.
"""

from __future__ import annotations

import bisect
import os
import signal
import stat
import threading
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from functools import lru_cache
from operator import attrgetter
from pathlib import Path
from typing import Any, Callable, Iterator, Protocol, Sequence

import msgspec
import orjson
from markupsafe import Markup

from runreport.atomic import write_bytes, write_new
from runreport.hashing import BLOCK_COUNT, BLOCK_NAMES, block_of, bytes_hash, content_hash
from runreport.model import Run
from runreport.pipeline import newest_first_key
from runreport.problems import Problem
from runreport.site import insights, librarypages, logmarkup, pagedata
from runreport.site import manifest as build_manifest
from runreport.site.chunks import DEFAULT_CHUNK_SIZE
from runreport.site.failures import RUNS_PER_PAGE, failure_fact, failure_groups
from runreport.site.redact import Redactor
from runreport.stale import DEFAULT_STALE_AFTER, stale_before
from runreport.writelock import SITE_LOCK
from runreport.site.render import (assets_dir, data_file_bytes, environment, js_json, render,
                                   packed_markup, render_macro, templates_dir)

#: The page's Content-Security-Policy (also sent as <meta http-equiv>): nothing but our own files.
CSP = (
    "default-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'none'"
)

#: Run page size budget: a fixed base plus a bound per entry (checked by the tests).
#: A typical entry with three summary rows is 550-700 bytes; the page holds at most
#: LOG_PART_ENTRIES of them (the rest of a large run's log is in part files).
RUN_PAGE_BASE_BUDGET = 16_000
RUN_PAGE_ENTRY_BUDGET = 800

#: Paths of a previous build that this build owns and replaces.
OWNED = ("index.html", "problems.html", "failures.html", "failures", "insights.html", "insights", "runs",
         "composers", "data", "assets",
         "library.html", "prompts", "build.js")


def holds_site_paths(out: Path) -> bool:
    """Whether `out` holds any path a build owns (OWNED): False for a new or foreign folder."""
    return any(os.path.lexists(out / name) for name in OWNED)


#: Marks a folder as a runreport site for good (the manifest is removed while a build runs).
SITE_MARKER = ".runreport-site"
SITE_MARKER_TEXT = "This folder is a site built by runreport: its builds replace what is in it.\n"


class ForeignOutput(Exception):
    """The output folder holds files and no runreport site: building would replace them."""


def claim_output(out: Path) -> None:
    """Make `out` a runreport site folder, unless it already holds something else.

    A build deletes what it no longer writes under its own paths (`OWNED`),
    and replaces index.html and the rest; in a folder of other files (`-o .`
    in a project) that would destroy them. A folder that is new, empty, or
    marked by an earlier build (or holding its manifest) is ours.
    """
    # (Listed first, marked checked after: a build of a new folder writes its marker before
    # anything else, so a file listed while another build claims the folder finds the marker.)
    if out.is_dir() and any(not _ours_already(p.name) for p in out.iterdir()) \
            and not (out / SITE_MARKER).is_file() and not (out / build_manifest.NAME).is_file():
        raise ForeignOutput(
            f"{out} is not empty and holds no runreport site; writing a site there would replace "
            "index.html, runs/, data/ and assets/ there and delete files it did not write. "
            "Choose a new or empty output folder.")
    out.mkdir(parents=True, exist_ok=True)
    # A build never makes links: one at a path it owns (`data` -> ../elsewhere) would send
    # its writes, and its sweep of stale files, outside the folder. The link goes, not its target.
    for name in OWNED:
        if (out / name).is_symlink():
            (out / name).unlink()
    marker = out / SITE_MARKER
    if not marker.is_file():
        write_bytes(marker, SITE_MARKER_TEXT.encode())


def _ours_already(name: str) -> bool:
    """A file another build of this folder is making right now: its marker (or the marker
    being written: two builds of a new folder at once) or its lock (a build waiting to write)."""
    return name in (SITE_LOCK, SITE_MARKER) or (
        name.startswith(f".{SITE_MARKER}.") and name.endswith(".tmp"))  # (atomic.staged)


#: The build stamp: `RunReport.build("<id>")`, rewritten whenever any file changed.
BUILD_STAMP = "build.js"
#: The input's problem count, for the pages that do not carry it (run pages, their data):
#: a new problem rewrites this file and the listings, not every run's files.
PROBLEMS_SRC = "data/problems.js"


class LoadedLike(Protocol):
    """What the site needs from runreport.pipeline.Loaded."""

    problems: list[Problem]
    index: list  # RunIndexRow, newest first

    def runs(self) -> Iterator[Run]: ...

    def run(self, run_id: str) -> Run: ...

    def content_hash(self, run_id: str) -> str: ...


@dataclass(frozen=True)
class BuildOptions:
    editor_url: str | None = None
    redact: bool = True
    redact_keys: tuple[str, ...] = ()
    chunk_size: int = DEFAULT_CHUNK_SIZE  # values over this many bytes go to chunk files
    library: Path | None = None  # library folder: Library pages and Save dialog choices
    # INPUT paths as given, for the `runreport library save` command. Only data/save.js shows
    # them (rewritten when they change): out of the repr, so out of the hash every page
    # depends on, and shards built from other inputs merge into one history.
    inputs: tuple[str, ...] = field(default=(), repr=False)
    # Environment variables whose values are masked wherever they occur, and which of them
    # were set (a variable that becomes set rebuilds every page). The values themselves
    # stay out of the repr, so out of the manifest's hash, which is published.
    mask_env: tuple[str, ...] = ()
    mask_env_set: tuple[bool, ...] = ()
    masked: tuple[str, ...] = field(default=(), repr=False, compare=False)
    stale_after: int = DEFAULT_STALE_AFTER  # seconds without a record: a running run went quiet


@dataclass
class BuildReport:
    out_dir: Path
    runs: int = 0
    entries: int = 0
    pages: int = 0
    files: int = 0
    bytes: int = 0
    seconds: float = 0.0
    problems: int = 0
    written: list[str] = field(default_factory=list)  # files whose bytes changed, in order
    deleted: list[str] = field(default_factory=list)  # files of the previous build now gone
    rendered_runs: list[str] = field(default_factory=list)  # runs rendered (not kept)
    prerendered_runs: int = 0  # of those, rendered where they were read (site.firstbuild)
    full: bool = True  # no usable manifest: everything was rendered
    build_id: str = ""
    workers: int = 1  # processes that rendered run pages

    def line(self) -> str:
        size = self.bytes
        human = f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{size / 1e3:.1f} kB"
        def n(count: int, one: str, many: str) -> str:
            return f"{count:,} {one if count == 1 else many}"

        # A full build says what the site holds; an incremental one also what it changed.
        changed = "" if self.full else (
            f" ({n(len(self.rendered_runs), 'run', 'runs')} rendered again, "
            f"{n(len(self.written), 'file', 'files')} rewritten)")
        return (
            f"built {self.out_dir}: {n(self.runs, 'run', 'runs')}, "
            f"{n(self.entries, 'entry', 'entries')}, {n(self.pages, 'page', 'pages')}, "
            f"{human} in {self.seconds:.2f} s{changed}"
        )


class _Writer:
    """Writes files whose bytes changed (atomically) and records every file in the new manifest."""

    def __init__(self, out_dir: Path, report: BuildReport,
                 old: build_manifest.Manifest | None = None, *, direct: bool = False) -> None:
        self.out = out_dir
        # A first build's files have no reader yet: written in place, not through a rename.
        self._write = write_new if direct else write_bytes
        self.report = report
        self.has_library = False  # pages link to the Library page
        self.old = old or build_manifest.Manifest()
        self.new = build_manifest.Manifest()
        self.order: list[str] = []  # files produced, in order (a run's files are a slice)

    def text(self, rel: str, text: str | bytes) -> None:
        data = text if isinstance(text, bytes) else text.encode("utf-8")
        digest = bytes_hash(data)
        self._produced(rel, [digest, len(data)])
        before = self.old.files.get(rel)
        path = self.out / rel
        if before and before[0] == digest and _size_of(path) == len(data):
            return
        self._write(path, data)
        self.report.written.append(rel)

    def _produced(self, rel: str, mark: list) -> None:
        self.new.files[rel] = mark
        self.order.append(rel)

    def keep(self, rels: Sequence[str]) -> bool:
        """Carry files of the previous build over untouched; False when one is gone."""
        marks = [(rel, self.old.files.get(rel)) for rel in rels]
        if any(mark is None for _, mark in marks) or not _on_disk(self.out, marks):
            return False
        for rel, mark in marks:
            self._produced(rel, mark)
        return True

    def add_run(self, run_id: str, digest: str, produced: Sequence[tuple[str, list, bool]]) -> None:
        """A run rendered (or copied) by this build: (file, [sha256, size], written) each."""
        self.new.runs[run_id] = build_manifest.run_entry(digest, [(rel, mark) for rel, mark, _ in produced])
        self.report.written.extend(rel for rel, _, written in produced if written)

    def unchanged(self, rel: str, key: str) -> bool:
        """True (and the file kept) when `rel` was made from data with this key last time."""
        self.new.pages[rel] = key
        return self.old.pages.get(rel) == key and self.keep([rel])

    def unchanged_set(self, name: str, key: str, member: Callable[[str], bool]) -> bool:
        """True (and every page of the set kept) when the set of pages called `name` was
        made from data with this key last time; its pages are those `member` accepts."""
        self.new.pages[name] = key
        if self.old.pages.get(name) != key:
            return False
        pages = {rel: k for rel, k in self.old.pages.items() if rel != name and member(rel)}
        if not self.keep(sorted(pages)):
            return False
        self.new.pages.update(pages)
        return True

    def finish(self, full: bool, sweep: bool = True) -> None:
        """Delete what the previous build wrote and this one did not, then tally the site.

        `sweep`: without a manifest, also look under the site's paths for files this
        build did not write (False when none can be there: see build_site's `fresh`).
        """
        old, new = self.old, self.new
        stale = set(old.files) - set(new.files)
        # (A block carried over whole has the same runs and files; a kept run's entry is the
        # same list.)
        for run_id, entry in old.entries_of(set(old.blocks) - new.carried):
            now = new.runs.get(run_id)
            if now is not entry and (now is None or now[2] != entry[2]):
                gone = {rel for rel, _ in old.run_marks(run_id)}
                stale |= gone - {rel for rel, _ in new.run_marks(run_id)}
        if full and sweep:  # no manifest to go by: anything under our paths that we did not write
            for name in OWNED:
                stale.update(_files_under(self.out, name))
            stale -= set(new.files)
            stale -= {rel for run_id in new.runs for rel, _ in new.run_marks(run_id)}
        root = os.path.realpath(self.out)
        for rel in sorted(stale):
            path = self.out / rel
            if not _inside(root, path.parent):  # (reached through a link: not ours to delete)
                continue
            path.unlink(missing_ok=True)
            parent = path.parent
            while parent != self.out and parent.is_dir() and not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent
        self.report.deleted = sorted(stale)
        self.report.files, self.report.bytes, self.report.pages = new.tally()


def _on_disk(out: Path, marks: Sequence[tuple[str, list]]) -> bool:
    """True when every (file, [sha256, size]) is a regular file of that size under `out`.

    A file cut short, emptied or deleted since (a full disk, a hand edit) is not trusted:
    its size is checked against the manifest's (a stat; hashing every file would cost
    a read of the whole site). (A plain loop: this runs for every file of every run.)
    """
    root = os.path.join(out, "")  # (os.path: a rebuild checks every file of every run)
    for rel, mark in marks:
        try:
            st = os.stat(root + rel)
        except (OSError, ValueError):
            return False
        if st.st_size != mark[1] or not stat.S_ISREG(st.st_mode):
            return False
    return True


def _size_of(path: str | Path) -> int | None:
    """The size of the regular file at `path`, or None when there is none."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_size if stat.S_ISREG(st.st_mode) else None


def _files_under(out: Path, name: str) -> list[str]:
    """Files and links under `out/name` (relative), never following a link into a folder."""
    top = out / name
    if top.is_symlink() or top.is_file():
        return [name]
    found = []
    for folder, dirs, files in os.walk(top, followlinks=False):
        rel = Path(folder).relative_to(out)
        found.extend((rel / f).as_posix() for f in files)
        found.extend((rel / d).as_posix() for d in dirs if (Path(folder) / d).is_symlink())
    return found


def _inside(root: str, folder: Path) -> bool:
    real = os.path.realpath(folder)
    return real == root or real.startswith(root + os.sep)


def _base(path: str, title: str, kind: str, problem_count: int | None,
          has_library: bool = False) -> dict[str, Any]:
    """What every page's shell shows; `problem_count` None: the page's script reads it
    from PROBLEMS_SRC (and without the script the nav always links the Problems page)."""
    return {
        "problems_src": PROBLEMS_SRC,
        "root": pagedata.root_of(path),
        "title": title,
        "body_kind": kind,
        "problem_count": problem_count,
        "csp": CSP,
        "has_library": has_library,
    }


def write_listing(
    w: _Writer, rows: Sequence, *, title: str, composer: str | None, problem_count: int,
    redactor: Redactor | None = None, stale: Any = None, hashed: bool = False,
    changed: Sequence | None = None,
) -> None:
    """Write every page and match chunk of one listing (takes index rows only).

    `hashed`: every row carries its run's content hash, which then stands for it in the
    keys that decide whether a page or block is made again (else the row itself does).
    A row is made from its run's records alone, and 64 characters per row instead of its
    fields (step names, durations) keep a rebuild of 100,000 runs from serializing every
    row.

    `changed`: the rows of the runs that changed or came since the last build, when
    no run went and none moved in the order. Block pages are counted from the oldest
    run, so those older than the oldest of them hold the rows they held, and keep
    their keys without them being worked out again (1,000 pages at 100,000 runs).
    """
    kind = "runs" if composer is None else "composer"
    redact = redactor.text if redactor is not None else None
    lst = pagedata.listing(rows, kind=kind, title=title, composer=composer, redact=redact,
                           stale_before=stale)
    more = [problem_count, w.has_library]
    if hashed:
        def rows_key(start: int, end: int) -> str:
            return bytes_hash("".join(map(_hash_of, rows[start:end])).encode())

        def keys_of(block: Sequence) -> list:
            return list(map(_hash_of, block))
    else:
        def rows_key(start: int, end: int) -> str:
            return content_hash(list(rows[start:end]))

        keys_of = list

    def page_key(fields: dict, start: int, end: int, *also: Any) -> str:
        # (Fields only: the page's cards, once made, must not change its key.)
        return content_hash([fields, rows_key(start, end), *more, *also])

    def write_page(page: pagedata.ListingPage, cards_html: list[str]) -> None:
        w.text(page.path, render("listing.html", page=page, cards_html=[Markup(c) for c in cards_html],
                                 **_base(page.path, page.title, kind, problem_count, w.has_library)))

    def cards_of(page: pagedata.ListingPage) -> list[str]:
        return [logmarkup.card_html(c, page.root, page.show_composer) for c in page.cards]

    # Rendering is the cost: skip a page whose data is what it was last time (a block
    # page's is worked out without making the page: 1,000 of them at 100,000 runs).
    head = lst.head
    settled = _settled_blocks(w, lst, rows, hashed, changed, [kind, title, composer, *more])
    head_fields = _fields_of(head)
    del head_fields["rows"]
    head_cards: list[str] | None = None  # (its list file has them too)
    if not w.unchanged(head.path, page_key(head_fields, 0, len(head.rows))):
        write_page(head, head_cards := cards_of(head))
    for n in range(1, lst.block_count + 1):
        if n <= settled and w.unchanged(lst.block_path(n), w.old.pages.get(lst.block_path(n), "")):
            continue
        fields = lst.block_fields(n)
        if not w.unchanged(fields["path"], page_key({k: v for k, v in fields.items() if k != "redact"},
                                                    *lst.block_span(n))):
            page = lst.block_page(n)
            write_page(page, cards_of(page))
    for n, block in enumerate(lst.match_blocks):
        src = f"{head.match_prefix}{n}.js"
        # (Like the search blocks: only a block whose runs changed, or went quiet, is made again.)
        quiet = sorted(r.run_id for r in block if r.run_id in lst.quiet) if lst.quiet else []
        if not w.unchanged(src, content_hash([keys_of(block), quiet])):
            w.text(src, data_file_bytes(src, pagedata.match_chunk(block, lst.redact, lst.quiet)))
    for n, block in enumerate(lst.search_blocks):
        src = f"{pagedata.SEARCH_PREFIX}{n}.js"
        # Making a block costs a time and a link per run (~1 s per 100,000): only the
        # blocks whose runs changed, usually the newest one alone, are made again.
        if (n + 1) * pagedata.SEARCH_CHUNK_ROWS <= settled * pagedata.PAGE_SIZE and \
                w.unchanged(src, w.old.pages.get(src, "")):
            continue
        if not w.unchanged(src, content_hash(keys_of(block))):
            w.text(src, data_file_bytes(src, pagedata.search_chunk(block, redact)))
    # The listing's list file: counts for block pages, head cards for live updates.
    if not w.unchanged(head.list_src, page_key(head_fields, 0, len(head.rows), len(lst.match_blocks),
                                               len(lst.search_blocks))):
        if head_cards is None:
            head_cards = cards_of(head)
        w.text(head.list_src, data_file_bytes(head.list_src, {
            "kind": "list", "counts": asdict(head.counts), "match_chunks": len(lst.match_blocks),
            "search_chunks": len(lst.search_blocks),
            "problems": problem_count,
            "cards": [[c.run_id, html] for c, html in zip(head.cards, head_cards)],
        }))


def _settled_blocks(w: _Writer, lst: pagedata.Listing, rows: Sequence, hashed: bool,
                    changed: Sequence | None, context: list) -> int:
    """How many block pages, from the oldest, hold what they held last time (0: not known)."""
    note = f"listing:{lst.head.list_src}"
    before = w.old.notes.get(note)
    context_key = content_hash([context, hashed])
    w.new.notes[note] = [context_key, lst.block_count]
    if changed is None or not hashed or not isinstance(before, list) or len(before) != 2 \
            or before[0] != context_key or not isinstance(before[1], int):
        return 0
    # (A block's "newer" link is to the next block, but the newest's to the head page.)
    settled = min(before[1], lst.block_count) - 1
    oldest_first = len(rows) - 1
    for row in changed:
        place = bisect.bisect_left(rows, newest_first_key(row), key=newest_first_key)
        if place >= len(rows) or rows[place] is not row:
            return 0  # (rows not in order: nothing is known)
        settled = min(settled, (oldest_first - place) // pagedata.PAGE_SIZE)
    if lst.head.counts is not None and lst.head.counts.running:  # (a running run may have gone quiet)
        for place in range(len(rows) - 1, -1, -1):
            if rows[place].status == "running":
                settled = min(settled, (oldest_first - place) // pagedata.PAGE_SIZE)
                break
    return max(settled, 0)


def write_insights(w: _Writer, by_composer: dict[str, list], problem_count: int,
                   redactor: Redactor | None, hashed: bool = False,
                   changed: Sequence | None = None) -> None:
    """The Insights page and each composer's (rewritten only when their numbers change).

    With `hashed` rows (see write_listing) a composer whose runs are those of last time
    keeps its page without its insights being worked out again, and its line on the
    Insights page is the one the manifest kept beside the page's key. With `changed`
    (see write_listing), a composer none of whose runs changed keeps its page's key
    without it being worked out again.
    """
    redact = redactor.text if redactor is not None else None
    lines = []
    context = w.new.notes["insights:*"] = content_hash([problem_count, w.has_library, hashed])
    untouched = set(by_composer) - {row.composer for row in changed} \
        if changed is not None and w.old.notes.get("insights:*") == context else set()
    def kept(name: str, rows: list, path: str) -> bool:
        """Whether the composer's page is kept: by its key as it was (a composer none of
        whose runs changed), or by its runs' hashes; its line then is the one kept."""
        as_it_was = name in untouched and w.unchanged(path, w.old.pages.get(path, ""))
        if not as_it_was and not (hashed and w.unchanged(path, content_hash([
                "insights", bytes_hash("".join(map(_hash_of, rows)).encode()), problem_count,
                w.has_library]))):
            return False
        line = _kept_summary(w.old.notes.get(path)) or insights.composer_summary(name, rows)
        w.new.notes[path] = asdict(line)
        lines.append(line)
        return True

    for name in sorted(by_composer):
        rows = by_composer[name]
        path = pagedata.insights_href(name)
        if kept(name, rows, path):
            continue
        c = insights.composer_insights(name, rows, redact)
        line = insights.summary_of(c)
        w.new.notes[path] = asdict(line)
        lines.append(line)
        if not hashed and w.unchanged(path, content_hash([c, problem_count, w.has_library])):
            continue
        w.text(path, render("insights.html", c=c, **_base(path, f"{c.composer}: insights", "insights",
                                                          problem_count, w.has_library)))
    if not w.unchanged("insights.html", content_hash([lines, problem_count, w.has_library])):
        w.text("insights.html", render("insights.html", composers=lines,
                                       **_base("insights.html", "Insights", "insights", problem_count,
                                               w.has_library)))


def _kept_summary(note: Any) -> insights.ComposerSummary | None:
    """A composer's Insights line as the manifest kept it, or None when it is not one."""
    try:
        return insights.ComposerSummary(**note)
    except TypeError:
        return None


def write_failures(w: _Writer, index: Sequence, problem_count: int, redactor: Redactor | None,
                   hashed: bool = False) -> None:
    """The Failures page and the pages of large groups' runs.

    With `hashed` rows (see write_listing), when the failed runs are those of last time,
    in the same order, every page of them is kept without grouping them again.
    """
    np, has_library = problem_count, w.has_library
    redact = redactor.text if redactor is not None else None
    if hashed:
        failed = [r.content_hash for r in index if r.failure]
        if w.unchanged_set(FAILURE_PAGES, content_hash(["failures", failed, np, has_library]),
                           lambda rel: rel == "failures.html" or rel.startswith("failures/")):
            if not w.keep([FAILURE_FACTS]):  # (the pages hold; what made them is written again)
                _write_facts(w, {r.run_id: failure_fact(r, redact) for r in index if r.failure})
            return
    learned: dict[str, list] = {}
    groups = failure_groups(index, redact, _known_facts(w) if hashed else None, learned)
    if hashed:
        _write_facts(w, learned)
    for g in groups:  # every run of a large group, on pages of its own
        for n in range(1, g.pages + 1):
            runs = g.all_runs[(n - 1) * RUNS_PER_PAGE:n * RUNS_PER_PAGE]
            path = g.page_href(n)
            if not w.unchanged(path, content_hash([g.step, g.endpoint, g.cause, runs, n, g.pages, np,
                                                   has_library])):
                w.text(path, render("failure_runs.html", g=g, runs=runs, n=n,
                                    **_base(path, f"Failures: {g.step}", "failures", np, has_library)))
    if not w.unchanged("failures.html", content_hash([groups, np, has_library])):
        w.text("failures.html", render("failures.html", groups=groups,
                                       failed=sum(g.count for g in groups),
                                       **_base("failures.html", "Failures", "failures", np, has_library)))


_hash_of = attrgetter("content_hash")


def _touched_blocks(loaded: Any, record: CheckRecord | None, old: build_manifest.Manifest,
                    digests: _RunHashes) -> dict[str, dict[str, str]] | None:
    """The runs (and their content hashes) of the blocks that hold a run this load
    changed, added or removed, when the last build was made from the store's runs as
    this load found them (its CheckRecord names the store's state then); else None."""
    before = getattr(loaded, "store_before", None)
    if (record is None or before is None or record.store != before or record.build != old.build
            or not old.build):
        return None
    touched = set(loaded.changed) | set(loaded.removed)
    blocks = {block_of(rid) for rid in touched}
    grouped: dict[str, dict[str, str]] = {block: {} for block in blocks}
    for rid, _ in old.entries_of(blocks):  # (the runs the block had: some only came or went)
        if rid in digests:
            grouped[block_of(rid)][rid] = digests[rid]
    if any(block in old.damaged for block in blocks):
        return None  # (which runs an unreadable block had is not known)
    for rid in touched:
        if rid in digests:
            grouped[block_of(rid)][rid] = digests[rid]
    return grouped


def _hashed(index: Sequence, digests: _RunHashes) -> bool:
    """Whether every row carries its run's content hash (rows the store made do; others
    are given theirs from `digests`, when every run has one)."""
    if all(map(_hash_of, index)):
        return True
    every = digests.all()
    if not all(every.values()):
        return False
    for row in index:
        row.content_hash = every[row.run_id]
    return True


class _RunHashes:
    """The runs' content hashes by id (and so which runs there are), looked up one at a
    time in the store; all of them at once only when asked (`all`): a rebuild of 100,000
    runs that looks only at the runs its load changed never asks."""

    def __init__(self, loaded: Any, index: Sequence) -> None:
        store = getattr(loaded, "store", None)
        self._stored = store.runs if store is not None and hasattr(loaded, "content_hashes") else None
        self._loaded, self._index = loaded, index
        self._all: dict[str, str] | None = None

    def all(self) -> dict[str, str]:
        if self._all is None:
            if self._stored is not None:
                self._all = {run_id: stored.hash for run_id, stored in self._stored.items()}
            else:
                content_hash_of = getattr(self._loaded, "content_hash", None)
                self._all = {row.run_id: content_hash_of(row.run_id) if content_hash_of else ""
                             for row in self._index}
        return self._all

    def get(self, run_id: str, default: str | None = None) -> str | None:
        if self._stored is None:
            return self.all().get(run_id, default)
        stored = self._stored.get(run_id)
        return default if stored is None else stored.hash

    def __getitem__(self, run_id: str) -> str:
        found = self.get(run_id)
        if found is None:
            raise KeyError(run_id)
        return found

    def __contains__(self, run_id: object) -> bool:
        return (self._stored if self._stored is not None else self.all()).__contains__(run_id)


#: What grouping the failed runs made of each, for the next grouping (site.failures.Fact):
#: beside the manifest, as unpublished as it is.
FAILURE_FACTS = ".runreport-failures.json"
_FACTS = msgspec.json.Decoder(dict[str, list])


def _write_facts(w: _Writer, facts: dict[str, list]) -> None:
    w.text(FAILURE_FACTS, orjson.dumps(facts, option=orjson.OPT_SORT_KEYS))


def _known_facts(w: _Writer) -> dict[str, list]:
    """The failed runs' facts the last build kept, when its file is the one it wrote."""
    mark = w.old.files.get(FAILURE_FACTS)
    if mark is None:
        return {}
    try:
        data = (w.out / FAILURE_FACTS).read_bytes()
        return _FACTS.decode(data) if bytes_hash(data) == mark[0] else {}
    except (OSError, msgspec.DecodeError, msgspec.ValidationError):
        return {}


#: The key, among the manifest's page keys, of all the Failures pages together.
FAILURE_PAGES = "failures:*"


def write_run(w: _Writer, run: Run, options: BuildOptions, redactor: Redactor | None) -> None:
    """Write a run's page, part pages and data files: nothing in them depends on other runs."""
    files = pagedata.run_files(run, editor_url=options.editor_url, chunk_size=options.chunk_size,
                               redactor=redactor)
    page = files.page
    title = f"{page.composer} · {page.run_id}"
    base = _base(page.path, title, "run", None, w.has_library)
    parts = page.log_parts
    # The log's markup is rendered once per part: the run page (and part pages) show it,
    # and data files carry it packed for cards and live updates (render.packed_markup).
    vdir = page.root + page.data_dir
    groups_html = [Markup(logmarkup.groups_html(part, vdir)) for part in parts]
    log_html = render_macro("macros.html", "run_log", page, groups_html[0], len(parts))
    chart_svg = Markup(logmarkup.gantt_svg(page.chart)) if page.chart else None
    w.text(page.path, render("run.html", page=page, part=1, log_html=log_html, chart_svg=chart_svg, **base))
    log_src = page.data_dir + "log.js"
    # Status, duration and run error: what a live page patches outside the log.
    w.text(log_src, data_file_bytes(log_src, {"kind": "log", "run_id": run.run_id,
                                        "html_packed": packed_markup(log_html),
                                        "parts": len(parts),
                                        "status": page.status,
                                        "status_label": page.status_label,
                                        "duration": page.duration, "error_text": page.error_text,
                                        "run_sections": [[s.key, s.label] for s in page.run_sections]}))
    # A large run: the rest of its log in part files (for the script; entries keep their
    # anchors, so deep links reach them) and part pages (without the script).
    first = 1 + sum(len(g.entries) for g in parts[0])
    for k in range(1, len(parts)):
        src = f"{page.data_dir}log-{k}.js"
        w.text(src, data_file_bytes(src, {"kind": "log-part", "run_id": run.run_id, "part": k,
                                    "html_packed": packed_markup(groups_html[k])}))
        last = first + sum(len(g.entries) for g in parts[k]) - 1
        path = page.part_href(k + 1)
        w.text(path, render("run.html", page=page, part=k + 1, page_first=first, page_last=last,
                            log_html=render_macro("macros.html", "run_log", page, groups_html[k],
                                                  1, k + 1),
                            **base))
        first = last + 1
    for n, payload in enumerate(files.values):
        src = f"{page.data_dir}v-{n}.js"
        w.text(src, data_file_bytes(src, payload))
    for src, payload in files.chunks:  # large values, split (runreport.site.chunks)
        w.text(src, data_file_bytes(src, payload))


def page_script(src: Path) -> str:
    """The page script: its parts by concern (assets/js/NN-<concern>.js) joined in name
    order into one classic script, one scope (see the first part's header)."""
    return "".join(part.read_text(encoding="utf-8") for part in sorted((src / "js").glob("*.js")))


def write_assets(w: _Writer) -> None:
    src = assets_dir()
    w.text("assets/runreport.css", (src / "runreport.css").read_text(encoding="utf-8"))
    w.text("assets/runreport.js", page_script(src))
    # Icons are files of our own, not data: URLs, so a strict CSP header leaves them shown.
    for icon in sorted((src / "icons").glob("*.svg")):
        w.text(f"assets/icons/{icon.name}", icon.read_text(encoding="utf-8"))


def _fields_of(obj: Any) -> dict:
    """A dataclass's own fields as a dict, one level deep (`asdict` deep-copies: slow for
    100,000 index rows), without cached properties (hashes of listing pages)."""
    if is_dataclass(obj):
        return {name: getattr(obj, name) for name in _field_names(type(obj))}
    return dict(obj)


@lru_cache(maxsize=None)
def _field_names(cls: type) -> tuple[str, ...]:
    # (dataclasses.fields is slower than the copy itself: once per class.)
    return tuple(f.name for f in fields(cls) if not f.metadata.get("unhashed"))


@dataclass(frozen=True)
class _RunJob:
    """What rendering one run needs; a forked worker inherits it (nothing is pickled)."""

    loaded: Any
    out: Path
    old: build_manifest.Manifest
    options: BuildOptions
    redactor: Redactor | None
    has_library: bool


#: The job of this build while its runs render (read by forked workers).
_JOB: _RunJob | None = None
#: Runs to render before a process pool pays for its start.
POOL_MIN_RUNS = 16
#: Environment variable: worker processes for run pages (1 = render in this process).
JOBS_ENV = "RUNREPORT_JOBS"


def _render_one(run_id: str) -> tuple[str, list[tuple[str, list, bool]]]:
    """Render and write one run's files; (run id, [(file, [sha256, size], written)])."""
    job = _JOB
    assert job is not None
    # (What the run's files were last time: a file whose bytes did not change is not written.)
    sub = _Writer(job.out, BuildReport(job.out), build_manifest.Manifest(files=dict(job.old.run_marks(run_id))))
    sub.has_library = job.has_library
    write_run(sub, job.loaded.run(run_id), job.options, job.redactor)
    written = set(sub.report.written)
    return run_id, [(rel, sub.new.files[rel], rel in written) for rel in sub.order]


def _workers(jobs: int | None, runs: int) -> int:
    """Worker processes for `runs` run pages: both cores when it pays, else 1 (this process).

    A pool needs `fork` (workers inherit the loaded runs instead of
    unpickling them) and a process with no other thread (a forked thread
    holding a lock would hang the worker), as in `runreport build`.
    """
    explicit = jobs is not None or bool(os.environ.get(JOBS_ENV))
    if jobs is None:
        try:
            jobs = int(os.environ.get(JOBS_ENV) or 0) or (os.cpu_count() or 1)
        except ValueError:
            jobs = 1
    if (jobs < 2 or runs < (2 if explicit else POOL_MIN_RUNS)
            or "fork" not in _start_methods()
            or threading.active_count() > 1):
        return 1
    return min(jobs, runs)


def _start_methods() -> list[str]:
    import multiprocessing  # (imported only when there are runs enough for a pool)

    return multiprocessing.get_all_start_methods()


def _compile_run_templates() -> None:
    """Compile the run templates before forking, so the workers inherit them compiled."""
    for name in ("run.html", "macros.html"):
        environment().get_template(name)


def _redactor(options: BuildOptions) -> Redactor | None:
    return Redactor(options.redact_keys, options.masked) if options.redact else None


def _render_runs(job: _RunJob, run_ids: list[str], jobs: int | None,
                 report: BuildReport) -> Iterator[tuple[str, list]]:
    """Render `run_ids`, results in that order (so the build's output is deterministic)."""
    global _JOB
    workers = _workers(jobs, len(run_ids))
    report.workers = workers
    _JOB = job
    try:
        if workers == 1:
            yield from map(_render_one, run_ids)
            return
        _compile_run_templates()
        from runreport.workers import fork_pool  # (a rebuild of a few runs never starts a pool)

        with fork_pool(workers) as pool:
            yield from pool.map(_render_one, run_ids, chunksize=2)
    finally:
        _JOB = None


def _write_runs(w: _Writer, job: _RunJob, run_ids: list[str], digests: dict[str, str],
                ready: dict[str, list], jobs: int | None) -> None:
    """Render `run_ids` (or take their prerendered files) and add them to the manifest."""
    report = w.report
    rendered = _render_runs(job, [rid for rid in run_ids if rid not in ready], jobs, report)
    for run_id in run_ids:  # (in index order, whoever rendered them: the manifest is deterministic)
        if run_id in ready:
            produced = [(rel, mark, True) for rel, mark in ready[run_id]]
            report.prerendered_runs += 1
        else:
            rendered_id, produced = next(rendered)
            if rendered_id != run_id:
                raise RuntimeError(f"run {rendered_id!r} rendered in place of {run_id!r}")
        w.add_run(run_id, digests[run_id], produced)
        report.rendered_runs.append(run_id)
    for _ in rendered:  # (lets the render pool shut down)
        raise RuntimeError("more runs rendered than asked for")


#: Kept runs from which their files are checked in a forked process rather than this one.
FORKED_CHECK_MIN_RUNS = 2000
#: Kept runs whose files every build checks in full. Beyond, each build checks the runs of
#: a share of the manifest's blocks in turn (about this many runs), and all of them when a
#: folder of the site changed since the last build (see `CheckRecord`).
FULL_CHECK_MAX_RUNS = 25_000
#: Folders whose entries change only when a file in them is added, deleted or renamed:
#: a deleted run page, run data folder or manifest block shows in their stat.
CHECKED_FOLDERS = ("runs", "data", build_manifest.BLOCKS)
#: The file in the store where a build leaves what the next one's check starts from.
CHECK_RECORD = "site-check.json"


class CheckRecord(msgspec.Struct):
    """What a build leaves (in the store, never in the site: pages stay byte-identical)
    for the next build's check of kept files.

    Stat-ing every file of every kept run costs 2 µs a file: 0.7 s at 100,000 runs of
    three files, more than the rest of a rebuild after one appended run. A run page, a
    run's data folder or a block of the manifest is deleted, replaced or renamed only
    through its folder, which changes that folder's stat. So while `runs/`, `data/` and
    the blocks' folder are as the last build left them, a rebuild checks the files of
    one share of the blocks (`turn` says which, and moves on each build): a run page,
    data folder or block deleted, replaced or renamed is found at the next build; a
    file cut or emptied in place, or deleted inside a run's data folder, within as many
    builds as there are shares.
    """

    build: str  # the build id of the manifest this record follows
    turn: int  # the share of blocks the next check takes
    folders: list[list[int]]  # [inode, mtime in ns] of each CHECKED_FOLDERS, as the build left them
    # The store's state (runreport.store.Store.state) whose runs the site was made from:
    # a load that finds the store so knows which runs changed since (see build_site).
    store: str = ""


def _folder_stamps(out: Path) -> list[list[int]]:
    stamps = []
    for name in CHECKED_FOLDERS:
        try:
            st = os.stat(os.path.join(out, name))
            stamps.append([st.st_ino, st.st_mtime_ns])
        except OSError:
            stamps.append([0, 0])
    return stamps


def _read_check_record(path: Path | None) -> CheckRecord | None:
    if path is None:
        return None
    try:
        return msgspec.json.decode(path.read_bytes(), type=CheckRecord)
    except (OSError, msgspec.DecodeError, msgspec.ValidationError):
        return None  # (no record, or not one to trust: everything is checked)


def blocks_to_check(out: Path, manifest: build_manifest.Manifest,
                    record: CheckRecord | None) -> tuple[list[str] | None, int]:
    """(The blocks whose runs' files this build checks, None for all; the share taken.)"""
    runs = manifest.run_count()
    if (runs <= FULL_CHECK_MAX_RUNS or record is None or record.build != manifest.build
            or record.folders != _folder_stamps(out)):
        return None, 0
    shares = min(-(-runs // FULL_CHECK_MAX_RUNS), BLOCK_COUNT)
    turn = record.turn % shares
    return [name for n, name in enumerate(BLOCK_NAMES) if n % shares == turn], turn


def _write_check_record(path: Path | None, out: Path, build_id: str, turn: int, store: str) -> None:
    if path is None:
        return
    try:
        write_bytes(path, msgspec.json.encode(CheckRecord(build_id, turn, _folder_stamps(out), store)))
    except OSError:
        pass  # (the next build then checks every file)


class _DiskCheck:
    """Which kept runs' files are no longer what the manifest says (a file cut short,
    emptied or deleted since: a full disk, a hand edit); those runs are made again.

    Checking is a stat of every file of every kept run (at 10,000 runs 30,000 stats,
    70 ms, the largest part of a rebuild after one appended run), and nothing else a
    build does depends on it until the kept runs go into the manifest. So for many runs
    a forked process does it on the other core while this one renders and writes, and
    sends the runs that failed back through a pipe; where forking is not safe (a
    process with threads, as `watch` and `serve` are) or fails, it is done here.
    """

    def __init__(self, out: Path, manifest: build_manifest.Manifest,
                 record: CheckRecord | None = None) -> None:
        self._out, self._manifest, self.record = out, manifest, record
        self.blocks, share = blocks_to_check(out, manifest, record)
        # (The share after this one, for the next build: it moves on only from a record.)
        self.next_turn = share + 1 if self.blocks is not None else 0
        self._child: tuple[int, int] | None = None
        if manifest.run_count() >= FORKED_CHECK_MIN_RUNS and _forking_is_safe():
            self._child = self._fork()

    def _fork(self) -> tuple[int, int] | None:
        try:
            read_end, write_end = os.pipe()
        except OSError:
            return None
        try:
            pid = os.fork()
        except OSError:
            os.close(read_end)
            os.close(write_end)
            return None
        if pid == 0:  # the child: check, answer, and leave without running anything of the parent's
            code = 1
            try:
                os.close(read_end)
                with os.fdopen(write_end, "wb") as pipe:
                    pipe.write(orjson.dumps(_damaged(self._out, self._manifest, self.blocks)))
                code = 0
            finally:
                os._exit(code)
        os.close(write_end)
        return pid, read_end

    def abandon(self) -> None:
        """Stop a check whose answer is not wanted (nothing of it is left behind)."""
        if self._child is not None:
            pid, read_end = self._child
            self._child = None
            os.close(read_end)
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
            os.waitpid(pid, 0)

    def damaged(self) -> tuple[set[str], set[str]]:
        """The runs whose files failed the check, and the manifest's blocks that could not
        be read (whose runs' files are not known)."""
        if self._child is not None:
            pid, read_end = self._child
            self._child = None
            with os.fdopen(read_end, "rb") as pipe:
                answer = pipe.read()
            _, status = os.waitpid(pid, 0)
            if os.waitstatus_to_exitcode(status) == 0:
                try:
                    runs, blocks = orjson.loads(answer)
                    return set(runs), set(blocks)
                except (orjson.JSONDecodeError, ValueError, TypeError):
                    pass
        runs, blocks = _damaged(self._out, self._manifest, self.blocks)
        return set(runs), set(blocks)


def _damaged(out: Path, manifest: build_manifest.Manifest,
             blocks: list[str] | None = None) -> tuple[list[str], list[str]]:
    """(Runs of `blocks`, default all, whose files are not as listed; blocks not read.)"""
    root = os.path.join(out, "")
    entries = manifest.all_runs().items() if blocks is None else manifest.entries_of(blocks)
    damaged = [run_id for run_id, entry in entries if not _listed_on_disk(root, entry[2])]
    return damaged, sorted(manifest.damaged)


def _listed_on_disk(root: str, files: str) -> bool:
    """`_on_disk` for a run's files as its manifest entry lists them ("path TAB sha256
    TAB size" lines), read as it goes: at 100,000 runs, making the lists first cost two
    thirds of the stats themselves. False for an entry that is damaged."""
    is_file = stat.S_ISREG
    for line in files.split("\n"):
        try:
            rel, _, size = line.split("\t")
            st = os.stat(root + rel)
            if st.st_size != int(size) or not is_file(st.st_mode):
                return False
        except (OSError, ValueError):
            return False
    return True


def _forking_is_safe() -> bool:
    # (A forked thread holding a lock would hang the child; see _workers.)
    return hasattr(os, "fork") and threading.active_count() == 1


@dataclass
class Previous:
    """The previous build's manifest, read before the inputs are, and the check of its
    runs' files on disk already under way (see `previous_build`)."""

    manifest: build_manifest.Manifest
    check: _DiskCheck


def previous_build(out_dir: Path | str, options: BuildOptions,
                   check_record: Path | None = None) -> Previous | None:
    """Read the previous build's manifest and start checking its runs' files.

    A command calls this before reading the inputs, so that the check (a forked
    process for many runs, see _DiskCheck) runs while the store is read and the
    changed runs rendered, and is done when `build_site` asks for it. `check_record`:
    where the last build left its CheckRecord (see build_site).
    """
    out = Path(out_dir)
    manifest = build_manifest.read(out, site_globals(options, librarypages.exists(options.library)))
    if manifest is None:
        return None
    return Previous(manifest, _DiskCheck(out, manifest, _read_check_record(check_record)))


def build_site(loaded: LoadedLike, out_dir: Path | str, options: BuildOptions = BuildOptions(),
               *, full: bool = False, jobs: int | None = None,
               prerendered: dict[str, tuple[str, list]] | None = None,
               previous: Previous | None = None, fresh: bool = False,
               check_record: Path | None = None) -> BuildReport:
    """Bring the site in `out_dir` up to date with `loaded` and say what was written.

    Incremental unless `full` or the manifest of the previous build is
    missing, damaged or made with other globals (options, templates, assets).
    `jobs`: worker processes for run pages (default: $RUNREPORT_JOBS, else
    one per core when there are enough runs to render; see `_workers`).
    `previous`: the previous build's manifest and the check of its files, started
    before the inputs were read (`previous_build`); used when its globals still hold.
    `prerendered`: runs whose files are already written (runreport.site.firstbuild, or
    copied from shard bundles by runreport.site.sitemerge), used when their content hash
    still holds. `fresh`: `out` held none of the site's paths before the prerendered
    runs were written (holds_site_paths), so a build without a manifest that uses
    every run as prerendered has nothing else to find and delete there.
    `check_record`: a file (in the store) where this build leaves what the next one's
    check of kept files starts from (CheckRecord); without one, every build checks
    every kept file.
    """
    started = time.perf_counter()
    out = Path(out_dir)
    report = BuildReport(out_dir=out)

    # 1. Gather: listings, composers, problems: everything that is not a run page.
    index = list(loaded.index)
    problems = sorted(loaded.problems, key=lambda p: (p.file, p.line, p.message))
    by_composer: dict[str, list] = defaultdict(list)
    for row in index:
        by_composer[row.composer].append(row)
    digests = _RunHashes(loaded, index)  # (also which runs there are)
    problem_rows = pagedata.problem_rows(problems, digests)
    redactor = _redactor(options)
    report.runs = len(index)
    report.entries = sum(r.entry_count for r in index)
    report.problems = len(problems)
    np = len(problems)

    library = librarypages.load(options.library)

    # 2. Compare: the previous build's manifest says what can be kept.
    globals_digest = site_globals(options, library is not None)
    check = None
    if full:
        old = None
    elif previous is not None and previous.manifest.globals == globals_digest:
        old, check = previous.manifest, previous.check
    else:
        old = build_manifest.read(out, globals_digest)
    if previous is not None and check is None:
        previous.check.abandon()
    report.full = old is None
    claim_output(out)
    # Without a manifest a build interrupted half-way is rebuilt in full next time.
    (out / build_manifest.NAME).unlink(missing_ok=True)

    # 3. Write: assets, changed runs (streamed), listings, problems, then the build stamp.
    w = _Writer(out, report, old)
    w.new.globals = globals_digest
    w.has_library = library is not None
    write_assets(w)
    # Runs whose records are those their files were made from keep them, if the files are
    # still there: that check (a stat of each) runs beside this process's work (_DiskCheck).
    # A block of runs none of which changed, came or went is carried over whole, unread.
    # When the site was made from the store's runs as this load found them, only the
    # blocks of the runs the load changed can be other (at 100,000 runs, grouping every
    # run by block and hashing each block's runs is a tenth of a rebuild).
    if check is None:
        check = _DiskCheck(out, w.old, _read_check_record(check_record))
    touched = _touched_blocks(loaded, check.record, w.old, digests)
    by_block = build_manifest.runs_by_block(digests.all()) if touched is None else touched
    carried, unchanged_runs = build_manifest.unchanged(w.old, by_block)
    if touched is not None:
        for block, summary in w.old.blocks.items():
            if block not in touched:
                carried[block] = summary
    ready = {rid: files for rid, (digest, files) in (prerendered or {}).items()
             if digests.get(rid) == digest}
    job = _RunJob(loaded, out, w.old, options, redactor, w.has_library)
    # The runs to render, in index order; and the rows of the runs a trusted load changed,
    # when none went and none moved (see write_listing), found in the same pass.
    changed_rows: list | None = None
    if touched is None:
        to_render = [row.run_id for row in index if row.run_id not in unchanged_runs]
    else:
        again = {rid for runs in by_block.values() for rid in runs if rid not in unchanged_runs}
        marked = [row for row in index if row.run_id in again or row.run_id in loaded.changed]
        to_render = [row.run_id for row in marked if row.run_id in again]
        moved = getattr(loaded, "moved", None)
        if not loaded.removed and moved is not None and not moved:
            changed_rows = [row for row in marked if row.run_id in loaded.changed]
    _write_runs(w, job, to_render, digests, ready, jobs)
    quiet = stale_before(index, options.stale_after)  # (one reference for every listing)

    # (A row is made from its run's records alone: their hash stands for it.)
    hashed = _hashed(index, digests)
    write_listing(w, index, title="Runs", composer=None, problem_count=np, redactor=redactor,
                  stale=quiet, hashed=hashed, changed=changed_rows)
    for composer in sorted(by_composer):
        write_listing(w, by_composer[composer], title=composer, composer=composer,
                      problem_count=np, redactor=redactor, stale=quiet, hashed=hashed,
                      changed=None if changed_rows is None else
                      [row for row in changed_rows if row.composer == composer])
    librarypages.write_library(w, library, options, redactor, digests,
                               lambda path, title, kind: _base(path, title, kind, np, True))
    write_failures(w, index, np, redactor, hashed)
    write_insights(w, by_composer, np, redactor, hashed, changed_rows)
    # (Runs whose files were cut, emptied or deleted are made again, and so are those of
    # a block of the manifest that could not be read.)
    damaged_runs, damaged_blocks = check.damaged()
    if touched is not None and damaged_blocks:  # (the runs of an unreadable block: from every run's)
        by_block = {**build_manifest.runs_by_block(digests.all()), **touched}

    def kept(run_id: str) -> bool:  # (a run of a block carried over is, though left out of unchanged_runs)
        return run_id in unchanged_runs or block_of(run_id) in carried

    damaged = {rid for rid in damaged_runs if kept(rid)}
    damaged.update(rid for block in damaged_blocks for rid in by_block.get(block, ()) if kept(rid))
    damaged |= build_manifest.carry_over(w.old, w.new, by_block, carried, unchanged_runs,
                                         damaged, damaged_blocks)
    if damaged:
        _write_runs(w, job, [row.run_id for row in index if row.run_id in damaged], digests, ready, jobs)
    w.new.seal()
    w.text(PROBLEMS_SRC, data_file_bytes(PROBLEMS_SRC, {"kind": "problems", "count": np}))
    w.text("problems.html", render("problems.html", rows=problem_rows,
                                   **_base("problems.html", "Problems", "problems", np,
                                           w.has_library)))
    # The stamp changes exactly when some file did; pages poll it (see runreport.js).
    build_id = w.new.build_id()
    w.text(BUILD_STAMP, f"RunReport.build({js_json(build_id)});\n")
    w.new.build = report.build_id = build_id

    # 4. Clean up: files of vanished runs and pages, then the manifest.
    # (A run rendered here again may have left files of its first try: then look.)
    w.finish(report.full, sweep=not (fresh and all(ready.get(row.run_id) for row in index)))
    build_manifest.write(out, w.new)
    _write_check_record(check_record, out, build_id, check.next_turn,
                        getattr(loaded, "store_after", None) or "")
    report.seconds = time.perf_counter() - started
    return report


def site_globals(options: BuildOptions, has_library: bool) -> str:
    """The hash of what every page depends on (options, templates, assets): another one
    rebuilds everything, and shard bundles of another one are not merged."""
    return build_manifest.globals_hash([options, has_library], templates_dir(), assets_dir())


def build_site_checked(loaded: LoadedLike, out_dir: Path | str, options: BuildOptions,
                       read_again: Any, **kwargs: Any) -> tuple[LoadedLike, BuildReport]:
    """`build_site`, reading every input again when the store no longer matches them.

    The store points into the input files and checks each run's hash when
    it reads the run back; an input edited in place (a secret scrubbed, the
    same length) fails that check. `read_again()` empties the store and
    loads from the start; the site is then built in full.
    """
    from runreport.store import StoreCorrupt

    try:
        return loaded, build_site(loaded, out_dir, options, **kwargs)
    except StoreCorrupt:
        if kwargs.get("previous") is not None:
            kwargs["previous"].check.abandon()
        loaded = read_again()
        return loaded, build_site(loaded, out_dir, options, full=True)


__all__ = ["BuildOptions", "BuildReport", "Previous", "build_site", "build_site_checked", "CSP",
           "previous_build", "write_listing"]
