"""`runreport merge`: shard bundles into one site, byte-identical to one build of all inputs.

A bundle (runreport.bundle) carries a shard's runs already read, derived
and rendered. The merge keeps a store of its own (beside the output, like
a build's): a copy of the records of each bundle still in use, which its
runs' store files point into; the records of runs merged here;
and per input file the runs, problems and input arguments the bundle that
read it gave (`merge.json`).

Merging bundles:

1. Each bundle is checked (format, version, options and templates against
   this runreport's, no two bundles reading the same file).
2. A bundle's files replace what earlier bundles said of them, so a
   history grows by merging tonight's bundles into it, and a shard built
   again replaces its earlier self. Only runs with records in those
   files are looked at again.
3. A run whose records all come from one bundle is taken as that bundle
   made it: its row, problems and rendered files (copied, not rendered).
   A run whose records are spread over files that different bundles read
   is merged here in the format's read order (file path, then line),
   derived and rendered once, and the problems its shards reported for
   its records are replaced by those of the whole run.
4. Everything that spans runs (listings, composer pages, match and search
   indexes, problems, insights, failures, the manifest) is written by the
   same code as a build's (`build_site`), which keeps every file whose
   inputs did not change: merging is incremental.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import orjson

from runreport import __version__
from runreport.atomic import PRIVATE, write_bytes, write_new
from runreport.bundle import Bundle, BundleError
from runreport.derive import derive_run
from runreport.merge import replay
from runreport.model import ROW_FIELDS, index_row, row_values
from runreport.pipeline import Loaded, stored_index
from runreport.problems import Problem, sort_key
from runreport.shard import options_from_json, shard_of_run
from runreport.site import build as site_build
from runreport.site import librarypages
from runreport.site import manifest as build_manifest
from runreport.store import RawLine, Store, StoreCorrupt, StoredRun

#: The merge's own file in its store: which bundle said what of each input file.
STATE = "merge.json"
#: The merge store's folder of bundle copies, which its runs' records are read from.
BUNDLES = "bundles"
STATE_FORMAT = 1


def default_merge_store(output: Path) -> Path:
    """The merge's store beside the output (`site` -> `.site.merge`)."""
    output = Path(output).absolute()
    return output.parent / f".{output.name}.merge"


def check_bundles(paths: Sequence[Path], environ: Mapping[str, str] = os.environ) -> list[str]:
    """Open and check the bundles at `paths` as a merge of them would, before anything is
    written (BundleError says why they cannot be merged); warnings about the set."""
    with ExitStack() as stack:
        bundles = [stack.enter_context(Bundle(p)) for p in paths]
        _common_options(bundles, environ)
        _covered(bundles)
        return _set_warnings(bundles)


def merge_bundles(paths: Sequence[Path], out: Path, store_dir: Path, *, jobs: int | None = None,
                  environ: Mapping[str, str] = os.environ
                  ) -> tuple[Loaded, site_build.BuildReport, site_build.BuildOptions]:
    """Merge the bundles at `paths` into the site in `out`: what was merged, the build's
    report and the options the shards were built with. BundleError says why it cannot be."""
    with ExitStack() as stack:
        bundles = [stack.enter_context(Bundle(p)) for p in paths]
        options = _common_options(bundles, environ)
        store = Store.open(Path(store_dir))
        (Path(store_dir) / "runs").mkdir(parents=True, exist_ok=True)
        state = _read_state(Path(store_dir), store)
        globals_digest = site_build.site_globals(options, librarypages.exists(options.library))
        _check_globals(bundles, globals_digest, state, out)
        state["globals"] = globals_digest
        covered = _covered(bundles)
        try:
            prerendered = _merge_runs(bundles, covered, store, state, out, globals_digest)
            store.save()
            _write_state(Path(store_dir), state)
            options = _with_inputs(options, state)
            loaded = _loaded(store, state)
            report = site_build.build_site(loaded, out, options, jobs=jobs, prerendered=prerendered)
        except StoreCorrupt as exc:
            raise BundleError(f"the merge store {store_dir} is damaged ({exc}); merge every bundle "
                              "again into a new output folder") from None
        return loaded, report, options


# --- checks --------------------------------------------------------------------------------


def _common_options(bundles: list[Bundle], environ: Mapping[str, str]) -> Any:
    """The build options every bundle was made with (they must agree)."""
    if not bundles:
        raise BundleError("no bundle to merge")
    first = bundles[0]
    for b in bundles[1:]:
        if b.globals != first.globals:
            differ = [f"{k}: {first.options.get(k)!r} / {b.options.get(k)!r}"
                      for k in sorted(set(first.options) | set(b.options))
                      if k != "inputs" and first.options.get(k) != b.options.get(k)]
            what = (f"different options ({'; '.join(differ)})" if differ
                    else "different templates or a library folder only one of them found")
            raise BundleError(f"{first.path} and {b.path} were built with {what}; build every "
                              "shard with one command and one runreport")
    options = options_from_json(first.options, environ)
    unset = [n for n, was_set in zip(options.mask_env, options.mask_env_set)
             if was_set and not environ.get(n)]
    if unset:
        raise BundleError(f"the shards masked ${unset[0]} (--mask-env); set it for the merge too, "
                          "so the pages the merge writes mask it as well")
    return options


def _check_globals(bundles: list[Bundle], globals_digest: str, state: dict, out: Path) -> None:
    if bundles[0].globals != globals_digest:
        library = bundles[0].options.get("library")
        raise BundleError(
            f"{bundles[0].path} was built with templates, assets or a library folder other than "
            f"this runreport's{f' (library: {library})' if library else ''}; merge with the "
            "runreport that built the shards, where the library folder they read is")
    if state["globals"] and state["globals"] != globals_digest:
        raise BundleError(f"the site in {out} was merged from bundles built with other options or "
                          "another runreport; merge these into a new output folder")


def _covered(bundles: list[Bundle]) -> dict[str, dict[str, Bundle]]:
    """Input file -> its parts in this merge ("" the whole file, "K/N" the runs of shard K of
    N by run id) -> the bundle holding it. Two bundles holding one part is a mistake."""
    covered: dict[str, dict[str, Bundle]] = {}
    for b in bundles:
        for file in b.files:
            parts = covered.setdefault(file, {})
            if b.part in parts or "" in parts:
                other = parts.get(b.part) or parts[""]
            else:  # (a whole file against parts of it)
                other = next(iter(parts.values())) if b.part == "" and parts else None
            if other is not None:
                if other.input_files != b.input_files:
                    raise BundleError(
                        f"{other.path} and {b.path} both read {file}, and were built from different "
                        f"input files ({other.input_files['count']:,} and {b.input_files['count']:,}): "
                        "give every shard the same inputs")
                raise BundleError(f"{other.path} and {b.path} both read {file}: the bundles of one "
                                  "merge must come from different shards (or the same shard built "
                                  "again: merge it on its own)")
            if any(_shards_of(part) != _shards_of(b.part) for part in parts):
                raise BundleError(f"{b.path} and {next(iter(parts.values())).path} split {file} "
                                  "by run id into different numbers of shards")
            parts[b.part] = b
    return covered


def _set_warnings(bundles: list[Bundle]) -> list[str]:
    """What looks incomplete in a set of bundles: shards of one build missing from it."""
    groups: dict[tuple, set[int]] = {}
    for b in bundles:
        groups.setdefault((b.input_files["sha256"], b.input_files["count"], b.shard[1], b.shard_by),
                          set()).add(b.shard[0])
    warnings = []
    for (_, count, n, by), have in groups.items():
        missing = [k for k in range(1, n + 1) if k not in have]
        if missing:
            names = ", ".join(f"{k}/{n}" for k in missing[:5]) + (" …" if len(missing) > 5 else "")
            warnings.append(f"shard{'s' if len(missing) > 1 else ''} {names} (by {by}, of "
                            f"{count:,} input file{'' if count == 1 else 's'}) not among these bundles: "
                            "the site holds what the others read (and what earlier merges added)")
    return warnings


def _shards_of(part: str) -> str:
    return part.partition("/")[2]


def _replaced_parts(old: dict[str, dict], new: dict[str, Bundle]) -> set[str]:
    """The parts of a file merged before that its parts in this merge replace."""
    if "" in new or "" in old or any(_shards_of(p) != _shards_of(next(iter(new))) for p in old):
        return set(old)  # whole files, or another split: what was said of the file goes
    return set(old) & set(new)


def _part_of(run_id: str, parts: set[str]) -> str:
    """The part of a file that holds a run's records, among parts of one kind."""
    if "" in parts or not parts:
        return ""
    n = int(_shards_of(next(iter(parts))))
    return f"{shard_of_run(run_id, n)}/{n}"


# --- runs ----------------------------------------------------------------------------------


def _merge_runs(bundles: list[Bundle], covered: dict[str, dict[str, Bundle]], store: Store, state: dict,
                out: Path, globals_digest: str) -> dict[str, tuple[str, list]]:
    """Bring the store's runs, and the state's files, up to date with the bundles; the runs
    whose files were copied from a bundle (for build_site)."""
    files = state["files"]
    affected: set[str] = set()
    replaced: dict[str, set[str]] = {}  # file -> its parts merged before and replaced now
    for file, parts in covered.items():
        before = files.get(file, {})
        replaced[file] = _replaced_parts(before, parts)
        for part in replaced[file]:
            affected.update(before[part]["runs"])
    holders: dict[str, list[Bundle]] = {}
    for b in bundles:
        for run_id in b.runs:
            holders.setdefault(run_id, []).append(b)
    affected.update(holders)
    # A bundle's files replace what earlier bundles said of them (their problems by place).
    kept_copies = {b.digest: _keep_copy(b, store) for b in bundles}
    for file, parts in covered.items():
        entry = files.setdefault(file, {})
        for part in replaced[file]:
            del entry[part]
        for part, bundle in parts.items():
            entry[part] = {"inputs": bundle.index["inputs"], "runs": [],
                           "bundle": kept_copies[bundle.digest].name,
                           "problems": [p for p in bundle.problems if p["file"] == file]}

    def replaced_line(run_id: str, file: str) -> bool:
        gone = replaced.get(file)
        return bool(gone) and ("" in gone or _part_of(run_id, gone) in gone)

    old_site = build_manifest.read(out, globals_digest)
    # (No manifest: nobody reads the site's files yet, which are written in place, as a first
    # build's are; the manifest comes last.)
    copier = _Copier(out, direct=old_site is None)
    prerendered: dict[str, tuple[str, list]] = {}
    for run_id in sorted(affected):
        kept = [ln for ln in (store.get_lines(run_id) or ()) if not replaced_line(run_id, ln[0])] \
            if run_id in store.runs else []
        mine = [(b, b.records(run_id)) for b in holders.get(run_id, ())]
        for b, (_, lines) in mine:
            for file in dict.fromkeys(f for f, _, _ in lines):
                files[file][b.part]["runs"].append(run_id)
        if not kept and len(mine) == 1:  # one shard read all of it: taken as it made it
            bundle, (span, _) = mine[0]
            run = bundle.runs[run_id]
            # (Its records stay in the bundle's copy: the store points at them.)
            store.put_reference(run_id, kept_copies[bundle.digest], *span)
            store.runs[run_id] = StoredRun(run.hash, tuple([run.row[f] for f in ROW_FIELDS]), run.problems)
            state["split"].pop(run_id, None)
            if old_site is None or old_site.run_hash(run_id) != run.hash:
                prerendered[run_id] = (run.hash, copier.copy(bundle, run.files))
            continue
        lines = kept + [ln for _, (_, got) in mine for ln in got]
        if not lines:  # its records were in files read again without it
            store.runs.pop(run_id, None)
            store.run_path(run_id).unlink(missing_ok=True)
            state["split"].pop(run_id, None)
            continue
        lines.sort(key=lambda ln: (ln[0], ln[1]))  # the read order: file path, then line
        store.runs[run_id] = _merged_run(run_id, lines, store)
        state["split"][run_id] = [[f, n] for f, n, _ in lines]
    for entry in _parts(state):
        entry["runs"] = sorted(r for r in dict.fromkeys(entry["runs"]) if r in store.runs)
    # A bundle whose every file a later one read again is no longer pointed at.
    wanted = {entry["bundle"] for entry in _parts(state)}
    for copy in (store.root / BUNDLES).glob("*.records"):
        if copy.name not in wanted:
            copy.unlink()
    return prerendered


def _merged_run(run_id: str, lines: list[RawLine], store: Store) -> StoredRun:
    """A run whose records shards read apart, merged and derived whole (its problems too)."""
    problems: list[Problem] = []
    merged = replay(run_id, lines, problems)
    if merged is None:
        raise BundleError(f"run {run_id!r}: no record of it could be read back")
    run, found = derive_run(merged)
    digest = store.put_lines(run_id, lines)
    return StoredRun(digest, row_values(index_row(run)), [p.to_json() for p in problems + found])


class _Copier:
    """Copies runs' rendered files out of bundles into the site."""

    def __init__(self, out: Path, *, direct: bool):
        self.out = out
        self._write = write_new if direct else write_bytes
        self._folders: set[Path] = set()

    def copy(self, bundle: Bundle, marks: list[list]) -> list[tuple[str, list]]:
        """[(path, [sha256, size])] of the files copied, as build_site takes them."""
        produced = []
        for mark in marks:
            rel = mark[0]
            path = self.out / rel
            if path.parent not in self._folders:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._folders.add(path.parent)
            self._write(path, bundle.file_bytes(mark))
            produced.append((rel, [mark[1], mark[2]]))
        return produced


def _keep_copy(bundle: Bundle, store: Store) -> Path:
    """The merge store's copy of the bundle's records (the range at its start that holds
    them, offsets unchanged): the runs taken from it read their records there. A copy, not
    a link: a bundle file written over in place later must not change what was merged."""
    folder = store.root / BUNDLES
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / f"{bundle.digest[:32]}.records"
    if not copy.exists():
        bundle.copy_records(copy)
    return copy


# --- the merge's state -----------------------------------------------------------------------


def _read_state(store_dir: Path, store: Store) -> dict:
    """The merge state, or an empty one (a new folder, or a store that had to start again)."""
    empty = {"format": STATE_FORMAT, "version": __version__, "globals": "", "files": {}, "split": {}}
    try:
        state = orjson.loads((store_dir / STATE).read_bytes())
    except FileNotFoundError:
        return empty
    except Exception as exc:
        raise BundleError(f"the merge store {store_dir} is damaged ({STATE}: {exc}); merge every "
                          "bundle again into a new output folder") from None
    if (not isinstance(state, dict) or state.get("format") != STATE_FORMAT
            or state.get("version") != __version__):
        # Another version's merge: the bundles merged before are not here to read again.
        raise BundleError(f"the merge store {store_dir} was made by another runreport; merge "
                          "every bundle again into a new output folder")
    listed = {r for entry in _parts(state) for r in entry["runs"]}
    if store.damage or not listed <= set(store.runs):
        raise BundleError(f"the merge store {store_dir} is damaged ({store.damage or 'runs are missing'}); "
                          "merge every bundle again into a new output folder")
    return state


def _parts(state: dict) -> list[dict]:
    """Every part of every file merged: what one bundle said of it."""
    return [state["files"][f][part] for f in sorted(state["files"]) for part in sorted(state["files"][f])]


def _write_state(store_dir: Path, state: dict) -> None:
    write_bytes(store_dir / STATE, orjson.dumps(state, option=orjson.OPT_SORT_KEYS), mode=PRIVATE)


def _with_inputs(options: Any, state: dict) -> Any:
    """The merged site's input arguments (its Save dialog's command): every bundle's, in order."""
    from dataclasses import replace

    inputs = dict.fromkeys(i for entry in _parts(state) for i in entry["inputs"])
    return replace(options, inputs=tuple(inputs))


def _loaded(store: Store, state: dict) -> Loaded:
    """The merged runs as a load gives them: index rows newest first, problems by place."""
    split_places = {(f, n) for places in state["split"].values() for f, n in places}
    problems = [Problem(**p) for entry in _parts(state) for p in entry["problems"]
                if (p["file"], p["line"]) not in split_places]
    problems += [Problem(**p) for s in store.runs.values() for p in s.problems]
    problems.sort(key=sort_key)
    index = stored_index(store.runs)
    return Loaded(store=store, index=index, problems=problems, files=[Path(f) for f in sorted(state["files"])])


__all__ = ["check_bundles", "default_merge_store", "merge_bundles"]
