"""A first build on every core: each run parsed, merged, derived, redacted and rendered where it is read.

A first build (no previous site, no previous read in the store) has
nothing to keep and nothing to compare, so reading need not be one
process that every renderer waits for:

1. **Index** (all cores): the input files are cut into byte ranges at line
   boundaries and each range is indexed without parsing
   (:mod:`runreport.partition`): for every run, the place and bytes of its
   lines. Lines the index could not route are parsed here.
2. **Build runs** (all cores): runs are handed out in batches; a worker
   reads each run's lines (wherever they are, whichever range found them),
   parses, checks and merges them in the format's read order, derives the
   run, writes its records to the store and renders its files. A run whose
   records are spread over files or ranges is merged exactly as a reading
   from the start would merge it, so the site is byte-identical to a
   build in one process (`tests/site/test_firstbuild.py`).
3. The caller (`build_site`) writes what spans runs: listings, problems,
   the manifest.

Memory per worker is bounded by the largest run of its batch; the index
holds four integers a line. A record whose run is not the one its line was
routed to (a value nesting a "run_id" before the record's own) is handed
back and its run built again. Inputs this cannot index as ranges (gzip
files) take the one-reader path (`runreport.pipeline.load`), which gives
the same site.
"""

from __future__ import annotations

import gc
import os
from array import array
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from runreport.atomic import PRIVATE, write_new
from runreport.derive import derive_run
from runreport.merge import apply_record, new_run_state
from runreport.model import index_row, row_values
from runreport.partition import Part, PartIndex, index_part, parts, read_lines, read_span
from runreport.pipeline import Loaded, stored_index
from runreport.problems import Problem, sort_key
from runreport.read import _parse_line, find_inputs
from runreport.records import check_record
from runreport.site import build as site_build
from runreport.site import librarypages
from runreport.store import FileMark, Store, StoredRun, fingerprint, pack_run, run_digest
from runreport.workers import fork_pool

#: Input bytes per batch of runs handed to a worker (a batch's runs are in memory one at a time).
BATCH_BYTES = 4 << 20
#: Ranges per worker: more than one, so a worker that drew small ones takes another.
PARTS_PER_WORKER = 4


@dataclass(frozen=True)
class _Job:
    """What the workers need; forked workers inherit it (nothing is pickled)."""

    files: tuple[str, ...]  # input files as named in problems (str(path)), which open them too
    store: Store
    out: Path
    options: site_build.BuildOptions
    redactor: object
    has_library: bool
    strict_routes: bool = False  # (a shard by run id: see partition.index_part)


_JOB: _Job | None = None
_FDS: dict[int, int] = {}  # a worker's open input files


def _fd(file: int) -> int:
    fd = _FDS.get(file)
    if fd is None:
        fd = _FDS[file] = os.open(_JOB.files[file], os.O_RDONLY)
    return fd


def _index(part: Part) -> PartIndex:
    return index_part(_JOB.files[part.file], part, strict=_JOB.strict_routes)


def _build_batch(batch: list[tuple[str, array]]) -> list[tuple]:
    # A run's objects form no cycles worth collecting while it is built (reference counts
    # free them), yet parsing a large record allocates enough to start the collector
    # many times over: collect once per batch instead.
    gc.disable()
    try:
        return [_build_run(run_id, refs) for run_id, refs in batch]
    finally:
        gc.enable()


def _build_run(run_id: str, refs: array) -> tuple:
    """Read, merge, derive, store and render one run from its line refs.

    `refs`: flat (file, line, offset, length) quadruplets in read order.
    Returns (run id, content hash, index row, run problems, line problems,
    files produced, misrouted lines); hash, row and files are None when no
    line held a record, and files alone when rendering failed (build_site
    renders the run again). A misrouted line is (its run id, file, line,
    offset, length): a line whose record names another run.
    """
    job = _JOB
    displays = job.files
    state = None
    kept: list[tuple[str, int, bytes]] = []
    offsets: list[int] = []
    misrouted: list[tuple] = []
    line_problems: list[Problem] = []
    for file, number, offset, raw in read_lines(refs, _fd):
        item = _parse_line(raw, displays[file], number)
        if isinstance(item, Problem):
            line_problems.append(item)
            continue
        record, found = check_record(item)
        if record is not None and record.run_id != run_id:
            # The byte search found a nested "run_id" first: the line's own run gets it
            # (and reports its problems) when it is built again (see _repair).
            misrouted.append((record.run_id, file, number, offset, len(raw)))
            continue
        line_problems.extend(found)
        if record is None:
            continue
        if state is None:
            state = new_run_state(record)
        line_problems.extend(apply_record(state, record, len(kept) + 1))
        kept.append((item.file, item.line, item.raw))
        offsets.append(offset)
    lines_json = [p.to_json() for p in line_problems]
    if state is None:
        return run_id, None, None, [], lines_json, None, misrouted
    # The store points into the input (a first build reads plain files only): no second copy.
    write_new(job.store.run_path(run_id), pack_run(run_id, kept, offsets), mode=PRIVATE)
    run, problems = derive_run(state)
    row = row_values(index_row(run))  # (before rendering, which lets go of the values it wrote)
    writer = site_build._Writer(job.out, site_build.BuildReport(job.out), direct=True)
    writer.has_library = job.has_library
    try:
        site_build.write_run(writer, run, job.options, job.redactor)
        produced = [(rel, writer.new.files[rel]) for rel in writer.order]
    except Exception:  # (build_site renders it again from the store, where an error shows as usual)
        produced = None
    return (run_id, run_digest(run_id, kept), row, [p.to_json() for p in problems],
            lines_json, produced, misrouted)


def _worker_start() -> None:
    # Inherited objects (templates, the job) are never garbage: keep the collector off them.
    gc.freeze()


def _first_read(store: Store) -> bool:
    return not store.files and not store.runs


def load_and_render(
    inputs: Sequence[str | Path],
    store_dir: Path,
    out_dir: Path,
    options: site_build.BuildOptions,
    *,
    jobs: int | None = None,
    progress: Callable[[str], None] | None = None,
    runs_of_shard: Callable[[str], bool] | None = None,
    line_problems: bool = True,
) -> tuple[Loaded, dict[str, tuple[str, list]]] | None:
    """Read and render every run of a first build; (loaded, rendered runs for build_site).

    None when this is not a first read (the store has a previous one), or
    the input cannot be read this way: the caller then loads as usual.
    A shard by run id (runreport.shard) builds only the runs `runs_of_shard`
    takes; problems of lines that name no run are its only when `line_problems`.
    """
    global _JOB
    files = find_inputs(inputs)
    if any(p.name.endswith(".gz") for p in files):
        return None
    store = Store.open(Path(store_dir))
    if not _first_read(store):
        return None
    store.reset()
    out = Path(out_dir)
    site_build.claim_output(out)
    sizes = [p.stat().st_size for p in files]
    workers = site_build._workers(jobs, site_build.POOL_MIN_RUNS if sum(sizes) > BATCH_BYTES else 1)
    _JOB = _Job(tuple(str(p) for p in files), store, out, options,
                site_build._redactor(options), librarypages.exists(options.library),
                strict_routes=runs_of_shard is not None)
    pool = None
    try:
        (store.root / "runs").mkdir(parents=True, exist_ok=True)
        if workers > 1:
            site_build._compile_run_templates()
            pool = fork_pool(workers, initializer=_worker_start)
        mapper = pool.map if pool is not None else map
        ranges = parts(sizes, workers * PARTS_PER_WORKER)
        try:
            indexes = list(mapper(_index, ranges))
        except OSError:  # (an unreadable file: the one-reader path says so, in its words)
            return None
        plan = _plan(indexes, files, sizes)
        refs, early_problems, record_count = _route_all(indexes, plan)
        if runs_of_shard is not None:
            refs = {run_id: quads for run_id, quads in refs.items() if runs_of_shard(run_id)}
        if not line_problems:
            early_problems = []
        if progress:
            progress(f"indexed {len(files)} files, {sum(sizes) / 1e6:.1f} MB, {len(refs)} runs")
        batches = _batches(refs)
        results = []
        for done in mapper(_build_batch, batches):
            results.extend(done)
            if progress:
                progress(f"built {len(results)}/{len(refs)} runs")
        results = _repair(results, refs, mapper, runs_of_shard)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        _JOB = None
        for fd in _FDS.values():
            os.close(fd)
        _FDS.clear()
    return _finish(store, files, plan, results, early_problems, record_count)


@dataclass
class _FilePlan:
    """One input file: its line numbering per range and where reading stops."""

    bases: dict[int, int]  # range number -> lines of the file before it
    mark_offset: int  # bytes of complete lines
    mark_line: int  # complete lines


def _plan(indexes: list[PartIndex], files: list[Path], sizes: list[int]) -> dict[int, _FilePlan]:
    plan: dict[int, _FilePlan] = {}
    lines: dict[int, int] = defaultdict(int)
    tails: dict[int, int | None] = {}
    for n, ix in enumerate(indexes):
        f = ix.part.file
        entry = plan.setdefault(f, _FilePlan({}, sizes[f], 0))
        entry.bases[n] = lines[f]
        lines[f] += ix.lines
        if ix.tail_start is not None:
            tails[f] = ix.tail_start
    for f, entry in plan.items():
        tail = tails.get(f)
        entry.mark_offset = tail if tail is not None else sizes[f]
        entry.mark_line = lines[f] - (1 if tail is not None else 0)
    return plan


def _route_all(indexes: list[PartIndex], plan: dict[int, _FilePlan]
               ) -> tuple[dict[str, array], list[Problem], int]:
    """Every run's (file, line, offset, length) refs in read order; problems of unroutable lines."""
    refs: dict[str, array] = {}
    problems: list[Problem] = []
    unsorted: set[str] = set()
    count = 0
    for n, ix in enumerate(indexes):
        f = ix.part.file
        base = plan[f].bases[n] + 1
        for run_id, triplets in ix.routed.items():
            out = refs.get(run_id)
            if out is None:
                out = refs[run_id] = array("q")
            for i in range(0, len(triplets), 3):
                out.extend((f, base + triplets[i], triplets[i + 1], triplets[i + 2]))
            count += len(triplets) // 3
        u = ix.unrouted
        for i in range(0, len(u), 3):
            number, offset, length = base + u[i], u[i + 1], u[i + 2]
            run_id = _parse_unrouted(f, number, offset, length, problems)
            if run_id is not None:
                refs.setdefault(run_id, array("q")).extend((f, number, offset, length))
                unsorted.add(run_id)
                count += 1
    for run_id in unsorted:  # a line parsed here may belong before others of its run
        refs[run_id] = _in_read_order(refs[run_id])
    return refs, problems, count


def _repair(results: list[tuple], refs: dict[str, array], mapper,
            runs_of_shard: Callable[[str], bool] | None = None) -> list[tuple]:
    """Build again the runs that misrouted lines belong to, with those lines in read order.

    The byte search routes a line by the first `"run_id"` in it, which is the
    record's own in every log we know of; a value nesting one before it sends
    the line to another run, whose worker hands it back here. Each run
    named so is built once more (its files and store entry are replaced; a
    file of the first build that the second does not write is swept by
    build_site, which keeps only what its manifest lists).
    """
    moved = [m for r in results for m in r[-1]]
    if not moved:
        return results
    touched: dict[str, None] = {}
    for run_id, *quad in moved:
        if runs_of_shard is not None and not runs_of_shard(run_id):
            continue  # (strict routing sends no line astray; should one go, it is not ours)
        refs.setdefault(run_id, array("q")).extend(quad)
        touched[run_id] = None
    for run_id in touched:
        refs[run_id] = _in_read_order(refs[run_id])
    place = {r[0]: n for n, r in enumerate(results)}
    for done in mapper(_build_batch, [[(run_id, refs[run_id])] for run_id in touched]):
        for again in done:
            if again[0] in place:
                results[place[again[0]]] = again
            else:
                results.append(again)
    return results


def _in_read_order(quads: array) -> array:
    ordered = sorted((quads[i:i + 4] for i in range(0, len(quads), 4)), key=lambda q: (q[0], q[1]))
    return array("q", [v for q in ordered for v in q])


def _parse_unrouted(file: int, number: int, offset: int, length: int, problems: list[Problem]) -> str | None:
    """Parse a line the byte search could not route: its run, or None with its problems noted.

    (A line that holds a record is parsed and checked again by the worker
    building its run, which reports its problems then.)
    """
    item = _parse_line(read_span(_fd(file), offset, length), _JOB.files[file], number)
    if isinstance(item, Problem):
        problems.append(item)
        return None
    record, found = check_record(item)
    if record is None:
        problems.extend(found)
        return None
    return record.run_id


def _batches(refs: dict[str, array]) -> list[list[tuple[str, array]]]:
    batches: list[list[tuple[str, array]]] = [[]]
    size = 0
    for run_id, quads in refs.items():
        if size >= BATCH_BYTES:
            batches.append([])
            size = 0
        batches[-1].append((run_id, quads))
        size += sum(quads[3::4])
    return batches if batches[0] else []


def _finish(store: Store, files: list[Path], plan: dict[int, _FilePlan], results: list[tuple],
            early_problems: list[Problem], record_count: int) -> tuple[Loaded, dict]:
    """The store's manifest, the loaded index and the rendered runs, from the workers' results."""
    by_file: dict[str, list[dict]] = defaultdict(list)
    for p in early_problems:
        by_file[p.file].append(p.to_json())
    rendered: dict[str, tuple[str, list]] = {}
    for run_id, digest, row, run_problems, line_problems, produced, _ in results:
        for p in line_problems:
            by_file[p["file"]].append(p)
        if digest is None:
            continue
        store.runs[run_id] = StoredRun(digest, row, run_problems)
        if produced is not None:
            rendered[run_id] = (digest, produced)
    read_problems: list[dict] = []
    bytes_read = 0
    for f, path in enumerate(files):
        display = str(path)
        entry = plan.get(f) or _FilePlan({}, 0, 0)
        found = by_file.get(display, [])
        # Problems of an unterminated last line belong to this read only (as pipeline.load).
        store.file_problems[display] = [p for p in found if p["line"] <= entry.mark_line]
        read_problems.extend(p for p in found if p["line"] > entry.mark_line)
        size = path.stat().st_size
        head, tail = fingerprint(path, entry.mark_offset)
        store.files[display] = FileMark(size, entry.mark_offset, entry.mark_line, head, tail)
        bytes_read += entry.mark_offset
    store.order = record_count
    store.save()
    problems = [Problem(**p) for ps in store.file_problems.values() for p in ps]
    problems += [Problem(**p) for p in read_problems]
    problems += [Problem(**p) for s in store.runs.values() for p in s.problems]
    problems.sort(key=sort_key)
    index = stored_index(store.runs)
    loaded = Loaded(store=store, index=index, problems=problems, changed=set(store.runs),
                    removed=set(), files=list(files), bytes_read=bytes_read, store_after=store.state())
    return loaded, rendered


__all__ = ["load_and_render"]
