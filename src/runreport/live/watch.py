"""Follow the inputs and rebuild the site incrementally when they change.

The loader does the reading work (runreport.pipeline.load with a store):
appended bytes are read from the last offset, a truncated, rotated or
rewritten file is read again from the start, a deleted file drops its runs,
and a last line without its newline waits (`accept_partial_tail=False`).
This module only decides *when* to call it: on file events from watchfiles
(folders of the inputs, so a rotated file's new inode is seen too), and on a
cheap stat check every second in case an event was missed.

**Between steps.** By the format's rule a run with no `run_end` and no
entry running is Completed, which is what a live run looks like for the
moment between one step's end and the next one's start. While following,
a run seen growing (records added by a rebuild, not by the first build) that
would be Completed without its `run_end` is shown Running until
`between_steps` seconds pass with no new record of it; then it is rebuilt
and shows what the format derives. A single build, `summary` and a build
of the same files always show the format's status (docs/format.md).
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from runreport import pipeline
from runreport.problems import with_problems
from runreport.read import INPUT_SUFFIXES
from runreport.site.build import CHECK_RECORD, BuildOptions, BuildReport, build_site_checked
from runreport.store import IMPORTED, Store
from runreport.writelock import writing

#: Milliseconds of quiet before a burst of writes is rebuilt once.
DEBOUNCE_MS = 100
#: Milliseconds between stat checks when no event arrives.
CHECK_MS = 1000

OnBuild = Callable[[Any, BuildReport], None]


class BetweenSteps:
    """A load whose runs in `running` show Running, whatever the format derives (see above).

    Gives build_site what a load gives; a run's content hash says so too, so
    its page is made again when it starts and stops being shown this way.
    """

    def __init__(self, loaded: Any, running: set[str]):
        self.loaded = loaded
        self.running = running
        self.problems = loaded.problems
        # (A row shown Running carries the hash that says so: the listings' page keys are
        # made of their rows' hashes.)
        self.index = [replace(r, status="running", content_hash=self.content_hash(r.run_id))
                      if r.run_id in running else r for r in loaded.index]

    def run(self, run_id: str) -> Any:
        run = self.loaded.run(run_id)
        return replace(run, status="running") if run_id in self.running else run

    def runs(self):
        for row in self.index:
            yield self.run(row.run_id)

    def content_hash(self, run_id: str) -> str:
        digest = self.loaded.content_hash(run_id)
        return f"{digest}+between-steps" if run_id in self.running else digest


class Watcher:
    """Builds `output` from `inputs` now and again whenever they change."""

    def __init__(self, inputs: Sequence[Path | str], output: Path, options: BuildOptions,
                 store_dir: Path, *, echo: Callable[[str], None],
                 on_build: OnBuild | None = None, following: bool = True, source: str = "runlog",
                 between_steps: float = 0) -> None:
        self.inputs = [Path(p) for p in inputs]
        self.source = source  # --from: exports of other engines are imported on each read
        self.output = Path(output)
        self.options = options
        self.store_dir = Path(store_dir)
        self.echo = echo
        self.on_build = on_build
        # While following the inputs, a last line without its newline may still be
        # being written: it waits. A single build (serve without --watch) reads it.
        self.following = following
        self.lock = threading.Lock()  # one build at a time
        self._seen: tuple = ()
        self._told: set[str] = set()  # problems printed so far (each is printed once)
        self._built = False  # a build succeeded: later ones are rebuilds
        self.between_steps = between_steps if following else 0  # seconds; 0: the format's status only
        self._grew: dict[str, float] = {}  # run id -> when a rebuild last found records of it
        self._between: set[str] = set()  # runs shown Running between steps by the last build

    # --- one build ----------------------------------------------------------------

    def build(self) -> BuildReport | None:
        """Load what changed and rebuild; a failure is reported in one line, never raised."""
        with self.lock:
            started = time.perf_counter()
            self._seen = self._signature()
            try:
                # An input file that was deleted drops its runs; it may come back later.
                present = [p for p in self.inputs if p.exists()]
                imported: list = []
                if self.source != "runlog":
                    from runreport.importers.inputs import prepare

                    present, imported = prepare(present, self.source, self.store_dir / IMPORTED,
                                                following=self.following)

                def load():
                    loaded = pipeline.load(present, store_dir=self.store_dir,
                                           accept_partial_tail=not self.following)
                    loaded.problems = with_problems(loaded.problems, imported)
                    return loaded

                def read_again():
                    Store.open(self.store_dir).reset()
                    again = load()
                    again.grew = set()  # (everything is read anew: nothing is seen growing)
                    return again

                # (Another build writing the same site is waited for, however long it takes.)
                with writing(self.output, self.store_dir, wait=math.inf,
                             on_wait=lambda busy: self.echo(f"waiting: {busy} …")):
                    loaded = load()
                    shown, report = build_site_checked(
                        self._between_steps(loaded), self.output, self.options,
                        lambda: self._between_steps(read_again()),
                        check_record=self.store_dir / CHECK_RECORD)
                    loaded = getattr(shown, "loaded", shown)
            except Exception as exc:  # the watch loop survives anything
                self.echo(f"rebuild failed: {type(exc).__name__}: {exc} (still watching)")
                self._between = set()  # (retried when an input changes, not every second)
                return None
            for problem in loaded.problems:  # (as `build` does; a rebuild adds only the new ones)
                told = str(problem)
                if told not in self._told:
                    self._told.add(told)
                    self.echo(told)
            rendered = len(report.rendered_runs)
            self.echo(
                f"{'rebuilt' if self._built else 'built'} {self.output}: {rendered} "
                f"run{'' if rendered == 1 else 's'} rendered, {len(report.written)} files written, "
                f"{len(report.deleted)} removed in {time.perf_counter() - started:.2f} s"
            )
            self._built = True
            if self.on_build is not None:
                self.on_build(loaded, report)
            return report

    def _between_steps(self, loaded: Any) -> Any:
        """The load as the site shows it while following: runs between steps Running."""
        if not self.between_steps:
            return loaded
        now = time.monotonic()
        # Growth is new records (appended: a file edited in place and read again from its
        # start brings none, and neither does a store read again after damage).
        if self._built:  # (the first build sees files, not growth)
            for run_id in getattr(loaded, "grew", ()):
                self._grew[run_id] = now
        self._between = {r.run_id for r in loaded.index
                         if r.status == "completed" and r.ended_at is None
                         and now - self._grew.get(r.run_id, -math.inf) < self.between_steps}
        return BetweenSteps(loaded, self._between) if self._between else loaded

    def _between_steps_over(self) -> bool:
        """Whether a run shown between steps has had no record for `between_steps` seconds."""
        now = time.monotonic()
        return any(now - self._grew[r] >= self.between_steps for r in self._between)

    # --- following the inputs ---------------------------------------------------------

    def folders(self) -> list[Path]:
        """Folders to watch: input folders, and the folder of each input file."""
        out: list[Path] = []
        for p in self.inputs:
            folder = p if p.is_dir() else p.absolute().parent
            if folder not in out:
                out.append(folder)
        return out

    def _signature(self) -> tuple:
        """(path, inode, size, mtime) of every input file: any change means "load again"."""
        files: list[tuple] = []
        for p in self.inputs:
            candidates: list[Path]
            if p.is_dir():
                suffixes = INPUT_SUFFIXES if self.source == "runlog" else INPUT_SUFFIXES + (".json", ".json.gz")
                candidates = [Path(r, n) for r, _d, names in os.walk(p) for n in names
                              if n.endswith(suffixes)]
            else:
                candidates = [p]
            for f in candidates:
                try:
                    st = f.stat()
                except OSError:
                    continue
                files.append((str(f), st.st_ino, st.st_size, st.st_mtime_ns))
        return tuple(sorted(files))

    def _relevant(self, _change: Any, path: str) -> bool:
        p = Path(path).absolute()
        for skip in (self.output.absolute(), self.store_dir.absolute()):
            if p == skip or skip in p.parents:
                return False
        return True

    def run(self, stop_event: threading.Event) -> None:
        """Build, then rebuild after each change until `stop_event` is set."""
        self.build()
        self.follow(stop_event)

    def follow(self, stop_event: threading.Event) -> None:
        """Rebuild after each change of the inputs until `stop_event` is set."""
        from watchfiles import watch

        for _changes in watch(*self.folders(), watch_filter=self._relevant, debounce=DEBOUNCE_MS,
                              step=50, stop_event=stop_event, rust_timeout=CHECK_MS,
                              yield_on_timeout=True, raise_interrupt=False):
            if stop_event.is_set():
                break
            # Events and timeouts alike: rebuild only when an input file really changed, or
            # a run shown between steps has been quiet long enough to show what it is.
            if self._signature() != self._seen or self._between_steps_over():
                self.build()
