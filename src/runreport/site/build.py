"""Build the site: gather every page's data first, then write files.

`build_site` reads top to bottom as its phases. Only `_Writer` touches disk.
"""

from __future__ import annotations

import shutil
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Protocol, Sequence

from runreport.model import Run
from runreport.problems import Problem
from runreport.site import librarypages, pagedata
from runreport.site.chunks import DEFAULT_CHUNK_SIZE
from runreport.site.redact import Redactor
from runreport.site.render import assets_dir, data_file, render, render_macro

#: The page's Content-Security-Policy (also sent as <meta http-equiv>): nothing but our own files.
CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'none'"
)

#: Run page size budget: a fixed base plus a bound per entry (checked by the tests).
RUN_PAGE_BASE_BUDGET = 16_000
RUN_PAGE_ENTRY_BUDGET = 1_600

#: Paths of a previous build that this build owns and replaces.
OWNED = ("index.html", "problems.html", "runs", "composers", "data", "assets",
         "library.html", "prompts")


class LoadedLike(Protocol):
    """What the site needs from runreport.pipeline.Loaded."""

    problems: list[Problem]
    index: list  # RunIndexRow, newest first

    def runs(self) -> Iterator[Run]: ...


@dataclass(frozen=True)
class BuildOptions:
    editor_url: str | None = None
    redact: bool = True
    redact_keys: tuple[str, ...] = ()
    chunk_size: int = DEFAULT_CHUNK_SIZE  # values over this many bytes go to chunk files
    library: Path | None = None  # library folder: Library pages and Save dialog choices
    inputs: tuple[str, ...] = ()  # INPUT paths as given, for the `runreport library save` command


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
    written: list[str] = field(default_factory=list)

    def line(self) -> str:
        size = self.bytes
        human = f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{size / 1e3:.1f} kB"
        def n(count: int, one: str, many: str) -> str:
            return f"{count:,} {one if count == 1 else many}"

        return (
            f"built {self.out_dir}: {n(self.runs, 'run', 'runs')}, "
            f"{n(self.entries, 'entry', 'entries')}, {n(self.pages, 'page', 'pages')}, "
            f"{human} in {self.seconds:.2f} s"
        )


class _Writer:
    def __init__(self, out_dir: Path, report: BuildReport) -> None:
        self.out = out_dir
        self.report = report
        self.has_library = False  # pages link to the Library page

    def clean(self) -> None:
        """Remove the previous build's files (only paths this builder owns)."""
        for name in OWNED:
            p = self.out / name
            if p.is_dir():
                shutil.rmtree(p)
            elif p.exists():
                p.unlink()

    def text(self, rel: str, text: str, *, page: bool = False) -> None:
        data = text.encode("utf-8")
        path = self.out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.report.files += 1
        self.report.bytes += len(data)
        self.report.pages += page
        self.report.written.append(rel)


def _base(path: str, title: str, kind: str, problem_count: int,
          has_library: bool = False) -> dict[str, Any]:
    return {
        "root": pagedata.root_of(path),
        "title": title,
        "body_kind": kind,
        "problem_count": problem_count,
        "csp": CSP,
        "has_library": has_library,
    }


def write_listing(
    w: _Writer, rows: Sequence, *, title: str, composer: str | None, problem_count: int
) -> None:
    """Write every page and match chunk of one listing (takes index rows only)."""
    kind = "runs" if composer is None else "composer"
    lst = pagedata.listing(rows, kind=kind, title=title, composer=composer)
    for page in lst.pages:
        w.text(page.path, render("listing.html", page=page,
                                 **_base(page.path, page.title, kind, problem_count,
                                         w.has_library)), page=True)
    prefix = lst.pages[0].match_prefix
    for n, chunk in enumerate(lst.match_chunks):
        src = f"{prefix}{n}.js"
        w.text(src, data_file(src, chunk))


def write_run(w: _Writer, run: Run, options: BuildOptions, redactor: Redactor | None,
              problem_count: int) -> None:
    if redactor is not None:
        run = redactor.run(run)
    files = pagedata.run_files(run, editor_url=options.editor_url, chunk_size=options.chunk_size)
    page = files.page
    w.text(page.path, render("run.html", page=page,
                             **_base(page.path, f"{page.composer} · {page.run_id}", "run",
                                     problem_count, w.has_library)), page=True)
    log_src = page.data_dir + "log.js"
    fragment = render_macro("macros.html", "run_log", page, False)
    w.text(log_src, data_file(log_src, {"kind": "log", "run_id": run.run_id, "html": fragment}))
    for n, payload in enumerate(files.values):
        src = f"{page.data_dir}v-{n}.js"
        w.text(src, data_file(src, payload))
    for src, payload in files.chunks:  # large values, split (runreport.site.chunks)
        w.text(src, data_file(src, payload))


def write_assets(w: _Writer) -> None:
    src = assets_dir()
    for name in ("runreport.css", "runreport.js"):
        w.text(f"assets/{name}", (src / name).read_text(encoding="utf-8"))


def build_site(loaded: LoadedLike, out_dir: Path | str, options: BuildOptions = BuildOptions()
               ) -> BuildReport:
    """Write the whole site for `loaded` into `out_dir` and say what was written."""
    started = time.perf_counter()
    out = Path(out_dir)
    report = BuildReport(out_dir=out)

    # 1. Gather: listings, composers, problems: everything that is not a run page.
    index = list(loaded.index)
    problems = sorted(loaded.problems, key=lambda p: (p.file, p.line, p.message))
    by_composer: dict[str, list] = defaultdict(list)
    for row in index:
        by_composer[row.composer].append(row)
    problem_rows = pagedata.problem_rows(problems, {r.run_id for r in index})
    redactor = Redactor(options.redact_keys) if options.redact else None
    report.runs = len(index)
    report.entries = sum(r.entry_count for r in index)
    report.problems = len(problems)
    np = len(problems)

    # 2. Write: assets, listings, one page per run (streamed), problems.
    out.mkdir(parents=True, exist_ok=True)
    w = _Writer(out, report)
    w.clean()
    write_assets(w)
    library = librarypages.load(options.library)
    w.has_library = library is not None
    write_listing(w, index, title="Runs", composer=None, problem_count=np)
    for composer in sorted(by_composer):
        write_listing(w, by_composer[composer], title=composer, composer=composer,
                      problem_count=np)
    for run in loaded.runs():
        write_run(w, run, options, redactor, np)
    librarypages.write_library(w, library, options, redactor, {r.run_id for r in index},
                               lambda path, title, kind: _base(path, title, kind, np, True))
    w.text("problems.html", render("problems.html", rows=problem_rows,
                                   **_base("problems.html", "Problems", "problems", np,
                                           w.has_library)),
           page=True)

    report.seconds = time.perf_counter() - started
    return report


__all__ = ["BuildOptions", "BuildReport", "build_site", "CSP", "write_listing"]
